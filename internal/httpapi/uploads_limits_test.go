package httpapi_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// An image whose header claims more pixels than MAX_IMAGE_PIXELS is refused
// with 400 and nothing is stored; one within the cap is accepted.
func TestUploadRefusesImagesOverThePixelCap(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MAX_IMAGE_PIXELS": "100"})
	inst := s.signUp(t, "instructor")

	big := formFile{field: "thumbnail", name: "big.png", contentType: "image/png", data: pngImage(t, 11, 10, false)}
	resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(nil), big)
	apptest.WantError(t, resp, http.StatusBadRequest, "Image dimensions too large")
	if n := s.Count(t, "courses", nil); n != 0 {
		t.Errorf("%d courses stored, want 0", n)
	}
	s.wantMediaFiles(t, nil)

	ok := formFile{field: "thumbnail", name: "ok.png", contentType: "image/png", data: pngImage(t, 10, 10, false)}
	resp = s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(nil), ok)
	wantOK(t, resp, http.StatusCreated, "")
}

// sendSlowly sends a request over a fresh connection, writing its body in
// chunks of size bytes, one every pause (each really leaves the client),
// and reads the answer.
func (s *catalogServer) sendSlowly(t *testing.T, method, path, token, contentType string, body []byte, size int, pause time.Duration) *apptest.Response {
	t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nCookie: token=%s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		method, path, s.Listener.Addr(), token, contentType, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	for len(body) > 0 {
		time.Sleep(pause)
		n := min(size, len(body))
		if _, err := conn.Write(body[:n]); err != nil {
			t.Fatalf("write body: %v", err)
		}
		body = body[n:]
	}
	req, _ := http.NewRequest(method, s.URL+path, nil)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &apptest.Response{Response: resp, Body: raw}
}

// stalledUpload is a lecture upload whose video stops after its first
// kilobyte until done is closed.
func (s *catalogServer) stalledUpload(t *testing.T, token, courseID string, done <-chan struct{}) *apptest.Request {
	t.Helper()
	content := io.MultiReader(bytes.NewReader(mp4File(3, 1000)), stalledReader{done})
	pr, contentType := multipartStream(map[string]string{"title": "Stalled", "order": "1"}, formFile{field: "video", name: "v.mp4"}, content)
	return s.NewRequest(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures", io.Reader(pr)).
		WithCookie(token).WithHeader("Content-Type", contentType)
}

// startStalledUpload starts a stalledUpload and returns at once; the
// channel closes when its exchange ends. The response, or the client's
// error, is ignored: the test looks at what the server does meanwhile.
func (s *catalogServer) startStalledUpload(t *testing.T, token, courseID string, done <-chan struct{}) <-chan struct{} {
	t.Helper()
	req := s.stalledUpload(t, token, courseID, done)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		if resp, err := http.DefaultTransport.RoundTrip(req.Request); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return ended
}

// waitForTempFiles waits (bounded) until DATA_DIR/tmp holds n files.
func (s *catalogServer) waitForTempFiles(t *testing.T, n int) {
	t.Helper()
	for range 100 {
		entries, err := os.ReadDir(filepath.Join(s.dataDir, "tmp"))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("DATA_DIR/tmp never held %d files", n)
}

// An upload whose body stops making progress is dropped after
// UPLOAD_IDLE_TIMEOUT with 408, and leaves no file behind.
func TestUploadStalledBodyTimesOut(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"UPLOAD_IDLE_TIMEOUT": "300ms"})
	inst := s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)
	before := s.mediaFiles(t)

	done := make(chan struct{})
	defer close(done)
	req := s.stalledUpload(t, inst.Token, courseID, done)
	got := make(chan *apptest.Response, 1)
	start := time.Now()
	go func() { got <- req.Send(t) }()
	select {
	case resp := <-got:
		apptest.WantError(t, resp, http.StatusRequestTimeout, "Upload timed out")
		t.Logf("stalled upload dropped after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled upload is still held after 10 s with UPLOAD_IDLE_TIMEOUT=300ms")
	}
	if !slices.Equal(s.mediaFiles(t), before) {
		t.Errorf("files after a stalled upload: %v, want %v", s.mediaFiles(t), before)
	}
	if n := s.Count(t, "lectures", nil); n != 0 {
		t.Errorf("%d lectures stored, want 0", n)
	}
}

// An upload that keeps sending, however slowly, outlives the idle timeout.
func TestUploadSlowButSteadySucceeds(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"UPLOAD_IDLE_TIMEOUT": "300ms"})
	inst := s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)

	// About 6 KB, sent 512 bytes every 100 ms: over a second in all.
	body, contentType := multipartForm(t, map[string]string{"title": "Slow", "order": "1"},
		formFile{field: "video", name: "v.mp4", contentType: "video/mp4", data: mp4File(4, 6000)})
	start := time.Now()
	resp := s.sendSlowly(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures", inst.Token, contentType, body, 512, 100*time.Millisecond)
	took := time.Since(start)
	lecture := apptest.Object(t, wantOK(t, resp, http.StatusCreated, ""), "lecture")
	if lecture["duration"] != 4.0 {
		t.Errorf("duration %v, want 4", lecture["duration"])
	}
	if took < time.Second {
		t.Errorf("the upload took %v: not slower than the idle timeout, the test proves nothing", took)
	}
}

// A user may have MAX_UPLOADS_PER_USER uploads in flight; one more is 429
// without its body being read, while other users upload as usual, and a
// slot frees when an upload ends.
func TestUploadConcurrencyIsCappedPerUser(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MAX_UPLOADS_PER_USER": "2"})
	inst, other := s.signUp(t, "instructor"), s.signUp(t, "instructor")
	courseID := s.createCourse(t, inst.Token, nil)["_id"].(string)
	otherCourse := s.createCourse(t, other.Token, nil)["_id"].(string)

	done := make(chan struct{})
	ended := []<-chan struct{}{s.startStalledUpload(t, inst.Token, courseID, done), s.startStalledUpload(t, inst.Token, courseID, done)}
	s.waitForTempFiles(t, 2)

	resp := s.sendForm(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures", inst.Token,
		map[string]string{"title": "Third", "order": "3"}, catalogVideo(3))
	apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many uploads in progress; wait for one to finish")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// The avatar counts too: the cap is per user, not per route.
	resp = s.sendForm(t, http.MethodPatch, "/api/v1/user/profile", inst.Token, nil,
		formFile{field: "avatar", name: "a.png", contentType: "image/png", data: pngImage(t, 4, 4, false)})
	apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many uploads in progress; wait for one to finish")

	resp = s.sendForm(t, http.MethodPost, catalogCourses+"/"+otherCourse+"/lectures", other.Token,
		map[string]string{"title": "Other", "order": "1"}, catalogVideo(3))
	wantOK(t, resp, http.StatusCreated, "")

	close(done)
	for _, e := range ended {
		select {
		case <-e:
		case <-time.After(10 * time.Second):
			t.Fatal("a stalled upload did not end after its body failed")
		}
	}
	s.waitForTempFiles(t, 0)
	resp = s.sendForm(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures", inst.Token,
		map[string]string{"title": "After", "order": "4"}, catalogVideo(3))
	wantOK(t, resp, http.StatusCreated, "")
}

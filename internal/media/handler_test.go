package media

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// mediaServer is a test server with the Store's Handler mounted at /media/
// the documented way, and one stored image and video.
type mediaServer struct {
	testStore
	url          string
	image, video Object
	videoData    []byte
}

func newMediaServer(t *testing.T) mediaServer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := newTestStore(t, Config{PublicBaseURL: srv.URL + "/", URLTTL: time.Hour})
	mux.Handle("/media/", handler(s.Store))

	image, err := s.SaveImage(t.Context(), bytes.NewReader(pngBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	videoData := append(append(ftyp("isom", "mp41"), box("mdat", bytes.Repeat([]byte("0123456789"), 100))...), moov(0, 1, 10)...)
	video, err := s.SaveVideo(t.Context(), bytes.NewReader(videoData))
	if err != nil {
		t.Fatal(err)
	}
	return mediaServer{testStore: s, url: srv.URL, image: image, video: video, videoData: videoData}
}

// get fetches u with optional header pairs and returns the response and body.
func get(t *testing.T, u string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// handler serves s as the API does: Serve, then its error as a JSON body
// with the status of the error's kind.
func handler(s *Store) http.Handler {
	status := map[apperr.Kind]int{
		apperr.NotFound: http.StatusNotFound, apperr.Forbidden: http.StatusForbidden,
		apperr.MethodNotAllowed: http.StatusMethodNotAllowed,
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := s.Serve(w, r)
		if err == nil {
			return
		}
		e, _ := apperr.As(err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status[e.Kind])
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "fail", "message": e.Message})
	})
}

// assertFail checks a JSON failure response.
func assertFail(t *testing.T, resp *http.Response, body []byte, status int, message string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d (body %.80q)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var got struct{ Status, Message string }
	if err := json.Unmarshal(body, &got); err != nil || got.Status != "fail" || (message != "" && got.Message != message) {
		t.Errorf("body = %s, want fail %q", body, message)
	}
}

func TestHandlerSignedVideo(t *testing.T) {
	m := newMediaServer(t)
	link, err := m.VideoURL(t.Context(), m.video.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, m.url+"/media/"+m.video.Key+"?exp=") {
		t.Fatalf("video URL = %q", link)
	}

	t.Run("whole file", func(t *testing.T) {
		resp, body := get(t, link)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, m.videoData) {
			t.Fatalf("status %d, %d bytes; want 200 with the video", resp.StatusCode, len(body))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Errorf("Content-Type = %q", ct)
		}
		if resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("Accept-Ranges = %q", resp.Header.Get("Accept-Ranges"))
		}
	})
	t.Run("range", func(t *testing.T) {
		resp, body := get(t, link, "Range", "bytes=100-149")
		if resp.StatusCode != http.StatusPartialContent {
			t.Fatalf("status = %d, want 206", resp.StatusCode)
		}
		if !bytes.Equal(body, m.videoData[100:150]) {
			t.Errorf("body = %q, want %q", body, m.videoData[100:150])
		}
		want := "bytes 100-149/" + itoa(len(m.videoData))
		if got := resp.Header.Get("Content-Range"); got != want {
			t.Errorf("Content-Range = %q, want %q", got, want)
		}
	})
	t.Run("suffix range", func(t *testing.T) {
		resp, body := get(t, link, "Range", "bytes=-10")
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, m.videoData[len(m.videoData)-10:]) {
			t.Errorf("status %d body %x", resp.StatusCode, body)
		}
	})
}

func TestHandlerRejectsBadSignatures(t *testing.T) {
	m := newMediaServer(t)
	other, err := m.SaveVideo(t.Context(), bytes.NewReader(m.videoData))
	if err != nil {
		t.Fatal(err)
	}
	valid, err := m.VideoURL(t.Context(), m.video.Key)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(valid)
	q := u.Query()
	otherURL, _ := m.VideoURL(t.Context(), other.Key)
	ou, _ := url.Parse(otherURL)

	exp := func(at time.Time) string { return itoa(int(at.Unix())) }
	with := func(exp, sig string) string {
		v := url.Values{}
		if exp != "" {
			v.Set("exp", exp)
		}
		if sig != "" {
			v.Set("sig", sig)
		}
		return m.url + "/media/" + m.video.Key + "?" + v.Encode()
	}
	sig := q.Get("sig")
	forged := []byte(sig)
	forged[0] ^= 1
	if forged[0] == '-' || forged[0] == '_' {
		forged[0] = 'A'
	}
	past := time.Now().Add(-time.Minute)

	tests := []struct{ name, url string }{
		{"no signature", m.url + "/media/" + m.video.Key},
		{"forged signature", with(q.Get("exp"), string(forged))},
		{"another key's signature", with(ou.Query().Get("exp"), ou.Query().Get("sig"))},
		{"expiry pushed later", with(exp(time.Now().Add(48*time.Hour)), sig)},
		{"expired", m.signedURL(m.video.Key, past)},
		{"expiry with a plus sign", with("+"+q.Get("exp"), sig)},
		{"signature from another signing key", with(q.Get("exp"), signature([]byte("other"), m.video.Key, mustAtoi(t, q.Get("exp"))))},
		{"missing expiry", with("", sig)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.url)
			assertFail(t, resp, body, http.StatusForbidden, "Invalid or expired media link")
		})
	}
}

func TestHandlerImagesArePublic(t *testing.T) {
	m := newMediaServer(t)
	link := m.ImageURL(m.image.Key)
	if link != m.url+"/media/"+m.image.Key {
		t.Fatalf("image URL = %q", link)
	}
	resp, body := get(t, link)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pngBytes(t)) {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("Content-Type = %q, want image/png", ct)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("missing X-Content-Type-Options: nosniff")
	}
}

func TestHandlerNotFound(t *testing.T) {
	m := newMediaServer(t)
	missingVideo := newKey(videoPrefix, "mp4")
	tests := []struct{ name, url string }{
		{"missing image", m.url + "/media/" + newKey(imagePrefix, "png")},
		{"missing video with a valid signature", m.signedURL(missingVideo, time.Now().Add(time.Hour))},
		{"unknown extension", m.url + "/media/" + strings.TrimSuffix(m.image.Key, ".png") + ".html"},
		{"directory", m.url + "/media/images/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.url)
			assertFail(t, resp, body, http.StatusNotFound, "Media not found")
		})
	}
}

func TestHandlerTraversal(t *testing.T) {
	m := newMediaServer(t)
	secret := filepath.Join(filepath.Dir(m.dataDir), "secret.png")
	if err := os.WriteFile(secret, pngBytes(t), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symbolic link planted under a valid key must not lead outside.
	planted := newKey(imagePrefix, "png")
	if err := os.Symlink(secret, filepath.Join(m.dataDir, planted)); err != nil {
		t.Fatal(err)
	}
	paths := []string{
		"/media/../secret.png",
		"/media/images/../../secret.png",
		"/media/..%2fsecret.png",
		"/media/images%2f..%2f..%2fsecret.png",
		"/media/%2e%2e/%2e%2e/secret.png",
		"/media/images/..\\..\\secret.png",
		"/media//etc/passwd",
		"/media/" + m.image.Key + "/..",
		"/media/" + m.image.Key + "%00.png",
		"/media/" + planted,
		"/secret.png",
	}
	h := handler(m.Store)
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			// Straight to the handler, so that no mux cleans the path first.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			resp := rec.Result()
			assertFail(t, resp, rec.Body.Bytes(), http.StatusNotFound, "Media not found")
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	m := newMediaServer(t)
	link := m.ImageURL(m.image.Key)

	resp, err := http.Head(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(m.image.Size) {
		t.Errorf("HEAD: status %d, length %d", resp.StatusCode, resp.ContentLength)
	}

	resp, err = http.Post(link, "image/png", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assertFail(t, resp, body, http.StatusMethodNotAllowed, "Method not allowed")
}

func TestSignatureExpiresAfterTTL(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestStore(t, Config{URLTTL: time.Minute, Now: func() time.Time { return now }})
	obj, err := s.SaveVideo(t.Context(), bytes.NewReader(append(ftyp("isom"), moov(0, 1, 1)...)))
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.VideoURL(t.Context(), obj.Key)
	if err != nil {
		t.Fatal(err)
	}
	h := handler(s.Store)
	serve := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, link, nil))
		return rec.Code
	}
	if code := serve(); code != http.StatusOK {
		t.Fatalf("fresh link: %d", code)
	}
	now = now.Add(59 * time.Second)
	if code := serve(); code != http.StatusOK {
		t.Fatalf("link after 59 s: %d", code)
	}
	now = now.Add(time.Second)
	if code := serve(); code != http.StatusForbidden {
		t.Fatalf("link after the TTL: %d, want 403", code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

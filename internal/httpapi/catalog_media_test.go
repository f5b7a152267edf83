package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// TestCatalogGatedPlayback: a lecture's video URL is given to the owner,
// admins, enrolled users, and to anyone for previews; the signed URL serves
// the video (with Range), and forged or altered links are refused.
func TestCatalogGatedPlayback(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner, other, student, enrolled, admin := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.signUp(t, "student"), s.admin(t)
	c := s.createCourse(t, owner.Token, nil)
	id := c["_id"].(string)
	preview := catalogVideo(12.5)
	locked := formFile{field: "video", name: "l.mp4", contentType: "video/mp4", data: mp4File(7, 4096)}
	resp := s.sendForm(t, http.MethodPost, catalogCourses+"/"+id+"/lectures", owner.Token, map[string]string{"title": "Preview", "order": "1", "isPreview": "true"}, preview)
	previewID := apptest.Object(t, wantOK(t, resp, http.StatusCreated, ""), "lecture")["_id"].(string)
	resp = s.sendForm(t, http.MethodPost, catalogCourses+"/"+id+"/lectures", owner.Token, map[string]string{"title": "Paid", "order": "2"}, locked)
	lockedID := apptest.Object(t, wantOK(t, resp, http.StatusCreated, ""), "lecture")["_id"].(string)
	s.publish(t, owner.Token, id)
	s.Enrol(t, enrolled.ID, id)

	// lectures returns the lectures of the course page and of the lectures
	// list as token's user, checking that both agree.
	lectures := func(t *testing.T, token string) map[string]map[string]any {
		t.Helper()
		page := objects(t, s.getCourse(t, token, id), "lectures")
		resp := s.Do(t, http.MethodGet, catalogCourses+"/"+id+"/lectures", nil, token)
		list := objects(t, wantOK(t, resp, http.StatusOK, ""), "data")
		if len(page) != 2 || len(list) != 2 {
			t.Fatalf("%d lectures on the page, %d listed; want 2", len(page), len(list))
		}
		out := map[string]map[string]any{}
		for i := range page {
			wantKeys(t, "lecture", page[i], catalogLectureKeys...)
			if page[i]["_id"] != list[i]["_id"] || page[i]["locked"] != list[i]["locked"] || (page[i]["videoUrl"] == nil) != (list[i]["videoUrl"] == nil) {
				t.Errorf("course page and lecture list disagree: %v vs %v", page[i], list[i])
			}
			out[page[i]["_id"].(string)] = page[i]
		}
		return out
	}

	for _, v := range []struct {
		who, token string
		watchesAll bool
	}{
		{"anonymous", "", false}, {"student", student.Token, false}, {"other instructor", other.Token, false},
		{"enrolled student", enrolled.Token, true}, {"owner", owner.Token, true}, {"admin", admin.Token, true},
	} {
		t.Run(v.who, func(t *testing.T) {
			ls := lectures(t, v.token)
			p, l := ls[previewID], ls[lockedID]
			if p["locked"] != false || p["videoUrl"] == nil {
				t.Errorf("preview lecture: locked %v videoUrl %v; want a URL for everyone", p["locked"], p["videoUrl"])
			}
			if v.watchesAll {
				if l["locked"] != false || l["videoUrl"] == nil {
					t.Errorf("paid lecture: locked %v videoUrl %v; want a URL", l["locked"], l["videoUrl"])
				}
			} else if l["locked"] != true || l["videoUrl"] != nil {
				t.Errorf("paid lecture: locked %v videoUrl %v; want locked with null URL", l["locked"], l["videoUrl"])
			}
			for _, lec := range []map[string]any{p, l} {
				if lec["duration"] != map[string]any{previewID: 12.5, lockedID: 7.0}[lec["_id"].(string)] {
					t.Errorf("lecture %v duration %v", lec["title"], lec["duration"])
				}
			}
		})
	}
	// The JSON really says null, not a missing key or "".
	raw := s.Do(t, http.MethodGet, catalogCourses+"/"+id+"/lectures", nil, "")
	if !bytes.Contains(raw.Body, []byte(`"videoUrl":null`)) || !bytes.Contains(raw.Body, []byte(`"locked":true`)) {
		t.Errorf("anonymous lecture list does not show videoUrl null / locked true: %s", raw.Body)
	}

	videoURL := lectures(t, enrolled.Token)[lockedID]["videoUrl"].(string)
	u, err := url.Parse(videoURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Get("exp") == "" || u.Query().Get("sig") == "" || !strings.HasPrefix(u.Path, "/media/videos/") {
		t.Fatalf("video URL %q is not a signed /media/videos/ URL", videoURL)
	}

	t.Run("signed URL", func(t *testing.T) {
		resp := s.fetch(t, videoURL, nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, locked.data) {
			t.Fatalf("GET video: status %d, %d bytes; want 200 with the %d uploaded bytes", resp.StatusCode, len(resp.Body), len(locked.data))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "video/mp4" {
			t.Errorf("Content-Type %q, want video/mp4", ct)
		}
		if resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("Accept-Ranges %q, want bytes", resp.Header.Get("Accept-Ranges"))
		}
		// Anyone holding the link may play it (the SPA's <video> sends no
		// credentials of ours); no cookie needed.
		resp = s.fetch(t, videoURL, http.Header{"Range": {"bytes=0-9"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(resp.Body, locked.data[:10]) {
			t.Fatalf("Range 0-9: status %d body %x; want 206 with the first 10 bytes", resp.StatusCode, resp.Body)
		}
		if cr := resp.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes 0-9/%d", len(locked.data)) {
			t.Errorf("Content-Range %q", cr)
		}
		n := len(locked.data)
		resp = s.fetch(t, videoURL, http.Header{"Range": {"bytes=" + strconv.Itoa(n-5) + "-"}})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(resp.Body, locked.data[n-5:]) {
			t.Errorf("open-ended range: status %d body %x", resp.StatusCode, resp.Body)
		}
		resp = s.fetch(t, videoURL, http.Header{"Range": {"bytes=" + strconv.Itoa(n+10) + "-"}})
		if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("range past the end: status %d, want 416", resp.StatusCode)
		}
		head := s.NewRequest(t, http.MethodHead, u.RequestURI(), nil).Send(t)
		if head.StatusCode != http.StatusOK || head.Header.Get("Content-Length") != strconv.Itoa(n) {
			t.Errorf("HEAD: status %d length %q", head.StatusCode, head.Header.Get("Content-Length"))
		}
	})

	t.Run("forged or altered", func(t *testing.T) {
		q := u.Query()
		exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
		sig := q.Get("sig")
		flipped := []byte(sig)
		flipped[0] ^= 1
		if flipped[0] == '-' || flipped[0] == '_' {
			flipped[0] = 'A'
		}
		otherVideo := lectures(t, owner.Token)[previewID]["videoUrl"].(string)
		ou, _ := url.Parse(otherVideo)
		for name, link := range map[string]string{
			"flipped signature":      u.Path + "?" + url.Values{"exp": {q.Get("exp")}, "sig": {string(flipped)}}.Encode(),
			"forged signature":       u.Path + "?" + url.Values{"exp": {q.Get("exp")}, "sig": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}.Encode(),
			"no signature":           u.Path + "?exp=" + q.Get("exp"),
			"no query":               u.Path,
			"extended expiry":        u.Path + "?" + url.Values{"exp": {strconv.FormatInt(exp+3600, 10)}, "sig": {sig}}.Encode(),
			"past expiry":            u.Path + "?" + url.Values{"exp": {strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)}, "sig": {sig}}.Encode(),
			"padded expiry":          u.Path + "?" + url.Values{"exp": {"0" + q.Get("exp")}, "sig": {sig}}.Encode(),
			"other video's sig":      ou.Path + "?" + u.RawQuery,
			"signature on the other": u.Path + "?" + ou.RawQuery,
		} {
			resp := s.NewRequest(t, http.MethodGet, link, nil).WithHeader("Range", "bytes=0-9").Send(t)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", name, resp.StatusCode)
				continue
			}
			apptest.WantError(t, resp, http.StatusForbidden, catalogMsgBadMediaLink)
		}
	})

	t.Run("preview flag follows updates", func(t *testing.T) {
		resp := s.Do(t, http.MethodPatch, catalogCourses+"/"+id+"/lectures/"+lockedID, map[string]bool{"isPreview": true}, owner.Token)
		wantOK(t, resp, http.StatusOK, "Lecture updated successfully")
		resp = s.Do(t, http.MethodPatch, catalogCourses+"/"+id+"/lectures/"+previewID, map[string]bool{"isPreview": false}, owner.Token)
		wantOK(t, resp, http.StatusOK, "Lecture updated successfully")
		ls := lectures(t, "")
		if ls[lockedID]["videoUrl"] == nil || ls[lockedID]["locked"] != false || ls[previewID]["videoUrl"] != nil || ls[previewID]["locked"] != true {
			t.Errorf("after swapping previews, anonymous sees %v and %v", ls[lockedID], ls[previewID])
		}
		if ls := lectures(t, enrolled.Token); ls[previewID]["videoUrl"] == nil || ls[lockedID]["videoUrl"] == nil {
			t.Errorf("enrolled student lost a video: %v", ls)
		}
	})

	t.Run("images are public", func(t *testing.T) {
		resp := s.fetch(t, c["thumbnail"].(string), nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
			t.Errorf("thumbnail: status %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, p := range []string{"/media/images/../videos/x.mp4", "/media/images/nothere.png", "/media/../../etc/passwd", "/media/videos/" + strings.Repeat("0", 32) + ".mp4?exp=1&sig=x"} {
			resp := s.NewRequest(t, http.MethodGet, p, nil).Send(t)
			if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s: status %d, want 404 or 403", p, resp.StatusCode)
			}
		}
	})
}

// TestCatalogExpiredVideoURL: a signed URL stops working after MEDIA_URL_TTL.
func TestCatalogExpiredVideoURL(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MEDIA_URL_TTL": "1s"})
	owner := s.signUp(t, "instructor")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)
	l := s.addLecture(t, owner.Token, id, "Soon gone", 1, true, 3)
	link := l["videoUrl"].(string)
	waitUntilExpired(t, link)
	apptest.WantError(t, s.fetch(t, link, nil), http.StatusForbidden, catalogMsgBadMediaLink)
	apptest.WantError(t, s.fetch(t, link, http.Header{"Range": {"bytes=0-9"}}), http.StatusForbidden, catalogMsgBadMediaLink)
	// A fresh page gives a fresh link.
	fresh := objects(t, s.getCourse(t, owner.Token, id), "lectures")[0]["videoUrl"].(string)
	if resp := s.fetch(t, fresh, http.Header{"Range": {"bytes=0-9"}}); resp.StatusCode != http.StatusPartialContent && resp.StatusCode != http.StatusForbidden {
		t.Errorf("fresh link: status %d", resp.StatusCode)
	}
}

// waitUntilExpired waits until a signed media link of a 1 s MEDIA_URL_TTL
// has expired.
func waitUntilExpired(t *testing.T, link string) {
	t.Helper()
	u, _ := url.Parse(link)
	exp, err := strconv.ParseInt(u.Query().Get("exp"), 10, 64)
	if err != nil || exp > time.Now().Add(2*time.Second).Unix() {
		t.Fatalf("exp %q, want within the 1 s TTL", u.Query().Get("exp"))
	}
	time.Sleep(time.Until(time.Unix(exp, 0)) + 1100*time.Millisecond)
}

// TestCatalogUploadTypes: types are checked by content, not by name or
// declared type.
func TestCatalogUploadTypes(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner := s.signUp(t, "instructor")
	c := s.createCourse(t, owner.Token, nil)
	id := c["_id"].(string)
	l := s.addLecture(t, owner.Token, id, "L", 1, false, 5)
	files := s.mediaFiles(t)

	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
	png := pngImage(t, 8, 8, false)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		fields map[string]string
		file   formFile
	}{
		{"HTML as PNG thumbnail", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "cover.png", "image/png", html}},
		{"SVG thumbnail", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "cover.svg", "image/svg+xml", svg}},
		{"MP4 as thumbnail", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "cover.png", "image/png", mp4File(1, 64)}},
		{"empty thumbnail", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "cover.png", "image/png", nil}},
		{"HTML as PNG on update", http.MethodPatch, catalogCourses + "/" + id, nil, formFile{"thumbnail", "cover.png", "image/png", html}},
		{"PNG as MP4 video", http.MethodPost, catalogCourses + "/" + id + "/lectures", map[string]string{"title": "T", "order": "2"}, formFile{"video", "v.mp4", "video/mp4", png}},
		{"HTML as MP4 video", http.MethodPost, catalogCourses + "/" + id + "/lectures", map[string]string{"title": "T", "order": "2"}, formFile{"video", "v.mp4", "video/mp4", html}},
		{"PNG as MP4 on update", http.MethodPatch, catalogCourses + "/" + id + "/lectures/" + l["_id"].(string), nil, formFile{"video", "v.mp4", "video/mp4", png}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.sendForm(t, tc.method, tc.path, owner.Token, tc.fields, tc.file)
			apptest.WantError(t, resp, http.StatusBadRequest, catalogMsgBadType)
		})
	}
	s.wantMediaFiles(t, files)
	d := s.getCourse(t, owner.Token, id)
	if d["thumbnail"] != c["thumbnail"] || d["totalLectures"] != 1.0 || d["totalDuration"] != 5.0 {
		t.Errorf("course changed by refused uploads: %v", d)
	}
	if n := s.Count(t, "courses", bson.M{}); n != 1 {
		t.Errorf("%d courses, want 1", n)
	}

	// A real WebM and a real GIF are accepted (content decides, not the name).
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	resp := s.sendForm(t, http.MethodPatch, catalogCourses+"/"+id, owner.Token, nil, formFile{"thumbnail", "cover.png", "image/png", gif})
	got := apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "course")
	if th, _ := got["thumbnail"].(string); !strings.HasSuffix(th, ".gif") {
		t.Errorf("GIF thumbnail stored as %q", th)
	}
}

// TestCatalogOversizedUploads: over MAX_IMAGE_BYTES / MAX_VIDEO_BYTES is
// 413 and stores nothing; exactly at the cap is fine.
func TestCatalogOversizedUploads(t *testing.T) {
	t.Parallel()
	const imageCap, videoCap = 2048, 8192
	s := catalogStart(t, map[string]string{"MAX_IMAGE_BYTES": strconv.Itoa(imageCap), "MAX_VIDEO_BYTES": strconv.Itoa(videoCap)})
	owner := s.signUp(t, "instructor")
	c := s.createCourse(t, owner.Token, nil)
	id := c["_id"].(string)
	l := s.addLecture(t, owner.Token, id, "L", 1, false, 5)
	files := s.mediaFiles(t)

	pad := func(b []byte, n int) []byte { return append(append([]byte(nil), b...), make([]byte, n-len(b))...) }
	bigPNG := pad(pngImage(t, 8, 8, false), imageCap+1)
	hugePNG := pad(pngImage(t, 8, 8, false), 200<<10)
	bigMP4 := mp4File(9, videoCap+1-len(mp4File(9, 0)))
	hugeMP4 := mp4File(9, 200<<10)
	if len(bigMP4) != videoCap+1 {
		t.Fatalf("bigMP4 is %d bytes", len(bigMP4))
	}
	for _, tc := range []struct {
		name, method, path string
		fields             map[string]string
		file               formFile
	}{
		{"thumbnail one byte over", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "a.png", "image/png", bigPNG}},
		{"thumbnail far over", http.MethodPost, catalogCourses, catalogCourseFields(nil), formFile{"thumbnail", "a.png", "image/png", hugePNG}},
		{"thumbnail on update", http.MethodPatch, catalogCourses + "/" + id, map[string]string{"title": "x"}, formFile{"thumbnail", "a.png", "image/png", bigPNG}},
		{"video one byte over", http.MethodPost, catalogCourses + "/" + id + "/lectures", map[string]string{"title": "T", "order": "2"}, formFile{"video", "v.mp4", "video/mp4", bigMP4}},
		{"video far over", http.MethodPost, catalogCourses + "/" + id + "/lectures", map[string]string{"title": "T", "order": "2"}, formFile{"video", "v.mp4", "video/mp4", hugeMP4}},
		{"video on update", http.MethodPatch, catalogCourses + "/" + id + "/lectures/" + l["_id"].(string), nil, formFile{"video", "v.mp4", "video/mp4", bigMP4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.sendForm(t, tc.method, tc.path, owner.Token, tc.fields, tc.file)
			apptest.WantError(t, resp, http.StatusRequestEntityTooLarge, catalogMsgTooLarge)
			s.wantMediaFiles(t, files)
		})
	}
	d := s.getCourse(t, owner.Token, id)
	if d["title"] != c["title"] || d["thumbnail"] != c["thumbnail"] || d["totalLectures"] != 1.0 || d["totalDuration"] != 5.0 {
		t.Errorf("course changed by refused uploads: %v", d)
	}

	// Exactly at the caps: accepted.
	resp := s.sendForm(t, http.MethodPatch, catalogCourses+"/"+id, owner.Token, nil, formFile{"thumbnail", "a.png", "image/png", pad(pngImage(t, 8, 8, false), imageCap)})
	wantOK(t, resp, http.StatusOK, "Course updated successfully")
	resp = s.sendForm(t, http.MethodPost, catalogCourses+"/"+id+"/lectures", owner.Token, map[string]string{"title": "Max", "order": "2"},
		formFile{"video", "v.mp4", "video/mp4", mp4File(9, videoCap-len(mp4File(9, 0)))})
	got := apptest.Object(t, wantOK(t, resp, http.StatusCreated, ""), "lecture")
	if got["duration"] != 9.0 {
		t.Errorf("duration %v, want 9", got["duration"])
	}
}

// TestCatalogTruncatedUploads sends forms whose body breaks off inside the
// file: that is the client's fault (400), not a server error, and nothing
// stays in storage.
func TestCatalogTruncatedUploads(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner := s.signUp(t, "instructor")
	c := s.createCourse(t, owner.Token, nil)
	id := c["_id"].(string)
	files := s.mediaFiles(t)
	for _, tc := range []struct {
		name, path string
		fields     map[string]string
		file       formFile
	}{
		{"thumbnail", catalogCourses, catalogCourseFields(nil), catalogThumb(t)},
		{"video", catalogCourses + "/" + id + "/lectures", map[string]string{"title": "T", "order": "1"}, catalogVideo(10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := multipartForm(t, tc.fields, tc.file)
			body = body[:len(body)-len("\r\n--")-60] // cut inside the file, before its closing boundary
			resp := s.NewRequest(t, http.MethodPost, tc.path, body).WithHeader("Content-Type", ct).WithCookie(owner.Token).Send(t)
			apptest.WantError(t, resp, http.StatusBadRequest, "Malformed multipart body")
			s.wantMediaFiles(t, files)
		})
	}
}

// TestCatalogSlowUploadGetsItsAnswer runs the handler behind a server with
// the short read and write timeouts of production and uploads a video more
// slowly than they allow: the upload's own deadline applies to reading the
// body and to writing the answer, so the client learns the lecture exists.
func TestCatalogSlowUploadGetsItsAnswer(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner := s.signUp(t, "instructor")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)

	srv := httptest.NewUnstartedServer(s.App.Handler)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = time.Second, time.Second
	srv.Start()
	t.Cleanup(srv.Close)

	body, ct := multipartStream(map[string]string{"title": "Slow", "order": "1"},
		formFile{field: "video", name: "v.mp4", contentType: "video/mp4"},
		&slowReader{r: bytes.NewReader(mp4File(10, 1024)), chunk: 128, pause: 200 * time.Millisecond})
	req, err := http.NewRequest(http.MethodPost, srv.URL+catalogCourses+"/"+id+"/lectures", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.AddCookie(&http.Cookie{Name: "token", Value: owner.Token})
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("slow upload got no answer after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("slow upload: status %d: %s", resp.StatusCode, b)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("upload took %v; the test needs it slower than the timeouts", time.Since(start))
	}
}

// slowReader reads at most chunk bytes at a time, pausing before each read.
type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), s.chunk)])
}

// TestCatalogLargeVideoUpload streams a ~300 MiB generated MP4 through the
// API and checks that memory stayed flat: the upload is never held whole.
// It does not run in parallel, so that its memory readings are its own.
func TestCatalogLargeVideoUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("large upload skipped in -short mode")
	}
	s := catalogStart(t, map[string]string{"MAX_VIDEO_BYTES": strconv.Itoa(1 << 30)})
	owner := s.signUp(t, "instructor")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)

	const mdat = 300 << 20
	const seconds = 3723.5
	video, size := mp4Stream(seconds, mdat)

	pr, contentType := multipartStream(map[string]string{"title": "Large", "order": "1"},
		formFile{field: "video", name: "big.mp4", contentType: "video/mp4"}, video)

	// Sample the heap while the upload runs.
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			peak = max(peak, m.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})

	req, err := http.NewRequest(http.MethodPost, s.URL+catalogCourses+"/"+id+"/lectures", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.AddCookie(&http.Cookie{Name: "token", Value: owner.Token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	close(done)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: status %d, body %s", resp.StatusCode, body)
	}
	var m struct {
		Lecture struct {
			Duration float64 `json:"duration"`
			VideoURL string  `json:"videoUrl"`
		} `json:"lecture"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m.Lecture.Duration != seconds {
		t.Errorf("duration %v, want %v (read from moov after the mdat)", m.Lecture.Duration, seconds)
	}
	const bound = 64 << 20
	allocated := after.TotalAlloc - before.TotalAlloc
	grown := int64(peak) - int64(before.HeapInuse)
	t.Logf("uploaded %d MiB: allocated %.1f MiB, heap in use grew by at most %.1f MiB", size>>20, float64(allocated)/(1<<20), float64(grown)/(1<<20))
	if allocated > bound {
		t.Errorf("the upload allocated %d MiB, want < %d MiB: it is being buffered", allocated>>20, bound>>20)
	}
	if grown > bound {
		t.Errorf("heap in use grew by %d MiB, want < %d MiB", grown>>20, bound>>20)
	}

	// Stored whole, served with Range, counted in the totals.
	info := s.fetch(t, m.Lecture.VideoURL, http.Header{"Range": {fmt.Sprintf("bytes=%d-", size-8)}})
	if info.StatusCode != http.StatusPartialContent || info.Header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", size-8, size-1, size) {
		t.Errorf("tail range: status %d, Content-Range %q; want the last 8 of %d bytes", info.StatusCode, info.Header.Get("Content-Range"), size)
	}
	if d := s.getCourse(t, owner.Token, id); d["totalDuration"] != seconds || d["totalLectures"] != 1.0 {
		t.Errorf("course totals %v / %v", d["totalLectures"], d["totalDuration"])
	}
	// Only the stored video (and the thumbnail) remain: no temp file.
	for _, f := range s.mediaFiles(t) {
		if strings.HasPrefix(f, "tmp/") {
			t.Errorf("temp file left behind: %s", f)
		}
	}
}

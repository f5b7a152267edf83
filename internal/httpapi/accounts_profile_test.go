package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
)

func TestAccountsProfile(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")

	m := wantOK(t, s.call(t, http.MethodGet, acctProfile, nil, ada.Token), http.StatusOK, "")
	data := apptest.Object(t, m, "data")
	if data["_id"] != ada.ID || data["email"] != "ada@example.com" || data["totalEnrolledCourses"] != float64(0) {
		t.Errorf("profile %v", data)
	}
	if ec, ok := data["enrolledCourses"].([]any); !ok || len(ec) != 0 {
		t.Errorf("enrolledCourses %v, want []", data["enrolledCourses"])
	}

	t.Run("enrolled courses populated", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Millisecond)
		var c1, c2 string
		for i, id := range []*string{&c1, &c2} {
			*id = s.SeedCourse(t, course.Course{
				Title: []string{"Go", "Rust"}[i], Description: "desc", Category: "dev", Price: 10, CreatedAt: now,
			}).ID
		}
		gone := primitive.NewObjectID().Hex()
		for _, id := range []string{c1, gone, c2} {
			s.EnrolAt(t, ada.ID, id, now)
		}
		data := apptest.Object(t, wantOK(t, s.call(t, http.MethodGet, acctProfile, nil, ada.Token), http.StatusOK, ""), "data")
		ec, _ := data["enrolledCourses"].([]any)
		if len(ec) != 2 || data["totalEnrolledCourses"] != float64(2) {
			t.Fatalf("enrolledCourses %v, total %v: want the 2 existing courses", data["enrolledCourses"], data["totalEnrolledCourses"])
		}
		for i, want := range []struct{ id, title string }{{c1, "Go"}, {c2, "Rust"}} {
			e := ec[i].(map[string]any)
			c, ok := e["course"].(map[string]any)
			if !ok || c["_id"] != want.id || c["title"] != want.title || c["description"] != "desc" {
				t.Errorf("entry %d: %v, want course %s %s populated", i, e, want.id, want.title)
			}
			if _, ok := c["thumbnail"]; !ok || len(c) != 4 {
				t.Errorf("entry %d: course keys of %v, want _id title thumbnail description", i, c)
			}
			if at, err := time.Parse(time.RFC3339Nano, e["enrolledAt"].(string)); err != nil || !at.Equal(now) {
				t.Errorf("entry %d: enrolledAt %v, want %v", i, e["enrolledAt"], now)
			}
		}
	})
}

func TestAccountsUpdateProfileJSON(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")

	resp := s.call(t, http.MethodPatch, acctProfile, map[string]string{"name": "  Ada L. ", "bio": " Counts things. "}, ada.Token)
	data := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Profile updated successfully"), "data")
	if data["name"] != "Ada L." || data["bio"] != "Counts things." || data["email"] != "ada@example.com" || data["role"] != "student" {
		t.Errorf("updated profile %v", data)
	}
	resp = s.call(t, http.MethodPatch, acctProfile, map[string]string{"bio": ""}, ada.Token)
	if data := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Profile updated successfully"), "data"); data["bio"] != "" || data["name"] != "Ada L." {
		t.Errorf("after clearing bio: %v", data)
	}

	wantValidation(t, s.call(t, http.MethodPatch, acctProfile, map[string]string{"name": "A", "bio": strings.Repeat("b", 201)}, ada.Token), "name", "bio")
	apptest.WantError(t, s.call(t, http.MethodPatch, acctProfile, map[string]string{}, ada.Token), http.StatusBadRequest, "Nothing to update: send name, bio or avatar")

	// Only name and bio: anything else is refused, in any spelling.
	for _, body := range []string{
		`{"role":"admin"}`,
		`{"name":"Ada","role":"instructor"}`,
		`{"ROLE":"admin"}`,
		`{"email":"mallory@example.com"}`,
		`{"Email":"mallory@example.com"}`,
		`{"tokenVersion":0}`,
		`{"password":"new password 1"}`,
		`{"enrolledCourses":[{"course":"0123456789abcdef01234567"}]}`,
		`{"avatar":"images/0123456789abcdef0123456789abcdef.png"}`,
		`{"name":{"$set":{"role":"admin"}}}`,
	} {
		resp := s.send(t, s.NewRequest(t, http.MethodPatch, acctProfile, body).WithHeader("Content-Type", "application/json").WithCookie(ada.Token))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400; body %s", body, resp.StatusCode, resp.Body)
		}
	}
	doc := s.userDoc(t, "ada@example.com")
	if doc["role"] != "student" || doc["name"] != "Ada L." || doc["avatar"] != "" || doc["tokenVersion"] != int64(0) {
		t.Errorf("stored user changed by refused updates: %v", doc)
	}
}

// patchProfile sends a multipart profile update.
func (s *acctServer) patchProfile(t *testing.T, token string, body []byte, contentType string) *apptest.Response {
	t.Helper()
	return s.send(t, s.NewRequest(t, http.MethodPatch, acctProfile, body).WithHeader("Content-Type", contentType).WithCookie(token))
}

// storedImages lists the files under DATA_DIR/media/images.
func (s *acctServer) storedImages(t *testing.T) []string {
	t.Helper()
	return s.filesIn(t, "media", "images")
}

// tempFiles lists what uploads left in DATA_DIR/tmp.
func (s *acctServer) tempFiles(t *testing.T) []string {
	t.Helper()
	return s.filesIn(t, "tmp")
}

// filesIn lists the names in a directory under DATA_DIR.
func (s *acctServer) filesIn(t *testing.T, dir ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(append([]string{s.App.Config.DataDir}, dir...)...))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// fetchMedia GETs the path of a media URL from the test server.
func (s *acctServer) fetchMedia(t *testing.T, mediaURL string) *apptest.Response {
	t.Helper()
	u, err := url.Parse(mediaURL)
	if err != nil || !strings.HasPrefix(u.Path, "/media/images/") {
		t.Fatalf("avatar URL %q is not a /media/images/ URL", mediaURL)
	}
	return s.NewRequest(t, http.MethodGet, u.Path, nil).Send(t)
}

func TestAccountsAvatar(t *testing.T) {
	s := acctStart(t, map[string]string{"MAX_IMAGE_BYTES": "20000"})
	ada := s.signUp(t, "Ada", "ada@example.com", "")

	first := pngImage(t, 16, 16, false)
	body, ct := multipartForm(t, map[string]string{"name": "Ada Avatar", "bio": "hi"}, formFile{"avatar", "me.png", "image/png", first})
	data := apptest.Object(t, wantOK(t, s.patchProfile(t, ada.Token, body, ct), http.StatusOK, "Profile updated successfully"), "data")
	if data["name"] != "Ada Avatar" || data["bio"] != "hi" {
		t.Errorf("profile %v", data)
	}
	firstURL, _ := data["avatar"].(string)
	resp := s.fetchMedia(t, firstURL)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(resp.Body, first) {
		t.Fatalf("GET avatar: status %d, Content-Type %q, %d bytes (want 200, image/png, the upload)", resp.StatusCode, resp.Header.Get("Content-Type"), len(resp.Body))
	}
	if files := s.storedImages(t); len(files) != 1 || !strings.HasSuffix(firstURL, files[0]) || strings.Contains(files[0], "me") {
		t.Errorf("stored images %v for avatar %s, want one generated name", files, firstURL)
	}
	if got := apptest.Object(t, wantOK(t, s.call(t, http.MethodGet, acctProfile, nil, ada.Token), http.StatusOK, ""), "data")["avatar"]; got != firstURL {
		t.Errorf("profile avatar %v, want %s", got, firstURL)
	}

	t.Run("replaced avatar is removed", func(t *testing.T) {
		second := pngImage(t, 8, 8, false)
		body, ct := multipartForm(t, nil, formFile{"avatar", "x.gif", "image/gif", second}) // the name and type claimed do not matter
		data := apptest.Object(t, wantOK(t, s.patchProfile(t, ada.Token, body, ct), http.StatusOK, "Profile updated successfully"), "data")
		secondURL, _ := data["avatar"].(string)
		if secondURL == firstURL || !strings.HasSuffix(secondURL, ".png") || data["name"] != "Ada Avatar" {
			t.Fatalf("profile after replacing: %v", data)
		}
		if resp := s.fetchMedia(t, secondURL); resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, second) {
			t.Errorf("GET new avatar: %d", resp.StatusCode)
		}
		if resp := s.fetchMedia(t, firstURL); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET replaced avatar: status %d, want 404", resp.StatusCode)
		}
		if files := s.storedImages(t); len(files) != 1 || !strings.HasSuffix(secondURL, files[0]) {
			t.Errorf("stored images %v, want only %s", files, secondURL)
		}
		firstURL = secondURL
	})

	t.Run("HTML disguised as PNG", func(t *testing.T) {
		for _, content := range [][]byte{
			[]byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"),
			[]byte("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"),
			append([]byte("\x89PNX\r\n\x1a\n"), first[8:]...), // a broken signature
			{},
		} {
			body, ct := multipartForm(t, map[string]string{"name": "Mallory"}, formFile{"avatar", "cat.png", "image/png", content})
			apptest.WantError(t, s.patchProfile(t, ada.Token, body, ct), http.StatusBadRequest, "Unsupported file type")
		}
	})

	t.Run("oversized", func(t *testing.T) {
		big := pngImage(t, 100, 100, true)
		if len(big) <= 20000 {
			t.Fatalf("setup: PNG of %d bytes is not over the cap", len(big))
		}
		body, ct := multipartForm(t, map[string]string{"bio": "too big"}, formFile{"avatar", "big.png", "image/png", big})
		resp := s.patchProfile(t, ada.Token, body, ct)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413; body %s", resp.StatusCode, resp.Body)
		}
		if m := resp.JSON(t); m["status"] != "fail" || m["message"] == "" {
			t.Errorf("body %s", resp.Body)
		}
	})

	t.Run("other fields are refused", func(t *testing.T) {
		for _, fields := range []map[string]string{{"role": "admin"}, {"email": "m@example.com"}, {"ROLE": "admin"}, {"tokenVersion": "0"}} {
			body, ct := multipartForm(t, fields, formFile{"avatar", "ok.png", "image/png", pngImage(t, 4, 4, false)})
			resp := s.patchProfile(t, ada.Token, body, ct)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%v: status %d, want 400", fields, resp.StatusCode)
			}
		}
		// A file where a text field belongs, and a second avatar.
		body, ct := multipartForm(t, nil, formFile{"name", "name.png", "image/png", pngImage(t, 4, 4, false)})
		if resp := s.patchProfile(t, ada.Token, body, ct); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("file as name: status %d, want 400", resp.StatusCode)
		}
		avatar := formFile{"avatar", "a.png", "", pngImage(t, 4, 4, false)}
		body, ct = multipartForm(t, nil, avatar, avatar)
		if resp := s.patchProfile(t, ada.Token, body, ct); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("two avatars: status %d, want 400", resp.StatusCode)
		}
		// A valid avatar with an invalid name is not kept either.
		body, ct = multipartForm(t, map[string]string{"name": "A"}, formFile{"avatar", "ok.png", "image/png", pngImage(t, 4, 4, false)})
		wantValidation(t, s.patchProfile(t, ada.Token, body, ct), "name")
	})

	// Nothing that failed left a file behind or changed the account.
	if files := s.storedImages(t); len(files) != 1 || !strings.HasSuffix(firstURL, files[0]) {
		t.Errorf("stored images %v, want only the current avatar %s", files, firstURL)
	}
	if tmp := s.tempFiles(t); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	doc := s.userDoc(t, "ada@example.com")
	if doc["name"] != "Ada Avatar" || doc["bio"] != "hi" || doc["role"] != "student" || doc["email"] != "ada@example.com" {
		t.Errorf("stored user %v", doc)
	}

	t.Run("not logged in", func(t *testing.T) {
		body, ct := multipartForm(t, nil, formFile{"avatar", "ok.png", "image/png", first})
		apptest.WantError(t, s.patchProfile(t, "", body, ct), http.StatusUnauthorized, acctNotLoggedIn)
		if files := s.storedImages(t); len(files) != 1 {
			t.Errorf("stored images %v after an anonymous upload", files)
		}
	})
}

// TestAccountsAvatarStreamsOversized checks that an upload far over the cap
// is cut off: the answer is 413 and nothing is kept, without the service
// reading the whole body first.
func TestAccountsAvatarStreamsOversized(t *testing.T) {
	s := acctStart(t, map[string]string{"MAX_IMAGE_BYTES": "1024"})
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	head := pngImage(t, 4, 4, false)
	content := io.MultiReader(bytes.NewReader(head), io.LimitReader(zeroReader{}, 16<<20)) // 16 MiB, far past the cap
	pr, contentType := multipartStream(nil, formFile{field: "avatar", name: "huge.png"}, content)
	req := s.NewRequest(t, http.MethodPatch, acctProfile, pr).WithHeader("Content-Type", contentType).WithCookie(ada.Token)
	resp, err := http.DefaultTransport.RoundTrip(req.Request)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	acctCheckBody(t, b)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413; body %s", resp.StatusCode, b)
	}
	if files := s.storedImages(t); len(files) != 0 {
		t.Errorf("stored images %v", files)
	}
	if tmp := s.tempFiles(t); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

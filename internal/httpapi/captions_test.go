package httpapi_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
)

const srtCaptions = "1\r\n00:00:00,500 --> 00:00:02,000\r\nHello.\r\n\r\n2\r\n00:00:02,500 --> 00:00:04,000\r\nOlá!\r\n"

// captionFile is a caption file part.
func captionFile(data string) formFile {
	return formFile{field: "file", name: "captions.srt", contentType: "application/x-subrip", data: []byte(data)}
}

// uploadCaption posts a caption track for a lecture.
func (s *catalogServer) uploadCaption(t testing.TB, token, courseID, lectureID, language, label string, file formFile) *apptest.Response {
	t.Helper()
	return s.sendForm(t, http.MethodPost, catalogCourses+"/"+courseID+"/lectures/"+lectureID+"/captions", token,
		map[string]string{"language": language, "label": label}, file)
}

// captionsOf returns the captions of a lecture of a lectures list by id.
func captionsOf(t testing.TB, lectures []map[string]any, lectureID string) []any {
	t.Helper()
	for _, l := range lectures {
		if l["_id"] == lectureID {
			c, _ := l["captions"].([]any)
			return c
		}
	}
	t.Fatalf("no lecture %s", lectureID)
	return nil
}

// Captions are listed with the lecture for everyone who sees it, with a
// URL exactly where the video has one; the URL serves WebVTT.
func TestCaptionsGatedLikeTheVideo(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	owner, other, student, buyer := s.signUp(t, "instructor"), s.signUp(t, "instructor"), s.signUp(t, "student"), s.signUp(t, "student")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)
	paid := s.addLecture(t, owner.Token, id, "Paid", 1, false, 4)["_id"].(string)
	preview := s.addLecture(t, owner.Token, id, "Preview", 2, true, 4)["_id"].(string)
	plain := s.addLecture(t, owner.Token, id, "No captions", 3, false, 4)["_id"].(string)
	s.publish(t, owner.Token, id)
	s.Enrol(t, buyer.ID, id)

	resp := s.uploadCaption(t, owner.Token, id, paid, "pt-br", "Português", captionFile(srtCaptions))
	l := apptest.Object(t, wantOK(t, resp, http.StatusOK, "Captions saved successfully"), "lecture")
	wantKeys(t, "lecture", l, append(catalogLectureKeys, "captions")...)
	for _, lec := range []string{preview, paid} {
		wantOK(t, s.uploadCaption(t, owner.Token, id, lec, "en", "English", captionFile(srtCaptions)), http.StatusOK, "")
	}
	if resp := s.uploadCaption(t, other.Token, id, paid, "de", "Deutsch", captionFile(srtCaptions)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another instructor's upload: %d", resp.StatusCode)
	}

	for _, v := range []struct {
		who, token string
		watches    bool
	}{{"anonymous", "", false}, {"student", student.Token, false}, {"buyer", buyer.Token, true}, {"owner", owner.Token, true}} {
		t.Run(v.who, func(t *testing.T) {
			lectures := objects(t, s.getCourse(t, v.token, id), "lectures")
			listed := objects(t, wantOK(t, s.Do(t, http.MethodGet, catalogCourses+"/"+id+"/lectures", nil, v.token), http.StatusOK, ""), "data")
			for _, ls := range [][]map[string]any{lectures, listed} {
				if c := captionsOf(t, ls, plain); c != nil {
					t.Errorf("a lecture without captions lists %v", c)
				}
				pv := captionsOf(t, ls, preview)
				if len(pv) != 1 || pv[0].(map[string]any)["url"] == nil {
					t.Errorf("preview lecture captions %v, want one with a URL for everyone", pv)
				}
				tracks := captionsOf(t, ls, paid)
				if len(tracks) != 2 {
					t.Fatalf("paid lecture captions %v, want pt-BR and en", tracks)
				}
				for _, tr := range tracks {
					c := tr.(map[string]any)
					wantKeys(t, "caption", c, "language", "label", "url")
					if (c["url"] != nil) != v.watches {
						t.Errorf("%s track url %v, want one only for entitled viewers", c["language"], c["url"])
					}
				}
				if lang := tracks[0].(map[string]any)["language"]; lang != "pt-BR" {
					t.Errorf("language %v, want pt-BR", lang)
				}
			}
		})
	}

	tracks := captionsOf(t, objects(t, s.getCourse(t, buyer.Token, id), "lectures"), paid)
	link := tracks[0].(map[string]any)["url"].(string)
	got := s.fetch(t, link, nil)
	if got.StatusCode != http.StatusOK || got.Header.Get("Content-Type") != "text/vtt; charset=utf-8" {
		t.Fatalf("caption URL: %d %q", got.StatusCode, got.Header.Get("Content-Type"))
	}
	want := "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello.\n\n2\n00:00:02.500 --> 00:00:04.000\nOlá!\n"
	if string(got.Body) != want {
		t.Errorf("served\n%q\nwant the SRT converted\n%q", got.Body, want)
	}
	u, _ := url.Parse(link)
	q := u.Query()
	q.Set("exp", strconv.FormatInt(time.Now().Add(24*time.Hour).Unix(), 10))
	u.RawQuery = q.Encode()
	apptest.WantError(t, s.fetch(t, u.String(), nil), http.StatusForbidden, catalogMsgBadMediaLink)
	apptest.WantError(t, s.fetch(t, strings.Split(link, "?")[0], nil), http.StatusForbidden, catalogMsgBadMediaLink)

	// Replacing a language keeps one track and removes the old file;
	// deleting removes the track and its file.
	old := s.fileOf(t, link)
	wantOK(t, s.uploadCaption(t, owner.Token, id, paid, "PT-BR", "Português (Brasil)", captionFile("WEBVTT\n\n00:01.000 --> 00:02.000\nOi\n")), http.StatusOK, "")
	tracks = captionsOf(t, objects(t, s.getCourse(t, owner.Token, id), "lectures"), paid)
	if len(tracks) != 2 || tracks[1].(map[string]any)["label"] != "Português (Brasil)" || catalogExists(t, old) {
		t.Errorf("after replacing pt-BR: %v; old file kept %v", tracks, catalogExists(t, old))
	}
	newFile := s.fileOf(t, tracks[1].(map[string]any)["url"].(string))
	del := func(token, lang string) *apptest.Response {
		return s.Do(t, http.MethodDelete, catalogCourses+"/"+id+"/lectures/"+paid+"/captions/"+lang, nil, token)
	}
	if resp := del(other.Token, "pt-BR"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another instructor's delete: %d", resp.StatusCode)
	}
	wantOK(t, del(owner.Token, "pt-br"), http.StatusOK, "Captions removed successfully")
	apptest.WantError(t, del(owner.Token, "pt-BR"), http.StatusNotFound, "No captions in this language")
	if catalogExists(t, newFile) {
		t.Errorf("the deleted track's file is still stored")
	}
}

// An expired caption URL is refused, as an expired video URL is.
func TestCaptionsExpiredURL(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MEDIA_URL_TTL": "1s"})
	owner := s.signUp(t, "instructor")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)
	lecture := s.addLecture(t, owner.Token, id, "Soon gone", 1, true, 3)["_id"].(string)
	resp := s.uploadCaption(t, owner.Token, id, lecture, "en", "English", captionFile(srtCaptions))
	link := apptest.Object(t, wantOK(t, resp, http.StatusOK, ""), "lecture")["captions"].([]any)[0].(map[string]any)["url"].(string)
	waitUntilExpired(t, link)
	apptest.WantError(t, s.fetch(t, link, nil), http.StatusForbidden, catalogMsgBadMediaLink)
}

// Caption uploads are checked: text, a parsable file, the size cap, a
// well-formed language tag, a label; refused files are not kept.
func TestCaptionsRefusedUploads(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, map[string]string{"MAX_CAPTION_BYTES": "300"})
	owner := s.signUp(t, "instructor")
	id := s.createCourse(t, owner.Token, nil)["_id"].(string)
	lecture := s.addLecture(t, owner.Token, id, "L", 1, false, 3)["_id"].(string)
	before := s.mediaFiles(t)

	for _, tt := range []struct {
		name, language, label string
		file                  formFile
		status                int
		code                  string
	}{
		{"binary file", "en", "English", formFile{field: "file", name: "x.vtt", data: pngImage(t, 4, 4, false)}, http.StatusBadRequest, "unsupported_file_type"},
		{"not captions", "en", "English", captionFile("just some notes\nabout the lecture\n"), http.StatusBadRequest, "malformed_captions"},
		{"bad timing", "en", "English", captionFile("WEBVTT\n\n00:01.000 --> 00:00.500\nbackwards\n"), http.StatusBadRequest, "malformed_captions"},
		{"too large", "en", "English", captionFile("WEBVTT\n\n00:01.000 --> 00:02.000\n" + strings.Repeat("x", 300) + "\n"), http.StatusRequestEntityTooLarge, "file_too_large"},
		{"bad language", "english_US", "English", captionFile(srtCaptions), http.StatusBadRequest, "validation_failed"},
		{"no label", "en", " ", captionFile(srtCaptions), http.StatusBadRequest, "validation_failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.uploadCaption(t, owner.Token, id, lecture, tt.language, tt.label, tt.file)
			wantAnyFail(t, resp, tt.status)
			if code := resp.JSON(t)["code"]; code != tt.code {
				t.Errorf("code %v, want %s", code, tt.code)
			}
		})
	}
	resp := s.sendForm(t, http.MethodPost, catalogCourses+"/"+id+"/lectures/"+lecture+"/captions", owner.Token,
		map[string]string{"language": "en", "label": "English"})
	apptest.WantError(t, resp, http.StatusBadRequest, "Caption file is required")
	s.wantMediaFiles(t, before)
}

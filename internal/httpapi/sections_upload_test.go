package httpapi_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// heldReader reads its first half, then waits for release before the rest.
type heldReader struct {
	data    []byte
	off     int
	release chan struct{}
}

func (h *heldReader) Read(p []byte) (int, error) {
	half := len(h.data) / 2
	if h.off == half {
		<-h.release
	}
	end := len(h.data)
	if h.off < half {
		end = half
	}
	if h.off == len(h.data) {
		return 0, io.EOF
	}
	n := copy(p, h.data[h.off:end])
	h.off += n
	return n, nil
}

// A lecture upload names a section that is deleted while its video is
// still uploading (which can take minutes): the section is checked when the
// form is in, so the answer is 404 section_not_found and nothing is left
// behind — no lecture, no video — instead of a 404 for a lecture that was
// nonetheless created.
func TestSectionsDeletedDuringALectureUpload(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	courseID, _ := s.sectionsCourse(t, inst, "A")
	path := catalogCourses + "/" + courseID
	sec := s.addSection(t, inst.Token, courseID, map[string]any{"title": "Soon gone"})
	before := s.mediaFiles(t)

	video := &heldReader{data: mp4File(5, 64<<10), release: make(chan struct{})}
	body, ct := multipartStream(map[string]string{"title": "B", "order": "1", "sectionId": sec},
		formFile{field: "video", name: "v.mp4", contentType: "video/mp4"}, video)
	answer := make(chan *apptest.Response, 1)
	go func() {
		answer <- s.NewRequest(t, http.MethodPost, path+"/lectures", body).WithHeader("Content-Type", ct).WithCookie(inst.Token).Send(t)
	}()
	// The upload is being stored: the request is past its checks of the
	// course and reading the form.
	for !slices.ContainsFunc(s.mediaFiles(t), func(f string) bool { return strings.HasPrefix(f, "tmp/") }) {
		select {
		case resp := <-answer:
			t.Fatalf("answered before the upload was held: %d %s", resp.StatusCode, resp.Body)
		default:
		}
	}
	wantOK(t, s.Do(t, http.MethodDelete, path+"/sections/"+sec, nil, inst.Token), http.StatusOK, "Section deleted successfully")
	close(video.release)

	apptest.WantError(t, <-answer, http.StatusNotFound, "Section not found in this course")
	if n := s.Count(t, "lectures", bson.M{"course": objectID(t, courseID)}); n != 1 {
		t.Errorf("%d lecture documents, want 1 (the refused lecture was created)", n)
	}
	s.wantMediaFiles(t, before)
}

package httpapi_test

import (
	"net/http"
	"testing"

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

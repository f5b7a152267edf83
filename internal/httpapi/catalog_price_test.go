package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/lms-backend/lms/internal/app/apptest"
)

// A paid course costs at least 0.50 (Stripe's minimum charge; 0 is free),
// and prices are whole cents, on create (multipart) and update (JSON).
func TestCatalogPriceRules(t *testing.T) {
	t.Parallel()
	s := catalogStart(t, nil)
	inst := s.signUp(t, "instructor")
	const (
		msgMinimum  = "Price of a paid course must be at least 0.50 (0 makes it free)"
		msgDecimals = "Price must have at most two decimals"
	)
	for p, msg := range map[string]string{"0.01": msgMinimum, "0.49": msgMinimum, "19.999": msgDecimals, "0.005": msgDecimals} {
		resp := s.sendForm(t, http.MethodPost, catalogCourses, inst.Token, catalogCourseFields(map[string]string{"price": p}), catalogThumb(t))
		wantValidationMessages(t, resp, map[string]string{"price": msg})
	}
	for _, p := range []string{"0", "0.5", "0.50", "19.99", "1000000"} {
		c := s.createCourse(t, inst.Token, map[string]string{"price": p})
		if c["price"] == nil {
			t.Errorf("price %s: course %v", p, c)
		}
	}

	path := catalogCourses + "/" + s.createCourse(t, inst.Token, nil)["_id"].(string)
	for p, msg := range map[float64]string{0.3: msgMinimum, 12.345: msgDecimals} {
		wantValidationMessages(t, s.Do(t, http.MethodPatch, path, map[string]any{"price": p}, inst.Token), map[string]string{"price": msg})
	}
	m := wantOK(t, s.Do(t, http.MethodPatch, path, map[string]any{"price": 0.5}, inst.Token), http.StatusOK, "Course updated successfully")
	if got := apptest.Object(t, m, "course")["price"]; got != 0.5 {
		t.Errorf("price after PATCH %v, want 0.5", got)
	}
}

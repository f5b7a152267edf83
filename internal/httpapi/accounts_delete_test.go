package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/payment"
)

func TestAccountsDeleteAccount(t *testing.T) {
	s := acctStart(t, nil)
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	bob := s.signUp(t, "Bob", "bob@example.com", "")
	adaID, bobID := objectID(t, ada.ID), objectID(t, bob.ID)

	// An avatar, progress records and a purchase to see what goes and what stays.
	body, ct := multipartForm(t, nil, formFile{"avatar", "a.png", "image/png", pngImage(t, 8, 8, false)})
	avatar := apptest.Object(t, wantOK(t, s.patchProfile(t, ada.Token, body, ct), http.StatusOK, ""), "data")["avatar"].(string)
	courseID := primitive.NewObjectID().Hex()
	for _, userID := range []string{ada.ID, bob.ID} {
		s.SeedProgress(t, userID, courseID, nil, false)
		s.SeedPurchase(t, payment.Purchase{UserID: userID, CourseID: courseID, Amount: 10, Status: payment.StatusCompleted})
	}

	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": "wrong password"}, ada.Token), http.StatusUnauthorized, "Password is incorrect")
	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword + "x"}, ada.Token), http.StatusUnauthorized, "Password is incorrect")
	wantValidation(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{}, ada.Token), "password")
	if resp := s.call(t, http.MethodDelete, acctAccount, nil, ada.Token); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("no body: status %d, want 400 or 415", resp.StatusCode)
	}
	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, ""), http.StatusUnauthorized, acctNotLoggedIn)
	// Bob's password does not delete Ada.
	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": bob.Password + "!"}, ada.Token), http.StatusUnauthorized, "Password is incorrect")
	s.wantSession(t, ada.Token, true)

	resp := s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, ada.Token)
	wantOK(t, resp, http.StatusOK, "Account deleted successfully")
	acctWantCleared(t, resp, false)

	s.wantSession(t, ada.Token, false)
	apptest.WantError(t, s.call(t, http.MethodPost, acctSignIn, map[string]string{"email": "ada@example.com", "password": acctPassword}, ""), http.StatusUnauthorized, acctInvalidCreds)
	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, ada.Token), http.StatusUnauthorized, acctTokenError)
	if n := s.Count(t, "users", bson.M{"_id": adaID}); n != 0 {
		t.Error("user still stored")
	}
	if resp := s.fetchMedia(t, avatar); resp.StatusCode != http.StatusNotFound {
		t.Errorf("avatar after deletion: status %d, want 404", resp.StatusCode)
	}
	if files := s.storedImages(t); len(files) != 0 {
		t.Errorf("images left: %v", files)
	}
	if n := s.Count(t, "courseprogresses", bson.M{"user": adaID}); n != 0 {
		t.Errorf("%d progress records left", n)
	}
	if n := s.Count(t, "coursepurchases", bson.M{"user": adaID}); n != 1 {
		t.Errorf("%d purchases kept, want 1 (money history)", n)
	}
	// Bob is untouched.
	s.wantSession(t, bob.Token, true)
	if s.Count(t, "courseprogresses", bson.M{"user": bobID}) != 1 || s.Count(t, "coursepurchases", bson.M{"user": bobID}) != 1 {
		t.Error("another user's records were touched")
	}
	// The email is free again.
	s.signUp(t, "Ada Again", "ada@example.com", "")
}

func TestAccountsDeleteInstructorWithCourses(t *testing.T) {
	s := acctStart(t, nil)
	grace := s.signUp(t, "Grace", "grace@example.com", "instructor")
	courseID := s.SeedCourse(t, course.Course{Title: "Compilers", Category: "dev", InstructorID: grace.ID, IsPublished: true}).ID
	apptest.WantError(t, s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, grace.Token),
		http.StatusConflict, "Delete or transfer your courses first")
	s.wantSession(t, grace.Token, true)
	s.signIn(t, "grace@example.com", acctPassword)

	s.DeleteCourse(t, courseID)
	resp := s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, grace.Token)
	wantOK(t, resp, http.StatusOK, "Account deleted successfully")
	acctWantCleared(t, resp, false)
	s.wantSession(t, grace.Token, false)
}

func TestAccountsDeleteSecureCookie(t *testing.T) {
	s := acctStart(t, map[string]string{"COOKIE_SECURE": "true"})
	ada := s.signUp(t, "Ada", "ada@example.com", "")
	resp := s.call(t, http.MethodDelete, acctAccount, map[string]string{"password": acctPassword}, ada.Token)
	wantOK(t, resp, http.StatusOK, "Account deleted successfully")
	acctWantCleared(t, resp, true)
	if !strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), "Secure") {
		t.Errorf("Set-Cookie %v lacks Secure", resp.Header.Values("Set-Cookie"))
	}
}

// A deleted student no longer counts as enrolled, so the instructor may then
// delete the course; and a buyer still sees a course unpublished after the
// purchase.
func TestAccountsDeleteReleasesEnrolments(t *testing.T) {
	s := catalogStart(t, nil)
	inst, student := s.signUp(t, "instructor"), s.signUp(t, "student")
	courseID := s.publishedCourse(t, inst.Token, map[string]string{"price": "0"})["_id"].(string)
	resp := s.Do(t, http.MethodPost, "/api/v1/payments/create-checkout-session", map[string]string{"courseId": courseID}, student.Token)
	wantOK(t, resp, http.StatusOK, "Enrolled successfully")
	if n := s.courseDoc(t, courseID)["enrolledCount"]; n != int32(1) && n != int64(1) {
		t.Fatalf("enrolledCount %v after enrolment, want 1", n)
	}

	resp = s.Do(t, http.MethodPatch, catalogCourses+"/"+courseID+"/publish", map[string]bool{"isPublished": false}, inst.Token)
	wantOK(t, resp, http.StatusOK, "Course unpublished successfully")
	if lectures := objects(t, s.getCourse(t, student.Token, courseID), "lectures"); lectures[0]["videoUrl"] == nil {
		t.Error("the buyer lost the video of an unpublished course")
	}

	wantOK(t, s.Do(t, http.MethodDelete, "/api/v1/user/account", map[string]string{"password": catalogPassword}, student.Token),
		http.StatusOK, "Account deleted successfully")
	if n := s.courseDoc(t, courseID)["enrolledCount"]; n != int32(0) && n != int64(0) {
		t.Fatalf("enrolledCount %v after the student was deleted, want 0", n)
	}
	wantOK(t, s.Do(t, http.MethodDelete, catalogCourses+"/"+courseID, nil, inst.Token), http.StatusOK, "Course deleted successfully")
}

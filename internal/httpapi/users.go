package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/user"
)

// avatarUploadTime is how long an avatar upload may take.
const avatarUploadTime = 5 * time.Minute

type userResponse struct {
	ID                   string               `json:"_id"`
	Name                 string               `json:"name"`
	Email                string               `json:"email"`
	Role                 string               `json:"role"`
	Avatar               string               `json:"avatar"`
	Bio                  string               `json:"bio"`
	EnrolledCourses      []enrollmentResponse `json:"enrolledCourses"`
	TotalEnrolledCourses *int                 `json:"totalEnrolledCourses,omitempty"`
	LastActive           time.Time            `json:"lastActive"`
	CreatedAt            time.Time            `json:"createdAt"`
	UpdatedAt            time.Time            `json:"updatedAt"`
}

type enrollmentResponse struct {
	Course     any       `json:"course"` // an id, or a courseSummaryResponse when populated
	EnrolledAt time.Time `json:"enrolledAt"`
}

type courseSummaryResponse struct {
	ID          string `json:"_id"`
	Title       string `json:"title"`
	Thumbnail   string `json:"thumbnail"`
	Description string `json:"description"`
}

func (s *server) userResponse(u *user.User) userResponse {
	resp := userResponse{
		ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Avatar: s.media.ImageURL(u.Avatar), Bio: u.Bio,
		EnrolledCourses: make([]enrollmentResponse, len(u.EnrolledCourses)),
		LastActive:      u.LastActive.UTC(), CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
	}
	for i, e := range u.EnrolledCourses {
		resp.EnrolledCourses[i] = enrollmentResponse{Course: e.CourseID, EnrolledAt: e.EnrolledAt.UTC()}
	}
	return resp
}

type authResponse struct {
	Success bool         `json:"success"`
	Message string       `json:"message"`
	User    userResponse `json:"user"`
	Token   string       `json:"token"`
}

type messageResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

type dataResponse struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data"`
}

func (s *server) writeAuth(w http.ResponseWriter, a *user.Authenticated, message string) {
	s.setSession(w, a.Token, a.Expires)
	writeJSON(w, http.StatusOK, authResponse{Success: true, Message: message, User: s.userResponse(a.User), Token: a.Token})
}

func (s *server) signUp(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := s.users.SignUp(r.Context(), user.SignUpInput{Name: req.Name, Email: req.Email, Password: req.Password, Role: req.Role})
	if err != nil {
		return err
	}
	s.writeAuth(w, a, "Account created successfully")
	return nil
}

func (s *server) signIn(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	// Failures count per email and client, so that nobody can lock the
	// owner out from another address; what is not a wrong password is
	// refunded.
	key := "signin:" + user.NormalizeEmail(req.Email) + "|" + s.clientKey(r)
	if s.perAccountLimited(w, r, key) {
		return nil
	}
	a, err := s.users.SignIn(r.Context(), req.Email, req.Password)
	if !apperr.Is(err, apperr.Unauthenticated) {
		refund(s.accountLimiter, r, key)
		refund(s.authIPLimiter, r, s.clientKey(r))
	}
	if err != nil {
		return err
	}
	s.writeAuth(w, a, "Welcome back "+a.User.Name)
	return nil
}

func (s *server) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.users.SignOut(r.Context(), sessionToken(r)); err != nil {
		return err
	}
	s.clearSession(w)
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Signed out successfully"})
	return nil
}

func (s *server) profile(w http.ResponseWriter, r *http.Request) error {
	p, err := s.users.Profile(r.Context(), sessionUser(r))
	if err != nil {
		return err
	}
	resp := s.userResponse(p.User)
	resp.EnrolledCourses = resp.EnrolledCourses[:0]
	for _, e := range p.User.EnrolledCourses {
		c, ok := p.Courses[e.CourseID]
		if !ok {
			continue
		}
		resp.EnrolledCourses = append(resp.EnrolledCourses, enrollmentResponse{
			Course:     courseSummaryResponse{ID: c.ID, Title: c.Title, Thumbnail: s.media.ImageURL(c.Thumbnail), Description: c.Description},
			EnrolledAt: e.EnrolledAt.UTC(),
		})
	}
	total := len(resp.EnrolledCourses)
	resp.TotalEnrolledCourses = &total
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: resp})
	return nil
}

func (s *server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	var changes user.ProfileChanges
	if hasMediaType(r, "multipart/form-data") {
		f, err := s.readMultipart(w, r, []string{"name", "bio"}, map[string]saveFunc{"avatar": s.media.SaveImage}, avatarUploadTime)
		if err != nil {
			return err
		}
		changes = user.ProfileChanges{Name: f.field("name"), Bio: f.field("bio"), Avatar: f.file("avatar")}
	} else {
		var req struct {
			Name *string `json:"name"`
			Bio  *string `json:"bio"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		changes = user.ProfileChanges{Name: req.Name, Bio: req.Bio}
	}
	if changes.Name == nil && changes.Bio == nil && changes.Avatar == nil {
		return apperr.New(apperr.Invalid, "nothing_to_update", "Nothing to update: send name, bio or avatar")
	}
	id, _ := caller(r)
	u, err := s.users.UpdateProfile(r.Context(), id.UserID, changes)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Message: "Profile updated successfully", Data: s.userResponse(u)})
	return nil
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, _ := caller(r)
	a, err := s.users.ChangePassword(r.Context(), id.UserID, req.CurrentPassword, req.NewPassword)
	if err != nil {
		return err
	}
	s.setSession(w, a.Token, a.Expires)
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Password changed successfully"})
	return nil
}

func (s *server) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if s.perAccountLimited(w, r, "forgot:"+user.NormalizeEmail(req.Email)) {
		return nil
	}
	if err := s.users.ForgotPassword(r.Context(), req.Email); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "If that email is registered, a reset link has been sent"})
	return nil
}

func (s *server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if s.perAccountLimited(w, r, "reset:"+token) {
		return nil
	}
	if err := s.users.ResetPassword(r.Context(), token, req.Password); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Password reset successful"})
	return nil
}

func (s *server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id, _ := caller(r)
	if err := s.users.DeleteAccount(r.Context(), id.UserID, req.Password); err != nil {
		return err
	}
	s.clearSession(w)
	writeJSON(w, http.StatusOK, messageResponse{Success: true, Message: "Account deleted successfully"})
	return nil
}

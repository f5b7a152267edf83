package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/certificate"
	"github.com/lms-backend/lms/internal/certpdf"
)

// errVerifyRateLimited answers public verification over its own limit.
var errVerifyRateLimited = apperr.New(apperr.TooManyRequests, "verify_rate_limited", "Too many verification requests from this IP, please try later")

// certificateResponse is a certificate as its owner (or an admin) sees it.
type certificateResponse struct {
	ID     string `json:"_id"`
	Course string `json:"course"`
	certificatePublic
	LinkedInURL string `json:"linkedInUrl"`
}

// certificatePublic is what anyone with the verification id may see: the
// snapshot and the status, never the learner's email or user id.
type certificatePublic struct {
	VerifyID       string              `json:"verifyId"`
	VerifyURL      string              `json:"verifyUrl"`
	PDFURL         string              `json:"pdfUrl"`
	LearnerName    string              `json:"learnerName"`
	CourseTitle    string              `json:"courseTitle"`
	InstructorName string              `json:"instructorName"`
	TotalDuration  float64             `json:"totalDuration"`
	CompletedAt    time.Time           `json:"completedAt"`
	IssuedAt       time.Time           `json:"issuedAt"`
	Status         certificate.Status  `json:"status"`
	Revocation     *revocationResponse `json:"revocation"`
}

type revocationResponse struct {
	Reason    string    `json:"reason"`
	RevokedAt time.Time `json:"revokedAt"`
}

type certificateEnvelope struct {
	Status string              `json:"status"`
	Data   certificateResponse `json:"data"`
}

type certificateListEnvelope struct {
	Status string                `json:"status"`
	Data   []certificateResponse `json:"data"`
}

type certificateVerifyEnvelope struct {
	Status string            `json:"status"`
	Data   certificatePublic `json:"data"`
}

// certificatePagePath is where a certificate's public page lives; its PDF
// is the same path plus ".pdf".
const certificatePagePath = "/certificates/"

// verifyURL is the public page of a verification id, on PUBLIC_URL.
func (s *server) verifyURL(verifyID string) string {
	return s.opts.PublicURL + certificatePagePath + verifyID
}

func (s *server) publicCertificate(c *certificate.Certificate) certificatePublic {
	p := certificatePublic{
		VerifyID: c.VerifyID, VerifyURL: s.verifyURL(c.VerifyID), PDFURL: s.verifyURL(c.VerifyID) + ".pdf",
		LearnerName: c.LearnerName, CourseTitle: c.CourseTitle, InstructorName: c.InstructorName,
		TotalDuration: c.TotalDuration, CompletedAt: c.CompletedAt.UTC(), IssuedAt: c.IssuedAt.UTC(),
		Status: c.Status(),
	}
	if c.Revocation != nil {
		p.Revocation = &revocationResponse{Reason: c.Revocation.Reason, RevokedAt: c.Revocation.At.UTC()}
	}
	return p
}

func (s *server) certificateResponse(c *certificate.Certificate) certificateResponse {
	return certificateResponse{
		ID: c.ID, Course: c.CourseID, certificatePublic: s.publicCertificate(c),
		LinkedInURL: certificate.LinkedInURL(c, s.opts.CertificateIssuer, s.verifyURL(c.VerifyID)),
	}
}

func (s *server) issueCertificate(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CourseID *string `json:"courseId"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.CourseID == nil || !validID(*req.CourseID) {
		return apperr.Validation([]apperr.FieldError{{Field: "courseId", Message: "courseId is required and must be a course ID"}})
	}
	v, _ := caller(r)
	c, created, err := s.certs.Issue(r.Context(), v, sessionUser(r).Name, *req.CourseID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, certificateEnvelope{Status: "success", Data: s.certificateResponse(c)})
	return nil
}

func (s *server) myCertificates(w http.ResponseWriter, r *http.Request) error {
	v, _ := caller(r)
	list, err := s.certs.Mine(r.Context(), v)
	if err != nil {
		return err
	}
	out := make([]certificateResponse, len(list))
	for i := range list {
		out[i] = s.certificateResponse(&list[i])
	}
	writeJSON(w, http.StatusOK, certificateListEnvelope{Status: "success", Data: out})
	return nil
}

func (s *server) getCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "certificate")
	if err != nil {
		return err
	}
	v, _ := caller(r)
	c, err := s.certs.Get(r.Context(), v, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certificateEnvelope{Status: "success", Data: s.certificateResponse(c)})
	return nil
}

func (s *server) revokeCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "certificate")
	if err != nil {
		return err
	}
	var req struct {
		Reason *string `json:"reason"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	reason := ""
	if req.Reason != nil {
		reason = *req.Reason
	}
	v, _ := caller(r)
	c, err := s.certs.Revoke(r.Context(), v, id, reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certificateEnvelope{Status: "success", Data: s.certificateResponse(c)})
	return nil
}

func (s *server) reinstateCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "certificate")
	if err != nil {
		return err
	}
	v, _ := caller(r)
	c, err := s.certs.Reinstate(r.Context(), v, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certificateEnvelope{Status: "success", Data: s.certificateResponse(c)})
	return nil
}

// verifyCertificate is the public JSON answer for a verification id. Any
// web origin may read it (without credentials): third parties verify from
// their own pages. The SPA's origins keep the CORS answer with credentials.
func (s *server) verifyCertificate(w http.ResponseWriter, r *http.Request) error {
	if w.Header().Get("Access-Control-Allow-Origin") == "" {
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}
	c, err := s.certs.Verify(r.Context(), chi.URLParam(r, "verifyId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certificateVerifyEnvelope{Status: "success", Data: s.publicCertificate(c)})
	return nil
}

// certificatePage serves /certificates/{file}: the public HTML page of a
// verification id, or with ".pdf" its PDF.
func (s *server) certificatePage(w http.ResponseWriter, r *http.Request) error {
	file := chi.URLParam(r, "file")
	verifyID, isPDF := strings.CutSuffix(file, ".pdf")
	c, err := s.certs.Verify(r.Context(), verifyID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-cache")
	if isPDF {
		return s.certificatePDF(w, r, c)
	}
	return s.certificateHTML(w, c)
}

func (s *server) certificatePDF(w http.ResponseWriter, r *http.Request, c *certificate.Certificate) error {
	page := certpdf.Page{
		Issuer: s.opts.CertificateIssuer, LearnerName: c.LearnerName, CourseTitle: c.CourseTitle,
		InstructorName: c.InstructorName, TotalDuration: c.TotalDuration,
		CompletedAt: c.CompletedAt, IssuedAt: c.IssuedAt, VerifyURL: s.verifyURL(c.VerifyID),
	}
	if c.Revocation != nil {
		page.Revoked = c.Revocation.Reason
	}
	b, err := s.pdf.Render(r.Context(), page)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", `inline; filename="certificate-`+c.VerifyID+`.pdf"`)
	_, _ = w.Write(b)
	return nil
}

// certificatePageData is what the page template shows; html/template
// escapes every field.
type certificatePageData struct {
	Nonce       string
	Issuer      string
	C           certificatePublic
	Description string
	Duration    string
	Completed   string
	Issued      string
	Revoked     string
}

func (s *server) certificateHTML(w http.ResponseWriter, c *certificate.Certificate) error {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	d := certificatePageData{
		Nonce:  base64.StdEncoding.EncodeToString(nonce),
		Issuer: s.opts.CertificateIssuer,
		C:      s.publicCertificate(c),
		Description: c.LearnerName + " completed " + c.CourseTitle + " by " + c.InstructorName +
			" (" + s.opts.CertificateIssuer + ").",
		Duration:  certpdf.Duration(c.TotalDuration),
		Completed: c.CompletedAt.UTC().Format("2 January 2006"),
		Issued:    c.IssuedAt.UTC().Format("2 January 2006"),
	}
	if c.Revocation != nil {
		d.Revoked = c.Revocation.At.UTC().Format("2 January 2006")
	}
	var buf bytes.Buffer
	if err := certificatePageTemplate.Execute(&buf, d); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+d.Nonce+"'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	_, _ = w.Write(buf.Bytes())
	return nil
}

var certificatePageTemplate = template.Must(template.New("certificate").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Certificate: {{.C.CourseTitle}} — {{.C.LearnerName}}</title>
<meta name="description" content="{{.Description}}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="{{.Issuer}}">
<meta property="og:title" content="Certificate of completion: {{.C.CourseTitle}}">
<meta property="og:description" content="{{.Description}}">
<meta property="og:url" content="{{.C.VerifyURL}}">
<meta name="twitter:card" content="summary">
<meta name="robots" content="noindex">
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1f3a}
.status{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;font-weight:bold}
.valid{background:#d7f5dd;color:#11622a}.revoked{background:#fbd9d9;color:#8a1010}
dt{font-weight:bold;margin-top:.6rem}
</style>
</head>
<body>
<h1>Certificate of completion</h1>
{{if .Revoked}}<p class="status revoked">Revoked on {{.Revoked}}: {{.C.Revocation.Reason}}</p>
{{else}}<p class="status valid">Valid</p>
{{end}}<dl>
<dt>Learner</dt><dd id="learner">{{.C.LearnerName}}</dd>
<dt>Course</dt><dd id="course">{{.C.CourseTitle}}</dd>
<dt>Instructor</dt><dd>{{.C.InstructorName}}</dd>
<dt>Total duration</dt><dd>{{.Duration}}</dd>
<dt>Completed</dt><dd><time datetime="{{.C.CompletedAt.Format "2006-01-02"}}">{{.Completed}}</time></dd>
<dt>Issued</dt><dd><time datetime="{{.C.IssuedAt.Format "2006-01-02"}}">{{.Issued}}</time> by {{.Issuer}}</dd>
<dt>Verification ID</dt><dd><code>{{.C.VerifyID}}</code></dd>
</dl>
<p><a href="{{.C.PDFURL}}">Download the PDF</a></p>
</body>
</html>
`))

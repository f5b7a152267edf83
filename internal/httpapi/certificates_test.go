package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/payment"
)

func TestCertificateIssueAfterCompletingAllLectures(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Go in Practice", 3)
	u := s.student(t, c)
	before := time.Now().UTC().Add(-time.Second)

	got := s.issued(t, u, c)

	if got.Course != c.ID || got.LearnerName != u.Name || got.CourseTitle != c.Title ||
		got.InstructorName != c.Instructor.Name || got.TotalDuration != 270 || got.Status != "valid" || got.Revocation != nil {
		t.Errorf("certificate %+v; want learner %q, course %q by %q, 270 s, valid", got, u.Name, c.Title, c.Instructor.Name)
	}
	if len(got.VerifyID) != 32 || strings.Trim(got.VerifyID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		t.Errorf("verifyId %q: want 32 URL-safe characters (192 bits)", got.VerifyID)
	}
	if want := certPublicURL + certPageBase + got.VerifyID; got.VerifyURL != want || got.PDFURL != want+".pdf" {
		t.Errorf("verifyUrl %q, pdfUrl %q; want %q (+.pdf)", got.VerifyURL, got.PDFURL, want)
	}
	if got.IssuedAt.Before(before) || got.CompletedAt.Before(before) || got.CompletedAt.After(got.IssuedAt) {
		t.Errorf("completedAt %v, issuedAt %v: want both since %v, completion first", got.CompletedAt, got.IssuedAt, before)
	}
	li, err := url.Parse(got.LinkedInURL)
	if err != nil || li.Host != "www.linkedin.com" || li.Path != "/profile/add" {
		t.Fatalf("linkedInUrl %q: %v", got.LinkedInURL, err)
	}
	q := li.Query()
	if q.Get("startTask") != "CERTIFICATION_NAME" || q.Get("name") != c.Title || q.Get("organizationName") != "Test Academy" ||
		q.Get("certUrl") != got.VerifyURL || q.Get("certId") != got.VerifyID ||
		q.Get("issueYear") != fmt.Sprint(got.IssuedAt.Year()) || q.Get("issueMonth") != fmt.Sprint(int(got.IssuedAt.Month())) {
		t.Errorf("linkedInUrl query %v", q)
	}

	// Idempotent: the same certificate, 200.
	again := certOf(t, s.issue(t, u.Token, c.ID), http.StatusOK)
	if again != got {
		t.Errorf("second issue %+v, want %+v", again, got)
	}
	// Mine and one.
	resp := s.Do(t, http.MethodGet, certBase, nil, u.Token)
	wantStatus(t, resp, http.StatusOK)
	var list struct {
		Status string     `json:"status"`
		Data   []certData `json:"data"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil || list.Status != "success" || len(list.Data) != 1 || list.Data[0] != got {
		t.Errorf("list: %v %s", err, resp.Body)
	}
	if one := certOf(t, s.Do(t, http.MethodGet, certBase+"/"+got.ID, nil, u.Token), http.StatusOK); one != got {
		t.Errorf("get %+v, want %+v", one, got)
	}
	// Another student has none.
	other := s.signUp(t, "student")
	resp = s.Do(t, http.MethodGet, certBase, nil, other.Token)
	wantStatus(t, resp, http.StatusOK)
	if strings.TrimSpace(string(resp.Body)) != `{"status":"success","data":[]}` {
		t.Errorf("other's list %s", resp.Body)
	}
	if n := s.Count(t, "certificates", nil); n != 1 {
		t.Errorf("%d certificates stored, want 1", n)
	}
}

func TestCertificateRefusedBeforeCompletion(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Three lectures", 3)
	empty := s.course(t, "No lectures", 0)
	enrolled := s.student(t, c)
	partial := s.student(t, c)
	s.completeLectures(t, partial, c, 1)
	stranger := s.signUp(t, "student")

	tests := []struct {
		name     string
		token    string
		body     any
		status   int
		message  string
		wantCode string
	}{
		{"not enrolled", stranger.Token, map[string]string{"courseId": c.ID}, 403, "You are not enrolled in this course", "certificate_not_entitled"},
		{"no progress", enrolled.Token, map[string]string{"courseId": c.ID}, 409, "Course not completed: 0% done", "course_not_completed"},
		{"one of three", partial.Token, map[string]string{"courseId": c.ID}, 409, "Course not completed: 33% done", "course_not_completed"},
		{"course without lectures (owner)", empty.Instructor.Token, map[string]string{"courseId": empty.ID}, 409, "A course without lectures cannot be certified", "course_has_no_lectures"},
		{"unknown course", enrolled.Token, map[string]string{"courseId": "0123456789abcdef01234567"}, 404, "", "course_not_found"},
		{"no session", "", map[string]string{"courseId": c.ID}, 401, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.Do(t, http.MethodPost, certBase, tt.body, tt.token)
			apptest.WantError(t, resp, tt.status, tt.message)
			if code := resp.JSON(t)["code"]; tt.wantCode != "" && code != tt.wantCode {
				t.Errorf("code %v, want %s", code, tt.wantCode)
			}
		})
	}
	for _, body := range []any{map[string]string{}, map[string]string{"courseId": "nope"}, map[string]any{"courseId": 7}, map[string]any{"courseId": nil}} {
		resp := s.Do(t, http.MethodPost, certBase, body, enrolled.Token)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("body %v: status %d, want 400; %s", body, resp.StatusCode, resp.Body)
		}
	}
	for _, id := range []string{"nope", "0123456789abcdef0123456z", strings.Repeat("a", 25)} {
		wantAnyFail(t, s.Do(t, http.MethodGet, certBase+"/"+id, nil, enrolled.Token), http.StatusBadRequest)
	}

	// A lecture added after completion must be completed too.
	done := s.student(t, c)
	s.completeLectures(t, done, c, 3)
	s.addLecture(t, &c)
	apptest.WantError(t, s.issue(t, done.Token, c.ID), http.StatusConflict, "Course not completed: 75% done")
	if n := s.Count(t, "certificates", nil); n != 0 {
		t.Errorf("%d certificates stored, want 0", n)
	}
	s.completeLectures(t, done, c, 4)
	certOf(t, s.issue(t, done.Token, c.ID), http.StatusCreated)
}

func TestCertificateConcurrentIssueMakesOne(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Race", 2)
	u := s.student(t, c)
	s.completeLectures(t, u, c, 2)

	const n = 10
	var wg sync.WaitGroup
	resps := make([]*apptest.Response, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resps[i] = s.issue(t, u.Token, c.ID)
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	var first certData
	for i, resp := range resps {
		if resp.StatusCode == http.StatusCreated {
			created++
		}
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, resp.Body)
		}
		got := certOf(t, resp, resp.StatusCode)
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("call %d: %+v, want %+v", i, got, first)
		}
	}
	if created != 1 {
		t.Errorf("%d calls answered 201, want exactly 1", created)
	}
	if got := s.Count(t, "certificates", nil); got != 1 {
		t.Errorf("%d certificates stored, want 1", got)
	}
}

func TestCertificateSnapshotSurvivesRenames(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Original title", 1)
	u := s.student(t, c)
	issued := s.issued(t, u, c)

	for _, who := range []catalogUser{u, c.Instructor} {
		wantStatus(t, s.Do(t, http.MethodPatch, "/api/v1/user/profile", map[string]string{"name": "Renamed " + who.Role}, who.Token), http.StatusOK)
	}
	s.renameCourse(t, c.ID, "Renamed title")

	if got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK); got.LearnerName != u.Name ||
		got.CourseTitle != "Original title" || got.InstructorName != c.Instructor.Name {
		t.Errorf("verify after renames %+v; want the names at issue time", got)
	}
	if got := certOf(t, s.issue(t, u.Token, c.ID), http.StatusOK); got != issued {
		t.Errorf("issue after renames %+v, want %+v", got, issued)
	}
	page := s.Do(t, http.MethodGet, certPageBase+issued.VerifyID, nil, "")
	if !bytes.Contains(page.Body, []byte("Original title")) || bytes.Contains(page.Body, []byte("Renamed")) {
		t.Errorf("page after renames:\n%s", page.Body)
	}
}

func TestCertificateVerifyJSON(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Public facts", 1)
	u := s.student(t, c)
	issued := s.issued(t, u, c)

	resp := s.verify(t, issued.VerifyID)
	wantStatus(t, resp, http.StatusOK)
	data := apptest.Object(t, resp.JSON(t), "data")
	wantKeys(t, "verify data", data, "verifyId", "verifyUrl", "pdfUrl", "learnerName", "courseTitle", "instructorName",
		"totalDuration", "completedAt", "issuedAt", "status", "revocation")
	if bytes.Contains(resp.Body, []byte(u.ID)) || bytes.Contains(resp.Body, []byte("@catalog.test")) || bytes.Contains(resp.Body, []byte(issued.ID)) {
		t.Errorf("verify answer shows the user's id, email or certificate id: %s", resp.Body)
	}
	if data["status"] != "valid" || data["learnerName"] != u.Name {
		t.Errorf("verify %s", resp.Body)
	}
	// Any origin may read it without credentials; the SPA keeps its own CORS answer.
	third := s.NewRequest(t, http.MethodGet, certVerifyBase+issued.VerifyID, nil).WithHeader("Origin", "https://employer.example").Send(t)
	if got := third.Header.Get("Access-Control-Allow-Origin"); got != "*" || third.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("third-party origin: Allow-Origin %q, Allow-Credentials %q", got, third.Header.Get("Access-Control-Allow-Credentials"))
	}
	spa := s.NewRequest(t, http.MethodGet, certVerifyBase+issued.VerifyID, nil).WithHeader("Origin", apptest.ClientOrigin).Send(t)
	if got := spa.Header.Get("Access-Control-Allow-Origin"); got != apptest.ClientOrigin {
		t.Errorf("SPA origin: Allow-Origin %q", got)
	}

	for _, id := range []string{"short", strings.Repeat("A", 31), strings.Repeat("A", 33), strings.Repeat("+", 32), issued.VerifyID[:31] + "="} {
		apptest.WantError(t, s.verify(t, url.PathEscape(id)), http.StatusBadRequest, "Invalid verification ID")
		apptest.WantError(t, s.Do(t, http.MethodGet, certPageBase+url.PathEscape(id), nil, ""), http.StatusBadRequest, "Invalid verification ID")
	}
	unknown := strings.Repeat("A", 32)
	apptest.WantError(t, s.verify(t, unknown), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certPageBase+unknown+".pdf", nil, ""), http.StatusNotFound, "Certificate not found")
	// One character off is as unknown as any other id. (The replacement
	// is a valid character: flipping a bit of 'a', 'z', '-' … made one
	// that is not, a 400 instead of the 404 this checks.)
	off := []byte(issued.VerifyID)
	off[31] = map[bool]byte{true: 'B', false: 'A'}[off[31] == 'A']
	apptest.WantError(t, s.verify(t, string(off)), http.StatusNotFound, "Certificate not found")
}

func TestCertificatePageAndPDF(t *testing.T) {
	s := certStart(t, nil)
	title := `Escaping <script>alert("x")</script> & "quotes"`
	c := s.course(t, title, 2)
	u := s.student(t, c)
	issued := s.issued(t, u, c)

	page := s.Do(t, http.MethodGet, certPageBase+issued.VerifyID, nil, "")
	wantStatus(t, page, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("page Content-Type %q", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("page CSP %q", csp)
	}
	body := string(page.Body)
	escaped := `Escaping &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;`
	for _, want := range []string{
		`<meta property="og:title" content="Certificate of completion: ` + escaped + `">`,
		`<meta property="og:url" content="` + issued.VerifyURL + `">`,
		`<meta property="og:description" content="` + u.Name + ` completed ` + escaped,
		`<dd id="learner">` + u.Name + `</dd>`,
		`class="status valid">Valid`,
		`href="` + issued.PDFURL + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Errorf("page holds markup from the course title:\n%s", body)
	}

	pdf := s.Do(t, http.MethodGet, certPageBase+issued.VerifyID+".pdf", nil, "")
	wantStatus(t, pdf, http.StatusOK)
	if ct := pdf.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("pdf Content-Type %q", ct)
	}
	checkPDF(t, pdf.Body)
	for _, want := range []string{"(" + u.Name + ")", "(" + issued.VerifyURL + ")", "/URI (" + issued.VerifyURL + ")", "/Subtype /Image"} {
		if !bytes.Contains(pdf.Body, []byte(want)) {
			t.Errorf("PDF lacks %s", want)
		}
	}
}

func TestCertificateAdminRevokeAndReinstate(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Revocable", 1)
	u := s.student(t, c)
	admin := s.admin(t)
	issued := s.issued(t, u, c)
	revoke := certBase + "/" + issued.ID + "/revoke"
	reinstate := certBase + "/" + issued.ID + "/reinstate"

	apptest.WantError(t, s.Do(t, http.MethodPost, revoke, map[string]string{"reason": "mine"}, u.Token), http.StatusForbidden, "")
	apptest.WantError(t, s.Do(t, http.MethodPost, reinstate, nil, c.Instructor.Token), http.StatusForbidden, "")
	wantValidation(t, s.Do(t, http.MethodPost, revoke, map[string]string{"reason": "  "}, admin.Token), "reason")
	wantValidation(t, s.Do(t, http.MethodPost, revoke, map[string]string{"reason": strings.Repeat("é", 201)}, admin.Token), "reason")
	wantValidation(t, s.Do(t, http.MethodPost, revoke, map[string]any{}, admin.Token), "reason")
	apptest.WantError(t, s.Do(t, http.MethodPost, certBase+"/0123456789abcdef01234567/revoke", map[string]string{"reason": "x"}, admin.Token), http.StatusNotFound, "Certificate not found")
	wantAnyFail(t, s.Do(t, http.MethodPost, certBase+"/xyz/revoke", map[string]string{"reason": "x"}, admin.Token), http.StatusBadRequest)

	revoked := certOf(t, s.Do(t, http.MethodPost, revoke, map[string]string{"reason": " Plagiarism "}, admin.Token), http.StatusOK)
	if revoked.Status != "revoked" || revoked.Revocation == nil || revoked.Revocation.Reason != "Plagiarism" {
		t.Fatalf("revoked %+v", revoked)
	}
	v := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK)
	if v.Status != "revoked" || v.Revocation == nil || v.Revocation.Reason != "Plagiarism" || v.Revocation.RevokedAt.Before(issued.IssuedAt) {
		t.Errorf("verify after revoke %+v", v)
	}
	page := s.Do(t, http.MethodGet, certPageBase+issued.VerifyID, nil, "")
	if !bytes.Contains(page.Body, []byte("Revoked on")) || !bytes.Contains(page.Body, []byte("Plagiarism")) {
		t.Errorf("page after revoke:\n%s", page.Body)
	}
	if pdf := s.Do(t, http.MethodGet, certPageBase+issued.VerifyID+".pdf", nil, ""); !bytes.Contains(pdf.Body, []byte("(REVOKED: Plagiarism)")) {
		t.Errorf("PDF after revoke does not say revoked")
	}
	// The learner sees it revoked too, and issuing again does not make a new one.
	if got := certOf(t, s.issue(t, u.Token, c.ID), http.StatusOK); got.Status != "revoked" || got.VerifyID != issued.VerifyID {
		t.Errorf("issue after revoke %+v", got)
	}

	back := certOf(t, s.Do(t, http.MethodPost, reinstate, nil, admin.Token), http.StatusOK)
	if back != issued {
		t.Errorf("reinstated %+v, want the original %+v", back, issued)
	}
	if got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK); got.Status != "valid" || got.Revocation != nil {
		t.Errorf("verify after reinstate %+v", got)
	}
}

func TestCertificateOfSomeoneElseIsNotFound(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Private", 1)
	u := s.student(t, c)
	issued := s.issued(t, u, c)
	other := s.student(t, c)

	apptest.WantError(t, s.Do(t, http.MethodGet, certBase+"/"+issued.ID, nil, other.Token), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certBase+"/"+issued.ID, nil, c.Instructor.Token), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certBase+"/0123456789abcdef01234567", nil, u.Token), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certBase+"/"+issued.ID, nil, ""), http.StatusUnauthorized, "")
	if got := certOf(t, s.Do(t, http.MethodGet, certBase+"/"+issued.ID, nil, s.admin(t).Token), http.StatusOK); got != issued {
		t.Errorf("admin reads %+v, want %+v", got, issued)
	}
}

func TestCertificateSurvivesProgressReset(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Reset", 2)
	u := s.student(t, c)
	issued := s.issued(t, u, c)

	wantStatus(t, s.Do(t, http.MethodPost, "/api/v1/progress/"+c.ID+"/reset", nil, u.Token), http.StatusOK)
	if got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK); got.Status != "valid" {
		t.Errorf("verify after reset %+v", got)
	}
	if got := certOf(t, s.issue(t, u.Token, c.ID), http.StatusOK); got != issued {
		t.Errorf("issue after reset %+v, want %+v", got, issued)
	}
}

func TestCertificateDeletedWithAccount(t *testing.T) {
	s := certStart(t, nil)
	c := s.course(t, "Forget me", 1)
	u := s.student(t, c)
	issued := s.issued(t, u, c)
	keep := s.student(t, c)
	kept := s.issued(t, keep, c)

	wantStatus(t, s.Do(t, http.MethodDelete, "/api/v1/user/account", map[string]string{"password": catalogPassword}, u.Token), http.StatusOK)

	apptest.WantError(t, s.verify(t, issued.VerifyID), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certPageBase+issued.VerifyID, nil, ""), http.StatusNotFound, "Certificate not found")
	apptest.WantError(t, s.Do(t, http.MethodGet, certPageBase+issued.VerifyID+".pdf", nil, ""), http.StatusNotFound, "Certificate not found")
	if got := certOf(t, s.verify(t, kept.VerifyID), http.StatusOK); got.Status != "valid" {
		t.Errorf("another learner's certificate %+v", got)
	}
	if n := s.Count(t, "certificates", nil); n != 1 {
		t.Errorf("%d certificates stored, want 1", n)
	}
}

func TestCertificateRevokedByFullRefund(t *testing.T) {
	const secret = "whsec_certificates"
	s := certStart(t, map[string]string{
		"STRIPE_SECRET_KEY": "sk_test_certificates", "STRIPE_WEBHOOK_SECRET": secret,
		"STRIPE_API_BASE": "http://" + apptest.ClosedAddr(t),
		// The delivery answers once its event is applied, so that the
		// verification read after it sees the result.
		"WEBHOOK_ANSWER_WITHIN": "10s",
	})
	c := s.course(t, "Bought", 1)
	u := s.signUp(t, "student")
	p := s.SeedPurchase(t, payment.Purchase{CourseID: c.ID, UserID: u.ID, Amount: 20, Status: payment.StatusCompleted, PaymentID: "cs_test_cert", CompletedAt: time.Now()})
	s.Enrol(t, u.ID, c.ID)
	issued := s.issued(t, u, c)

	refund := func(id string, full bool) {
		t.Helper()
		refunded := int64(500)
		if full {
			refunded = p.AmountCents
		}
		s.deliverEvent(t, secret, map[string]any{
			"id": id, "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(), "type": "charge.refunded",
			"data": map[string]any{"object": map[string]any{
				"id": "ch_" + p.ID, "object": "charge", "amount": p.AmountCents, "amount_refunded": refunded, "currency": "usd",
				"refunded": full, "status": "succeeded",
				"metadata": map[string]string{payment.MetadataPurchaseID: p.ID, payment.MetadataUserID: u.ID, payment.MetadataCourseID: c.ID},
			}},
		})
	}

	refund("evt_partial", false)
	if got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK); got.Status != "valid" {
		t.Fatalf("after a partial refund %+v, want valid", got)
	}
	refund("evt_full", true)
	got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK)
	if got.Status != "revoked" || got.Revocation == nil || got.Revocation.Reason != "refunded" {
		t.Fatalf("after a full refund %+v, want revoked (refunded)", got)
	}
	if mine := certOf(t, s.Do(t, http.MethodGet, certBase+"/"+issued.ID, nil, u.Token), http.StatusOK); mine.Status != "revoked" {
		t.Errorf("learner sees %+v", mine)
	}
	apptest.WantError(t, s.issue(t, u.Token, c.ID), http.StatusForbidden, "You are not enrolled in this course")

	// Bought again: the refund's revocation is undone, with the original snapshot.
	again := s.SeedPurchase(t, payment.Purchase{CourseID: c.ID, UserID: u.ID, Amount: 20, Status: payment.StatusPending, PaymentID: "cs_test_cert_again"})
	s.deliverEvent(t, secret, map[string]any{
		"id": "evt_again", "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(), "type": "checkout.session.completed",
		"data": map[string]any{"object": map[string]any{
			"id": again.PaymentID, "object": "checkout.session", "amount_total": again.AmountCents, "currency": "usd",
			"payment_status": "paid", "status": "complete",
			"metadata": map[string]string{payment.MetadataPurchaseID: again.ID, payment.MetadataUserID: u.ID, payment.MetadataCourseID: c.ID},
		}},
	})
	if got := certOf(t, s.verify(t, issued.VerifyID), http.StatusOK); got.Status != "valid" || got.Revocation != nil {
		t.Errorf("after buying again %+v, want valid", got)
	}
	if got := certOf(t, s.issue(t, u.Token, c.ID), http.StatusOK); got != issued {
		t.Errorf("issue after buying again %+v, want the original %+v", got, issued)
	}
}

func TestCertificateVerifyRateLimit(t *testing.T) {
	s := certStart(t, map[string]string{"VERIFY_RATE_LIMIT_MAX": "3"})
	id := strings.Repeat("B", 32)
	paths := []string{certVerifyBase + id, certPageBase + id, certPageBase + id + ".pdf"}
	for _, p := range paths {
		wantStatus(t, s.Do(t, http.MethodGet, p, nil, ""), http.StatusNotFound)
	}
	resp := s.Do(t, http.MethodGet, certVerifyBase+id, nil, "")
	apptest.WantError(t, resp, http.StatusTooManyRequests, "Too many verification requests from this IP, please try later")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Other routes keep their own budget.
	wantStatus(t, s.Do(t, http.MethodGet, "/api/v1/courses/published", nil, ""), http.StatusOK)
}

// FuzzCertificateVerifyPath sends arbitrary strings as the verification id
// of the JSON, page and PDF routes: the answer is 200 only for the issued
// id, otherwise 400 or 404, never a 5xx, and never shows an email or user id.
func FuzzCertificateVerifyPath(f *testing.F) {
	s := certStart(f, nil)
	c := s.course(f, "Fuzzed", 1)
	u := s.student(f, c)
	issued := s.issued(f, u, c)

	for _, seed := range []string{
		issued.VerifyID, strings.ToLower(issued.VerifyID), issued.VerifyID + ".pdf", issued.VerifyID[:31],
		issued.ID, u.ID, "", ".", "..", ".pdf", "verify", strings.Repeat("A", 32), strings.Repeat("/", 32),
		"%00", "\x00\xff", "<script>", `{"$ne":null}`, strings.Repeat("é", 16), strings.Repeat("a", 4000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		p := url.PathEscape(id)
		for _, path := range []string{certVerifyBase + p, certPageBase + p, certPageBase + p + ".pdf"} {
			resp := s.Do(t, http.MethodGet, path, nil, "")
			switch resp.StatusCode {
			case http.StatusOK:
				// The page route serves the PDF for "<id>.pdf".
				if id != issued.VerifyID && (path != certPageBase+p || id != issued.VerifyID+".pdf") {
					t.Errorf("GET %s: 200 for an id that was never issued", path)
				}
			case http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Errorf("GET %s: status %d; body %.200s", path, resp.StatusCode, resp.Body)
			}
			if bytes.Contains(resp.Body, []byte(u.ID)) || bytes.Contains(resp.Body, []byte("@catalog.test")) {
				t.Errorf("GET %s shows the user's id or email", path)
			}
		}
	})
}

// TestCertificateRoundTrips counts the database commands of the certificate
// routes (see TestRoundTripBudgets): verification, the hottest, is one
// lookup.
func TestCertificateRoundTrips(t *testing.T) {
	s := certStart(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	c := s.course(t, "Counted", 2)
	u := s.student(t, c)
	s.completeLectures(t, u, c, 2)

	var issued certData
	steps := []struct {
		name, method, route string
		path                func() string
		body                any
		token               string
		status, budget      int
	}{
		{"first issue", http.MethodPost, "POST /api/v1/certificates", func() string { return certBase }, map[string]string{"courseId": c.ID}, u.Token, http.StatusCreated, 8},
		{"issue again", http.MethodPost, "POST /api/v1/certificates", func() string { return certBase }, map[string]string{"courseId": c.ID}, u.Token, http.StatusOK, 6},
		{"verify", http.MethodGet, "GET /api/v1/certificates/verify/{verifyId}", func() string { return certVerifyBase + issued.VerifyID }, nil, "", http.StatusOK, 1},
		{"page", http.MethodGet, "GET /certificates/{file}", func() string { return certPageBase + issued.VerifyID }, nil, "", http.StatusOK, 1},
		{"mine", http.MethodGet, "GET /api/v1/certificates", func() string { return certBase }, nil, u.Token, http.StatusOK, 2},
	}
	for _, st := range steps {
		before := dbCommands(t, s.Server, st.route)
		resp := s.Do(t, st.method, st.path(), st.body, st.token)
		if resp.StatusCode != st.status {
			t.Fatalf("%s: %d %s", st.name, resp.StatusCode, resp.Body)
		}
		if st.name == "first issue" {
			issued = certOf(t, resp, http.StatusCreated)
		}
		n := dbCommands(t, s.Server, st.route) - before
		if n > st.budget || n == 0 {
			t.Errorf("%s: %d database commands, budget %d", st.name, n, st.budget)
		}
		t.Logf("%s: %d database commands (budget %d)", st.name, n, st.budget)
	}
}

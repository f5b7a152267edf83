package payment_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb"
)

const (
	msgCourseNotFound = "Course not found"
	msgOwnCourse      = "You cannot buy your own course"
	msgAlreadyOwned   = "You already own this course"
	msgNotConfigured  = "Payments are not configured"
	msgCheckoutFailed = "Error while creating Stripe checkout session"
)

func TestCheckoutOpensASessionForTheStoredPrice(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 19.99, true)

	resp := h.checkout(t, student.Token, c.ID)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	if m["success"] != true || m["message"] != "Stripe checkout initiated successfully." {
		t.Errorf("envelope %s", resp.Body)
	}
	sess := apptest.Object(t, apptest.Object(t, m, "data"), "session")
	id, _ := sess["id"].(string)
	sessURL, _ := sess["url"].(string)
	if !strings.HasPrefix(id, "cs_") || !strings.HasPrefix(sessURL, "https://") {
		t.Errorf("session %v: want a cs_ id and an https URL", sess)
	}

	// One pending purchase, carrying the session and the price in cents.
	p := h.onePurchase(t, student.ID, c.ID)
	if p.Status != "pending" || p.PaymentID != id || p.AmountCents != 1999 || p.Amount != 19.99 || p.Currency != "usd" {
		t.Errorf("purchase %+v", p)
	}

	// What went to Stripe.
	reqs := h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")
	if len(reqs) != 1 {
		t.Fatalf("%d session requests, want 1", len(reqs))
	}
	pid := p.ID.Hex()
	want := map[string]string{
		"mode":                                               "payment",
		"line_items[0][price_data][currency]":                "usd",
		"line_items[0][price_data][unit_amount]":             "1999",
		"line_items[0][price_data][product_data][name]":      c.Title,
		"line_items[0][price_data][product_data][images][0]": publicURL + "/media/" + c.Thumbnail,
		"line_items[0][quantity]":                            "1",
		"success_url":                                        successURL,
		"cancel_url":                                         cancelURL,
		"client_reference_id":                                pid,
		"metadata[purchaseId]":                               pid,
		"metadata[courseId]":                                 c.ID,
		"metadata[userId]":                                   student.ID,
		"payment_intent_data[metadata][purchaseId]":          pid,
		"payment_intent_data[metadata][courseId]":            c.ID,
		"payment_intent_data[metadata][userId]":              student.ID,
	}
	form := reqs[0].Form
	for k, v := range want {
		if got := form.Get(k); got != v {
			t.Errorf("param %s = %q, want %q", k, got, v)
		}
	}
	if len(form) != len(want) {
		t.Errorf("params %v, want exactly %v", form, want)
	}
	if got := reqs[0].Header.Get("Idempotency-Key"); got != "checkout-"+pid {
		t.Errorf("Idempotency-Key %q, want checkout-%s", got, pid)
	}
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization %q", got)
	}
	if strings.Contains(h.Logs(), testKey) {
		t.Error("the secret key is in the log")
	}
}

func TestCheckoutAmountIsTheDatabasePrice(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 4.35, true) // 4.35*100 = 434.99999…

	// A client cannot name a price or an amount.
	for _, body := range []string{
		`{"courseId":"` + c.ID + `","price":0}`,
		`{"courseId":"` + c.ID + `","amount":1}`,
	} {
		resp := h.NewRequest(t, http.MethodPost, checkoutPath, body).WithHeader("Content-Type", "application/json").WithCookie(student.Token).Send(t)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", body, resp.StatusCode, resp.Body)
		}
	}
	h.buy(t, student, c)
	reqs := h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")
	if len(reqs) != 1 || reqs[0].Form.Get("line_items[0][price_data][unit_amount]") != "435" {
		t.Fatalf("requests %+v: want one with unit_amount 435", reqs)
	}
}

func TestCheckoutRules(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	published := h.course(t, teacher.ID, 10, true)
	draft := h.course(t, teacher.ID, 10, false)

	apptest.WantError(t, h.checkout(t, student.Token, mongodb.NewID()), http.StatusNotFound, msgCourseNotFound)
	apptest.WantError(t, h.checkout(t, student.Token, draft.ID), http.StatusNotFound, msgCourseNotFound)
	// Not even its instructor can buy a draft, nor their own course.
	apptest.WantError(t, h.checkout(t, teacher.Token, draft.ID), http.StatusNotFound, msgCourseNotFound)
	apptest.WantError(t, h.checkout(t, teacher.Token, published.ID), http.StatusBadRequest, msgOwnCourse)
	// Another instructor may buy it.
	other := h.signUp(t, "instructor")
	if resp := h.checkout(t, other.Token, published.ID); resp.StatusCode != http.StatusCreated {
		t.Errorf("another instructor's checkout: %d %s", resp.StatusCode, resp.Body)
	}

	// Bad requests.
	apptest.WantError(t, h.checkout(t, "", published.ID), http.StatusUnauthorized, "You are not logged in")
	apptest.WantError(t, h.checkout(t, student.Token, "abc"), http.StatusBadRequest, "Invalid course ID")
	resp := h.Do(t, http.MethodPost, checkoutPath, map[string]string{}, student.Token)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(resp.Body), "courseId") {
		t.Errorf("empty body: %d %s", resp.StatusCode, resp.Body)
	}
	resp = h.NewRequest(t, http.MethodPost, checkoutPath, "courseId="+published.ID).WithCookie(student.Token).
		WithHeader("Content-Type", "application/x-www-form-urlencoded").Send(t)
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form body: %d %s, want 415", resp.StatusCode, resp.Body)
	}
	if n := h.Count(t, "coursepurchases", bson.M{}); n != 1 {
		t.Errorf("%d purchases stored, want only the other instructor's", n)
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 1 {
		t.Errorf("%d sessions opened, want 1", n)
	}
}

func TestCheckoutOfAnOwnedCourseConflicts(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 25, true)
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_owned_1", r))
	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusConflict, msgAlreadyOwned)

	// A completed purchase whose enrolment went missing still counts, and
	// gets its enrolment back.
	h.Unenrol(t, student.ID, c.ID)
	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusConflict, msgAlreadyOwned)
	if got := h.enrolments(t, student.ID); !slices.Equal(got, []string{c.ID}) {
		t.Errorf("enrolments %v after the repair, want [%s]", got, c.ID)
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 1 {
		t.Errorf("%d sessions opened, want 1", n)
	}
}

func TestCheckoutOfAFreeCourseEnrolsAtOnce(t *testing.T) {
	// Free enrolment works without Stripe.
	h := start(t, map[string]string{"STRIPE_SECRET_KEY": "", "STRIPE_WEBHOOK_SECRET": ""})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 0, true)

	resp := h.checkout(t, student.Token, c.ID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	if m["success"] != true || m["message"] != "Enrolled successfully" || apptest.Object(t, m, "data")["enrolled"] != true {
		t.Errorf("body %s", resp.Body)
	}
	p := h.onePurchase(t, student.ID, c.ID)
	if p.Status != "completed" || p.AmountCents != 0 || p.Amount != 0 || p.PaymentID != "" {
		t.Errorf("purchase %+v: want a completed purchase of 0", p)
	}
	h.wantEnrolled(t, student, c, 1, 1)
	if !h.isPurchased(t, student, c.ID) {
		t.Error("isPurchased false after a free enrolment")
	}
	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusConflict, msgAlreadyOwned)
	h.wantEnrolled(t, student, c, 1, 1)
	if n := len(h.stripe.Find(http.MethodPost, "")); n != 0 {
		t.Errorf("%d requests to Stripe for a free course", n)
	}
}

func TestCheckoutWithoutStripe(t *testing.T) {
	h := start(t, map[string]string{"STRIPE_SECRET_KEY": "", "STRIPE_WEBHOOK_SECRET": ""})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusServiceUnavailable, msgNotConfigured)
	payload := completed("evt_unconfigured", ref{Purchase: mongodb.NewID(), Session: "cs_x", Cents: 1000})
	apptest.WantError(t, h.deliverWith(t, payload, signature(payload, whSecret, time.Now())), http.StatusServiceUnavailable, msgNotConfigured)
	if n := h.Count(t, "coursepurchases", bson.M{}) + h.Count(t, "webhookevents", bson.M{}); n != 0 {
		t.Errorf("%d documents written", n)
	}
}

func TestCheckoutTwiceReturnsTheSameSession(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)

	first := apptest.Object(t, apptest.Object(t, h.checkout(t, student.Token, c.ID).JSON(t), "data"), "session")
	second := h.checkout(t, student.Token, c.ID)
	if second.StatusCode != http.StatusCreated {
		t.Fatalf("second click: %d %s", second.StatusCode, second.Body)
	}
	again := apptest.Object(t, apptest.Object(t, second.JSON(t), "data"), "session")
	if again["id"] != first["id"] || again["url"] != first["url"] {
		t.Errorf("second click got session %v, want the first one %v", again, first)
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 1 {
		t.Errorf("%d sessions opened, want 1", n)
	}
	h.onePurchase(t, student.ID, c.ID)
}

func TestCheckoutConcurrentClicksOpenOneSession(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)

	const clicks = 5
	resps := make([]*apptest.Response, clicks)
	var wg sync.WaitGroup
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i] = h.checkout(t, student.Token, c.ID)
		}()
	}
	wg.Wait()
	ids := map[any]bool{}
	for _, r := range resps {
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("click: %d %s", r.StatusCode, r.Body)
		}
		ids[apptest.Object(t, apptest.Object(t, r.JSON(t), "data"), "session")["id"]] = true
	}
	if len(ids) != 1 {
		t.Errorf("%d clicks got %d sessions, want 1", clicks, len(ids))
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 1 {
		t.Errorf("%d sessions opened, want 1", n)
	}
	h.onePurchase(t, student.ID, c.ID)
}

func TestCheckoutWhenStripeIsDown(t *testing.T) {
	h := start(t, map[string]string{"STRIPE_API_BASE": "http://" + apptest.ClosedAddr(t)})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)

	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusBadGateway, msgCheckoutFailed)
	if n := h.Count(t, "coursepurchases", bson.M{}); n != 0 {
		t.Errorf("%d purchases left behind, want none", n)
	}
	// The failure is logged (once, with the cause), never shown.
	if !strings.Contains(h.Logs(), "connection refused") {
		t.Error("the log does not say why")
	}
}

func TestCheckoutWhenStripeRefuses(t *testing.T) {
	// stripe-mock refuses a malformed key with 401.
	h := start(t, map[string]string{"STRIPE_SECRET_KEY": "not-a-key"})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	apptest.WantError(t, h.checkout(t, student.Token, c.ID), http.StatusBadGateway, msgCheckoutFailed)
	if n := h.Count(t, "coursepurchases", bson.M{}); n != 0 {
		t.Errorf("%d purchases left behind, want none", n)
	}
}

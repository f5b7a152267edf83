package payment_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
)

func TestWebhookCompletionEnrols(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	if h.isPurchased(t, student, c.ID) {
		t.Fatal("isPurchased before paying")
	}

	h.deliver(t, completed("evt_complete_1", r))
	p := h.onePurchase(t, student.ID, c.ID)
	if p.Status != "completed" || p.Flagged {
		t.Errorf("purchase %+v, want completed", p)
	}
	h.wantEnrolled(t, student, c, 1, 1)
	if !h.isPurchased(t, student, c.ID) {
		t.Error("isPurchased false after payment")
	}
	// The same event again, and the charge of the same payment: no change.
	h.deliver(t, completed("evt_complete_1", r))
	h.deliver(t, chargeSucceeded("evt_charge_1", r))
	h.wantEnrolled(t, student, c, 1, 1)
	if n := h.Count(t, "webhookevents", bson.M{"eventId": "evt_complete_1"}); n != 1 {
		t.Errorf("%d records of the event, want 1", n)
	}
}

func TestWebhookPurchaseStatusShowsTheGatedCourse(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	lectures := func() map[string]any {
		t.Helper()
		resp := h.Do(t, http.MethodGet, statusPath(c.ID), nil, student.Token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("purchase-status: %d %s", resp.StatusCode, resp.Body)
		}
		m := resp.JSON(t)
		if m["success"] != true {
			t.Errorf("envelope %s", resp.Body)
		}
		data := apptest.Object(t, m, "data")
		course := apptest.Object(t, data, "course")
		if course["_id"] != c.ID || apptest.Object(t, course, "instructor")["_id"] != teacher.ID {
			t.Errorf("course %v: want %s with its instructor populated", course, c.ID)
		}
		out := map[string]any{"isPurchased": data["isPurchased"]}
		for _, l := range course["lectures"].([]any) {
			l := l.(map[string]any)
			out[l["_id"].(string)] = l["videoUrl"]
		}
		return out
	}
	before := lectures()
	if before["isPurchased"] != false || before[c.Gated] != nil || before[c.Preview] == nil {
		t.Errorf("before paying: %v; want the preview only", before)
	}
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_status_1", r))
	after := lectures()
	if after["isPurchased"] != true || after[c.Gated] == nil {
		t.Errorf("after paying: %v; want every video", after)
	}
	apptest.WantError(t, h.Do(t, http.MethodGet, statusPath("nope"), nil, student.Token), http.StatusBadRequest, "Invalid course ID")
	apptest.WantError(t, h.Do(t, http.MethodGet, statusPath(mongodb.NewID()), nil, student.Token), http.StatusNotFound, "Course not found")
	apptest.WantError(t, h.Do(t, http.MethodGet, statusPath(c.ID), nil, ""), http.StatusUnauthorized, "You are not logged in")
}

func TestWebhookRefundRevokesAccess(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_r1", r))
	h.wantEnrolled(t, student, c, 1, 1)

	// A partial refund changes nothing.
	partial := event("evt_r2", "charge.refunded", chargeObject(r, "succeeded", 100))
	h.deliver(t, partial)
	h.wantEnrolled(t, student, c, 1, 1)

	h.deliver(t, refunded("evt_r3", r))
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "refunded" {
		t.Errorf("status %s, want refunded", p.Status)
	}
	h.wantEnrolled(t, student, c, 0, 0)
	if h.isPurchased(t, student, c.ID) {
		t.Error("isPurchased true after the refund")
	}
	resp := h.Do(t, http.MethodGet, "/api/v1/courses/"+c.ID, nil, student.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("course page: %d %s", resp.StatusCode, resp.Body)
	}
	for _, l := range apptest.Object(t, resp.JSON(t), "data")["lectures"].([]any) {
		l := l.(map[string]any)
		if l["_id"] == c.Gated && (l["videoUrl"] != nil || l["locked"] != true) {
			t.Errorf("gated lecture after the refund: %v", l)
		}
	}
	// A late completion event (a new id) cannot undo the refund.
	h.deliver(t, completed("evt_r4", r))
	h.deliver(t, chargeSucceeded("evt_r5", r))
	h.wantEnrolled(t, student, c, 0, 0)
	if got := h.purchasedIDs(t, student); len(got) != 0 {
		t.Errorf("purchased courses %v after the refund", got)
	}
	// The student may buy it again.
	r2 := h.buy(t, student, c)
	h.deliver(t, chargeSucceeded("evt_r6", r2))
	h.wantEnrolled(t, student, c, 1, 1)
}

// purchasedIDs lists the ids of the purchased-courses endpoint.
func (h *harness) purchasedIDs(t testing.TB, u user) []string {
	t.Helper()
	resp := h.Do(t, http.MethodGet, boughtPath, nil, u.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("purchased-courses: %d %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	if m["success"] != true {
		t.Errorf("envelope %s", resp.Body)
	}
	ids := []string{}
	for _, c := range m["data"].([]any) {
		c := c.(map[string]any)
		ids = append(ids, c["_id"].(string))
		if _, ok := c["instructor"].(map[string]any); !ok {
			t.Errorf("card %v: instructor not populated", c)
		}
	}
	return ids
}

func TestPurchasedCoursesNewestFirst(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	a, b, free, unpaid := h.course(t, teacher.ID, 10, true), h.course(t, teacher.ID, 20, true), h.course(t, teacher.ID, 0, true), h.course(t, teacher.ID, 5, true)
	if got := h.purchasedIDs(t, student); len(got) != 0 {
		t.Fatalf("purchased courses %v before buying", got)
	}
	ra, rb := h.buy(t, student, a), h.buy(t, student, b)
	h.buy(t, student, unpaid)
	h.deliver(t, completed("evt_b", rb))
	time.Sleep(5 * time.Millisecond)
	h.deliver(t, completed("evt_a", ra))
	time.Sleep(5 * time.Millisecond)
	if resp := h.checkout(t, student.Token, free.ID); resp.StatusCode != http.StatusOK {
		t.Fatalf("free checkout: %d %s", resp.StatusCode, resp.Body)
	}
	if got, want := h.purchasedIDs(t, student), []string{free.ID, a.ID, b.ID}; !slices.Equal(got, want) {
		t.Errorf("purchased courses %v, want %v", got, want)
	}
	// An unpublished course stays in the list of those who bought it.
	h.SetPublished(t, a.ID, false)
	if got := h.purchasedIDs(t, student); len(got) != 3 {
		t.Errorf("purchased courses %v after unpublishing one", got)
	}
	apptest.WantError(t, h.Do(t, http.MethodGet, boughtPath, nil, ""), http.StatusUnauthorized, "You are not logged in")
}

func TestWebhookSignatureFailuresWriteNothing(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	payload := completed("evt_sig", r)
	now := time.Now()
	tampered := bytes.Replace(payload, []byte(`"amount_total":1000`), []byte(`"amount_total":1`), 1)
	if bytes.Equal(tampered, payload) {
		t.Fatal("tampering changed nothing")
	}
	tests := []struct {
		name    string
		payload []byte
		sig     string
	}{
		{"missing header", payload, ""},
		{"wrong secret", payload, signature(payload, "whsec_wrong", now)},
		{"tampered body", tampered, signature(payload, whSecret, now)},
		{"stale timestamp", payload, signature(payload, whSecret, now.Add(-6*time.Minute))},
		{"future timestamp", payload, signature(payload, whSecret, now.Add(6*time.Minute))},
		{"garbage header", payload, "t=abc,v1=zzz"},
		{"no v1", payload, fmt.Sprintf("t=%d", now.Unix())},
		{"empty body", nil, signature(nil, whSecret, now)},
		{"not json", []byte("hello"), signature([]byte("hello"), whSecret, now)},
	}
	for _, tt := range tests {
		resp := h.deliverWith(t, tt.payload, tt.sig)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tt.name, resp.StatusCode, resp.Body)
		}
	}
	if n := h.Count(t, "webhookevents", bson.M{}); n != 0 {
		t.Errorf("%d event records written", n)
	}
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" || p.Flagged {
		t.Errorf("purchase %+v changed", p)
	}
	h.wantEnrolled(t, student, c, 0, 0)
	// Within the tolerance, either way, it is accepted.
	h.deliverSignedAt(t, payload, now.Add(-4*time.Minute))
	h.wantEnrolled(t, student, c, 1, 1)
}

func (h *harness) deliverSignedAt(t testing.TB, payload []byte, ts time.Time) {
	t.Helper()
	resp := h.deliverWith(t, payload, signature(payload, whSecret, ts))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook signed at %s: %d %s", ts, resp.StatusCode, resp.Body)
	}
}

func TestWebhookNewerAPIVersionStillFulfils(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	obj := sessionObject(r, "complete", "paid")
	obj["some_new_field"] = map[string]any{"nested": []any{1, 2}}
	h.deliver(t, eventWithVersion("evt_new_api", "checkout.session.completed", "2025-03-31.basil", obj))
	h.wantEnrolled(t, student, c, 1, 1)
}

func TestWebhookSameEventConcurrently(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	payload := completed("evt_concurrent", r)
	sig := signature(payload, whSecret, time.Now())

	const n = 10
	resps := make([]*apptest.Response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i] = h.deliverWith(t, payload, sig)
		}()
	}
	wg.Wait()
	for i, resp := range resps {
		if resp.StatusCode != http.StatusOK {
			t.Errorf("delivery %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	h.wantEnrolled(t, student, c, 1, 1)
	if n := h.Count(t, "webhookevents", bson.M{"eventId": "evt_concurrent", "status": "processed"}); n != 1 {
		t.Errorf("%d processed records, want 1", n)
	}
	if got := strings.Count(h.Logs(), `"msg":"enrolled"`); got != 1 {
		t.Errorf("enrolled %d times, want once", got)
	}
}

// Every order of the events of a purchase ends in the same state: all 24
// orders of completion, charge success, charge failure and expiry end
// completed and enrolled once; both orders of failure and expiry end expired.
// (TestNextIsOrderIndependent covers every subset of the state machine.)
func TestWebhookEveryOrderEndsTheSame(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 10, true)
	build := map[string]func(string, ref) []byte{
		"completed": completed, "charge.succeeded": chargeSucceeded, "charge.failed": chargeFailed, "expired": expired,
	}
	enrolled := 0
	for _, tt := range []struct {
		set  []string
		want string
	}{
		{[]string{"completed", "charge.succeeded", "charge.failed", "expired"}, "completed"},
		{[]string{"charge.failed", "expired"}, "expired"},
	} {
		for _, order := range orders(tt.set) {
			student := h.signUp(t, "student")
			r := h.buy(t, student, c)
			for i, k := range order {
				h.deliver(t, build[k](fmt.Sprintf("evt_%s_%d", r.Purchase, i), r))
			}
			if tt.want == "completed" {
				enrolled++
			}
			p := h.onePurchase(t, student.ID, c.ID)
			entries := len(h.enrolments(t, student.ID))
			if p.Status != tt.want || (entries == 1) != (tt.want == "completed") || entries > 1 {
				t.Errorf("order %v: status %s, %d enrolments; want %s", order, p.Status, entries, tt.want)
			}
		}
	}
	if got := h.enrolledCount(t, c.ID); got != enrolled {
		t.Errorf("enrolledCount %d, want %d", got, enrolled)
	}
}

// orders returns every permutation of xs.
func orders(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{slices.Clone(xs)}
	}
	var out [][]string
	for i := range xs {
		rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
		for _, o := range orders(rest) {
			out = append(out, append([]string{xs[i]}, o...))
		}
	}
	return out
}

func TestWebhookMismatchIsFlaggedNotFulfilled(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 10, true)
	tests := []struct {
		name   string
		mutate func(obj map[string]any)
		reason string
	}{
		{"amount", func(o map[string]any) { o["amount_total"] = 1 }, "amount 1, want 1000"},
		{"currency", func(o map[string]any) { o["currency"] = "eur" }, `currency "eur", want "usd"`},
		{"user", func(o map[string]any) { o["metadata"].(map[string]any)["userId"] = mongodb.NewID() }, "metadata userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			student := h.signUp(t, "student")
			r := h.buy(t, student, c)
			obj := sessionObject(r, "complete", "paid")
			tt.mutate(obj)
			h.deliver(t, event("evt_mismatch_"+tt.name, "checkout.session.completed", obj))
			p := h.onePurchase(t, student.ID, c.ID)
			if p.Status != "pending" || !p.Flagged || !strings.Contains(p.FlagReason, tt.reason) {
				t.Errorf("purchase %+v: want pending, flagged for %q", p, tt.reason)
			}
			h.wantEnrolled(t, student, c, 0, 0)
			if !strings.Contains(h.Logs(), "payment does not match its purchase") {
				t.Error("not logged")
			}
		})
	}
}

// A purchase flagged for review stays unfulfilled when a later event or
// reconcile reports a payment that looks right.
func TestWebhookFlaggedPurchaseIsNeverFulfilled(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	obj := sessionObject(r, "complete", "paid")
	obj["metadata"].(map[string]any)["userId"] = mongodb.NewID()
	h.deliver(t, event("evt_flag_meta", "checkout.session.completed", obj))

	h.deliver(t, chargeSucceeded("evt_flag_charge", r))
	h.age(t, r.Purchase, 2*time.Hour)
	h.rewriteSessions(map[string]sessionState{r.Session: {"complete", "paid", 1000, "usd"}})
	report, err := h.App.Payments.Reconcile(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := (payment.ReconcileReport{Checked: 1, Flagged: 1}); report != want {
		t.Errorf("reconcile report %+v, want %+v", report, want)
	}
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" || !p.Flagged {
		t.Errorf("purchase %+v: want pending and flagged", p)
	}
	h.wantEnrolled(t, student, c, 0, 0)
	if h.isPurchased(t, student, c.ID) {
		t.Error("isPurchased is true for a flagged purchase")
	}

	// A refund of the flagged payment still applies.
	h.deliver(t, refunded("evt_flag_refund", r))
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "refunded" {
		t.Errorf("status %s after the refund, want refunded", p.Status)
	}
}

func TestWebhookCorrelation(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 10, true)

	// A session event is found by its session id even without metadata.
	s1 := h.signUp(t, "student")
	r1 := h.buy(t, s1, c)
	obj := sessionObject(r1, "complete", "paid")
	obj["metadata"] = map[string]any{}
	h.deliver(t, event("evt_by_session", "checkout.session.completed", obj))
	h.wantEnrolled(t, s1, c, 1, 1)

	// A charge is found by the purchase id of its metadata.
	s2 := h.signUp(t, "student")
	r2 := h.buy(t, s2, c)
	h.deliver(t, chargeSucceeded("evt_by_meta", r2))
	h.wantEnrolled(t, s2, c, 1, 2)

	// Unknown purchases, unknown types and empty metadata are acknowledged
	// and change nothing.
	before := h.Count(t, "coursepurchases", bson.M{"status": "completed"})
	ghost := ref{Purchase: mongodb.NewID(), Session: "cs_unknown", User: s1.ID, Course: c.ID, Cents: 1000}
	h.deliver(t, completed("evt_ghost", ghost))
	h.deliver(t, chargeSucceeded("evt_ghost_charge", ref{Purchase: "not-an-id", Cents: 1000}))
	h.deliver(t, event("evt_customer", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}))
	h.deliver(t, event("evt_dispute", "charge.dispute.created", map[string]any{"id": "dp_1", "object": "dispute", "charge": "ch_1"}))
	if after := h.Count(t, "coursepurchases", bson.M{"status": "completed"}); after != before {
		t.Errorf("%d completed purchases, want %d", after, before)
	}
	if n := h.Count(t, "webhookevents", bson.M{"eventId": bson.M{"$in": bson.A{"evt_customer", "evt_dispute"}}}); n != 0 {
		t.Errorf("ignored events recorded: %d", n)
	}
}

func TestWebhookDelayedPayment(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	// Completed but not paid yet (a bank debit): nothing happens.
	h.deliver(t, event("evt_async_1", "checkout.session.completed", sessionObject(r, "complete", "unpaid")))
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" {
		t.Fatalf("status %s after an unpaid completion, want pending", p.Status)
	}
	h.deliver(t, event("evt_async_2", "checkout.session.async_payment_succeeded", sessionObject(r, "complete", "paid")))
	h.wantEnrolled(t, student, c, 1, 1)

	other := h.signUp(t, "student")
	r2 := h.buy(t, other, c)
	h.deliver(t, event("evt_async_3", "checkout.session.async_payment_failed", sessionObject(r2, "complete", "unpaid")))
	if p := h.onePurchase(t, other.ID, c.ID); p.Status != "failed" {
		t.Errorf("status %s after async failure, want failed", p.Status)
	}
	h.wantEnrolled(t, other, c, 0, 1)
}

func TestWebhookRouteIsOutsideTheBrowserLimits(t *testing.T) {
	h := start(t, map[string]string{"RATE_LIMIT_MAX": "2"})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student") // uses the 2 requests
	c := h.course(t, teacher.ID, 10, true)
	r := ref{Purchase: mongodb.NewID(), Session: "cs_x", User: student.ID, Course: c.ID, Cents: 1000}

	// Over the per-IP limit, from a foreign origin, over 10 KB: accepted.
	obj := sessionObject(r, "complete", "paid")
	obj["custom_text"] = strings.Repeat("x", 20<<10)
	payload := event("evt_big", "checkout.session.completed", obj)
	for i := range 3 {
		resp := h.deliverWith(t, payload, signature(payload, whSecret, time.Now()))
		resp2 := h.NewRequest(t, http.MethodPost, webhookPath, payload).WithHeader("Origin", "https://evil.test").
			WithHeader("Stripe-Signature", signature(payload, whSecret, time.Now())).Send(t)
		if resp.StatusCode != http.StatusOK || resp2.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d: %d %s / %d %s", i, resp.StatusCode, resp.Body, resp2.StatusCode, resp2.Body)
		}
	}
	// Over 64 KB: 413, before anything is parsed.
	obj["custom_text"] = strings.Repeat("x", 64<<10)
	huge := event("evt_huge", "checkout.session.completed", obj)
	apptest.WantError(t, h.deliverWith(t, huge, signature(huge, whSecret, time.Now())), http.StatusRequestEntityTooLarge, "Request body too large")
	// The browser routes are limited as before.
	if resp := h.checkout(t, student.Token, c.ID); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("checkout over the limit: %d", resp.StatusCode)
	}
}

// A fault in the enrolment write answers 5xx and leaves the event to its
// redelivery, which then enrols exactly once.
func TestWebhookFaultIsRetried(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	uid, _ := primitive.ObjectIDFromHex(student.ID)
	users := h.Mongo.Collection("users")
	// enrolledCourses that is not an array makes the $push fail. This is a
	// fault injected by writing a corrupt document on purpose, so it goes
	// around the repositories, and so does its repair below.
	if _, err := users.UpdateOne(t.Context(), bson.M{"_id": uid}, bson.M{"$set": bson.M{"enrolledCourses": "broken"}}); err != nil {
		t.Fatal(err)
	}
	payload := completed("evt_fault", r)
	sig := signature(payload, whSecret, time.Now())
	apptest.WantError(t, h.deliverWith(t, payload, sig), http.StatusInternalServerError, "Internal server error")
	if n := h.Count(t, "webhookevents", bson.M{"eventId": "evt_fault", "status": "processed"}); n != 0 {
		t.Fatal("the failed event is recorded as processed")
	}
	if got := h.enrolledCount(t, c.ID); got != 0 {
		t.Errorf("enrolledCount %d after the failure", got)
	}
	if _, err := users.UpdateOne(t.Context(), bson.M{"_id": uid}, bson.M{"$set": bson.M{"enrolledCourses": bson.A{}}}); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, payload) // Stripe's retry
	h.deliver(t, payload)
	h.wantEnrolled(t, student, c, 1, 1)
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "completed" {
		t.Errorf("status %s", p.Status)
	}
}

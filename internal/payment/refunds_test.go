package payment_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/stripe"
)

// charge is a charge event of r with a payment intent and metadata of our
// choosing (nil: none) and amount_refunded refundedCents.
func charge(id, typ string, r ref, pi string, meta map[string]any, status string, refundedCents int64) []byte {
	obj := chargeObject(r, status, refundedCents)
	obj["payment_intent"] = pi
	obj["metadata"] = meta
	if meta == nil {
		obj["metadata"] = map[string]any{}
	}
	return event(id, typ, obj)
}

// stored reads a purchase through the repository.
func (h *harness) stored(t testing.TB, purchaseID string) *payment.Purchase {
	t.Helper()
	p, err := mongodb.NewPurchaseRepo(h.App.DB).ByID(context.Background(), purchaseID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// legacyCompleted stores a completed purchase as the Node API left it (no
// session, no payment intent) and enrols its buyer.
func (h *harness) legacyCompleted(t testing.TB, u user, c testCourse) payment.Purchase {
	t.Helper()
	p := h.SeedPurchase(t, payment.Purchase{
		UserID: u.ID, CourseID: c.ID, Amount: c.Price, Status: payment.StatusCompleted,
		CompletedAt: time.Now().Add(-48 * time.Hour), CreatedAt: time.Now().Add(-48 * time.Hour),
	})
	h.Enrol(t, u.ID, c.ID)
	return p
}

func TestRefundOfALegacyChargeRemovesAccess(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 25, true)
	p := h.legacyCompleted(t, student, c)
	if !h.isPurchased(t, student, c.ID) {
		t.Fatal("the legacy purchase does not own the course")
	}
	// The Node API put only courseId and userId on its sessions' charges.
	r := ref{Purchase: p.ID, User: student.ID, Course: c.ID, Cents: 2500}
	meta := map[string]any{"courseId": c.ID, "userId": student.ID}
	h.deliver(t, charge("evt_legacy_refund", "charge.refunded", r, "pi_from_the_node_api", meta, "succeeded", 2500))

	got := h.stored(t, p.ID)
	if got.Status != payment.StatusRefunded || got.RefundedCents != 2500 || got.Flagged {
		t.Errorf("purchase %+v: want refunded, 2500 cents refunded", got)
	}
	if h.isPurchased(t, student, c.ID) {
		t.Error("the refund of a legacy charge left access")
	}
	// Its payment intent is now known: a later event needs no metadata.
	if got.PaymentIntentID != "pi_from_the_node_api" {
		t.Errorf("payment intent %q not recorded", got.PaymentIntentID)
	}
}

func TestChargeMatchedByPaymentIntentOnly(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_pi_complete", r)) // the session names pi_<purchase>
	if pi := h.stored(t, r.Purchase).PaymentIntentID; pi != "pi_"+r.Purchase {
		t.Fatalf("payment intent %q, want it recorded on completion", pi)
	}
	// A charge with no metadata at all (a refund made in the Dashboard of
	// a charge whose metadata was edited away) finds the purchase by its
	// payment intent alone.
	h.deliver(t, charge("evt_pi_refund", "charge.refunded", r, "pi_"+r.Purchase, nil, "succeeded", 1000))
	if got := h.stored(t, r.Purchase); got.Status != payment.StatusRefunded || got.RefundedCents != 1000 {
		t.Errorf("purchase %+v: want refunded in full", got)
	}
	if h.isPurchased(t, student, c.ID) {
		t.Error("still owned after a full refund")
	}
	if n := h.Count(t, "unmatchedrefunds", bson.M{}); n != 0 {
		t.Errorf("%d unmatched refunds, want 0", n)
	}
}

func TestReconcileRecordsThePaymentIntent(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	h.age(t, r.Purchase, 2*time.Hour)
	h.stripe.SetRewrite(func(req *http.Request, obj map[string]any) {
		if req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/v1/checkout/sessions/") {
			obj["status"], obj["payment_status"], obj["amount_total"], obj["currency"] = "complete", "paid", 1000, "usd"
			obj["payment_intent"] = "pi_found_by_reconcile"
		}
	})
	if _, err := h.App.Payments.Reconcile(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := h.stored(t, r.Purchase); got.Status != payment.StatusCompleted || got.PaymentIntentID != "pi_found_by_reconcile" {
		t.Fatalf("purchase %+v: want completed with the session's payment intent", got)
	}
	h.deliver(t, charge("evt_reconciled_refund", "charge.refunded", r, "pi_found_by_reconcile", nil, "succeeded", 1000))
	if h.isPurchased(t, student, c.ID) {
		t.Error("a refund matched by the reconciled payment intent left access")
	}
}

func TestPartialThenFullRefund(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 40, true)
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_pf_complete", r))

	h.deliver(t, event("evt_pf_partial", "charge.refunded", chargeObject(r, "succeeded", 1500)))
	got := h.stored(t, r.Purchase)
	if got.Status != payment.StatusCompleted || got.RefundedCents != 1500 {
		t.Errorf("after a partial refund: %+v; want completed with 1500 refunded", got)
	}
	if !h.isPurchased(t, student, c.ID) {
		t.Error("a partial refund removed access")
	}
	history := func() map[string]any {
		t.Helper()
		ps := h.getData(t, student, historyPath)["purchases"].([]any)
		if len(ps) != 1 {
			t.Fatalf("history %v: want one purchase", ps)
		}
		return ps[0].(map[string]any)
	}
	want := func(p map[string]any, status string, gross, refunded, net float64, decimals [3]string) {
		t.Helper()
		if p["status"] != status || p["grossCents"] != gross || p["refundedCents"] != refunded || p["netCents"] != net ||
			p["gross"] != decimals[0] || p["refunded"] != decimals[1] || p["net"] != decimals[2] {
			t.Errorf("history entry %v: want %s, %v/%v/%v cents = %v", p, status, gross, refunded, net, decimals)
		}
	}
	want(history(), "completed", 4000, 1500, 2500, [3]string{"40.00", "15.00", "25.00"})

	// An older event arriving late lowers nothing.
	h.deliver(t, event("evt_pf_older", "charge.refunded", chargeObject(r, "succeeded", 500)))
	if got := h.stored(t, r.Purchase).RefundedCents; got != 1500 {
		t.Errorf("refunded %d after a late, smaller event; want 1500", got)
	}

	h.deliver(t, refunded("evt_pf_full", r))
	if got := h.stored(t, r.Purchase); got.Status != payment.StatusRefunded || got.RefundedCents != 4000 {
		t.Errorf("after the full refund: %+v", got)
	}
	if h.isPurchased(t, student, c.ID) {
		t.Error("a full refund left access")
	}
	want(history(), "refunded", 4000, 4000, 0, [3]string{"40.00", "40.00", "0.00"})
}

func TestUnmatchedRefundIsKeptAndReported(t *testing.T) {
	h := start(t, nil)
	ghost := ref{Purchase: "64b7f0c2a1b2c3d4e5f60718", User: "64b7f0c2a1b2c3d4e5f60719", Course: "64b7f0c2a1b2c3d4e5f6071a", Cents: 1200}
	h.deliver(t, event("evt_ghost_partial", "charge.refunded", chargeObject(ghost, "succeeded", 200)))
	h.deliver(t, event("evt_ghost_full", "charge.refunded", chargeObject(ghost, "succeeded", 1200)))
	h.deliver(t, event("evt_ghost_partial", "charge.refunded", chargeObject(ghost, "succeeded", 200))) // again

	if n := h.Count(t, "unmatchedrefunds", bson.M{"_id": "ch_" + ghost.Purchase, "refundedCents": 1200}); n != 1 {
		t.Errorf("%d unmatched refund records of the charge with 1200 refunded, want 1", n)
	}
	if !strings.Contains(h.Logs(), "refund for no known purchase: kept as unmatched") {
		t.Error("the unmatched refund was not logged")
	}
	metrics := h.Do(t, http.MethodGet, "/metrics", nil, "")
	if !strings.Contains(string(metrics.Body), "lms_unmatched_refunds_total 2") {
		t.Errorf("metric lms_unmatched_refunds_total is not 2:\n%s", grepLines(string(metrics.Body), "unmatched"))
	}
	sum := h.getData(t, h.admin(t), summaryPath)
	u := apptest.Object(t, sum, "unmatchedRefunds")
	if u["refunds"] != 1.0 || u["refundedCents"] != 1200.0 || u["netCents"] != -1200.0 {
		t.Errorf("summary's unmatched refunds %v: want one of 1200 cents", u)
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestDeclineThenRetryOpensNoSecondPayableSession(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	first := h.buy(t, student, c)
	h.deliver(t, chargeFailed("evt_declined", first))
	if p := h.stored(t, first.Purchase); p.Status != payment.StatusFailed {
		t.Fatalf("status %s after the decline, want failed", p.Status)
	}
	expirePath := "/v1/checkout/sessions/" + first.Session + "/expire"
	if n := len(h.stripe.Find(http.MethodPost, expirePath)); n != 1 {
		t.Fatalf("the declined purchase's session was expired %d times, want once: it stays payable", n)
	}
	// The retry opens a new session only after the old one was closed.
	second := h.buy(t, student, c)
	if second.Purchase == first.Purchase {
		t.Fatal("the failed purchase was handed out again")
	}
	var order []string
	for _, x := range h.stripe.Requests() {
		if x.Method == http.MethodPost && (x.Path == expirePath || x.Path == "/v1/checkout/sessions") {
			order = append(order, x.Path)
		}
	}
	if want := []string{"/v1/checkout/sessions", expirePath, "/v1/checkout/sessions"}; strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("requests to Stripe %v, want %v", order, want)
	}
	// Redelivery expires nothing twice.
	h.deliver(t, chargeFailed("evt_declined", first))
	if n := len(h.stripe.Find(http.MethodPost, expirePath)); n != 1 {
		t.Errorf("expired %d times after a redelivery, want once", n)
	}
}

func TestDeclineOnASessionThatIsNoLongerOpen(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)

	// Stripe down: the decline is not done until the session is closed,
	// so Stripe's retry tries again.
	down := h.service(t, nil, nil, stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret, APIBase: "http://" + apptest.ClosedAddr(t)}))
	if err := handle(down, chargeFailed("evt_decline_down", r)); err == nil || apperr.KindOf(err) != apperr.Internal {
		t.Fatalf("decline with Stripe down: %v; want an internal error, for Stripe to retry", err)
	}

	// Paid meanwhile: Stripe refuses to expire it and says it is complete;
	// the decline is done, and the payment's own event completes it.
	h.rewriteSessions(map[string]sessionState{r.Session: {"complete", "paid", 1000, "usd"}})
	live := stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret, APIBase: h.stripe.URL})
	svc := h.service(t, nil, nil, refusingExpiry{live})
	if err := handle(svc, chargeFailed("evt_decline_down", r)); err != nil {
		t.Fatalf("decline of a session paid meanwhile: %v", err)
	}
	if err := handle(svc, completed("evt_paid_meanwhile", r)); err != nil {
		t.Fatal(err)
	}
	if p := h.stored(t, r.Purchase); p.Status != payment.StatusCompleted {
		t.Errorf("status %s, want completed", p.Status)
	}
	h.wantEnrolled(t, student, c, 1, 1)
}

func TestReconcileRecordsThePaymentIntentOfEarlierPurchases(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	// Completed before payment intents were recorded, with a session.
	p := h.SeedPurchase(t, payment.Purchase{
		UserID: student.ID, CourseID: c.ID, Amount: 10, Status: payment.StatusCompleted, PaymentID: "cs_test_earlier",
		CompletedAt: time.Now().Add(-72 * time.Hour), CreatedAt: time.Now().Add(-72 * time.Hour),
	})
	h.Enrol(t, student.ID, c.ID)
	h.stripe.SetRewrite(func(req *http.Request, obj map[string]any) {
		if req.Method == http.MethodGet && req.URL.Path == "/v1/checkout/sessions/cs_test_earlier" {
			obj["id"], obj["status"], obj["payment_status"], obj["payment_intent"] = "cs_test_earlier", "complete", "paid", "pi_earlier"
		}
	})
	report, err := h.App.Payments.Reconcile(context.Background(), time.Hour)
	if err != nil || report.PaymentIntents != 1 || report.Errors != 0 {
		t.Fatalf("reconcile: %+v, %v; want one payment intent recorded", report, err)
	}
	if got := h.stored(t, p.ID).PaymentIntentID; got != "pi_earlier" {
		t.Fatalf("payment intent %q, want pi_earlier", got)
	}
	// Asked once: the next run leaves it alone.
	before := len(h.stripe.Find(http.MethodGet, "/v1/checkout/sessions/cs_test_earlier"))
	if report, err := h.App.Payments.Reconcile(context.Background(), time.Hour); err != nil || report.PaymentIntents != 0 {
		t.Errorf("second run: %+v, %v", report, err)
	}
	if after := len(h.stripe.Find(http.MethodGet, "/v1/checkout/sessions/cs_test_earlier")); after != before {
		t.Error("the second run asked Stripe again")
	}
	// A refund from the Dashboard, with no metadata, now finds it.
	r := ref{Purchase: p.ID, User: student.ID, Course: c.ID, Cents: 1000}
	h.deliver(t, charge("evt_earlier_refund", "charge.refunded", r, "pi_earlier", nil, "succeeded", 1000))
	if h.isPurchased(t, student, c.ID) {
		t.Error("the refund did not remove access")
	}
}

// A partial refund acknowledged to Stripe and settled later from its record
// keeps what matching and the ledger need: the payment intent and the
// amount refunded.
func TestStaleRefundIsSettledFromItsRecord(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 30, true)
	r := h.buy(t, student, c)
	h.deliver(t, completed("evt_stale_complete", r))
	ev := payment.Event{ID: "evt_stale_partial", Type: payment.EventChargeRefunded, ObjectID: "ch_stale", Amount: 3000,
		Currency: "usd", AmountRefunded: 1200, PaymentIntentID: "pi_" + r.Purchase}
	if c, err := mongodb.NewWebhookEventRepo(h.App.DB).Claim(context.Background(), ev, "died", time.Now().Add(-time.Hour), time.Minute); err != nil || c != payment.ClaimAcquired {
		t.Fatalf("claim: %v %v", c, err)
	}
	if n, err := h.App.Payments.SettleStale(context.Background()); err != nil || n != 1 {
		t.Fatalf("SettleStale: %d, %v; want 1", n, err)
	}
	if got := h.stored(t, r.Purchase); got.RefundedCents != 1200 || got.Status != payment.StatusCompleted {
		t.Errorf("purchase %+v: want completed with 1200 refunded", got)
	}
}

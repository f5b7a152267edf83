package payment_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/auth"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/enrolment"
	"github.com/lms-backend/lms/internal/mongodb"
	"github.com/lms-backend/lms/internal/payment"
	"github.com/lms-backend/lms/internal/stripe"
)

var errInjected = errors.New("injected fault")

// flakyEnrolments fails the next failures calls of Enrol or Unenrol, before
// writing (before) or after writing (as if the answer were lost).
type flakyEnrolments struct {
	enrolment.Repository
	failures atomic.Int32
	after    bool
}

func (f *flakyEnrolments) fail(write func() (bool, error)) (bool, error) {
	if f.failures.Add(-1) < 0 {
		return write()
	}
	if f.after {
		_, _ = write()
	}
	return false, errInjected
}

func (f *flakyEnrolments) Enrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error) {
	return f.fail(func() (bool, error) { return f.Repository.Enrol(ctx, userID, courseID, at) })
}

func (f *flakyEnrolments) Unenrol(ctx context.Context, userID, courseID string, at time.Time) (bool, error) {
	return f.fail(func() (bool, error) { return f.Repository.Unenrol(ctx, userID, courseID, at) })
}

// flakyEvents fails the next failures calls of Finish, after the event was
// applied.
type flakyEvents struct {
	payment.EventLog
	failures atomic.Int32
}

func (f *flakyEvents) Finish(ctx context.Context, id, token string, now time.Time) error {
	if f.failures.Add(-1) >= 0 {
		return errInjected
	}
	return f.EventLog.Finish(ctx, id, token, now)
}

type noMedia struct{}

func (noMedia) Remove(context.Context, string) {}

// service builds a payment service over the harness's database, with
// faults injected where a test asks.
func (h *harness) service(t testing.TB, enrol enrolment.Repository, events payment.EventLog, provider payment.Provider) *payment.Service {
	t.Helper()
	return h.serviceWith(t, enrol, events, provider, payment.Timing{BusyWait: 2 * time.Second, AnswerWithin: time.Minute})
}

// serviceWith is service with the given timing.
func (h *harness) serviceWith(t testing.TB, enrol enrolment.Repository, events payment.EventLog, provider payment.Provider, timing payment.Timing) *payment.Service {
	t.Helper()
	db := h.App.DB
	if enrol == nil {
		enrol = mongodb.NewEnrolmentRepo(db)
	}
	if events == nil {
		events = mongodb.NewWebhookEventRepo(db)
	}
	if provider == nil {
		provider = stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret, APIBase: h.stripe.URL})
	}
	enrolments := enrolment.NewService(enrolment.Deps{Repo: enrol})
	catalog := course.NewService(course.Deps{
		Repo: mongodb.NewCourseRepo(db), Entitlement: enrolments, Progress: mongodb.NewProgressRepo(db), Media: noMedia{},
	})
	return payment.NewService(payment.Deps{
		Repo: mongodb.NewPurchaseRepo(db), Events: events, Enrolments: enrolments, Catalog: catalog,
		Unmatched: mongodb.NewUnmatchedRefundRepo(db), Directory: mongodb.NewLedgerDirectory(db),
		Provider: provider, SuccessURL: successURL, CancelURL: cancelURL,
		Timing: timing,
	})
}

// handle delivers a signed event to svc.
func handle(svc *payment.Service, payload []byte) error {
	return svc.HandleEvent(context.Background(), payload, signature(payload, whSecret, time.Now()))
}

// wantInternal asserts an error that the HTTP layer answers with 500 and
// that does not show the injected cause.
func wantInternal(t *testing.T, err error) {
	t.Helper()
	if err == nil || apperr.KindOf(err) != apperr.Internal || !errors.Is(err, errInjected) {
		t.Fatalf("error %v (kind %v), want an internal error caused by the fault", err, apperr.KindOf(err))
	}
}

func TestEnrolmentFaultIsRetriedExactlyOnce(t *testing.T) {
	for _, after := range []bool{false, true} {
		name := map[bool]string{false: "fails before writing", true: "fails after writing"}[after]
		t.Run(name, func(t *testing.T) {
			h := start(t, nil)
			flaky := &flakyEnrolments{Repository: mongodb.NewEnrolmentRepo(h.App.DB), after: after}
			svc := h.service(t, flaky, nil, nil)
			teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
			c := h.course(t, teacher.ID, 10, true)
			r := h.buy(t, student, c)
			payload := completed("evt_flaky", r)

			flaky.failures.Store(1)
			wantInternal(t, handle(svc, payload))
			if n := h.Count(t, "webhookevents", bson.M{"eventId": "evt_flaky", "status": "processed"}); n != 0 {
				t.Fatal("the event is recorded as processed after the fault")
			}
			// Stripe redelivers (twice, even): exactly one enrolment.
			for range 2 {
				if err := handle(svc, payload); err != nil {
					t.Fatalf("redelivery: %v", err)
				}
			}
			h.wantEnrolled(t, student, c, 1, 1)

			// The refund meets a fault too.
			refund := refunded("evt_flaky_refund", r)
			flaky.failures.Store(1)
			wantInternal(t, handle(svc, refund))
			if err := handle(svc, refund); err != nil {
				t.Fatalf("refund redelivery: %v", err)
			}
			h.wantEnrolled(t, student, c, 0, 0)
		})
	}
}

// An event applied whose record could not be written is applied again by
// its redelivery, which changes nothing.
func TestEventRecordFaultIsHarmless(t *testing.T) {
	h := start(t, nil)
	events := &flakyEvents{EventLog: mongodb.NewWebhookEventRepo(h.App.DB)}
	svc := h.service(t, nil, events, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	payload := chargeSucceeded("evt_record", r)
	events.failures.Store(1)
	wantInternal(t, handle(svc, payload))
	h.wantEnrolled(t, student, c, 1, 1)
	if err := handle(svc, payload); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	h.wantEnrolled(t, student, c, 1, 1)
	if err := handle(svc, payload); err != nil {
		t.Fatalf("duplicate: %v", err)
	}
}

// sessionState is what the rewriting proxy makes stripe-mock say about a
// session.
type sessionState struct {
	status, paymentStatus string
	amount                int64
	currency              string
}

// rewriteSessions makes GET /v1/checkout/sessions/{id} answer with states
// by session id; other sessions keep stripe-mock's fixture (open, unpaid).
func (h *harness) rewriteSessions(states map[string]sessionState) {
	h.stripe.SetRewrite(func(r *http.Request, obj map[string]any) {
		id, ok := strings.CutPrefix(r.URL.Path, "/v1/checkout/sessions/")
		if r.Method != http.MethodGet || !ok {
			return
		}
		if s, ok := states[id]; ok {
			obj["status"], obj["payment_status"], obj["amount_total"], obj["currency"] = s.status, s.paymentStatus, s.amount, s.currency
		}
	})
}

// age moves a purchase's creation back by d. It writes the document by
// hand: no repository moves a stored purchase back in time.
func (h *harness) age(t testing.TB, purchaseID string, d time.Duration) {
	t.Helper()
	id, _ := primitive.ObjectIDFromHex(purchaseID)
	if _, err := h.Mongo.Collection("coursepurchases").UpdateOne(t.Context(), bson.M{"_id": id},
		bson.M{"$set": bson.M{"createdAt": time.Now().Add(-d)}}); err != nil {
		t.Fatal(err)
	}
}

// seedUnstarted stores a pending purchase of c by u, created ago, that has
// no Checkout Session: its request died before Stripe answered.
func (h *harness) seedUnstarted(t testing.TB, u user, c testCourse, ago time.Duration) ref {
	t.Helper()
	p := h.SeedPurchase(t, payment.Purchase{
		UserID: u.ID, CourseID: c.ID, Amount: c.Price, Status: payment.StatusPending, CreatedAt: time.Now().Add(-ago),
	})
	return ref{Purchase: p.ID, User: p.UserID, Course: p.CourseID, Cents: p.AmountCents}
}

func TestReconcile(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 10, true)
	students := make([]user, 6)
	refs := make([]ref, 6)
	for i := range students {
		students[i] = h.signUp(t, "student")
		if i == 4 {
			// A purchase whose request died before Stripe answered has no session.
			refs[i] = h.seedUnstarted(t, students[i], c, 2*time.Hour)
			continue
		}
		refs[i] = h.buy(t, students[i], c)
		if i < 4 { // all but the recent one are old
			h.age(t, refs[i].Purchase, 2*time.Hour)
		}
	}
	open, paid, gone, wrong, unstarted, recent := refs[0], refs[1], refs[2], refs[3], refs[4], refs[5]
	h.rewriteSessions(map[string]sessionState{
		paid.Session:   {"complete", "paid", 1000, "usd"},
		gone.Session:   {"expired", "unpaid", 1000, "usd"},
		wrong.Session:  {"complete", "paid", 10, "usd"},
		recent.Session: {"complete", "paid", 1000, "usd"},
	})

	report, err := h.App.Payments.Reconcile(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := payment.ReconcileReport{Checked: 5, Completed: 1, Expired: 1, StillOpen: 1, Flagged: 1, Abandoned: 1}
	if report != want {
		t.Errorf("report %+v, want %+v", report, want)
	}
	status := func(r ref) string {
		t.Helper()
		ps := h.purchases(t, r.User, r.Course)
		if len(ps) == 0 {
			return "deleted"
		}
		return ps[0].Status
	}
	for _, tt := range []struct {
		name string
		r    ref
		want string
	}{
		{"open (stripe-mock's fixture)", open, "pending"}, {"paid", paid, "completed"}, {"expired", gone, "expired"},
		{"wrong amount", wrong, "pending"}, {"unstarted", unstarted, "deleted"}, {"recent", recent, "pending"},
	} {
		if got := status(tt.r); got != tt.want {
			t.Errorf("%s: status %s, want %s", tt.name, got, tt.want)
		}
	}
	h.wantEnrolled(t, students[1], c, 1, 1)
	if p := h.onePurchase(t, wrong.User, wrong.Course); !p.Flagged {
		t.Error("the wrong amount is not flagged")
	}
	// stripe-mock was asked about each session with one GET.
	if n := len(h.stripe.Find(http.MethodGet, "/v1/checkout/sessions/")); n != 4 {
		t.Errorf("%d session reads, want 4", n)
	}

	// Again: only what is still pending is looked at, nothing changes twice.
	report, err = h.App.Payments.Reconcile(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := (payment.ReconcileReport{Checked: 2, StillOpen: 1, Flagged: 1}); report != want {
		t.Errorf("second run %+v, want %+v", report, want)
	}
	// The late webhook of the reconciled purchase changes nothing either.
	h.deliver(t, completed("evt_after_reconcile", paid))
	h.wantEnrolled(t, students[1], c, 1, 1)
	if !strings.Contains(report.String(), "checked 2 pending purchases") {
		t.Errorf("summary %q", report.String())
	}
}

func TestReconcileWhenStripeIsDown(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	h.age(t, r.Purchase, 2*time.Hour)
	down := stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret, APIBase: "http://" + apptest.ClosedAddr(t), Timeout: 500 * time.Millisecond})
	report, err := h.service(t, nil, nil, down).Reconcile(t.Context(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := (payment.ReconcileReport{Checked: 1, Errors: 1}); report != want {
		t.Errorf("report %+v, want %+v", report, want)
	}
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" {
		t.Errorf("status %s, want pending", p.Status)
	}
}

func TestReconcileWithoutStripe(t *testing.T) {
	h := start(t, map[string]string{"STRIPE_SECRET_KEY": "", "STRIPE_WEBHOOK_SECRET": ""})
	if _, err := h.App.Payments.Reconcile(t.Context(), time.Hour); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Reconcile without Stripe: %v, want Unavailable", err)
	}
}

// A pending purchase too old to hand out again is settled from Stripe before
// a new session opens.
func TestCheckoutSupersedesAnOldSession(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 10, true)

	// Still open at Stripe: expired here, and a new session opens.
	s1 := h.signUp(t, "student")
	old := h.buy(t, s1, c)
	h.age(t, old.Purchase, 24*time.Hour)
	fresh := h.buy(t, s1, c)
	if fresh.Purchase == old.Purchase {
		t.Fatal("the old session was handed out again")
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions/"+old.Session+"/expire")); n != 1 {
		t.Errorf("the old session was expired at Stripe %d times, want once: it could be paid next to the new one", n)
	}
	ps := h.purchases(t, s1.ID, c.ID)
	if len(ps) != 2 || ps[0].Status != "expired" || ps[1].Status != "pending" {
		t.Errorf("purchases %+v: want the old one expired, a new one pending", ps)
	}
	// Money that arrives for the old one still completes it.
	h.deliver(t, completed("evt_old_paid", old))
	h.wantEnrolled(t, s1, c, 1, 1)

	// Paid at Stripe meanwhile: completed and owned, no new session.
	s2 := h.signUp(t, "student")
	paid := h.buy(t, s2, c)
	h.age(t, paid.Purchase, 24*time.Hour)
	h.rewriteSessions(map[string]sessionState{paid.Session: {"complete", "paid", 1000, "usd"}})
	before := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions"))
	apptest.WantError(t, h.checkout(t, s2.Token, c.ID), http.StatusConflict, msgAlreadyOwned)
	if after := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); after != before {
		t.Error("a new session was opened for a paid purchase")
	}
	h.wantEnrolled(t, s2, c, 1, 2)

	// Completed with a delayed payment method still on its way: no second
	// session that could be paid as well.
	s3 := h.signUp(t, "student")
	waiting := h.buy(t, s3, c)
	h.age(t, waiting.Purchase, 24*time.Hour)
	h.rewriteSessions(map[string]sessionState{waiting.Session: {"complete", "unpaid", 1000, "usd"}})
	apptest.WantError(t, h.checkout(t, s3.Token, c.ID), http.StatusConflict, "A payment for this course is still being processed")
	if p := h.onePurchase(t, s3.ID, c.ID); p.Status != "pending" {
		t.Errorf("status %s, want pending", p.Status)
	}
}

// refusingExpiry is Stripe refusing to expire a session (it was paid just
// now).
type refusingExpiry struct{ payment.Provider }

func (refusingExpiry) ExpireCheckoutSession(context.Context, string) error {
	return errors.New("stripe: expire checkout session: only open sessions can be expired")
}

// When the old session cannot be closed at Stripe, no second one opens.
func TestCheckoutKeepsAnOldSessionStripeWillNotExpire(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	old := h.buy(t, student, c)
	h.age(t, old.Purchase, 24*time.Hour)
	svc := h.service(t, nil, nil, refusingExpiry{stripe.New(stripe.Config{SecretKey: testKey, WebhookSecret: whSecret, APIBase: h.stripe.URL})})
	before := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions"))

	_, err := svc.Checkout(t.Context(), course.Viewer{UserID: student.ID, Role: auth.RoleStudent}, c.ID, "")
	if apperr.KindOf(err) != apperr.Upstream {
		t.Fatalf("error %v (kind %v), want an upstream error", err, apperr.KindOf(err))
	}
	if after := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); after != before {
		t.Error("a second session was opened while the first one could still be paid")
	}
	if p := h.onePurchase(t, student.ID, c.ID); p.Status != "pending" {
		t.Errorf("status %s, want pending", p.Status)
	}
}

// A click that finds another click's purchase still waiting for its session
// after the request must have died deletes it and starts afresh.
func TestCheckoutReplacesAnAbandonedPurchase(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.seedUnstarted(t, student, c, 10*time.Minute)
	fresh := h.buy(t, student, c)
	if fresh.Purchase == r.Purchase || fresh.Session == "" {
		t.Errorf("got %+v, want a new purchase with a session", fresh)
	}
	h.onePurchase(t, student.ID, c.ID)
}

// While one delivery holds an event, another waits for it; if the holder
// never finishes (it died), the other takes over when the lease runs out.
func TestEventHeldByADeadDelivery(t *testing.T) {
	h := start(t, nil)
	svc := h.service(t, nil, nil, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 10, true)
	r := h.buy(t, student, c)
	now := time.Now()
	h.ClaimWebhookEvent(t, "evt_held", "charge.succeeded", "dead", now, time.Hour)
	payload := chargeSucceeded("evt_held", r)
	if err := handle(svc, payload); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("delivery during the lease: %v, want Conflict (409: Stripe retries)", err)
	}
	h.wantEnrolled(t, student, c, 0, 0)
	// The lease runs out: written by hand, as no repository moves a lease
	// back in time.
	if _, err := h.Mongo.Collection("webhookevents").UpdateOne(t.Context(), bson.M{"eventId": "evt_held"},
		bson.M{"$set": bson.M{"leaseUntil": now.Add(-time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if err := handle(svc, payload); err != nil {
		t.Fatalf("delivery after the lease: %v", err)
	}
	h.wantEnrolled(t, student, c, 1, 1)
}

// The service finds purchases by the metadata keys the Stripe client sends.
func TestMetadataKeysMatchTheStripeClient(t *testing.T) {
	if payment.MetadataPurchaseID != stripe.MetadataPurchaseID || payment.MetadataCourseID != stripe.MetadataCourseID ||
		payment.MetadataUserID != stripe.MetadataUserID {
		t.Error("payment and stripe disagree on the metadata keys")
	}
}

package payment_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/stripe/stripemock"
)

// Settings and paths of the payments tests.
const (
	testKey      = "sk_test_51PaymentsKeyThatMustNeverLeak"
	whSecret     = "whsec_test_payments_4eC39HqLyjWDarjtT1zdp7dc"
	successURL   = "https://spa.test/payment/success?session_id={CHECKOUT_SESSION_ID}"
	cancelURL    = "https://spa.test/payment/cancel"
	publicURL    = "https://api.lms.test"
	password     = "payments password 1"
	checkoutPath = "/api/v1/payments/create-checkout-session"
	webhookPath  = "/api/v1/payments/webhook"
	boughtPath   = "/api/v1/payments/purchased-courses"
	apiVersion   = "2023-10-16" // stripe-go v76's
)

// statusPath is the purchase-status path of a course.
func statusPath(courseID string) string {
	return "/api/v1/payments/courses/" + courseID + "/purchase-status"
}

// harness is the whole service with Stripe pointed at a recording proxy in
// front of stripe-mock. It arranges what the API cannot with apptest's
// seeding helpers (and, for ages, its Mongo handle), and checks what the
// service stored with its Mongo handle.
type harness struct {
	*apptest.Server
	stripe *stripemock.Recorder
	users  atomic.Int64
}

// start runs the service with Stripe configured and overrides applied; an
// override with an empty value unsets the variable.
func start(t testing.TB, overrides map[string]string) *harness {
	t.Helper()
	rec := stripemock.NewRecorder(t, stripemock.Shared(t))
	env := map[string]string{
		"STRIPE_SECRET_KEY":     testKey,
		"STRIPE_WEBHOOK_SECRET": whSecret,
		"STRIPE_API_BASE":       rec.URL,
		"STRIPE_SUCCESS_URL":    successURL,
		"STRIPE_CANCEL_URL":     cancelURL,
		"PUBLIC_URL":            publicURL,
		"LOG_LEVEL":             "debug",
		// Most tests look at the state right after a delivery: let each
		// be applied before its answer. The burst test uses the default.
		"WEBHOOK_ANSWER_WITHIN": "1m",
	}
	for k, v := range overrides {
		env[k] = v
	}
	return &harness{Server: apptest.Start(t, env), stripe: rec}
}

// user is a signed-in account.
type user struct {
	ID, Token string
}

// signUp registers a student or instructor through the API.
func (h *harness) signUp(t testing.TB, role string) user {
	t.Helper()
	n := h.users.Add(1)
	body := map[string]any{"name": fmt.Sprintf("User %d", n), "email": fmt.Sprintf("%s%d@payments.test", role, n), "password": password, "role": role}
	resp := h.Do(t, http.MethodPost, "/api/v1/user/signup", body, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign up: status %d: %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	return user{ID: m["user"].(map[string]any)["_id"].(string), Token: m["token"].(string)}
}

// testCourse is a course inserted for a test: a preview lecture and a
// gated one.
type testCourse struct {
	ID, Title, Thumbnail string
	Price                float64
	Preview, Gated       string // lecture ids
}

// course stores a course of instructor with two lectures, through the
// course repository.
func (h *harness) course(t testing.TB, instructor string, price float64, published bool) testCourse {
	t.Helper()
	key := func() string { return primitive.NewObjectID().Hex() + "00000000" } // a media key's shape
	stored := h.SeedCourse(t, course.Course{
		Title: "Course " + key()[18:24], Description: "A course", Category: "Programming", Level: course.LevelBeginner,
		Price: price, Thumbnail: "images/" + key() + ".png", InstructorID: instructor, IsPublished: published,
	})
	c := testCourse{ID: stored.ID, Title: stored.Title, Thumbnail: stored.Thumbnail, Price: price}
	for i, id := range []*string{&c.Preview, &c.Gated} {
		*id = h.SeedLecture(t, course.Lecture{
			CourseID: c.ID, Video: "videos/" + key() + ".mp4", Duration: 60, IsPreview: i == 0, Order: i + 1,
		}).ID
	}
	return c
}

// checkout asks to buy a course.
func (h *harness) checkout(t testing.TB, token, courseID string) *apptest.Response {
	t.Helper()
	return h.Do(t, http.MethodPost, checkoutPath, map[string]string{"courseId": courseID}, token)
}

// purchaseDoc is a purchase as the tests read it.
type purchaseDoc struct {
	ID          primitive.ObjectID `bson:"_id"`
	Course      primitive.ObjectID `bson:"course"`
	User        primitive.ObjectID `bson:"user"`
	Amount      float64            `bson:"amount"`
	AmountCents int64              `bson:"amountCents"`
	Currency    string             `bson:"currency"`
	Status      string             `bson:"status"`
	PaymentID   string             `bson:"paymentId"`
	Flagged     bool               `bson:"flagged"`
	FlagReason  string             `bson:"flagReason"`
	CreatedAt   time.Time          `bson:"createdAt"`
}

// purchases returns the purchases of a user and course, oldest first.
func (h *harness) purchases(t testing.TB, userID, courseID string) []purchaseDoc {
	t.Helper()
	u, _ := primitive.ObjectIDFromHex(userID)
	c, _ := primitive.ObjectIDFromHex(courseID)
	cur, err := h.Mongo.Collection("coursepurchases").Find(context.Background(), bson.M{"user": u, "course": c},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var out []purchaseDoc
	if err := cur.All(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// onePurchase returns the only purchase of a user and course.
func (h *harness) onePurchase(t testing.TB, userID, courseID string) purchaseDoc {
	t.Helper()
	ps := h.purchases(t, userID, courseID)
	if len(ps) != 1 {
		t.Fatalf("%d purchases of user %s and course %s, want 1: %+v", len(ps), userID, courseID, ps)
	}
	return ps[0]
}

// enrolledCount reads a course's enrolledCount.
func (h *harness) enrolledCount(t testing.TB, courseID string) int {
	t.Helper()
	id, _ := primitive.ObjectIDFromHex(courseID)
	var doc struct {
		N int `bson:"enrolledCount"`
	}
	if err := h.Mongo.Collection("courses").FindOne(context.Background(), bson.M{"_id": id}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.N
}

// enrolments returns the course ids of a user's enrolledCourses, in order.
func (h *harness) enrolments(t testing.TB, userID string) []string {
	t.Helper()
	id, _ := primitive.ObjectIDFromHex(userID)
	var doc struct {
		Enrolled []struct {
			Course primitive.ObjectID `bson:"course"`
		} `bson:"enrolledCourses"`
	}
	if err := h.Mongo.Collection("users").FindOne(context.Background(), bson.M{"_id": id}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range doc.Enrolled {
		out = append(out, e.Course.Hex())
	}
	return out
}

// wantEnrolled asserts how often a user is enrolled in a course and the
// course's enrolledCount.
func (h *harness) wantEnrolled(t testing.TB, u user, c testCourse, entries, count int) {
	t.Helper()
	n := 0
	for _, id := range h.enrolments(t, u.ID) {
		if id == c.ID {
			n++
		}
	}
	if n != entries || h.enrolledCount(t, c.ID) != count {
		t.Errorf("user is enrolled %d times, enrolledCount %d; want %d and %d", n, h.enrolledCount(t, c.ID), entries, count)
	}
}

// isPurchased asks the purchase-status endpoint.
func (h *harness) isPurchased(t testing.TB, u user, courseID string) bool {
	t.Helper()
	resp := h.Do(t, http.MethodGet, statusPath(courseID), nil, u.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("purchase-status: %d %s\n%s", resp.StatusCode, resp.Body, h.Logs())
	}
	v, ok := apptest.Object(t, resp.JSON(t), "data")["isPurchased"].(bool)
	if !ok {
		t.Fatalf("isPurchased is not a boolean: %s", resp.Body)
	}
	return v
}

// ref names a purchase in events.
type ref struct {
	Purchase, Session, User, Course string
	Cents                           int64
}

// refOf is the ref of a stored purchase.
func refOf(p purchaseDoc) ref {
	return ref{Purchase: p.ID.Hex(), Session: p.PaymentID, User: p.User.Hex(), Course: p.Course.Hex(), Cents: p.AmountCents}
}

// buy checks out a paid course and returns the pending purchase.
func (h *harness) buy(t testing.TB, u user, c testCourse) ref {
	t.Helper()
	resp := h.checkout(t, u.Token, c.ID)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	ps := h.purchases(t, u.ID, c.ID)
	return refOf(ps[len(ps)-1])
}

func (r ref) metadata() map[string]any {
	return map[string]any{"purchaseId": r.Purchase, "courseId": r.Course, "userId": r.User}
}

// sessionObject is a Checkout Session of r in a webhook event.
func sessionObject(r ref, status, paymentStatus string) map[string]any {
	return map[string]any{
		"id": r.Session, "object": "checkout.session", "amount_total": r.Cents, "currency": "usd",
		"client_reference_id": r.Purchase, "mode": "payment", "payment_status": paymentStatus, "status": status,
		"payment_intent": "pi_" + r.Purchase, "metadata": r.metadata(),
	}
}

// chargeObject is a charge of r's payment intent in a webhook event.
func chargeObject(r ref, status string, refunded int64) map[string]any {
	return map[string]any{
		"id": "ch_" + r.Purchase, "object": "charge", "amount": r.Cents, "amount_refunded": refunded, "currency": "usd",
		"paid": status == "succeeded", "refunded": refunded >= r.Cents, "status": status,
		"payment_intent": "pi_" + r.Purchase, "metadata": r.metadata(),
	}
}

// event encodes a webhook event.
func event(id, typ string, object map[string]any) []byte {
	return eventWithVersion(id, typ, apiVersion, object)
}

func eventWithVersion(id, typ, version string, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": version, "created": time.Now().Unix(), "livemode": false,
		"pending_webhooks": 1, "request": map[string]any{"id": nil, "idempotency_key": nil}, "type": typ,
		"data": map[string]any{"object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// The events of a purchase, by what happened.
func completed(id string, r ref) []byte {
	return event(id, "checkout.session.completed", sessionObject(r, "complete", "paid"))
}

func expired(id string, r ref) []byte {
	return event(id, "checkout.session.expired", sessionObject(r, "expired", "unpaid"))
}

func chargeSucceeded(id string, r ref) []byte {
	return event(id, "charge.succeeded", chargeObject(r, "succeeded", 0))
}

func chargeFailed(id string, r ref) []byte {
	return event(id, "charge.failed", chargeObject(r, "failed", 0))
}

func refunded(id string, r ref) []byte {
	return event(id, "charge.refunded", chargeObject(r, "succeeded", r.Cents))
}

// signature signs payload with secret at ts, as Stripe does.
func signature(payload []byte, secret string, ts time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts}).Header
}

// deliverWith posts a webhook body with a Stripe-Signature header ("" for
// none).
func (h *harness) deliverWith(t testing.TB, payload []byte, sig string) *apptest.Response {
	t.Helper()
	req := h.NewRequest(t, http.MethodPost, webhookPath, payload).WithHeader("Content-Type", "application/json; charset=utf-8")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	return req.Send(t)
}

// deliver posts a correctly signed event and expects 200 {"received":true}.
func (h *harness) deliver(t testing.TB, payload []byte) {
	t.Helper()
	resp := h.deliverWith(t, payload, signature(payload, whSecret, time.Now()))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(resp.Body)) != `{"received":true}` {
		t.Fatalf("webhook: %d %s", resp.StatusCode, resp.Body)
	}
}

package payment_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
)

const (
	couponsPath = "/api/v1/coupons"
	quotePath   = "/api/v1/payments/quote"
)

// createCoupon creates a coupon as u and returns its id.
func (h *harness) createCoupon(t testing.TB, u user, body map[string]any) string {
	t.Helper()
	resp := h.Do(t, http.MethodPost, couponsPath, body, u.Token)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create coupon: %d %s\n%s", resp.StatusCode, resp.Body, h.Logs())
	}
	return apptest.Object(t, resp.JSON(t), "data")["_id"].(string)
}

// quote asks for a price.
func (h *harness) quote(t testing.TB, u user, courseID, code string) *apptest.Response {
	t.Helper()
	return h.Do(t, http.MethodPost, quotePath, map[string]string{"courseId": courseID, "couponCode": code}, u.Token)
}

// checkoutWith checks out with a coupon code.
func (h *harness) checkoutWith(t testing.TB, u user, courseID, code string) *apptest.Response {
	t.Helper()
	return h.Do(t, http.MethodPost, checkoutPath, map[string]string{"courseId": courseID, "couponCode": code}, u.Token)
}

// couponState is a coupon's redemption bookkeeping as stored.
type couponState struct {
	Used     int64            `bson:"used"`
	Redeemed int64            `bson:"redeemed"`
	Users    map[string]int64 `bson:"users"`
	Reserved []string         `bson:"reserved"`
	Final    []string         `bson:"final"`
}

func (h *harness) coupon(t testing.TB, id string) couponState {
	t.Helper()
	oid, _ := primitive.ObjectIDFromHex(id)
	var c couponState
	if err := h.Mongo.Collection("coupons").FindOne(context.Background(), bson.M{"_id": oid}).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) setCoupon(t testing.TB, id string, set bson.M) {
	t.Helper()
	oid, _ := primitive.ObjectIDFromHex(id)
	if _, err := h.Mongo.Collection("coupons").UpdateOne(context.Background(), bson.M{"_id": oid}, bson.M{"$set": set}); err != nil {
		t.Fatal(err)
	}
}

// wantCode asserts an error answer's status and code.
func wantCode(t testing.TB, resp *apptest.Response, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if got := resp.JSON(t)["code"]; got != code {
		t.Errorf("code %v, want %s: %s", got, code, resp.Body)
	}
}

// couponPurchase is a purchase's coupon fields as stored.
type couponPurchase struct {
	ID             primitive.ObjectID `bson:"_id"`
	Status         string             `bson:"status"`
	PaymentID      string             `bson:"paymentId"`
	Amount         float64            `bson:"amount"`
	AmountCents    int64              `bson:"amountCents"`
	ListPriceCents int64              `bson:"listPriceCents"`
	DiscountCents  int64              `bson:"discountCents"`
	Coupon         primitive.ObjectID `bson:"coupon"`
	CouponCode     string             `bson:"couponCode"`
}

func (h *harness) couponPurchases(t testing.TB, couponID string) []couponPurchase {
	t.Helper()
	oid, _ := primitive.ObjectIDFromHex(couponID)
	cur, err := h.Mongo.Collection("coursepurchases").Find(context.Background(), bson.M{"coupon": oid})
	if err != nil {
		t.Fatal(err)
	}
	var out []couponPurchase
	if err := cur.All(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCouponQuoteAndCheckoutChargeTheSameTotal(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 19.99, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "Spring-25", "kind": "percent", "value": 25, "courseIds": []string{c.ID}})

	resp := h.quote(t, student, c.ID, "spring-25")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("quote: %d %s", resp.StatusCode, resp.Body)
	}
	q := apptest.Object(t, resp.JSON(t), "data")
	// 25 % of 19.99 is 4.9975: 5.00 off, 14.99 to pay.
	if q["listPriceCents"] != 1999.0 || q["discountCents"] != 500.0 || q["totalCents"] != 1499.0 || q["total"] != "14.99" || q["currency"] != "usd" {
		t.Errorf("quote %v", q)
	}
	if cp := apptest.Object(t, q, "coupon"); cp["code"] != "SPRING-25" || cp["kind"] != "percent" || cp["value"] != 25.0 {
		t.Errorf("quote coupon %v", cp)
	}
	// Quoting reserves nothing.
	if st := h.coupon(t, id); st.Used != 0 {
		t.Errorf("a quote reserved: %+v", st)
	}

	resp = h.checkoutWith(t, student, c.ID, "SPRING-25")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	reqs := h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")
	if len(reqs) != 1 {
		t.Fatalf("%d session requests, want 1", len(reqs))
	}
	if got := reqs[0].Form.Get("line_items[0][price_data][unit_amount]"); got != fmt.Sprint(q["totalCents"]) {
		t.Errorf("Stripe charges %s, the quote said %v", got, q["totalCents"])
	}
	ps := h.couponPurchases(t, id)
	if len(ps) != 1 {
		t.Fatalf("%d purchases with the coupon", len(ps))
	}
	p := ps[0]
	if p.Status != "pending" || p.AmountCents != 1499 || p.Amount != 14.99 || p.ListPriceCents != 1999 || p.DiscountCents != 500 || p.CouponCode != "SPRING-25" {
		t.Errorf("purchase %+v", p)
	}
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 0 || len(st.Reserved) != 1 || st.Users[student.ID] != 1 {
		t.Errorf("after checkout: %+v", st)
	}

	// Paid: final, enrolled, and the ledger shows the discount.
	r := ref{Purchase: p.ID.Hex(), Session: p.PaymentID, User: student.ID, Course: c.ID, Cents: 1499}
	h.deliver(t, completed("evt_coupon_paid", r))
	h.wantEnrolled(t, student, testCourse{ID: c.ID}, 1, 1)
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 1 || len(st.Reserved) != 0 || len(st.Final) != 1 {
		t.Errorf("after payment: %+v", st)
	}
	sale := h.getData(t, teacher, salesPath)["sales"].([]any)[0].(map[string]any)
	if sale["grossCents"] != 1999.0 || sale["discountCents"] != 500.0 || sale["paidCents"] != 1499.0 || sale["netCents"] != 1499.0 || sale["couponCode"] != "SPRING-25" {
		t.Errorf("sale %v", sale)
	}

	// A refund keeps the redemption used.
	h.deliver(t, refunded("evt_coupon_refund", r))
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 1 {
		t.Errorf("after refund: %+v", st)
	}
	tot := apptest.Object(t, h.getData(t, teacher, summaryPath), "totals")
	if tot["grossCents"] != 1999.0 || tot["discountCents"] != 500.0 || tot["paidCents"] != 1499.0 || tot["refundedCents"] != 1499.0 || tot["netCents"] != 0.0 {
		t.Errorf("summary totals %v", tot)
	}
}

func TestCouponTwentyCheckoutsAgainstFiveRedemptionsOpenFiveSessions(t *testing.T) {
	h := start(t, nil)
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 30, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "FIVE", "kind": "amount", "value": 10, "maxRedemptions": 5})
	students := make([]user, 20)
	for i := range students {
		students[i] = h.signUp(t, "student")
	}

	statuses := make([]int, len(students))
	codes := make([]any, len(students))
	var wg sync.WaitGroup
	for i, s := range students {
		wg.Go(func() {
			resp := h.checkoutWith(t, s, c.ID, "five")
			statuses[i] = resp.StatusCode
			if resp.StatusCode != http.StatusCreated {
				codes[i] = resp.JSON(t)["code"]
			}
		})
	}
	wg.Wait()
	opened := 0
	for i, st := range statuses {
		switch {
		case st == http.StatusCreated:
			opened++
		case st != http.StatusBadRequest || codes[i] != "coupon_used_up":
			t.Errorf("checkout %d: %d %v", i, st, codes[i])
		}
	}
	if opened != 5 {
		t.Errorf("%d sessions opened, want 5", opened)
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 5 {
		t.Errorf("%d sessions asked of Stripe, want 5", n)
	}
	st := h.coupon(t, id)
	ps := h.couponPurchases(t, id)
	if st.Used != 5 || len(st.Reserved) != 5 || len(ps) != 5 {
		t.Errorf("coupon %+v, %d purchases with it; want 5 reserved and 5 purchases", st, len(ps))
	}
	for _, p := range ps {
		if p.Status != "pending" || p.AmountCents != 2000 || p.DiscountCents != 1000 {
			t.Errorf("purchase %+v", p)
		}
	}
}

func TestCouponReservationReleasedOnExpiryAndSupersede(t *testing.T) {
	h := start(t, nil)
	teacher, first, second := h.signUp(t, "instructor"), h.signUp(t, "student"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 40, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "ONLY-ONE", "kind": "percent", "value": 50, "maxRedemptions": 1})

	if resp := h.checkoutWith(t, first, c.ID, "only-one"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	// Clicking again with the same code hands out the same session.
	if resp := h.checkoutWith(t, first, c.ID, "only-one"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("second click: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := h.quote(t, first, c.ID, "only-one"); resp.StatusCode != http.StatusOK {
		t.Errorf("the holder's own quote: %d %s", resp.StatusCode, resp.Body)
	}
	wantCode(t, h.checkoutWith(t, second, c.ID, "only-one"), http.StatusBadRequest, "coupon_used_up")
	wantCode(t, h.quote(t, second, c.ID, "only-one"), http.StatusBadRequest, "coupon_used_up")

	// The session expires: the use is released and the other student gets it.
	p := h.couponPurchases(t, id)[0]
	r := ref{Purchase: p.ID.Hex(), Session: p.PaymentID, User: first.ID, Course: c.ID, Cents: p.AmountCents}
	h.deliver(t, expired("evt_coupon_expired", r))
	if st := h.coupon(t, id); st.Used != 0 || len(st.Reserved) != 0 || st.Users[first.ID] != 0 {
		t.Errorf("after expiry: %+v", st)
	}
	if resp := h.checkoutWith(t, second, c.ID, "only-one"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout after release: %d %s", resp.StatusCode, resp.Body)
	}

	// The second student buys without the code after all: the session with
	// the coupon is superseded (expired at Stripe) and its use released.
	before := h.couponPurchases(t, id)
	if resp := h.checkout(t, second.Token, c.ID); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout without the code: %d %s", resp.StatusCode, resp.Body)
	}
	if st := h.coupon(t, id); st.Used != 0 || len(st.Reserved) != 0 {
		t.Errorf("after supersede: %+v", st)
	}
	for _, bp := range before {
		if bp.Status == "pending" {
			if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions/"+bp.PaymentID+"/expire")); n != 1 {
				t.Errorf("superseded session expired %d times at Stripe, want 1", n)
			}
		}
	}
	last := h.purchases(t, second.ID, c.ID)
	if p := last[len(last)-1]; p.Status != "pending" || p.AmountCents != 4000 {
		t.Errorf("new purchase %+v", p)
	}

	// A payment that arrives after the release still counts.
	h.deliver(t, completed("evt_coupon_late", r))
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 1 || len(st.Final) != 1 {
		t.Errorf("after a late payment: %+v", st)
	}
	h.deliver(t, completed("evt_coupon_late_again", r))
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 1 {
		t.Errorf("a second payment event counted again: %+v", st)
	}
}

func TestCouponHundredPercentEnrolsWithoutStripeAndPerUserLimit(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	a, b := h.course(t, teacher.ID, 25, true), h.course(t, teacher.ID, 35, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "FREE_ALL", "kind": "percent", "value": 100})

	resp := h.quote(t, student, a.ID, "free_all")
	if q := apptest.Object(t, resp.JSON(t), "data"); q["totalCents"] != 0.0 || q["discountCents"] != 2500.0 {
		t.Errorf("quote %v", q)
	}
	resp = h.checkoutWith(t, student, a.ID, "free_all")
	if resp.StatusCode != http.StatusOK || resp.JSON(t)["message"] != "Enrolled successfully" {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	if n := len(h.stripe.Find(http.MethodPost, "/v1/checkout/sessions")); n != 0 {
		t.Errorf("%d Stripe sessions for a 100 %% coupon", n)
	}
	h.wantEnrolled(t, student, a, 1, 1)
	if !h.isPurchased(t, student, a.ID) {
		t.Error("not purchased")
	}
	ps := h.couponPurchases(t, id)
	if len(ps) != 1 || ps[0].Status != "completed" || ps[0].AmountCents != 0 || ps[0].DiscountCents != 2500 {
		t.Errorf("purchases %+v", ps)
	}
	if st := h.coupon(t, id); st.Used != 1 || st.Redeemed != 1 {
		t.Errorf("coupon %+v", st)
	}
	// A sale of 25.00 with 25.00 off.
	sales := h.getData(t, teacher, salesPath)["sales"].([]any)
	if len(sales) != 1 || sales[0].(map[string]any)["grossCents"] != 2500.0 || sales[0].(map[string]any)["paidCents"] != 0.0 {
		t.Errorf("sales %v", sales)
	}

	// perUserLimit 1: not on the other course either.
	wantCode(t, h.quote(t, student, b.ID, "FREE_ALL"), http.StatusBadRequest, "coupon_already_used")
	wantCode(t, h.checkoutWith(t, student, b.ID, "FREE_ALL"), http.StatusBadRequest, "coupon_already_used")
	if len(h.purchases(t, student.ID, b.ID)) != 0 {
		t.Error("a refused checkout left a purchase")
	}
}

func TestCouponCodesThatDoNotApply(t *testing.T) {
	h := start(t, nil)
	teacher, other, student := h.signUp(t, "instructor"), h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 50, true)
	mine := h.course(t, teacher.ID, 20, true)
	h.createCoupon(t, other, map[string]any{"code": "THEIRS", "kind": "percent", "value": 10})
	h.createCoupon(t, teacher, map[string]any{"code": "ONLY-MINE", "kind": "percent", "value": 10, "courseIds": []string{mine.ID}})
	h.createCoupon(t, teacher, map[string]any{"code": "LATER", "kind": "percent", "value": 10,
		"startsAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	ending := h.createCoupon(t, teacher, map[string]any{"code": "ENDING", "kind": "percent", "value": 10,
		"expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	off := h.createCoupon(t, teacher, map[string]any{"code": "OFF", "kind": "percent", "value": 10})
	if resp := h.Do(t, http.MethodPatch, couponsPath+"/"+off, map[string]any{"active": false}, teacher.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("deactivate: %d %s", resp.StatusCode, resp.Body)
	}

	for _, tt := range []struct{ code, want string }{
		{"NOPE", "coupon_unknown"},
		{"bad code!", "coupon_unknown"},
		{"THEIRS", "coupon_not_applicable"},    // another instructor's
		{"ONLY-MINE", "coupon_not_applicable"}, // another course
		{"LATER", "coupon_not_started"},
		{"OFF", "coupon_inactive"},
	} {
		wantCode(t, h.quote(t, student, c.ID, tt.code), http.StatusBadRequest, tt.want)
	}

	// An expired code at checkout after a successful quote: 400, nothing
	// reserved, no purchase.
	if resp := h.quote(t, student, c.ID, "ending"); resp.StatusCode != http.StatusOK {
		t.Fatalf("quote: %d %s", resp.StatusCode, resp.Body)
	}
	h.setCoupon(t, ending, bson.M{"expiresAt": time.Now().Add(-time.Minute)})
	wantCode(t, h.checkoutWith(t, student, c.ID, "ending"), http.StatusBadRequest, "coupon_expired")
	if st := h.coupon(t, ending); st.Used != 0 {
		t.Errorf("an expired code reserved: %+v", st)
	}
	if n := len(h.purchases(t, student.ID, c.ID)); n != 0 {
		t.Errorf("%d purchases after a refused checkout", n)
	}
}

func TestCouponCreateRejectsBadInput(t *testing.T) {
	h := start(t, nil)
	teacher, other, student := h.signUp(t, "instructor"), h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 20, true)
	theirs := h.course(t, other.ID, 20, true)
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	for _, tt := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"short code", map[string]any{"code": "AB", "kind": "percent", "value": 10}, "code"},
		{"odd characters", map[string]any{"code": "SAVE 10%", "kind": "percent", "value": 10}, "code"},
		{"long code", map[string]any{"code": "A234567890123456789012345678901234", "kind": "percent", "value": 10}, "code"},
		{"percent 0", map[string]any{"code": "P0", "kind": "percent", "value": 0}, "value"},
		{"percent 101", map[string]any{"code": "P101", "kind": "percent", "value": 101}, "value"},
		{"percent fraction", map[string]any{"code": "PFRAC", "kind": "percent", "value": 2.5}, "value"},
		{"amount 0", map[string]any{"code": "A0X", "kind": "amount", "value": 0}, "value"},
		{"amount over the price", map[string]any{"code": "AOVER", "kind": "amount", "value": 20.01, "courseIds": []string{c.ID}}, "value"},
		{"amount with 3 decimals", map[string]any{"code": "A3DEC", "kind": "amount", "value": 1.005}, "value"},
		// Beyond int64 cents: the conversion wrapped to a negative amount
		// that passed the price check.
		{"amount past any price", map[string]any{"code": "AHUGE", "kind": "amount", "value": 1e17, "courseIds": []string{c.ID}}, "value"},
		{"amount past any price, every course", map[string]any{"code": "AHUGE2", "kind": "amount", "value": 1e17}, "value"},
		{"kind", map[string]any{"code": "KIND", "kind": "free", "value": 10}, "kind"},
		{"another's course", map[string]any{"code": "STEAL", "kind": "percent", "value": 10, "courseIds": []string{theirs.ID}}, "courseIds"},
		{"unknown course", map[string]any{"code": "GHOST", "kind": "percent", "value": 10, "courseIds": []string{primitive.NewObjectID().Hex()}}, "courseIds"},
		{"expired", map[string]any{"code": "OLD", "kind": "percent", "value": 10, "expiresAt": past}, "expiresAt"},
		{"ends before start", map[string]any{"code": "BACKWARDS", "kind": "percent", "value": 10, "startsAt": future, "expiresAt": future}, "expiresAt"},
		{"max 0", map[string]any{"code": "MAX0", "kind": "percent", "value": 10, "maxRedemptions": 0}, "maxRedemptions"},
		{"per user 0", map[string]any{"code": "PU0", "kind": "percent", "value": 10, "perUserLimit": 0}, "perUserLimit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := h.Do(t, http.MethodPost, couponsPath, tt.body, teacher.Token)
			wantCode(t, resp, http.StatusBadRequest, "validation_failed")
			found := false
			for _, e := range resp.JSON(t)["errors"].([]any) {
				found = found || e.(map[string]any)["field"] == tt.field
			}
			if !found {
				t.Errorf("no error for %s: %s", tt.field, resp.Body)
			}
		})
	}
	if n := h.Count(t, "coupons", bson.M{}); n != 0 {
		t.Errorf("%d coupons stored", n)
	}

	// An amount equal to the price is fine; the same code again is 409,
	// in any letter case; another instructor may use the code.
	h.createCoupon(t, teacher, map[string]any{"code": "FULL", "kind": "amount", "value": 20, "courseIds": []string{c.ID}})
	wantCode(t, h.Do(t, http.MethodPost, couponsPath, map[string]any{"code": "full", "kind": "percent", "value": 5}, teacher.Token),
		http.StatusConflict, "coupon_code_taken")
	h.createCoupon(t, other, map[string]any{"code": "full", "kind": "percent", "value": 5})
	// Students may not.
	wantCode(t, h.Do(t, http.MethodPost, couponsPath, map[string]any{"code": "MINE", "kind": "percent", "value": 5}, student.Token),
		http.StatusForbidden, "forbidden_role")
}

func TestCouponManagementIsTheOwners(t *testing.T) {
	h := start(t, nil)
	teacher, other, student := h.signUp(t, "instructor"), h.signUp(t, "instructor"), h.signUp(t, "student")
	admin := h.admin(t)
	c := h.course(t, teacher.ID, 20, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "OWNED", "kind": "percent", "value": 100, "maxRedemptions": 3})
	unused := h.createCoupon(t, teacher, map[string]any{"code": "UNUSED", "kind": "percent", "value": 10})
	h.createCoupon(t, other, map[string]any{"code": "OTHERS", "kind": "percent", "value": 10})

	list := h.getData(t, teacher, couponsPath)["coupons"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["code"] != "UNUSED" {
		t.Errorf("list %v", list)
	}
	// Another instructor: 404 for someone else's coupon.
	wantCode(t, h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"active": false}, other.Token), http.StatusNotFound, "coupon_not_found")
	wantCode(t, h.Do(t, http.MethodDelete, couponsPath+"/"+id, nil, other.Token), http.StatusNotFound, "coupon_not_found")
	wantCode(t, h.Do(t, http.MethodDelete, couponsPath+"/not-an-id", nil, teacher.Token), http.StatusBadRequest, "invalid_id")
	wantCode(t, h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{}, teacher.Token), http.StatusBadRequest, "nothing_to_update")
	wantCode(t, h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"value": 90}, teacher.Token), http.StatusBadRequest, "unknown_field")
	wantCode(t, h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"expiresAt": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, teacher.Token),
		http.StatusBadRequest, "validation_failed")
	wantCode(t, h.Do(t, http.MethodGet, couponsPath, nil, student.Token), http.StatusForbidden, "forbidden_role")

	// Used: deleting deactivates it (its uses stay), and its bound cannot
	// go below its use.
	if resp := h.checkoutWith(t, student, c.ID, "owned"); resp.StatusCode != http.StatusOK {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := h.Do(t, http.MethodDelete, couponsPath+"/"+id, nil, teacher.Token); resp.StatusCode != http.StatusOK ||
		resp.JSON(t)["message"] != "Coupon deactivated: it has been used" || apptest.Object(t, resp.JSON(t), "data")["active"] != false {
		t.Errorf("delete a used coupon: %d %s", resp.StatusCode, resp.Body)
	}
	if list := h.getData(t, teacher, couponsPath)["coupons"].([]any); len(list) != 2 {
		t.Errorf("the used coupon must stay listed: %v", list)
	}
	wantCode(t, h.quote(t, h.signUp(t, "student"), c.ID, "owned"), http.StatusBadRequest, "coupon_inactive")
	if resp := h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"active": true}, teacher.Token); resp.StatusCode != http.StatusOK {
		t.Errorf("reactivate: %d %s", resp.StatusCode, resp.Body)
	}
	resp := h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"maxRedemptions": 10, "expiresAt": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)}, teacher.Token)
	if d := apptest.Object(t, resp.JSON(t), "data"); resp.StatusCode != http.StatusOK || d["maxRedemptions"] != 10.0 || d["used"] != 1.0 || d["redeemed"] != 1.0 {
		t.Errorf("extend: %d %s", resp.StatusCode, resp.Body)
	}
	// An admin may manage it; deleting the unused one works.
	if resp := h.Do(t, http.MethodPatch, couponsPath+"/"+id, map[string]any{"active": false}, admin.Token); resp.StatusCode != http.StatusOK {
		t.Errorf("admin deactivate: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := h.Do(t, http.MethodDelete, couponsPath+"/"+unused, nil, teacher.Token); resp.StatusCode != http.StatusOK {
		t.Errorf("delete: %d %s", resp.StatusCode, resp.Body)
	}
	// An admin's site-wide coupon applies to every course.
	h.createCoupon(t, admin, map[string]any{"code": "SITE", "kind": "amount", "value": 5})
	if q := apptest.Object(t, h.quote(t, h.signUp(t, "student"), c.ID, "site").JSON(t), "data"); q["totalCents"] != 1500.0 {
		t.Errorf("site-wide quote %v", q)
	}
}

func TestCouponAttemptsShareAPerClientLimit(t *testing.T) {
	h := start(t, map[string]string{"COUPON_RATE_LIMIT_MAX": "3"})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 20, true)
	// Failed quotes count, and checkouts with a code share the budget.
	wantCode(t, h.quote(t, student, c.ID, "GUESS1"), http.StatusBadRequest, "coupon_unknown")
	wantCode(t, h.quote(t, student, c.ID, "GUESS2"), http.StatusBadRequest, "coupon_unknown")
	wantCode(t, h.checkoutWith(t, student, c.ID, "GUESS3"), http.StatusBadRequest, "coupon_unknown")
	resp := h.quote(t, student, c.ID, "GUESS4")
	wantCode(t, resp, http.StatusTooManyRequests, "coupon_rate_limited")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	wantCode(t, h.checkoutWith(t, student, c.ID, "GUESS5"), http.StatusTooManyRequests, "coupon_rate_limited")
	// A checkout without a code is not a coupon attempt.
	if resp := h.checkout(t, student.Token, c.ID); resp.StatusCode != http.StatusCreated {
		t.Errorf("plain checkout: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestCouponPerUserLimitHoldsUnderConcurrentCheckouts(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	id := h.createCoupon(t, teacher, map[string]any{"code": "TWICE", "kind": "percent", "value": 20, "perUserLimit": 2})
	courses := make([]testCourse, 6)
	for i := range courses {
		courses[i] = h.course(t, teacher.ID, 25, true)
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(courses))
	for i, c := range courses {
		wg.Go(func() { statuses[i] = h.checkoutWith(t, student, c.ID, "twice").StatusCode })
	}
	wg.Wait()
	opened := 0
	for _, st := range statuses {
		if st == http.StatusCreated {
			opened++
		} else if st != http.StatusBadRequest {
			t.Errorf("status %d", st)
		}
	}
	if st := h.coupon(t, id); opened != 2 || st.Used != 2 || st.Users[student.ID] != 2 || len(h.couponPurchases(t, id)) != 2 {
		t.Errorf("%d sessions opened, coupon %+v; want 2", opened, st)
	}
}

func TestCouponReservationReleasedOnADeclinedCard(t *testing.T) {
	h := start(t, nil)
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 30, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "DECLINE", "kind": "amount", "value": 5, "maxRedemptions": 1})
	if resp := h.checkoutWith(t, student, c.ID, "decline"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout: %d %s", resp.StatusCode, resp.Body)
	}
	p := h.couponPurchases(t, id)[0]
	r := ref{Purchase: p.ID.Hex(), Session: p.PaymentID, User: student.ID, Course: c.ID, Cents: p.AmountCents}
	h.deliver(t, chargeFailed("evt_coupon_declined", r))
	if st := h.coupon(t, id); st.Used != 0 || len(st.Reserved) != 0 {
		t.Errorf("after a declined card: %+v", st)
	}
	// The student tries again: the use is theirs once more.
	if resp := h.checkoutWith(t, student, c.ID, "decline"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("checkout again: %d %s", resp.StatusCode, resp.Body)
	}
	if st := h.coupon(t, id); st.Used != 1 || len(st.Reserved) != 1 {
		t.Errorf("after the new checkout: %+v", st)
	}
}

func TestCouponNotKeptWhenStripeIsDown(t *testing.T) {
	h := start(t, map[string]string{"STRIPE_API_BASE": "http://" + apptest.ClosedAddr(t)})
	teacher, student := h.signUp(t, "instructor"), h.signUp(t, "student")
	c := h.course(t, teacher.ID, 30, true)
	id := h.createCoupon(t, teacher, map[string]any{"code": "DOWN", "kind": "percent", "value": 10, "maxRedemptions": 1})
	wantCode(t, h.checkoutWith(t, student, c.ID, "down"), http.StatusBadGateway, "checkout_failed")
	if st := h.coupon(t, id); st.Used != 0 || len(st.Reserved) != 0 || h.Count(t, "coursepurchases", bson.M{}) != 0 {
		t.Errorf("a failed checkout kept its use: %+v", st)
	}
}

// A coupon's amount is checked against its courses' prices as they are, not
// as the course cache holds them: a price lowered on another instance (here
// by hand) within the cache's TTL still caps the amount.
func TestCouponAmountCheckedAgainstTheCurrentPrice(t *testing.T) {
	h := start(t, map[string]string{"CATALOG_CACHE_TTL": "5s"})
	teacher := h.signUp(t, "instructor")
	c := h.course(t, teacher.ID, 20, true)
	if resp := h.Do(t, http.MethodGet, "/api/v1/courses/"+c.ID, nil, teacher.Token); resp.StatusCode != http.StatusOK {
		t.Fatalf("course page: %d", resp.StatusCode) // the course cache holds it
	}
	oid, _ := primitive.ObjectIDFromHex(c.ID)
	if _, err := h.Mongo.Collection("courses").UpdateOne(t.Context(), bson.M{"_id": oid}, bson.M{"$set": bson.M{"price": 10.0}}); err != nil {
		t.Fatal(err)
	}
	resp := h.Do(t, http.MethodPost, couponsPath, map[string]any{"code": "OVERNOW", "kind": "amount", "value": 15, "courseIds": []string{c.ID}}, teacher.Token)
	wantCode(t, resp, http.StatusBadRequest, "validation_failed")
}

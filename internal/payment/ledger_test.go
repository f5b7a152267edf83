package payment_test

import (
	"context"
	"encoding/csv"
	"math/rand/v2"

	"fmt"

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

// Paths of the ledger.
const (
	salesPath   = "/api/v1/payments/sales"
	summaryPath = "/api/v1/payments/sales/summary"
	historyPath = "/api/v1/payments/history"
)

// admin creates an admin through the user service and signs them in.
func (h *harness) admin(t testing.TB) user {
	t.Helper()
	n := h.users.Add(1)
	email := fmt.Sprintf("admin%d@payments.test", n)
	if _, err := h.App.Users.CreateAdmin(context.Background(), email, "Admin User", password); err != nil {
		t.Fatal(err)
	}
	resp := h.Do(t, http.MethodPost, "/api/v1/user/signin", map[string]string{"email": email, "password": password}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("admin sign in: %d %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	return user{ID: m["user"].(map[string]any)["_id"].(string), Token: m["token"].(string)}
}

// getData gets path as u and returns the response's data object.
func (h *harness) getData(t testing.TB, u user, path string) map[string]any {
	t.Helper()
	resp := h.Do(t, http.MethodGet, path, nil, u.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s\n%s", path, resp.StatusCode, resp.Body, h.Logs())
	}
	return apptest.Object(t, resp.JSON(t), "data")
}

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

// modelSale is what the events delivered so far say about one purchase.
type modelSale struct {
	r                ref
	course           testCourse
	paid, refundedIn bool
	maxRefunded      int64
}

func (m *modelSale) totals() payment.Totals {
	var t payment.Totals
	if !m.paid && !m.refundedIn {
		return t
	}
	t.GrossCents, t.Sales = m.r.Cents, 1
	t.RefundedCents = min(m.maxRefunded, m.r.Cents)
	if m.refundedIn {
		t.RefundedCents = m.r.Cents
	}
	t.NetCents = t.GrossCents - t.RefundedCents
	if t.RefundedCents > 0 {
		t.Refunds = 1
	}
	return t
}

func addTotals(a *payment.Totals, b payment.Totals) {
	a.GrossCents += b.GrossCents
	a.RefundedCents += b.RefundedCents
	a.NetCents += b.NetCents
	a.Sales += b.Sales
	a.Refunds += b.Refunds
}

// totalsOf reads the totals of a summary entry.
func totalsOf(t testing.TB, m map[string]any) payment.Totals {
	t.Helper()
	n := func(k string) int64 {
		v, ok := m[k].(float64)
		if !ok {
			t.Fatalf("%s missing in %v", k, m)
		}
		return int64(v)
	}
	got := payment.Totals{GrossCents: n("grossCents"), RefundedCents: n("refundedCents"), NetCents: n("netCents"), Sales: n("sales"), Refunds: n("refunds")}
	for _, k := range []string{"gross", "refunded", "net"} {
		if want := decimalOf(n(k + "Cents")); m[k] != want {
			t.Errorf("%s = %v, want %q", k, m[k], want)
		}
	}
	return got
}

func decimalOf(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

func TestLedgerTotalsEqualTheEventsOfARandomSequence(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	h := start(t, map[string]string{"LOG_LEVEL": "warn"})
	instA, instB := h.signUp(t, "instructor"), h.signUp(t, "instructor")
	courses := []testCourse{h.course(t, instA.ID, 10, true), h.course(t, instA.ID, 25.5, true), h.course(t, instB.ID, 7.99, true)}
	var sales []*modelSale
	for b := 0; len(sales) < 18; b++ {
		buyer := h.signUp(t, "student")
		for _, c := range courses {
			if len(sales) < 18 && rng.IntN(3) > 0 {
				sales = append(sales, &modelSale{r: h.buy(t, buyer, c), course: c})
			}
		}
	}
	type delivery struct {
		id      string
		payload []byte
		apply   func()
	}
	var delivered []delivery
	applied := map[string]bool{}
	for i := range 200 {
		var d delivery
		if len(delivered) > 0 && rng.IntN(100) < 15 {
			d = delivered[rng.IntN(len(delivered))] // a duplicate delivery
		} else {
			m := sales[rng.IntN(len(sales))]
			id := fmt.Sprintf("evt_rand_%d", i)
			switch k := rng.IntN(100); {
			case k < 45:
				d = delivery{id, chargeSucceeded(id, m.r), func() { m.paid = true }}
			case k < 80:
				amount := 1 + rng.Int64N(m.r.Cents-1)
				d = delivery{id, event(id, "charge.refunded", chargeObject(m.r, "succeeded", amount)), func() { m.maxRefunded = max(m.maxRefunded, amount) }}
			default:
				d = delivery{id, refunded(id, m.r), func() { m.refundedIn = true; m.maxRefunded = m.r.Cents }}
			}
			delivered = append(delivered, d)
		}
		h.deliver(t, d.payload)
		if !applied[d.id] {
			applied[d.id] = true
			d.apply()
		}
	}

	var want payment.Totals
	wantA := payment.Totals{}
	byCourse := map[string]*payment.Totals{}
	for _, m := range sales {
		tt := m.totals()
		addTotals(&want, tt)
		if m.course.ID != courses[2].ID {
			addTotals(&wantA, tt)
		}
		if byCourse[m.course.ID] == nil {
			byCourse[m.course.ID] = &payment.Totals{}
		}
		addTotals(byCourse[m.course.ID], tt)
		p := h.stored(t, m.r.Purchase)
		if p.Refunded() != tt.RefundedCents || p.GrossCents() != tt.GrossCents {
			t.Errorf("purchase %s: %+v; the events say %+v", p.ID, p, tt)
		}
	}
	admin := h.admin(t)
	sum := h.getData(t, admin, summaryPath)
	if got := totalsOf(t, apptest.Object(t, sum, "totals")); got != want {
		t.Errorf("summary totals %+v, the events say %+v", got, want)
	}
	for _, e := range sum["byCourse"].([]any) {
		e := e.(map[string]any)
		id := apptest.Object(t, e, "course")["_id"].(string)
		if got := totalsOf(t, e); byCourse[id] == nil || got != *byCourse[id] {
			t.Errorf("course %s: %+v, the events say %+v", id, got, byCourse[id])
		}
	}
	var days payment.Totals
	for _, e := range sum["byDay"].([]any) {
		addTotals(&days, totalsOf(t, e.(map[string]any)))
	}
	if days != want {
		t.Errorf("the days add up to %+v, the events say %+v", days, want)
	}
	if got := totalsOf(t, apptest.Object(t, h.getData(t, instA, summaryPath), "totals")); got != wantA {
		t.Errorf("instructor A's totals %+v, the events of their courses say %+v", got, wantA)
	}

	// The listing, page by page, adds up to the same.
	var listed payment.Totals
	seen := map[string]bool{}
	for page := 1; ; page++ {
		data := h.getData(t, admin, fmt.Sprintf("%s?limit=7&page=%d", salesPath, page))
		for _, s := range data["sales"].([]any) {
			s := s.(map[string]any)
			if seen[s["_id"].(string)] {
				t.Errorf("sale %s listed twice", s["_id"])
			}
			seen[s["_id"].(string)] = true
			tt := payment.Totals{GrossCents: int64(s["grossCents"].(float64)), RefundedCents: int64(s["refundedCents"].(float64)), NetCents: int64(s["netCents"].(float64)), Sales: 1}
			if tt.RefundedCents > 0 {
				tt.Refunds = 1
			}
			addTotals(&listed, tt)
		}
		if float64(page) >= apptest.Object(t, data, "pagination")["pages"].(float64) {
			break
		}
	}
	if listed != want {
		t.Errorf("the listed sales add up to %+v, the events say %+v", listed, want)
	}
	// And so does the CSV export.
	resp := h.Do(t, http.MethodGet, salesPath+"?format=csv", nil, admin.Token)
	rows, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
	if resp.StatusCode != http.StatusOK || err != nil || len(rows) < 1 {
		t.Fatalf("CSV: %d %v %s", resp.StatusCode, err, resp.Body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("CSV content type %q", ct)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	var exported payment.Totals
	for _, row := range rows[1:] {
		var g, r, n int64
		fmt.Sscan(row[col["grossCents"]], &g)
		fmt.Sscan(row[col["refundedCents"]], &r)
		fmt.Sscan(row[col["netCents"]], &n)
		tt := payment.Totals{GrossCents: g, RefundedCents: r, NetCents: n, Sales: 1}
		if r > 0 {
			tt.Refunds = 1
		}
		addTotals(&exported, tt)
	}
	if exported != want {
		t.Errorf("the CSV adds up to %+v, the events say %+v", exported, want)
	}
}

func TestInstructorNeverSeesAnotherInstructorsSalesOrAnyEmail(t *testing.T) {
	h := start(t, nil)
	instA, instB := h.signUp(t, "instructor"), h.signUp(t, "instructor")
	a, b := h.course(t, instA.ID, 10, true), h.course(t, instB.ID, 20, true)
	s1, s2 := h.signUp(t, "student"), h.signUp(t, "student")
	var refs []ref
	for _, s := range []user{s1, s2} {
		for _, c := range []testCourse{a, b} {
			r := h.buy(t, s, c)
			h.deliver(t, chargeSucceeded("evt_vis_"+r.Purchase, r))
			refs = append(refs, r)
		}
	}
	h.deliver(t, refunded("evt_vis_refund", refs[0])) // s1's purchase of a

	forbidden := []string{"@payments.test", b.ID, b.Title}
	clean := func(what string, body []byte) {
		t.Helper()
		for _, f := range forbidden {
			if strings.Contains(string(body), f) {
				t.Errorf("%s shows %q to instructor A:\n%s", what, f, body)
			}
		}
	}
	for _, path := range []string{
		salesPath, salesPath + "?courseId=" + b.ID, salesPath + "?format=csv", salesPath + "?courseId=" + b.ID + "&format=csv",
		summaryPath, summaryPath + "?courseId=" + b.ID, summaryPath + "?format=csv",
	} {
		resp := h.Do(t, http.MethodGet, path, nil, instA.Token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, resp.Body)
		}
		clean(path, resp.Body)
	}
	list := h.getData(t, instA, salesPath)["sales"].([]any)
	if len(list) != 2 {
		t.Fatalf("instructor A sees %d sales, want their 2", len(list))
	}
	names := map[string]bool{}
	for _, s := range list {
		buyer := apptest.Object(t, s.(map[string]any), "buyer")
		names[buyer["name"].(string)] = true
		if _, ok := buyer["email"]; ok {
			t.Errorf("buyer %v has an email", buyer)
		}
	}
	if len(names) != 2 || names[""] {
		t.Errorf("buyer names %v: want both buyers by name", names)
	}
	if got := h.getData(t, instA, salesPath+"?status=refunded")["sales"].([]any); len(got) != 1 {
		t.Errorf("status=refunded: %d sales, want 1", len(got))
	}
	if got := h.getData(t, instA, salesPath+"?to=2000-01-01")["sales"].([]any); len(got) != 0 {
		t.Errorf("to=2000-01-01: %d sales, want 0", len(got))
	}

	// An admin sees everything, emails included; a student nothing.
	admin := h.admin(t)
	all := h.getData(t, admin, salesPath)["sales"].([]any)
	if len(all) != 4 {
		t.Errorf("the admin sees %d sales, want 4", len(all))
	}
	for _, s := range all {
		if e, _ := apptest.Object(t, s.(map[string]any), "buyer")["email"].(string); !strings.HasSuffix(e, "@payments.test") {
			t.Errorf("the admin's sale %v has no buyer email", s)
		}
	}
	for _, path := range []string{salesPath, summaryPath} {
		apptest.WantError(t, h.Do(t, http.MethodGet, path, nil, s1.Token), http.StatusForbidden, "You do not have permission to perform this action")
	}
	if resp := h.Do(t, http.MethodGet, salesPath+"?status=pending&from=yesterday", nil, instA.Token); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(string(resp.Body), `"field":"status"`) || !strings.Contains(string(resp.Body), `"field":"from"`) {
		t.Errorf("bad filters: %d %s; want 400 naming status and from", resp.StatusCode, resp.Body)
	}

	// A buyer's history: their own purchases, newest first, no buyer field.
	hist := h.getData(t, s1, historyPath)["purchases"].([]any)
	if len(hist) != 2 {
		t.Fatalf("s1's history has %d purchases, want 2", len(hist))
	}
	first, second := hist[0].(map[string]any), hist[1].(map[string]any)
	if first["_id"] != refs[1].Purchase || second["_id"] != refs[0].Purchase || second["status"] != "refunded" {
		t.Errorf("history %v: want the purchase of b, then the refunded one of a", hist)
	}
	if _, ok := first["buyer"]; ok {
		t.Errorf("history entry %v has a buyer", first)
	}
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

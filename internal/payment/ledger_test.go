package payment_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/payment"
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

package insights_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/lms-backend/lms/internal/app/apptest"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb/mongotest"
	"github.com/lms-backend/lms/internal/payment"
)

func TestMain(m *testing.M) { mongotest.Main(m) }

type account struct{ ID, Token string }

func signUp(t testing.TB, s *apptest.Server, role string, n int) account {
	t.Helper()
	resp := s.Do(t, http.MethodPost, "/api/v1/user/signup", map[string]any{
		"name": fmt.Sprintf("User %d", n), "email": fmt.Sprintf("%s%d@insights.test", role, n), "password": "insights password 1", "role": role,
	}, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign up: %d %s", resp.StatusCode, resp.Body)
	}
	m := resp.JSON(t)
	return account{ID: m["user"].(map[string]any)["_id"].(string), Token: m["token"].(string)}
}

// seedCourse stores a published course of instructor with n lectures and
// returns it with the lecture ids in order.
func seedCourse(t testing.TB, s *apptest.Server, instructor string, price float64, n int) (course.Course, []string) {
	t.Helper()
	key := func() string { return primitive.NewObjectID().Hex() + "00000000" }
	c := s.SeedCourse(t, course.Course{
		Title: "Insights course", Description: "A course", Category: "Programming", Level: course.LevelBeginner,
		Price: price, Thumbnail: "images/" + key() + ".png", InstructorID: instructor, IsPublished: true,
	})
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.SeedLecture(t, course.Lecture{CourseID: c.ID, Title: fmt.Sprintf("Lecture %d", i+1), Video: "videos/" + key() + ".mp4", Duration: 60, Order: i + 1}).ID
	}
	return c, ids
}

func insightsPath(courseID, query string) string {
	return "/api/v1/courses/" + courseID + "/insights" + query
}

// rawPurchase is a purchase as the recount reads it, straight from the
// collection.
type rawPurchase struct {
	Course        primitive.ObjectID `bson:"course"`
	AmountCents   int64              `bson:"amountCents"`
	DiscountCents int64              `bson:"discountCents"`
	RefundedCents int64              `bson:"refundedCents"`
	CouponCode    string             `bson:"couponCode"`
	Status        string             `bson:"status"`
	CreatedAt     time.Time          `bson:"createdAt"`
}

type tally struct {
	total, paid, free, coupon, refunds int64
	gross, discount, refunded, net     int64
}

func (a *tally) add(p rawPurchase) {
	paid := p.AmountCents
	refunded := min(p.RefundedCents, paid)
	if p.Status == "refunded" {
		refunded = paid
	}
	a.total++
	switch {
	case p.CouponCode != "":
		a.coupon++
	case paid+p.DiscountCents == 0:
		a.free++
	default:
		a.paid++
	}
	if refunded > 0 {
		a.refunds++
	}
	a.gross += paid + p.DiscountCents
	a.discount += p.DiscountCents
	a.refunded += refunded
	a.net += paid - refunded
}

func num(t testing.TB, m map[string]any, k string) int64 {
	t.Helper()
	v, ok := m[k].(float64)
	if !ok {
		t.Fatalf("%s missing in %v", k, m)
	}
	return int64(v)
}

func wantTally(t testing.TB, what string, enrolments, revenue map[string]any, want tally) {
	t.Helper()
	got := tally{
		total: num(t, enrolments, "total"), paid: num(t, enrolments, "paid"), free: num(t, enrolments, "free"),
		coupon: num(t, enrolments, "coupon"), refunds: num(t, enrolments, "refunds"),
		gross: num(t, revenue, "grossCents"), discount: num(t, revenue, "discountCents"),
		refunded: num(t, revenue, "refundedCents"), net: num(t, revenue, "netCents"),
	}
	if got != want {
		t.Errorf("%s: got %+v, recount %+v", what, got, want)
	}
}

// TestInsightsEqualARecountAfterARandomSequence seeds a random mix of paid,
// free, coupon, refunded and unpaid purchases over ten days, enrols the
// buyers, drives their progress through the API at random, and compares
// every figure of the insights (JSON and CSV) with a recount from the raw
// purchase, user and progress documents.
func TestInsightsEqualARecountAfterARandomSequence(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	s := apptest.Start(t, nil)
	teacher := signUp(t, s, "instructor", 0)
	c, lectures := seedCourse(t, s, teacher.ID, 40, 4)
	other, _ := seedCourse(t, s, teacher.ID, 10, 1) // its sales must not count
	couponIDs := map[string]string{"SPRING": primitive.NewObjectID().Hex(), "VIP": primitive.NewObjectID().Hex()}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -9)

	for i := range 30 {
		student := signUp(t, s, "student", i+1)
		p := payment.Purchase{UserID: student.ID, CourseID: c.ID, Currency: "usd", Amount: 40, AmountCents: 4000}
		switch rng.IntN(4) {
		case 0: // a coupon
			code := []string{"SPRING", "VIP"}[rng.IntN(2)]
			p.DiscountCents = []int64{1000, 4000}[rng.IntN(2)]
			p.AmountCents -= p.DiscountCents
			p.Amount = float64(p.AmountCents) / 100
			p.CouponID, p.CouponCode, p.ListPriceCents = couponIDs[code], code, 4000
		case 1: // free (a price of 0 when bought)
			p.Amount, p.AmountCents = 0, 0
		}
		// One purchase in eight is outside the range.
		p.CreatedAt = from.AddDate(0, 0, rng.IntN(10)).Add(time.Duration(rng.IntN(86400)) * time.Second)
		if rng.IntN(8) == 0 {
			p.CreatedAt = from.AddDate(0, 0, -3)
		}
		enrol := true
		switch r := rng.IntN(10); {
		case r < 5:
			p.Status = payment.StatusCompleted
		case r < 6 && p.AmountCents > 0:
			p.Status, p.RefundedCents = payment.StatusCompleted, p.AmountCents/2 // partial refund
		case r < 7:
			p.Status, p.RefundedCents, enrol = payment.StatusRefunded, p.AmountCents, false
		case r < 8:
			p.Status, enrol = payment.StatusRefunded, false // refunded before amounts were recorded
		case r < 9:
			p.Status, enrol = payment.StatusExpired, false
		default:
			p.Status = payment.StatusCompleted
		}
		s.SeedPurchase(t, p)
		if rng.IntN(10) == 0 {
			s.SeedPurchase(t, payment.Purchase{UserID: student.ID, CourseID: other.ID, Amount: 10, Status: payment.StatusCompleted, CreatedAt: p.CreatedAt})
		}
		if enrol {
			s.Enrol(t, student.ID, c.ID)
		}
		// Progress, through the API (the first call only creates the
		// record); refunded students may have some too.
		if rng.IntN(5) == 0 {
			continue
		}
		patch := func(lecture string, done bool) {
			path := "/api/v1/progress/" + c.ID + "/lectures/" + lecture
			if resp := s.Do(t, http.MethodPatch, path, map[string]bool{"isCompleted": done}, student.Token); resp.StatusCode != http.StatusOK {
				t.Fatalf("progress: %d %s", resp.StatusCode, resp.Body)
			}
		}
		patch(lectures[0], true)
		for range rng.IntN(7) {
			patch(lectures[rng.IntN(len(lectures))], rng.IntN(4) > 0)
		}
	}
	// The instructor's own progress never counts.
	s.SeedProgress(t, teacher.ID, c.ID, lectures, true)

	query := "?from=" + from.Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly)
	resp := s.Do(t, http.MethodGet, insightsPath(c.ID, query), nil, teacher.Token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("insights: %d %s", resp.StatusCode, resp.Body)
	}
	data := apptest.Object(t, resp.JSON(t), "data")

	// The recount: purchases.
	ctx := context.Background()
	courseOID, _ := primitive.ObjectIDFromHex(c.ID)
	cur, err := s.Mongo.Collection("coursepurchases").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var raws []rawPurchase
	if err := cur.All(ctx, &raws); err != nil {
		t.Fatal(err)
	}
	end := today.AddDate(0, 0, 1)
	var total tally
	days := map[string]*tally{}
	coupons := map[string]*tally{}
	for _, p := range raws {
		if p.Course != courseOID || (p.Status != "completed" && p.Status != "refunded") || p.CreatedAt.Before(from) || !p.CreatedAt.Before(end) {
			continue
		}
		total.add(p)
		day := p.CreatedAt.UTC().Format(time.DateOnly)
		if days[day] == nil {
			days[day] = &tally{}
		}
		days[day].add(p)
		if p.CouponCode != "" {
			if coupons[p.CouponCode] == nil {
				coupons[p.CouponCode] = &tally{}
			}
			coupons[p.CouponCode].add(p)
		}
	}
	wantTally(t, "totals", apptest.Object(t, data, "enrolments"), apptest.Object(t, data, "revenue"), total)
	byDay := data["byDay"].([]any)
	if len(byDay) != len(days) {
		t.Errorf("%d days, recount %d", len(byDay), len(days))
	}
	for _, d := range byDay {
		d := d.(map[string]any)
		want := days[d["day"].(string)]
		if want == nil {
			t.Errorf("day %v has no sales in the recount", d["day"])
			continue
		}
		wantTally(t, "day "+d["day"].(string), apptest.Object(t, d, "enrolments"), apptest.Object(t, d, "revenue"), *want)
	}
	gotCoupons := data["coupons"].([]any)
	if len(gotCoupons) != len(coupons) {
		t.Errorf("%d coupons, recount %d", len(gotCoupons), len(coupons))
	}
	for _, cs := range gotCoupons {
		cs := cs.(map[string]any)
		want := coupons[cs["code"].(string)]
		rev := apptest.Object(t, cs, "revenue")
		if want == nil || num(t, cs, "redemptions") != want.total || num(t, rev, "grossCents") != want.gross ||
			num(t, rev, "discountCents") != want.discount || num(t, rev, "netCents") != want.net {
			t.Errorf("coupon %v, recount %+v", cs, want)
		}
	}

	// The recount: the funnel, from the users' enrolments and the raw
	// progress records.
	var users []struct {
		ID       primitive.ObjectID `bson:"_id"`
		Enrolled []struct {
			Course primitive.ObjectID `bson:"course"`
		} `bson:"enrolledCourses"`
	}
	cur, err = s.Mongo.Collection("users").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &users); err != nil {
		t.Fatal(err)
	}
	enrolled := map[string]bool{}
	for _, u := range users {
		for _, e := range u.Enrolled {
			if e.Course == courseOID {
				enrolled[u.ID.Hex()] = true
			}
		}
	}
	var records []struct {
		User     primitive.ObjectID `bson:"user"`
		Course   primitive.ObjectID `bson:"course"`
		Lectures []struct {
			Lecture     primitive.ObjectID `bson:"lecture"`
			IsCompleted bool               `bson:"isCompleted"`
		} `bson:"lectureProgress"`
	}
	cur, err = s.Mongo.Collection("courseprogresses").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &records); err != nil {
		t.Fatal(err)
	}
	perLecture := make([]int64, len(lectures))
	var started, r25, r50, r75, done int64
	var pcts []int
	for _, r := range records {
		if r.Course != courseOID || !enrolled[r.User.Hex()] {
			continue
		}
		n := 0
		for _, e := range r.Lectures {
			if i := slices.Index(lectures, e.Lecture.Hex()); i >= 0 && e.IsCompleted {
				perLecture[i]++
				n++
			}
		}
		pct := (200*n + len(lectures)) / (2 * len(lectures))
		pcts = append(pcts, pct)
		started++
		for _, b := range []struct {
			at  int
			dst *int64
		}{{25, &r25}, {50, &r50}, {75, &r75}, {100, &done}} {
			if pct >= b.at {
				*b.dst++
			}
		}
	}
	for int64(len(pcts)) < int64(len(enrolled)) {
		pcts = append(pcts, 0)
	}
	slices.Sort(pcts)
	var med float64
	if n := len(pcts); n > 0 {
		med = float64(pcts[(n-1)/2]+pcts[n/2]) / 2
	}
	f := apptest.Object(t, data, "funnel")
	got := []int64{num(t, f, "enrolled"), num(t, f, "started"), num(t, f, "reached25"), num(t, f, "reached50"), num(t, f, "reached75"), num(t, f, "completed")}
	if want := []int64{int64(len(enrolled)), started, r25, r50, r75, done}; !slices.Equal(got, want) {
		t.Errorf("funnel %v, recount %v", got, want)
	}
	if f["medianCompletion"] != med {
		t.Errorf("median %v, recount %v", f["medianCompletion"], med)
	}
	for i, l := range data["lectures"].([]any) {
		l := l.(map[string]any)
		if l["_id"] != lectures[i] || num(t, l, "completed") != perLecture[i] || l["title"] != fmt.Sprintf("Lecture %d", i+1) {
			t.Errorf("lecture %d: %v, recount %d completed", i, l, perLecture[i])
		}
	}

	// The CSV parses and says the same per day.
	resp = s.Do(t, http.MethodGet, insightsPath(c.ID, query+"&format=csv"), nil, teacher.Token)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	if len(rows) != len(byDay)+1 || rows[0][0] != "day" || rows[0][9] != "netCents" {
		t.Fatalf("csv rows %v", rows)
	}
	for i, d := range byDay {
		d := d.(map[string]any)
		rev := apptest.Object(t, d, "revenue")
		if rows[i+1][0] != d["day"] || rows[i+1][1] != fmt.Sprint(num(t, apptest.Object(t, d, "enrolments"), "total")) ||
			rows[i+1][9] != fmt.Sprint(num(t, rev, "netCents")) || rows[i+1][13] != rev["net"] {
			t.Errorf("csv row %v, json %v", rows[i+1], d)
		}
	}
}

func TestInsightsAreForTheOwnerAndAdmins(t *testing.T) {
	s := apptest.Start(t, nil)
	teacher, other, student := signUp(t, s, "instructor", 1), signUp(t, s, "instructor", 2), signUp(t, s, "student", 3)
	c, _ := seedCourse(t, s, teacher.ID, 20, 1)
	draft := s.SeedCourse(t, course.Course{Title: "Draft", Description: "d", Category: "c", Level: course.LevelBeginner,
		Thumbnail: "images/" + primitive.NewObjectID().Hex() + "00000000.png", InstructorID: teacher.ID})
	if _, err := s.App.Users.CreateAdmin(context.Background(), "admin@insights.test", "Admin", "insights password 1"); err != nil {
		t.Fatal(err)
	}
	resp := s.Do(t, http.MethodPost, "/api/v1/user/signin", map[string]string{"email": "admin@insights.test", "password": "insights password 1"}, "")
	admin := resp.JSON(t)["token"].(string)

	for _, tt := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"owner", insightsPath(c.ID, ""), teacher.Token, http.StatusOK, ""},
		{"admin", insightsPath(c.ID, ""), admin, http.StatusOK, ""},
		{"owner's draft", insightsPath(draft.ID, ""), teacher.Token, http.StatusOK, ""},
		{"another instructor", insightsPath(c.ID, ""), other.Token, http.StatusForbidden, "not_course_owner"},
		{"another instructor's draft", insightsPath(draft.ID, ""), other.Token, http.StatusNotFound, "course_not_found"},
		{"student", insightsPath(c.ID, ""), student.Token, http.StatusForbidden, "forbidden_role"},
		{"anonymous", insightsPath(c.ID, ""), "", http.StatusUnauthorized, "not_authenticated"},
		{"unknown course", insightsPath(primitive.NewObjectID().Hex(), ""), teacher.Token, http.StatusNotFound, "course_not_found"},
		{"bad id", insightsPath("nope", ""), teacher.Token, http.StatusBadRequest, "invalid_id"},
		{"bad from", insightsPath(c.ID, "?from=yesterday"), teacher.Token, http.StatusBadRequest, "validation_failed"},
		{"backwards", insightsPath(c.ID, "?from=2026-05-02&to=2026-05-01"), teacher.Token, http.StatusBadRequest, "validation_failed"},
		{"too long", insightsPath(c.ID, "?from=2024-01-01&to=2026-01-01"), teacher.Token, http.StatusBadRequest, "range_too_long"},
		{"bad format", insightsPath(c.ID, "?format=xml"), teacher.Token, http.StatusBadRequest, "validation_failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.Do(t, http.MethodGet, tt.path, nil, tt.token)
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.code != "" && resp.JSON(t)["code"] != tt.code {
				t.Errorf("code %v, want %s", resp.JSON(t)["code"], tt.code)
			}
		})
	}
}

// TestInsightsCarryTheRatingOnceReviewed: no ratings key before a review,
// then the course's visible reviews' average and count, as the review
// summary has them.
func TestInsightsCarryTheRatingOnceReviewed(t *testing.T) {
	s := apptest.Start(t, nil)
	teacher := signUp(t, s, "instructor", 1)
	c, _ := seedCourse(t, s, teacher.ID, 0, 1)
	ratings := func() any {
		resp := s.Do(t, http.MethodGet, insightsPath(c.ID, ""), nil, teacher.Token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("insights: %d %s", resp.StatusCode, resp.Body)
		}
		return resp.JSON(t)["data"].(map[string]any)["ratings"]
	}
	if got := ratings(); got != nil {
		t.Fatalf("ratings before any review: %v", got)
	}
	for i, stars := range []int{4, 5, 5} {
		student := signUp(t, s, "student", 10+i)
		s.Enrol(t, student.ID, c.ID)
		resp := s.Do(t, http.MethodPut, "/api/v1/courses/"+c.ID+"/reviews/me", map[string]any{"rating": stars}, student.Token)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("review: %d %s", resp.StatusCode, resp.Body)
		}
	}
	summary := s.Do(t, http.MethodGet, "/api/v1/courses/"+c.ID+"/reviews/summary", nil, "").JSON(t)["data"].(map[string]any)
	got, _ := ratings().(map[string]any)
	if got["average"] != 4.7 || got["count"] != 3.0 || got["average"] != summary["average"] || got["count"] != summary["count"] {
		t.Errorf("ratings %v, want average 4.7 and count 3 as in the summary %v", got, summary)
	}
}

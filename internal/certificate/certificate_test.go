package certificate

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/progress"
)

func TestIDFor(t *testing.T) {
	u, c := "0123456789abcdef01234567", "89abcdef0123456789abcdef"
	id := IDFor(u, c)
	if len(id) != 24 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("IDFor = %q, want 24 hex digits", id)
	}
	if IDFor(u, c) != id {
		t.Error("IDFor is not deterministic")
	}
	for _, other := range []string{IDFor(c, u), IDFor(u, u), IDFor(u+c, ""), IDFor("", u+c)} {
		if other == id {
			t.Errorf("IDFor collides for another pair: %q", other)
		}
	}
	if strings.Contains(id, u[:8]) || strings.Contains(id, c[:8]) {
		t.Errorf("IDFor %q shows the ids it is made of", id)
	}
}

func TestVerifyID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id, err := NewVerifyID()
		if err != nil {
			t.Fatal(err)
		}
		if !ValidVerifyID(id) || len(id) != 32 {
			t.Fatalf("NewVerifyID = %q, not valid", id)
		}
		if seen[id] {
			t.Fatalf("NewVerifyID repeated %q", id)
		}
		seen[id] = true
		if url.PathEscape(id) != id {
			t.Fatalf("%q is not URL-safe", id)
		}
	}
	for _, bad := range []string{"", "a", strings.Repeat("A", 31), strings.Repeat("A", 33), strings.Repeat("A", 31) + "=",
		strings.Repeat("A", 31) + "+", strings.Repeat("A", 31) + "/", strings.Repeat("A", 31) + ".", strings.Repeat("é", 16)} {
		if ValidVerifyID(bad) {
			t.Errorf("ValidVerifyID(%q) = true", bad)
		}
	}
	if VerifyHash("a") == VerifyHash("b") || len(VerifyHash("a")) != 64 {
		t.Error("VerifyHash is not a SHA-256 hex digest")
	}
}

func TestLinkedInURL(t *testing.T) {
	c := &Certificate{VerifyID: "vid", Snapshot: Snapshot{CourseTitle: "Go & you?", IssuedAt: time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)}}
	got, err := url.Parse(LinkedInURL(c, "Acme Academy", "https://lms.test/certificates/vid"))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"startTask": {"CERTIFICATION_NAME"}, "name": {"Go & you?"}, "organizationName": {"Acme Academy"},
		"issueYear": {"2026"}, "issueMonth": {"3"}, "certUrl": {"https://lms.test/certificates/vid"}, "certId": {"vid"},
	}
	if got.Scheme != "https" || got.Host != "www.linkedin.com" || got.Path != "/profile/add" || got.Query().Encode() != want.Encode() {
		t.Errorf("LinkedInURL = %s, want query %s", got, want.Encode())
	}
}

func TestNotCompleted(t *testing.T) {
	err := NotCompleted(42)
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Conflict || e.Code != "course_not_completed" || e.Message != "Course not completed: 42% done" {
		t.Errorf("NotCompleted(42) = %#v", err)
	}
	if ErrNotCompleted.Message != "Course not completed" {
		t.Error("NotCompleted changed the declared error")
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("NotCompleted is ErrNotFound")
	}
}

func TestCompletedAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	tests := []struct {
		name     string
		lectures []progress.LectureProgress
		updated  time.Time
		want     time.Time
	}{
		{"latest watch", []progress.LectureProgress{{LastWatched: at(time.Hour)}, {LastWatched: at(2 * time.Hour)}}, t0.Add(2 * time.Hour), t0.Add(2 * time.Hour)},
		{"marked complete after watching", []progress.LectureProgress{{LastWatched: at(time.Hour)}, {}}, t0.Add(3 * time.Hour), t0.Add(3 * time.Hour)},
		{"never watched", []progress.LectureProgress{{}, {}}, t0.Add(time.Minute), t0.Add(time.Minute)},
	}
	for _, tt := range tests {
		rec := &progress.Record{Lectures: tt.lectures, UpdatedAt: tt.updated}
		if got := completedAt(rec); !got.Equal(tt.want) {
			t.Errorf("%s: completedAt = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	c := &Certificate{}
	if c.Status() != StatusValid {
		t.Error("a certificate without revocation is not valid")
	}
	c.Revocation = &Revocation{Reason: ReasonRefunded}
	if c.Status() != StatusRevoked {
		t.Error("a revoked certificate is not revoked")
	}
}

func TestCompletionNeedsEveryLecture(t *testing.T) {
	lectures := func(n, done int) []progress.LectureProgress {
		out := make([]progress.LectureProgress, n)
		for i := range done {
			out[i].IsCompleted = true
		}
		return out
	}
	tests := []struct {
		name     string
		n, done  int
		wantDone bool
		wantPct  int
	}{
		{"all of three", 3, 3, true, 100},
		{"two of three", 3, 2, false, 67},
		{"199 of 200 rounds to 100 but is not done", 200, 199, false, 99},
		{"none of one", 1, 0, false, 0},
		{"no lectures", 0, 0, false, 0},
	}
	for _, tt := range tests {
		ids := make([]string, tt.n)
		rec := &progress.Record{Lectures: lectures(tt.n, tt.done)}
		for i := range ids {
			ids[i] = string(rune('a'+i%26)) + strings.Repeat("x", i/26)
			rec.Lectures[i].LectureID = ids[i]
		}
		rec.CompletionPercentage, rec.IsCompleted = progress.Recompute(rec.Lectures, ids)
		if done, pct := completion(rec); done != tt.wantDone || pct != tt.wantPct {
			t.Errorf("%s: completion = %v, %d; want %v, %d (recomputed %d%%)", tt.name, done, pct, tt.wantDone, tt.wantPct, rec.CompletionPercentage)
		}
	}
}

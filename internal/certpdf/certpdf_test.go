package certpdf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func page() Page {
	return Page{
		Issuer: "Test Academy", LearnerName: "Ada Lovelace", CourseTitle: "Analytical Engines", InstructorName: "Charles Babbage",
		TotalDuration: 5400, CompletedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), IssuedAt: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC),
		VerifyURL: "https://lms.test/certificates/abc",
	}
}

func TestRenderShowsTheFacts(t *testing.T) {
	b, err := NewRenderer(1, 0).Render(context.Background(), page())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) || len(b) > MaxBytes {
		t.Fatalf("not a bounded PDF: %d bytes, %.10q", len(b), b)
	}
	for _, want := range []string{"(Ada Lovelace)", "(Analytical Engines)", "Charles Babbage", "1 h 30 min",
		"Completed 1 May 2026", "(https://lms.test/certificates/abc)", "/URI (https://lms.test/certificates/abc)", "/Subtype /Image"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	if bytes.Contains(b, []byte("REVOKED")) {
		t.Error("a valid certificate says REVOKED")
	}
}

func TestRenderClipsAndTreatsFieldsAsText(t *testing.T) {
	p := page()
	p.LearnerName = strings.Repeat("x", 10_000)
	p.CourseTitle = "(evil) \\ ) Tj /JavaScript <<>>\x00\x1b"
	p.Revoked = "refunded"
	b, err := NewRenderer(1, 0).Render(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	// MultiCell wraps the long name over lines, so count its letters.
	if n := bytes.Count(b, []byte("x")); n < MaxFieldRunes || n > MaxFieldRunes+100 {
		t.Errorf("%d x in the PDF: the learner name was not clipped to %d", n, MaxFieldRunes)
	}
	if !bytes.Contains(b, []byte(`(\(evil\) \\ \) Tj /JavaScript <<>>)`)) {
		t.Error("the course title was not escaped as a PDF string")
	}
	if !bytes.Contains(b, []byte("(REVOKED: refunded)")) {
		t.Error("a revoked certificate does not say so")
	}
}

func TestRenderIsBounded(t *testing.T) {
	r := NewRenderer(1, 50*time.Millisecond)
	r.sem <- struct{}{} // the only slot is taken
	_, err := r.Render(context.Background(), page())
	if !errors.Is(err, ErrBusy) {
		t.Errorf("Render with no free slot = %v, want ErrBusy", err)
	}
	<-r.sem
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.sem <- struct{}{}
	if _, err := r.Render(ctx, page()); !errors.Is(err, ErrBusy) {
		t.Errorf("Render with a cancelled context = %v, want ErrBusy", err)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[float64]string{0: "0 min", 29: "0 min", 31: "1 min", 3569: "59 min", 3599: "1 h 00 min", 3600: "1 h 00 min", 5430: "1 h 31 min"} {
		if got := Duration(in); got != want {
			t.Errorf("Duration(%v) = %q, want %q", in, got, want)
		}
	}
}

// Package certpdf renders a certificate of completion as a one-page PDF
// (github.com/go-pdf/fpdf) with a QR code of its verification URL
// (github.com/skip2/go-qrcode). Every field is drawn as plain text, never
// interpreted as markup, and rendering is bounded: field lengths, the
// number of renders at once, their time and the size of the result.
package certpdf

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/lms-backend/lms/internal/apperr"
)

// Limits of a Renderer.
const (
	// MaxFieldRunes cuts every text field of a page.
	MaxFieldRunes = 200
	// MaxBytes bounds a rendered PDF.
	MaxBytes = 1 << 20
	// DefaultTimeout bounds one render.
	DefaultTimeout = 5 * time.Second
	// DefaultConcurrency is how many renders may run at once.
	DefaultConcurrency = 2
)

// ErrBusy means rendering did not finish (or start) in time.
var ErrBusy = apperr.New(apperr.Unavailable, "pdf_busy", "The certificate PDF could not be rendered now; please retry")

// Page is what a certificate PDF shows.
type Page struct {
	Issuer         string
	LearnerName    string
	CourseTitle    string
	InstructorName string
	TotalDuration  float64 // seconds
	CompletedAt    time.Time
	IssuedAt       time.Time
	VerifyURL      string
	// Revoked, when not "", marks the page revoked with this reason.
	Revoked string
}

// Renderer renders pages, a few at a time.
type Renderer struct {
	sem     chan struct{}
	timeout time.Duration
}

// NewRenderer returns a Renderer running at most concurrency renders at
// once (DefaultConcurrency when < 1), each for at most timeout
// (DefaultTimeout when ≤ 0).
func NewRenderer(concurrency int, timeout time.Duration) *Renderer {
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Renderer{sem: make(chan struct{}, concurrency), timeout: timeout}
}

// Render returns p as a PDF. It waits for a free slot and for the render
// within the timeout (ErrBusy otherwise); a render that overruns finishes
// in the background and is dropped.
func (r *Renderer) Render(ctx context.Context, p Page) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrBusy.Wrap(ctx.Err())
	}
	type result struct {
		pdf []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-r.sem }()
		b, err := render(p)
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		return res.pdf, res.err
	case <-ctx.Done():
		return nil, ErrBusy.Wrap(ctx.Err())
	}
}

// render draws the page: landscape A4, uncompressed content (a page of
// text is small, and its text stays searchable).
func render(p Page) ([]byte, error) {
	qr, err := qrcode.Encode(p.VerifyURL, qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCompression(false)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: what the core fonts can show
	text := func(s string) string { return tr(clip(s)) }
	pdf.SetTitle(text("Certificate of completion: "+p.CourseTitle), false)
	pdf.SetAuthor(text(p.Issuer), false)
	pdf.SetCreator("lms", false)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	w, h := pdf.GetPageSize()

	pdf.SetDrawColor(40, 60, 120)
	pdf.SetLineWidth(1.5)
	pdf.Rect(10, 10, w-20, h-20, "D")

	center := func(size float64, style, s string, lineH float64) {
		pdf.SetFont("Helvetica", style, size)
		pdf.SetX(20)
		pdf.MultiCell(w-40, lineH, s, "", "C", false)
	}
	pdf.SetY(28)
	pdf.SetTextColor(40, 60, 120)
	center(30, "B", "Certificate of Completion", 14)
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(4)
	center(14, "", "This certifies that", 8)
	center(26, "B", text(p.LearnerName), 12)
	center(14, "", "has completed the course", 8)
	center(20, "B", text(p.CourseTitle), 10)
	pdf.Ln(2)
	center(12, "", text("taught by "+p.InstructorName+" - "+Duration(p.TotalDuration)), 7)
	center(12, "", text("Completed "+day(p.CompletedAt)+" - issued "+day(p.IssuedAt)+" by "+p.Issuer), 7)
	if p.Revoked != "" {
		pdf.SetTextColor(180, 0, 0)
		center(18, "B", text("REVOKED: "+p.Revoked), 10)
		pdf.SetTextColor(0, 0, 0)
	}

	const qrSize = 36
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	pdf.ImageOptions("qr", w-20-qrSize, h-20-qrSize, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, p.VerifyURL)
	pdf.SetFont("Helvetica", "", 10)
	pdf.SetXY(20, h-28)
	pdf.CellFormat(w-60-qrSize, 6, "Verify at:", "", 2, "L", false, 0, "")
	pdf.CellFormat(w-60-qrSize, 6, text(p.VerifyURL), "", 0, "L", false, 0, p.VerifyURL)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	if buf.Len() > MaxBytes {
		return nil, fmt.Errorf("render pdf: %d bytes, over %d", buf.Len(), MaxBytes)
	}
	return buf.Bytes(), nil
}

// clip cuts s to MaxFieldRunes runes, drops invalid UTF-8 and control
// characters.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "")
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r < ' ' || r == utf8.RuneError || (r >= 0x7f && r < 0xa0) {
			continue
		}
		if n == MaxFieldRunes {
			b.WriteString("...")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// day formats a date as "2 January 2006" (UTC).
func day(t time.Time) string { return t.UTC().Format("2 January 2006") }

// Duration formats seconds as "3 h 05 min" or "12 min".
func Duration(seconds float64) string {
	m := int(seconds/60 + 0.5)
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d min", m/60, m%60)
}

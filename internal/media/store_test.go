package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
)

func TestSaveImage(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		ct   string
		ext  string
	}{
		{"png", pngBytes(t), "image/png", ".png"},
		{"jpeg", jpegBytes(t), "image/jpeg", ".jpg"},
		{"gif", gifBytes(t), "image/gif", ".gif"},
		{"webp", webpBytes(), "image/webp", ".webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, Config{})
			obj, err := s.SaveImage(t.Context(), bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if obj.ContentType != tt.ct || obj.Size != int64(len(tt.data)) || obj.Duration != 0 ||
				!strings.HasPrefix(obj.Key, "images/") || !strings.HasSuffix(obj.Key, tt.ext) {
				t.Errorf("object = %+v", obj)
			}
			got, err := os.ReadFile(filepath.Join(s.dataDir, obj.Key))
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("stored file differs (err %v)", err)
			}
			assertNoFiles(t, s.tempDir)
		})
	}
}

func TestSaveVideo(t *testing.T) {
	s := newTestStore(t, Config{})
	tests := []struct {
		name     string
		data     []byte
		ct       string
		duration float64
	}{
		{"mp4", append(append(ftyp("mp42", "isom"), box("mdat", make([]byte, 1000))...), moov(0, 1000, 61500)...), "video/mp4", 61.5},
		{"quicktime", append(ftyp("qt  ", "qt  "), moov(1, 600, 1200)...), "video/quicktime", 2},
		{"webm", webmFile(1_000_000, 3000, true), "video/webm", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, err := s.SaveVideo(t.Context(), bytes.NewReader(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if obj.ContentType != tt.ct || obj.Duration != tt.duration || obj.Size != int64(len(tt.data)) ||
				!strings.HasPrefix(obj.Key, "videos/") {
				t.Errorf("object = %+v, want type %s, duration %v", obj, tt.ct, tt.duration)
			}
			if _, err := os.Stat(filepath.Join(s.dataDir, obj.Key)); err != nil {
				t.Error(err)
			}
		})
	}
	assertNoFiles(t, s.tempDir)
}

func TestSaveRejects(t *testing.T) {
	html := []byte("<html><body>not a png</body></html>")
	bigPNG := io.MultiReader(bytes.NewReader(pngBytes(t)), io.LimitReader(zeros{}, 2<<20))
	bigVideo, _ := mp4Stream("isom", 3<<20, moov(0, 1, 1))
	tests := []struct {
		name  string
		video bool
		r     io.Reader
		kind  apperr.Kind
		msg   string
	}{
		{"html disguised as png", false, bytes.NewReader(html), apperr.Invalid, "Unsupported file type"},
		{"empty image", false, bytes.NewReader(nil), apperr.Invalid, "Unsupported file type"},
		{"png given as a video", true, bytes.NewReader(pngBytes(t)), apperr.Invalid, "Unsupported file type"},
		{"mp4 given as an image", false, bytes.NewReader(ftyp("isom")), apperr.Invalid, "Unsupported file type"},
		{"image over the cap", false, bigPNG, apperr.TooLarge, "File too large"},
		{"video over the cap", true, bigVideo, apperr.TooLarge, "File too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, Config{MaxImageBytes: 1 << 20, MaxVideoBytes: 2 << 20})
			save := s.SaveImage
			if tt.video {
				save = s.SaveVideo
			}
			obj, err := save(t.Context(), tt.r)
			e, ok := apperr.As(err)
			if !ok || e.Kind != tt.kind || e.Message != tt.msg {
				t.Fatalf("err = %v (%+v), want kind %v %q", err, e, tt.kind, tt.msg)
			}
			if obj != (Object{}) {
				t.Errorf("object = %+v, want zero", obj)
			}
			assertNoFiles(t, s.dataDir)
			assertNoFiles(t, s.tempDir)
		})
	}
}

func TestSaveAtExactCap(t *testing.T) {
	data := pngBytes(t)
	s := newTestStore(t, Config{MaxImageBytes: int64(len(data))})
	if _, err := s.SaveImage(t.Context(), bytes.NewReader(data)); err != nil {
		t.Fatalf("upload of exactly the cap: %v", err)
	}
	_, err := s.SaveImage(t.Context(), bytes.NewReader(append(data, 0)))
	if !apperr.Is(err, apperr.TooLarge) {
		t.Fatalf("one byte over the cap: err = %v, want TooLarge", err)
	}
}

// cancelAfter cancels its context once n bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestSaveCancelledLeavesNothing(t *testing.T) {
	s := newTestStore(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	video, _ := mp4Stream("isom", 8<<20, moov(0, 1, 1))
	_, err := s.SaveVideo(ctx, &cancelAfter{r: video, n: 1 << 20, cancel: cancel})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertNoFiles(t, s.dataDir)
	assertNoFiles(t, s.tempDir)
}

// failingBackend fails every Put.
type failingBackend struct{}

func (failingBackend) Put(context.Context, string, *os.File, int64, string) error {
	return errors.New("disk full")
}
func (failingBackend) Delete(context.Context, string) error { return errors.New("gone") }

func TestSaveBackendFailure(t *testing.T) {
	tempDir := t.TempDir()
	s := NewStore(failingBackend{}, Config{TempDir: tempDir})
	_, err := s.SaveImage(t.Context(), bytes.NewReader(pngBytes(t)))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the backend's error", err)
	}
	assertNoFiles(t, tempDir)
}

// TestSaveVideoMemoryStaysFlat streams a 300 MiB generated video and
// checks that the bytes allocated meanwhile stay far below its size.
func TestSaveVideoMemoryStaysFlat(t *testing.T) {
	const size = 300 << 20
	const bound = 8 << 20
	s := newTestStore(t, Config{MaxVideoBytes: 1 << 30})
	video, total := mp4Stream("mp42", size, moov(1, 1000, 3_600_000))

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	obj, err := s.SaveVideo(t.Context(), video)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	delta := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while saving %d MiB", delta>>10, total>>20)
	if delta > bound {
		t.Errorf("allocated %d MiB while saving %d MiB, want < %d MiB", delta>>20, total>>20, bound>>20)
	}
	if obj.Size != total || obj.Duration != 3600 {
		t.Errorf("object = %+v, want size %d, duration 3600", obj, total)
	}
	info, err := os.Stat(filepath.Join(s.dataDir, obj.Key))
	if err != nil || info.Size() != total {
		t.Fatalf("stored file: %v, %v", info, err)
	}
	assertNoFiles(t, s.tempDir)
}

func TestRemove(t *testing.T) {
	s := newTestStore(t, Config{})
	obj, err := s.SaveImage(t.Context(), bytes.NewReader(pngBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // a request that has gone away still removes its media
	s.Remove(ctx, obj.Key)
	assertNoFiles(t, s.dataDir)
	if s.logs.Len() != 0 {
		t.Errorf("unexpected log: %s", s.logs)
	}

	s.Remove(t.Context(), "")
	if s.logs.Len() != 0 {
		t.Errorf("empty key logged: %s", s.logs)
	}

	s.Remove(t.Context(), obj.Key) // already gone
	if log := s.logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, obj.Key) {
		t.Errorf("missing key: log = %q, want a warning naming the key", log)
	}
	s.logs.Reset()
	s.Remove(t.Context(), "../../etc/passwd")
	if !strings.Contains(s.logs.String(), "level=WARN") {
		t.Errorf("invalid key: log = %q, want a warning", s.logs)
	}
}

func TestLocalCopyFallback(t *testing.T) {
	// Put copies when the temp file is on another filesystem and cannot be
	// hard-linked; exercise that path directly.
	dir := t.TempDir()
	dst := filepath.Join(dir, "out")
	if err := copyInto(t.Context(), dst, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "hello" {
		t.Fatalf("copied %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the copy", len(entries))
	}
}

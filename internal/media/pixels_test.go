package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
)

// pngHeader returns a PNG of a few dozen bytes whose IHDR claims w×h: a
// pixel flood that a full decode would try to allocate.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:4], w)
	binary.BigEndian.PutUint32(ihdr[4:8], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.Write(make([]byte, 40)) // no IDAT worth the name
	return b.Bytes()
}

// jpegClaiming returns a real tiny JPEG whose frame header is rewritten to
// claim w×h.
func jpegClaiming(t *testing.T, w, h uint16) []byte {
	t.Helper()
	b := jpegBytes(t)
	i := bytes.Index(b, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0 marker in the test JPEG")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// gifClaiming returns a real tiny GIF whose logical screen claims w×h.
func gifClaiming(t *testing.T, w, h uint16) []byte {
	t.Helper()
	b := gifBytes(t)
	binary.LittleEndian.PutUint16(b[6:], w)
	binary.LittleEndian.PutUint16(b[8:], h)
	return b
}

// webpVP8X returns an extended WebP header claiming w×h.
func webpVP8X(w, h uint32) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	b = append(b, byte(w-1), byte((w-1)>>8), byte((w-1)>>16), byte(h-1), byte((h-1)>>8), byte((h-1)>>16))
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestSaveImageRefusesPixelFloods(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"png 100000×100000", pngHeader(100000, 100000)},
		{"jpeg 65535×65535", jpegClaiming(t, 65535, 65535)},
		{"gif 65535×65535", gifClaiming(t, 65535, 65535)},
		{"webp 16384×16384", webpVP8X(16384, 16384)},
		{"png just over the cap", pngHeader(8000, 5001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, Config{})
			_, err := s.SaveImage(t.Context(), bytes.NewReader(tt.data))
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || e.Message != "Image dimensions too large" {
				t.Fatalf("err = %v, want Invalid %q", err, "Image dimensions too large")
			}
			assertNoFiles(t, s.tempDir)
			assertNoFiles(t, s.dataDir)
		})
	}
}

func TestSaveImageAcceptsUpToThePixelCap(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		cap  int64
	}{
		{"png 8000×5000 at the default cap", pngHeader(8000, 5000), 0},
		{"webp 100×100 at a 10000 cap", webpVP8X(100, 100), 10000},
		{"gif 100×100 at a 10000 cap", gifClaiming(t, 100, 100), 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t, Config{MaxImagePixels: tt.cap})
			if _, err := s.SaveImage(t.Context(), bytes.NewReader(tt.data)); err != nil {
				t.Fatalf("SaveImage: %v", err)
			}
		})
	}
}

func TestSaveImageRefusesUnreadableHeaders(t *testing.T) {
	s := newTestStore(t, Config{})
	broken := pngHeader(10, 10)
	broken[20] ^= 0xff // the IHDR checksum no longer matches
	_, err := s.SaveImage(t.Context(), bytes.NewReader(broken))
	if e, ok := apperr.As(err); !ok || e.Kind != apperr.Invalid || e.Message != "Unsupported file type" {
		t.Fatalf("err = %v, want Invalid %q", err, "Unsupported file type")
	}
	assertNoFiles(t, s.tempDir)
}

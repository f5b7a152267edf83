package media

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"testing"
)

// sparse is an io.ReaderAt of size bytes that are zero except for parts.
type sparse struct {
	size  int64
	parts map[int64][]byte // offset → bytes
}

func (s sparse) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), s.size-off))
	clear(p[:n])
	for at, b := range s.parts {
		lo, hi := max(at, off), min(at+int64(len(b)), off+int64(n))
		if lo < hi {
			copy(p[lo-off:hi-off], b[lo-at:hi-at])
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// mp4WithMdat lays out ftyp, an mdat of mdatSize payload bytes (64-bit
// size when large), and moov at the end, without storing the payload.
func mp4WithMdat(mdatSize int64, large bool, moovBox []byte) sparse {
	head := ftyp("isom", "mp41")
	if large {
		head = append(head, largeHeader("mdat", mdatSize)...)
	} else {
		head = append(head, binary.BigEndian.AppendUint32(nil, uint32(8+mdatSize))...)
		head = append(head, "mdat"...)
	}
	moovAt := int64(len(head)) + mdatSize
	return sparse{size: moovAt + int64(len(moovBox)), parts: map[int64][]byte{0: head, moovAt: moovBox}}
}

func TestMP4Duration(t *testing.T) {
	tests := []struct {
		name string
		file sparse
		want float64
	}{
		{"mvhd v0 after 1 MiB mdat", mp4WithMdat(1<<20, false, moov(0, 600, 600*93)), 93},
		{"mvhd v1 after 5 GiB mdat (largesize)", mp4WithMdat(5<<30, true, moov(1, 90000, 90000*7200+45000)), 7200.5},
		{"mvhd v1 with 64-bit duration", mp4WithMdat(10, true, moov(1, 1000, 1<<40)), float64(1<<40) / 1000},
		{"moov first, then mdat running to the end (size 0)", sparse{size: 1 << 32, parts: map[int64][]byte{
			0: bytes.Join([][]byte{ftyp("qt  "), moov(0, 1000, 2500), {0, 0, 0, 0}, []byte("mdat")}, nil),
		}}, 2.5},
		{"moov with a 64-bit size", func() sparse {
			m := moov(1, 50, 500)
			large := append(largeHeader("moov", int64(len(m)-8)), m[8:]...)
			return mp4WithMdat(1000, false, large)
		}(), 10},
		{"moov last with size 0 (runs to the end)", func() sparse {
			m := moov(0, 8, 36)
			copy(m[0:4], []byte{0, 0, 0, 0})
			return mp4WithMdat(1000, true, m)
		}(), 4.5},
		{"zero timescale", mp4WithMdat(10, false, moov(0, 0, 100)), 0},
		{"unknown duration (all ones)", mp4WithMdat(10, false, moov(0, 1000, math.MaxUint32)), 0},
		{"no moov", mp4WithMdat(10, false, box("free", make([]byte, 8))), 0},
		{"moov without mvhd", mp4WithMdat(10, false, box("moov", box("trak", make([]byte, 8)))), 0},
		{"mdat size past the end", sparse{size: 100, parts: map[int64][]byte{
			0: append(ftyp("isom"), largeHeader("mdat", 1<<40)...),
		}}, 0},
		{"box smaller than its header", sparse{size: 64, parts: map[int64][]byte{
			0: append(ftyp("isom"), 0, 0, 0, 4, 'm', 'o', 'o', 'v'),
		}}, 0},
		{"truncated mvhd", sparse{size: 200, parts: map[int64][]byte{
			0: append(ftyp("isom"), box("moov", box("mvhd", []byte{1, 0, 0, 0, 9}))...),
		}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := videoDuration(tt.file, tt.file.size, "mp4"); got != tt.want {
				t.Errorf("duration = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWebMDuration(t *testing.T) {
	unknownSegment := append(ebmlHeader("webm"), 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	unknownSegment = append(unknownSegment, ebml(ebmlInfoID, ebml(ebmlDurationID, binary.BigEndian.AppendUint64(nil, math.Float64bits(4000))))...)
	tests := []struct {
		name string
		data []byte
		want float64
	}{
		{"float64 duration, default-like scale", webmFile(1_000_000, 12345, true), 12.345},
		{"float32 duration", webmFile(1_000_000, 1500, false), 1.5},
		{"custom timecode scale", webmFile(1_000, 2_000_000, true), 2},
		{"segment of unknown size, default scale", unknownSegment, 4},
		{"no duration (live recording)", append(ebmlHeader("webm"), ebml(ebmlSegmentID, ebml(ebmlInfoID, ebml(ebmlTimescaleID, []byte{1})))...), 0},
		{"cluster before info", append(ebmlHeader("webm"), ebml(ebmlSegmentID, ebml(ebmlClusterID, []byte{1}), ebml(ebmlInfoID))...), 0},
		{"header only", ebmlHeader("webm"), 0},
		{"truncated", webmFile(1_000_000, 1500, true)[:40], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := videoDuration(bytes.NewReader(tt.data), int64(len(tt.data)), "webm")
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("duration = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDurationNeverPanicsOnGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	valid := [][]byte{
		append(ftyp("isom"), moov(1, 1000, 5000)...),
		webmFile(1_000_000, 1500, true),
	}
	for i := range 2000 {
		b := bytes.Clone(valid[i%2])
		for range 1 + rng.IntN(8) {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		b = b[:rng.IntN(len(b)+1)]
		for _, ext := range []string{"mp4", "webm"} {
			if d := videoDuration(bytes.NewReader(b), int64(len(b)), ext); d < 0 || math.IsNaN(d) || math.IsInf(d, 0) {
				t.Fatalf("duration %v for %x", d, b)
			}
		}
	}
}

package media

import (
	"bytes"
	"testing"
)

// BenchmarkVideoDuration measures reading an MP4's duration when its moov
// box comes after 64 MiB of media data (the common layout of an upload).
func BenchmarkVideoDuration(b *testing.B) {
	const mdat = 64 << 20
	file := append(append(ftyp("isom", "mp41"), largeHeader("mdat", mdat)...), make([]byte, mdat)...)
	file = append(file, moov(0, 1000, 12_500)...)
	r := bytes.NewReader(file)
	b.ReportAllocs()
	for b.Loop() {
		if d := videoDuration(r, int64(len(file)), "mp4"); d != 12.5 {
			b.Fatalf("duration %v, want 12.5", d)
		}
	}
}

// BenchmarkSniffVideo measures the content check of a video upload.
func BenchmarkSniffVideo(b *testing.B) {
	head := append(ftyp("isom", "mp41"), make([]byte, 512)...)[:512]
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := sniffVideo(head); !ok {
			b.Fatal("not recognised")
		}
	}
}

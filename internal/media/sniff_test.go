package media

import (
	"bytes"
	"testing"
)

func TestSniff(t *testing.T) {
	htmlAsPNG := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")
	tests := []struct {
		name      string
		data      []byte
		wantImage string // extension, "" = not an image
		wantVideo string // extension, "" = not a video
	}{
		{"png", pngBytes(t), "png", ""},
		{"jpeg", jpegBytes(t), "jpg", ""},
		{"gif", gifBytes(t), "gif", ""},
		{"webp", webpBytes(), "webp", ""},
		{"html named .png", htmlAsPNG, "", ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), "", ""},
		{"riff wave is not webp", append([]byte("RIFF\x10\x00\x00\x00WAVEfmt "), make([]byte, 20)...), "", ""},
		{"empty", nil, "", ""},
		{"truncated png signature", []byte("\x89PNG\r\n"), "", ""},
		{"mp4 isom", ftyp("isom", "iso2", "avc1", "mp41"), "", "mp4"},
		{"mp4 mp42", ftyp("mp42", "isom"), "", "mp4"},
		{"m4v", ftyp("M4V ", "M4V ", "mp42", "isom"), "", "mp4"},
		{"quicktime", ftyp("qt  ", "qt  "), "", "mov"},
		{"quicktime by compatible brand", ftyp("xxxx", "qt  "), "", "mov"},
		{"heic image in ftyp", ftyp("heic", "mif1", "heic"), "", ""},
		{"avif image in ftyp", ftyp("avif", "avif", "mif1", "miaf"), "", ""},
		{"m4a audio", ftyp("M4A ", "M4A ", "mp42", "isom"), "", ""},
		{"unknown brands", ftyp("abcd", "efgh"), "", ""},
		{"ftyp with bad size", append([]byte{0, 0, 0, 3}, ftyp("isom")[4:]...), "", ""},
		{"webm", webmFile(1_000_000, 1500, true), "", "webm"},
		{"matroska is not webm", ebmlHeader("matroska"), "", ""},
		{"ebml header truncated", ebmlHeader("webm")[:10], "", ""},
		{"ebml garbage", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x00, 0x00}, "", ""},
		{"png given as a video", pngBytes(t), "png", ""},
		{"mp4 given as an image", ftyp("isom"), "", "mp4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := tt.data[:min(len(tt.data), sniffLen)]
			gotImage, okImage := sniffImage(head)
			if gotImage != tt.wantImage || okImage != (tt.wantImage != "") {
				t.Errorf("sniffImage = %q, %v; want %q", gotImage, okImage, tt.wantImage)
			}
			gotVideo, okVideo := sniffVideo(head)
			if gotVideo != tt.wantVideo || okVideo != (tt.wantVideo != "") {
				t.Errorf("sniffVideo = %q, %v; want %q", gotVideo, okVideo, tt.wantVideo)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	hex := "0123456789abcdef0123456789abcdef"
	tests := []struct {
		key   string
		ok    bool
		video bool // served only signed
		ct    string
	}{
		{"captions/" + hex + ".vtt", true, true, "text/vtt; charset=utf-8"},
		{"captions/" + hex + ".png", false, false, ""},
		{"images/" + hex + ".vtt", false, false, ""},
		{"videos/" + hex + ".vtt", false, false, ""},
		{"images/" + hex + ".png", true, false, "image/png"},
		{"images/" + hex + ".jpg", true, false, "image/jpeg"},
		{"videos/" + hex + ".mp4", true, true, "video/mp4"},
		{"videos/" + hex + ".mov", true, true, "video/quicktime"},
		{"videos/" + hex + ".webm", true, true, "video/webm"},
		{"images/" + hex + ".mp4", false, false, ""},
		{"videos/" + hex + ".png", false, false, ""},
		{"images/" + hex + ".html", false, false, ""},
		{"images/" + hex[:31] + ".png", false, false, ""},
		{"images/" + hex + "0.png", false, false, ""},
		{"images/" + "0123456789ABCDEF0123456789abcdef" + ".png", false, false, ""},
		{"images/../../../etc/passwd", false, false, ""},
		{"images/" + hex + ".png/..", false, false, ""},
		{"/images/" + hex + ".png", false, false, ""},
		{"other/" + hex + ".png", false, false, ""},
		{"", false, false, ""},
	}
	for _, tt := range tests {
		ct, video, ok := parseKey(tt.key)
		if ok != tt.ok || video != tt.video || ct != tt.ct {
			t.Errorf("parseKey(%q) = %q, %v, %v; want %q, %v, %v", tt.key, ct, video, ok, tt.ct, tt.video, tt.ok)
		}
	}
}

func TestNewKey(t *testing.T) {
	a, b := newKey(videoPrefix, "mp4"), newKey(videoPrefix, "mp4")
	if a == b {
		t.Fatalf("two keys are equal: %q", a)
	}
	for _, k := range []string{a, b, newKey(imagePrefix, "webp")} {
		if _, _, ok := parseKey(k); !ok {
			t.Errorf("newKey gave %q, which parseKey rejects", k)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add(ftyp("isom", "mp41"))
	f.Add(webmFile(1_000_000, 10, false))
	f.Add(webpBytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:min(len(b), sniffLen)]
		if ext, ok := sniffImage(b); ok && contentTypeOf(ext) == "" {
			t.Fatalf("sniffImage gave unknown extension %q", ext)
		}
		if ext, ok := sniffVideo(b); ok && contentTypeOf(ext) == "" {
			t.Fatalf("sniffVideo gave unknown extension %q", ext)
		}
		_ = videoDuration(bytes.NewReader(b), int64(len(b)), "mp4")
		_ = videoDuration(bytes.NewReader(b), int64(len(b)), "webm")
	})
}

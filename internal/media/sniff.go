package media

import (
	"bytes"
	"encoding/binary"
)

// sniffLen is how many leading bytes the type checks look at.
const sniffLen = 512

// sniffImage reports the extension of an image format it recognises in the
// leading bytes b: JPEG, PNG, GIF or WebP.
func sniffImage(b []byte) (ext string, ok bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpg", true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png", true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif", true
	case len(b) >= 16 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP" &&
		(string(b[12:16]) == "VP8 " || string(b[12:16]) == "VP8L" || string(b[12:16]) == "VP8X"):
		return "webp", true
	}
	return "", false
}

// sniffVideo reports the extension of a video format it recognises in the
// leading bytes b: MP4 or QuickTime (by their ftyp brands) or WebM (by the
// EBML header's DocType).
func sniffVideo(b []byte) (ext string, ok bool) {
	if ext, ok := sniffFtyp(b); ok {
		return ext, true
	}
	if isWebM(b) {
		return "webm", true
	}
	return "", false
}

// sniffFtyp inspects an ISO base media file's leading ftyp box. The major
// brand decides; when it is neither a video brand nor a known still-image or
// audio brand, the compatible brands are consulted.
func sniffFtyp(b []byte) (string, bool) {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return "", false
	}
	size := binary.BigEndian.Uint32(b[0:4])
	if size < 16 || size%4 != 0 {
		return "", false
	}
	major := string(b[8:12])
	switch {
	case major == "qt  ":
		return "mov", true
	case isMP4Brand(major):
		return "mp4", true
	case isNonVideoBrand(major):
		return "", false
	}
	end := min(int(size), len(b))
	for i := 16; i+4 <= end; i += 4 {
		switch brand := string(b[i : i+4]); {
		case brand == "qt  ":
			return "mov", true
		case isMP4Brand(brand):
			return "mp4", true
		}
	}
	return "", false
}

// isMP4Brand reports whether brand is an ftyp brand of MP4 video files.
func isMP4Brand(brand string) bool {
	switch brand {
	case "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "iso7", "iso8", "iso9",
		"mp41", "mp42", "mp71", "avc1", "M4V ", "M4VH", "M4VP", "dash", "msnv",
		"f4v ", "mmp4", "3gp4", "3gp5", "3gp6", "3gp7", "3g2a", "3g2b", "3g2c",
		"NDSC", "NDSH", "NDSM", "NDSP", "NDSS", "NDXC", "NDXH", "NDXM", "NDXP", "NDXS":
		return true
	}
	return false
}

// isNonVideoBrand reports whether brand marks a still image (HEIF, AVIF)
// or audio (M4A) file that merely shares the ISO container.
func isNonVideoBrand(brand string) bool {
	switch brand {
	case "avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1",
		"M4A ", "M4B ", "M4P ", "F4A ", "F4B ":
		return true
	}
	return false
}

// EBML element IDs (with their length markers kept, as Matroska writes them).
const (
	ebmlHeaderID     = 0x1A45DFA3
	ebmlDocTypeID    = 0x4282
	ebmlSegmentID    = 0x18538067
	ebmlInfoID       = 0x1549A966
	ebmlTimescaleID  = 0x2AD7B1
	ebmlDurationID   = 0x4489
	ebmlClusterID    = 0x1F43B675
	ebmlMaxIDLen     = 4
	ebmlMaxSizeLen   = 8
	ebmlMaxHeaderLen = ebmlMaxIDLen + ebmlMaxSizeLen
)

// isWebM reports whether b starts with an EBML header whose DocType is
// "webm".
func isWebM(b []byte) bool {
	id, n, ok := readVint(b, true)
	if !ok || id != ebmlHeaderID {
		return false
	}
	b = b[n:]
	size, n, ok := readVint(b, false)
	if !ok {
		return false
	}
	b = b[n:]
	if uint64(len(b)) > size {
		b = b[:size]
	}
	for len(b) > 0 {
		id, n, ok := readVint(b, true)
		if !ok {
			return false
		}
		b = b[n:]
		size, n, ok := readVint(b, false)
		if !ok || uint64(len(b)-n) < size {
			return false
		}
		b = b[n:]
		if id == ebmlDocTypeID {
			return string(bytes.TrimRight(b[:size], "\x00")) == "webm"
		}
		b = b[size:]
	}
	return false
}

// readVint decodes an EBML variable-length integer at the start of b and
// returns it with its length. keepMarker keeps the length marker bit, as
// element IDs are compared with it.
func readVint(b []byte, keepMarker bool) (v uint64, n int, ok bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	n = 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if len(b) < n {
		return 0, 0, false
	}
	v = uint64(b[0])
	if !keepMarker {
		v &= 0xFF >> n
	}
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n, true
}

// unknownSize reports whether an n-byte EBML size v has all its data bits
// set, which Matroska uses for "unknown size".
func unknownSize(v uint64, n int) bool {
	return v == 1<<(7*n)-1
}

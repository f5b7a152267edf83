package media

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// The kinds of upload and the key prefix of each.
const (
	imagePrefix   = "images/"
	videoPrefix   = "videos/"
	captionPrefix = "captions/"
)

// captionType is the content type captions are stored and served with.
const captionType = "text/vtt; charset=utf-8"

// newKey returns a fresh random key under prefix with the extension ext.
func newKey(prefix, ext string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return prefix + hex.EncodeToString(b[:]) + "." + ext
}

// parseKey checks that key has exactly the shape newKey produces and returns
// its content type, and whether it is served only with a signature (videos
// and captions; images are public). Anything else (other prefixes, dots,
// slashes, upper case, unknown extensions, an extension of another kind) is
// rejected, which rules out path traversal.
func parseKey(key string) (contentType string, signed, ok bool) {
	prefix, rest, found := strings.Cut(key, "/")
	if !found || len(rest) < 34 || rest[32] != '.' {
		return "", false, false
	}
	for i := range 32 {
		c := rest[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false, false
		}
	}
	ct := contentTypeOf(rest[33:])
	switch prefix + "/" {
	case imagePrefix:
		ok = strings.HasPrefix(ct, "image/")
	case videoPrefix:
		ok, signed = strings.HasPrefix(ct, "video/"), true
	case captionPrefix:
		ok, signed = ct == captionType, true
	}
	if !ok {
		return "", false, false
	}
	return ct, signed, true
}

// contentTypeOf maps a stored extension to its content type, "" if unknown.
func contentTypeOf(ext string) string {
	switch ext {
	case "jpg":
		return "image/jpeg"
	case "png":
		return "image/png"
	case "gif":
		return "image/gif"
	case "webp":
		return "image/webp"
	case "mp4":
		return "video/mp4"
	case "webm":
		return "video/webm"
	case "mov":
		return "video/quicktime"
	case "vtt":
		return captionType
	}
	return ""
}

package media

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// The two kinds of upload and the key prefix of each.
const (
	imagePrefix = "images/"
	videoPrefix = "videos/"
)

// newKey returns a fresh random key under prefix with the extension ext.
func newKey(prefix, ext string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return prefix + hex.EncodeToString(b[:]) + "." + ext
}

// parseKey checks that key has exactly the shape newKey produces and returns
// its content type. Anything else (other prefixes, dots, slashes, upper
// case, unknown extensions) is rejected, which rules out path traversal.
func parseKey(key string) (contentType string, video, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(key, imagePrefix):
		rest = key[len(imagePrefix):]
	case strings.HasPrefix(key, videoPrefix):
		rest = key[len(videoPrefix):]
		video = true
	default:
		return "", false, false
	}
	if len(rest) < 34 || rest[32] != '.' {
		return "", false, false
	}
	for i := range 32 {
		c := rest[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false, false
		}
	}
	ct := contentTypeOf(rest[33:])
	if ct == "" || strings.HasPrefix(ct, "video/") != video {
		return "", false, false
	}
	return ct, video, true
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
	}
	return ""
}

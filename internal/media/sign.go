package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"
)

// signature returns the base64url HMAC-SHA256 of key and expiry (Unix
// seconds) under the signing key.
func signature(signingKey []byte, key string, exp int64) string {
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write(strconv.AppendInt(nil, exp, 10))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validSignature reports whether sig signs key until exp (Unix seconds, as
// sent) and exp is still in the future at now. The comparison is constant
// time.
func validSignature(signingKey []byte, key, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || strconv.FormatInt(e, 10) != exp || now.Unix() >= e {
		return false
	}
	want := signature(signingKey, key, e)
	return hmac.Equal([]byte(sig), []byte(want))
}

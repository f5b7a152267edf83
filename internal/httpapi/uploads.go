package httpapi

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// errTooManyUploads answers 429 when a user already
// has MAX_UPLOADS_PER_USER uploads in flight.
var errTooManyUploads = &apperr.Error{Kind: apperr.TooManyRequests, Code: "too_many_uploads",
	Message: "Too many uploads in progress; wait for one to finish", RetryAfter: 10 * time.Second}

// errUploadStalled answers 408 (writeError) when an upload body
// makes no progress for UPLOAD_IDLE_TIMEOUT or outlasts its absolute limit.
var errUploadStalled = apperr.New(apperr.Invalid, "upload_timed_out", "Upload timed out")

// uploadSlots counts the uploads each user has in flight.
type uploadSlots struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newUploadSlots(max int) *uploadSlots {
	return &uploadSlots{max: max, n: map[string]int{}}
}

// acquire takes one of user's slots; it reports false when all are taken.
// Every successful acquire must be followed by one release.
func (u *uploadSlots) acquire(user string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[user] >= u.max {
		return false
	}
	u.n[user]++
	return true
}

func (u *uploadSlots) release(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[user] <= 1 {
		delete(u.n, user)
		return
	}
	u.n[user]--
}

// idleBody reads an upload body while keeping the connection's read
// deadline at most idle ahead of the last progress, and never past
// absolute: a client that stops sending is dropped after idle, while an
// honest slow upload may take until absolute.
type idleBody struct {
	io.ReadCloser
	rc       *http.ResponseController
	idle     time.Duration
	absolute time.Time
	pushed   time.Time // when the deadline was last moved
}

// newIdleBody wraps body and sets the first read deadline.
func newIdleBody(w http.ResponseWriter, body io.ReadCloser, idle time.Duration, absolute time.Time) *idleBody {
	b := &idleBody{ReadCloser: body, rc: http.NewResponseController(w), idle: idle, absolute: absolute}
	b.push(time.Now())
	return b
}

func (b *idleBody) push(now time.Time) {
	b.pushed = now
	d := now.Add(b.idle)
	if d.After(b.absolute) {
		d = b.absolute
	}
	_ = b.rc.SetReadDeadline(d)
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		// Moving the deadline on every read would cost a timer update per
		// buffer; an eighth of the idle time is precise enough.
		if now := time.Now(); now.Sub(b.pushed) >= b.idle/8 {
			b.push(now)
		}
	}
	switch {
	case err == io.EOF:
		// The whole body is in: nothing more to wait for. The server's
		// background read, which watches for the client going away, must
		// not trip over the idle deadline while the upload is stored.
		_ = b.rc.SetReadDeadline(b.absolute)
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		err = errors.Join(errUploadStalled, err)
	}
	return n, err
}

// bodyError is the error of an upload whose body could not be read: a
// stall is errUploadStalled, anything else a malformed body.
func bodyError(err error) error {
	if errors.Is(err, errUploadStalled) {
		return err
	}
	return apperr.New(apperr.Invalid, "malformed_multipart", "Malformed multipart body").Wrap(err)
}

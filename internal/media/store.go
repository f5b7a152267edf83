package media

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
)

// Errors of an upload.
var (
	ErrUnsupportedType = apperr.New(apperr.Invalid, "unsupported_file_type", "Unsupported file type")
	ErrTooLarge        = apperr.New(apperr.TooLarge, "file_too_large", "File too large")
	// ErrTooManyPixels refuses an image whose header claims more than
	// Config.MaxImagePixels.
	ErrTooManyPixels = apperr.New(apperr.Invalid, "image_too_many_pixels", "Image dimensions too large")
)

// Defaults used by NewStore for zero Config fields.
const (
	DefaultMaxImageBytes = 5 << 20 // 5 MiB
	DefaultMaxVideoBytes = 2 << 30 // 2 GiB
	DefaultURLTTL        = 2 * time.Hour
	// DefaultMaxCaptionBytes is 1 MiB: hours of subtitles.
	DefaultMaxCaptionBytes = 1 << 20
	// DefaultMaxImagePixels is 40 megapixels: more than any camera photo a
	// thumbnail needs, far less than a decompression bomb claims.
	DefaultMaxImagePixels = 40_000_000
)

// copyBufferSize is the one buffer an upload is copied through.
const copyBufferSize = 32 << 10

// removeTimeout bounds a Remove, which runs even when the caller's context
// has been cancelled.
const removeTimeout = 30 * time.Second

// Config configures a Store. Zero values take the defaults noted.
type Config struct {
	// TempDir receives uploads while they stream in; os.TempDir() when
	// empty. On the local backend's filesystem, a saved upload is
	// hard-linked into place instead of copied.
	TempDir string
	// MaxImageBytes caps image uploads; DefaultMaxImageBytes when ≤ 0.
	MaxImageBytes int64
	// MaxVideoBytes caps video uploads; DefaultMaxVideoBytes when ≤ 0.
	MaxVideoBytes int64
	// MaxImagePixels caps an image's width × height as its header states
	// it; DefaultMaxImagePixels when ≤ 0.
	MaxImagePixels int64
	// MaxCaptionBytes caps caption uploads; DefaultMaxCaptionBytes when ≤ 0.
	MaxCaptionBytes int64
	// URLTTL is how long a video or caption URL stays valid; DefaultURLTTL
	// when ≤ 0.
	URLTTL time.Duration
	// SigningKey signs local video URLs. When empty, a random key is used,
	// so links do not survive a restart or work across instances.
	SigningKey []byte
	// PublicBaseURL is the origin where Handler is mounted at /media/, e.g.
	// "http://localhost:4000"; empty gives root-relative URLs.
	PublicBaseURL string
	// Logger receives removal failures; slog.Default() when nil.
	Logger *slog.Logger
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// Store saves uploads to a Backend and builds URLs for them. It is safe for
// concurrent use.
type Store struct {
	backend Backend
	linker  Linker // nil: URLs point at Handler
	opener  Opener // nil: Handler answers 404
	cfg     Config
}

// NewStore returns a Store over b. When b implements Linker, its URLs are
// used; when it implements Opener, Handler serves its objects.
func NewStore(b Backend, cfg Config) *Store {
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.MaxImageBytes <= 0 {
		cfg.MaxImageBytes = DefaultMaxImageBytes
	}
	if cfg.MaxVideoBytes <= 0 {
		cfg.MaxVideoBytes = DefaultMaxVideoBytes
	}
	if cfg.MaxImagePixels <= 0 {
		cfg.MaxImagePixels = DefaultMaxImagePixels
	}
	if cfg.MaxCaptionBytes <= 0 {
		cfg.MaxCaptionBytes = DefaultMaxCaptionBytes
	}
	if cfg.URLTTL <= 0 {
		cfg.URLTTL = DefaultURLTTL
	}
	if len(cfg.SigningKey) == 0 {
		cfg.SigningKey = make([]byte, 32)
		_, _ = rand.Read(cfg.SigningKey) // crypto/rand.Read never fails (Go ≥ 1.24)
	} else {
		cfg.SigningKey = append([]byte(nil), cfg.SigningKey...)
	}
	cfg.PublicBaseURL = strings.TrimRight(cfg.PublicBaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{backend: b, cfg: cfg}
	s.linker, _ = b.(Linker)
	s.opener, _ = b.(Opener)
	return s
}

// SaveImage stores a JPEG, PNG, WebP or GIF image read from r. Another type
// gives an Invalid error "Unsupported file type"; more than MaxImageBytes
// gives a TooLarge error "File too large"; a header claiming more than
// MaxImagePixels gives an Invalid error "Image dimensions too large" (the
// pixels are never decoded). Nothing is stored on error.
func (s *Store) SaveImage(ctx context.Context, r io.Reader) (Object, error) {
	return s.save(ctx, r, false)
}

// SaveVideo stores an MP4, WebM or QuickTime video read from r and reads
// its duration. Errors are as for SaveImage, with MaxVideoBytes as the cap.
func (s *Store) SaveVideo(ctx context.Context, r io.Reader) (Object, error) {
	return s.save(ctx, r, true)
}

// SaveCaption stores a caption track read from r: WebVTT as it is, SRT
// converted to WebVTT (see ToWebVTT). More than MaxCaptionBytes gives a
// TooLarge error; binary content ErrUnsupportedType; text that is neither
// format ErrMalformedCaptions. The file is small enough to check whole in
// memory.
func (s *Store) SaveCaption(ctx context.Context, r io.Reader) (Object, error) {
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx: ctx, r: r}, s.cfg.MaxCaptionBytes+1))
	if err != nil {
		return Object{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) > s.cfg.MaxCaptionBytes {
		return Object{}, ErrTooLarge
	}
	vtt, err := ToWebVTT(data)
	if err != nil {
		return Object{}, err
	}
	tmp, err := os.CreateTemp(s.cfg.TempDir, tempPattern)
	if err != nil {
		return Object{}, fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		_ = tmp.Close()
		if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			s.cfg.Logger.Warn("media: remove temp file failed", "path", tmp.Name(), "err", rerr)
		}
	}()
	if _, err := tmp.Write(vtt); err != nil {
		return Object{}, fmt.Errorf("write temp file: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Object{}, fmt.Errorf("rewind temp file: %w", err)
	}
	obj := Object{Key: newKey(captionPrefix, "vtt"), ContentType: captionType, Size: int64(len(vtt))}
	if err := s.backend.Put(ctx, obj.Key, tmp, obj.Size, obj.ContentType); err != nil {
		return Object{}, fmt.Errorf("store %s: %w", obj.Key, err)
	}
	return obj, nil
}

// save streams r into a temporary file (checking its type on the first
// bytes and its size as it goes), reads a video's duration from that file,
// hands the file to the backend and always removes it.
func (s *Store) save(ctx context.Context, r io.Reader, video bool) (obj Object, err error) {
	r = ctxReader{ctx: ctx, r: r}
	var head [sniffLen]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Object{}, fmt.Errorf("read upload: %w", err)
	}
	var ext string
	var ok bool
	prefix, limit := imagePrefix, s.cfg.MaxImageBytes
	if video {
		ext, ok = sniffVideo(head[:n])
		prefix, limit = videoPrefix, s.cfg.MaxVideoBytes
	} else {
		ext, ok = sniffImage(head[:n])
	}
	if !ok {
		return Object{}, ErrUnsupportedType
	}
	if int64(n) > limit {
		return Object{}, ErrTooLarge
	}

	tmp, err := os.CreateTemp(s.cfg.TempDir, tempPattern)
	if err != nil {
		return Object{}, fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		if cerr := tmp.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close temp file: %w", cerr)
		}
		if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			s.cfg.Logger.Warn("media: remove temp file failed", "path", tmp.Name(), "err", rerr)
		}
	}()

	if _, err := tmp.Write(head[:n]); err != nil {
		return Object{}, fmt.Errorf("write temp file: %w", err)
	}
	// Copy at most one byte more than the cap allows, through one fixed
	// buffer; the extra byte tells an oversized upload apart.
	buf := make([]byte, copyBufferSize)
	copied, err := io.CopyBuffer(writerOnly{tmp}, io.LimitReader(r, limit-int64(n)+1), buf)
	if err != nil {
		return Object{}, fmt.Errorf("copy upload: %w", err)
	}
	size := int64(n) + copied
	if size > limit {
		return Object{}, ErrTooLarge
	}

	key := newKey(prefix, ext)
	obj = Object{Key: key, ContentType: contentTypeOf(ext), Size: size}
	if video {
		obj.Duration = videoDuration(tmp, size, ext)
	} else if err := s.checkPixels(tmp, ext, head[:n]); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, fmt.Errorf("save upload: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Object{}, fmt.Errorf("rewind temp file: %w", err)
	}
	if err := s.backend.Put(ctx, key, tmp, size, obj.ContentType); err != nil {
		return Object{}, fmt.Errorf("store %s: %w", key, err)
	}
	return obj, nil
}

// checkPixels refuses an image whose header is unreadable or states more
// than MaxImagePixels, reading only the header of the file f.
func (s *Store) checkPixels(f *os.File, ext string, head []byte) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind temp file: %w", err)
	}
	pixels, err := imagePixels(ext, head, f)
	if err != nil {
		return ErrUnsupportedType.Wrap(err)
	}
	if pixels > s.cfg.MaxImagePixels {
		return ErrTooManyPixels
	}
	return nil
}

// Remove deletes the object stored under key. It runs even when ctx is
// already cancelled; a failure is logged as a warning and never returned.
// An empty key does nothing.
func (s *Store) Remove(ctx context.Context, key string) {
	if key == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	if err := s.backend.Delete(ctx, key); err != nil {
		s.cfg.Logger.WarnContext(ctx, "media: remove failed", "key", key, "err", err)
	}
}

// ImageURL returns the public URL of the image stored under key, "" for an
// empty key.
func (s *Store) ImageURL(key string) string {
	if key == "" {
		return ""
	}
	if s.linker != nil {
		return s.linker.PublicURL(key)
	}
	return s.cfg.PublicBaseURL + "/media/" + key
}

// VideoURL returns a URL for the video stored under key that expires after
// URLTTL, "" for an empty key. For the local backend it is a /media/ URL
// signed with SigningKey; for S3 a presigned GET.
func (s *Store) VideoURL(ctx context.Context, key string) (string, error) {
	return s.privateURL(ctx, key, videoPrefix)
}

// CaptionURL is VideoURL for a caption track.
func (s *Store) CaptionURL(ctx context.Context, key string) (string, error) {
	return s.privateURL(ctx, key, captionPrefix)
}

// privateURL returns an expiring URL for key, which must be of the kind
// prefix names.
func (s *Store) privateURL(ctx context.Context, key, prefix string) (string, error) {
	if key == "" {
		return "", nil
	}
	if _, _, ok := parseKey(key); !ok || !strings.HasPrefix(key, prefix) {
		return "", fmt.Errorf("media url: invalid key %q", key)
	}
	if s.linker != nil {
		u, err := s.linker.PresignedURL(ctx, key, s.cfg.URLTTL)
		if err != nil {
			return "", fmt.Errorf("media url: %w", err)
		}
		return u, nil
	}
	return s.signedURL(key, s.cfg.Now().Add(s.cfg.URLTTL)), nil
}

// signedURL returns the Handler URL of key, signed until exp.
func (s *Store) signedURL(key string, exp time.Time) string {
	e := exp.Unix()
	q := url.Values{"exp": {strconv.FormatInt(e, 10)}, "sig": {signature(s.cfg.SigningKey, key, e)}}
	return s.cfg.PublicBaseURL + "/media/" + key + "?" + q.Encode()
}

// ctxReader fails reads once its context is done, so a cancelled request
// stops a long copy between buffers.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writerOnly hides *os.File's ReadFrom so that io.CopyBuffer uses the one
// buffer it is given.
type writerOnly struct{ w io.Writer }

func (w writerOnly) Write(p []byte) (int, error) { return w.w.Write(p) }

package httpapi

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/media"
)

// maxFormFieldBytes caps each text field of a multipart form.
const maxFormFieldBytes = 10 << 10

// maxFormFields caps the number of parts of a multipart form.
const maxFormFields = 20

// answerTime is how long handling an upload may take once its body is read.
const answerTime = time.Minute

// saveFunc stores one uploaded file.
type saveFunc func(ctx context.Context, r io.Reader) (media.Object, error)

// form is a parsed multipart form: its text fields and the files it stored.
type form struct {
	fields map[string]string
	files  map[string]media.Object
}

// readMultipart streams a multipart body. Text parts must be among
// textFields; file parts must be keys of files and are stored as they
// arrive, never held in memory or spilled to temporary files by the
// standard library. On error, every file already stored is removed.
// A user may have MAX_UPLOADS_PER_USER uploads in flight; beyond that the
// body is not read (429). The body may take uploadTime in all, but is
// dropped when it makes no progress for UPLOAD_IDLE_TIMEOUT (408); the
// answer may take answerTime more, and the rest of the request
// REQUEST_TIMEOUT once the body is read.
func (s *server) readMultipart(w http.ResponseWriter, r *http.Request, textFields []string, files map[string]saveFunc, uploadTime time.Duration) (f *form, err error) {
	if id, ok := caller(r); ok {
		if !s.uploads.acquire(id.UserID) {
			return nil, errTooManyUploads
		}
		defer s.uploads.release(id.UserID)
	}
	// The server's own deadlines, counted from the request's start, are too
	// short for a large upload: extend reading, and writing the answer too,
	// or a slow upload that succeeded would never hear so. The request's
	// overall deadline waits for the body, then gives the rest its usual
	// time.
	deadline := time.Now().Add(uploadTime)
	r.Body = newIdleBody(w, r.Body, s.opts.UploadIdleTimeout, deadline)
	_ = http.NewResponseController(w).SetWriteDeadline(deadline.Add(answerTime))
	extendDeadline(r.Context(), uploadTime+answerTime)
	defer extendDeadline(r.Context(), s.opts.RequestTimeout)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "malformed_multipart", "Malformed multipart body").Wrap(err)
	}
	f = &form{fields: map[string]string{}, files: map[string]media.Object{}}
	defer func() {
		if err != nil {
			s.removeFiles(r.Context(), f)
		}
	}()
	allowed := map[string]bool{}
	for _, name := range textFields {
		allowed[name] = true
	}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		// Exactly io.EOF is the final boundary; an EOF wrapped in another
		// error is a body without one (or cut short): malformed.
		if err == io.EOF { //nolint:errorlint // the exact sentinel is the point
			return f, nil
		}
		if err != nil {
			return f, bodyError(err)
		}
		if n >= maxFormFields {
			return f, apperr.New(apperr.Invalid, "too_many_fields", "Too many form fields")
		}
		if err := f.readPart(r.Context(), part, allowed, files); err != nil {
			return f, err
		}
	}
}

func (f *form) readPart(ctx context.Context, part *multipart.Part, allowed map[string]bool, files map[string]saveFunc) error {
	defer part.Close()
	name := part.FormName()
	_, seenField := f.fields[name]
	_, seenFile := f.files[name]
	if seenField || seenFile {
		return apperr.New(apperr.Invalid, "duplicate_field", fmt.Sprintf("Field %q given twice", name))
	}
	if save, ok := files[name]; ok {
		if part.FileName() == "" {
			// A browser sends an empty file input as a part with
			// filename="" and no content: that is no file at all.
			if n, _ := io.ReadFull(part, make([]byte, 1)); n == 0 {
				return nil
			}
			return apperr.New(apperr.Invalid, "file_expected", fmt.Sprintf("Field %q must be a file", name))
		}
		body := &readErrors{r: part}
		obj, err := save(ctx, body)
		if err != nil {
			if body.err != nil {
				// The client's body broke off, stalled or is malformed: its
				// fault, not a storage failure.
				return bodyError(fmt.Errorf("save %s: %w", name, body.err))
			}
			return fmt.Errorf("save %s: %w", name, err)
		}
		f.files[name] = obj
		return nil
	}
	if !allowed[name] {
		return apperr.New(apperr.Invalid, "unknown_field", fmt.Sprintf("Unknown field %q", name))
	}
	if part.FileName() != "" {
		return apperr.New(apperr.Invalid, "file_unexpected", fmt.Sprintf("Field %q must not be a file", name))
	}
	b, err := io.ReadAll(io.LimitReader(part, maxFormFieldBytes+1))
	if err != nil {
		return bodyError(err)
	}
	if len(b) > maxFormFieldBytes {
		return apperr.New(apperr.TooLarge, "field_too_long", fmt.Sprintf("Field %q is too long", name))
	}
	f.fields[name] = string(b)
	return nil
}

// readErrors remembers the first error other than io.EOF that reading r
// gave, so that a failed save can tell a broken upload from a storage fault.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// removeFiles deletes the files a form stored.
func (s *server) removeFiles(ctx context.Context, f *form) {
	for _, obj := range f.files {
		s.media.Remove(ctx, obj.Key)
	}
}

// field returns a pointer to a text field's value, nil when absent.
func (f *form) field(name string) *string {
	v, ok := f.fields[name]
	if !ok {
		return nil
	}
	return &v
}

// file returns the storage key of an uploaded file, nil when absent.
func (f *form) file(name string) *string {
	obj, ok := f.files[name]
	if !ok {
		return nil
	}
	return &obj.Key
}

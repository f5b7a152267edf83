package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/lms-backend/lms/internal/apperr"
)

// maxJSONBytes caps every request body of the API but uploads, the webhook
// and the curriculum reorder (see limitBody, the one place caps are
// enforced, and apiBodyLimit).
const maxJSONBytes = 10 << 10

// maxCurriculumBytes caps a curriculum reorder, which lists every lecture
// of a course once (about 27 bytes each): some 9,000 lectures.
const maxCurriculumBytes = 256 << 10

// curriculumPath is the path of PUT /courses/{courseId}/curriculum.
var curriculumPath = regexp.MustCompile(`^/api/v1/courses/[^/]+/curriculum$`)

// apiBodyLimit is the body cap of a request of the API group.
func apiBodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPut && curriculumPath.MatchString(r.URL.Path) {
		return maxCurriculumBytes
	}
	return maxJSONBytes
}

// fixedLimit is a body cap that does not depend on the request.
func fixedLimit(n int64) func(*http.Request) int64 {
	return func(*http.Request) int64 { return n }
}

// decodeJSON decodes the request body into dst strictly: the body must be
// JSON, hold exactly one value, and carry only fields dst declares (matched
// case-sensitively, so "ROLE" cannot fill Role).
func decodeJSON(r *http.Request, dst any) error {
	if !hasMediaType(r, "application/json") {
		return errNotJSON
	}
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSONBytes(raw, dst)
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be absent:
// an empty or blank body, whatever its headers, decodes nothing. It reports
// whether a body was given.
func decodeOptionalJSON(r *http.Request, dst any) (bool, error) {
	raw, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(raw)) == 0 {
		return false, err
	}
	if !hasMediaType(r, "application/json") {
		return false, errNotJSON
	}
	return true, decodeJSONBytes(raw, dst)
}

var errNotJSON = apperr.New(apperr.Unsupported, "unsupported_media_type", "Content-Type must be application/json")

// readBody reads the whole request body, which limitBody has capped.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return nil, errBodyTooLarge
		}
		return nil, apperr.New(apperr.Invalid, "body_unreadable", "Could not read request body").Wrap(err)
	}
	return raw, nil
}

func decodeJSONBytes(raw []byte, dst any) error {
	if err := checkFieldCase(raw, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return apperr.New(apperr.Invalid, "malformed_json", "Request body must hold a single JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "malformed_json", "Request body must hold a single JSON value")
	}
	return nil
}

// checkFieldCase rejects object keys that differ only in case from a field of
// dst, which encoding/json would otherwise accept.
func checkFieldCase(raw []byte, dst any) error {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return nil // not an object: Decode reports the real problem
	}
	allowed := jsonFieldNames(dst)
	for k := range keys {
		if !allowed[k] {
			return apperr.New(apperr.Invalid, "unknown_field", fmt.Sprintf("Unknown field %q", k))
		}
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return apperr.New(apperr.Invalid, "empty_body", "Request body is empty")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "malformed_json", "Malformed JSON")
	case errors.As(err, &typ) && typ.Field == "":
		return apperr.New(apperr.Invalid, "malformed_json", "Request body must be a JSON object")
	case errors.As(err, &typ):
		return apperr.Validation([]apperr.FieldError{{Field: typ.Field, Message: "must be " + jsonTypeName(typ.Type.Kind().String())}})
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return apperr.New(apperr.Invalid, "unknown_field", "Unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return apperr.New(apperr.Invalid, "malformed_json", "Malformed JSON").Wrap(err)
	}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	default:
		return "a number"
	}
}

// hasMediaType reports whether the request's Content-Type is want.
func hasMediaType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

// jsonFieldNames returns the JSON keys of the struct dst points to.
func jsonFieldNames(dst any) map[string]bool {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

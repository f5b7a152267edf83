package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"
	"github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"

	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// The contract check: Request.Send validates every exchange against the
// OpenAPI document (internal/httpapi/openapi/openapi.yaml).
//
//   - Every response is validated: its status must be documented for the
//     operation, its Content-Type declared, and its body must match the
//     schema. Response objects say additionalProperties: false, so an
//     undocumented field fails as surely as a wrong type.
//   - The request is validated only when the service accepted it (status
//     below 400): tests send malformed and forbidden requests on purpose to
//     check the 4xx, and the document describes what a client should send.
//     A request the service accepted must match the document, so the
//     document never claims a stricter contract than the service keeps, or
//     the reverse.
//   - A path or method the document does not name (or a path that only
//     matches one after normalising "//", "..", "%2F") must be refused: a 4xx
//     with exactly the fail error body. That is the router's "Route not
//     found" and "Method not allowed", and chi's fallback of DELETE
//     /courses/search to /courses/{courseId}, which answers "Invalid course
//     ID". A success or a 5xx there fails the test.
//   - CORS preflights (OPTIONS with Origin and Access-Control-Request-Method)
//     are answered by the CORS layer for every path and are not API
//     operations: they are not checked.
//   - JSON and multipart bodies are validated (multipart parts as strings:
//     text fields against their schemas, files as opaque strings). A body
//     the test streams (no GetBody, e.g. a 300 MiB upload through a pipe)
//     cannot be read twice: then only the rest of the request is checked.

// contractValidator is built once per test binary: parsing the document is
// the slow part, and validators are safe for concurrent use.
var contractValidator = sync.OnceValues(func() (validator.Validator, error) {
	return newContractValidator(config.WithBodyDecoder("multipart/form-data", content.MultipartDecoder()))
})

// bodilessValidator checks requests whose body the test streamed.
var bodilessValidator = sync.OnceValues(func() (validator.Validator, error) {
	return newContractValidator(config.WithoutRequestBodyValidation())
})

func newContractValidator(opts ...config.Option) (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(openapi.YAML())
	if err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	v, errs := validator.NewValidator(doc, opts...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapi.yaml: %v", errs)
	}
	return v, nil
}

// checkContract fails tb unless the exchange matches the document; reqBody
// is the request body as sent (nil when none or not replayable).
func checkContract(tb testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	tb.Helper()
	if req.Method == http.MethodOptions && req.Header.Get("Origin") != "" && req.Header.Get("Access-Control-Request-Method") != "" {
		return
	}
	v, err := contractValidator()
	if err != nil {
		tb.Fatalf("apptest: contract: %v", err)
	}
	where := req.Method + " " + req.URL.RequestURI()

	vreq := req.Clone(req.Context())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	vreq.GetBody = nil
	vresp := &http.Response{
		StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Request: vreq,
		Body: io.NopCloser(bytes.NewReader(respBody)), ContentLength: int64(len(respBody)),
	}

	if resp.StatusCode < 400 {
		rv := v
		if reqBody == nil && req.Body != nil && req.Body != http.NoBody {
			if rv, err = bodilessValidator(); err != nil {
				tb.Fatalf("apptest: contract: %v", err)
			}
		}
		if ok, errs := rv.ValidateHttpRequest(vreq); !ok {
			tb.Errorf("contract: request %s (answered %d) does not match openapi.yaml:\n%s", where, resp.StatusCode, describe(errs))
		}
		vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	ok, errs := v.ValidateHttpResponse(vreq, vresp)
	if ok {
		return
	}
	if undocumentedRoute(errs) {
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			tb.Errorf("contract: %s is not in openapi.yaml but answered %d (only a 4xx refusal may answer there); body %s", where, resp.StatusCode, truncate(respBody))
			return
		}
		if msg := routerErrorBody(respBody); msg != "" {
			tb.Errorf("contract: %s answered %d with %s: %s", where, resp.StatusCode, respBody, msg)
		}
		return
	}
	tb.Errorf("contract: response %d to %s does not match openapi.yaml:\n%s\nbody: %s", resp.StatusCode, where, describe(errs), truncate(respBody))
}

// undocumentedRoute reports whether the validator refused the exchange only
// because the document has no such path or method.
func undocumentedRoute(errs []*errors.ValidationError) bool {
	for _, e := range errs {
		if e.ValidationType != helpers.PathValidation && e.ValidationType != helpers.RequestValidation ||
			e.ValidationSubType != helpers.ValidationMissing && e.ValidationSubType != helpers.ValidationMissingOperation &&
				e.ValidationSubType != helpers.ValidationAmbiguousPath {
			return false
		}
	}
	return len(errs) > 0
}

// routerErrorBody checks the body of a refusal outside the document: the
// service's 4xx error body. It returns what is wrong, or "".
func routerErrorBody(body []byte) string {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return "not a JSON object"
	}
	for k := range m {
		if k != "status" && k != "message" && k != "code" {
			return fmt.Sprintf("undocumented field %q", k)
		}
	}
	if m["status"] != "fail" {
		return `status is not "fail"`
	}
	if s, _ := m["message"].(string); s == "" {
		return "no message"
	}
	return ""
}

func describe(errs []*errors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s", e.Message, e.Reason)
		if e.SpecLine > 0 {
			fmt.Fprintf(&b, " (openapi.yaml line %d)", e.SpecLine)
		}
		b.WriteByte('\n')
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      %s at %s\n", s.Reason, s.FieldPath)
		}
	}
	return b.String()
}

func truncate(b []byte) []byte {
	if len(b) > 2000 {
		return append(b[:2000:2000], "..."...)
	}
	return b
}

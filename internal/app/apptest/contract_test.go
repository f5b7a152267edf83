package apptest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// TestContractCheck shows the check fails what it must and passes the rest.
func TestContractCheck(t *testing.T) {
	const course = `{"_id":"665f1c2e8a1b2c3d4e5f6a7b","title":"T","subtitle":"","description":"","category":"C",` +
		`"level":"beginner","price":1,"thumbnail":"","instructor":"665f1c2e8a1b2c3d4e5f6a7c","lectures":[],` +
		`"isPublished":false,"totalLectures":0,"totalDuration":0,"enrolledCount":0,"ratingAverage":0,"ratingCount":0,` +
		`"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z"}`
	id := "665f1c2e8a1b2c3d4e5f6a7b"
	for _, tc := range []struct {
		name             string
		method, path     string
		reqType, reqBody string
		cookie           bool
		status           int
		respBody         string
		wantFail         string // "" = must pass
	}{
		{name: "documented success", method: "GET", path: "/api/v1/courses/" + id, status: 200,
			respBody: `{"success":true,"data":` + course + `}`},
		{name: "undocumented field", method: "GET", path: "/api/v1/courses/" + id, status: 200,
			respBody: `{"success":true,"data":` + strings.Replace(course, `"title"`, `"secret":"x","title"`, 1) + `}`,
			wantFail: "does not match"},
		{name: "wrong type", method: "GET", path: "/api/v1/courses/" + id, status: 200,
			respBody: `{"success":true,"data":` + strings.Replace(course, `"price":1`, `"price":"1"`, 1) + `}`,
			wantFail: "does not match"},
		{name: "missing field", method: "GET", path: "/api/v1/courses/" + id, status: 200,
			respBody: `{"success":true,"data":` + strings.Replace(course, `"level":"beginner",`, ``, 1) + `}`,
			wantFail: "does not match"},
		{name: "undocumented status", method: "GET", path: "/api/v1/courses/" + id, status: 409,
			respBody: `{"status":"fail","message":"x"}`, wantFail: "does not match"},
		{name: "error with extra field", method: "GET", path: "/api/v1/courses/" + id, status: 404,
			respBody: `{"status":"fail","message":"Course not found","code":"course_not_found","detail":"x"}`, wantFail: "does not match"},
		{name: "error with code", method: "GET", path: "/api/v1/courses/" + id, status: 404,
			respBody: `{"status":"fail","message":"Course not found","code":"course_not_found"}`},
		{name: "error without code", method: "GET", path: "/api/v1/courses/" + id, status: 404,
			respBody: `{"status":"fail","message":"Course not found"}`, wantFail: "does not match"},
		{name: "accepted request off contract", method: "PATCH", path: "/api/v1/progress/" + id + "/lectures/" + id,
			reqType: "application/json", reqBody: `{"isCompleted":"yes"}`, cookie: true, status: 200,
			respBody: `{"status":"success","message":"x"}`, wantFail: "request"},
		{name: "refused request off contract", method: "PATCH", path: "/api/v1/progress/" + id + "/lectures/" + id,
			reqType: "application/json", reqBody: `{"isCompleted":"yes"}`, cookie: true, status: 400,
			respBody: `{"status":"fail","message":"Validation failed","code":"validation_failed","errors":[{"field":"isCompleted","message":"m"}]}`},
		{name: "accepted without the cookie", method: "GET", path: "/api/v1/user/profile", status: 200,
			respBody: `{"success":true}`, wantFail: "request"},
		{name: "accepted multipart off contract", method: "POST", path: "/api/v1/courses/" + id + "/lectures",
			reqType: "multipart/form-data; boundary=B", cookie: true, status: 201,
			reqBody:  "--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n--B\r\nContent-Disposition: form-data; name=\"order\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"isPreview\"\r\n\r\nmaybe\r\n--B--\r\n",
			respBody: `{"success":true}`, wantFail: "isPreview"},
		{name: "unknown route 404", method: "GET", path: "/api/v1/nope", status: 404,
			respBody: `{"status":"fail","message":"Route not found","code":"route_not_found"}`},
		{name: "unknown route 200", method: "GET", path: "/api/v1/nope", status: 200,
			respBody: `{}`, wantFail: "not in openapi.yaml"},
		{name: "unknown route 500", method: "GET", path: "/api/v1/nope", status: 500,
			respBody: `{"status":"error","message":"Internal server error"}`, wantFail: "not in openapi.yaml"},
		{name: "undocumented method refused", method: "DELETE", path: "/api/v1/courses/search", status: 400,
			respBody: `{"status":"fail","message":"Invalid course ID","code":"invalid_id"}`},
		{name: "ambiguous path refused", method: "GET", path: "/api/v1/courses//lectures", status: 400,
			respBody: `{"status":"fail","message":"Invalid course ID","code":"invalid_id"}`},
		{name: "wrong method 405", method: "DELETE", path: "/api/v1/healthcheck", status: 405,
			respBody: `{"status":"fail","message":"Method not allowed","code":"method_not_allowed"}`},
		{name: "wrong method with bad body", method: "DELETE", path: "/api/v1/healthcheck", status: 405,
			respBody: `{"status":"error","message":"Method not allowed","code":"method_not_allowed"}`, wantFail: "status is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, "http://127.0.0.1:1"+tc.path, strings.NewReader(tc.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			if tc.reqType != "" {
				req.Header.Set("Content-Type", tc.reqType)
			}
			if tc.cookie {
				req.AddCookie(&http.Cookie{Name: "token", Value: "x"})
			}
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}}
			rec := &recorder{TB: t}
			checkContract(rec, req, []byte(tc.reqBody), resp, []byte(tc.respBody))
			got := strings.Join(rec.failures, "\n")
			switch {
			case tc.wantFail == "" && got != "":
				t.Errorf("failed a valid exchange:\n%s", got)
			case tc.wantFail != "" && !strings.Contains(got, tc.wantFail):
				t.Errorf("failures %q, want one containing %q", got, tc.wantFail)
			}
		})
	}
}

package httpapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// wildcardParams names chi's catch-all segments as the document does.
var wildcardParams = map[string]string{
	"/media/*": "/media/{key}",
}

// TestOpenAPICoversRoutes walks the router and fails when a route is missing
// from the OpenAPI document or the document names a route the router does
// not serve.
func TestOpenAPICoversRoutes(t *testing.T) {
	s, _ := newTestServer(t, map[string]string{"APP_ENV": "test"})
	h, err := s.routes()
	if err != nil {
		t.Fatal(err)
	}
	router, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("routes() returned %T, want a chi router", h)
	}
	served := map[string]map[string]bool{} // route → methods
	err = chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if p, ok := wildcardParams[route]; ok {
			route = p
		}
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		if strings.Contains(route, "*") {
			t.Errorf("route %s %s: a catch-all the test cannot name; add it to wildcardParams", method, route)
			return nil
		}
		if served[route] == nil {
			served[route] = map[string]bool{}
		}
		served[route][method] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	documented := documentedOperations(t)
	for _, route := range slices.Sorted(maps.Keys(served)) {
		methods := served[route]
		// A route added with Handle serves every method (chi.Walk lists
		// them all, CONNECT and TRACE included): the document names the
		// ones that mean something, at least one.
		if methods[http.MethodConnect] && methods[http.MethodTrace] {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(methods)), func(m string) bool { return documented[m+" "+route] }) {
				t.Errorf("route %s (any method) is served but not in openapi.yaml", route)
			}
			continue
		}
		for m := range methods {
			if !documented[m+" "+route] {
				t.Errorf("route %s %s is served but not in openapi.yaml", m, route)
			}
		}
	}
	for _, op := range slices.Sorted(maps.Keys(documented)) {
		method, route, _ := strings.Cut(op, " ")
		if !served[route][method] {
			t.Errorf("openapi.yaml documents %s, which the router does not serve", op)
		}
	}
	if len(documented) < 30 {
		t.Errorf("only %d operations documented; the walk or the parse is broken", len(documented))
	}
}

// documentedOperations returns "METHOD /path" for every operation of the
// document.
func documentedOperations(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for path, item := range doc.Paths {
		for key := range item {
			switch key {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops[strings.ToUpper(key)+" "+path] = true
			}
		}
	}
	if len(ops) == 0 {
		t.Fatal("the document has no operations")
	}
	return ops
}

package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/lms-backend/lms/internal/httpapi/openapi"
)

// wildcardRoutes names the paths the document gives chi's catch-all routes.
var wildcardRoutes = map[string][]string{
	"/media/*": {"/media/images/{file}", "/media/videos/{file}", "/media/captions/{file}"},
}

// TestOpenAPICoversRoutes walks the router and fails when a route is missing
// from the OpenAPI document or the document names a route the router does
// not serve.
func TestOpenAPICoversRoutes(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	h, err := s.routes(true)
	if err != nil {
		t.Fatal(err)
	}
	router, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("routes() returned %T, want a chi router", h)
	}
	served := map[string]map[string]bool{} // route → methods
	err = chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes := []string{route}
		if paths, ok := wildcardRoutes[route]; ok {
			routes = paths
		} else if strings.Contains(route, "*") {
			t.Errorf("route %s %s: a catch-all the test cannot name; add it to wildcardRoutes", method, route)
			return nil
		}
		for _, r := range routes {
			if len(r) > 1 {
				r = strings.TrimSuffix(r, "/")
			}
			if served[r] == nil {
				served[r] = map[string]bool{}
			}
			served[r][method] = true
		}
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
	list, err := openapi.Operations()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for _, op := range list {
		ops[op.Method+" "+op.Path] = true
	}
	return ops
}

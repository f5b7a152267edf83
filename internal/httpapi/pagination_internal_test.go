package httpapi

import (
	"net/url"
	"testing"
)

func TestPageLinks(t *testing.T) {
	base := "/api/v1/courses/search?category=Go+%26+more"
	link := func(page, limit, rel string) string {
		return "</api/v1/courses/search?category=Go+%26+more&limit=" + limit + "&page=" + page + `>; rel="` + rel + `"`
	}
	for _, tc := range []struct {
		name string
		p    pagination
		want string
	}{
		{"empty list", pagination{Page: 1, Limit: 10, Total: 0, Pages: 0},
			link("1", "10", "first") + ", " + link("1", "10", "last")},
		{"one page", pagination{Page: 1, Limit: 10, Total: 3, Pages: 1},
			link("1", "10", "first") + ", " + link("1", "10", "last")},
		{"first of three", pagination{Page: 1, Limit: 2, Total: 5, Pages: 3},
			link("2", "2", "next") + ", " + link("1", "2", "first") + ", " + link("3", "2", "last")},
		{"middle", pagination{Page: 2, Limit: 2, Total: 5, Pages: 3},
			link("3", "2", "next") + ", " + link("1", "2", "prev") + ", " + link("1", "2", "first") + ", " + link("3", "2", "last")},
		{"last", pagination{Page: 3, Limit: 2, Total: 5, Pages: 3},
			link("2", "2", "prev") + ", " + link("1", "2", "first") + ", " + link("3", "2", "last")},
		{"past the end", pagination{Page: 9, Limit: 2, Total: 5, Pages: 3},
			link("3", "2", "prev") + ", " + link("1", "2", "first") + ", " + link("3", "2", "last")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(base + "&page=7&limit=1")
			if err != nil {
				t.Fatal(err)
			}
			if got := pageLinks(u, tc.p); got != tc.want {
				t.Errorf("Link\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

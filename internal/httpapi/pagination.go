package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lms-backend/lms/internal/course"
)

// writePage writes a page of course cards: the data envelope with its
// pagination object, and a Link header to navigate it.
func (s *server) writePage(w http.ResponseWriter, r *http.Request, p *course.Page) {
	body := s.pageResponse(p)
	w.Header().Set("Link", pageLinks(r.URL, body.Pagination))
	writeJSON(w, http.StatusOK, dataResponse{Success: true, Data: body})
}

// pageLinks returns an RFC 8288 Link header for a list: first and last
// always, prev and next where those pages exist. Each target is the request's
// path and query with page and limit set; a page past the end has the last
// page as its prev.
func pageLinks(u *url.URL, p pagination) string {
	last := max(int64(1), p.Pages)
	link := func(page int64, rel string) string {
		q := u.Query()
		q.Set("page", strconv.FormatInt(page, 10))
		q.Set("limit", strconv.Itoa(p.Limit))
		return "<" + u.EscapedPath() + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	page := int64(p.Page)
	if page < last {
		links = append(links, link(page+1, "next"))
	}
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	links = append(links, link(1, "first"), link(last, "last"))
	return strings.Join(links, ", ")
}

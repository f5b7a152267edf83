package course

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxSnapshot bounds the snapshot of the published catalog. A snapshot holds
// every published course with its texts twice (as stored and folded): at
// most ~11 KB a course (a 5,000-character description), so 10,000 courses
// take at most ~110 MB (twice that while a load replaces the last one;
// real catalogs far less), and a query filters and sorts them in a few
// milliseconds. Bigger catalogs are answered by the database: they belong
// on MongoDB, whose indexes serve them.
const maxSnapshot = 10_000

// maxSnapshotAge bounds how long a snapshot is renewed on an unchanged
// catalog revision before it is read again whatever the revision says: the
// longest a change that did not bump the revision (made by hand in the
// database, or whose bump failed) stays unseen.
const maxSnapshotAge = time.Minute

// catalog is a snapshot of the published courses, with their instructors,
// that answers the published list and search in Go: on the embedded
// database any filter but an exact _id one decodes the whole collection,
// so one query costs as much as reading every course. A snapshot lives for
// the cache TTL (0: never kept, the database answers every query). This
// instance's catalog writes drop it at once (cache.drop), another
// instance's show after at most the TTL: when the TTL is up, the catalog's
// revision (Repository.CatalogRevision, one _id read) says whether any
// write changed it since the snapshot was read; if none did, the snapshot
// lives another TTL (for at most maxSnapshotAge in all), else it is read
// again. Readers that miss it meanwhile wait for the one check or load
// under way instead of all reading at once.
type catalog struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries []entry
	// tooMany: the last load found more than maxSnapshot courses; the
	// database answers until expires, even after a drop (a write does not
	// make the catalog small).
	tooMany bool
	expires time.Time
	// have: entries and tooMany are a load's, read at loadedAt when the
	// catalog's revision was rev (not after a drop).
	have     bool
	rev      int64
	loadedAt time.Time
	// checks numbers the checks and loads as they begin; verified is the
	// number of the last one kept (a fresh read wants one that began after
	// it arrived).
	checks, verified uint64
	drops            uint64        // as cache.drops: a load a drop overlapped is not kept
	loading          chan struct{} // closed when the check or load under way ends; nil when none
}

// entry is a published course with its text fields folded for matching.
type entry struct {
	Listed
	folded [4]string // title, subtitle, description, category: see fold
}

// loadFunc reads every published course with its instructor, or reports
// that there are more than maxSnapshot.
type loadFunc func(context.Context) (courses []Listed, tooMany bool, err error)

// revisionFunc reads the catalog's revision.
type revisionFunc func(context.Context) (int64, error)

// published returns the snapshot (ok), loading it when it is missing or
// old. ok is false when the database is to answer: the snapshot is off or
// the catalog too big for one.
func (c *catalog) published(ctx context.Context, load loadFunc, revision revisionFunc) (entries []entry, ok bool, err error) {
	if c.ttl <= 0 {
		return nil, false, nil
	}
	fresh := isFresh(ctx)
	c.mu.Lock()
	arrived := c.checks
	c.mu.Unlock()
	for {
		c.mu.Lock()
		now := c.now()
		// Too many courses: the database answers, as of now, until
		// expires; a fresh read has no snapshot to check.
		if now.Before(c.expires) && (!fresh || c.tooMany || c.verified > arrived) {
			kept, small := c.entries, !c.tooMany
			c.mu.Unlock()
			return kept, small, nil
		}
		wait := c.loading
		if wait == nil {
			c.loading = make(chan struct{})
			c.checks++
			check, drops := c.checks, c.drops
			var renewable *int64 // the revision the snapshot was read at, if it may live on
			if c.have && now.Before(c.loadedAt.Add(maxSnapshotAge)) {
				rev := c.rev
				renewable = &rev
			}
			c.mu.Unlock()
			return c.fill(ctx, load, revision, check, drops, now, renewable)
		}
		c.mu.Unlock()
		// The load may fail or be dropped: then look again, and maybe load.
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// fill renews the snapshot if the catalog's revision is still the one it
// was read at (renewable), or else loads it; it keeps the result unless a
// drop happened since it began or, for a load, since the load began (the
// result may predate that write), and
// wakes the readers waiting for it, however it ends (a panic included:
// they would otherwise wait for good). The revision is read before the
// courses, so a write between the two only makes the next check load again.
func (c *catalog) fill(ctx context.Context, load loadFunc, revision revisionFunc, check, drops uint64, began time.Time, renewable *int64) ([]entry, bool, error) {
	defer func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		close(c.loading)
		c.loading = nil
	}()
	rev, err := revision(ctx)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	if renewable != nil && rev == *renewable && c.drops == drops {
		c.expires, c.verified = began.Add(c.ttl), check
		entries, small := c.entries, !c.tooMany
		c.mu.Unlock()
		return entries, small, nil
	}
	// A drop before the load begins does not make it stale: it reads that
	// write (whose bump rev may predate: the next check then loads again).
	drops = c.drops
	c.mu.Unlock()
	courses, tooMany, err := load(ctx)
	if err != nil {
		return nil, false, err
	}
	var entries []entry
	if !tooMany {
		entries = make([]entry, len(courses))
		for i, l := range courses {
			entries[i] = entry{Listed: l, folded: [4]string{fold(l.Title), fold(l.Subtitle), fold(l.Description), fold(l.Category)}}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drops == drops {
		c.entries, c.tooMany, c.expires = entries, tooMany, began.Add(c.ttl)
		c.have, c.rev, c.loadedAt, c.verified = true, rev, began, check
	}
	return entries, !tooMany, nil
}

// drop forgets the snapshot after a catalog write of this instance.
func (c *catalog) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	c.entries, c.have = nil, false
	if !c.tooMany {
		c.expires = time.Time{}
	}
}

// loadPublished reads the published courses for the snapshot with one
// query, and their instructors with another.
func (s *Service) loadPublished(ctx context.Context) ([]Listed, bool, error) {
	courses, err := s.d.Repo.Published(ctx, maxSnapshot+1)
	if err != nil {
		return nil, false, fmt.Errorf("published courses: %w", err)
	}
	if len(courses) > maxSnapshot {
		return nil, true, nil
	}
	listed, err := s.withInstructors(ctx, courses)
	return listed, false, err
}

// pageOf answers a query of published courses from the snapshot exactly as
// the repository's Find would: the same matches, order and page.
func pageOf(entries []entry, q Query) *Page {
	text, title, category := fold(q.Text), fold(q.Title), fold(q.Category)
	var hits []*entry
	for i := range entries {
		if e := &entries[i]; e.matches(q, text, title, category) {
			hits = append(hits, e)
		}
	}
	slices.SortFunc(hits, order(q.Sort))
	from := min((q.Page-1)*q.Limit, len(hits))
	to := min(from+q.Limit, len(hits))
	courses := make([]Listed, 0, to-from)
	for _, e := range hits[from:to] {
		courses = append(courses, e.Listed)
	}
	return &Page{Courses: courses, Total: int64(len(hits)), Page: q.Page, Limit: q.Limit}
}

// matches reports whether a course matches the filters of q; text, title
// and category are q's, folded. Text matches any of the four texts.
func (e *entry) matches(q Query, text, title, category string) bool {
	c := &e.Course
	switch {
	case text != "" && !slices.ContainsFunc(e.folded[:], func(f string) bool { return strings.Contains(f, text) }):
	case title != "" && !strings.Contains(e.folded[0], title):
	case category != "" && !strings.Contains(e.folded[3], category):
	case q.Level != "" && c.Level != q.Level:
	case q.MinPrice != nil && c.Price < *q.MinPrice:
	case q.MaxPrice != nil && c.Price > *q.MaxPrice:
	// An unrated course has average 0: it never passes a minimum above 0.
	case q.MinRating != nil && *q.MinRating > 0 && c.RatingAverage < *q.MinRating:
	default:
		return true
	}
	return false
}

// order is the repository's sort of a listing (mongodb.sortOf), with the
// same _id tie-breakers; an ObjectID's hex string sorts as the ObjectID.
func order(sort string) func(a, b *entry) int {
	switch sort {
	case SortOldest:
		return func(a, b *entry) int { return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID)) }
	case SortPriceAsc:
		return func(a, b *entry) int { return cmp.Or(cmp.Compare(a.Price, b.Price), strings.Compare(a.ID, b.ID)) }
	case SortPriceDesc:
		return func(a, b *entry) int { return cmp.Or(cmp.Compare(b.Price, a.Price), strings.Compare(b.ID, a.ID)) }
	case SortTitle:
		return func(a, b *entry) int { return cmp.Or(strings.Compare(a.Title, b.Title), strings.Compare(a.ID, b.ID)) }
	case SortRating:
		// A course without a rating summary has neither average nor count:
		// both sort below any number.
		return func(a, b *entry) int {
			return cmp.Or(compareBool(b.HasRating, a.HasRating), cmp.Compare(b.RatingAverage, a.RatingAverage),
				cmp.Compare(b.RatingCount, a.RatingCount), strings.Compare(b.ID, a.ID))
		}
	default:
		return func(a, b *entry) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID)) }
	}
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// fold maps each rune of s to the smallest rune of its case-folding orbit,
// so that strings.Contains of folded strings is the case-insensitive
// literal match of the repository's regular expressions: Go's (?i), which
// matches a rune by any rune of its orbit (k, K and the Kelvin sign).
func fold(s string) string {
	return strings.Map(foldRune, s)
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
}

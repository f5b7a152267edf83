package mongodb_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/mongodb"
)

// Concurrent uploads of a few languages leave exactly one track per
// language, and every other uploaded file is reported as replaced (so the
// service removes it): none is lost, none is left behind.
func TestCourseRepoCaptionsConcurrent(t *testing.T) {
	ctx := context.Background()
	repo, c, now := newRepoCourse(t)
	l := &course.Lecture{CourseID: c.ID, Title: "One", Video: "videos/x.mp4", Order: 1, CreatedAt: now, UpdatedAt: now}
	if err := repo.AddLecture(ctx, l); err != nil {
		t.Fatal(err)
	}

	langs := []string{"en", "pt-BR", "de"}
	const uploads = 24
	var mu sync.Mutex
	var replaced []string
	var wg sync.WaitGroup
	for i := range uploads {
		wg.Go(func() {
			lang := langs[i%len(langs)]
			keys, err := repo.SetCaption(ctx, c.ID, l.ID, course.Caption{Language: lang, Label: lang, Key: fmt.Sprintf("k%02d", i)}, now)
			if err != nil {
				t.Errorf("upload %d: %v", i, err)
			}
			mu.Lock()
			replaced = append(replaced, keys...)
			mu.Unlock()
		})
	}
	wg.Wait()

	got, err := repo.Lecture(ctx, c.ID, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	seen := map[string]bool{}
	for _, cap := range got.Captions {
		if seen[cap.Language] {
			t.Errorf("two tracks of %s: %+v", cap.Language, got.Captions)
		}
		seen[cap.Language] = true
		kept = append(kept, cap.Key)
	}
	if len(seen) != len(langs) {
		t.Errorf("tracks %+v, want one per language of %v", got.Captions, langs)
	}
	all := slices.Concat(kept, replaced)
	slices.Sort(all)
	var want []string
	for i := range uploads {
		want = append(want, fmt.Sprintf("k%02d", i))
	}
	if !slices.Equal(all, want) {
		t.Errorf("kept %v + replaced %v, want each of the %d uploads exactly once", kept, replaced, uploads)
	}

	removed, err := repo.RemoveCaption(ctx, c.ID, l.ID, "pt-BR", now)
	if err != nil || removed.Language != "pt-BR" {
		t.Fatalf("remove: %+v, %v", removed, err)
	}
	if _, err := repo.RemoveCaption(ctx, c.ID, l.ID, "pt-BR", now); err != course.ErrCaptionNotFound {
		t.Errorf("remove again: %v, want ErrCaptionNotFound", err)
	}
	if _, err := repo.SetCaption(ctx, c.ID, mongodb.NewID(), course.Caption{Language: "en", Key: "x"}, now); err != course.ErrLectureNotFound {
		t.Errorf("a missing lecture: %v", err)
	}
}

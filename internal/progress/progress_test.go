package progress_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lms-backend/lms/internal/apperr"
	"github.com/lms-backend/lms/internal/course"
	"github.com/lms-backend/lms/internal/progress"
)

// entries builds entries for lecture ids; a leading "+" marks one completed.
func entries(ids ...string) []progress.LectureProgress {
	out := make([]progress.LectureProgress, len(ids))
	for i, id := range ids {
		done := id[0] == '+'
		if done {
			id = id[1:]
		}
		out[i] = progress.LectureProgress{LectureID: id, IsCompleted: done}
	}
	return out
}

func TestProgressRecompute(t *testing.T) {
	abc := []string{"a", "b", "c"}
	tests := []struct {
		name    string
		entries []progress.LectureProgress
		current []string
		want    int
	}{
		{"no lectures", nil, nil, 0},
		{"no lectures, stale completed entries", entries("+a", "+b"), nil, 0},
		{"none of three", entries("a", "b", "c"), abc, 0},
		{"one of three rounds down", entries("+a", "b", "c"), abc, 33},
		{"two of three rounds up", entries("+a", "+b", "c"), abc, 67},
		{"three of three", entries("+a", "+b", "+c"), abc, 100},
		{"one of two", entries("+a", "b"), []string{"a", "b"}, 50},
		{"half rounds up", entries("+a", "b", "c", "d", "e", "f", "g", "h"), []string{"a", "b", "c", "d", "e", "f", "g", "h"}, 13},
		{"one of one hundred and fifty", entries("+a"), make150(), 1},
		{"a new lecture has no entry yet", entries("+a", "+b"), abc, 67},
		{"entries of deleted lectures do not count", entries("+a", "+x", "+y"), []string{"a", "b"}, 50},
		{"only deleted lectures completed", entries("a", "+x"), []string{"a"}, 0},
		{"a duplicate entry counts once", entries("+a", "+a", "b"), []string{"a", "b"}, 50},
		{"no entries", nil, abc, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, completed := progress.Recompute(tt.entries, tt.current)
			if got != tt.want || completed != (tt.want == 100) {
				t.Errorf("Recompute = %d, %v; want %d, %v", got, completed, tt.want, tt.want == 100)
			}
			if got < 0 || got > 100 {
				t.Errorf("percentage %d outside 0–100", got)
			}
		})
	}
}

func make150() []string {
	ids := []string{"a"}
	for i := range 149 {
		ids = append(ids, string(rune('A'+i%26))+string(rune('0'+i/26)))
	}
	return ids
}

func TestProgressRefresh(t *testing.T) {
	watched := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	r := &progress.Record{Lectures: []progress.LectureProgress{
		{LectureID: "x", IsCompleted: true, LastWatched: &watched}, // deleted since
		{LectureID: "b", IsCompleted: true, LastWatched: &watched},
		{LectureID: "a"},
	}, CompletionPercentage: 100, IsCompleted: true}
	r.Refresh([]string{"a", "b", "c"})

	var ids []string
	for _, e := range r.Lectures {
		ids = append(ids, e.LectureID)
	}
	if !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Fatalf("entries %v, want [a b c] in course order", ids)
	}
	if !r.Lectures[1].IsCompleted || r.Lectures[1].LastWatched == nil || !r.Lectures[1].LastWatched.Equal(watched) {
		t.Errorf("entry b lost its state: %+v", r.Lectures[1])
	}
	if r.Lectures[2].IsCompleted || r.Lectures[2].LastWatched != nil {
		t.Errorf("new entry c = %+v, want not completed, never watched", r.Lectures[2])
	}
	if r.CompletionPercentage != 33 || r.IsCompleted {
		t.Errorf("percentage %d, completed %v; want 33, false", r.CompletionPercentage, r.IsCompleted)
	}
}

func TestProgressNewRecord(t *testing.T) {
	now := time.Now()
	r := progress.NewRecord("u", "c", []string{"a", "b"}, now)
	if len(r.Lectures) != 2 || r.Lectures[0].IsCompleted || r.Lectures[1].IsCompleted {
		t.Errorf("entries %+v, want two, none completed", r.Lectures)
	}
	if r.CompletionPercentage != 0 || r.IsCompleted || !r.CreatedAt.Equal(now) || !r.LastAccessed.Equal(now) {
		t.Errorf("record %+v", r)
	}
	if empty := progress.NewRecord("u", "c", nil, now); len(empty.Lectures) != 0 || empty.CompletionPercentage != 0 {
		t.Errorf("record of a course without lectures %+v", empty)
	}
}

func TestProgressSetLectureCompleteReset(t *testing.T) {
	now := time.Now()
	current := []string{"a", "b", "c"}
	r := progress.NewRecord("u", "c", current, now)

	if err := r.SetLecture("a", true, now); err != nil {
		t.Fatal(err)
	}
	if r.Lectures[0].LastWatched == nil || !r.Lectures[0].LastWatched.Equal(now) {
		t.Errorf("lastWatched not set: %+v", r.Lectures[0])
	}
	err := r.SetLecture("zzz", true, now)
	if err != progress.ErrLectureNotInCourse || !apperr.Is(err, apperr.Invalid) {
		t.Errorf("SetLecture of a foreign lecture = %v, want ErrLectureNotInCourse", err)
	}

	r.Complete()
	r.Refresh(current)
	if r.CompletionPercentage != 100 || !r.IsCompleted {
		t.Errorf("after Complete: %d %v", r.CompletionPercentage, r.IsCompleted)
	}
	if r.Lectures[1].LastWatched != nil {
		t.Errorf("Complete set lastWatched of an unwatched lecture")
	}

	r.Reset()
	r.Refresh(current)
	if r.CompletionPercentage != 0 || r.IsCompleted {
		t.Errorf("after Reset: %d %v", r.CompletionPercentage, r.IsCompleted)
	}
	for _, e := range r.Lectures {
		if e.IsCompleted || e.LastWatched != nil {
			t.Errorf("after Reset entry %+v", e)
		}
	}
}

func TestBySection(t *testing.T) {
	if got := progress.BySection(&progress.Record{}, nil); got != nil {
		t.Errorf("no sections: %v, want nil", got)
	}
	rec := &progress.Record{Lectures: entries("+a", "b", "+c", "+d")}
	got := progress.BySection(rec, []course.Section{
		{ID: "s1", Title: "One", LectureIDs: []string{"a", "b", "c"}},
		{ID: "s2", Title: "Two", LectureIDs: []string{"d"}},
		{ID: "s3", Title: "Empty", LectureIDs: []string{}},
	})
	want := []progress.SectionProgress{
		{SectionID: "s1", Title: "One", CompletedLectures: 2, TotalLectures: 3, CompletionPercentage: 67},
		{SectionID: "s2", Title: "Two", CompletedLectures: 1, TotalLectures: 1, CompletionPercentage: 100, IsCompleted: true},
		{SectionID: "s3", Title: "Empty"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("BySection:\n got  %+v\n want %+v", got, want)
	}
}

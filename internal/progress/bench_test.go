package progress

import (
	"fmt"
	"testing"
)

// BenchmarkRecompute measures the recompute rule on a 200-lecture course
// whose record still holds entries of 20 deleted lectures.
func BenchmarkRecompute(b *testing.B) {
	current := make([]string, 200)
	entries := make([]LectureProgress, 0, 220)
	for i := range current {
		current[i] = fmt.Sprintf("%024x", i)
		entries = append(entries, LectureProgress{LectureID: current[i], IsCompleted: i%3 == 0})
	}
	for i := range 20 {
		entries = append(entries, LectureProgress{LectureID: fmt.Sprintf("%024x", 1000+i), IsCompleted: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		if p, _ := Recompute(entries, current); p != 34 {
			b.Fatalf("percentage %d, want 34", p)
		}
	}
}

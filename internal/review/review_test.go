package review

import (
	"strings"
	"testing"

	"github.com/lms-backend/lms/internal/apperr"
)

func TestSummary(t *testing.T) {
	tests := []struct {
		ratings []int
		count   int
		sum     int
		average float64
	}{
		{nil, 0, 0, 0},
		{[]int{5}, 1, 5, 5},
		{[]int{5, 4, 4, 1}, 4, 14, 3.5},
		{[]int{5, 5, 4}, 3, 14, 4.7},    // 4.666… rounds up
		{[]int{1, 1, 2}, 3, 4, 1.3},     // 1.333… rounds down
		{[]int{0, 6, 3}, 1, 3, 3},       // out of range ignored
		{[]int{4, 5, 5, 5}, 4, 19, 4.8}, // 4.75 rounds half up
	}
	for _, tt := range tests {
		var s Summary
		for _, r := range tt.ratings {
			s.Add(r)
		}
		if s.Count() != tt.count || s.Sum() != tt.sum || s.Average() != tt.average {
			t.Errorf("%v: count %d sum %d average %v, want %d %d %v", tt.ratings, s.Count(), s.Sum(), s.Average(), tt.count, tt.sum, tt.average)
		}
	}
}

func TestValidate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	str := func(v string) *string { return &v }
	tests := []struct {
		in      Input
		rating  int
		comment string
		bad     []string
	}{
		{Input{Rating: f(5)}, 5, "", nil},
		{Input{Rating: f(1), Comment: str("  fine  ")}, 1, "fine", nil},
		{Input{Rating: f(3), Comment: str(strings.Repeat("é", MaxCommentRunes))}, 3, strings.Repeat("é", MaxCommentRunes), nil},
		{Input{}, 0, "", []string{"rating"}},
		{Input{Rating: f(0)}, 0, "", []string{"rating"}},
		{Input{Rating: f(5.5)}, 0, "", []string{"rating"}},
		{Input{Rating: f(2), Comment: str(strings.Repeat("x", MaxCommentRunes+1))}, 2, "", []string{"comment"}},
		{Input{Rating: f(9), Comment: str("\xff")}, 0, "", []string{"rating", "comment"}},
	}
	for _, tt := range tests {
		rating, comment, err := validate(tt.in)
		var fields []string
		if e, ok := apperr.As(err); ok {
			for _, fe := range e.Fields {
				fields = append(fields, fe.Field)
			}
		}
		if strings.Join(fields, ",") != strings.Join(tt.bad, ",") {
			t.Errorf("%+v: bad fields %v, want %v", tt.in, fields, tt.bad)
		}
		if tt.bad == nil && (rating != tt.rating || comment != tt.comment) {
			t.Errorf("%+v: %d %q, want %d %q", tt.in, rating, comment, tt.rating, tt.comment)
		}
	}
}

package payment

import (
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	const stay = Status("")
	tests := []struct {
		from Status
		want map[Outcome]Status // stay: no move
	}{
		{StatusPending, map[Outcome]Status{
			OutcomePaid: StatusCompleted, OutcomeFailed: StatusFailed, OutcomeExpired: StatusExpired, OutcomeRefunded: StatusRefunded}},
		{StatusFailed, map[Outcome]Status{
			OutcomePaid: StatusCompleted, OutcomeFailed: stay, OutcomeExpired: StatusExpired, OutcomeRefunded: StatusRefunded}},
		{StatusExpired, map[Outcome]Status{
			OutcomePaid: StatusCompleted, OutcomeFailed: stay, OutcomeExpired: stay, OutcomeRefunded: StatusRefunded}},
		{StatusCompleted, map[Outcome]Status{
			OutcomePaid: stay, OutcomeFailed: stay, OutcomeExpired: stay, OutcomeRefunded: StatusRefunded}},
		{StatusRefunded, map[Outcome]Status{
			OutcomePaid: stay, OutcomeFailed: stay, OutcomeExpired: stay, OutcomeRefunded: stay}},
		{Status("bogus"), map[Outcome]Status{
			OutcomePaid: stay, OutcomeFailed: stay, OutcomeExpired: stay, OutcomeRefunded: stay}},
	}
	for _, tt := range tests {
		for o, want := range tt.want {
			got, moved := Next(tt.from, o)
			switch {
			case want == stay && (moved || got != tt.from):
				t.Errorf("Next(%s, %s) = %s, %v; want no move", tt.from, o, got, moved)
			case want != stay && (!moved || got != want):
				t.Errorf("Next(%s, %s) = %s, %v; want %s", tt.from, o, got, moved, want)
			}
		}
		if got, moved := Next(tt.from, Outcome(0)); moved || got != tt.from {
			t.Errorf("Next(%s, unknown outcome) = %s, %v; want no move", tt.from, got, moved)
		}
	}
}

func TestSources(t *testing.T) {
	tests := []struct {
		o    Outcome
		want []Status
	}{
		{OutcomePaid, []Status{StatusPending, StatusFailed, StatusExpired}},
		{OutcomeFailed, []Status{StatusPending}},
		{OutcomeExpired, []Status{StatusPending, StatusFailed}},
		{OutcomeRefunded, []Status{StatusPending, StatusFailed, StatusExpired, StatusCompleted}},
	}
	for _, tt := range tests {
		if got := Sources(tt.o); !slices.Equal(got, tt.want) {
			t.Errorf("Sources(%s) = %v, want %v", tt.o, got, tt.want)
		}
	}
}

// Whatever order the outcomes of a purchase arrive in, and however often,
// the purchase ends in the same status.
func TestNextIsOrderIndependent(t *testing.T) {
	outcomes := []Outcome{OutcomePaid, OutcomeFailed, OutcomeExpired, OutcomeRefunded}
	for mask := 1; mask < 1<<len(outcomes); mask++ {
		var set []Outcome
		for i, o := range outcomes {
			if mask&(1<<i) != 0 {
				set = append(set, o)
			}
		}
		var final Status
		for seq := range permutations(set) {
			// Each outcome delivered twice, the copy at the end.
			s := StatusPending
			for _, o := range append(slices.Clone(seq), seq...) {
				s, _ = Next(s, o)
			}
			if final == "" {
				final = s
			} else if s != final {
				t.Fatalf("outcomes %v end in %s in one order and %s in another", set, final, s)
			}
		}
		want := StatusFailed
		switch {
		case slices.Contains(set, OutcomeRefunded):
			want = StatusRefunded
		case slices.Contains(set, OutcomePaid):
			want = StatusCompleted
		case slices.Contains(set, OutcomeExpired):
			want = StatusExpired
		}
		if final != want {
			t.Errorf("outcomes %v end in %s, want %s", set, final, want)
		}
	}
}

func permutations(xs []Outcome) func(func([]Outcome) bool) {
	return func(yield func([]Outcome) bool) {
		var rec func(prefix, rest []Outcome) bool
		rec = func(prefix, rest []Outcome) bool {
			if len(rest) == 0 {
				return yield(slices.Clone(prefix))
			}
			for i := range rest {
				next := append(slices.Clone(rest[:i]), rest[i+1:]...)
				if !rec(append(prefix, rest[i]), next) {
					return false
				}
			}
			return true
		}
		rec(nil, xs)
	}
}

func TestAmountCents(t *testing.T) {
	tests := []struct {
		price float64
		want  int64
	}{
		{0, 0}, {19.99, 1999}, {0.29, 29}, {1.005, 100}, {4.35, 435}, {1e6, 100000000}, {0.004, 0}, {0.005, 1},
	}
	for _, tt := range tests {
		if got := AmountCents(tt.price); got != tt.want {
			t.Errorf("AmountCents(%v) = %d, want %d", tt.price, got, tt.want)
		}
	}
}

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		ev   Event
		want Outcome // 0: ignored
	}{
		{Event{Type: EventSessionCompleted, PaymentStatus: PaymentPaid}, OutcomePaid},
		{Event{Type: EventSessionCompleted, PaymentStatus: PaymentNoPaymentRequired}, OutcomePaid},
		{Event{Type: EventSessionCompleted, PaymentStatus: PaymentUnpaid}, 0},
		{Event{Type: EventSessionAsyncSuccess}, OutcomePaid},
		{Event{Type: EventSessionAsyncFailure}, OutcomeFailed},
		{Event{Type: EventSessionExpired}, OutcomeExpired},
		{Event{Type: EventChargeSucceeded}, OutcomePaid},
		{Event{Type: EventChargeFailed}, OutcomeFailed},
		{Event{Type: EventChargeRefunded, Refunded: true}, OutcomeRefunded},
		{Event{Type: EventChargeRefunded}, 0}, // partial refund
		{Event{Type: "customer.created"}, 0},
		{Event{Type: "charge.dispute.created"}, 0},
	}
	for _, tt := range tests {
		o, _, ok := outcomeOf(tt.ev)
		if ok != (tt.want != 0) || ok && o != tt.want {
			t.Errorf("outcomeOf(%+v) = %s, %v; want %s", tt.ev, o, ok, tt.want)
		}
	}
}

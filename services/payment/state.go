package payment

import (
	"fmt"
	"slices"
)

// next lists the states an intent may move to in one step from s: the
// intent state machine (ACCEPTANCE P4). Every change of Intent.Status goes
// through Transition.
func next(s Status) []Status {
	switch s {
	case StatusRequiresPaymentMethod:
		return []Status{StatusRequiresAction, StatusAuthorized, StatusFailed}
	case StatusRequiresAction:
		return []Status{StatusAuthorized, StatusFailed, StatusCanceled}
	case StatusAuthorized:
		return []Status{StatusCaptured, StatusCanceled}
	case StatusCaptured:
		return []Status{StatusPartiallyRefunded, StatusRefunded}
	case StatusPartiallyRefunded:
		return []Status{StatusPartiallyRefunded, StatusRefunded}
	}
	return nil
}

// CanTransition reports whether an intent may move from one state to another
// in one step.
func CanTransition(from, to Status) bool {
	return slices.Contains(next(from), to)
}

// Transition moves in to state to, or returns ErrInvalidTransition. It is the
// one place the state machine is enforced; the store's optimistic lock on
// Version makes concurrent transitions safe.
func Transition(in *Intent, to Status) error {
	if !CanTransition(in.Status, to) {
		return fmt.Errorf("%w: payment %s: %s → %s", ErrInvalidTransition, in.ID, in.Status, to)
	}
	in.Status = to
	return nil
}

// Path returns the shortest sequence of states leading from one state to
// another (excluding from), or nil when to is unreachable. Webhook events
// that arrive out of order use it: an event for a later state walks the
// intermediate states; an event for an earlier state finds no path and is
// stale (ACCEPTANCE W4).
func Path(from, to Status) []Status {
	if from == to {
		return nil
	}
	prev := map[Status]Status{}
	queue := []Status{from}
	seen := map[Status]bool{from: true}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, n := range next(cur) {
			if seen[n] {
				continue
			}
			seen[n] = true
			prev[n] = cur
			if n == to {
				var path []Status
				for s := to; s != from; s = prev[s] {
					path = append(path, s)
				}
				slices.Reverse(path)
				return path
			}
			queue = append(queue, n)
		}
	}
	return nil
}

// Terminal reports whether no further transition leaves s.
func Terminal(s Status) bool { return len(next(s)) == 0 }

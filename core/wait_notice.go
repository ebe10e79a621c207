package core

import (
	"strconv"
	"time"
)

// WaitSituation is where a waiting request stands, as its customer hears
// it.
type WaitSituation string

// The situations of a waiting request.
const (
	// WaitQueued: eligible agents are offered the request; the customer
	// hears their place in the queue and the expected wait.
	WaitQueued WaitSituation = "queued"
	// WaitUnavailable: no agent can take the request now, because nobody
	// is online or everyone online is full or declined it; the customer
	// gets the offline acknowledgment (offline.message) with its ETA.
	WaitUnavailable WaitSituation = "unavailable"
)

// WaitNotice is what a waiting customer is told about their wait. The
// last one told is stored with the request (RouteState.Told).
type WaitNotice struct {
	// Situation is empty before anything was told.
	Situation WaitSituation
	// ETA is the expected wait told (0: not known, as for requests from
	// before the notices were stored).
	ETA time.Duration
	// Position is the place in the queue (1: next); it is not stored.
	Position int
}

// NextWaitNotice is the rule of the system messages a waiting customer
// gets, as a pure function of what they were told last and the situation
// now. It returns the text to send, or "" to say nothing:
//
//   - a new situation is told once: the first routing of the request, an
//     agent offered it after nobody could take it, or nobody left to take
//     it after a decline or an agent going away. Queued: the queue message
//     with position and wait; unavailable: offline (offline.message, with
//     [ETA] filled in; empty: no acknowledgment is configured, and nothing
//     is said);
//   - in the same situation, only a wait longer than the one told, in the
//     whole minutes the customer reads, is told again;
//   - anything else says nothing new: a decline that leaves the request
//     offered to others, a place gained in the queue, a shorter wait.
//
// The customer so gets one system message per change of situation, never
// a queue message and an offline one for the same moment.
func NextWaitNotice(told, now WaitNotice, offline string) string {
	if now.Situation == told.Situation && !longerWait(told.ETA, now.ETA) {
		return ""
	}
	switch now.Situation {
	case WaitQueued:
		if now.Situation == told.Situation {
			return "Sorry for the wait: it is now about " + HumanDuration(now.ETA) + ". " + placeInLine(now.Position)
		}
		return placeInLine(now.Position) + " An agent will be with you in about " + HumanDuration(now.ETA) + "."
	case WaitUnavailable:
		if offline == "" {
			return ""
		}
		return OfflineMessage(offline, now.ETA)
	}
	return ""
}

// longerWait reports whether now reads as a longer wait than told; an
// unknown told wait is never exceeded.
func longerWait(told, now time.Duration) bool {
	return told > 0 && wholeMinutes(now) > wholeMinutes(told)
}

// wholeMinutes is d rounded up to the minute, as HumanDuration shows it.
func wholeMinutes(d time.Duration) int { return max(int((d+time.Minute-1)/time.Minute), 1) }

// placeInLine tells the customer's place in the queue.
func placeInLine(pos int) string {
	if pos <= 1 {
		return "You're next in line."
	}
	return "You're number " + strconv.Itoa(pos) + " in line."
}

package eventbus_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
)

// idGrammar is the form of a stream id Redis takes back: two runs of
// ASCII digits joined by one dash, with no sign or space anywhere.
var idGrammar = regexp.MustCompile(`^([0-9]{1,20})-([0-9]{1,20})$`)

// grammatical is the reference ValidID is held to: idGrammar, and each
// part fits an int64.
func grammatical(id string) bool {
	m := idGrammar.FindStringSubmatch(id)
	if m == nil {
		return false
	}
	for _, part := range m[1:] {
		if _, err := strconv.ParseInt(part, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// FuzzEventID: ValidID accepts exactly the ids of the grammar above, and
// Newer is a strict order on any ids a client may send back (irreflexive,
// asymmetric, "" first); ids that are not valid are never newer than
// anything. Seeds: testdata/fuzz/FuzzEventID.
func FuzzEventID(f *testing.F) {
	for _, p := range [][2]string{{"1700000000000-0", "1700000000000-1"}, {"2-0", "10-0"}, {"", "0-0"}, {"x-1", "1-x"},
		{"-1-0", "1"}, {"9223372036854775807-9223372036854775807", "9223372036854775808-0"}, {"01-1", "1-01"},
		{"1--1", "+1-1"}, {"1-+1", "1-1-1"}, {" 1-1", "1-1 "}, {"１-1", "1-0x1"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := eventbus.ValidID(a), grammatical(a); got != want {
			t.Fatalf("ValidID(%q) = %v, grammar says %v", a, got, want)
		}
		if eventbus.Newer(a, a) {
			t.Fatalf("%q is newer than itself", a)
		}
		if eventbus.Newer(a, b) && eventbus.Newer(b, a) {
			t.Fatalf("%q and %q are each newer than the other", a, b)
		}
		if eventbus.ValidID(a) != eventbus.Newer(a, "") {
			t.Fatalf("%q: valid %v but newer than \"\" %v", a, eventbus.ValidID(a), eventbus.Newer(a, ""))
		}
		if !eventbus.ValidID(a) && eventbus.Newer(a, b) {
			t.Fatalf("invalid %q is newer than %q", a, b)
		}
	})
}

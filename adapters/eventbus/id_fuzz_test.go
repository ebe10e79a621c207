package eventbus_test

import (
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
)

// FuzzEventID: Newer is a strict order on any ids a client may send back
// (irreflexive, asymmetric, "" first), and ids that are not valid are
// never newer than anything. Seeds: testdata/fuzz/FuzzEventID.
func FuzzEventID(f *testing.F) {
	for _, p := range [][2]string{{"1700000000000-0", "1700000000000-1"}, {"2-0", "10-0"}, {"", "0-0"}, {"x-1", "1-x"},
		{"-1-0", "1"}, {"9223372036854775807-9223372036854775807", "9223372036854775808-0"}, {"01-1", "1-01"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
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

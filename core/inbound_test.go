package core_test

import (
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

func TestClipText(t *testing.T) {
	long := strings.Repeat("ä", core.MaxTextLen+10)
	got := core.ClipText(long)
	if n := len([]rune(got)); n != core.MaxTextLen || !strings.HasSuffix(got, "…") {
		t.Fatalf("clipped to %d runes (suffix %q), want %d ending in …", n, got[len(got)-3:], core.MaxTextLen)
	}
	cases := []struct{ in, want string }{
		{"  hi \xff ", "hi \uFFFD"},
		{"", ""},
		{strings.Repeat("a", core.MaxTextLen), strings.Repeat("a", core.MaxTextLen)},
		{strings.Repeat("a", core.MaxTextLen-2) + " bb", strings.Repeat("a", core.MaxTextLen-2) + "…"},
	}
	for _, c := range cases {
		if got := core.ClipText(c.in); got != c.want {
			t.Errorf("ClipText(%.20q…) = %.20q…, want %.20q…", c.in, got, c.want)
		}
	}
}

func TestClipName(t *testing.T) {
	cases := []struct{ in, want string }{
		{" Ann Lee ", "Ann Lee"},
		{"Bo\xff", "Bo\uFFFD"},
		{strings.Repeat("é", core.MaxNameLen+5), strings.Repeat("é", core.MaxNameLen)},
	}
	for _, c := range cases {
		if got := core.ClipName(c.in); got != c.want {
			t.Errorf("ClipName(%.20q…) = %.20q…, want %.20q…", c.in, got, c.want)
		}
	}
}

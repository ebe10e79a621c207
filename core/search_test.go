package core_test

import (
	"fmt"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

func TestParseSearch(t *testing.T) {
	cases := []struct{ in, want string }{
		{"order 4711", `[{order false} {4711 false}]`},
		{`"lost parcel" -refund`, `[{lost parcel false} {refund true}]`},
		{`-"wrong size" OR x*`, `[{wrong size true} {OR false} {x* false}]`},
		{`"unbalanced phrase`, `[{unbalanced phrase false}]`},
		{`- -- "" !! e-mail`, `[{e-mail false}]`},
		{"   ", `[]`},
	}
	for _, c := range cases {
		if got := fmt.Sprint(core.ParseSearch(c.in)); got != c.want && !(c.want == "[]" && got == "[]") {
			t.Errorf("ParseSearch(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

package core_test

import (
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/switchboard-chat/switchboard/core"
)

// FuzzParseSearch: any history search input parses without panicking into
// terms that each hold a letter or digit, no quote and no padding or runs
// of white space; rendering the terms back as quoted phrases and parsing
// that gives the same terms. Seeds: testdata/fuzz/FuzzParseSearch.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{`refund "credit card" -spam`, `-"out of stock" -`, `"unbalanced phrase`, `OR AND NOT * : ( )`,
		`a"b"c`, "tab\tand\u00a0nbsp", `-- - -"" """`, "\xff\xfe invalid utf-8", `émoji 🎉 日本語`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms := core.ParseSearch(s)
		if len(terms) > len(s) {
			t.Fatalf("%d terms from %d bytes", len(terms), len(s))
		}
		var rendered []string
		for _, term := range terms {
			txt := term.Text
			if strings.IndexFunc(txt, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
				t.Fatalf("term %q has no letter or digit", txt)
			}
			if strings.Contains(txt, `"`) {
				t.Fatalf("term %q holds a quote", txt)
			}
			if txt != strings.Join(strings.Fields(txt), " ") {
				t.Fatalf("term %q is not white-space normalised", txt)
			}
			r := `"` + txt + `"`
			if term.Not {
				r = "-" + r
			}
			rendered = append(rendered, r)
		}
		again := core.ParseSearch(strings.Join(rendered, " "))
		if len(terms) == 0 && len(again) == 0 {
			return
		}
		if !reflect.DeepEqual(again, terms) {
			t.Fatalf("re-parsing %q gave %+v, want %+v", strings.Join(rendered, " "), again, terms)
		}
	})
}

package channels_test

import (
	"bytes"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/core"
)

// mentionsAllowed are the places besides a type's own package and
// registration file (and the generated regions) where the name of a
// channel type may appear in code, each with why it is not a place to
// touch for a new channel.
var mentionsAllowed = []struct {
	prefix, why string
}{
	{"adapters/channels/meta.go", "the Meta app keys the Meta family's registration files share"},
	{"adapters/meta/", "the package the Meta family's channel packages share"},
	{"cmd/loadgen/", "the load generator speaks the wire formats of the WhatsApp, Messenger and Telegram channels on purpose"},
	{"adapters/httpapi/openapi.yaml", "the API description documents each provider's webhook headers; its enum of types is generated"},
	{"deploy/switchboard.example.yaml", "the example's routing rules name its channels; its channels are generated"},
	{"deploy/compose.yaml", "a deployment's own channels (an example; nothing must be added)"},
	{"deploy/switchboard.compose.yaml", "a deployment's own channels (an example; nothing must be added)"},
	{"deploy/k8s/", "a deployment's own channels (an example; nothing must be added)"},
}

// skipped are files no type's wiring can hide in: tests and their data,
// prose, and binary files.
func skipped(rel string) bool {
	base := filepath.Base(rel)
	return strings.HasSuffix(rel, "_test.go") || strings.Contains(rel, "/testdata/") || strings.HasPrefix(rel, "testdata/") ||
		strings.HasSuffix(rel, ".md") || strings.HasPrefix(rel, "docs/") || strings.HasPrefix(rel, ".") ||
		strings.HasPrefix(rel, "adapters/telegram/telegramtest/") || strings.HasPrefix(rel, "adapters/meta/metatest/") ||
		base == "go.sum" || base == "go.mod" || strings.HasSuffix(rel, ".png") || strings.HasSuffix(rel, ".sql")
}

// mentions reports whether the file's code names the type: a Go
// identifier or string holding the name (comments are prose and do not
// count), or the name as a word anywhere in another text file, outside
// the regions generated from the registry.
func mentions(rel string, src []byte, name string) bool {
	for _, g := range generatedFiles {
		if g.file == rel {
			if m := g.region.FindSubmatchIndex(src); m != nil {
				src = append(append([]byte{}, src[:m[4]]...), src[m[5]:]...)
			}
		}
	}
	word := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(name) + `\b`)
	if !strings.HasSuffix(rel, ".go") {
		for line := range bytes.Lines(src) {
			if t := bytes.TrimSpace(line); !bytes.HasPrefix(t, []byte("#")) && word.Match(t) { // # comments are prose
				return true
			}
		}
		return false
	}
	fset := token.NewFileSet()
	var s scanner.Scanner
	s.Init(fset.AddFile(rel, -1, len(src)), src, nil, 0)
	for {
		_, tok, lit := s.Scan()
		switch {
		case tok == token.EOF:
			return false
		case tok == token.IDENT && strings.Contains(strings.ToLower(lit), name):
			return true
		case tok == token.STRING && word.MatchString(lit):
			return true
		}
	}
}

// TestChannelTypePlaces lists every place the name of a channel type
// appears in code and fails on any that is not the type's own package,
// its registration file, a region generated from the registry or an
// allowed mention: a new channel is one package and one registration file
// (docs/adding-a-channel.md), and this test finds the lists by hand that
// would make it more.
func TestChannelTypePlaces(t *testing.T) {
	dir := root(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !skipped(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	for _, ty := range channels.All() {
		if ty.Type == core.ChannelWidget {
			continue // core serves the widget's visitors itself: it is no pluggable channel
		}
		name := string(ty.Type)
		var places []string
		for _, rel := range files {
			src, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(src, 0) >= 0 || !mentions(rel, src, name) {
				continue
			}
			places = append(places, rel)
			why := ""
			switch {
			case strings.HasPrefix(rel, "adapters/"+name+"/"):
				why = "its package"
			case rel == "adapters/channels/"+name+".go":
				why = "its registration file"
			default:
				i := slices.IndexFunc(mentionsAllowed, func(m struct{ prefix, why string }) bool { return strings.HasPrefix(rel, m.prefix) })
				if i < 0 {
					t.Errorf("%s names the %s channel type: the type is listed by hand outside its package and registration file", rel, name)
					continue
				}
				why = mentionsAllowed[i].why
			}
			t.Logf("%s: %s (%s)", name, rel, why)
		}
		if !slices.Contains(places, "adapters/channels/"+name+".go") {
			t.Errorf("%s: no registration file adapters/channels/%s.go", name, name)
		}
	}
}

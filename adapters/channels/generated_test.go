package channels_test

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchboard-chat/switchboard/adapters/channels"
)

var update = flag.Bool("update", false, "rewrite the files generated from the registry")

// root is the repository's root directory (the one holding go.mod).
func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// generated is one region of a file that the registry writes.
type generated struct {
	file string
	// region matches the region; its first and last groups are kept
	// and the middle one is the generated text.
	region *regexp.Regexp
	text   func([]channels.Info) string
}

var generatedFiles = []generated{
	{
		file:   "adapters/inbox/web/app.js",
		region: regexp.MustCompile(`(?s)(  // BEGIN CHANNEL_TYPES\n)(.*?)(  // END CHANNEL_TYPES\n)`),
		text: func(types []channels.Info) string {
			var b strings.Builder
			b.WriteString("  const CHANNEL_TYPES = {\n")
			for _, t := range types {
				icon := "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(t.Icon))
				fmt.Fprintf(&b, "    %s: { name: %s, icon: %s },\n", js(string(t.Type)), js(t.Name), js(icon))
			}
			b.WriteString("  };\n")
			return b.String()
		},
	},
	{
		file:   "adapters/httpapi/openapi.yaml",
		region: regexp.MustCompile(`(\n\s*type: \{enum: \[)([^\]\n]*)(\]\} # generated: the channel types of adapters/channels\n)`),
		text: func(types []channels.Info) string {
			names := make([]string, len(types))
			for i, t := range types {
				names[i] = string(t.Type)
			}
			return strings.Join(names, ", ")
		},
	},
	{
		file:   "deploy/switchboard.example.yaml",
		region: regexp.MustCompile(`(?s)(  # BEGIN channel types[^\n]*\n  #[^\n]*\n)(.*?)(  # END channel types\n)`),
		text: func(types []channels.Info) string {
			parts := make([]string, len(types))
			for i, t := range types {
				parts[i] = t.Example
			}
			return strings.Join(parts, "\n")
		},
	},
}

// js quotes s as a JavaScript string (JSON's quoting).
func js(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestGenerated checks that the inbox's CHANNEL_TYPES, the API's enum of
// channel types and the example configuration's channels are the
// registry's; -update (go generate ./adapters/channels) rewrites them.
func TestGenerated(t *testing.T) {
	dir := root(t)
	types := channels.All()
	for _, g := range generatedFiles {
		t.Run(g.file, func(t *testing.T) {
			path := filepath.Join(dir, g.file)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m := g.region.FindSubmatchIndex(raw)
			if m == nil {
				t.Fatalf("%s has no generated region %s", g.file, g.region)
			}
			want := g.text(types)
			if got := string(raw[m[4]:m[5]]); got == want {
				return
			} else if !*update {
				t.Fatalf("%s disagrees with the channel registry: run go generate ./adapters/channels\n got:\n%s\nwant:\n%s", g.file, got, want)
			}
			out := append(append(append([]byte{}, raw[:m[4]]...), want...), raw[m[5]:]...)
			if err := os.WriteFile(path, out, 0o644); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestRegistry: every type is complete, in the order lists show.
func TestRegistry(t *testing.T) {
	var got []string
	for _, ty := range channels.All() {
		got = append(got, string(ty.Type))
		if ty.Name == "" || !strings.HasPrefix(ty.Icon, "<svg xmlns=\"http://www.w3.org/2000/svg\"") || !strings.HasSuffix(ty.Icon, "</svg>") {
			t.Errorf("%s: name %q, icon %.40q…: want a name and an SVG icon", ty.Type, ty.Name, ty.Icon)
		}
		if !strings.Contains(ty.Example, "    type: "+string(ty.Type)+"\n") {
			t.Errorf("%s: the example is not a channel of the type:\n%s", ty.Type, ty.Example)
		}
	}
	if want := "widget whatsapp messenger instagram telegram"; strings.Join(got, " ") != want {
		t.Errorf("types %q, want %q", got, want)
	}
}

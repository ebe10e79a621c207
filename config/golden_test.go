package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// validateOutput is what `switchboard config validate FILE` prints.
func validateOutput(t *testing.T, file string) string {
	t.Helper()
	_, err := Load(file)
	var probs *Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Load(%s) = %v, want *Problems", file, err)
	}
	return probs.Error() + "\n"
}

func TestValidateGolden(t *testing.T) {
	got := validateOutput(t, filepath.Join("testdata", "bad.yaml"))
	golden := filepath.Join("testdata", "bad.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestValidateGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("validate output differs from %s (run with -update if intended):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestExampleConfig(t *testing.T) {
	setExampleEnv(t)
	c, err := Load(filepath.Join("..", "deploy", "switchboard.example.yaml"))
	if err != nil {
		t.Fatalf("the example config has problems:\n%v", err)
	}
	if len(c.Channels) != 5 || len(c.Routing.Rules) != 2 || len(c.Templates) != 3 || len(c.Offline.BusinessHours.Week) != 3 {
		t.Errorf("example config decoded to %+v", c)
	}
	// Every key of the schema appears in the example.
	shown := map[string]bool{}
	for p := range c.meta.pos {
		shown[anyIndex.ReplaceAllString(p, "[]")] = true
	}
	// Shown in comments: they are a rule's keys, set in routing.rules.
	shown["routing.default.tiers[].for"] = true
	shown["routing.default.offer_timeout"] = true
	for _, p := range schemaKeys(reflect.TypeFor[Config](), "") {
		if !shown[p] {
			t.Errorf("the example does not show %s", p)
		}
	}
}

var anyIndex = regexp.MustCompile(`\[\d+\]`)

// schemaKeys lists every key path of t, with [] for list items.
func schemaKeys(t reflect.Type, path string) []string {
	var keys []string
	if t == channelStruct { // the keys of every registered type
		names, _ := allChannelKeys()
		for _, name := range names {
			keys = append(keys, field(path, name))
		}
		return keys
	}
	fs := structFields(t)
	for _, name := range fs.names {
		f := t.FieldByIndex(fs.byName[name])
		p := field(path, name)
		keys = append(keys, p)
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			keys = append(keys, schemaKeys(ft.Elem(), p+"[]")...)
		} else if ft.Kind() == reflect.Struct && ft != secretType {
			keys = append(keys, schemaKeys(ft, p)...)
		}
	}
	return keys
}

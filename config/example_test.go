package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// setExampleEnv sets the variables deploy/switchboard.example.yaml reads
// without a fallback.
func setExampleEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"WA_PHONE_NUMBER_ID", "WA_TOKEN", "META_APP_SECRET", "META_VERIFY_TOKEN",
		"FB_PAGE_ID", "FB_PAGE_TOKEN", "IG_ACCOUNT_ID", "IG_TOKEN", "TG_TOKEN", "TG_SECRET", "S3_ACCESS_KEY", "S3_SECRET_KEY"} {
		t.Setenv(k, "example-"+k)
	}
}

// TestExampleHeaderNamesNonDefaults: the example's header says which of its
// values are not the defaults; every key whose value differs from
// Default() is named there (and only those the test expects differ).
func TestExampleHeaderNamesNonDefaults(t *testing.T) {
	setExampleEnv(t)
	t.Setenv("DATABASE_URL", "")
	t.Setenv("REDIS_URL", "")
	path := filepath.Join("..", "deploy", "switchboard.example.yaml")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var differ []string
	diffKeys(reflect.ValueOf(*c), reflect.ValueOf(*Default()), "", &differ)
	want := []string{"database.max_open_conns", "database.conn_max_lifetime", "database.statement_timeout",
		"channels", "bot.knowledge", "routing.rules", "offline.business_hours.timezone", "offline.business_hours.week",
		"media.s3.endpoint", "media.s3.bucket", "media.s3.region", "media.s3.access_key", "media.s3.secret_key"}
	if !reflect.DeepEqual(differ, want) {
		t.Errorf("keys of the example that are not the defaults: %q, want %q (and say so in its header)", differ, want)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(raw), "\nserver:")
	for _, k := range differ {
		if !strings.Contains(header, k) {
			t.Errorf("the example's header does not name %s, whose value is not the default", k)
		}
	}
}

// diffKeys appends the key paths under path whose values differ in a and b
// (lists and maps as a whole).
func diffKeys(a, b reflect.Value, path string, out *[]string) {
	switch {
	case a.Type() == secretType:
		if a.Interface().(Secret).Value() != b.Interface().(Secret).Value() {
			*out = append(*out, path)
		}
	case a.Kind() == reflect.Struct:
		fs := structFields(a.Type())
		for _, name := range fs.names {
			idx := fs.byName[name]
			diffKeys(a.FieldByIndex(idx), b.FieldByIndex(idx), field(path, name), out)
		}
	case !reflect.DeepEqual(a.Interface(), b.Interface()):
		*out = append(*out, path)
	}
}

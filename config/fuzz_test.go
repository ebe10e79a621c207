package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{filepath.Join("testdata", "bad.yaml"), filepath.Join("..", "deploy", "switchboard.example.yaml")} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(fullFile))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, "fuzz.yaml", lookupFrom(map[string]string{"A": "1", "B": "${A}"}))
		if err != nil {
			var probs *Problems
			if !errors.As(err, &probs) || len(probs.List) == 0 {
				t.Fatalf("error %T %v is not a non-empty *Problems", err, err)
			}
			if c != nil {
				t.Fatal("a Config with problems")
			}
			return
		}
		// A Config Parse accepts is valid and converts.
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		_ = c.Settings()
	})
}

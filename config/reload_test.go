package config

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReloader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.yaml")
	writeFile(t, path, "agents: {default_max_chats: 3}\n")

	var calls atomic.Int32
	var lastOld, lastCur atomic.Pointer[Config]
	r, err := NewReloader(path, func(old, cur *Config) {
		calls.Add(1)
		lastOld.Store(old)
		lastCur.Store(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Path() != path {
		t.Errorf("Path() = %q", r.Path())
	}
	first := r.Current()
	if first.Agents.DefaultMaxChats != 3 {
		t.Fatalf("initial default_max_chats = %d", first.Agents.DefaultMaxChats)
	}

	// Readers run concurrently with reloads (checked by -race).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.Current().Settings()
			}
		}
	})

	// An invalid file: the problems come back and the old config stays.
	writeFile(t, path, "agents: {default_max_chats: 0}\nbogus: 1\n")
	c, err := r.Reload()
	var probs *Problems
	if c != nil || !errors.As(err, &probs) || len(probs.List) != 2 {
		t.Fatalf("Reload(bad) = %v, %v", c, err)
	}
	if r.Current() != first || calls.Load() != 0 {
		t.Fatalf("bad reload replaced the config (calls %d)", calls.Load())
	}

	// A missing file is an error too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload(); err == nil || r.Current() != first {
		t.Fatalf("Reload(missing) = %v", err)
	}

	// A valid file replaces it and calls onChange.
	writeFile(t, path, "agents: {default_max_chats: 7}\n")
	c, err = r.Reload()
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if c.Agents.DefaultMaxChats != 7 || r.Current() != c {
		t.Errorf("after reload: %d, current %p, returned %p", c.Agents.DefaultMaxChats, r.Current(), c)
	}
	if calls.Load() != 1 || lastOld.Load() != first || lastCur.Load() != c {
		t.Errorf("onChange calls %d old %p cur %p", calls.Load(), lastOld.Load(), lastCur.Load())
	}
}

func TestReloaderStartsOnlyWithValidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, path, "channels: []\n")
	if r, err := NewReloader(path, nil); err == nil || r != nil {
		t.Fatalf("NewReloader(bad) = %v, %v", r, err)
	}
	r, err := NewReloader("", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.Reload()
	if err != nil || c != r.Current() || c.Channels[0].ID != "web" {
		t.Errorf("no-file Reload() = %v, %v", c, err)
	}
}

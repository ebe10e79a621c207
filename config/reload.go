package config

import (
	"sync"
	"sync/atomic"
)

// Reloader holds the current configuration of a file and re-reads it on
// demand (the binary calls Reload on SIGHUP). Current is safe to call from
// any goroutine at any time.
type Reloader struct {
	path     string
	onChange func(old, cur *Config)
	mu       sync.Mutex // serializes Reload and onChange
	cur      atomic.Pointer[Config]
}

// NewReloader loads path (an empty path means Default(), which Reload
// keeps) and returns a Reloader holding it. onChange, if not nil, is
// called after every successful Reload with the replaced and the new
// configuration; calls never overlap.
func NewReloader(path string, onChange func(old, cur *Config)) (*Reloader, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	r := &Reloader{path: path, onChange: onChange}
	r.cur.Store(c)
	return r, nil
}

// Path is the file the Reloader reads.
func (r *Reloader) Path() string { return r.path }

// Current is the configuration in force.
func (r *Reloader) Current() *Config { return r.cur.Load() }

// Reload re-reads the file. When it cannot be read or is invalid, the
// error (a *Problems for an invalid file) is returned and the current
// configuration stays in force.
func (r *Reloader) Reload() (*Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path == "" {
		return r.cur.Load(), nil
	}
	c, err := Load(r.path)
	if err != nil {
		return nil, err
	}
	old := r.cur.Swap(c)
	if r.onChange != nil {
		r.onChange(old, c)
	}
	return c, nil
}

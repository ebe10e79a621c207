package ratelimit

import "sync"

// Slots bounds how many things each key may have in progress at once in
// this process (streams open on one visitor token, searches of one
// agent). It is per process on purpose: what it protects (connections,
// goroutines, the database pool) is this process's.
type Slots struct {
	max  int
	mu   sync.Mutex
	used map[string]int
}

// NewSlots allows max at once per key; max <= 0 allows any number (a nil
// *Slots does too).
func NewSlots(max int) *Slots {
	if max <= 0 {
		return nil
	}
	return &Slots{max: max, used: map[string]int{}}
}

// Acquire takes a slot of key. ok is false when key has none left; else
// release gives the slot back (call it once).
func (s *Slots) Acquire(key string) (release func(), ok bool) {
	if s == nil {
		return func() {}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used[key] >= s.max {
		return nil, false
	}
	s.used[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.used[key]--; s.used[key] <= 0 {
				delete(s.used, key)
			}
		})
	}, true
}

// Max is the slots per key (0: unlimited).
func (s *Slots) Max() int {
	if s == nil {
		return 0
	}
	return s.max
}

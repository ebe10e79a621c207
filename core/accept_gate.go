package core

import (
	"context"
	"sync"
)

// acceptGates line up the accepts of one request that reach this process,
// so that those still waiting when one wins answer ErrAlreadyAccepted at
// once, without a transaction each. Contested accepts otherwise queue on
// the request's row lock one transaction after another, each loser
// holding it for a round trip. The database still decides: accepts that
// arrive through other processes race there as before, and a win is only
// recorded here after its commit.
type acceptGates struct {
	mu    sync.Mutex
	gates map[string]*acceptGate
}

type acceptGate struct {
	turn   chan struct{} // holds one token: whose turn it is to try
	users  int           // callers holding or waiting for the gate (under acceptGates.mu)
	winner string        // the agent whose accept committed (under the turn)
}

// enter waits for the request's turn. It returns the gate, and leave to
// call when done (more calls do nothing); or ctx's error when the caller
// gave up waiting.
func (g *acceptGates) enter(ctx context.Context, requestID string) (*acceptGate, func(), error) {
	g.mu.Lock()
	if g.gates == nil {
		g.gates = map[string]*acceptGate{}
	}
	gate := g.gates[requestID]
	if gate == nil {
		gate = &acceptGate{turn: make(chan struct{}, 1)}
		g.gates[requestID] = gate
	}
	gate.users++
	g.mu.Unlock()
	release := func() {
		g.mu.Lock()
		if gate.users--; gate.users == 0 {
			delete(g.gates, requestID)
		}
		g.mu.Unlock()
	}
	select {
	case gate.turn <- struct{}{}:
		var once sync.Once
		return gate, func() { once.Do(func() { <-gate.turn; release() }) }, nil
	case <-ctx.Done():
		release()
		return nil, nil, ctx.Err()
	}
}

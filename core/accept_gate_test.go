package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// heldStore holds the first transaction until release is closed and
// counts the transactions.
type heldStore struct {
	core.Store
	txs     atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (h *heldStore) Atomic(ctx context.Context, fn func(core.Tx) error) error {
	if h.txs.Add(1) == 1 {
		close(h.entered)
		<-h.release
	}
	return h.Store.Atomic(ctx, fn)
}

// Accepts of one request in one process take turns; once one has won,
// those that waited answer "already accepted" without a transaction.
func TestAcceptsOfOneRequestTakeTurns(t *testing.T) {
	const racers = 20
	e := newEnv(t)
	agents := make([]core.Agent, racers)
	for i := range agents {
		agents[i] = e.online(fmt.Sprintf("Racer %02d", i))
	}
	req := e.routed("Ada", "help")
	held := &heldStore{Store: e.store, entered: make(chan struct{}), release: make(chan struct{})}
	svc := core.NewService(core.Deps{Store: held, Jobs: e.jobs, Now: e.clock.Now, BcryptCost: 4}, testSettings())

	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = svc.Accept(e.ctx, agents[i], req.ID)
		}()
	}
	<-held.entered // one accept is in its transaction
	for core.AcceptCallers(svc, req.ID) < racers {
		time.Sleep(time.Millisecond) // the others line up behind it
	}
	close(held.release)
	wg.Wait()

	won, taken := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, core.ErrAlreadyAccepted):
			taken++
		default:
			t.Errorf("racer %d: %v", i, err)
		}
	}
	mustEqual(t, "accepts won", won, 1)
	mustEqual(t, "told already accepted", taken, racers-1)
	mustEqual(t, "transactions", int(held.txs.Load()), 1)
	mustEqual(t, "callers left at the gate", core.AcceptCallers(svc, req.ID), 0)

}

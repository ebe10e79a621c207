package core_test

import (
	"context"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/core"
)

// visitorReads counts the reads a visitor token's check makes.
type visitorReads struct {
	core.Store
	mu sync.Mutex
	n  int
}

func (r *visitorReads) TokenByHash(ctx context.Context, hash string) (core.Token, error) {
	r.count()
	return r.Store.TokenByHash(ctx, hash)
}

func (r *visitorReads) CustomerByID(ctx context.Context, id string) (core.Customer, error) {
	r.count()
	return r.Store.CustomerByID(ctx, id)
}

func (r *visitorReads) count() {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

func (r *visitorReads) reads() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// TestVisitorTokenCache: a visitor token that passed is read again (token
// and customer) only after AuthCacheTTL; its expiry and a logout in this
// process count at once; a revocation elsewhere counts within the TTL.
func TestVisitorTokenCache(t *testing.T) {
	e := newEnv(t)
	reads := &visitorReads{Store: e.store}
	svc := core.NewService(core.Deps{Store: reads, Jobs: e.jobs, Events: e.events, Now: e.clock.Now, BcryptCost: 4}, testSettings())
	ws, err := svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{Name: "Ada"})
	ok(t, err)
	steps := []struct {
		name      string
		do        func()
		wantErr   error
		wantReads int // store reads after the step's call, in all
	}{
		{"the session's new token is remembered: no reads", nil, nil, 0},
		{"nor within the TTL", func() { e.clock.Advance(core.AuthCacheTTL / 2) }, nil, 0},
		{"after the TTL it reads the token and the customer", func() { e.clock.Advance(core.AuthCacheTTL) }, nil, 2},
		{"a call within the TTL does not", func() { e.clock.Advance(core.AuthCacheTTL / 2) }, nil, 2},
		{"after it, it reads again", func() { e.clock.Advance(core.AuthCacheTTL) }, nil, 4},
		{"a token revoked by another process passes until the TTL", func() {
			ok(t, e.store.DeleteToken(e.ctx, core.HashToken(ws.Token)))
		}, nil, 4},
		{"and is refused after it", func() { e.clock.Advance(core.AuthCacheTTL) }, core.ErrUnauthorized, 5},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		v, err := svc.VisitorByToken(e.ctx, ws.Token)
		if st.wantErr != nil {
			wantErr(t, err, st.wantErr)
		} else {
			ok(t, err)
			mustEqual(t, st.name+": visitor", v.Customer.ChannelUserID, ws.VisitorID)
			mustEqual(t, st.name+": channel", v.Channel.Type, core.ChannelWidget)
			mustEqual(t, st.name+": name", v.Customer.Name, "Ada")
		}
		mustEqual(t, st.name+": store reads", reads.reads(), st.wantReads)
	}

	t.Run("logout counts at once", func(t *testing.T) {
		ws, err := svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{})
		ok(t, err)
		_, err = svc.VisitorByToken(e.ctx, ws.Token)
		ok(t, err)
		ok(t, svc.Logout(e.ctx, ws.Token))
		_, err = svc.VisitorByToken(e.ctx, ws.Token)
		wantErr(t, err, core.ErrUnauthorized)
	})
	t.Run("expiry counts on a remembered token", func(t *testing.T) {
		ws, err := svc.StartWidgetSession(e.ctx, core.WidgetSessionInput{})
		ok(t, err)
		e.clock.Advance(svc.Settings().VisitorTTL - core.AuthCacheTTL/2)
		_, err = svc.VisitorByToken(e.ctx, ws.Token) // read and remembered
		ok(t, err)
		before := reads.reads()
		e.clock.Advance(core.AuthCacheTTL / 4 * 3) // expired, still remembered
		_, err = svc.VisitorByToken(e.ctx, ws.Token)
		wantErr(t, err, core.ErrUnauthorized)
		mustEqual(t, "reads for the expired token", reads.reads(), before)
	})
	t.Run("an agent token is not a visitor's, remembered or not", func(t *testing.T) {
		e.online("Alice")
		token, _, err := svc.Login(e.ctx, "alice@example.com", password)
		ok(t, err)
		_, err = svc.AgentByToken(e.ctx, token)
		ok(t, err)
		_, err = svc.VisitorByToken(e.ctx, token)
		wantErr(t, err, core.ErrUnauthorized)
	})
}

package sqlstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// TestRowLocksLetReferencesThrough pins the lock mode of the Lock*
// methods on PostgreSQL. An accept holds its agent's row and then wants
// the request; routing holds the request and inserts an offer naming that
// agent, whose foreign key check needs a share lock on the agent's row.
// With FOR UPDATE the two deadlocked (PostgreSQL aborted one: a 500 under
// load); with FOR NO KEY UPDATE the offer goes through and both commit.
func TestRowLocksLetReferencesThrough(t *testing.T) {
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skip("PostgreSQL only (SQLite has one writer): set " + pgEnv)
	}
	s := openPostgres(t, base)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	agent := core.Agent{ID: core.NewID(), Email: "lock@example.com", Name: "Lock", Roles: []string{}, Online: true,
		MaxChats: 4, PasswordHash: "x", CreatedAt: now, StatusAt: now}
	cust := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: "u", CreatedAt: now, LastSeenAt: now}
	conv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cust.ID, Status: core.ConvWaiting, CreatedAt: now, LastMessageAt: now}
	req := core.Request{ID: core.NewID(), ConversationID: conv.ID, CustomerID: cust.ID, ChannelID: "web", Status: core.ReqWaiting,
		Reason: core.ReasonCustomerAsked, InitialMessage: "hi", CreatedAt: now, UpdatedAt: now}
	for _, err := range []error{s.CreateAgent(ctx, agent), s.CreateCustomer(ctx, cust), s.CreateConversation(ctx, conv), s.CreateRequest(ctx, req)} {
		if err != nil {
			t.Fatal(err)
		}
	}

	agentLocked, requestLocked := make(chan struct{}), make(chan struct{})
	accept := make(chan error, 1)
	go func() { // the accept: agent, then request
		accept <- s.Atomic(ctx, func(tx core.Tx) error {
			if _, err := tx.LockAgent(ctx, agent.ID); err != nil {
				return err
			}
			close(agentLocked)
			<-requestLocked
			_, err := tx.LockRequest(ctx, req.ID)
			return err
		})
	}()
	<-agentLocked
	route := s.Atomic(ctx, func(tx core.Tx) error { // routing: request, then an offer to the agent
		if _, err := tx.LockRequest(ctx, req.ID); err != nil {
			return err
		}
		close(requestLocked)
		return tx.SetOffers(ctx, req.ID, []string{agent.ID}, now)
	})
	if route != nil {
		t.Errorf("routing while the agent's row is locked: %v", route)
	}
	select {
	case err := <-accept:
		if err != nil {
			t.Errorf("accept after routing: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("accept still waiting 30 s after routing committed")
	}
}

package core_test

import (
	"context"
	"sync"
	"time"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// noWrites is a store that counts every call that writes or locks
// (Atomic included): typing must cost none.
type noWrites struct {
	*memstore.Store
	mu     sync.Mutex
	writes []string
}

func (s *noWrites) wrote(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, name)
}

func (s *noWrites) taken() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.writes
	s.writes = nil
	return w
}

func (s *noWrites) Atomic(ctx context.Context, fn func(tx core.Tx) error) error {
	s.wrote("Atomic")
	return s.Store.Atomic(ctx, fn)
}

func (s *noWrites) CreateAgent(ctx context.Context, a core.Agent) error {
	s.wrote("CreateAgent")
	return s.Store.CreateAgent(ctx, a)
}

func (s *noWrites) UpdateAgent(ctx context.Context, a core.Agent) error {
	s.wrote("UpdateAgent")
	return s.Store.UpdateAgent(ctx, a)
}

func (s *noWrites) LockAgent(ctx context.Context, id string) (core.Agent, error) {
	s.wrote("LockAgent")
	return s.Store.LockAgent(ctx, id)
}

func (s *noWrites) CreateToken(ctx context.Context, t core.Token) error {
	s.wrote("CreateToken")
	return s.Store.CreateToken(ctx, t)
}

func (s *noWrites) DeleteToken(ctx context.Context, hash string) error {
	s.wrote("DeleteToken")
	return s.Store.DeleteToken(ctx, hash)
}

func (s *noWrites) DeleteAgentTokens(ctx context.Context, agentID string) (int, error) {
	s.wrote("DeleteAgentTokens")
	return s.Store.DeleteAgentTokens(ctx, agentID)
}

func (s *noWrites) CreateCustomer(ctx context.Context, c core.Customer) error {
	s.wrote("CreateCustomer")
	return s.Store.CreateCustomer(ctx, c)
}

func (s *noWrites) UpdateCustomer(ctx context.Context, c core.Customer) error {
	s.wrote("UpdateCustomer")
	return s.Store.UpdateCustomer(ctx, c)
}

func (s *noWrites) LockCustomer(ctx context.Context, id string) (core.Customer, error) {
	s.wrote("LockCustomer")
	return s.Store.LockCustomer(ctx, id)
}

func (s *noWrites) CustomersByChannelUsers(ctx context.Context, keys []core.ChannelKey) (map[core.ChannelKey]core.Customer, error) {
	s.wrote("CustomersByChannelUsers")
	return s.Store.CustomersByChannelUsers(ctx, keys)
}

func (s *noWrites) SaveCustomers(ctx context.Context, cs []core.Customer) error {
	s.wrote("SaveCustomers")
	return s.Store.SaveCustomers(ctx, cs)
}

func (s *noWrites) CreateConversation(ctx context.Context, c core.Conversation) error {
	s.wrote("CreateConversation")
	return s.Store.CreateConversation(ctx, c)
}

func (s *noWrites) CreateConversations(ctx context.Context, cs []core.Conversation) error {
	s.wrote("CreateConversations")
	return s.Store.CreateConversations(ctx, cs)
}

func (s *noWrites) UpdateConversation(ctx context.Context, c core.Conversation) error {
	s.wrote("UpdateConversation")
	return s.Store.UpdateConversation(ctx, c)
}

func (s *noWrites) LockConversation(ctx context.Context, id string) (core.Conversation, error) {
	s.wrote("LockConversation")
	return s.Store.LockConversation(ctx, id)
}

func (s *noWrites) LockConversations(ctx context.Context, ids []string) ([]core.Conversation, error) {
	s.wrote("LockConversations")
	return s.Store.LockConversations(ctx, ids)
}

func (s *noWrites) CreateRequest(ctx context.Context, r core.Request) error {
	s.wrote("CreateRequest")
	return s.Store.CreateRequest(ctx, r)
}

func (s *noWrites) UpdateRequest(ctx context.Context, r core.Request) error {
	s.wrote("UpdateRequest")
	return s.Store.UpdateRequest(ctx, r)
}

func (s *noWrites) LockRequest(ctx context.Context, id string) (core.Request, error) {
	s.wrote("LockRequest")
	return s.Store.LockRequest(ctx, id)
}

func (s *noWrites) AcceptRequest(ctx context.Context, id, agentID string, at time.Time) (bool, error) {
	s.wrote("AcceptRequest")
	return s.Store.AcceptRequest(ctx, id, agentID, at)
}

func (s *noWrites) AddDecline(ctx context.Context, requestID string, d core.Decline) error {
	s.wrote("AddDecline")
	return s.Store.AddDecline(ctx, requestID, d)
}

func (s *noWrites) SetOffers(ctx context.Context, requestID string, agentIDs []string, at time.Time) error {
	s.wrote("SetOffers")
	return s.Store.SetOffers(ctx, requestID, agentIDs, at)
}

func (s *noWrites) UpdateRouting(ctx context.Context, id string, st core.RouteState) error {
	s.wrote("UpdateRouting")
	return s.Store.UpdateRouting(ctx, id, st)
}

func (s *noWrites) InsertMessage(ctx context.Context, m core.Message) error {
	s.wrote("InsertMessage")
	return s.Store.InsertMessage(ctx, m)
}

func (s *noWrites) InsertMessages(ctx context.Context, ms []core.Message) error {
	s.wrote("InsertMessages")
	return s.Store.InsertMessages(ctx, ms)
}

func (s *noWrites) UpdateDelivery(ctx context.Context, id string, d core.Delivery, providerID, errText string) error {
	s.wrote("UpdateDelivery")
	return s.Store.UpdateDelivery(ctx, id, d, providerID, errText)
}

func (s *noWrites) RecordSent(ctx context.Context, at time.Time, sent []core.SentMessage) error {
	s.wrote("RecordSent")
	return s.Store.RecordSent(ctx, at, sent)
}

func (s *noWrites) AdvanceDelivery(ctx context.Context, channelID, providerID string, from []core.Delivery, to core.Delivery, errText string) ([]core.MovedMessage, error) {
	s.wrote("AdvanceDelivery")
	return s.Store.AdvanceDelivery(ctx, channelID, providerID, from, to, errText)
}

func (s *noWrites) ReadUpTo(ctx context.Context, channelID, channelUserID string, at time.Time) ([]core.MovedMessage, error) {
	s.wrote("ReadUpTo")
	return s.Store.ReadUpTo(ctx, channelID, channelUserID, at)
}

func (s *noWrites) KeepEarlyDelivery(ctx context.Context, e core.EarlyDelivery, from []core.Delivery) error {
	s.wrote("KeepEarlyDelivery")
	return s.Store.KeepEarlyDelivery(ctx, e, from)
}

func (s *noWrites) TakeEarlyDeliveries(ctx context.Context, keys []core.ChannelKey) ([]core.EarlyDelivery, error) {
	s.wrote("TakeEarlyDeliveries")
	return s.Store.TakeEarlyDeliveries(ctx, keys)
}

func (s *noWrites) PurgeEarlyDeliveries(ctx context.Context, before time.Time) (int, error) {
	s.wrote("PurgeEarlyDeliveries")
	return s.Store.PurgeEarlyDeliveries(ctx, before)
}

func (s *noWrites) EditInbound(ctx context.Context, channelID, providerID, text string) error {
	s.wrote("EditInbound")
	return s.Store.EditInbound(ctx, channelID, providerID, text)
}

func (s *noWrites) ClaimUnprocessed(ctx context.Context, ids []string, at time.Time) ([]core.Message, error) {
	s.wrote("ClaimUnprocessed")
	return s.Store.ClaimUnprocessed(ctx, ids, at)
}

func (s *noWrites) MarkRead(ctx context.Context, m core.ReadMark) (bool, error) {
	s.wrote("MarkRead")
	return s.Store.MarkRead(ctx, m)
}

// Package memstore is an in-memory core.Store for fast tests: core's own
// unit tests and any adapter test that needs a working Service without a
// database.
//
// It follows the contract written in core/ports.go: errors wrap
// core.ErrNotFound and core.ErrDuplicate with %w; Atomic serialises every
// writer behind one mutex and undoes all of fn's writes when fn fails or
// panics; reads fill Agent.ActiveChats, the Customer of conversations and
// requests, and Request.Declines and Request.OfferedTo. Values are copied
// on the way in and out (slices included), so callers never alias the
// store's state.
//
// The set-based methods (SaveCustomers, CreateConversations,
// InsertMessages, …) are the single ones in a row, so core's unit tests
// run the group commit of Ingest as production does; outside Atomic each
// is all or nothing.
//
// A few choices the port leaves open:
//   - UpdateConversation never moves last_message_at backwards, and keeps
//     the id, customer, channel and created_at of the stored row.
//   - SearchConversations' Text matches whole words (core.FoldText): every
//     word of the query must occur in at least one message of the
//     conversation. The cursor is the id of the last row of the page.
//   - Due treats an open request as touched when it was updated or its
//     offers were set.
//   - StatsData.ResolvedByWeek always holds the 12 ISO weeks up to the
//     current one, zeros included.
//
// Set SetDown(true) to make Ping and Atomic fail with core.ErrUnavailable.
package memstore

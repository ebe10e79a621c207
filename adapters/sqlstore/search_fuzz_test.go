package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore"
	"github.com/switchboard-chat/switchboard/core"
)

// FuzzSearchConversations: any history search text and any cursor run on
// SQLite (FTS5) without a query error: the text never escapes its
// phrases into FTS5 syntax, and a cursor that is not one the store issued
// is refused as invalid. A conversation found is one whose messages hold
// every included term. Seeds: testdata/fuzz/FuzzSearchConversations.
func FuzzSearchConversations(f *testing.F) {
	for _, s := range []struct{ q, cursor string }{
		{`parcel`, ""}, {`"late parcel" -refund`, ""}, {`NEAR(parcel late) OR x* AND ^y`, ""}, {`col:parcel {a b} + -`, ""},
		{`"unbalanced`, "bm9wZQ"}, {`'; DROP TABLE messages; --`, "%%%"}, {`日本 配送`, ""}, {"\x00 \xff", ""}, {"\x000", ""}, {"0\x00", ""},
	} {
		f.Add(s.q, s.cursor)
	}
	ctx := context.Background()
	store := openMigrated(f, sqlstore.SQLitePath(f.TempDir()))
	now := time.Now().UTC()
	cust := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: core.NewID(), Name: "Fuzz", Visits: 1, CreatedAt: now, LastSeenAt: now}
	conv := core.Conversation{ID: core.NewID(), ChannelID: "web", CustomerID: cust.ID, Customer: cust, Status: core.ConvResolved,
		CreatedAt: now, LastMessageAt: now}
	for _, err := range []error{store.CreateCustomer(ctx, cust), store.CreateConversation(ctx, conv)} {
		if err != nil {
			f.Fatal(err)
		}
	}
	for _, text := range []string{"my parcel is late", `she said "NEAR" OR AND * ^ : ( ) { } -- '`} {
		m := core.Message{ID: core.NewID(), ConversationID: conv.ID, ChannelID: "web", Author: core.AuthorCustomer, Text: text,
			CreatedAt: now, Delivery: core.DeliverySent}
		if err := store.InsertMessage(ctx, m); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, q, cursor string) {
		found, _, err := store.SearchConversations(ctx, core.ConversationQuery{Text: q, Cursor: cursor, Limit: 10})
		if err != nil {
			if cursor != "" && errors.Is(err, core.ErrInvalid) {
				return
			}
			t.Fatalf("search %q cursor %q: %v", q, cursor, err)
		}
		if len(found) > 1 || (len(found) == 1 && found[0].ID != conv.ID) {
			t.Fatalf("search %q found %d conversations, there is one", q, len(found))
		}
	})
}

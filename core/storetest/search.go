package storetest

import (
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// history is the data of the search tests: six conversations, one a day.
type history struct {
	a, b                   core.Agent
	c1, c2, c3, c4, c5, c6 core.Conversation
}

func newHistory(t *testing.T, f *fx) history {
	t.Helper()
	var h history
	h.a = f.agent(func(a *core.Agent) { a.Name = "A" })
	h.b = f.agent(func(a *core.Agent) { a.Name = "B" })
	dana := f.customer("web", "Dana Scully")
	fox := f.customer("wa", "Fox Mulder")
	odd := f.customer("web", "100% Real_Name")
	day := func(i int) time.Time { return at(time.Duration(i) * 24 * time.Hour) }
	conv := func(cu core.Customer, i int, st core.ConversationStatus, agent string, texts ...string) core.Conversation {
		c := f.conversation(cu, func(c *core.Conversation) { c.CreatedAt, c.Status, c.AgentID = day(i), st, agent })
		for _, tx := range texts {
			f.message(c, core.AuthorCustomer, tx, nil)
		}
		return c
	}
	h.c1 = conv(dana, 1, core.ConvResolved, h.b.ID, "My order 4711 is late", "thanks")
	h.c2 = conv(dana, 2, core.ConvActive, h.a.ID, "order question", "refund please")
	h.c3 = conv(fox, 3, core.ConvActive, h.b.ID, "order 4711 arrived broken")
	h.c4 = conv(odd, 4, core.ConvWaiting, "", `hello "quoted" AND OR NOT NEAR(x) col:umn * ^ Ünïcode`)
	h.c5 = conv(fox, 5, core.ConvWaiting, "", "refund")
	h.c6 = conv(dana, 6, core.ConvBot, "", "order")
	r4 := f.request(h.c4, nil)
	f.offer(r4, h.a, h.b)
	r5 := f.request(h.c5, nil)
	f.offer(r5, h.b)
	// Re-read: linking the requests changed c4 and c5.
	for _, c := range []*core.Conversation{&h.c4, &h.c5} {
		got, err := f.s.ConversationByID(f.ctx, c.ID)
		ok(t, "read conversation", err)
		*c = got
	}
	return h
}

func (h history) search(t *testing.T, f *fx, what string, q core.ConversationQuery, want ...core.Conversation) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 50
	}
	got, next, err := f.s.SearchConversations(f.ctx, q)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	equal(t, what, ids(got), ids(want))
	if next != "" {
		t.Errorf("%s: next cursor %q on the only page", what, next)
	}
}

func testSearch(t *testing.T, f *fx) {
	h := newHistory(t, f)
	all := []core.Conversation{h.c6, h.c5, h.c4, h.c3, h.c2, h.c1}
	h.search(t, f, "everything, newest first", core.ConversationQuery{}, all...)
	h.search(t, f, "active", core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvActive}}, h.c3, h.c2)
	h.search(t, f, "active or resolved", core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvActive, core.ConvResolved}}, h.c3, h.c2, h.c1)
	h.search(t, f, "customer, any case, any part", core.ConversationQuery{Customer: "SCUL"}, h.c6, h.c2, h.c1)
	h.search(t, f, "customer % is not a wildcard", core.ConversationQuery{Customer: "%"}, h.c4)
	h.search(t, f, "customer _ is not a wildcard", core.ConversationQuery{Customer: "_"}, h.c4)
	h.search(t, f, "customer nobody", core.ConversationQuery{Customer: "skinner"})
	h.search(t, f, "channel", core.ConversationQuery{Channel: "wa"}, h.c5, h.c3)
	h.search(t, f, "agent", core.ConversationQuery{AgentID: h.b.ID}, h.c3, h.c1)
	h.search(t, f, "from ≤ created_at < to", core.ConversationQuery{From: h.c2.CreatedAt, To: h.c4.CreatedAt}, h.c3, h.c2)
	h.search(t, f, "from only", core.ConversationQuery{From: h.c5.CreatedAt}, h.c6, h.c5)
	h.search(t, f, "to only", core.ConversationQuery{To: h.c2.CreatedAt}, h.c1)
	h.search(t, f, "every filter", core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvResolved},
		Text: "order", Customer: "dana", Channel: "web", AgentID: h.b.ID, From: h.c1.CreatedAt, To: h.c2.CreatedAt}, h.c1)

	got, _, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Customer: "100%"})
	ok(t, "search", err)
	if len(got) != 1 || got[0].Customer.Name != "100% Real_Name" || got[0].Customer.ID != h.c4.CustomerID {
		t.Errorf("customer not filled in search results: %+v", got)
	}
	equal(t, "search result", got[0], h.c4)

	// Pagination: limit+cursor walk the same order with no gaps or repeats.
	for _, limit := range []int{1, 2, 4, 5, 6} {
		var seen []core.Conversation
		cursor := ""
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatalf("limit %d: no end of pages", limit)
			}
			got, next, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Limit: limit, Cursor: cursor})
			ok(t, "page", err)
			if len(got) > limit {
				t.Errorf("limit %d: page of %d", limit, len(got))
			}
			seen = append(seen, got...)
			if next == "" {
				break
			}
			cursor = next
		}
		equal(t, "pages", ids(seen), ids(all))
	}
	got, next, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Limit: 2, Statuses: []core.ConversationStatus{core.ConvActive}})
	ok(t, "exact page", err)
	if len(got) != 2 || next != "" {
		t.Errorf("a full last page has a next cursor %q (%d results)", next, len(got))
	}
	got, next, err = f.s.SearchConversations(f.ctx, core.ConversationQuery{Limit: 1, Channel: "wa"})
	ok(t, "filtered page", err)
	got2, _, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Limit: 1, Channel: "wa", Cursor: next})
	ok(t, "filtered page 2", err)
	equal(t, "filtered pages", append(ids(got), ids(got2)...), ids([]core.Conversation{h.c5, h.c3}))

	for _, bad := range []string{"!!!", "bm9wZQ", "%%%"} {
		_, _, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Cursor: bad})
		isErr(t, "bad cursor "+bad, err, core.ErrInvalid)
	}
}

func testSearchText(t *testing.T, f *fx) {
	h := newHistory(t, f)
	q := func(text string) core.ConversationQuery { return core.ConversationQuery{Text: text} }
	h.search(t, f, "two words in one message", q("order 4711"), h.c3, h.c1)
	h.search(t, f, "words in different messages", q("4711 thanks"), h.c1)
	h.search(t, f, "every word must match", q("order refund"), h.c2)
	h.search(t, f, "case-insensitive", q("ORDER"), h.c6, h.c3, h.c2, h.c1)
	h.search(t, f, "a word nowhere", q("order nonexistentword"))
	h.search(t, f, "quotes are text", q(`"quoted"`), h.c4)
	h.search(t, f, "an unbalanced quote", q(`"refund`), h.c5, h.c2)
	h.search(t, f, "operators are words", q("AND NOT"), h.c4)
	h.search(t, f, "NOT is a word", q("refund NOT"))
	h.search(t, f, "FTS syntax is text", q("NEAR(x) col:umn"), h.c4)
	h.search(t, f, "a star is no prefix operator", q("ord*"))
	h.search(t, f, "non-ASCII", q("ünïcode"), h.c4)
	h.search(t, f, "punctuation only", q("* ^ ."), h.c6, h.c5, h.c4, h.c3, h.c2, h.c1)

	// Web-search syntax: "a phrase" (adjacent, in this order, in one
	// message) and -exclusions; OR stays a word that must match.
	h.search(t, f, "a phrase", q(`"order 4711"`), h.c3, h.c1)
	h.search(t, f, "a phrase, words apart", q(`"order late"`))
	h.search(t, f, "a phrase, other order", q(`"4711 order"`))
	h.search(t, f, "a phrase is in one message", q(`"late thanks"`))
	h.search(t, f, "a phrase and a word", q(`"order 4711" thanks`), h.c1)
	h.search(t, f, "a phrase, any case", q(`"ORDER QUESTION"`), h.c2)
	h.search(t, f, "exclude a word", q("order -refund"), h.c6, h.c3, h.c1)
	h.search(t, f, "exclude a word in any message", q("order -thanks"), h.c6, h.c3, h.c2)
	h.search(t, f, "exclude a phrase", q(`order -"order 4711"`), h.c6, h.c2)
	h.search(t, f, "only an exclusion", q("-order"), h.c5, h.c4)
	h.search(t, f, "a lone dash is no exclusion", q("- refund"), h.c5, h.c2)
	h.search(t, f, "OR is no operator", q("order OR refund"))
	h.search(t, f, "OR is a word", q("and or"), h.c4)
}

func testSearchVisibility(t *testing.T, f *fx) {
	h := newHistory(t, f)
	// A: own (c2), resolved (c1), open request offered to A (c4).
	h.search(t, f, "visible to A", core.ConversationQuery{VisibleTo: h.a.ID}, h.c4, h.c2, h.c1)
	// B: offered (c5, c4), own (c3), own and resolved (c1).
	h.search(t, f, "visible to B", core.ConversationQuery{VisibleTo: h.b.ID}, h.c5, h.c4, h.c3, h.c1)
	h.search(t, f, "visible to A, with a filter", core.ConversationQuery{VisibleTo: h.a.ID, Text: "order"}, h.c2, h.c1)
	other := f.agent(nil)
	h.search(t, f, "visible to an agent with nothing", core.ConversationQuery{VisibleTo: other.ID}, h.c1)

	// Once c4's request is accepted by B it is no longer an open offer to A.
	won, err := f.s.AcceptRequest(f.ctx, h.c4.RequestID, h.b.ID, at(time.Hour))
	if err != nil || !won {
		t.Fatalf("accept: %v %v", won, err)
	}
	h.search(t, f, "visible to A after B accepted", core.ConversationQuery{VisibleTo: h.a.ID}, h.c2, h.c1)
}

// testSearchAnonymous: customer search matches the name as shown, so a
// customer who never gave a name is found as "Anonymous Visitor" — and is
// not once they give one.
func testSearchAnonymous(t *testing.T, f *fx) {
	anon := f.customer("web", "")
	named := f.customer("web", "Ana Nymous")
	convAnon := f.conversation(anon, nil)
	convNamed := f.conversation(named, nil)
	find := func(what string) []string {
		t.Helper()
		got, _, err := f.s.SearchConversations(f.ctx, core.ConversationQuery{Customer: what, Limit: 10})
		if err != nil {
			t.Fatalf("search %q: %v", what, err)
		}
		return ids(got)
	}
	equal(t, `search "anonymous"`, find("anonymous"), []string{convAnon.ID})
	equal(t, `search "Visitor"`, find("Visitor"), []string{convAnon.ID})
	equal(t, `search "nymous"`, find("nymous"), []string{convNamed.ID, convAnon.ID})

	anon.Name = "Grace"
	if err := f.s.UpdateCustomer(f.ctx, anon); err != nil {
		t.Fatal(err)
	}
	equal(t, `search "anonymous" once the name is known`, find("anonymous"), []string{})
	equal(t, `search "grace"`, find("grace"), []string{convAnon.ID})
}

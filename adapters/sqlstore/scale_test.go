package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/sqlstore/sqltest"
	"github.com/switchboard-chat/switchboard/core"
)

// TestScale is the search and stats benchmark at scale (opt-in: it takes
// minutes). It generates 100,000 conversations of 10 messages each
// (1,000,000 messages) in a private PostgreSQL schema with set-based SQL,
// measures history searches and StatsData through the store, then adds
// 900,000 conversations without messages and measures StatsData at
// 1,000,000 conversations. It prints a table and asserts no timings.
//
//	SWITCHBOARD_BENCH=1 SWITCHBOARD_TEST_DATABASE_URL=postgres://… \
//	  go test -run TestScale -v -timeout 30m ./adapters/sqlstore
func TestScale(t *testing.T) {
	base := os.Getenv(pgEnv)
	if os.Getenv("SWITCHBOARD_BENCH") != "1" || base == "" {
		t.Skip("scale benchmark skipped: set SWITCHBOARD_BENCH=1 and " + pgEnv)
	}
	ctx := context.Background()
	u := sqltest.Schema(t, base, "sbscale")
	s := openMigrated(t, u)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // session settings below must hold for every statement

	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	g := scaleGen{t: t, db: db, now: now}
	start := time.Now()
	g.run(scaleSetup)
	g.conversations(1, 100_000)
	g.run(scaleMessages)
	g.finish()
	t.Logf("generated 100,000 conversations, 1,000,000 messages in %s", time.Since(start).Round(time.Second))

	var rare string
	if err := db.QueryRow(`SELECT w FROM (SELECT unnest(tsvector_to_array(tsv)) AS w FROM messages
		WHERE id > (SELECT id FROM messages ORDER BY id OFFSET 500000 LIMIT 1) LIMIT 2000) x
		WHERE w LIKE 'sku%' LIMIT 1`).Scan(&rare); err != nil {
		t.Fatal(err)
	}
	agent := "00000000-0000-7000-8000-000000000003"
	month := core.ConversationQuery{From: now.AddDate(-1, 0, 0), To: now.AddDate(-1, 1, 0), Statuses: allStatuses}
	page1, next, err := s.SearchConversations(ctx, core.ConversationQuery{Text: "order", Statuses: allStatuses})
	if err != nil || next == "" || len(page1) == 0 {
		t.Fatalf("page 1: %d results, cursor %q, %v", len(page1), next, err)
	}
	cases := []struct {
		name string
		q    core.ConversationQuery
	}{
		{"active, no filter (inbox default)", core.ConversationQuery{Statuses: []core.ConversationStatus{core.ConvActive}}},
		{"all, no filter", core.ConversationQuery{Statuses: allStatuses}},
		{"common word: order", core.ConversationQuery{Text: "order", Statuses: allStatuses}},
		{"rare word: " + rare, core.ConversationQuery{Text: rare, Statuses: allStatuses}},
		{"two words: order refund", core.ConversationQuery{Text: "order refund", Statuses: allStatuses}},
		{"two rarer words: invoice broken", core.ConversationQuery{Text: "invoice broken", Statuses: allStatuses}},
		{`phrase: "order refund"`, core.ConversationQuery{Text: `"order refund"`, Statuses: allStatuses}},
		{"exclusion: order -refund", core.ConversationQuery{Text: "order -refund", Statuses: allStatuses}},
		{"word nowhere: order zzzz", core.ConversationQuery{Text: "order zzzz", Statuses: allStatuses}},
		{"customer substring: scul", core.ConversationQuery{Customer: "scul", Statuses: allStatuses}},
		{"customer nobody: skinner", core.ConversationQuery{Customer: "skinner", Statuses: allStatuses}},
		{"date range: one month a year ago", month},
		{"date range + word: delivery", func() core.ConversationQuery { q := month; q.Text = "delivery"; return q }()},
		{"combination: resolved, whatsapp, agent, word, 6 months", core.ConversationQuery{
			Statuses: []core.ConversationStatus{core.ConvResolved}, Channel: "whatsapp", AgentID: agent,
			Text: "delivery", From: now.AddDate(0, -9, 0), To: now.AddDate(0, -3, 0)}},
		{"combination: customer + word", core.ConversationQuery{Customer: "mulder", Text: "refund", Statuses: allStatuses}},
		{"rare word, active only", core.ConversationQuery{Text: rare, Statuses: []core.ConversationStatus{core.ConvActive}}},
		{"non-admin agent: word", core.ConversationQuery{Text: "order", Statuses: allStatuses, VisibleTo: agent}},
		{"page 2: order", core.ConversationQuery{Text: "order", Statuses: allStatuses, Cursor: next}},
	}
	var rows [][]string
	for _, c := range cases {
		var n int
		d := measure(t, 50, func() error {
			got, _, err := s.SearchConversations(ctx, c.q)
			n = len(got)
			return err
		})
		rows = append(rows, append([]string{"search: " + c.name, fmt.Sprint(n)}, d...))
		fmt.Printf("%s: %d results, p50/p95/p99 %v\n", c.name, n, d)
	}
	stats := func(what string) {
		var act int
		d := measure(t, 50, func() error {
			sd, err := s.StatsData(ctx, now)
			act = sd.Active
			return err
		})
		rows = append(rows, append([]string{what, fmt.Sprintf("active %d", act)}, d...))
	}
	stats("StatsData, 100,000 conversations")

	start = time.Now()
	g.conversations(100_001, 1_000_000)
	g.finish()
	t.Logf("added 900,000 conversations in %s", time.Since(start).Round(time.Second))
	stats("StatsData, 1,000,000 conversations")

	printTable(rows)
}

func printTable(rows [][]string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| query | results | p50 | p95 | p99 |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Print(b.String())
}

var allStatuses = []core.ConversationStatus{core.ConvBot, core.ConvWaiting, core.ConvActive, core.ConvResolved}

// measure runs fn n times after a few warm-up runs and returns p50, p95 and
// p99 in milliseconds.
func measure(t *testing.T, n int, fn func() error) []string {
	t.Helper()
	for range 3 {
		if err := fn(); err != nil {
			t.Fatal(err)
		}
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		st := time.Now()
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		ds[i] = time.Since(st)
	}
	slices.Sort(ds)
	p := func(q float64) string {
		return fmt.Sprintf("%.2f ms", float64(ds[int(q*float64(n-1))].Microseconds())/1000)
	}
	return []string{p(0.50), p(0.95), p(0.99)}
}

type scaleGen struct {
	t       *testing.T
	db      *sql.DB
	now     time.Time
	indexes [][2]string // name, definition: dropped while loading
}

func (g *scaleGen) run(stmts string, a ...any) {
	g.t.Helper()
	for _, st := range strings.Split(stmts, ";\n") {
		if strings.TrimSpace(st) == "" {
			continue
		}
		if _, err := g.db.Exec(st, a...); err != nil {
			g.t.Fatalf("%v\n%s", err, st)
		}
	}
}

// conversations adds conversations lo..hi (with customers, agents and
// requests) created over the two years before now; only the recent ones
// are still open. Secondary indexes are dropped first and rebuilt by
// finish, as a bulk load would.
func (g *scaleGen) conversations(lo, hi int) {
	g.t.Helper()
	if g.indexes == nil {
		rows, err := g.db.Query(`SELECT indexname, indexdef FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename IN ('conversations', 'requests', 'messages', 'customers')
			AND indexname NOT IN (SELECT conname FROM pg_constraint)`)
		if err != nil {
			g.t.Fatal(err)
		}
		for rows.Next() {
			var n, d string
			if err := rows.Scan(&n, &d); err != nil {
				g.t.Fatal(err)
			}
			g.indexes = append(g.indexes, [2]string{n, d})
		}
		rows.Close()
	}
	for _, ix := range g.indexes {
		g.run("DROP INDEX IF EXISTS " + ix[0])
	}
	nowUS := g.now.UnixMicro()
	g.run(scaleConversations, lo, hi, nowUS, int64(2*365*24*time.Hour/time.Microsecond))
	g.run(scaleRequests, lo, hi)
}

// finish rebuilds the dropped indexes and refreshes statistics and the
// visibility map.
func (g *scaleGen) finish() {
	g.t.Helper()
	for _, ix := range g.indexes {
		g.run(ix[1])
	}
	g.run("VACUUM ANALYZE customers;\nVACUUM ANALYZE conversations;\nVACUUM ANALYZE requests;\nVACUUM ANALYZE messages")
}

// scaleSetup: 25 agents and 50,000 customers with names from fixed lists.
const scaleSetup = `SET session_replication_role = replica;
SET maintenance_work_mem = '256MB';
INSERT INTO agents (id, email, name, roles, admin, online, max_chats, password_hash, created_at)
SELECT '00000000-0000-7000-8000-' || lpad(g::text, 12, '0'), 'agent' || g || '@example.com', 'Agent ' || g,
	'[]', g = 1, g % 3 <> 0, 5, 'x', 0
FROM generate_series(1, 25) g;
INSERT INTO customers (id, channel_id, channel_user_id, name, name_key, visits, created_at)
SELECT '00000001-0000-7000-8000-' || lpad(g::text, 12, '0'),
	(ARRAY['web', 'whatsapp', 'telegram', 'messenger'])[1 + g % 4], 'user-' || g, n, lower(n), 1 + g % 5, 0
FROM generate_series(1, 50000) g,
LATERAL (SELECT (ARRAY['Dana', 'Fox', 'Walter', 'Monica', 'John', 'Jeffrey', 'Diana', 'Alex', 'Marita',
	'Gibson', 'Melvin', 'Richard', 'John', 'Teena', 'Bill', 'Samantha', 'Tara', 'Charles', 'Margaret',
	'Ahmed', 'Aiko', 'Björn', 'Chloé', 'Dmitri', 'Emeka', 'Fatima', 'Giulia', 'Hana', 'Ingrid', 'Jamal',
	'Kenji', 'Lucía', 'Mateo', 'Nadia', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Yusuf'])[1 + g % 40] || ' ' ||
	(ARRAY['Scully', 'Mulder', 'Skinnard', 'Reyes', 'Doggett', 'Spender', 'Fowley', 'Krycek', 'Covarrubias',
	'Praise', 'Frohike', 'Langly', 'Byers', 'Kersh', 'Smith', 'Jones', 'Garcia', 'Müller', 'Schmidt', 'Rossi',
	'Nguyen', 'Kowalski', 'Okafor', 'Tanaka', 'Silva', 'Novak', 'Larsen', 'Dubois', 'Haddad', 'Ivanova',
	'Patel', 'Kim', 'Cohen', 'Walsh', 'Murphy', 'Andersen', 'Bianchi', 'Costa', 'Fischer', 'Yilmaz',
	'Lopez', 'Martin', 'Bernard', 'Weber', 'Wagner', 'Becker', 'Hoffmann', 'Schulz', 'Koch', 'Richter',
	'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange'])[1 + (g / 40) % 60] AS n) x`

// scaleConversations: conversation i's creation is spread at random over
// two years before now ($3, span $4); its id is a UUIDv7 of that
// millisecond, so ids sort by creation. Older than three days: resolved
// (95%) or an abandoned bot chat; recent: any status.
const scaleConversations = `INSERT INTO conversations (id, channel_id, customer_id, status, agent_id, request_id,
	created_at, resolved_at, last_message_at)
SELECT id, (ARRAY['web', 'whatsapp', 'telegram', 'messenger'])[1 + k % 4],
	'00000001-0000-7000-8000-' || lpad(k::text, 12, '0'), st,
	CASE WHEN st IN ('active', 'resolved') THEN '00000000-0000-7000-8000-' || lpad((1 + i % 25)::text, 12, '0') END,
	CASE WHEN st <> 'bot' THEN '00000002-0000-7000-8000-' || lpad(i::text, 12, '0') END,
	created, CASE WHEN st = 'resolved' THEN created + (600 + i % 3000)::bigint * 1000000 END, created + 600000000
FROM (SELECT i, k, created,
	substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-8000-' || lpad(to_hex(i), 12, '0') AS id,
	CASE WHEN $3::bigint - created > 3 * 86400000000::bigint
		THEN CASE WHEN i % 20 = 0 THEN 'bot' ELSE 'resolved' END
		ELSE (ARRAY['bot', 'waiting', 'active', 'active', 'resolved', 'resolved'])[1 + i % 6] END AS st
	FROM (SELECT i, 1 + (i::bigint * 7919) % 50000 AS k, c AS created, lpad(to_hex(c / 1000), 12, '0') AS h
		FROM generate_series($1::int, $2::int) i,
		LATERAL (SELECT $3::bigint - (random() * $4::bigint)::bigint - i % 7 AS c) r) a) b`

// scaleRequests: the request of every conversation past the bot, accepted
// 5 s to 5 min after it was made unless still waiting.
const scaleRequests = `INSERT INTO requests (id, conversation_id, customer_id, channel_id, status, reason,
	initial_message, created_at, updated_at, accepted_by, accepted_at, closed_at)
SELECT c.request_id, c.id, c.customer_id, c.channel_id,
	CASE c.status WHEN 'waiting' THEN 'waiting' WHEN 'active' THEN 'accepted' ELSE 'resolved' END,
	'customer_asked', 'I need help', c.created_at + 60000000, c.created_at + 60000000,
	c.agent_id, CASE WHEN c.status <> 'waiting' THEN c.created_at + 60000000 + (5 + random() * 295)::bigint * 1000000 END,
	c.resolved_at
FROM conversations c
WHERE c.request_id IS NOT NULL AND c.request_id BETWEEN '00000002-0000-7000-8000-' || lpad($1::int::text, 12, '0')
	AND '00000002-0000-7000-8000-' || lpad($2::int::text, 12, '0')`

// scaleMessages: ten messages a conversation, a minute apart, customer and
// agent (or bot) in turn; 5 to 11 words each from a 300-word vocabulary
// drawn with a skew (the first words are the most frequent), plus a rare
// order number (sku<n>) in 3% of messages. tsv is filled by its generated
// column, as for every message.
const scaleMessages = `INSERT INTO messages (id, conversation_id, channel_id, author, agent_id, text, created_at,
	delivery, processed_at)
SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7000-9000-' || lpad(to_hex(n), 12, '0'), id, channel_id, author,
	CASE WHEN author = 'agent' THEN agent_id END, txt, created,
	CASE WHEN author = 'customer' THEN '' ELSE 'delivered' END, CASE WHEN author = 'customer' THEN created END
FROM (SELECT c.id, c.channel_id, c.agent_id, c.created_at + m * 60000000 AS created,
	lpad(to_hex((c.created_at + m * 60000000) / 1000), 12, '0') AS h,
	row_number() OVER () AS n,
	CASE WHEN m % 2 = 1 THEN 'customer' WHEN c.agent_id IS NOT NULL THEN 'agent' ELSE 'bot' END AS author,
	w.txt || CASE WHEN random() < 0.03 THEN ' sku' || (random() * 30000)::int ELSE '' END AS txt
	FROM conversations c CROSS JOIN generate_series(1, 10) m,
	LATERAL (SELECT string_agg(v[1 + floor(300 * power(random(), 2))::int], ' ') AS txt
		FROM generate_series(1, 5 + (m + length(c.id)) % 7) x,
		(SELECT ARRAY['order', 'the', 'my', 'is', 'please', 'i', 'you', 'to', 'a', 'and', 'it', 'for', 'not', 'can',
		'hello', 'thanks', 'delivery', 'help', 'when', 'refund', 'package', 'where', 'was', 'have', 'with',
		'account', 'payment', 'card', 'we', 'on', 'your', 'be', 'this', 'that', 'will', 'of', 'in', 'do',
		'what', 'how', 'no', 'yes', 'ok', 'hi', 'need', 'want', 'get', 'still', 'already', 'again', 'today',
		'tomorrow', 'yesterday', 'week', 'day', 'time', 'address', 'email', 'phone', 'number', 'price',
		'invoice', 'receipt', 'return', 'exchange', 'size', 'color', 'shipping', 'tracking', 'status',
		'cancel', 'change', 'update', 'login', 'password', 'reset', 'error', 'problem', 'issue', 'question',
		'answer', 'support', 'agent', 'customer', 'service', 'store', 'shop', 'online', 'app', 'website',
		'discount', 'coupon', 'code', 'sale', 'offer', 'free', 'cost', 'charge', 'bank', 'transfer', 'paid',
		'pay', 'money', 'back', 'late', 'early', 'fast', 'slow', 'wrong', 'right', 'broken', 'damaged',
		'missing', 'item', 'items', 'product', 'products', 'box', 'parcel', 'courier', 'driver', 'door',
		'home', 'office', 'city', 'street', 'country', 'europe', 'germany', 'france', 'spain', 'italy',
		'subscription', 'plan', 'monthly', 'yearly', 'upgrade', 'downgrade', 'trial', 'premium', 'basic',
		'feature', 'bug', 'crash', 'screen', 'button', 'click', 'page', 'link', 'download', 'upload', 'file',
		'photo', 'picture', 'document', 'form', 'sign', 'signed', 'contract', 'terms', 'policy', 'privacy',
		'data', 'delete', 'remove', 'add', 'new', 'old', 'first', 'last', 'next', 'previous', 'morning',
		'evening', 'night', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday',
		'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
		'november', 'december', 'hour', 'minute', 'second', 'soon', 'never', 'always', 'sometimes', 'maybe',
		'sure', 'great', 'good', 'bad', 'terrible', 'excellent', 'happy', 'unhappy', 'angry', 'sorry',
		'apologize', 'understand', 'explain', 'check', 'checked', 'confirm', 'confirmed', 'waiting', 'wait',
		'call', 'called', 'message', 'chat', 'reply', 'replied', 'send', 'sent', 'receive', 'received',
		'open', 'closed', 'close', 'manager', 'supervisor', 'team', 'colleague', 'warehouse', 'stock',
		'available', 'unavailable', 'restock', 'preorder', 'gift', 'wrap', 'voucher', 'points', 'loyalty',
		'member', 'membership', 'register', 'registered', 'verify', 'verification', 'security', 'fraud',
		'blocked', 'unlock', 'limit', 'balance', 'statement', 'tax', 'vat', 'fee', 'fees', 'total', 'amount',
		'quantity', 'weight', 'heavy', 'light', 'small', 'large', 'medium', 'fit', 'fits', 'quality',
		'material', 'warranty', 'repair', 'replace', 'replacement', 'install', 'setup', 'manual', 'guide',
		'zebra', 'quasar', 'obsidian'] AS v) voc
		WHERE x > 0 OR c.id IS NOT NULL) w) t`

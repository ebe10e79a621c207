// Package metatest is test support for the Meta channel packages: the
// shared webhook fixtures, golden files with an -update flag, Go fuzz
// corpus files, and a webhook harness on core/memstore. Only tests import
// it.
package metatest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/meta"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/core/memstore"
)

// Update rewrites golden files and fuzz seed corpora instead of comparing.
var Update = flag.Bool("update", false, "rewrite testdata golden files and fuzz seeds")

// FixtureDir finds <root>/shared/fixtures/<sub> by walking up from the
// working directory (the repository sits beside shared/). It skips the
// test when the corpus is absent.
func FixtureDir(t testing.TB, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "fixtures", sub)
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("webhook fixture corpus shared/fixtures/%s not found above the working directory; "+
				"check out the shared fixtures beside the repository to run this test", sub)
		}
		dir = parent
	}
}

// Fixture is one webhook body from the corpus.
type Fixture struct {
	Name string // path under the channel's fixture dir, "/" replaced by "__", no .json
	Body []byte
}

// Fixtures lists every .json file under dir (recursively), sorted.
func Fixtures(t testing.TB, dir string) []Fixture {
	t.Helper()
	var out []Fixture
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(strings.ReplaceAll(filepath.ToSlash(rel), "/", "__"), ".json")
		out = append(out, Fixture{Name: name, Body: body})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Golden compares got with testdata/<name>.golden, or writes it with -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *Update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Render is the golden form of normalised events.
func Render(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Seed writes data as a seed of fuzz target fuzzName in Go's corpus file
// format (testdata/fuzz/<fuzzName>/<name>) when -update is set.
func Seed(t testing.TB, fuzzName, name string, data []byte) {
	t.Helper()
	if !*Update {
		return
	}
	dir := filepath.Join("testdata", "fuzz", fuzzName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// CheckEvents fails on events that break the normaliser's promises: a
// message has a user, an id and clean, bounded text, and its attachments
// a kind and a place to fetch them from; statuses, edits and revokes name
// a message.
func CheckEvents(t testing.TB, events []core.InboundEvent) {
	t.Helper()
	for i, ev := range events {
		switch ev.Kind {
		case core.InboundMessage:
			if ev.UserID == "" || ev.ProviderID == "" || strings.TrimSpace(ev.Text) == "" {
				t.Errorf("event %d: message without user, id or text: %+v", i, ev)
			}
			if len([]rune(ev.Text)) > core.MaxTextLen || !isValidText(ev.Text) {
				t.Errorf("event %d: text too long or not UTF-8", i)
			}
			for j, a := range ev.Attachments {
				if a.Kind == "" || (a.Ref == "" && a.URL == "") {
					t.Errorf("event %d: attachment %d without kind or source: %+v", i, j, a)
				}
			}
		case core.InboundStatus, core.InboundEdit, core.InboundRevoke:
			if ev.ProviderID == "" {
				t.Errorf("event %d: %s without provider id", i, ev.Kind)
			}
		case core.InboundReadUpTo, core.InboundIgnored:
		default:
			t.Errorf("event %d: unknown kind %q", i, ev.Kind)
		}
		if ev.Kind != core.InboundMessage && len(ev.Attachments) > 0 {
			t.Errorf("event %d: %s with attachments", i, ev.Kind)
		}
	}
}

func isValidText(s string) bool { return strings.ToValidUTF8(s, "") == s }

// Jobs is a core.Jobs that records bot runs and deliveries.
type Jobs struct {
	mu       sync.Mutex
	Bot      []string
	Delivers []string
	Fetches  []string
}

// QueueMediaFetches implements core.Jobs.
func (j *Jobs) QueueMediaFetches(_ context.Context, ids []string, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Fetches = append(j.Fetches, ids...)
	return nil
}

// QueueMediaFetch implements core.Jobs.
func (j *Jobs) QueueMediaFetch(_ context.Context, id, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Fetches = append(j.Fetches, id)
	return nil
}

// QueueBot implements core.Jobs.
func (j *Jobs) QueueBot(ctx context.Context, id string) error { return j.QueueBots(ctx, []string{id}) }

// QueueBotFirst implements core.Jobs.
func (j *Jobs) QueueBotFirst(ctx context.Context, id string) error {
	return j.QueueBots(ctx, []string{id})
}

// QueueBots implements core.Jobs.
func (j *Jobs) QueueBots(_ context.Context, ids []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Bot = append(j.Bot, ids...)
	return nil
}

// QueueRoute implements core.Jobs.
func (j *Jobs) QueueRoute(context.Context, string, string) error { return nil }

// QueueDelivery implements core.Jobs.
func (j *Jobs) QueueDelivery(_ context.Context, id string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Delivers = append(j.Delivers, id)
	return nil
}

// QueueDeliveryIn implements core.Jobs.
func (j *Jobs) QueueDeliveryIn(ctx context.Context, id string, _ time.Duration) error {
	return j.QueueDelivery(ctx, id)
}

// ScheduleEscalation implements core.Jobs.
func (j *Jobs) ScheduleEscalation(context.Context, string, int, time.Time) error { return nil }

// ScheduleRerouteCheck implements core.Jobs.
func (j *Jobs) ScheduleRerouteCheck(context.Context, string, time.Time) error { return nil }

// Harness serves one channel's webhook through the real httpapi server
// (its error table) with a core.Service on memstore.
type Harness struct {
	T       testing.TB
	Channel core.Channel
	Store   *memstore.Store
	Svc     *core.Service
	Jobs    *Jobs
	URL     string // base URL of the server
}

// NewHarness builds the Service with ch configured and serves the webhook
// make returns at /webhooks/{ch.ID}.
func NewHarness(t testing.TB, ch core.Channel, make func(svc *core.Service) httpapi.Webhook) *Harness {
	t.Helper()
	set := core.DefaultSettings()
	set.Channels = append(set.Channels, ch)
	h := &Harness{T: t, Channel: ch, Store: memstore.New(), Jobs: &Jobs{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.Svc = core.NewService(core.Deps{Store: h.Store, Jobs: h.Jobs, Logger: log}, set)
	hooks := httpapi.NewWebhooks(nil)
	hooks.Replace(map[string]httpapi.Webhook{ch.ID: make(h.Svc)})
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Logger: log}, hooks).Echo)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Post sends body to /webhooks/{channel} with the given signature header
// ("" sends none) and returns the status and body.
func (h *Harness) Post(channelID string, body []byte, signature string) (int, string) {
	h.T.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL+"/webhooks/"+channelID, bytes.NewReader(body))
	if err != nil {
		h.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(meta.SignatureHeader, signature)
	}
	return h.do(req)
}

// Get sends GET /webhooks/{channel}?query.
func (h *Harness) Get(channelID, query string) (int, string, string) {
	h.T.Helper()
	req, err := http.NewRequest(http.MethodGet, h.URL+"/webhooks/"+channelID+"?"+query, nil)
	if err != nil {
		h.T.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
}

func (h *Harness) do(req *http.Request) (int, string) {
	h.T.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Messages lists the messages of the customer's open conversation (none
// when the customer or conversation does not exist).
func (h *Harness) Messages(userID string) []core.Message {
	h.T.Helper()
	ctx := context.Background()
	c, err := h.Store.CustomerByChannelUser(ctx, h.Channel.ID, userID)
	if err != nil {
		return nil
	}
	conv, err := h.Store.OpenConversation(ctx, c.ID, h.Channel.ID)
	if err != nil {
		return nil
	}
	ms, err := h.Store.ListMessages(ctx, conv.ID, "", 0)
	if err != nil {
		h.T.Fatal(err)
	}
	return ms
}

// Customer returns the stored customer of userID.
func (h *Harness) Customer(userID string) (core.Customer, bool) {
	h.T.Helper()
	c, ok, err := h.Svc.KnownCustomer(context.Background(), h.Channel.ID, userID)
	if err != nil {
		h.T.Fatal(err)
	}
	return c, ok
}

// Outbound stores one of our messages to userID's open conversation as
// sent with providerID, as Deliver would have, with no send time.
func (h *Harness) Outbound(userID, providerID string) core.Message {
	h.T.Helper()
	return h.OutboundAt(userID, providerID, time.Time{})
}

// OutboundAt is Outbound with the time its send was recorded.
func (h *Harness) OutboundAt(userID, providerID string, sentAt time.Time) core.Message {
	h.T.Helper()
	ctx := context.Background()
	c, err := h.Store.CustomerByChannelUser(ctx, h.Channel.ID, userID)
	if err != nil {
		h.T.Fatal(err)
	}
	conv, err := h.Store.OpenConversation(ctx, c.ID, h.Channel.ID)
	if err != nil {
		h.T.Fatal(err)
	}
	m := core.Message{ID: core.NewID(), ConversationID: conv.ID, ChannelID: h.Channel.ID, Author: core.AuthorAgent,
		Text: "our reply", CreatedAt: conv.CreatedAt, Delivery: core.DeliverySent, ProviderID: providerID, SentAt: sentAt}
	if err := h.Store.InsertMessage(ctx, m); err != nil {
		h.T.Fatal(err)
	}
	return m
}

// Message reads a message by id.
func (h *Harness) Message(id string) core.Message {
	h.T.Helper()
	m, err := h.Store.MessageByID(context.Background(), id)
	if err != nil {
		h.T.Fatal(err)
	}
	return m
}

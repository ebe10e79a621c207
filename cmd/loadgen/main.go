package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/channels"
	"github.com/switchboard-chat/switchboard/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // exactly-once check or double accepts failed
	exitUsage    = 2
	exitRunError = 3
)

// run is the command line: `loadgen config …` or `loadgen [run] …`.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "config" {
		return runConfig(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "ceiling" {
		return runCeiling(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	}
	return runLoad(ctx, args, stdout, stderr)
}

func runConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "switchboard-load.yaml", "file to write")
	var o genOptions
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "gateway listen address")
	fs.StringVar(&o.ProviderAddr, "provider-addr", "127.0.0.1:9099", "address of loadgen's fake provider")
	fs.StringVar(&o.DataDir, "data-dir", "./loadgen-data", "gateway data_dir")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "database.url (empty: SQLite in data_dir)")
	fs.StringVar(&o.RedisURL, "redis-url", "", "redis.url (empty: embedded)")
	fs.StringVar(&o.Namespace, "namespace", "", "redis.namespace")
	fs.StringVar(&o.DebugAddr, "debug-addr", "", "server.debug_addr (pprof), empty for none")
	fs.IntVar(&o.MaxOpenConns, "max-open-conns", 0, "database.max_open_conns (0: the gateway's default)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := writeConfig(*out, o); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return exitRunError
	}
	fmt.Fprintf(stdout, "wrote %s: start the gateway with --config %s, then run loadgen -config %s\n", *out, *out, *out)
	return exitOK
}

// parseMix reads "whatsapp=60,messenger=20,telegram=10,widget=10".
func parseMix(s string) (map[string]int, error) {
	out := map[string]int{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		k = strings.TrimSpace(k)
		known := false
		for _, kk := range kinds {
			known = known || kk == k
		}
		if !ok || err != nil || n < 0 || !known {
			return nil, fmt.Errorf("-mix %q: want kind=weight pairs with kinds %s", part, strings.Join(kinds, ", "))
		}
		out[k] += n
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("-mix %q: no positive weight", s)
	}
	if total > 10000 {
		return nil, fmt.Errorf("-mix %q: weights add up to over 10000", s)
	}
	return out, nil
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	mix := fs.String("mix", "whatsapp=60,messenger=20,telegram=10,widget=10", "share of each channel kind")
	fs.StringVar(&o.configPath, "config", "switchboard-load.yaml", "the gateway's YAML config (channels and secrets are read from it)")
	fs.StringVar(&o.baseURL, "target", "", "gateway base URL (default: from the config's server.addr)")
	fs.StringVar(&o.providerAddr, "provider-addr", "", "fake provider listen address (default: from the config's graph_url)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: messages per second (scheduled send times)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "closed loop: senders each waiting for the answer before the next")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	fs.DurationVar(&o.drain, "drain", 10*time.Second, "after sending, how long to wait for handoffs to finish")
	fs.DurationVar(&o.replyWait, "reply-wait", 10*time.Second, "how long an agent waits for its reply to reach the provider before it resolves")
	fs.Float64Var(&o.handoffShare, "handoff-share", 0, "share of messages (0–1) that ask for a person, each from a new customer")
	fs.IntVar(&o.customers, "customers", 1000, "distinct customers the other messages come from")
	fs.IntVar(&o.agents, "agents", 0, "agents to log in, set online and have accept, reply and resolve")
	fs.StringVar(&o.agentPrefix, "agent-prefix", "", "agents are loadgen-<prefix><n>@loadgen.test")
	fs.StringVar(&o.adminEmail, "admin-email", os.Getenv("SWITCHBOARD_ADMIN_EMAIL"), "admin e-mail (creates agents; API check)")
	fs.StringVar(&o.adminPassword, "admin-password", os.Getenv("SWITCHBOARD_ADMIN_PASSWORD"), "admin password")
	fs.StringVar(&o.agentPassword, "agent-password", "loadgen-agent-password", "password given to the load agents")
	fs.StringVar(&o.acceptPolicy, "accept", acceptFirst, "first: the first agent to see a request accepts it; race: every offered agent tries")
	fs.IntVar(&o.streams, "streams", 0, "idle event streams to open and hold for the run")
	fs.StringVar(&o.streamKind, "stream-kind", "mixed", "idle streams: visitor, agent or mixed")
	fs.StringVar(&o.jsonOut, "json", "", "write the report as JSON to this file")
	fs.StringVar(&o.verifyDB, "verify-db", "auto", "database to check exactly-once in: postgres:// URL, SQLite file, auto (from the config) or none (API sample)")
	fs.IntVar(&o.verifySample, "verify-sample", 200, "messages the API check samples")
	fs.IntVar(&o.maxInflight, "max-inflight", 4096, "open loop: most requests in flight")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one HTTP request")
	fs.StringVar(&o.run, "run-id", "", "8 hex digits naming the run (default: random)")
	fs.BoolVar(&o.ceiling, "ceiling", false, "first measure the database's single-row commit ceiling and give every figure also as a ratio to it")
	fs.IntVar(&o.ceilingConns, "ceiling-conns", 16, "connections of the ceiling measurement")
	fs.DurationVar(&o.ceilingDuration, "ceiling-duration", 10*time.Second, "how long the ceiling is measured")
	fs.Float64Var(&o.capacity, "capacity", 0, "closed-loop capacity (messages/s) an open-loop -rate is given as a share of")
	fs.Float64Var(&o.mediaShare, "media-share", 0, "share of messages (0–1) that carry a file: WhatsApp image, Telegram photo or voice, Messenger file (not widget messages, not handoffs)")
	fs.DurationVar(&o.mediaWait, "media-wait", 60*time.Second, "with -media-share: how long after the sending to wait for every attachment to be ready")
	capFrom := fs.String("capacity-from", "", "read -capacity from the JSON report of a closed-loop run")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "loadgen: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if *capFrom != "" {
		c, err := capacityFrom(*capFrom)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return exitUsage
		}
		o.capacity = c
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "loadgen: -log-level:", err)
		return exitUsage
	}
	o.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	o.out = stdout
	var err error
	if o.mix, err = parseMix(*mix); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return exitUsage
	}
	switch {
	case o.rate < 0, o.concurrency < 0, o.handoffShare < 0 || o.handoffShare > 1, o.streams < 0, o.agents < 0, o.maxInflight < 1,
		o.capacity < 0, o.ceilingConns < 1, o.ceilingDuration <= 0:
		fmt.Fprintln(stderr, "loadgen: -rate, -concurrency, -streams, -agents, -capacity must be ≥ 0, -handoff-share in [0, 1], -max-inflight and -ceiling-conns ≥ 1, -ceiling-duration > 0")
		return exitUsage
	case o.rate > 0 && o.concurrency > 0:
		fmt.Fprintln(stderr, "loadgen: give -rate (open loop) or -concurrency (closed loop), not both")
		return exitUsage
	case !(o.mediaShare >= 0 && o.mediaShare <= 1) || o.mediaWait < 0:
		fmt.Fprintln(stderr, "loadgen: -media-share must be in [0, 1], -media-wait ≥ 0")
		return exitUsage
	case o.mediaShare > 0 && o.mix[kindWhatsApp]+o.mix[kindMessenger]+o.mix[kindTelegram] == 0:
		fmt.Fprintln(stderr, "loadgen: -media-share needs WhatsApp, Messenger or Telegram in the -mix (widget messages carry no media)")
		return exitUsage
	case o.mediaShare > 0 && o.verifyDB == "none":
		fmt.Fprintln(stderr, "loadgen: -media-share checks the attachments in the database: it needs -verify-db")
		return exitUsage
	case o.acceptPolicy != acceptFirst && o.acceptPolicy != acceptRace:
		fmt.Fprintln(stderr, "loadgen: -accept must be first or race")
		return exitUsage
	case o.streamKind != "visitor" && o.streamKind != "agent" && o.streamKind != "mixed":
		fmt.Fprintln(stderr, "loadgen: -stream-kind must be visitor, agent or mixed")
		return exitUsage
	}
	if o.run == "" {
		o.run = randomHex(4)
	}
	rep, err := load(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return exitRunError
	}
	printTable(stdout, rep)
	if o.jsonOut != "" {
		if err := writeReport(o.jsonOut, rep); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return exitRunError
		}
	}
	if !rep.Verify.OK || rep.Handoffs.DoubleAccepts > 0 || (rep.Media != nil && !rep.Media.OK) {
		return exitFailed
	}
	return exitOK
}

// providerAddrOf finds the fake provider's address in a channel's
// graph_url or api_url.
func providerAddrOf(t target) string {
	for _, ch := range []*config.Channel{t.WhatsApp, t.Messenger, t.Telegram} {
		if ch == nil {
			continue
		}
		var u string
		switch s := ch.Settings.(type) {
		case channels.WhatsAppSettings:
			u = s.GraphURL
		case channels.MessengerSettings:
			u = s.GraphURL
		case channels.TelegramSettings:
			u = s.APIURL
		}
		if rest, ok := strings.CutPrefix(u, "http://"); ok {
			host, _, _ := strings.Cut(rest, "/")
			return host
		}
	}
	return "127.0.0.1:9099"
}

// load runs the whole thing: provider, agents, streams, load, drain,
// verification.
func load(ctx context.Context, o options) (*Report, error) {
	tgt, err := readTarget(o.configPath)
	if err != nil {
		return nil, err
	}
	if o.baseURL != "" {
		tgt.BaseURL = strings.TrimRight(o.baseURL, "/")
	}
	if o.providerAddr == "" {
		o.providerAddr = providerAddrOf(tgt)
	}
	needAdmin := o.agents > 0 || (o.streams > 0 && o.streamKind != "visitor")
	if needAdmin && (o.adminEmail == "" || o.adminPassword == "") {
		return nil, errNoAdmin
	}
	r, err := newRunner(o, tgt)
	if err != nil {
		return nil, err
	}
	log := o.log
	prov := &provider{onSend: r.onProviderSend, log: log}
	if o.mediaShare > 0 {
		if r.media, err = newMediaSource(tgt); err != nil {
			return nil, err
		}
		prov.media = r.media
	}
	addr, stopProvider, err := serveProvider(ctx, o.providerAddr, prov)
	if err != nil {
		return nil, err
	}
	defer stopProvider()
	log.Info("fake provider listening", "addr", addr)

	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	if err := waitReady(runCtx, r.api, 30*time.Second); err != nil {
		return nil, err
	}
	var ceiling *Ceiling
	if o.ceiling {
		dbURL := o.verifyDB
		if dbURL == "auto" {
			dbURL = tgt.DatabaseURL
		}
		log.Info("measuring the single-row commit ceiling", "connections", o.ceilingConns, "duration", o.ceilingDuration)
		c, err := measureCeiling(runCtx, dbURL, ceilingOptions{conns: o.ceilingConns, duration: o.ceilingDuration, run: o.run})
		if err != nil {
			return nil, err
		}
		ceiling = &c
		log.Info("ceiling", "commits_per_s", int(c.CommitsPerS), "equivalent", c.Equivalent)
	}

	var adminToken string
	if o.adminEmail != "" && o.adminPassword != "" {
		if adminToken, err = adminLogin(runCtx, r.api, o.adminEmail, o.adminPassword); err != nil {
			if needAdmin {
				return nil, err
			}
			log.Warn("admin login failed; the exactly-once API check is not available", "err", err)
		}
	}

	// Agents: log in, open streams, go online.
	var agents []*agentAccount
	var agentsWG sync.WaitGroup
	if o.agents > 0 {
		if agents, err = ensureAgents(runCtx, r.api, adminToken, o.agentPrefix, o.agents, 100, o.agentPassword); err != nil {
			return nil, err
		}
		r.agents = agents
		for _, acc := range agents {
			read, err := r.stream.openStream(runCtx, "/v1/events", acc.token)
			if err != nil {
				return nil, fmt.Errorf("agent %s: %w", acc.email, err)
			}
			agentsWG.Add(1)
			go r.agentLoop(runCtx, acc, read, &agentsWG)
			if err := setOnline(runCtx, r.api, acc.token, true); err != nil {
				return nil, fmt.Errorf("agent %s online: %w", acc.email, err)
			}
		}
		log.Info("agents online", "agents", len(agents), "accept", o.acceptPolicy)
	}

	metricsURL := tgt.BaseURL + "/metrics"
	mhc := r.api.hc
	first := scrape(runCtx, mhc, metricsURL)
	if !first.OK && tgt.DebugAddr != "" { // server.metrics: debug serves it on debug_addr only
		metricsURL = debugMetricsURL(tgt.DebugAddr)
		first = scrape(runCtx, mhc, metricsURL)
	}
	gw := GatewayReport{MetricsURL: metricsURL}
	gw.Available = first.OK
	gw.RSSStartMB, gw.RSSPeakMB, gw.GoroutinesPeak = mb(first.RSSBytes), mb(first.RSSBytes), first.Goroutines

	// Idle streams.
	if o.streams > 0 {
		var idleToken string
		if o.streamKind != "visitor" {
			idle, err := ensureAgents(runCtx, r.api, adminToken, o.agentPrefix+"idle", 1, 100, o.agentPassword)
			if err != nil {
				return nil, err
			}
			idleToken = idle[0].token
		}
		start := time.Now()
		r.openIdleStreams(runCtx, o.streams, idleToken)
		log.Info("idle streams open", "open", r.streamsOpen.Load(), "failed", r.streamsFails.Load(), "took", time.Since(start).Round(time.Millisecond))
		time.Sleep(2 * time.Second) // let the gateway settle before reading its RSS
		if s := scrape(runCtx, mhc, metricsURL); s.OK {
			gw.RSSStreamsMB = mb(s.RSSBytes)
		}
	}

	// Poll the gateway's figures while the load runs.
	pollDone := make(chan struct{})
	var pollMu sync.Mutex
	go func() {
		defer close(pollDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if s := scrape(runCtx, mhc, metricsURL); s.OK {
					pollMu.Lock()
					gw.RSSPeakMB = max(gw.RSSPeakMB, mb(s.RSSBytes))
					gw.GoroutinesPeak = max(gw.GoroutinesPeak, s.Goroutines)
					pollMu.Unlock()
				}
			}
		}
	}()

	mode := "streams only"
	switch {
	case o.rate > 0:
		mode = fmt.Sprintf("open loop at %g messages/s", o.rate)
	case o.concurrency > 0:
		mode = fmt.Sprintf("closed loop with %d senders", o.concurrency)
	}
	log.Info("sending", "mode", mode, "duration", o.duration, "run", o.run)
	started := time.Now()
	cpu0 := scrape(runCtx, mhc, metricsURL)
	elapsed := r.drive(runCtx)
	cpu1 := scrape(runCtx, mhc, metricsURL)
	if cpu0.OK && cpu1.OK {
		gw.CPUSeconds = cpu1.CPUSeconds - cpu0.CPUSeconds
		gw.CPUPercent = 100 * gw.CPUSeconds / elapsed.Seconds()
	}
	if r.handoffsSent.Load() > 0 {
		log.Info("draining handoffs", "max", o.drain)
		r.drainHandoffs(runCtx)
	}
	if s := scrape(runCtx, mhc, metricsURL); s.OK {
		gw.RSSEndMB = mb(s.RSSBytes)
	}
	streamsAtEnd := r.streamsOpen.Load()

	// Verification.
	var v Verification
	dbURL := o.verifyDB
	if dbURL == "auto" {
		dbURL = tgt.DatabaseURL
	}
	vctx := context.WithoutCancel(ctx)
	var media *MediaReport
	switch {
	case dbURL != "" && dbURL != "none":
		var extra map[int64]int
		if r.media != nil {
			log.Info("waiting for the attachments to be ready", "max", o.mediaWait)
			m, err := r.checkMedia(vctx, dbURL)
			if err != nil {
				return nil, fmt.Errorf("media check: %w", err)
			}
			if m.Ready > 0 {
				m.ReadyPerS = float64(m.Ready) / (elapsed.Seconds() + m.WaitS)
			}
			r.media.fillProvider(&m)
			media, extra = &m, m.viaURL
		}
		if v, err = r.verifyDB(vctx, dbURL, extra); err != nil {
			return nil, fmt.Errorf("exactly-once check: %w", err)
		}
	case adminToken != "":
		if v, err = r.verifyAPI(vctx, adminToken, o.verifySample); err != nil {
			return nil, fmt.Errorf("exactly-once check: %w", err)
		}
	default:
		v = Verification{Method: "none", Note: "no database and no admin login: nothing was verified"}
	}

	// Agents offline, streams closed.
	for _, acc := range agents {
		if err := setOnline(vctx, r.api, acc.token, false); err != nil {
			log.Warn("agent offline", "agent", acc.email, "err", err)
		}
	}
	cancelRun()
	agentsWG.Wait()
	<-pollDone

	rep := &Report{Run: o.run, Target: tgt.BaseURL, Mode: mode, StartedAt: started.UTC(), DurationS: elapsed.Seconds(), Ceiling: ceiling,
		Channels: map[string]ChannelReport{}, Latency: map[string]Summary{}, Verify: v, Gateway: gw, Errors: r.errorsSorted(),
		MediaShare: o.mediaShare, Media: media}
	for _, k := range kinds {
		s, a := r.sentBy[k].Load(), r.ackedBy[k].Load()
		rep.Sent += s
		rep.Acked += a
		if s > 0 {
			rep.Channels[k] = ChannelReport{Sent: s, Acked: a, Ingest: r.hIngest[k].Summary()}
		}
	}
	rep.Failed = rep.Sent - rep.Acked
	if elapsed > 0 {
		rep.Throughput = float64(rep.Acked) / elapsed.Seconds()
	}
	rep.Latency[pathIngest] = r.hAll.Summary()
	rep.Latency[pathSession] = r.hSession.Summary()
	rep.Latency[pathStream] = r.hStream.Summary()
	rep.Latency[pathAccept] = r.hAccept.Summary()
	rep.Latency[pathAcceptWon] = r.hAcceptWon.Summary()
	rep.Latency[pathAcceptLost] = r.hAcceptLost.Summary()
	rep.Latency[pathReply] = r.hReply.Summary()
	rep.Latency[pathStreams] = r.hStreamUp.Summary()
	rep.Handoffs = HandoffReport{Sent: r.handoffsSent.Load(), Acked: r.handoffsAcked.Load(),
		SeenOnStream: int64(r.hStream.Count()), RequestEvents: r.requestEvents.Load(), Accepted: r.acceptWon.Load(),
		LostRaces: r.acceptLost.Load(), DoubleAccepts: r.doubleAccepts.Load(), Replies: r.replies.Load(),
		Delivered: int64(r.hReply.Count()), Resolved: r.resolved.Load()}
	rep.Provider = ProviderReport{Sends: prov.sends.Load(), BotSends: r.botSends.Load(), Profiles: prov.profiles.Load(), Bad: prov.bad.Load()}
	rep.Streams = StreamReport{Requested: int64(o.streams), Opened: r.streamsOpened.Load(), Failed: r.streamsFails.Load(), OpenAtEnd: streamsAtEnd}
	rep.Ratios = ratios(rep, o.rate, o.capacity)
	return rep, nil
}

// waitReady waits for the gateway's /readyz.
func waitReady(ctx context.Context, a *api, within time.Duration) error {
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		if _, err := a.call(ctx, "GET", "/readyz", "", nil, nil); err == nil {
			return nil
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("gateway at %s not ready within %s: %w", a.base, within, last)
}

// runCeiling is `loadgen ceiling`: the single-row commit ceiling of the
// gateway's database alone, with no load.
func runCeiling(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "switchboard-load.yaml", "the gateway's YAML config (its database is measured)")
	dbURL := fs.String("database-url", "", "the database to measure instead: a postgres:// URL or an SQLite file")
	o := ceilingOptions{run: randomHex(4)}
	fs.IntVar(&o.conns, "conns", 16, "connections, each inserting one row per transaction")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to measure")
	jsonOut := fs.String("json", "", "write the ceiling as JSON to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 || o.conns < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "loadgen ceiling: takes flags only; -conns ≥ 1, -duration > 0")
		return exitUsage
	}
	url := *dbURL
	if url == "" {
		tgt, err := readTarget(*configPath)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return exitRunError
		}
		url = tgt.DatabaseURL
	}
	c, err := measureCeiling(ctx, url, o)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return exitRunError
	}
	printCeiling(stdout, &c)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(c, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return exitRunError
		}
	}
	return exitOK
}

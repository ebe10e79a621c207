package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// gatewayStats are figures the gateway reports on /metrics.
type gatewayStats struct {
	RSSBytes   float64
	CPUSeconds float64
	Goroutines float64
	OK         bool
}

// scrape reads the gateway's process figures from its Prometheus text.
func scrape(ctx context.Context, hc *http.Client, url string) gatewayStats {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return gatewayStats{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return gatewayStats{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return gatewayStats{}
	}
	return parseMetrics(resp.Body)
}

func parseMetrics(r io.Reader) gatewayStats {
	var g gatewayStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			g.RSSBytes, g.OK = f, true
		case "process_cpu_seconds_total":
			g.CPUSeconds = f
		case "go_goroutines":
			g.Goroutines = f
		}
	}
	return g
}

// Report is the outcome of a run, printed as a table and written as JSON.
type Report struct {
	Run       string    `json:"run"`
	Target    string    `json:"target"`
	Mode      string    `json:"mode"`
	StartedAt time.Time `json:"started_at"`
	// DurationS is how long messages were sent.
	DurationS float64 `json:"duration_s"`
	Sent      int64   `json:"sent"`
	Acked     int64   `json:"acked"`
	Failed    int64   `json:"failed"`
	// Throughput is acknowledged messages per second of sending.
	Throughput float64                  `json:"throughput_per_s"`
	Channels   map[string]ChannelReport `json:"channels"`
	Latency    map[string]Summary       `json:"latency"`
	Handoffs   HandoffReport            `json:"handoffs"`
	Provider   ProviderReport           `json:"provider"`
	Streams    StreamReport             `json:"streams"`
	Gateway    GatewayReport            `json:"gateway"`
	Errors     []kv                     `json:"errors"`
	Verify     Verification             `json:"verify"`
	// Ceiling is the database's single-row commit ceiling measured before
	// the load (-ceiling); Ratios set the run's figures against it.
	Ceiling *Ceiling `json:"ceiling,omitempty"`
	Ratios  Ratios   `json:"ratios"`
	// MediaShare is -media-share; Media the media messages and their
	// attachments (with -media-share > 0).
	MediaShare float64      `json:"media_share"`
	Media      *MediaReport `json:"media,omitempty"`
}

// ChannelReport is one channel kind's traffic.
type ChannelReport struct {
	Sent   int64   `json:"sent"`
	Acked  int64   `json:"acked"`
	Ingest Summary `json:"ingest"`
}

// HandoffReport follows the messages that asked for a person.
type HandoffReport struct {
	Sent          int64 `json:"sent"`
	Acked         int64 `json:"acked"`
	SeenOnStream  int64 `json:"seen_on_stream"`
	RequestEvents int64 `json:"request_events"`
	Accepted      int64 `json:"accepted"`
	LostRaces     int64 `json:"lost_races"`
	DoubleAccepts int64 `json:"double_accepts"`
	Replies       int64 `json:"replies"`
	Delivered     int64 `json:"replies_at_provider"`
	Resolved      int64 `json:"resolved"`
}

// ProviderReport counts what reached the fake provider.
type ProviderReport struct {
	Sends    int64 `json:"sends"`
	BotSends int64 `json:"bot_and_system_sends"`
	Profiles int64 `json:"profile_lookups"`
	Bad      int64 `json:"bad_requests"`
}

// StreamReport is the idle event streams.
type StreamReport struct {
	Requested int64 `json:"requested"`
	Opened    int64 `json:"opened"`
	Failed    int64 `json:"failed"`
	OpenAtEnd int64 `json:"open_at_end"`
}

// GatewayReport is the gateway's process figures from /metrics.
type GatewayReport struct {
	MetricsURL     string  `json:"metrics_url"`
	RSSStartMB     float64 `json:"rss_start_mb"`
	RSSPeakMB      float64 `json:"rss_peak_mb"`
	RSSEndMB       float64 `json:"rss_end_mb"`
	RSSStreamsMB   float64 `json:"rss_with_streams_mb,omitempty"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	CPUPercent     float64 `json:"cpu_percent"`
	GoroutinesPeak float64 `json:"goroutines_peak"`
	Available      bool    `json:"available"`
}

// Latency paths.
const (
	pathIngest  = "webhook ingest (all)"
	pathSession = "widget session"
	pathStream  = "webhook → request on agent stream"
	pathAccept  = "accept"
	// accepts by outcome: the winner's, and those told 409 (a race lost)
	pathAcceptWon  = "accept won"
	pathAcceptLost = "accept lost (409)"
	pathReply      = "agent reply → provider send"
	pathStreams    = "idle stream open"
)

func mb(b float64) float64 { return b / (1 << 20) }

// printTable writes the human form of rep.
func printTable(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\nloadgen run %s against %s — %s for %.1fs\n", rep.Run, rep.Target, rep.Mode, rep.DurationS)
	fmt.Fprintf(w, "sent %d, acknowledged %d, failed %d: %.0f messages/s acknowledged\n", rep.Sent, rep.Acked, rep.Failed, rep.Throughput)
	if rep.Ceiling != nil {
		printCeiling(w, rep.Ceiling)
	}
	if r := rep.Ratios; r.IngestToCeiling > 0 {
		fmt.Fprintf(w, "ingest ÷ ceiling: %.2f×\n", r.IngestToCeiling)
	}
	if r := rep.Ratios; r.RateToCapacity > 0 {
		fmt.Fprintf(w, "open-loop rate ÷ closed-loop capacity (%.0f/s): %.2f", r.CapacityPerS, r.RateToCapacity)
		if r.CapacityToCeiling > 0 {
			fmt.Fprintf(w, "; capacity ÷ ceiling: %.2f×", r.CapacityToCeiling)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "path\tcount\tmean ms\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	row := func(name string, s Summary) {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", name, s.Count, s.MeanMS, s.P50MS, s.P90MS, s.P99MS, s.MaxMS)
	}
	if s := rep.Latency[pathIngest]; s.Count > 0 || rep.Sent > 0 {
		row(pathIngest, s)
	}
	for _, k := range kinds {
		if c, ok := rep.Channels[k]; ok && c.Sent > 0 {
			row("  "+k, c.Ingest)
		}
	}
	for _, p := range []string{pathSession, pathStream, pathAccept, pathReply, pathStreams} {
		if s := rep.Latency[p]; s.Count > 0 {
			row(p, s)
		}
		if p == pathAccept && rep.Latency[pathAcceptLost].Count > 0 {
			row("  won", rep.Latency[pathAcceptWon])
			row("  lost (409)", rep.Latency[pathAcceptLost])
		}
	}
	tw.Flush()
	h := rep.Handoffs
	if h.Sent > 0 {
		fmt.Fprintf(w, "\nhandoffs: sent %d, acked %d, on a stream %d, accepted %d, lost races (409) %d, double accepts %d, replies %d, at provider %d, resolved %d\n",
			h.Sent, h.Acked, h.SeenOnStream, h.Accepted, h.LostRaces, h.DoubleAccepts, h.Replies, h.Delivered, h.Resolved)
	}
	fmt.Fprintf(w, "provider: %d sends (%d bot/system), %d profile look-ups, %d bad requests\n",
		rep.Provider.Sends, rep.Provider.BotSends, rep.Provider.Profiles, rep.Provider.Bad)
	if s := rep.Streams; s.Requested > 0 {
		fmt.Fprintf(w, "idle streams: %d requested, %d opened, %d failed, %d open at the end\n", s.Requested, s.Opened, s.Failed, s.OpenAtEnd)
	}
	if g := rep.Gateway; g.Available {
		fmt.Fprintf(w, "gateway: RSS %.0f MB at start, %.0f MB peak, %.0f MB at end", g.RSSStartMB, g.RSSPeakMB, g.RSSEndMB)
		if g.RSSStreamsMB > 0 {
			fmt.Fprintf(w, " (%.0f MB with the streams open)", g.RSSStreamsMB)
		}
		fmt.Fprintf(w, "; CPU %.1f s (%.0f%% of one core); up to %.0f goroutines\n", g.CPUSeconds, g.CPUPercent, g.GoroutinesPeak)
	} else {
		fmt.Fprintf(w, "gateway: /metrics not readable; no RSS or CPU figures\n")
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "\nerrors and anomalies:\n")
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  %8d  %s\n", e.V, e.K)
		}
	}
	if rep.Media != nil {
		printMedia(w, rep.Media)
	}
	v := rep.Verify
	verdict := "OK"
	if !v.OK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "\nexactly-once (%s): %s — checked %d (acked %d): missing %d, duplicated %d, stored without an answer %d\n",
		v.Method, verdict, v.Checked, v.Acked, v.Missing, v.Duplicated, v.StoredUnacked)
	if v.Note != "" {
		fmt.Fprintf(w, "  %s\n", v.Note)
	}
}

// writeJSON writes rep to path.
func writeReport(path string, rep *Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// printCeiling writes the ceiling and the command that measures the same.
func printCeiling(w io.Writer, c *Ceiling) {
	fmt.Fprintf(w, "ceiling (%s): %.0f single-row commits/s over %d connections for %.1fs (%d commits)\n",
		c.Database, c.CommitsPerS, c.Conns, c.DurationS, c.Commits)
	fmt.Fprintf(w, "  the same as: %s\n", c.Equivalent)
}

package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// Verification is the exactly-once check of the run's inbound messages.
type Verification struct {
	Method string `json:"method"` // "database" or "api-sample"
	// Checked is how many messages were checked (all sent ones for the
	// database check, the sample for the API check).
	Checked int64 `json:"checked"`
	Acked   int64 `json:"acked"`
	// Missing are acknowledged messages not stored.
	Missing int64 `json:"missing"`
	// Duplicated are messages stored more than once.
	Duplicated int64 `json:"duplicated"`
	// StoredUnacked are messages stored once whose answer loadgen did not
	// get (timeouts): not an error.
	StoredUnacked int64   `json:"stored_unacked"`
	MissingSeqs   []int64 `json:"missing_examples,omitempty"`
	Sample        bool    `json:"sample"`
	OK            bool    `json:"ok"`
	Note          string  `json:"note,omitempty"`
}

// openVerifyDB opens a postgres:// URL or an SQLite file (sqlite:PATH or a
// plain path) read-only.
func openVerifyDB(raw string) (*sql.DB, string, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		db, err := sql.Open("pgx", raw)
		if err != nil {
			return nil, "", fmt.Errorf("open postgres: %w", err)
		}
		return db, "postgres", nil
	default:
		path := strings.TrimPrefix(raw, "sqlite:")
		if strings.HasPrefix(path, "//") {
			path = path[2:]
		}
		dsn := "file:" + path + "?mode=ro&_pragma=busy_timeout(10000)"
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, "", fmt.Errorf("open sqlite %s: %w", path, err)
		}
		return db, "sqlite", nil
	}
}

// storedCounts counts, per sequence number, the customer messages of this
// run in the database (found by the run's token in their text).
func (r *runner) storedCounts(ctx context.Context, db *sql.DB) (map[int64]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT text FROM messages WHERE author = 'customer' AND text LIKE $1`,
		"%lg"+r.ids.run+"n%")
	if err != nil {
		return nil, fmt.Errorf("query messages: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		if k, seq, ok := r.ids.parseToken(text); ok && k == 'n' {
			out[seq]++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	return out, nil
}

// judge compares what was sent with what is stored.
func (r *runner) judge(counts map[int64]int, seqs []int64) Verification {
	var v Verification
	for _, seq := range seqs {
		st := r.ledger.get(seq)
		if st&stSent == 0 {
			continue
		}
		v.Checked++
		n := counts[seq]
		acked := st&stAcked != 0
		if acked {
			v.Acked++
		}
		switch {
		case n > 1:
			v.Duplicated++
		case n == 0 && acked:
			v.Missing++
			if len(v.MissingSeqs) < 10 {
				v.MissingSeqs = append(v.MissingSeqs, seq)
			}
		case n == 1 && !acked:
			v.StoredUnacked++
		}
	}
	v.OK = v.Missing == 0 && v.Duplicated == 0
	return v
}

// verifyDB checks every message sent in the run. extra counts stored
// messages found by their attachment rather than their text (a Messenger
// file comes without text).
func (r *runner) verifyDB(ctx context.Context, raw string, extra map[int64]int) (Verification, error) {
	db, dialect, err := openVerifyDB(raw)
	if err != nil {
		return Verification{}, err
	}
	defer db.Close()
	counts, err := r.storedCounts(ctx, db)
	if err != nil {
		return Verification{}, fmt.Errorf("%s: %w", dialect, err)
	}
	for seq, k := range extra {
		counts[seq] += k
	}
	n := r.seq.Load()
	seqs := make([]int64, n)
	for i := range seqs {
		seqs[i] = int64(i)
	}
	v := r.judge(counts, seqs)
	v.Method = "database (" + dialect + ")"
	return v, nil
}

// verifyAPI checks a random sample through history search: each sampled
// message's token must be found in exactly one message.
func (r *runner) verifyAPI(ctx context.Context, adminToken string, sample int) (Verification, error) {
	n := r.seq.Load()
	var seqs []int64
	if int64(sample) >= n {
		for i := range n {
			seqs = append(seqs, i)
		}
	} else {
		seen := map[int64]bool{}
		for len(seqs) < sample {
			s := rand.Int64N(n)
			if !seen[s] {
				seen[s] = true
				seqs = append(seqs, s)
			}
		}
	}
	counts := map[int64]int{}
	for _, seq := range seqs {
		tok := r.ids.msgToken(seq)
		var list struct {
			Conversations []struct {
				ID string `json:"id"`
			} `json:"conversations"`
		}
		if _, err := r.api.call(ctx, http.MethodGet, "/v1/conversations?status=all&limit=10&q="+url.QueryEscape(tok), adminToken, nil, &list); err != nil {
			return Verification{}, fmt.Errorf("search %s: %w", tok, err)
		}
		for _, c := range list.Conversations {
			var conv struct {
				Messages []struct {
					Author string `json:"author"`
					Text   string `json:"text"`
				} `json:"messages"`
			}
			if _, err := r.api.call(ctx, http.MethodGet, "/v1/conversations/"+c.ID, adminToken, nil, &conv); err != nil {
				return Verification{}, fmt.Errorf("read conversation %s: %w", c.ID, err)
			}
			for _, m := range conv.Messages {
				if m.Author == "customer" && strings.Contains(m.Text, tok) {
					if k, s, ok := r.ids.parseToken(m.Text); ok && k == 'n' && s == seq {
						counts[seq]++
					}
				}
			}
		}
	}
	v := r.judge(counts, seqs)
	v.Method, v.Sample = "api-sample", true
	v.Note = fmt.Sprintf("a random sample of %d of %d messages, checked through history search (use -verify-db to check all)", len(seqs), n)
	return v, nil
}

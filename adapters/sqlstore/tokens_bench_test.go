package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

// BenchmarkStreamTokenCheck measures one round of the event streams'
// token check for 10,000 open streams: a read per stream (TokenByHash),
// against the check as the streams make it (LiveTokens, 500 tokens a
// read). Each op is the whole round; compare ns/op.
func BenchmarkStreamTokenCheck(b *testing.B) {
	const streams, batch = 10000, 500
	benchStores(b, func(b *testing.B, s core.Store) {
		ctx := context.Background()
		now := time.Now()
		svc := core.NewService(core.Deps{Store: s, Jobs: nopJobs{}, Now: func() time.Time { return now }}, core.DefaultSettings())
		hashes := make([]string, streams)
		for i := range hashes {
			hashes[i] = core.HashToken(fmt.Sprintf("bench-token-%d", i))
			if err := s.CreateToken(ctx, core.Token{Hash: hashes[i], Kind: core.TokenVisitor, SubjectID: core.NewID(),
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("read-per-stream", func(b *testing.B) {
			for b.Loop() {
				for _, h := range hashes {
					if _, err := s.TokenByHash(ctx, h); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run("batched", func(b *testing.B) {
			for b.Loop() {
				for i := 0; i < len(hashes); i += batch {
					live, err := svc.LiveTokens(ctx, hashes[i:min(i+batch, len(hashes))])
					if err != nil || len(live) != min(batch, len(hashes)-i) {
						b.Fatalf("%d live, %v", len(live), err)
					}
				}
			}
		})
	})
}

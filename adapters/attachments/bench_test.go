package attachments_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/blobstore"
	"github.com/switchboard-chat/switchboard/adapters/blobstore/s3test"
	"github.com/switchboard-chat/switchboard/core"
)

// BenchmarkFetchAndStore is the media:fetch worker's throughput: each
// iteration ingests a Messenger message with a 768 KiB document, fetches
// it from a fake CDN over HTTP, judges, hashes and stores it (b.SetBytes:
// MB/s). Every file differs, so nothing is deduplicated away. The S3 case
// runs on SWITCHBOARD_TEST_S3_URL and is skipped without it.
//
//	SWITCHBOARD_TEST_S3_URL=http://KEY:SECRET@127.0.0.1:8333 \
//	  go test ./adapters/attachments -run '^$' -bench FetchAndStore -benchtime 40x -count 3
func BenchmarkFetchAndStore(b *testing.B) {
	const size = 768 << 10 // under the test world's media.max_bytes (1 MiB)
	for _, store := range []string{"local", "s3"} {
		b.Run(store, func(b *testing.B) {
			w := newBenchWorld(b, store)
			body := make([]byte, size)
			copy(body, "%PDF-1.7\n")
			var n uint64
			w.serveCDN(func(rw http.ResponseWriter, r *http.Request) {
				binary.BigEndian.PutUint64(body[16:], n)
				rw.Write(body)
			})
			ctx := context.Background()
			b.SetBytes(size)
			b.ResetTimer()
			for i := range b.N {
				n = uint64(i) + uint64(time.Now().UnixNano())
				m, err := w.svc.Ingest(ctx, core.Inbound{ChannelID: "fb", ChannelUserID: "psid-bench", ProviderID: fmt.Sprintf("mid.%d.%d", n, i),
					Text: "[document] invoice.pdf", Attachments: []core.InboundAttachment{{Kind: core.AttachmentDocument, URL: w.cdn.URL + "/f.pdf"}}})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.svc.FetchMedia(ctx, m.Attachments[0].ID); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			ids, err := w.store.PendingAttachments(ctx, time.Now().Add(time.Hour), 0)
			if err != nil || len(ids) != 0 {
				b.Fatalf("%d attachments left pending, %v", len(ids), err)
			}
			if a := w.attachment(w.lastAttachment(ctx)); a.Status != core.AttachmentReady || a.Size != size {
				b.Fatalf("the last file: %s %q, %d bytes", a.Status, a.Error, a.Size)
			}
		})
	}
}

// newBenchWorld is newWorld on the named blob store.
func newBenchWorld(b *testing.B, store string) *world {
	b.Helper()
	w := newWorldTB(b)
	if store == "s3" {
		srv, ok := s3test.FromEnv(b)
		if !ok {
			b.Skip(s3test.EnvVar + " not set: no S3 server to measure")
		}
		s, err := blobstore.NewS3(blobstore.S3Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
			Region: "us-east-1", PathStyle: true, Bucket: fmt.Sprintf("sb-bench-%d", time.Now().UnixNano())})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.EnsureBucket(context.Background()); err != nil {
			b.Fatal(err)
		}
		w.blobs.BlobStore = s
	}
	return w
}

// lastAttachment is the id of the newest attachment of the benchmark's
// conversation.
func (w *world) lastAttachment(ctx context.Context) string {
	w.t.Helper()
	c, err := w.store.CustomerByChannelUser(ctx, "fb", "psid-bench")
	if err != nil {
		w.t.Fatal(err)
	}
	conv, err := w.store.OpenConversation(ctx, c.ID, "fb")
	if err != nil {
		w.t.Fatal(err)
	}
	ms, err := w.store.ListMessages(ctx, conv.ID, "", 0)
	if err != nil || len(ms) == 0 {
		w.t.Fatal(err)
	}
	return ms[len(ms)-1].Attachments[0].ID
}

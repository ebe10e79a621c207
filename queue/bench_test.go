package queue_test

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"testing"

	"github.com/switchboard-chat/switchboard/queue"
)

// BenchmarkEnqueue measures Enqueuer.RunBot, the enqueue on the webhook
// path, on the embedded Redis and, with SWITCHBOARD_TEST_REDIS_URL, a real
// one.
func BenchmarkEnqueue(b *testing.B) {
	for _, bk := range []struct{ name, url string }{{"embedded", ""}, {"redis", os.Getenv(redisEnv)}} {
		b.Run(bk.name, func(b *testing.B) {
			if bk.name == "redis" && bk.url == "" {
				b.Skipf("%s not set", redisEnv)
			}
			ctx := context.Background()
			conn, err := queue.Connect(ctx, bk.url, queue.ConnectOptions{Logger: testLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			opts := queue.Options{Namespace: "queuebench" + strconv.Itoa(os.Getpid())}
			insp := queue.NewInspector(conn, opts)
			defer func() {
				if err := insp.DeleteQueues(ctx); err != nil {
					b.Error(err)
				}
			}()
			enq := queue.NewEnqueuer(conn, opts)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				prefix := strconv.FormatUint(uint64(randUint()), 36)
				for pb.Next() {
					i++
					if err := enq.QueueBot(ctx, prefix+"-"+strconv.Itoa(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func randUint() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

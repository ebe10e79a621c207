package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/queue"
)

// TestPingRedisStopped: a running server's Ping fails once its Redis has
// stopped, within the context's time.
func TestPingRedisStopped(t *testing.T) {
	port := redisProc(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := queue.Connect(ctx, fmt.Sprintf("redis://127.0.0.1:%d/0", port), queue.ConnectOptions{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := queue.NewServer(conn, newFakeWorker(), queue.Options{Namespace: "pingtest", Logger: testLogger(), SweepEvery: -1,
		ShutdownTimeout: time.Second})
	must(t, srv.Start())
	defer srv.Shutdown()
	if err := srv.Ping(ctx); err != nil {
		t.Fatalf("Ping with Redis up: %v", err)
	}
	_ = conn.Client().ShutdownNoSave(ctx).Err() // the answer is the connection closing
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
	defer pcancel()
	if err := srv.Ping(pctx); err == nil {
		t.Fatal("Ping with Redis stopped: no error")
	}
}

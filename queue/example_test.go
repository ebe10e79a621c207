package queue_test

import (
	"context"
	"fmt"

	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// printWorker prints what it is asked to do.
type printWorker struct{ done chan struct{} }

func (w printWorker) RunBot(_ context.Context, messageID string) error {
	fmt.Println("bot's turn after message", messageID)
	close(w.done)
	return nil
}
func (printWorker) Route(context.Context, string) error                { return nil }
func (printWorker) Deliver(context.Context, string) error              { return nil }
func (printWorker) FailDelivery(context.Context, string, string) error { return nil }
func (printWorker) FetchMedia(context.Context, string) error           { return nil }

func (printWorker) Sweep(context.Context) (core.SweepReport, error) {
	return core.SweepReport{}, nil
}

// Enqueue a conv:bot task and handle it, on the embedded Redis.
func Example() {
	ctx := context.Background()
	conn, err := queue.Connect(ctx, "", queue.ConnectOptions{}) // "" → embedded
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	opts := queue.Options{Namespace: "example"}

	// The gateway side: core.Jobs.
	jobs := queue.NewEnqueuer(conn, opts)
	if err := jobs.QueueBot(ctx, "msg-1"); err != nil {
		panic(err)
	}
	if err := jobs.QueueBot(ctx, "msg-1"); err != nil { // the same task id: queued once
		panic(err)
	}

	// The worker side: a Server hands each task to a Worker (core.Service).
	w := printWorker{done: make(chan struct{})}
	srv := queue.NewServer(conn, w, opts)
	if err := srv.Start(); err != nil {
		panic(err)
	}
	<-w.done
	srv.Shutdown()
	// Output: bot's turn after message msg-1
}

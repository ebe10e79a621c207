package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

// Server processes the namespaced queues with a Worker and runs the
// periodic sweeper.
type Server struct {
	srv  *asynq.Server
	mux  *asynq.ServeMux
	enq  *Enqueuer
	gate *idleGate
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	started bool
	running atomic.Bool // started, for Ping without mu (Shutdown holds it while tasks finish)
	stop    chan struct{}
	done    chan struct{}
}

// NewServer returns a Server on conn that hands tasks to w. It does not own
// conn. Call Start, and Shutdown at the end.
func NewServer(conn *Conn, w Worker, opts Options) *Server {
	if opts.PollInterval <= 0 && conn.embedded != nil {
		// The embedded Redis runs Asynq's scripts in an interpreter: a
		// 20 ms poll would cost an idle process several % of a core.
		opts.PollInterval = embeddedPollInterval
	}
	if opts.IdlePoll <= 0 && conn.embedded != nil {
		opts.IdlePoll = EmbeddedIdlePoll
	}
	conn.gate.use(opts.IdlePoll)
	opts = opts.withDefaults()
	log := opts.logger()
	queues := make(map[string]int, len(priorities))
	for q, p := range priorities {
		queues[opts.queueName(q)] = p
	}
	srv := asynq.NewServerFromRedisClient(conn.client, asynq.Config{
		Concurrency:              opts.Concurrency,
		Queues:                   queues,
		RetryDelayFunc:           retryDelay,
		ShutdownTimeout:          opts.ShutdownTimeout,
		TaskCheckInterval:        opts.PollInterval,
		DelayedTaskCheckInterval: opts.TimerInterval,
		Logger:                   newAsynqLogger(log),
		LogLevel:                 asynq.InfoLevel,
	})
	return &Server{
		srv:  srv,
		gate: conn.gate,
		mux:  NewHandler(w, log),
		enq:  NewEnqueuer(conn, opts),
		opts: opts,
		log:  log,
	}
}

// Start starts processing in the background, and the sweeper unless
// SweepEvery is negative. A Server starts once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("queue server: already started")
	}
	if err := s.srv.Start(s.mux); err != nil {
		return fmt.Errorf("queue server: %w", err)
	}
	s.started = true
	s.running.Store(true)
	if s.opts.SweepEvery > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.sweeper()
	}
	return nil
}

// Shutdown stops the sweeper and taking new tasks, waits up to
// ShutdownTimeout for running tasks, and puts back those still running.
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return
	}
	s.started = false
	s.running.Store(false)
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	s.gate.woken() // a poll waiting on the gate ends now, not at IdlePoll
	s.srv.Shutdown()
}

// Ping is the worker's readiness check of Redis: Asynq's own health check
// (asynq.Server.Ping, the ping its health checker sends) through the
// server's connection. It fails when the server is not running, and gives
// up when ctx ends.
func (s *Server) Ping(ctx context.Context) error {
	if !s.running.Load() {
		return errors.New("queue server is not running")
	}
	done := make(chan error, 1)
	go func() { done <- s.srv.Ping() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("queue server: redis: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("queue server: redis: %w", ctx.Err())
	}
}

// sweeper enqueues maintenance:sweep at start and once per period after.
// Every worker process does the same; the task id of the period makes one
// sweep run per period.
func (s *Server) sweeper() {
	defer close(s.done)
	enqueue := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		t, err := NewSweepTask(time.Now(), s.opts.SweepEvery)
		if err == nil {
			err = s.enq.Enqueue(ctx, t)
		}
		if err != nil {
			s.log.Warn("enqueue maintenance:sweep failed", "err", err)
		}
	}
	enqueue()
	tick := time.NewTicker(s.opts.SweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			enqueue()
		}
	}
}

package queue_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/adapters/eventbus"
	"github.com/switchboard-chat/switchboard/queue"
)

// redisProc starts a redis-server of the machine with extra arguments on a
// free port; it stops with the test.
func redisProc(t *testing.T, args ...string) int {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed: the Sentinel and Cluster tests need it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir := t.TempDir()
	all := append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir}, args...)
	if len(args) > 0 && strings.HasSuffix(args[0], ".conf") { // a config file comes first
		all = append([]string{args[0], "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir}, args[1:]...)
	}
	cmd := exec.Command(bin, all...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server %v did not start", args)
	return 0
}

// runsTasks connects with url and checks that a task goes through.
func runsTasks(t *testing.T, url string) {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var conn *queue.Conn
	var err error
	for range 50 { // a fresh sentinel or cluster needs a moment to agree
		if conn, err = queue.Connect(ctx, url, queue.ConnectOptions{Logger: quiet}); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close()
	w := newFakeWorker()
	opts := queue.Options{Namespace: "ha", Logger: quiet, SweepEvery: -1}
	srv := queue.NewServer(conn, w, opts)
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	defer srv.Shutdown()
	enq := queue.NewEnqueuer(conn, opts)
	for _, id := range []string{"m1", "m2"} {
		if err := enq.QueueBot(ctx, id); err != nil {
			t.Fatalf("enqueue %s: %v", id, err)
		}
	}
	got := map[string]bool{}
	for range 2 {
		got[w.next(t).id] = true
	}
	if !got["m1"] || !got["m2"] {
		t.Fatalf("tasks run: %v", got)
	}
	// The event bus works on the same client: two gateways' buses.
	var buses [2]*eventbus.Redis
	for i := range buses {
		if buses[i], err = eventbus.NewRedis(ctx, conn.Client(), "ha:", eventbus.Options{}, quiet); err != nil {
			t.Fatalf("event bus: %v", err)
		}
		defer buses[i].Close()
	}
	sub, err := buses[0].Subscribe(ctx, "agent:a", "")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if err := buses[1].Publish(ctx, "agent:a", "request.created", map[string]string{"id": "r1"}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	select {
	case e := <-sub.C:
		if e.Type != "request.created" {
			t.Fatalf("event %+v", e)
		}
		replay, err := buses[0].Subscribe(ctx, "agent:a", "0-1")
		if err != nil || len(replay.Replay) != 1 {
			t.Fatalf("replay: %+v %v", replay, err)
		}
	case <-time.After(wait):
		t.Fatal("no event across the two buses")
	}
}

// TestSentinel runs tasks through a Redis Sentinel URL.
func TestSentinel(t *testing.T) {
	master := redisProc(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf("sentinel monitor sbmaster 127.0.0.1 %d 1\n", master)), 0o600); err != nil {
		t.Fatal(err)
	}
	sentinel := redisProc(t, conf, "--sentinel")
	runsTasks(t, fmt.Sprintf("redis-sentinel://127.0.0.1:%d/0?master_name=sbmaster", sentinel))
}

// TestCluster runs tasks on a three-master Redis Cluster.
func TestCluster(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed: the Cluster test needs it to form the cluster")
	}
	var addrs []string
	for range 3 {
		p := redisProc(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", p))
	}
	out, err := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("form the cluster: %v\n%s", err, out)
	}
	host, port, _ := strings.Cut(addrs[0], ":")
	for range 100 {
		info, _ := exec.Command("redis-cli", "-h", host, "-p", port, "cluster", "info").Output()
		if strings.Contains(string(info), "cluster_state:ok") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	runsTasks(t, strings.Join(addrs, ","))
}

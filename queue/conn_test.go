package queue

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedTTLsExpire(t *testing.T) {
	ctx := context.Background()
	conn, err := Connect(ctx, "", ConnectOptions{FastForwardEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if !conn.Embedded() || conn.Ping(ctx) != nil {
		t.Fatalf("embedded = %v, ping = %v", conn.Embedded(), conn.Ping(ctx))
	}
	if a := conn.embedded.Server().Addr(); a != nil {
		t.Fatalf("the embedded Redis listens on %s; want in-memory pipes only", a)
	}
	if err := conn.Client().Set(ctx, "k", "v", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for conn.Client().Exists(ctx, "k").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 100 ms TTL still exists after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectURLs(t *testing.T) {
	for _, u := range []string{"mysql://x", "redis-sentinel://h:1", "host-without-port", "redis://%zz"} {
		if _, err := Connect(context.Background(), u, ConnectOptions{}); err == nil {
			t.Errorf("Connect(%q) succeeded", u)
		}
	}
	_, err := Connect(context.Background(), "redis://user:s3cret@127.0.0.1:1/0", ConnectOptions{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable Redis: err = %v (must fail without the password)", err)
	}
}

func TestNewClient(t *testing.T) {
	cases := []struct{ url, desc string }{
		{"redis://:s3cret@h:6379/2", "redis://:xxxxx@h:6379/2"},
		{"rediss://u:s3cret@h:6380", "rediss://u:xxxxx@h:6380"},
		{"redis-sentinel://:s3cret@s1:26379?master_name=main&addr=s2:26379", "redis-sentinel://:xxxxx@s1:26379?master_name=main&addr=s2:26379"},
		{"redis-sentinel://s1:26379/1?master_name=main&password=s3cret", "redis-sentinel://s1:26379/1?master_name=main&password=xxxxx"},
		{"a:7000, b:7001", "redis cluster a:7000,b:7001"},
	}
	for _, tc := range cases {
		c, desc, err := newClient(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		_ = c.Close()
		if desc != tc.desc {
			t.Errorf("%s: description %q, want %q", tc.url, desc, tc.desc)
		}
	}
}

package channels

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The worker sends up to twenty messages to one provider host at once; the
// provider clients' pool must keep those connections for the next burst
// instead of dialling again (net/http keeps two per host by default).
func TestProviderTransportKeepsConcurrentConnections(t *testing.T) {
	const senders = 20
	var dials atomic.Int64
	arrived := make(chan struct{}, senders)
	var release atomic.Pointer[chan struct{}] // closed when a burst is all in flight
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-*release.Load() // every request of a burst is in flight at once
		io.WriteString(w, `{"ok":true}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: providerTransport(), Timeout: 10 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)

	burst := func() {
		t.Helper()
		gate := make(chan struct{})
		release.Store(&gate)
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for range senders {
			wg.Go(func() {
				resp, err := hc.Get(srv.URL)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		for range senders {
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the burst's requests did not all reach the server")
			}
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	burst()
	if got := dials.Load(); got != senders {
		t.Fatalf("first burst opened %d connections, want %d", got, senders)
	}
	burst()
	if got := dials.Load() - senders; got != 0 {
		t.Errorf("second burst opened %d new connections, want 0: the pool dropped idle ones", got)
	}
}

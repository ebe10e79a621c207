package channels

import "net/http"

// providerIdleConns is how many idle connections to one provider host the
// pool keeps: above the worker's concurrency (20 sends at once) plus the
// webhooks' profile look-ups.
const providerIdleConns = 64

// providerTransport is the connection pool of the provider API clients.
// net/http keeps two idle connections per host by default, so with a
// worker sending twenty messages at once to one host, every send past the
// second dialled (and on the real APIs TLS-handshook) a connection and
// closed it afterwards.
func providerTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * providerIdleConns
	t.MaxIdleConnsPerHost = providerIdleConns
	return t
}

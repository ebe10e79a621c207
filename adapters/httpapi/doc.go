// Package httpapi is Switchboard's HTTP server: Echo with request ids,
// structured request logs, panic recovery, body limits, CORS for the
// widget, health and readiness probes, and the one table that maps core's
// sentinel errors to the contract's status codes and error bodies. The
// routes of the other HTTP adapters (widget, inbox, channel webhooks) are
// mounted on it by the composition root.
package httpapi

// Package httpapi is Switchboard's HTTP server: Echo with request ids,
// structured request logs, panic recovery, body limits, CORS for the
// widget, health and readiness probes, Prometheus metrics, and the one
// table that maps core's sentinel errors to the contract's status codes and
// error bodies. It also holds what the other HTTP adapters share: the
// channel webhook routes (/webhooks/{channel_id}, one Webhook per channel),
// the Server-Sent Events streams with replay (EventStreams), embedded
// static assets with ETags (ServeAsset), JSON binding, and the OpenAPI
// document served at /openapi.yaml, with RouteDrift to check it against
// the routes the server has. The routes of the widget and inbox adapters
// are mounted on it by the composition root.
package httpapi

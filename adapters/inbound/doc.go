// Package inbound is the channel-neutral half of receiving customer
// events, the part every channel shares, so that a channel package only
// verifies, parses and sends:
//
//   - Webhook (webhook.go) answers a provider's POST: it asks the
//     channel's Channel.Authenticate about the headers before reading a
//     byte, reads the body once (within a process-wide byte budget while
//     the sender is unproven, see Gate), has the channel verify and parse
//     it, and applies the events; it answers the verification GET too.
//   - Applier (apply.go) is the one apply loop and outcome policy, shared
//     by webhooks and Telegram's poller: a redelivered message is a
//     success, an event core refuses as invalid is logged and skipped, and
//     anything else (storage down) stops the body so the provider retries.
//
// Channels hand over core.InboundEvent values; outcomes are core's
// sentinel errors (and ErrTooLarge, ErrNoHandshake here), which httpapi's
// one error table turns into statuses. The package imports no web
// framework: httpapi mounts the Webhook on its routes.
package inbound

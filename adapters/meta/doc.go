// Package meta holds what the three Meta channels (WhatsApp Cloud API,
// Messenger and Instagram messaging) share:
//
//   - the GET verification handshake (hub.mode, hub.verify_token,
//     hub.challenge) and the X-Hub-Signature-256 check: its form before a
//     byte of the body is read, then hmac.Equal over the raw body bytes
//     before anything parses them;
//   - a Graph API client whose base URL is the channel's graph_url, with
//     timeouts, decoded Graph errors and the permanent/retryable split the
//     outbound queue needs;
//   - tolerant wire types (ids that arrive as numbers or strings, times in
//     seconds, milliseconds or ISO text);
//   - NewWebhook, the inbound.Channel of a Meta channel (those checks and
//     the channel's pure parser into core.InboundEvents), which
//     inbound.Webhook reads, verifies and applies to core;
//   - the Messenger Platform "messaging" shape that Messenger and Instagram
//     share (messaging[] and standby[] items).
//
// Tokens and secrets travel in headers only and never appear in errors.
package meta

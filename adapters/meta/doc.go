// Package meta holds what the three Meta channels (WhatsApp Cloud API,
// Messenger and Instagram messaging) share:
//
//   - the GET verification handshake (hub.mode, hub.verify_token,
//     hub.challenge) and the X-Hub-Signature-256 check, done with
//     hmac.Equal over the raw body bytes before anything parses them;
//   - a Graph API client whose base URL is the channel's graph_url, with
//     timeouts, decoded Graph errors and the permanent/retryable split the
//     outbound queue needs;
//   - tolerant wire types (ids that arrive as numbers or strings, times in
//     seconds, milliseconds or ISO text);
//   - the normalised Event a channel's pure normaliser produces, and the
//     Webhook that verifies a body, normalises it and applies every event
//     to core (Ingest, DeliveryStatus, EditInbound, RevokeInbound);
//   - the Messenger Platform "messaging" shape that Messenger and Instagram
//     share (messaging[] and standby[] items).
//
// Tokens and secrets travel in headers only and never appear in errors.
package meta

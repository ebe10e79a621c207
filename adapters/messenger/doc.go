// Package messenger is the Facebook Messenger channel (Messenger Platform,
// webhook object "page"): the webhook (X-Hub-Signature-256 over the raw
// bytes → normalise → core), the pure normaliser of messaging[] and
// standby[] events, customer names from the User Profile API, and the
// Sender on the Send API with the 24 h / 7 day (HUMAN_AGENT) windows.
// Customers are keyed by their page-scoped id (PSID); inbound messages are
// deduplicated on the mid.
package messenger

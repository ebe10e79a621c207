// Package instagram is the Instagram messaging channel (webhook object
// "instagram"): the webhook, verified with the Instagram app's own secret
// over the raw bytes; the pure normaliser of messaging[] and standby[]
// events (unsends revoke, story replies and mentions become readable
// text, reads name the message); customer names from the User Profile API
// (name, else username); and the Sender on the Send API with the 24 h /
// 7 day (HUMAN_AGENT) windows. Customers are keyed by their
// Instagram-scoped id (IGSID); inbound messages are deduplicated on the mid.
package instagram

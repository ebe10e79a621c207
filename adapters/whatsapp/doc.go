// Package whatsapp is the WhatsApp Cloud API channel: the webhook
// (verify the X-Hub-Signature-256 over the raw bytes → normalise →
// core), the pure normaliser from webhook bodies to core.InboundEvents, and the
// Sender that posts text messages to {graph_url}/{phone_number_id}/messages.
//
// Customers are keyed by wa_id (their phone number); a message from a
// user who hides their number carries only the business-scoped user id
// (BSUID), which is used instead. Inbound messages are deduplicated on the
// wamid.
package whatsapp

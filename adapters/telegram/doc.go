// Package telegram is the Telegram channel, on go-telegram-bot-api v5
// with the channel's api_url as the endpoint (api.telegram.org, a
// self-hosted Bot API server, or a test's fake).
//
//   - webhook.go: POST /webhooks/{id}, secret_token checked in constant
//     time before the body is read, then decode → normalise → core
//     (Handler, shared with polling, applies with inbound.Applier).
//   - payload.go: Decode, the library's Update first and a tolerant reading
//     when the library refuses valid JSON.
//   - normalize.go: Normalize, pure: an update → a core.InboundEvent (a
//     customer message with its file, an edit, or ignored with the reason).
//   - send.go: Sender, sendMessage with 429 and 403 handling.
//   - client.go: Client, the lazily built BotAPI; errors never contain the
//     token.
//   - run.go: RegisterWebhook (setWebhook at start) and Poller (getUpdates
//     with a Redis lock and offset, for mode: polling).
//
// docs/channels/telegram.md explains how to create the bot and configure the
// channel.
package telegram

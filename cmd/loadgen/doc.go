// Command loadgen drives a running Switchboard gateway over HTTP and
// measures it: signed WhatsApp and Messenger webhooks, Telegram updates
// and widget sessions and messages, at a fixed rate (open loop) or as fast
// as N senders can go (closed loop), with agents online who accept,
// reply and resolve. It runs its own fake provider (Graph API and Bot
// API) to receive the gateway's outbound sends.
//
// A run in two steps:
//
//	loadgen config -out switchboard-load.yaml -addr 127.0.0.1:8080 -provider-addr 127.0.0.1:9099 \
//	    [-database-url postgres://… -redis-url redis://…/11 -namespace lg -debug-addr 127.0.0.1:6060]
//	SWITCHBOARD_ADMIN_EMAIL=admin@example.com SWITCHBOARD_ADMIN_PASSWORD=… \
//	    switchboard --config switchboard-load.yaml &
//	loadgen -config switchboard-load.yaml -rate 1000 -duration 20s -agents 10 -handoff-share 0.1 \
//	    -admin-email admin@example.com -admin-password … -json report.json
//
// `loadgen config` writes a gateway configuration with a widget, a
// WhatsApp, a Messenger and a Telegram (webhook mode) channel whose
// graph_url and api_url point at the fake provider, generated secrets, the
// bot on with one handoff phrase ("talk to a person") and max_unanswered 0
// (only handoff phrases open requests), and agents that may hold 100
// chats. The run reads the channels, secrets, listen address and database
// back from the same file with the gateway's own config loader.
//
// Load: -rate N sends N messages/s on a fixed schedule, and each latency
// counts from the message's scheduled time, so a stalled gateway shows up
// as latency rather than as a slower sender (no coordinated omission);
// -max-inflight caps concurrent requests. -concurrency N runs N senders
// back to back instead. -mix sets the channel shares
// (whatsapp=60,messenger=20,telegram=10,widget=10); ordinary messages come
// from -customers returning customers; a -handoff-share of messages ask
// for a person, each from a new customer.
//
// Agents: with -agents N loadgen (as the admin) creates or updates
// loadgen-<n>@loadgen.test, logs each in, opens its /v1/events stream and
// sets it online. A request.created for one of the run's handoffs is
// timed ("webhook → request on agent stream", from the webhook's send
// time to the first stream that shows it) and accepted: by the first agent
// that sees it (-accept first) or by every offered agent at once (-accept
// race; the 409 already_accepted of the losers are counted, two winners
// would be a double accept and fail the run). The winner replies with a
// token, waits for the reply to reach the fake provider ("agent reply →
// provider send") and resolves the conversation.
//
// Idle streams: -streams N opens N event streams that only listen
// (-stream-kind visitor: a widget session each; agent: an idle agent's
// /v1/events; mixed: half each), holds them for the run and reports how
// many stayed open and the gateway's RSS with them open. With neither
// -rate nor -concurrency, loadgen only holds the streams for -duration.
//
// Exactly once: every message carries a token with the run id and its
// sequence number. After the run (and a drain of the handoffs) loadgen
// counts the stored customer messages per token in the gateway's database
// (-verify-db: a postgres:// URL, an SQLite file, "auto" to take it from
// the config, the default). Every acknowledged message (200 or 202) must
// be stored exactly once, and none twice; otherwise the exit status is 1.
// With -verify-db none it checks a random sample (-verify-sample) through
// history search as the admin and says so.
//
// Media: -media-share S makes that share of the WhatsApp, Telegram and
// Messenger messages (not handoffs, not widget messages) carry a file in
// the provider's own webhook shape: a WhatsApp image (media id, caption),
// a Telegram photo (two sizes) or voice note (caption), a Messenger file
// (a signed CDN URL, no text). The fake provider serves them as the
// providers do, refusing a wrong token or a tampered URL: the Graph media
// look-up and the download with the access token, getFile and
// /file/bot<token>/<path>, the CDN URL. The files are real (an 800×600
// JPEG of about 145 KB, a 5 s Ogg Opus voice note, a one-page PDF), each
// message's bytes its own. After the sending loadgen waits up to
// -media-wait for every media message's attachment to be ready in the
// database, and fails the run (exit 1) when one is missing, failed or
// still pending; the table and the JSON ("media_share", "media") give the
// attachments by status, the thumbnails, the provider's look-ups,
// downloads and bytes, and how long after the sending the last was ready.
// The gateway role runs no workers: something else (serve, or a worker)
// has to fetch the files.
//
// Ratios: absolute rates move several fold between machines of the same
// kind, so -ceiling first measures the database's single-row commit
// ceiling (-ceiling-conns connections, one INSERT per transaction, for
// -ceiling-duration; what pgbench -M prepared measures) and gives ingest ÷
// ceiling; -capacity (or -capacity-from, the JSON report of a closed-loop
// run) gives an open-loop -rate as a share of the closed-loop capacity.
// `loadgen ceiling` measures the ceiling alone.
//
// Output: a table with throughput, errors by kind and status, and count,
// mean, p50, p90, p99 and max of each measured path (webhook ingest, per
// channel and in all; widget session; webhook → request on agent stream;
// accept; agent reply → provider send; idle stream open), handoff and
// provider counts, and the gateway's RSS (start, peak, with streams, end)
// and CPU time read from its /metrics; -json writes the same as JSON.
// Latencies are kept in log-linear histograms (exact below 256 µs, within
// 1/128 above), so memory stays fixed however long a run lasts.
//
// Exit status: 0 when the checks pass, 1 when a message was lost or
// duplicated, a request accepted twice or an attachment not ready, 2 for bad flags, 3 when the run
// could not be done.
package main

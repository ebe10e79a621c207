// Package core holds Switchboard's domain: the objects of the HTTP contract
// (agents, customers, conversations, connection requests, messages), their
// state machines, the bot, the offer rules, and the Service whose methods are
// the use cases. Core declares the ports it needs (Store, Jobs, Events,
// Sender, in ports.go and events.go) and imports no transport, queue, SQL
// or YAML library: adapters plug into it.
//
// Each use case has a file of its name:
//
//	ingest.go, ingest_group.go  a customer message comes in (Ingest), alone or in a group commit
//	bot_turn.go                 the bot's turn on it (RunBot, RunBots: conv:bot)
//	requests.go, offers.go      connection requests: open, accept, decline; route, escalate, reroute
//	conversations.go            the inbox: history, agent replies, resolve, reassign
//	deliver.go                  outbound messages to the channel's Sender (Deliver: msg:deliver)
//	callbacks.go                what providers report back: delivery statuses, read watermarks, edits
//	visitor.go                  the widget visitor's session, messages, handoff and page
//	agents.go, auth_cache.go    agents, login and tokens
//	sweep.go, housekeeping.go   the sweeper (Sweep: maintenance:sweep) and what it tidies up
//	stats.go, reports.go        the stats endpoint, the shift report and follow-ups
//	after.go                    what a use case does once its transaction committed
//
// and the pure parts beside them: routing.go (Decide), knowledge.go and
// bot.go (the bot's matching), search.go (ParseSearch), inbound.go (the
// InboundEvent every channel's parser produces, ClipText), media_io.go
// (how channels fetch and send files: MediaFetcher, MediaLimits,
// OutboundFile), model.go,
// settings.go, errors.go, input.go.
//
// A port method that queues work says so (Jobs.QueueBot, QueueRoute,
// QueueDelivery, ScheduleEscalation, …); the Service method that does the
// work has the use case's name (Service.RunBot, Route, Deliver, Escalate).
package core

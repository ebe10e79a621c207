// Package core holds Switchboard's domain: the objects of the HTTP contract
// (agents, customers, conversations, connection requests, messages), their
// state machines, the bot, the offer rules, and the Service whose methods are
// the use cases. Core declares the ports it needs (Store, Jobs, Senders) and
// imports no transport, queue, SQL or YAML library: adapters plug into it.
package core

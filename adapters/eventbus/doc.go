// Package eventbus fans events out to the agents' and visitors' event
// streams. A stream is an audience ("agent:<id>", "visitor:<id>"); each
// keeps its recent events so a client that reconnects with Last-Event-ID
// gets what it missed. Memory is the in-process hub of the embedded
// default; Redis carries events between gateway instances over one pub/sub
// subscription per process and keeps the recent events in capped Redis
// streams.
package eventbus

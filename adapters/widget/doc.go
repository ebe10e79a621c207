// Package widget serves the visitor side of the website chat widget: the
// session, message, handoff, page and poll endpoints of the contract, and
// the widget channel's Sender.
package widget

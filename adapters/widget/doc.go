// Package widget serves the visitor side of the website chat widget: the
// session, message, handoff, page and poll endpoints of the contract, the
// visitor's event stream (/v1/widget/events), the embeddable widget.js and
// the demo shop page (web/, embedded in the binary), and the widget
// channel's Sender, which has nothing to transmit: a stored message reaches
// the visitor through the poll and the stream.
package widget

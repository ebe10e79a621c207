// Package inbox serves the agent side of the contract: login, the agent's
// own status, the request panel (accept, decline), conversations (read,
// reply, resolve, reassign, history search), templates, stats, and the
// admin routes for agents and config reload.
package inbox

// Package inbox serves the agent side of the contract: login, the agent's
// own status, the request panel (accept, decline), conversations (read,
// reply, resolve, reassign, history search), templates, stats, the shift
// report and its follow-up, the agent's event stream (/v1/events), the
// admin routes for agents and config reload, the inbox web page (web/,
// embedded in the binary), and Asynq's monitoring UI at /admin/queues for
// admins (QueueUI).
package inbox

//go:generate go test -run ^TestGeneratedAssets$ -update .

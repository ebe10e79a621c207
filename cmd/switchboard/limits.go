package main

import (
	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/adapters/inbox"
	"github.com/switchboard-chat/switchboard/adapters/ratelimit"
	"github.com/switchboard-chat/switchboard/adapters/widget"
	"github.com/switchboard-chat/switchboard/config"
)

// limiter keeps the abuse limits' counts in the deployment's Redis, so
// every gateway shares them.
func (a *app) limiter() *ratelimit.Limiter {
	prefix := "sb:limit:"
	if ns := a.cfg.Redis.Namespace; ns != "" {
		prefix = ns + ":" + prefix
	}
	return ratelimit.New(a.conn.Client(), prefix)
}

func rate(r config.Rate) ratelimit.Rate { return ratelimit.Rate{Count: r.Count, Per: r.Per} }

// loginLimits is limits.login.
func (a *app) loginLimits(l *ratelimit.Limiter) *ratelimit.Logins {
	c := a.cfg.Limits.Login
	return l.Logins(ratelimit.LoginLimits{PerEmailAndAddress: rate(c.PerEmailAndAddress), PerAddress: rate(c.PerAddress),
		PerEmail: rate(c.PerEmail), MaxDelay: c.MaxDelay})
}

// searchLimits is limits.search.
func (a *app) searchLimits() inbox.SearchLimits {
	s := a.cfg.Limits.Search
	return inbox.SearchLimits{PerAgent: s.PerAgent, Concurrent: a.cfg.SearchConcurrency(), Wait: s.Timeout}
}

// widgetLimits is limits.widget.
func (a *app) widgetLimits(l *ratelimit.Limiter) widget.Limits {
	w := a.cfg.Limits.Widget
	return widget.Limits{
		SessionsByAddress:    l.Rule("widget-sessions-address", rate(w.SessionsPerAddress)),
		MessagesByVisitor:    l.Rule("widget-messages-visitor", rate(w.MessagesPerVisitor)),
		MessagesByAddress:    l.Rule("widget-messages-address", rate(w.MessagesPerAddress)),
		HandoffsByVisitor:    l.Rule("widget-handoffs-visitor", rate(w.HandoffsPerVisitor)),
		HandoffsByAddress:    l.Rule("widget-handoffs-address", rate(w.HandoffsPerAddress)),
		PageUpdatesByVisitor: l.Rule("widget-pages-visitor", rate(w.PageUpdatesPerVisitor)),
		PageUpdatesByAddress: l.Rule("widget-pages-address", rate(w.PageUpdatesPerAddress)),
		TypingByVisitor:      l.Rule("widget-typing-visitor", rate(w.TypingPerVisitor)),
		TypingByAddress:      l.Rule("widget-typing-address", rate(w.TypingPerAddress)),
		ReadsByVisitor:       l.Rule("widget-reads-visitor", rate(w.ReadsPerVisitor)),
		ReadsByAddress:       l.Rule("widget-reads-address", rate(w.ReadsPerAddress)),
		StreamsPerVisitor:    w.StreamsPerVisitor,
	}
}

// metricsAccess is server.metrics for the server on server.addr (the
// debug listener always serves /metrics).
func metricsAccess(s config.Server) (httpapi.MetricsAccess, string) {
	switch s.Metrics {
	case config.MetricsPublic:
		return httpapi.MetricsPublic, ""
	case config.MetricsToken:
		return httpapi.MetricsBearer, s.MetricsToken.Value()
	}
	return httpapi.MetricsOff, ""
}

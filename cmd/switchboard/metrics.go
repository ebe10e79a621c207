package main

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-chat/switchboard/adapters/httpapi"
	"github.com/switchboard-chat/switchboard/core"
	"github.com/switchboard-chat/switchboard/queue"
)

// meteredSender counts a channel's send outcomes.
type meteredSender struct {
	channel string
	inner   core.Sender
	m       *httpapi.Metrics
}

func (s meteredSender) Send(ctx context.Context, o core.Outbound) (string, error) {
	id, err := s.inner.Send(ctx, o)
	var de *core.DeliveryError
	outcome := "sent"
	switch {
	case errors.As(err, &de) && de.Permanent:
		outcome = "failed"
	case err != nil:
		outcome = "retry"
	}
	s.m.Deliveries.WithLabelValues(s.channel, outcome).Inc()
	return id, err
}

// stateCollector reports, at scrape time, what the database and the queue
// hold: open requests, active conversations, agents online, queued tasks.
type stateCollector struct {
	svc     *core.Service
	queues  *queue.Inspector
	waiting *prometheus.Desc
	active  *prometheus.Desc
	online  *prometheus.Desc
	tasks   *prometheus.Desc
	up      *prometheus.Desc
}

func newStateCollector(svc *core.Service, queues *queue.Inspector) *stateCollector {
	return &stateCollector{
		svc:     svc,
		queues:  queues,
		waiting: prometheus.NewDesc("switchboard_requests", "Open connection requests, by status (waiting, declined).", []string{"status"}, nil),
		active:  prometheus.NewDesc("switchboard_conversations_active", "Conversations an agent is handling.", nil, nil),
		online:  prometheus.NewDesc("switchboard_agents_online", "Agents online.", nil, nil),
		tasks:   prometheus.NewDesc("switchboard_queue_tasks", "Asynq tasks by queue and state.", []string{"queue", "state"}, nil),
		up:      prometheus.NewDesc("switchboard_state_scrape_ok", "1 when the database and queue answered this scrape.", []string{"source"}, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.waiting, c.active, c.online, c.tasks, c.up} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ok := func(err error) float64 {
		if err != nil {
			return 0
		}
		return 1
	}
	st, err := c.svc.Stats(ctx)
	if err == nil {
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(st.Waiting), "waiting")
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(st.Declined), "declined")
		ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(st.Active))
		ch <- prometheus.MustNewConstMetric(c.online, prometheus.GaugeValue, float64(st.AgentsOnline))
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, ok(err), "database")
	sizes, qerr := c.queues.Sizes()
	for name, s := range sizes {
		for state, n := range map[string]int{"pending": s.Pending, "active": s.Active, "scheduled": s.Scheduled,
			"retry": s.Retry, "archived": s.Archived} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), name, state)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, ok(qerr), "queue")
}

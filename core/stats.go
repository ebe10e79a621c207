package core

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// Stats is GET /v1/stats.
type Stats struct {
	Active                   int         `json:"active"`
	Pending                  int         `json:"pending"`
	Waiting                  int         `json:"waiting"`
	Declined                 int         `json:"declined"`
	ResolvedTotal            int         `json:"resolved_total"`
	ResolvedToday            int         `json:"resolved_today"`
	AgentsOnline             int         `json:"agents_online"`
	PerAgent                 []AgentLoad `json:"per_agent"`
	MedianWaitSeconds        float64     `json:"median_wait_seconds"`
	MedianFirstResponse      float64     `json:"median_first_response_seconds"`
	FirstResponseWithin2mPct float64     `json:"first_response_within_2m_pct"`
	Reading                  Reading     `json:"reading"`
	ResolvedByWeek           []WeekCount `json:"resolved_by_week"`
}

// AgentLoad is one agent's line in Stats.
type AgentLoad struct {
	AgentID  string `json:"agent_id"`
	Name     string `json:"name"`
	Online   bool   `json:"online"`
	Active   int    `json:"active"`
	MaxChats int    `json:"max_chats"`
}

// Reading is the one-line verdict on how the team is doing.
type Reading struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Stats computes the team's figures. Waits and first responses cover the
// last 7 days.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	d, err := s.store.StatsData(ctx, s.clock())
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	agents, err := s.store.ListAgents(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("stats: list agents: %w", err)
	}
	st := Stats{Active: d.Active, Waiting: d.Waiting, Declined: d.Declined, Pending: d.Waiting + d.Declined,
		ResolvedTotal: d.ResolvedTotal, ResolvedToday: d.ResolvedDay, PerAgent: []AgentLoad{},
		ResolvedByWeek: d.ResolvedByWeek}
	if st.ResolvedByWeek == nil {
		st.ResolvedByWeek = []WeekCount{}
	}
	capacity := 0
	for _, a := range agents {
		st.PerAgent = append(st.PerAgent, AgentLoad{AgentID: a.ID, Name: a.Name, Online: a.Online, Active: a.ActiveChats, MaxChats: a.MaxChats})
		if a.Online {
			st.AgentsOnline++
			capacity += a.MaxChats
		}
	}
	st.MedianWaitSeconds = median(d.WaitSeconds)
	st.MedianFirstResponse = median(d.FirstResponseSeconds)
	if n := len(d.FirstResponseSeconds); n > 0 {
		within := 0
		for _, v := range d.FirstResponseSeconds {
			if v <= 120 {
				within++
			}
		}
		st.FirstResponseWithin2mPct = math.Round(1000*float64(within)/float64(n)) / 10
	}
	st.Reading = ReadingOf(s.set().Reading, st.Active, st.Pending, st.ResolvedToday, st.AgentsOnline, capacity)
	return st, nil
}

// ReadingOf turns the three loads into a verdict (high active and high
// pending read as peak demand whatever was resolved). Active is high when it
// fills at least t.ActiveHigh of the online capacity; pending is high when
// there are more than t.PendingHigh open requests per online agent (one
// agent counted at least); resolved is high from t.ResolvedHigh a day.
func ReadingOf(t ReadingThresholds, active, pending, resolvedToday, online, capacity int) Reading {
	activeHigh := active > 0 && float64(active) >= t.ActiveHigh*float64(max(capacity, 1))
	pendingHigh := float64(pending) > t.PendingHigh*float64(max(online, 1))
	resolvedHigh := resolvedToday >= t.ResolvedHigh
	switch {
	case activeHigh && pendingHigh: // busy and still queueing: demand outruns the team
		return Reading{"peak_demand", "Peak demand: agents are busy and customers are queueing. Bring in more agents if you can."}
	case pendingHigh && !activeHigh:
		return Reading{"understaffed", "Understaffed: customers are waiting while agents have room. Get more agents online or accepting."}
	case activeHigh && !pendingHigh:
		return Reading{"at_capacity", "At capacity: agents are near their chat limits but the queue is short."}
	case resolvedHigh && !activeHigh && !pendingHigh:
		return Reading{"efficient", "Efficient: many conversations resolved and nobody is waiting long."}
	}
	return Reading{"normal", "Normal: load and queue are within the usual range."}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	m := len(c) / 2
	if len(c)%2 == 1 {
		return math.Round(c[m]*10) / 10
	}
	return math.Round((c[m-1]+c[m])*5) / 10
}

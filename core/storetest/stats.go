package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/core"
)

func testStats(t *testing.T, f *fx) {
	now := t0 // a Wednesday, 15:04 UTC
	a := f.agent(nil)
	cu := f.customer("web", "Dana")
	conv := func(st core.ConversationStatus, agent string, resolved time.Time) core.Conversation {
		return f.conversation(cu, func(c *core.Conversation) { c.Status, c.AgentID, c.ResolvedAt = st, agent, resolved })
	}
	conv(core.ConvActive, a.ID, time.Time{})
	conv(core.ConvActive, a.ID, time.Time{})
	conv(core.ConvResolved, a.ID, now.Add(-time.Hour))                          // today
	conv(core.ConvResolved, a.ID, now.Add(-16*time.Hour))                       // yesterday, same ISO week
	conv(core.ConvResolved, a.ID, now.Add(-3*7*24*time.Hour))                   // three weeks ago
	conv(core.ConvResolved, a.ID, now.Add(-20*7*24*time.Hour))                  // outside the 12 weeks
	conv(core.ConvResolved, "", now.Add(-time.Hour))                            // bot-only housekeeping: not counted
	conv(core.ConvResolved, a.ID, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)) // today, at midnight

	req := func(st core.RequestStatus, created, accepted time.Time) core.Request {
		return f.request(conv(core.ConvBot, "", time.Time{}), func(r *core.Request) {
			r.Status, r.CreatedAt = st, created
			if !accepted.IsZero() {
				r.AcceptedBy, r.AcceptedAt = a.ID, accepted
			}
		})
	}
	req(core.ReqWaiting, now, time.Time{})
	req(core.ReqWaiting, now, time.Time{})
	req(core.ReqDeclined, now, time.Time{})
	acc1 := now.Add(-24 * time.Hour)
	r1 := req(core.ReqAccepted, acc1.Add(-30*time.Second), acc1)
	acc2 := now.Add(-48 * time.Hour)
	req(core.ReqResolved, acc2.Add(-90*time.Second), acc2) // accepted, never answered
	acc3 := now.Add(-8 * 24 * time.Hour)
	r3 := req(core.ReqAccepted, acc3.Add(-10*time.Second), acc3) // too old
	c1, err := f.s.ConversationByID(f.ctx, r1.ConversationID)
	ok(t, "read", err)
	f.message(c1, core.AuthorSystem, "Agent joined", func(m *core.Message) { m.CreatedAt = acc1 })
	f.message(c1, core.AuthorCustomer, "hello?", func(m *core.Message) { m.CreatedAt = acc1.Add(10 * time.Second) })
	f.message(c1, core.AuthorAgent, "Hi!", func(m *core.Message) { m.CreatedAt = acc1.Add(45 * time.Second); m.AgentID = a.ID })
	f.message(c1, core.AuthorAgent, "More", func(m *core.Message) { m.CreatedAt = acc1.Add(100 * time.Second); m.AgentID = a.ID })
	c3, err := f.s.ConversationByID(f.ctx, r3.ConversationID)
	ok(t, "read", err)
	f.message(c3, core.AuthorAgent, "late", func(m *core.Message) { m.CreatedAt = acc3.Add(5 * time.Second); m.AgentID = a.ID })

	d, err := f.s.StatsData(f.ctx, now)
	ok(t, "stats", err)
	if d.Active != 2 || d.Waiting != 2 || d.Declined != 1 {
		t.Errorf("active %d waiting %d declined %d; want 2 2 1", d.Active, d.Waiting, d.Declined)
	}
	if d.ResolvedTotal != 6 || d.ResolvedDay != 3 {
		t.Errorf("resolved total %d today %d; want 6 3", d.ResolvedTotal, d.ResolvedDay)
	}
	equal(t, "waits", slices.Sorted(slices.Values(d.WaitSeconds)), []float64{30, 90})
	equal(t, "first responses", d.FirstResponseSeconds, []float64{45})

	var want []core.WeekCount
	for i := 11; i >= 0; i-- {
		y, w := now.AddDate(0, 0, -7*i).ISOWeek()
		want = append(want, core.WeekCount{Week: fmt.Sprintf("%d-W%02d", y, w)})
	}
	want[11].Resolved = 4 // today three times, yesterday
	want[8].Resolved = 1  // three weeks ago
	equal(t, "resolved by week", d.ResolvedByWeek, want)
	if want[11].Week != "2026-W11" {
		t.Errorf("this week is %s", want[11].Week)
	}

	// A conversation resolved since is counted by the next call, in total
	// and today.
	conv(core.ConvResolved, a.ID, now.Add(-time.Minute))
	d, err = f.s.StatsData(f.ctx, now)
	ok(t, "stats again", err)
	if d.ResolvedTotal != 7 || d.ResolvedDay != 4 || d.ResolvedByWeek[11].Resolved != 5 {
		t.Errorf("after one more resolve: total %d today %d this week %d; want 7 4 5", d.ResolvedTotal, d.ResolvedDay, d.ResolvedByWeek[11].Resolved)
	}

	// Sunday evening belongs to the week that started on Monday.
	sunday := time.Date(2026, 3, 15, 23, 0, 0, 0, time.UTC)
	d, err = f.s.StatsData(f.ctx, sunday)
	ok(t, "stats on sunday", err)
	if n := len(d.ResolvedByWeek); n != 12 || d.ResolvedByWeek[11].Week != "2026-W11" || d.ResolvedByWeek[11].Resolved != 5 || d.ResolvedTotal != 7 {
		t.Errorf("on sunday: %+v", d.ResolvedByWeek)
	}
	if d.ResolvedDay != 0 {
		t.Errorf("resolved on sunday: %d", d.ResolvedDay)
	}
}

var errBoom = errors.New("boom")

func testAtomic(t *testing.T, f *fx) {
	ctx, s := f.ctx, f.s
	cu := core.Customer{ID: core.NewID(), ChannelID: "web", ChannelUserID: "u", CreatedAt: t0}
	err := s.Atomic(ctx, func(tx core.Tx) error {
		ok(t, "create in tx", tx.CreateCustomer(ctx, cu))
		got, err := tx.CustomerByID(ctx, cu.ID)
		ok(t, "read own write", err)
		equal(t, "own write", got, cu)
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	isErr(t, "Atomic returns fn's error", err, errBoom)
	_, err = s.CustomerByID(ctx, cu.ID)
	isErr(t, "rolled back", err, core.ErrNotFound)

	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("panic not propagated")
			}
		}()
		_ = s.Atomic(ctx, func(tx core.Tx) error {
			ok(t, "create in tx", tx.CreateCustomer(ctx, cu))
			panic("boom")
		})
	}()
	_, err = s.CustomerByID(ctx, cu.ID)
	isErr(t, "rolled back after a panic", err, core.ErrNotFound)

	// A failed statement inside fn, returned, rolls back the rest too.
	a := f.agent(nil)
	err = s.Atomic(ctx, func(tx core.Tx) error {
		ok(t, "create", tx.CreateCustomer(ctx, cu))
		dup := a
		dup.ID = core.NewID()
		return tx.CreateAgent(ctx, dup)
	})
	isErr(t, "duplicate in tx", err, core.ErrDuplicate)
	_, err = s.CustomerByID(ctx, cu.ID)
	isErr(t, "rolled back after a failed statement", err, core.ErrNotFound)

	ok(t, "commit", s.Atomic(ctx, func(tx core.Tx) error { return tx.CreateCustomer(ctx, cu) }))
	got, err := s.CustomerByID(ctx, cu.ID)
	ok(t, "committed", err)
	equal(t, "committed customer", got, cu)
	ok(t, "ping", s.Ping(ctx))
}

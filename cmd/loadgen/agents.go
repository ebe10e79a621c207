package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// agentAccount is one agent loadgen logs in as.
type agentAccount struct {
	idx   int
	id    string
	email string
	token string
}

const agentEmailDomain = "@loadgen.test"

// adminLogin logs in as the admin.
func adminLogin(ctx context.Context, a *api, email, password string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	if _, err := a.call(ctx, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": email, "password": password}, &out); err != nil {
		return "", fmt.Errorf("admin login as %s: %w", email, err)
	}
	return out.Token, nil
}

// ensureAgents creates the agents loadgen-<prefix><i>@loadgen.test (or
// resets the password and capacity of the ones that exist) and logs each
// in.
func ensureAgents(ctx context.Context, a *api, adminToken, prefix string, n, maxChats int, password string) ([]*agentAccount, error) {
	var list struct {
		Agents []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"agents"`
	}
	if _, err := a.call(ctx, http.MethodGet, "/v1/admin/agents", adminToken, nil, &list); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	known := map[string]string{}
	for _, ag := range list.Agents {
		known[ag.Email] = ag.ID
	}
	out := make([]*agentAccount, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	gctx := ctx
	for i := range n {
		acc := &agentAccount{idx: i, email: "loadgen-" + prefix + strconv.Itoa(i) + agentEmailDomain}
		out[i] = acc
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = func() error {
				body := map[string]any{"password": password, "max_chats": maxChats}
				if id, ok := known[acc.email]; ok {
					if _, err := a.call(gctx, http.MethodPatch, "/v1/admin/agents/"+id, adminToken, body, nil); err != nil {
						return fmt.Errorf("update agent %s: %w", acc.email, err)
					}
				} else {
					body["email"], body["name"] = acc.email, "Load Agent "+prefix+strconv.Itoa(i)
					if _, err := a.call(gctx, http.MethodPost, "/v1/admin/agents", adminToken, body, nil); err != nil {
						return fmt.Errorf("create agent %s: %w", acc.email, err)
					}
				}
				var login struct {
					Token string `json:"token"`
					Agent struct {
						ID string `json:"id"`
					} `json:"agent"`
				}
				if _, err := a.call(gctx, http.MethodPost, "/v1/auth/login", "", map[string]string{"email": acc.email, "password": password}, &login); err != nil {
					return fmt.Errorf("log in as %s: %w", acc.email, err)
				}
				acc.token, acc.id = login.Token, login.Agent.ID
				return nil
			}()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// setOnline sets an agent's status.
func setOnline(ctx context.Context, a *api, token string, online bool) error {
	_, err := a.call(ctx, http.MethodPut, "/v1/me/status", token, map[string]bool{"online": online}, nil)
	return err
}

// handoff is one message that asks for a person, followed through the
// gateway: on an agent's stream, accepted, answered and delivered.
type handoff struct {
	seq     int64
	kind    string
	sentAt  time.Time // scheduled send time
	seen    atomic.Bool
	claimed atomic.Bool // first-policy: an agent took it on
	winner  atomic.Int64
	replyAt atomic.Int64 // unix nanos when the reply POST started
	sent    atomic.Bool  // the reply reached the provider
	done    chan struct{}
}

// requestEvent is the part of a Request loadgen reads.
type requestEvent struct {
	ID             string `json:"id"`
	InitialMessage string `json:"initial_message"`
	OfferedToMe    *bool  `json:"offered_to_me"`
	Customer       struct {
		ChannelUserID string `json:"channel_user_id"`
	} `json:"customer"`
}

// Accept policies.
const (
	acceptFirst = "first" // the first agent whose stream shows the request accepts it
	acceptRace  = "race"  // every agent offered the request tries (contested accepts)
)

// agentLoop follows one agent's stream until ctx ends: each matching
// request.created is timed and, by the accept policy, accepted, answered
// and resolved.
func (r *runner) agentLoop(ctx context.Context, acc *agentAccount, read func(func(sseEvent)) error, wg *sync.WaitGroup) {
	defer wg.Done()
	err := read(func(ev sseEvent) {
		if ev.Type != "request.created" {
			return
		}
		now := time.Now()
		var req requestEvent
		if err := json.Unmarshal(ev.Data, &req); err != nil {
			r.count("stream: undecodable request.created")
			return
		}
		r.requestEvents.Add(1)
		kind, seq, ok := r.ids.parseToken(req.InitialMessage)
		if !ok || kind != 'n' {
			return // not this run's
		}
		v, ok := r.handoffs.Load(seq)
		if !ok {
			r.count("stream: request for an unknown handoff")
			return
		}
		h := v.(*handoff)
		if h.seen.CompareAndSwap(false, true) {
			r.hStream.Record(now.Sub(h.sentAt))
		}
		if req.OfferedToMe != nil && !*req.OfferedToMe {
			return
		}
		if r.opt.acceptPolicy == acceptFirst && !h.claimed.CompareAndSwap(false, true) {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.takeOn(context.WithoutCancel(ctx), acc, h, req.ID, 0)
		}()
	})
	if err != nil && ctx.Err() == nil {
		r.count("stream: agent stream ended: " + err.Error())
	}
}

// takeOn accepts request reqID for handoff h, replies with the reply
// token, waits for the provider to receive the reply, and resolves. Under
// the first policy an agent that cannot take it (at capacity, offline,
// not offered) hands it to the next agent; tries counts the agents that
// tried before.
func (r *runner) takeOn(ctx context.Context, acc *agentAccount, h *handoff, reqID string, tries int) {
	var out struct {
		Conversation struct {
			ID string `json:"id"`
		} `json:"conversation"`
	}
	start := time.Now()
	_, err := r.api.call(ctx, http.MethodPost, "/v1/requests/"+reqID+"/accept", acc.token, nil, &out)
	took := time.Since(start)
	r.hAccept.Record(took)
	var ae *apiError
	switch {
	case err == nil:
		r.hAcceptWon.Record(took)
		r.acceptWon.Add(1)
		if !h.winner.CompareAndSwap(0, int64(acc.idx)+1) {
			r.doubleAccepts.Add(1)
		}
	case errors.As(err, &ae) && (ae.Code == "already_accepted" || ae.Code == "invalid_transition"):
		// Lost the race: taken by another agent (and perhaps resolved already).
		r.hAcceptLost.Record(took)
		r.acceptLost.Add(1)
		return
	case errors.As(err, &ae):
		r.count(fmt.Sprintf("accept: %d %s", ae.Status, ae.Code))
		passOn := ae.Code == "at_capacity" || ae.Code == "agent_offline" || ae.Code == "not_offered"
		if r.opt.acceptPolicy == acceptFirst && passOn && tries+1 < len(r.agents) {
			r.takeOn(ctx, r.agents[(acc.idx+1)%len(r.agents)], h, reqID, tries+1)
		}
		return
	default:
		r.count("accept: transport error")
		return
	}
	conv := out.Conversation.ID
	text := "Thanks for waiting, this is your reply " + r.ids.replyToken(h.seq)
	h.replyAt.Store(time.Now().UnixNano())
	if _, err := r.api.call(ctx, http.MethodPost, "/v1/conversations/"+conv+"/messages", acc.token, map[string]string{"text": text}, nil); err != nil {
		h.replyAt.Store(0)
		r.count("reply: " + errText(err))
	} else {
		r.replies.Add(1)
		if h.kind != kindWidget {
			select {
			case <-h.done:
			case <-time.After(r.opt.replyWait):
				r.count("reply: not at the provider within " + r.opt.replyWait.String())
			}
		}
	}
	if _, err := r.api.call(ctx, http.MethodPost, "/v1/conversations/"+conv+"/resolve", acc.token, nil, nil); err != nil {
		r.count("resolve: " + errText(err))
	} else {
		r.resolved.Add(1)
	}
}

func errText(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return strconv.Itoa(ae.Status) + " " + ae.Code
	}
	return "transport error"
}

// onProviderSend matches an outbound text with the reply it carries.
func (r *runner) onProviderSend(channel, text string, at time.Time) {
	kind, seq, ok := r.ids.parseToken(text)
	if !ok || kind != 'r' {
		r.botSends.Add(1)
		return
	}
	v, ok := r.handoffs.Load(seq)
	if !ok {
		r.count("provider: reply to an unknown handoff")
		return
	}
	h := v.(*handoff)
	if !h.sent.CompareAndSwap(false, true) {
		r.count("provider: reply sent twice")
		return
	}
	if started := h.replyAt.Load(); started > 0 {
		r.hReply.Record(at.Sub(time.Unix(0, started)))
	}
	close(h.done)
}

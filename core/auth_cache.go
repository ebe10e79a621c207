package core

import (
	"sync"
	"time"
)

// AuthCacheTTL is how long an agent token's check is remembered: an
// agent's calls within it cost one read, not one each (a panel where
// twenty agents click Accept at once costs twenty reads a second, not
// twenty per request). A logout or a change of the agent in this process
// takes effect at once; in another process, within AuthCacheTTL.
const AuthCacheTTL = time.Second

// authCacheMax bounds the entries: past it, expired ones are dropped, and
// a new one is not kept while it is still full.
const authCacheMax = 10000

// authCache remembers AgentByToken's answers by token hash. Only tokens
// that passed are kept, with their expiry, which every hit checks again.
type authCache struct {
	mu sync.Mutex
	m  map[string]authEntry
}

type authEntry struct {
	agent   Agent
	expires time.Time // the token's own expiry
	until   time.Time // when the entry must be read again
}

// get returns the agent of a token hash remembered at now.
func (c *authCache) get(hash string, now time.Time) (Agent, time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return Agent{}, time.Time{}, false
	}
	return e.agent, e.expires, true
}

// put remembers a token hash's agent from now.
func (c *authCache) put(hash string, a Agent, expires, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]authEntry{}
	}
	if len(c.m) >= authCacheMax {
		for h, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, h)
			}
		}
		if len(c.m) >= authCacheMax {
			return
		}
	}
	c.m[hash] = authEntry{agent: a, expires: expires, until: now.Add(AuthCacheTTL)}
}

// forgetToken drops a token hash.
func (c *authCache) forgetToken(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

// forgetAgent drops every token of an agent.
func (c *authCache) forgetAgent(agentID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.agent.ID == agentID {
			delete(c.m, h)
		}
	}
}

// Switchboard agent inbox: one page, no build step, no framework.
//
// Everything a customer or another agent wrote reaches the page as data and
// is put on screen with textContent or attribute values only; the markup
// pieces are <template>s in index.html, cloned and filled in here.
(() => {
  'use strict';

  const TOKEN_KEY = 'switchboard.inbox.token';
  // The panel colours waits like the server's SLA (sla.amber_after and
  // sla.red_after, 2 and 5 minutes by default); a more severe wait_level
  // from the server wins.
  const AMBER_AFTER = 120;
  const RED_AFTER = 300;
  const LEVEL_RANK = { normal: 0, amber: 1, red: 2 };
  const STATS_EVERY_MS = 15000;
  // The channel types of this build, with their names and icons: generated
  // from adapters/channels (go generate ./adapters/channels), and a test
  // fails when they differ. An unknown type shows the plain icon.
  // BEGIN CHANNEL_TYPES
  const CHANNEL_TYPES = {
    "widget": { name: "Website widget", icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjMmY1YmVhIiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHBhdGggZD0iTTQgNWgxNnYxMUg5bC01IDR6Ii8+PHBhdGggZD0iTTggOWg4TTggMTJoNSIvPjwvc3ZnPg==" },
    "whatsapp": { name: "WhatsApp", icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjMTZhMzRhIiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHBhdGggZD0iTTQgMjBsMS4zLTRBOCA4IDAgMSAxIDguNSAxOXoiLz48cGF0aCBkPSJNOSA5LjVjMCAzIDIuNSA1LjUgNS41IDUuNWwxLTEuNS0yLTEtMSAxYy0xLS41LTItMS41LTIuNS0yLjVsMS0xLTEtMnoiLz48L3N2Zz4=" },
    "messenger": { name: "Messenger", icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjMDg2NmZmIiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHBhdGggZD0iTTEyIDNjNSAwIDkgMy42IDkgOC4zUzE3IDE5LjUgMTIgMTkuNWMtMSAwLTItLjEtMi44LS40TDUgMjF2LTMuNkMzLjggMTUuOSAzIDE0IDMgMTEuMyAzIDYuNiA3IDMgMTIgM3oiLz48cGF0aCBkPSJNNy41IDEzLjVsMy0zIDIuNSAyIDMuNS0zIi8+PC9zdmc+" },
    "instagram": { name: "Instagram", icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjYzAyNmQzIiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHJlY3QgeD0iMy41IiB5PSIzLjUiIHdpZHRoPSIxNyIgaGVpZ2h0PSIxNyIgcng9IjUiLz48Y2lyY2xlIGN4PSIxMiIgY3k9IjEyIiByPSI0Ii8+PHBhdGggZD0iTTE3IDdoLjAxIi8+PC9zdmc+" },
    "telegram": { name: "Telegram", icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIgZmlsbD0ibm9uZSIgc3Ryb2tlPSIjMGVhNWU5IiBzdHJva2Utd2lkdGg9IjIiIHN0cm9rZS1saW5lY2FwPSJyb3VuZCIgc3Ryb2tlLWxpbmVqb2luPSJyb3VuZCI+PHBhdGggZD0iTTIxIDRMMyAxMWw2IDIgMiA2IDMtNCA1IDR6Ii8+PHBhdGggZD0iTTkgMTNsOC02Ii8+PC9zdmc+" },
  };
  // END CHANNEL_TYPES
  const DELIVERY = {
    queued: { mark: '◷', label: 'Queued' },
    sent: { mark: '✓', label: 'Sent' },
    delivered: { mark: '✓✓', label: 'Delivered' },
    read: { mark: '✓✓', label: 'Read' },
    failed: { mark: '⚠', label: 'Not delivered' },
  };
  // Accept errors after which the request is gone for this agent.
  const ACCEPT_GONE = new Set(['already_accepted', 'not_offered', 'not_found', 'invalid_transition']);

  const S = {
    token: null,
    me: null,
    es: null,
    esRetry: 0,
    esDelay: 2000,
    requests: new Map(),
    conversations: new Map(),
    // seq orders local changes against list snapshots: an item changed by an
    // event after a GET started keeps its newer state when the GET answers.
    seq: 0,
    touched: { requests: new Map(), conversations: new Map() },
    unread: new Map(),
    // lastMessages: conversation id -> the newest message this page saw.
    lastMessages: new Map(),
    // typing: conversation id -> {name, timer} while the customer types.
    typing: new Map(),
    // mine: my own typing in the open chat (the PUTs, throttled).
    myTyping: { conv: '', on: false, sentAt: 0, idle: 0 },
    noteMode: false,
    readSoon: 0,
    templates: [],
    agents: new Map(),
    chat: null,
    chatSeq: 0,
    view: 'inbox',
    statsTimer: 0,
    statsSoon: 0,
    refreshing: null,
    history: { params: null, cursor: '', searched: false },
    picker: { items: [], index: 0 },
    inserted: null,
    noticeTimer: 0,
    reqEls: new Map(),
    convEls: new Map(),
    accepting: new Set(),
    swallow: '',
  };

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  // Attachments: shown in messages and attached in the composer (attachments.js).
  const Media = window.SwitchboardMedia;

  // ---------------------------------------------------------------- helpers

  function clone(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  function part(el, cls) {
    return el.querySelector('.' + cls);
  }

  function channelIcon(holder, type) {
    const known = Object.hasOwn(CHANNEL_TYPES, type) ? CHANNEL_TYPES[type] : null;
    if (known) holder.replaceChildren();
    else holder.replaceChildren(clone('icon-other'));
    holder.style.backgroundImage = known ? 'url("' + known.icon + '")' : '';
    holder.title = known ? known.name : '';
    holder.dataset.channel = known ? type : 'other';
  }

  function pad2(n) {
    return n < 10 ? '0' + n : String(n);
  }

  // m:ss, minutes unbounded (75:02 after an hour and a quarter).
  function clock(secs) {
    const s = Math.max(0, Math.floor(secs));
    return Math.floor(s / 60) + ':' + pad2(s % 60);
  }

  function duration(secs) {
    const s = Math.round(Number(secs) || 0);
    if (s < 60) return s + ' s';
    if (s < 3600) {
      const m = Math.floor(s / 60);
      const r = s % 60;
      return r ? m + ' min ' + r + ' s' : m + ' min';
    }
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? h + ' h ' + m + ' min' : h + ' h';
  }

  function timeOf(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function dateTimeOf(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }

  function shortWhen(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const now = new Date(Date.now());
    if (d.toDateString() === now.toDateString()) return timeOf(iso);
    return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
  }

  function customerName(c) {
    return (c && c.name) || 'Anonymous Visitor';
  }

  // visitorTag tells anonymous visitors apart in lists: the server's
  // visitor_tag, else # and the last four characters of their id on the
  // channel. Named customers need none.
  function visitorTag(c) {
    if (!c || (c.name && c.name !== 'Anonymous Visitor')) return '';
    if (c.visitor_tag) return '#' + c.visitor_tag;
    const id = String(c.channel_user_id || c.id || '').replace(/[^A-Za-z0-9]/g, '');
    return id ? '#' + id.slice(-4).toUpperCase() : '';
  }

  // lastLine is a conversation's last message as one short line: the
  // server's last_message when it sends one, else the last this page saw.
  function lastLine(c) {
    const seen = S.lastMessages.get(c.id);
    const m = c.last_message && (!seen || Date.parse(c.last_message.created_at) > Date.parse(seen.created_at)) ? c.last_message : seen;
    if (!m) return '';
    const text = typeof m === 'string' ? m : m.text || (m.attachments && m.attachments.length ? '[attachment]' : '');
    const who = typeof m === 'object' && m.author === 'agent' ? 'You: ' : typeof m === 'object' && m.author === 'note' ? 'Note: ' : '';
    const line = (who + text).replace(/\s+/g, ' ').trim();
    return line.length > 80 ? line.slice(0, 79) + '…' : line;
  }

  function noteLast(m) {
    const old = S.lastMessages.get(m.conversation_id);
    if (!old || byCreated(old, m) <= 0) S.lastMessages.set(m.conversation_id, m);
  }

  function agentName(id) {
    if (!id) return '';
    if (S.me && id === S.me.id) return S.me.name || 'You';
    const a = S.agents.get(id);
    return a ? a.name : 'another agent';
  }

  // A link only for http(s) URLs; anything else stays plain text.
  function pageLink(url) {
    let u = null;
    try {
      u = new URL(url);
    } catch (_) {
      u = null;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
      const span = document.createElement('span');
      span.textContent = url;
      return span;
    }
    const a = document.createElement('a');
    a.href = u.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.textContent = url;
    return a;
  }

  function byCreated(a, b) {
    const d = Date.parse(a.created_at) - Date.parse(b.created_at);
    return d || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  function touch(kind, id) {
    S.touched[kind].set(id, ++S.seq);
  }

  // applySnapshot makes map hold the listed items that keep() accepts,
  // except for ids an event changed after the list was asked for (since).
  function applySnapshot(kind, map, items, since, keep) {
    const touched = S.touched[kind];
    const seen = new Set();
    for (const it of items) {
      seen.add(it.id);
      if ((touched.get(it.id) || 0) > since) continue;
      if (keep(it)) map.set(it.id, it);
      else map.delete(it.id);
    }
    for (const id of Array.from(map.keys())) {
      if (!seen.has(id) && (touched.get(id) || 0) <= since) map.delete(id);
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  async function api(method, path, body, opts) {
    const o = opts || {};
    const headers = { Accept: 'application/json' };
    if (S.token && !o.anonymous) headers.Authorization = 'Bearer ' + S.token;
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection and try again.');
    }
    let data = null;
    if (res.status !== 204) {
      try {
        data = await res.json();
      } catch (_) {
        data = null;
      }
    }
    if (res.ok) return data;
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code || 'http_' + res.status,
      e.message || 'The request failed (' + res.status + ').', res.headers.get('Retry-After'));
    if (res.status === 401 && !o.anonymous) signedOut('Your session has ended. Please sign in again.');
    throw err;
  }

  function errorText(err) {
    let msg = err && err.message ? err.message : String(err);
    if (err && err.status === 429 && err.retryAfter) {
      const secs = parseInt(err.retryAfter, 10);
      if (secs > 0) msg += ' Try again in ' + duration(secs) + '.';
    }
    return msg;
  }

  // Reports a failed call; a 401 already sent the agent to the login.
  function failed(err) {
    if (err && err.status === 401) return;
    notice(errorText(err), 'error');
  }

  // ---------------------------------------------------------------- notice

  // notice shows a toast at the bottom left, clear of the tabs and of the
  // chat's Resolve: 4 s for news, 10 s for errors, longer while the
  // pointer rests on it; a click or Escape dismisses it.
  const NOTICE_MS = { info: 4000, error: 10000 };
  function notice(message, kind) {
    const el = $('notice');
    el.textContent = message;
    el.dataset.kind = kind || 'info';
    el.title = 'Click to dismiss';
    el.hidden = false;
    S.noticeMs = NOTICE_MS[el.dataset.kind] || NOTICE_MS.info;
    armNotice();
  }

  function armNotice() {
    clearTimeout(S.noticeTimer);
    S.noticeTimer = setTimeout(() => {
      $('notice').hidden = true;
    }, S.noticeMs);
  }

  // ---------------------------------------------------------------- session

  function showLogin(message) {
    $('app').hidden = true;
    $('login-view').hidden = false;
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('login-submit').disabled = false;
    $('login-password').value = '';
    document.title = 'Sign in · Switchboard inbox';
    $('login-email').focus();
  }

  async function login(ev) {
    ev.preventDefault();
    const email = $('login-email').value.trim();
    const password = $('login-password').value;
    const err = $('login-error');
    if (!email || !password) {
      err.textContent = 'Enter your e-mail and password.';
      err.hidden = false;
      return;
    }
    $('login-submit').disabled = true;
    try {
      const res = await api('POST', '/v1/auth/login', { email, password }, { anonymous: true });
      S.token = res.token;
      try {
        localStorage.setItem(TOKEN_KEY, res.token);
      } catch (_) {
        // Private mode without storage: the session lasts as long as the page.
      }
      err.hidden = true;
      $('login-password').value = '';
      enter(res.agent);
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
      $('login-submit').disabled = false;
      $('login-password').focus();
    }
  }

  async function resume() {
    try {
      const me = await api('GET', '/v1/me');
      enter(me);
    } catch (e) {
      if (e.status !== 401) showLogin(errorText(e));
    }
  }

  function enter(me) {
    S.me = me;
    $('login-view').hidden = true;
    $('app').hidden = false;
    setupAdmin();
    renderHeader();
    setView('inbox');
    renderRequests();
    renderConversations();
    connect();
    refreshAll();
  }

  async function logout() {
    try {
      await api('POST', '/v1/auth/logout');
    } catch (_) {
      // The token is dropped here either way.
    }
    signedOut('');
  }

  function signedOut(message) {
    const wasIn = S.token !== null || S.me !== null;
    S.token = null;
    S.me = null;
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      // nothing stored
    }
    disconnect();
    if (window.SwitchboardRinger) window.SwitchboardRinger.reset();
    clearInterval(S.statsTimer);
    clearTimeout(S.statsSoon);
    S.requests.clear();
    S.conversations.clear();
    S.touched.requests.clear();
    S.touched.conversations.clear();
    S.unread.clear();
    S.lastMessages.clear();
    for (const t of S.typing.values()) clearTimeout(t.timer);
    S.typing.clear();
    clearTimeout(S.myTyping.idle);
    S.myTyping = { conv: '', on: false, sentAt: 0, idle: 0 };
    $('chat-typing').hidden = true;
    S.agents.clear();
    S.templates = [];
    S.chat = null;
    S.chatSeq++;
    S.inserted = null;
    S.history = { params: null, cursor: '', searched: false };
    Media.reset();
    S.reqEls.clear();
    S.convEls.clear();
    $('requests').replaceChildren();
    $('conversations').replaceChildren();
    $('messages').replaceChildren();
    $('history-results').replaceChildren();
    $('history-summary').textContent = '';
    $('history-more').hidden = true;
    $('history-form').reset();
    $('chat').hidden = true;
    $('chat').removeAttribute('data-id');
    $('chat-placeholder').hidden = false;
    renderContext();
    hidePicker();
    removeAdmin();
    if (wasIn || $('login-view').hidden) showLogin(message);
  }

  // ---------------------------------------------------------------- live

  function setLive(state) {
    const el = $('live');
    el.dataset.state = state;
    el.textContent = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Disconnected' }[state] || state;
  }

  const HANDLERS = {
    'request.created': onRequest,
    'request.updated': onRequest,
    'request.removed': onRequestRemoved,
    'message.created': onMessage,
    'message.updated': (m) => onMessage(m, true),
    'conversation.updated': applyConversation,
    'agent.updated': onAgent,
    typing: onTyping,
    'conversation.read': onConversationRead,
  };

  function connect() {
    disconnect();
    if (!S.token) return;
    setLive('connecting');
    const es = new EventSource('/v1/events?access_token=' + enc(S.token));
    S.es = es;
    es.addEventListener('open', () => {
      if (S.es !== es) return;
      S.esDelay = 2000;
      setLive('live');
      // Whatever happened while the stream was down is read again.
      refreshAll();
    });
    es.addEventListener('error', () => {
      if (S.es !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (token gone?) or the browser gave
        // up: find out which, and start a new stream if still signed in.
        es.close();
        S.es = null;
        setLive('offline');
        reconnectLater();
      } else {
        setLive('reconnecting');
      }
    });
    for (const type of Object.keys(HANDLERS)) {
      es.addEventListener(type, (ev) => {
        if (S.es !== es) return;
        let data;
        try {
          data = JSON.parse(ev.data);
        } catch (_) {
          return;
        }
        if (data && typeof data === 'object') HANDLERS[type](data);
      });
    }
  }

  function reconnectLater() {
    clearTimeout(S.esRetry);
    const delay = S.esDelay;
    S.esDelay = Math.min(S.esDelay * 2, 30000);
    S.esRetry = setTimeout(async () => {
      if (!S.token) return;
      try {
        await api('GET', '/v1/me');
        connect();
      } catch (e) {
        if (e.status !== 401) reconnectLater();
      }
    }, delay);
  }

  function disconnect() {
    clearTimeout(S.esRetry);
    if (S.es) {
      S.es.close();
      S.es = null;
    }
    setLive('offline');
  }

  // refreshAll reads every list again; concurrent calls share one run.
  function refreshAll() {
    if (S.refreshing) {
      S.refreshing.again = true;
      return S.refreshing.done;
    }
    const run = { again: false, done: null };
    S.refreshing = run;
    run.done = (async () => {
      do {
        run.again = false;
        if (!S.token) break;
        const jobs = [loadMe(), loadRequests(), loadConversations(), loadAgents()];
        if (!S.templates.length) jobs.push(loadTemplates());
        if (S.chat) jobs.push(reloadChat());
        if (S.view === 'stats') jobs.push(loadStats());
        const results = await Promise.allSettled(jobs);
        const bad = results.find((r) => r.status === 'rejected');
        if (bad) failed(bad.reason);
      } while (run.again);
      S.refreshing = null;
    })();
    return run.done;
  }

  // ---------------------------------------------------------------- header, tabs

  function renderHeader() {
    if (!S.me) return;
    $('me-name').textContent = S.me.name || S.me.email || '';
    $('me-name').title = S.me.email || '';
    const t = $('status-toggle');
    t.setAttribute('aria-pressed', S.me.online ? 'true' : 'false');
    t.dataset.online = S.me.online ? 'true' : 'false';
    part(t, 'status-label').textContent = S.me.online ? 'Online' : 'Offline';
    t.title = S.me.online ? 'You receive requests. Click to go offline.' : 'You receive no requests. Click to go online.';
    renderRequests(); // accept needs me online; the ring too
  }

  async function toggleStatus() {
    if (!S.me) return;
    const t = $('status-toggle');
    t.disabled = true;
    try {
      const me = await api('PUT', '/v1/me/status', { online: !S.me.online });
      S.me = me;
      renderHeader();
      notice(me.online ? 'You are online and receive requests.' : 'You are offline.', 'info');
      loadRequests().catch(failed);
    } catch (e) {
      failed(e);
    } finally {
      t.disabled = false;
    }
  }

  async function loadMe() {
    const me = await api('GET', '/v1/me');
    S.me = me;
    renderHeader();
    if (me.admin !== Boolean($('view-admin'))) setupAdmin();
  }

  function onAgent(a) {
    if (S.me && a.id === S.me.id) {
      S.me = a;
      renderHeader();
      if (a.admin !== Boolean($('view-admin'))) setupAdmin();
    }
    const known = S.agents.get(a.id);
    if (known) S.agents.set(a.id, Object.assign({}, known, agentEntry(a)));
    scheduleStats();
  }

  function tabs() {
    return Array.from(document.querySelectorAll('#tabs [role=tab]'));
  }

  function setView(view) {
    if (view === 'admin' && !$('view-admin')) view = 'inbox';
    S.view = view;
    for (const t of tabs()) {
      const on = t.dataset.view === view;
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      t.tabIndex = on ? 0 : -1;
      const panel = $(t.getAttribute('aria-controls'));
      if (panel) panel.hidden = !on;
    }
    clearInterval(S.statsTimer);
    if (view === 'stats') {
      loadStats().catch(failed);
      S.statsTimer = setInterval(() => {
        if (!document.hidden) loadStats().catch(failed);
      }, STATS_EVERY_MS);
    }
    if (view === 'admin') loadAdminAgents().catch(failed);
    if (view === 'history' && !S.history.searched) searchHistory(false);
  }

  function onTabKey(ev) {
    const list = tabs();
    const i = list.indexOf(document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (ev.key === 'ArrowRight') next = (i + 1) % list.length;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + list.length) % list.length;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = list.length - 1;
    if (next < 0) return;
    ev.preventDefault();
    list[next].focus();
    setView(list[next].dataset.view);
  }

  // ---------------------------------------------------------------- requests

  // The panel shows every open request the server lists (offline agents
  // and admins see the queue too); only those offered to me ring, and
  // accept is offered once I am online.
  function openRequest(r) {
    return r.status === 'waiting' || r.status === 'declined';
  }

  function offeredToMe(r) {
    return openRequest(r) && r.offered_to_me === true;
  }

  // ---------------------------------------------------------------- ringing

  // waitLevel is the request's wait level now: the page clock's, or the
  // server's when that is more severe.
  function waitLevel(r) {
    const created = Date.parse(r.created_at);
    const secs = Number.isNaN(created) ? 0 : Math.max(0, Math.floor((Date.now() - created) / 1000));
    const level = secs >= RED_AFTER ? 'red' : secs >= AMBER_AFTER ? 'amber' : 'normal';
    const server = r.wait_level || 'normal';
    return (LEVEL_RANK[server] || 0) > LEVEL_RANK[level] ? server : level;
  }

  function offeredList() {
    return Array.from(S.requests.values()).filter(offeredToMe).sort(byCreated);
  }

  // syncRinger tells ring.js what is offered to me now (see there).
  function syncRinger() {
    const ringer = window.SwitchboardRinger;
    if (!ringer) return;
    const online = Boolean(S.me && S.me.online);
    ringer.update(offeredList().map((r) => {
      const type = (r.channel && r.channel.type) || '';
      return {
        id: r.id,
        name: customerName(r.customer),
        channel: (Object.hasOwn(CHANNEL_TYPES, type) ? CHANNEL_TYPES[type].name : type) || 'unknown channel',
        message: r.initial_message || '',
        level: waitLevel(r),
      };
    }), online);
  }

  // focusRequest brings a request's card into view (a notification was
  // clicked).
  function focusRequest(id) {
    if (!S.token) return;
    setView('inbox');
    const el = S.reqEls.get(id);
    if (!el) return;
    el.scrollIntoView({ block: 'center' });
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 2500);
    const btn = el.querySelector('[data-testid=request-accept]');
    if (btn && !btn.disabled) btn.focus();
    else {
      el.tabIndex = -1;
      el.focus();
    }
  }

  async function loadRequests() {
    const since = S.seq;
    const res = await api('GET', '/v1/requests');
    applySnapshot('requests', S.requests, res.requests || [], since, openRequest);
    renderRequests();
  }

  function onRequest(r) {
    if (!r.id) return;
    touch('requests', r.id);
    if (openRequest(r)) S.requests.set(r.id, r);
    else S.requests.delete(r.id);
    renderRequests();
    scheduleStats();
  }

  function onRequestRemoved(ref) {
    if (!ref.id) return;
    touch('requests', ref.id);
    S.requests.delete(ref.id);
    renderRequests();
    scheduleStats();
    // No longer offered to me is not gone from the queue: read it again.
    scheduleQueue();
  }

  function scheduleQueue() {
    clearTimeout(S.queueSoon);
    S.queueSoon = setTimeout(() => {
      if (S.token) loadRequests().catch(failed);
    }, 500);
  }

  function dropRequest(id) {
    touch('requests', id);
    S.requests.delete(id);
    renderRequests();
  }

  function renderRequests() {
    const list = $('requests');
    const reqs = Array.from(S.requests.values()).sort(byCreated);
    const keep = new Set(reqs.map((r) => r.id));
    for (const [id, el] of S.reqEls) {
      if (!keep.has(id)) {
        el.remove();
        S.reqEls.delete(id);
      }
    }
    reqs.forEach((r, i) => {
      let el = S.reqEls.get(r.id);
      if (!el) {
        el = buildRequest(r.id);
        S.reqEls.set(r.id, el);
      }
      fillRequest(el, r);
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
    });
    $('requests-empty').hidden = reqs.length > 0;
    // The counts are of the requests offered to me: what I can take.
    const offered = reqs.filter(offeredToMe).length;
    const count = $('request-count');
    count.textContent = String(offered);
    count.hidden = offered === 0;
    document.title = (offered ? '(' + offered + ') ' : '') + 'Switchboard inbox';
    tick();
    syncRinger();
  }

  function buildRequest(id) {
    const el = clone('tpl-request');
    el.dataset.id = id;
    el._page = el.querySelector('[data-testid=request-page]');
    el.querySelector('[data-testid=request-accept]').addEventListener('click', (ev) => acceptRequest(id, ev.currentTarget));
    el.querySelector('[data-testid=request-decline]').addEventListener('click', (ev) => declineRequest(id, ev.currentTarget, part(el, 'decline-reason')));
    el.querySelector('[data-testid=request-preview-toggle]').addEventListener('click', () => togglePreview(id, el));
    part(el, 'decline-reason').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        el.querySelector('[data-testid=request-decline]').click();
      }
    });
    return el;
  }

  function fillRequest(el, r) {
    const name = customerName(r.customer);
    el.querySelector('[data-testid=request-name]').textContent = name;
    const msg = el.querySelector('[data-testid=request-message]');
    msg.textContent = r.initial_message || '(no message)';
    msg.classList.toggle('muted', !r.initial_message);
    const type = (r.channel && r.channel.type) || '';
    channelIcon(part(el, 'channel-icon'), type);
    part(el, 'channel-type').textContent = type;
    el.querySelector('[data-testid=request-channel]').title = 'Channel ' + ((r.channel && r.channel.id) || '') + ' (' + type + ')';
    if (r.page_url) {
      el._page.replaceChildren(pageLink(r.page_url));
      el._page.title = r.page_url;
      if (!el._page.isConnected) el.querySelector('[data-testid=request-message]').after(el._page);
    } else {
      el._page.remove();
    }
    const badge = el.querySelector('[data-testid=request-badge]');
    const returning = Boolean(r.customer && r.customer.returning);
    badge.textContent = returning ? 'Returning' : 'New';
    badge.dataset.kind = returning ? 'returning' : 'new';
    const visits = (r.customer && r.customer.previous_visits) || 0;
    badge.title = returning ? visits + ' previous visit' + (visits === 1 ? '' : 's') : 'First visit';
    const wait = el.querySelector('[data-testid=request-wait]');
    wait.dataset.created = r.created_at;
    wait.dataset.serverLevel = r.wait_level || 'normal';
    el.dataset.status = r.status;
    el.setAttribute('aria-label', 'Request from ' + name);
    fillRequestAccess(el, r);
  }

  // fillRequestAccess: who may take the request. Everyone sees the queue;
  // accept needs me online, and the request offered to me (admins may take
  // any).
  function fillRequestAccess(el, r) {
    const online = Boolean(S.me && S.me.online);
    const offered = r.offered_to_me === true;
    const admin = Boolean(S.me && S.me.admin);
    el.dataset.offered = offered ? 'true' : 'false';
    const accept = el.querySelector('[data-testid=request-accept]');
    if (!S.accepting.has(r.conversation_id)) accept.disabled = !online || !(offered || admin);
    el.querySelector('[data-testid=request-decline]').hidden = !offered;
    part(el, 'decline-reason').hidden = !offered;
    const note = el.querySelector('[data-testid=request-note]');
    let why = '';
    if (!online) why = 'Go online to accept.';
    else if (!offered && !admin) why = 'Offered to other agents.';
    else if (!offered) why = 'Not offered to you; as an admin you may take it.';
    note.textContent = why;
    note.hidden = !why;
  }

  // tick advances every wait timer from the page clock.
  function tick() {
    const now = Date.now();
    let levelChanged = false;
    for (const el of S.reqEls.values()) {
      const w = el.querySelector('[data-testid=request-wait]');
      const created = Date.parse(w.dataset.created);
      const secs = Number.isNaN(created) ? 0 : Math.max(0, Math.floor((now - created) / 1000));
      let level = secs >= RED_AFTER ? 'red' : secs >= AMBER_AFTER ? 'amber' : 'normal';
      const server = w.dataset.serverLevel;
      if ((LEVEL_RANK[server] || 0) > LEVEL_RANK[level]) level = server;
      const text = clock(secs);
      if (w.textContent !== text) w.textContent = text;
      if (w.dataset.level !== level) {
        w.dataset.level = level;
        el.dataset.level = level;
        levelChanged = true;
      }
      w.setAttribute('aria-label', 'Waiting ' + duration(secs));
    }
    if (levelChanged) syncRinger();
  }

  async function acceptRequest(id, btn) {
    const r = S.requests.get(id);
    const convID = r ? r.conversation_id : '';
    btn.disabled = true;
    S.accepting.add(convID);
    try {
      const res = await api('POST', '/v1/requests/' + enc(id) + '/accept');
      dropRequest(id);
      applyConversation(res.conversation);
      notice('You are now chatting with ' + customerName(res.conversation.customer || (r && r.customer)) + '.', 'info');
      await openChat(res.conversation.id, {});
    } catch (e) {
      failed(e);
      if (ACCEPT_GONE.has(e.code)) dropRequest(id);
      else btn.disabled = false;
    } finally {
      S.accepting.delete(convID);
    }
  }

  async function declineRequest(id, btn, reasonInput) {
    btn.disabled = true;
    const reason = reasonInput.value.trim();
    try {
      await api('POST', '/v1/requests/' + enc(id) + '/decline', reason ? { reason } : {});
      dropRequest(id);
      notice('Request declined; it is offered to the other agents.', 'info');
    } catch (e) {
      failed(e);
      if (e.code === 'not_found' || e.code === 'invalid_transition' || e.code === 'already_accepted') dropRequest(id);
      else btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- conversations

  function mine(c) {
    return Boolean(S.me) && c.status === 'active' && c.agent_id === S.me.id;
  }

  async function loadConversations() {
    const since = S.seq;
    const res = await api('GET', '/v1/conversations?status=active&limit=100');
    applySnapshot('conversations', S.conversations, res.conversations || [], since, mine);
    for (const c of res.conversations || []) {
      if (typeof c.unread_count === 'number' && (S.touched.conversations.get(c.id) || 0) <= since) setUnread(c.id, c.unread_count);
    }
    renderConversations();
  }

  // applyConversation takes a conversation from an event or an answer.
  function applyConversation(c) {
    if (!c || !c.id) return;
    touch('conversations', c.id);
    const had = S.conversations.has(c.id);
    if (mine(c)) {
      S.conversations.set(c.id, c);
      // Handed over by someone else (not this page's own accept).
      if (!had && !S.accepting.has(c.id)) notice(customerName(c.customer) + ' was assigned to you.', 'info');
    } else {
      S.conversations.delete(c.id);
      S.unread.delete(c.id);
    }
    if (S.chat && S.chat.id === c.id) {
      S.chat.conv = c;
      renderChatState();
    }
    renderConversations();
    scheduleStats();
  }

  // renderConversations updates the list in place, as renderRequests does:
  // a row is built once per conversation and only moved when its place
  // changes, so an event that re-renders the list while the agent clicks a
  // row (press on one node, release on its replacement) cannot eat the click.
  function renderConversations() {
    const list = $('conversations');
    const convs = Array.from(S.conversations.values()).sort((a, b) => Date.parse(b.last_message_at) - Date.parse(a.last_message_at));
    const keep = new Set(convs.map((c) => c.id));
    for (const [id, el] of S.convEls) {
      if (!keep.has(id)) {
        el.remove();
        S.convEls.delete(id);
      }
    }
    const focused = document.activeElement && list.contains(document.activeElement)
      ? document.activeElement.closest('[data-testid=conversation]') : null;
    convs.forEach((c, i) => {
      let el = S.convEls.get(c.id);
      if (!el) {
        el = clone('tpl-conversation');
        el.dataset.id = c.id;
        el.addEventListener('click', () => openChat(c.id, {}));
        S.convEls.set(c.id, el);
      }
      fillConversation(el, c);
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
    });
    if (focused && document.activeElement !== focused.querySelector('button')) {
      const again = focused.isConnected && focused.querySelector('button');
      if (again) again.focus();
    }
    $('conversations-empty').hidden = convs.length > 0;
  }

  function fillConversation(el, c) {
    const type = (c.channel && c.channel.type) || '';
    channelIcon(part(el, 'channel-icon'), type);
    part(el, 'conversation-name').textContent = customerName(c.customer);
    const tag = visitorTag(c.customer);
    part(el, 'conversation-tag').textContent = tag;
    part(el, 'conversation-tag').hidden = !tag;
    part(el, 'conversation-meta').textContent = shortWhen(c.last_message_at || c.created_at);
    part(el, 'conversation-meta').title = type;
    const typing = typingText(c.id);
    const last = typing || lastLine(c);
    part(el, 'conversation-last').textContent = last;
    part(el, 'conversation-last').hidden = !last;
    part(el, 'conversation-last').dataset.typing = typing ? 'true' : 'false';
    const n = S.unread.get(c.id) || 0;
    const badge = part(el, 'unread');
    badge.textContent = String(n);
    badge.hidden = n === 0;
    badge.setAttribute('aria-label', n + ' new');
    const open = S.chat && S.chat.id === c.id;
    el.classList.toggle('selected', Boolean(open));
    const btn = part(el, 'conversation-open');
    if (open) btn.setAttribute('aria-current', 'true');
    else btn.removeAttribute('aria-current');
  }

  // ---------------------------------------------------------------- chat

  async function openChat(id, opts) {
    const seq = ++S.chatSeq;
    let res;
    try {
      res = await api('GET', '/v1/conversations/' + enc(id));
    } catch (e) {
      if (seq === S.chatSeq) failed(e);
      return;
    }
    if (seq !== S.chatSeq || !S.token) return;
    S.chat = { id, conv: res.conversation, messages: new Map(), els: new Map(), history: Boolean(opts && opts.history) };
    for (const m of res.messages || []) {
      S.chat.messages.set(m.id, m);
      if (m.author !== 'system') noteLast(m);
    }
    S.unread.delete(id);
    S.inserted = null;
    stopTyping();
    setNoteMode(false);
    $('chat-input').value = '';
    hidePicker();
    Media.reset();
    $('messages').replaceChildren();
    renderChatState();
    renderMessages();
    renderTyping();
    scrollMessages(true);
    const narrow = window.matchMedia('(max-width: 900px)').matches;
    // Focus first without scrolling, or the box would pull the header
    // back under the top bar.
    if (!readOnly()) $('chat-input').focus({ preventScroll: narrow });
    if (narrow) showChatBelowTopbar();
  }

  // showChatBelowTopbar scrolls a narrow screen to the chat, its header
  // (with Resolve) just below the sticky top bar rather than under it.
  function showChatBelowTopbar() {
    const bar = document.querySelector('.topbar');
    const top = $('chat-column').getBoundingClientRect().top + window.scrollY - (bar ? bar.getBoundingClientRect().height : 0);
    window.scrollTo({ top: Math.max(0, top), behavior: 'auto' });
  }

  async function reloadChat() {
    const chat = S.chat;
    if (!chat) return;
    const res = await api('GET', '/v1/conversations/' + enc(chat.id));
    if (S.chat !== chat) return;
    chat.conv = res.conversation;
    for (const m of res.messages || []) keepMessage(chat.messages, m);
    renderChatState();
    renderMessages();
  }

  function readOnly() {
    const c = S.chat;
    return !c || c.history || !mine(c.conv);
  }

  // canManage: resolve and reassign, for the assigned agent and, on any
  // active conversation (also one found in the history), for admins.
  function canManage() {
    const c = S.chat;
    if (!c || !S.me || c.conv.status !== 'active') return false;
    if (S.me.admin === true) return true;
    return !c.history && c.conv.agent_id === S.me.id;
  }

  function renderChatState() {
    const c = S.chat;
    const chat = $('chat');
    if (!c) {
      chat.hidden = true;
      chat.removeAttribute('data-id');
      $('chat-placeholder').hidden = false;
      renderContext();
      return;
    }
    const conv = c.conv;
    chat.dataset.id = c.id;
    chat.dataset.status = conv.status;
    const ro = readOnly();
    chat.dataset.readonly = ro ? 'true' : 'false';
    chat.hidden = false;
    $('chat-placeholder').hidden = true;
    $('chat-customer').textContent = customerName(conv.customer);
    channelIcon($('chat-channel-icon'), (conv.channel && conv.channel.type) || '');
    const pill = $('chat-status');
    pill.textContent = conv.status;
    pill.dataset.status = conv.status;

    let banner = '';
    if (c.history) banner = 'Read-only: opened from the history.';
    else if (conv.status === 'resolved') banner = 'This conversation was resolved' + (conv.resolved_at ? ' on ' + dateTimeOf(conv.resolved_at) : '') + '.';
    else if (conv.status === 'waiting') banner = 'The customer is waiting for a person: accept the request to reply.';
    else if (conv.status === 'bot') banner = 'The bot is handling this conversation.';
    else if (conv.status === 'active' && S.me && conv.agent_id !== S.me.id) banner = 'Assigned to ' + agentName(conv.agent_id) + '.';
    $('chat-banner').textContent = banner;
    $('chat-banner').hidden = !banner;
    $('chat-back').hidden = !c.history;

    $('composer').hidden = ro;
    $('chat-input').disabled = ro;
    $('chat-send').disabled = ro;
    if (ro) hidePicker();

    const manage = canManage();
    $('chat-actions').hidden = !manage;
    $('chat-resolve').disabled = !manage;
    renderReassign();
    renderContext();
  }

  function renderReassign() {
    const sel = $('chat-reassign-select');
    const c = S.chat;
    const current = sel.value;
    const opts = [];
    const first = document.createElement('option');
    first.value = '';
    first.textContent = 'Reassign to…';
    opts.push(first);
    if (c) {
      const agents = Array.from(S.agents.values())
        .filter((a) => a.id !== c.conv.agent_id)
        .sort((a, b) => (b.online - a.online) || a.name.localeCompare(b.name));
      for (const a of agents) {
        const o = document.createElement('option');
        o.value = a.id;
        o.textContent = a.name + (a.online ? ' — online' : ' — offline') + ', ' + a.active + '/' + a.max_chats;
        opts.push(o);
      }
    }
    sel.replaceChildren(...opts);
    if (current && Array.from(sel.options).some((o) => o.value === current)) sel.value = current;
    $('chat-reassign').disabled = !canManage() || !sel.value;
  }

  function renderContext() {
    const c = S.chat;
    $('context').hidden = !c;
    $('context-empty').hidden = Boolean(c);
    if (!c) return;
    const conv = c.conv;
    const cust = conv.customer || {};
    $('ctx-name').textContent = customerName(cust);
    $('ctx-channel').textContent = ((conv.channel && conv.channel.type) || '') + (conv.channel && conv.channel.id ? ' (' + conv.channel.id + ')' : '');
    const visits = cust.previous_visits || 0;
    $('ctx-visits').textContent = cust.returning ? 'Returning · ' + visits + ' previous visit' + (visits === 1 ? '' : 's') : 'New customer';
    $('ctx-page').replaceChildren(conv.page_url ? pageLink(conv.page_url) : document.createTextNode('—'));
    $('ctx-started').textContent = dateTimeOf(conv.created_at);
    $('ctx-agent').textContent = conv.agent_id ? agentName(conv.agent_id) : '—';
    $('ctx-status').textContent = conv.status + (conv.resolved_at ? ' · ' + dateTimeOf(conv.resolved_at) : '');
  }

  function sortedMessages() {
    return Array.from(S.chat.messages.values()).sort(byCreated);
  }

  function renderMessages() {
    const list = $('messages');
    const near = nearBottom();
    const msgs = sortedMessages();
    msgs.forEach((m, i) => {
      let el = S.chat.els.get(m.id);
      if (!el) {
        el = clone('tpl-message');
        el._error = el.querySelector('[data-testid=message-error]');
        S.chat.els.set(m.id, el);
      }
      fillMessage(el, m);
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
    });
    while (list.children.length > msgs.length) list.lastElementChild.remove();
    scrollMessages(near);
  }

  function fillMessage(el, m) {
    el.dataset.id = m.id;
    el.dataset.author = m.author;
    let who = '';
    if (m.author === 'customer') who = customerName(S.chat.conv.customer);
    else if (m.author === 'agent') who = m.agent_id && S.me && m.agent_id === S.me.id ? 'You' : agentName(m.agent_id) || 'Agent';
    else if (m.author === 'bot') who = 'Bot';
    else if (m.author === 'note') who = 'Private note · ' + (m.agent_id && S.me && m.agent_id === S.me.id ? 'You' : agentName(m.agent_id) || 'Agent');
    const author = part(el, 'author');
    author.textContent = who;
    author.hidden = !who;
    part(el, 'text').textContent = m.text;
    const t = el.querySelector('time');
    t.textContent = timeOf(m.created_at);
    t.dateTime = m.created_at;
    t.title = dateTimeOf(m.created_at);
    const mark = part(el, 'mark');
    if (m.author === 'agent' && m.delivery) {
      const d = DELIVERY[m.delivery] || { mark: '?', label: m.delivery };
      el.dataset.delivery = m.delivery;
      mark.textContent = d.mark;
      mark.title = d.label;
      mark.setAttribute('aria-label', d.label);
      mark.dataset.delivery = m.delivery;
      mark.hidden = false;
    } else {
      el.removeAttribute('data-delivery');
      mark.hidden = true;
    }
    if (m.author === 'agent' && m.delivery === 'failed') {
      el._error.textContent = 'Not delivered: ' + (m.error || 'unknown reason');
      el._error.hidden = false;
      if (!el._error.isConnected) part(el, 'meta').append(el._error);
    } else {
      el._error.remove();
    }
    Media.fill(el, m);
  }

  function nearBottom() {
    const list = $('messages');
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function scrollMessages(force) {
    const list = $('messages');
    if (force) list.scrollTop = list.scrollHeight;
  }

  // Delivery only moves forward; answers and events may arrive in any
  // order, so an older copy of a message never replaces a newer one.
  const DELIVERY_RANK = { queued: 0, sent: 1, failed: 2, delivered: 3, read: 4 };
  function rank(m) {
    return m && m.delivery in DELIVERY_RANK ? DELIVERY_RANK[m.delivery] : -1;
  }
  function keepMessage(messages, m) {
    const old = messages.get(m.id);
    if (!old || rank(m) >= rank(old)) messages.set(m.id, m);
  }

  // onMessage takes a new message, or (updated) a changed one: an
  // attachment fetched, a delivery mark; only new ones count as unread.
  function onMessage(m, updated) {
    if (!m.id || !m.conversation_id) return;
    if (m.author !== 'system') noteLast(m);
    const fresh = !(S.chat && S.chat.messages.has(m.id));
    if (m.author === 'customer') customerTyping(m.conversation_id, '', false);
    if (S.chat && S.chat.id === m.conversation_id) {
      keepMessage(S.chat.messages, m);
      renderMessages();
      if (fresh && m.author === 'customer') markReadSoon();
    } else if (!updated && m.author === 'customer' && S.conversations.has(m.conversation_id)) {
      S.unread.set(m.conversation_id, (S.unread.get(m.conversation_id) || 0) + 1);
    }
    const c = S.conversations.get(m.conversation_id);
    if (c && Date.parse(m.created_at) > Date.parse(c.last_message_at)) {
      S.conversations.set(c.id, Object.assign({}, c, { last_message_at: m.created_at }));
    }
    renderConversations();
  }

  async function send(ev) {
    if (ev) ev.preventDefault();
    const c = S.chat;
    if (!c || readOnly()) return;
    if (Media.hasStaged()) return Media.sendStaged(c.id, $('chat-input'));
    const input = $('chat-input');
    const raw = input.value;
    const text = raw.replace(/\s+$/, '');
    if (!text.trim()) return;
    const note = S.noteMode;
    const body = !note && S.inserted && raw === S.inserted.body ? { template: S.inserted.name } : { text };
    const path = '/v1/conversations/' + enc(c.id) + (note ? '/notes' : '/messages');
    stopTyping();
    const btn = $('chat-send');
    const inserted = S.inserted;
    btn.disabled = true;
    input.value = '';
    S.inserted = null;
    updateHint();
    hidePicker();
    try {
      const res = await api('POST', path, body);
      if (S.chat === c) {
        keepMessage(c.messages, res.message);
        renderMessages();
        scrollMessages(true);
      }
      noteLast(res.message);
      renderConversations();
    } catch (e) {
      failed(e);
      // Give the text back unless something new was typed meanwhile.
      if (S.chat === c && input.value.trim() === '') {
        input.value = raw;
        S.inserted = inserted;
        updateHint();
      }
    } finally {
      btn.disabled = readOnly();
      if (!readOnly()) input.focus();
    }
  }

  async function resolveChat() {
    const c = S.chat;
    if (!c) return;
    $('chat-resolve').disabled = true;
    try {
      const conv = await api('POST', '/v1/conversations/' + enc(c.id) + '/resolve');
      applyConversation(conv);
      notice('Conversation with ' + customerName(conv.customer) + ' resolved.', 'info');
    } catch (e) {
      failed(e);
      if (e.code === 'invalid_transition') reloadChat().catch(failed);
    } finally {
      renderChatState();
    }
  }

  async function reassignChat() {
    const c = S.chat;
    const target = $('chat-reassign-select').value;
    if (!c || !target) return;
    $('chat-reassign').disabled = true;
    try {
      const conv = await api('POST', '/v1/conversations/' + enc(c.id) + '/reassign', { agent_id: target });
      applyConversation(conv);
      notice('Conversation reassigned to ' + agentName(conv.agent_id) + '.', 'info');
    } catch (e) {
      failed(e);
    } finally {
      renderChatState();
    }
  }

  // ---------------------------------------------------------------- workspace: typing, unread, notes

  // Typing events carry no message: a customer's "typing" shows for at most
  // TYPING_SHOW_MS after the last one, in case its "stopped" never comes.
  const TYPING_SHOW_MS = 8000;
  // My own typing: at most one PUT per TYPING_EVERY_MS, and "stopped"
  // after TYPING_IDLE_MS without a key or when the message goes.
  const TYPING_EVERY_MS = 3000;
  const TYPING_IDLE_MS = 5000;

  function onTyping(ev) {
    if (ev.who !== 'customer' || !ev.conversation_id) return;
    customerTyping(ev.conversation_id, ev.customer_name || '', ev.typing === true);
  }

  function customerTyping(convID, name, on) {
    const old = S.typing.get(convID);
    if (old) clearTimeout(old.timer);
    if (on) {
      const timer = setTimeout(() => customerTyping(convID, '', false), TYPING_SHOW_MS);
      S.typing.set(convID, { name, timer });
    } else if (old) {
      S.typing.delete(convID);
    } else {
      return;
    }
    renderTyping();
  }

  function typingText(convID) {
    const t = S.typing.get(convID);
    if (!t) return '';
    let name = t.name;
    if (!name) {
      const c = S.conversations.get(convID) || (S.chat && S.chat.id === convID ? S.chat.conv : null);
      name = c ? customerName(c.customer) : 'The customer';
    }
    return name + ' is typing…';
  }

  function renderTyping() {
    const el = $('chat-typing');
    const text = S.chat ? typingText(S.chat.id) : '';
    el.textContent = text;
    el.hidden = !text;
    renderConversations();
  }

  function onConversationRead(ev) {
    if (!ev.conversation_id || (S.me && ev.agent_id && ev.agent_id !== S.me.id)) return;
    setUnread(ev.conversation_id, typeof ev.unread_count === 'number' ? ev.unread_count : 0);
    renderConversations();
  }

  function setUnread(convID, n) {
    if (n > 0) S.unread.set(convID, n);
    else S.unread.delete(convID);
  }

  // markReadSoon tells the server that I saw the open chat's new messages
  // (so my other tabs clear the count and the visitor sees "Seen"), only
  // while the page is in front and the chat is mine.
  function markReadSoon() {
    clearTimeout(S.readSoon);
    S.readSoon = setTimeout(() => {
      const c = S.chat;
      if (!c || readOnly() || document.hidden) return;
      api('POST', '/v1/conversations/' + enc(c.id) + '/read').catch((e) => {
        if (e.status !== 403 && e.status !== 404) failed(e);
      });
    }, 400);
  }

  // onComposerInput sends "typing" for my open chat, throttled.
  function onComposerInput() {
    const c = S.chat;
    if (!c || readOnly() || S.noteMode) return;
    const t = S.myTyping;
    const text = $('chat-input').value.trim();
    if (!text) {
      stopTyping();
      return;
    }
    if (t.conv !== c.id) stopTyping();
    clearTimeout(t.idle);
    t.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
    const now = Date.now();
    if (t.on && now - t.sentAt < TYPING_EVERY_MS) return;
    t.conv = c.id;
    t.on = true;
    t.sentAt = now;
    putTyping(c.id, true);
  }

  function stopTyping() {
    const t = S.myTyping;
    clearTimeout(t.idle);
    if (t.on && t.conv) putTyping(t.conv, false);
    t.on = false;
    t.conv = '';
    t.sentAt = 0;
  }

  function putTyping(convID, on) {
    api('PUT', '/v1/conversations/' + enc(convID) + '/typing', { typing: on }).catch(() => {
      // Typing is a courtesy: a failure is not worth a toast.
    });
  }

  // Note mode: what the composer sends is a private note for agents,
  // never sent to the customer.
  function setNoteMode(on) {
    S.noteMode = on;
    const t = $('chat-note-toggle');
    t.setAttribute('aria-pressed', on ? 'true' : 'false');
    t.textContent = on ? 'Note mode on' : 'Private note';
    t.title = on ? 'Writing a private note only agents see. Click to reply to the customer.' : 'Replying to the customer. Click to write a private note.';
    $('composer').dataset.mode = on ? 'note' : 'reply';
    $('chat-send').textContent = on ? 'Add note' : 'Send';
    $('chat-input').placeholder = on
      ? 'Write a private note… only agents see it (Enter adds it)'
      : 'Type a reply… (Enter sends, Shift+Enter for a new line, / for templates)';
    if (on) {
      stopTyping();
      hidePicker();
    }
  }

  // ---------------------------------------------------------------- workspace: request preview

  // togglePreview shows the request's transcript so far (the bot's part)
  // inside its card, read when first opened.
  async function togglePreview(id, el) {
    const box = el.querySelector('[data-testid=request-preview]');
    const btn = el.querySelector('[data-testid=request-preview-toggle]');
    if (!box.hidden) {
      box.hidden = true;
      btn.setAttribute('aria-expanded', 'false');
      btn.textContent = 'Preview';
      return;
    }
    btn.disabled = true;
    try {
      const res = await api('GET', '/v1/requests/' + enc(id) + '/messages');
      const r = S.requests.get(id);
      box.replaceChildren(...(res.messages || []).filter((m) => m.author !== 'system').slice(-12).map((m) => {
        const li = document.createElement('li');
        li.dataset.author = m.author;
        const who = document.createElement('span');
        who.className = 'preview-who';
        who.textContent = m.author === 'customer' ? customerName(r && r.customer) : m.author === 'bot' ? 'Bot' : m.author === 'note' ? 'Note' : 'Agent';
        const text = document.createElement('span');
        text.textContent = m.text || (m.attachments && m.attachments.length ? '[attachment]' : '');
        li.append(who, text);
        return li;
      }));
      if (!box.children.length) {
        const li = document.createElement('li');
        li.className = 'muted';
        li.textContent = 'No messages yet.';
        box.append(li);
      }
      box.hidden = false;
      btn.setAttribute('aria-expanded', 'true');
      btn.textContent = 'Hide preview';
    } catch (e) {
      failed(e);
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- workspace: my name

  function editMyName() {
    if (!S.me) return;
    const form = $('me-form');
    form.hidden = !form.hidden;
    if (!form.hidden) {
      $('me-name-input').value = S.me.name || '';
      $('me-name-error').hidden = true;
      $('me-name-input').focus();
      $('me-name-input').select();
    }
  }

  async function saveMyName(ev) {
    ev.preventDefault();
    const name = $('me-name-input').value.trim();
    const err = $('me-name-error');
    if (!name) {
      err.textContent = 'Enter the name customers will read.';
      err.hidden = false;
      return;
    }
    $('me-name-save').disabled = true;
    try {
      S.me = await api('PATCH', '/v1/me', { name });
      renderHeader();
      $('me-form').hidden = true;
      notice('Customers now read your name as ' + S.me.name + '.', 'info');
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
    } finally {
      $('me-name-save').disabled = false;
    }
  }

  // ---------------------------------------------------------------- templates

  async function loadTemplates() {
    const res = await api('GET', '/v1/templates');
    S.templates = res.templates || [];
  }

  function matchTemplates(query) {
    const q = query.toLowerCase();
    const scored = [];
    for (const t of S.templates) {
      const sc = (t.shortcut || '').toLowerCase().replace(/^\//, '');
      const name = (t.name || '').toLowerCase();
      let rank = -1;
      if (q === '' ) rank = 3;
      else if (sc === q) rank = 0;
      else if (sc.startsWith(q)) rank = 1;
      else if (name.includes(q)) rank = 2;
      if (rank >= 0) scored.push({ t, rank });
    }
    scored.sort((a, b) => a.rank - b.rank);
    return scored.map((s) => s.t);
  }

  function updatePicker() {
    const input = $('chat-input');
    const v = input.value;
    if (readOnly() || !v.startsWith('/') || v.includes('\n')) {
      hidePicker();
      return;
    }
    const items = matchTemplates(v.slice(1).trim());
    if (!items.length) {
      hidePicker();
      return;
    }
    S.picker = { items, index: 0 };
    renderPicker();
  }

  function renderPicker() {
    const picker = $('template-picker');
    const els = S.picker.items.map((t, i) => {
      const el = clone('tpl-template-option');
      el.id = 'template-option-' + i;
      el.dataset.name = t.name;
      el.setAttribute('aria-selected', i === S.picker.index ? 'true' : 'false');
      part(el, 'shortcut').textContent = t.shortcut || '';
      part(el, 'name').textContent = t.name;
      part(el, 'body').textContent = t.body;
      // Keep the focus in the text box while clicking an option.
      el.addEventListener('mousedown', (ev) => ev.preventDefault());
      el.addEventListener('click', () => insertTemplate(t));
      return el;
    });
    picker.replaceChildren(...els);
    picker.hidden = false;
    const input = $('chat-input');
    input.setAttribute('aria-expanded', 'true');
    input.setAttribute('aria-activedescendant', 'template-option-' + S.picker.index);
  }

  function hidePicker() {
    const picker = $('template-picker');
    picker.hidden = true;
    picker.replaceChildren();
    S.picker = { items: [], index: 0 };
    const input = $('chat-input');
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function insertTemplate(t) {
    const input = $('chat-input');
    input.value = t.body;
    S.inserted = { name: t.name, body: t.body };
    hidePicker();
    updateHint();
    input.focus();
    input.setSelectionRange(t.body.length, t.body.length);
  }

  function updateHint() {
    const v = $('chat-input').value;
    const edited = S.inserted !== null && v !== S.inserted.body;
    $('composer-hint').hidden = !(edited && /\[[A-Za-z]+\]/.test(v));
  }

  // swallow remembers a key whose keydown this page acted on, so that its
  // character (a separate keypress/beforeinput, as synthetic input sends
  // it) is not typed into the box as well.
  function swallow(ev) {
    ev.preventDefault();
    S.swallow = ev.key;
  }

  function onInputKeyPress(ev) {
    if (S.swallow && ev.key === S.swallow) ev.preventDefault();
  }

  function onBeforeInput(ev) {
    if (!S.swallow) return;
    const t = ev.inputType;
    if ((S.swallow === 'Enter' && (t === 'insertLineBreak' || t === 'insertParagraph' || (t === 'insertText' && ev.data === '\n'))) ||
        (S.swallow === 'Tab' && t === 'insertText' && ev.data === '\t')) {
      ev.preventDefault();
    }
  }

  function onInputKey(ev) {
    S.swallow = '';
    if (ev.isComposing) return;
    const open = !$('template-picker').hidden && S.picker.items.length > 0;
    if (open) {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        const n = S.picker.items.length;
        S.picker.index = (S.picker.index + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
        renderPicker();
        return;
      }
      if ((ev.key === 'Enter' && !ev.shiftKey) || ev.key === 'Tab') {
        swallow(ev);
        insertTemplate(S.picker.items[S.picker.index]);
        return;
      }
      if (ev.key === 'Escape') {
        ev.preventDefault();
        hidePicker();
        return;
      }
    }
    if (ev.key === 'Enter' && !ev.shiftKey) {
      swallow(ev);
      send();
    }
  }

  // ---------------------------------------------------------------- agents

  function agentEntry(a) {
    return {
      id: a.id || a.agent_id,
      name: a.name,
      online: Boolean(a.online),
      active: a.active_chats !== undefined ? a.active_chats : a.active || 0,
      max_chats: a.max_chats,
    };
  }

  // loadAgents fills the reassign choices: admins read the agent list,
  // others the per-agent lines of the stats.
  async function loadAgents() {
    if (S.me && S.me.admin) {
      const res = await api('GET', '/v1/admin/agents');
      setAgents(res.agents || []);
      renderAdminAgents(res.agents || []);
    } else {
      const st = await api('GET', '/v1/stats');
      setAgents(st.per_agent || []);
      if (S.view === 'stats') renderStats(st);
    }
  }

  function setAgents(list) {
    // A deactivated agent (active: false) can be given no conversation.
    S.agents = new Map(list.filter((a) => a.active !== false).map((a) => {
      const e = agentEntry(a);
      return [e.id, e];
    }));
    if (S.chat) {
      renderReassign();
      renderContext();
      renderMessages();
    }
  }

  // ---------------------------------------------------------------- stats

  function scheduleStats() {
    if (S.view !== 'stats') return;
    clearTimeout(S.statsSoon);
    S.statsSoon = setTimeout(() => loadStats().catch(failed), 800);
  }

  async function loadStats() {
    const st = await api('GET', '/v1/stats');
    renderStats(st);
    if (!(S.me && S.me.admin)) setAgents(st.per_agent || []);
  }

  function renderStats(st) {
    $('stat-active').textContent = String(st.active);
    $('stat-pending').textContent = String(st.pending);
    $('stat-pending-sub').textContent = st.waiting + ' waiting · ' + st.declined + ' declined';
    $('stat-resolved-today').textContent = String(st.resolved_today);
    $('stat-resolved-total').textContent = String(st.resolved_total);
    $('stat-median-wait').textContent = duration(st.median_wait_seconds);
    $('stat-median-first').textContent = duration(st.median_first_response_seconds);
    $('stat-within-2m').textContent = (st.first_response_within_2m_pct || 0) + '% within 2 min';
    const reading = $('stat-reading');
    reading.textContent = (st.reading && st.reading.message) || '';
    reading.dataset.code = (st.reading && st.reading.code) || '';
    $('stat-online').textContent = '· ' + st.agents_online + ' online';

    const rows = (st.per_agent || []).slice()
      .sort((a, b) => (b.online - a.online) || a.name.localeCompare(b.name))
      .map((a) => {
        const el = clone('tpl-stat-agent');
        el.dataset.id = a.agent_id;
        el.dataset.online = a.online ? 'true' : 'false';
        part(el, 'agent-name').textContent = a.name;
        const share = a.max_chats > 0 ? Math.min(1, a.active / a.max_chats) : 0;
        const fill = part(el, 'fill');
        fill.style.width = Math.round(share * 100) + '%';
        el.dataset.load = share >= 1 ? 'full' : share >= 0.75 ? 'high' : 'ok';
        part(el, 'load').textContent = a.active + '/' + a.max_chats;
        el.setAttribute('aria-label', a.name + ', ' + (a.online ? 'online' : 'offline') + ', ' + a.active + ' of ' + a.max_chats + ' chats');
        return el;
      });
    $('stat-agents').replaceChildren(...rows);

    const weeks = st.resolved_by_week || [];
    const top = Math.max(1, ...weeks.map((w) => w.resolved));
    $('stat-weeks').replaceChildren(...weeks.map((w) => {
      const li = document.createElement('li');
      li.title = w.week + ': ' + w.resolved + ' resolved';
      const bar = document.createElement('span');
      bar.className = 'week-bar';
      bar.style.height = Math.max(2, Math.round((w.resolved / top) * 100)) + '%';
      const value = document.createElement('span');
      value.className = 'week-value';
      value.textContent = String(w.resolved);
      const label = document.createElement('span');
      label.className = 'week-label';
      label.textContent = w.week.replace(/^\d{4}-/, '');
      li.append(value, bar, label);
      return li;
    }));
    $('stat-updated').textContent = 'Updated at ' + new Date(Date.now()).toLocaleTimeString();
  }

  // ---------------------------------------------------------------- history

  async function searchHistory(more) {
    const h = S.history;
    if (!more) {
      const p = new URLSearchParams({ status: 'all', limit: '25' });
      const fields = { q: 'history-q', customer: 'history-customer', from: 'history-from', to: 'history-to' };
      for (const [k, id] of Object.entries(fields)) {
        const v = $(id).value.trim();
        if (v) p.set(k, v);
      }
      h.params = p;
      h.cursor = '';
    }
    h.searched = true;
    const p = new URLSearchParams(h.params);
    if (more && h.cursor) p.set('cursor', h.cursor);
    $('history-submit').disabled = true;
    $('history-more').disabled = true;
    try {
      const res = await api('GET', '/v1/conversations?' + p.toString());
      const convs = res.conversations || [];
      const els = convs.map(historyResult);
      if (more) $('history-results').append(...els);
      else $('history-results').replaceChildren(...els);
      h.cursor = res.next_cursor || '';
      $('history-more').hidden = !h.cursor;
      const n = $('history-results').children.length;
      $('history-summary').textContent = n === 0 ? 'No conversations match.' : n + ' conversation' + (n === 1 ? '' : 's') + (h.cursor ? ' so far' : '') + '.';
    } catch (e) {
      failed(e);
    } finally {
      $('history-submit').disabled = false;
      $('history-more').disabled = false;
    }
  }

  function historyResult(c) {
    const el = clone('tpl-history-result');
    el.dataset.id = c.id;
    channelIcon(part(el, 'channel-icon'), (c.channel && c.channel.type) || '');
    part(el, 'history-name').textContent = customerName(c.customer);
    const st = part(el, 'history-status');
    st.textContent = c.status;
    st.dataset.status = c.status;
    part(el, 'history-date').textContent = dateTimeOf(c.created_at);
    el.addEventListener('click', () => {
      // The results stay as they are; "Back to results" (or the browser's
      // Back) returns to them.
      S.history.scroll = window.scrollY;
      try {
        history.pushState({ switchboard: 'history-result' }, '');
      } catch (_) {
        // No history API: the button still leads back.
      }
      setView('inbox');
      openChat(c.id, { history: true });
    });
    return el;
  }

  function backToResults() {
    setView('history');
    window.scrollTo(0, S.history.scroll || 0);
    const open = S.chat && document.querySelector('[data-testid=history-result][data-id="' + CSS.escape(S.chat.id) + '"] button');
    if (open) open.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- admin

  function setupAdmin() {
    if (!(S.me && S.me.admin)) {
      removeAdmin();
      return;
    }
    if ($('view-admin')) return;
    const tab = clone('tpl-admin-tab');
    tab.addEventListener('click', () => setView('admin'));
    $('tabs').append(tab);
    const view = clone('tpl-admin-view');
    $('view-stats').after(view);
    $('agent-form').addEventListener('submit', createAgent);
  }

  function removeAdmin() {
    const tab = $('tab-admin');
    if (tab) tab.remove();
    const view = $('view-admin');
    if (view) view.remove();
    if (S.view === 'admin') setView('inbox');
  }

  async function loadAdminAgents() {
    if (!$('view-admin')) return;
    const res = await api('GET', '/v1/admin/agents');
    renderAdminAgents(res.agents || []);
    setAgents(res.agents || []);
  }

  function renderAdminAgents(agents) {
    const list = $('agents');
    if (!list) return;
    // While an agent is being edited the list is not drawn again (an
    // agent went online meanwhile): the form, its focus and what was typed
    // stay. Saving or cancelling draws it.
    const editing = list.querySelector('[data-testid=agent-edit-form]');
    if (editing && S.editing) return;
    // Rows are kept by agent id and updated in place, so a click that lands
    // while the list is refreshed still reaches its button.
    const rows = new Map([...list.children].map((el) => [el.dataset.id, el]));
    list.replaceChildren(...agents.slice().sort((a, b) => a.name.localeCompare(b.name)).map((a) => {
      let el = rows.get(a.id);
      if (!el) {
        el = clone('tpl-agent-row');
        el.dataset.id = a.id;
        el.querySelector('[data-testid=agent-edit]').addEventListener('click', () => toggleAgentEdit(el, el.agent));
      }
      el.agent = a;
      el.dataset.online = a.online ? 'true' : 'false';
      part(el, 'agent-name').textContent = a.name + (a.admin ? ' · admin' : '');
      part(el, 'agent-email').textContent = a.email;
      part(el, 'agent-roles').textContent = (a.roles || []).join(', ') || 'all requests';
      part(el, 'agent-load').textContent = (a.active === false ? 'deactivated' : a.online ? 'online' : 'offline') +
        ' · ' + a.active_chats + '/' + a.max_chats;
      el.dataset.active = a.active === false ? 'false' : 'true';
      // A form left open by a save or cancel goes; the one being edited
      // (after a reload of the page's data) opens again.
      const form = el.querySelector('[data-testid=agent-edit-form]');
      if (form && S.editing !== a.id) {
        form.remove();
        el.querySelector('[data-testid=agent-edit]').setAttribute('aria-expanded', 'false');
      } else if (!form && S.editing === a.id) {
        toggleAgentEdit(el, a);
      }
      return el;
    }));
  }

  // toggleAgentEdit opens (or closes) the row's edit form: name, e-mail,
  // roles, capacity, admin, active (deactivate) and a new password (reset).
  function toggleAgentEdit(row, a) {
    const open = row.querySelector('[data-testid=agent-edit-form]');
    const btn = row.querySelector('[data-testid=agent-edit]');
    if (open) {
      open.remove();
      btn.setAttribute('aria-expanded', 'false');
      S.editing = '';
      return;
    }
    S.editing = a.id;
    const f = clone('tpl-agent-edit');
    part(f, 'edit-name').value = a.name || '';
    part(f, 'edit-email').value = a.email || '';
    part(f, 'edit-roles').value = (a.roles || []).join(', ');
    part(f, 'edit-max').value = String(a.max_chats || '');
    part(f, 'edit-admin').checked = Boolean(a.admin);
    part(f, 'edit-active').checked = a.active !== false;
    part(f, 'edit-cancel').addEventListener('click', () => toggleAgentEdit(f.parentNode, a));
    f.addEventListener('submit', (ev) => saveAgent(ev, f, a));
    row.append(f);
    btn.setAttribute('aria-expanded', 'true');
    part(f, 'edit-name').focus();
  }

  async function saveAgent(ev, f, a) {
    ev.preventDefault();
    const err = f.querySelector('[data-testid=agent-edit-error]');
    const body = {};
    const name = part(f, 'edit-name').value.trim();
    const email = part(f, 'edit-email').value.trim();
    const roles = part(f, 'edit-roles').value.split(',').map((r) => r.trim()).filter(Boolean);
    const max = Number(part(f, 'edit-max').value);
    const password = part(f, 'edit-password').value;
    if (name !== a.name) body.name = name;
    if (email !== a.email) body.email = email;
    if (roles.join(',') !== (a.roles || []).join(',')) body.roles = roles;
    if (part(f, 'edit-max').value.trim() !== '' && max !== a.max_chats) {
      if (!Number.isInteger(max)) {
        err.textContent = 'max_chats: must be a whole number.';
        err.hidden = false;
        return;
      }
      body.max_chats = max;
    }
    if (part(f, 'edit-admin').checked !== Boolean(a.admin)) body.admin = part(f, 'edit-admin').checked;
    if (part(f, 'edit-active').checked !== (a.active !== false)) body.active = part(f, 'edit-active').checked;
    if (password) body.password = password;
    if (!Object.keys(body).length) {
      toggleAgentEdit(f.parentNode, a);
      return;
    }
    const save = f.querySelector('[data-testid=agent-edit-save]');
    save.disabled = true;
    try {
      const updated = await api('PATCH', '/v1/admin/agents/' + enc(a.id), body);
      S.editing = '';
      const what = body.active === false ? ' deactivated' : body.password ? ' saved; the new password is in force' : ' saved';
      notice('Agent ' + updated.name + what + '.', 'info');
      await loadAdminAgents();
    } catch (e) {
      if (e.status !== 401) {
        err.textContent = errorText(e);
        err.hidden = false;
      }
    } finally {
      save.disabled = false;
    }
  }

  async function createAgent(ev) {
    ev.preventDefault();
    const err = $('agent-form-error');
    const body = {
      email: $('agent-email').value.trim(),
      name: $('agent-name').value.trim(),
      password: $('agent-password').value,
      admin: $('agent-admin').checked,
    };
    const roles = $('agent-roles').value.split(',').map((r) => r.trim()).filter(Boolean);
    if (roles.length) body.roles = roles;
    const max = $('agent-max-chats').value.trim();
    if (max !== '') {
      const n = Number(max);
      if (!Number.isInteger(n)) {
        err.textContent = 'max_chats: must be a whole number.';
        err.hidden = false;
        return;
      }
      body.max_chats = n;
    }
    $('agent-submit').disabled = true;
    try {
      const a = await api('POST', '/v1/admin/agents', body);
      $('agent-form').reset();
      err.hidden = true;
      err.textContent = '';
      notice('Agent ' + a.name + ' created.', 'info');
      await loadAdminAgents();
    } catch (e) {
      if (e.status !== 401) {
        err.textContent = errorText(e);
        err.hidden = false;
      }
    } finally {
      if ($('agent-submit')) $('agent-submit').disabled = false;
    }
  }

  // ---------------------------------------------------------------- start

  function bind() {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('status-toggle').addEventListener('click', toggleStatus);
    $('tabs').addEventListener('keydown', onTabKey);
    for (const t of tabs()) t.addEventListener('click', () => setView(t.dataset.view));
    $('notice').addEventListener('click', () => {
      $('notice').hidden = true;
    });
    $('notice').addEventListener('mouseenter', () => clearTimeout(S.noticeTimer));
    $('notice').addEventListener('mouseleave', () => {
      if (!$('notice').hidden) armNotice();
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && !$('notice').hidden && !ev.defaultPrevented) $('notice').hidden = true;
    });
    $('chat-back').addEventListener('click', backToResults);
    window.addEventListener('popstate', () => {
      if (S.chat && S.chat.history && S.view === 'inbox') backToResults();
    });
    $('composer').addEventListener('submit', send);
    const input = $('chat-input');
    input.addEventListener('keydown', onInputKey);
    input.addEventListener('keypress', onInputKeyPress);
    input.addEventListener('beforeinput', onBeforeInput);
    input.addEventListener('keyup', () => {
      S.swallow = '';
    });
    input.addEventListener('input', () => {
      if (S.inserted && input.value === '') S.inserted = null;
      if (!S.noteMode) updatePicker();
      updateHint();
      onComposerInput();
    });
    $('chat-note-toggle').addEventListener('click', () => {
      setNoteMode(!S.noteMode);
      input.focus();
    });
    $('me-name').addEventListener('click', editMyName);
    $('me-form').addEventListener('submit', saveMyName);
    $('me-name-cancel').addEventListener('click', () => {
      $('me-form').hidden = true;
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && S.chat) markReadSoon();
    });
    input.addEventListener('blur', () => setTimeout(() => {
      if (document.activeElement !== input) hidePicker();
    }, 150));
    Media.init({
      token: () => S.token,
      signedOut: () => signedOut('Your session has ended. Please sign in again.'),
      notice,
      canAttach: () => Boolean(S.chat) && !readOnly(),
      sent: (m) => {
        if (!m || !S.chat || S.chat.id !== m.conversation_id) return;
        keepMessage(S.chat.messages, m);
        renderMessages();
        scrollMessages(true);
      },
    });
    $('chat-resolve').addEventListener('click', resolveChat);
    $('chat-reassign').addEventListener('click', reassignChat);
    $('chat-reassign-select').addEventListener('change', () => {
      $('chat-reassign').disabled = !canManage() || !$('chat-reassign-select').value;
    });
    $('history-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      searchHistory(false);
    });
    $('history-more').addEventListener('click', () => searchHistory(true));
    window.addEventListener('storage', (ev) => {
      // Logged out in another tab.
      if (ev.key === TOKEN_KEY && !ev.newValue && S.token) signedOut('You signed out in another tab.');
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && S.view === 'stats' && S.token) loadStats().catch(failed);
    });
    setInterval(tick, 1000);
    // Requests offered to others reach me by no event: while I am offline
    // (or an admin), the queue is read again now and then.
    setInterval(() => {
      if (S.token && S.me && (!S.me.online || S.me.admin) && !document.hidden) loadRequests().catch(() => {});
    }, 15000);
  }

  function start() {
    bind();
    if (window.SwitchboardRinger) window.SwitchboardRinger.onOpen(focusRequest);
    try {
      S.token = localStorage.getItem(TOKEN_KEY);
    } catch (_) {
      S.token = null;
    }
    if (S.token) resume();
    else showLogin('');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

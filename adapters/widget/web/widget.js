/*
 * Switchboard chat widget.
 *
 * Embed it with one tag:
 *   <script src="https://HOST/widget.js" data-channel="web" async></script>
 *
 * It appends <div id="switchboard-widget"> to <body>; everything else lives
 * in that element's (open) shadow root, so the host page's CSS cannot reach
 * it. It talks to the gateway it was loaded from (/v1/widget/*), stays live
 * over Server-Sent Events and catches up over REST after a disconnect.
 *
 * No framework and no build step: this file is what browsers run. Every
 * piece of text is set with textContent or text nodes, never parsed as HTML.
 * The data-sb="…" attributes are hooks the browser tests rely on.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || !script.src) return;
  const BASE = new URL(script.src, location.href).origin;
  const CHANNEL = (script.getAttribute("data-channel") || "").trim();
  const KEY = "switchboard." + (CHANNEL || "default") + ".";
  const MAX_TEXT = 4000;
  const MAX_URL = 2048;
  const WAITING_POLL_MS = 20000;

  // ---- storage: visitor_id and visitor_secret outlive the visit
  // (localStorage): agents see the id; the secret, only here, proves a
  // returning visitor. The session token, greeting and panel state last
  // for the tab's visit (sessionStorage), so that every page of a site
  // continues one conversation while a visit on another day counts as a
  // returning one.
  const storage = (area) => ({
    get(k) {
      try { return window[area].getItem(KEY + k); } catch (_) { return null; }
    },
    set(k, v) {
      try {
        if (v === null || v === undefined || v === "") window[area].removeItem(KEY + k);
        else window[area].setItem(KEY + k, String(v));
      } catch (_) { /* storage disabled: the widget still works for this page */ }
    },
  });
  const local = storage("localStorage");
  const tab = storage("sessionStorage");

  const S = {
    token: tab.get("token") || "",
    greeting: tab.get("greeting") || "",
    agent: tab.get("agent") || "",
    names: parseJSON(tab.get("names")) || {},
    keys: parseJSON(tab.get("keys")) || [], // query keys the channel keeps in page URLs
    returning: tab.get("returning") === "1",
    conv: "",
    status: "",
    queue: 0,
    eta: 0,
    lastId: "",
    seen: new Map(), // message id → bubble element
    pending: [], // own messages sent but not yet confirmed
    unread: 0,
    page: "",
    es: null,
    lastEvent: "",
    backoff: 1000,
    starting: null,
    reopenTimer: 0,
    pollTimer: 0,
    noticeTimer: 0,
    // Typing and read marks (see "typing and read marks" below).
    seenUpTo: "", // the newest message the agent has seen
    lastAgentId: "", // the newest agent message displayed
    readPosted: "", // the newest message id told to the server as read
    readTimer: 0,
    typingHide: 0,
    myTyping: { on: false, sentAt: 0, idle: 0 },
  };
  let markReady;
  const ready = new Promise((resolve) => { markReady = resolve; });

  function parseJSON(s) {
    try { return s ? JSON.parse(s) : null; } catch (_) { return null; }
  }

  // ---- DOM helpers ----
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === true) el.setAttribute(k, "");
      else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, String(v));
    }
    el.append(...children); // strings become text nodes
    return el;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function icon(d) {
    const s = document.createElementNS(SVG, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("d", d);
    p.setAttribute("fill", "currentColor");
    s.append(p);
    return s;
  }
  const ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6.2a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z";
  const ICON_CLOSE = "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z";
  const ICON_SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";
  const ICON_CLIP = "M16.5 6v11.5a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6H9v9.5a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v12.5a6 6 0 0 0 12 0V6z";
  const ICON_DOC = "M6 2h8l6 6v14H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5zM8 13v1.6h8V13zm0 3.4V18h8v-1.6z";

  const CSS = `
:host { all: initial !important; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sb {
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2330; text-align: left; letter-spacing: normal; text-transform: none;
  -webkit-font-smoothing: antialiased; -webkit-text-size-adjust: 100%;
}
button { font: inherit; color: inherit; background: none; border: 0; margin: 0; padding: 0; cursor: pointer; text-transform: none; }
button:disabled { cursor: default; opacity: .55; }
:focus { outline: none; }
:focus-visible { outline: 3px solid #f59f00; outline-offset: 2px; }
svg { display: block; width: 20px; height: 20px; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  width: 58px; height: 58px; border-radius: 50%; display: grid; place-items: center;
  background: #3b5bdb; color: #fff; box-shadow: 0 6px 20px rgba(20, 30, 70, .3);
  transition: transform .15s ease, box-shadow .15s ease;
}
.launcher:hover { transform: scale(1.06); box-shadow: 0 8px 26px rgba(20, 30, 70, .36); }
.launcher svg { width: 28px; height: 28px; }
.badge {
  position: absolute; top: -3px; right: -3px; min-width: 20px; height: 20px; padding: 0 6px;
  border-radius: 10px; background: #e03131; color: #fff; font-size: 12px; font-weight: 700; line-height: 20px; text-align: center;
}

.panel {
  position: fixed; right: 20px; bottom: 92px; z-index: 2147483000;
  width: 370px; height: 580px; max-height: calc(100vh - 112px);
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 16px;
  box-shadow: 0 14px 48px rgba(20, 30, 70, .26), 0 0 0 1px rgba(20, 30, 70, .07);
  animation: sb-in .18s ease-out;
}
@keyframes sb-in { from { opacity: 0; transform: translateY(12px) scale(.98); } }
.head { display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 16px; background: #3b5bdb; color: #fff; }
.avatar { width: 36px; height: 36px; border-radius: 50%; display: grid; place-items: center; background: rgba(255, 255, 255, .18); flex: none; }
.title { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25; }
.sub { font-size: 12.5px; opacity: .88; }
.close { margin-left: auto; width: 36px; height: 36px; border-radius: 10px; display: grid; place-items: center; flex: none; }
.close:hover { background: rgba(255, 255, 255, .16); }
.close:focus-visible, .launcher:focus-visible, .send:focus-visible { outline-color: #f59f00; outline-offset: 3px; }
.status { padding: 8px 16px; font-size: 13px; background: #edf2ff; color: #2b44b0; border-bottom: 1px solid #dbe4ff; }
.status.active { background: #e6fcf5; color: #0b7456; border-color: #c3fae8; }
.status.resolved { background: #f1f3f5; color: #495057; border-color: #e9ecef; }

.scroll { flex: 1; overflow-y: auto; padding: 16px 14px 10px; background: #f7f8fb; overscroll-behavior: contain; }
.greeting {
  margin: 0 0 14px; padding: 10px 13px; background: #fff; border: 1px solid #e6e8ef; border-radius: 14px 14px 14px 4px;
  max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere;
}
.log { display: flex; flex-direction: column; gap: 10px; }
.log:focus-visible { outline-offset: 4px; }
.row { display: flex; flex-direction: column; align-items: flex-start; }
.row.customer { align-items: flex-end; }
.row.system { align-items: center; }
.who { margin: 0 0 3px 4px; font-size: 11.5px; font-weight: 600; color: #5c6370; }
.tag { display: inline-block; padding: 0 6px; border-radius: 6px; background: #e7ebf7; color: #3b4a7a; font-size: 10.5px; letter-spacing: .03em; text-transform: uppercase; }
.msg { max-width: 82%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.bot .msg { background: #fff; border: 1px solid #e6e8ef; border-bottom-left-radius: 4px; }
.agent .msg { background: #e6fcf5; border: 1px solid #b2f2da; border-bottom-left-radius: 4px; }
.customer .msg { background: #3b5bdb; color: #fff; border-bottom-right-radius: 4px; }
.system .msg { max-width: 92%; padding: 2px 8px; color: #5c6370; font-size: 12.5px; font-style: italic; text-align: center; }
.pending .msg { opacity: .65; }
.seen { margin: 2px 4px 0 0; font-size: 11px; color: #5c6370; }
.typing { margin: 8px 0 0 4px; font-size: 12.5px; color: #5c6370; font-style: italic; }

.notice { padding: 7px 16px; font-size: 12.5px; background: #fff5f5; color: #b02525; border-top: 1px solid #ffe3e3; }
.foot { padding: 10px 12px 12px; background: #fff; border-top: 1px solid #eceef3; }
.handoff { display: block; width: 100%; margin: 0 0 8px; padding: 8px 12px; border: 1px solid #bac8ff; border-radius: 10px; color: #2b44b0; font-weight: 600; }
.handoff:hover:not(:disabled) { background: #edf2ff; }
.composer { display: flex; align-items: flex-end; gap: 8px; }
textarea {
  flex: 1; min-width: 0; height: 42px; min-height: 42px; max-height: 120px; resize: none; margin: 0;
  padding: 10px 12px; font: inherit; color: inherit; background: #fff;
  border: 1px solid #ced4da; border-radius: 10px;
}
textarea:focus-visible { outline: none; border-color: #3b5bdb; box-shadow: 0 0 0 3px rgba(59, 91, 219, .28); }
textarea::placeholder { color: #868e96; }
.send { width: 42px; height: 42px; border-radius: 10px; display: grid; place-items: center; background: #3b5bdb; color: #fff; flex: none; }
.send:hover:not(:disabled) { background: #364fc7; }

.files { display: flex; flex-direction: column; gap: 6px; max-width: 82%; margin-top: 4px; }
.row.customer .files { align-items: flex-end; }
.file { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; font-size: 13px; color: #5c6370; max-width: 100%; }
.why { padding: 5px 9px; border-radius: 8px; background: #fff5f5; color: #b02525; overflow-wrap: anywhere; }
.spin { width: 16px; height: 16px; border-radius: 50%; border: 2px solid #ced4da; border-top-color: #3b5bdb; animation: sb-spin .9s linear infinite; }
@keyframes sb-spin { to { transform: rotate(360deg); } }
.thumb { display: block; border-radius: 10px; overflow: hidden; background: #e9ecef; min-width: 60px; min-height: 48px; cursor: zoom-in; }
.thumb img { display: block; max-width: 220px; max-height: 220px; }
.file audio { width: 240px; max-width: 100%; height: 40px; }
.file video { display: block; width: 260px; max-width: 100%; max-height: 260px; border-radius: 10px; background: #000; }
.cap { flex-basis: 100%; font-size: 12px; }
.doc, .up { display: flex; align-items: center; gap: 10px; max-width: 100%; padding: 8px 10px; border-radius: 10px;
  background: #fff; border: 1px solid #e6e8ef; color: #1f2330; text-decoration: none; }
.doc svg { flex: none; color: #3b5bdb; }
.doc-t { display: flex; flex-direction: column; min-width: 0; }
.doc-n { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 200px; }
.doc-s { font-size: 12px; color: #5c6370; }
.up { flex-wrap: wrap; max-width: 82%; }
.up .why { flex-basis: 100%; }
.up .doc-n { flex: 1 1 0; min-width: 60px; }
.up progress { width: 80px; height: 8px; }
.x { width: 24px; height: 24px; border-radius: 6px; font-size: 16px; }
.attach { width: 42px; height: 42px; border-radius: 10px; display: grid; place-items: center; color: #5c6370; flex: none; }
.attach:hover:not(:disabled) { background: #f1f3f5; }
.drop .scroll { outline: 3px dashed #3b5bdb; outline-offset: -6px; background: #edf2ff; }
.viewer { position: absolute; inset: 0; z-index: 2; display: flex; flex-direction: column; background: rgba(15, 18, 30, .92); color: #fff; }
.viewer .bar { display: flex; align-items: center; gap: 8px; padding: 10px 12px; }
.viewer .bar span { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.viewer .bar button { padding: 6px 10px; border-radius: 8px; background: rgba(255, 255, 255, .16); }
.viewer img { flex: 1; min-height: 0; width: 100%; object-fit: contain; }

@media (max-width: 480px) {
  .panel { top: 0; right: 0; bottom: 0; left: 0; width: auto; height: auto; max-height: none; border-radius: 0; }
  .launcher.open { display: none; }
  textarea { font-size: 16px; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
}
`;

  // ---- the UI ----
  const host = h("div", { id: "switchboard-widget" });
  const root = host.attachShadow({ mode: "open" });
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet(); // not subject to the host page's style-src
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(h("style", {}, CSS));
  }

  const badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
  const launcher = h("button", {
    type: "button", class: "launcher", "data-sb": "launcher",
    "aria-label": "Chat with us", "aria-expanded": "false", "aria-controls": "sb-panel",
  }, icon(ICON_CHAT), badge);
  const closeBtn = h("button", { type: "button", class: "close", "aria-label": "Close chat" }, icon(ICON_CLOSE));
  const sub = h("div", { class: "sub" }, "We're here to help");
  const statusEl = h("div", { class: "status", "data-sb": "status", role: "status", hidden: true });
  const greetingEl = h("div", { class: "greeting", "data-sb": "greeting", hidden: true });
  const log = h("div", {
    class: "log", "data-sb": "messages", role: "log", "aria-live": "polite",
    "aria-label": "Conversation", tabindex: "0",
  });
  const typingEl = h("div", { class: "typing", "data-sb": "typing", "aria-live": "polite", hidden: true });
  const seenEl = h("div", { class: "seen", "data-sb": "seen", hidden: true }, "Seen");
  const scroller = h("div", { class: "scroll" }, greetingEl, log, typingEl);
  const notice = h("div", { class: "notice", "data-sb": "notice", role: "alert", hidden: true });
  const handoffBtn = h("button", { type: "button", class: "handoff", "data-sb": "handoff" }, "Talk to a person");
  const input = h("textarea", {
    "data-sb": "input", rows: "1", maxlength: String(MAX_TEXT), placeholder: "Write a message…",
    "aria-label": "Message", autocomplete: "off",
  });
  const sendBtn = h("button", { type: "button", class: "send", "data-sb": "send", "aria-label": "Send" }, icon(ICON_SEND));
  // Attachments: the paperclip's file picker and the full-size photo view.
  const picker = h("input", { type: "file", multiple: true, class: "sr", tabindex: "-1", "aria-hidden": "true" });
  const attachBtn = h("button", { type: "button", class: "attach", "data-sb": "attach", "aria-label": "Attach a file" }, icon(ICON_CLIP));
  const viewerName = h("span", {});
  const viewerClose = h("button", { type: "button", "data-sb": "viewer-close" }, "Close");
  const viewerImg = h("img", { alt: "", "data-sb": "viewer-image" });
  const viewer = h("div", { class: "viewer", role: "dialog", "aria-modal": "true", "aria-label": "Photo", "data-sb": "viewer", hidden: true },
    h("div", { class: "bar" }, viewerName, viewerClose), viewerImg);
  const panel = h("div", {
    id: "sb-panel", class: "panel", "data-sb": "panel", role: "dialog", "aria-label": "Chat", hidden: true,
  },
  h("div", { class: "head" },
    h("div", { class: "avatar", "aria-hidden": "true" }, icon(ICON_CHAT)),
    h("div", {}, h("h2", { class: "title" }, "Chat with us"), sub),
    closeBtn),
  statusEl, scroller, notice,
  h("div", { class: "foot" }, handoffBtn, h("div", { class: "composer" }, attachBtn, picker, input, sendBtn)), viewer);
  root.append(h("div", { class: "sb" }, launcher, panel));

  function isOpen() { return !panel.hidden; }

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.classList.add("open");
    tab.set("open", "1");
    S.unread = 0;
    showUnread();
    scrollDown(true);
    readSoon();
    if (focus) input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.classList.remove("open");
    tab.set("open", null);
    launcher.focus();
  }

  function showUnread() {
    badge.hidden = S.unread === 0;
    badge.textContent = S.unread > 9 ? "9+" : String(S.unread);
    launcher.setAttribute("aria-label", S.unread ? `Chat with us (${S.unread} unread)` : "Chat with us");
  }

  function atBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollDown(force) {
    if (force || atBottom()) scroller.scrollTop = scroller.scrollHeight;
  }

  function say(text) {
    clearTimeout(S.noticeTimer);
    notice.textContent = text;
    notice.hidden = !text;
    if (text) S.noticeTimer = setTimeout(() => say(""), 8000);
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }

  launcher.addEventListener("click", () => (isOpen() ? closePanel() : openPanel(true)));
  closeBtn.addEventListener("click", closePanel);
  root.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && isOpen()) {
      e.stopPropagation();
      closePanel();
    }
  });
  let sentByEnter = false; // swallow the line break of that Enter, however it is delivered
  input.addEventListener("keydown", (e) => {
    sentByEnter = e.key === "Enter" && !e.shiftKey && !e.isComposing;
    if (sentByEnter) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener("keyup", () => { sentByEnter = false; });
  input.addEventListener("beforeinput", (e) => {
    if (sentByEnter && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph" || /^[\r\n]+$/.test(e.data || ""))) {
      e.preventDefault();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    onTypingInput();
  });
  sendBtn.addEventListener("click", () => { send(); input.focus(); });
  handoffBtn.addEventListener("click", handoff);

  // ---- messages ----
  function authorLabel(m) {
    switch (m.author) {
      case "bot": return h("div", { class: "who" }, h("span", { class: "tag" }, "Bot"));
      case "agent": {
        if (m.agent_id && !S.names[m.agent_id] && S.agent) {
          S.names[m.agent_id] = S.agent; // the agent who joined last wrote it
          tab.set("names", JSON.stringify(S.names));
        }
        return h("div", { class: "who" }, (m.agent_id && S.names[m.agent_id]) || S.agent || "Agent");
      }
      case "customer": return h("span", { class: "sr" }, "You:");
      default: return null;
    }
  }

  function bubble(author, text, id, at) {
    const msg = h("div", { class: "msg", "data-sb": "message", "data-author": author, "data-id": id || null });
    msg.textContent = text;
    if (at) {
      const d = new Date(at);
      if (!isNaN(d)) msg.title = d.toLocaleString();
    }
    return msg;
  }

  function register(row, msg, m) {
    row.sbId = m.id;
    msg.setAttribute("data-id", m.id);
    S.seen.set(m.id, msg);
    if (m.id > S.lastId) S.lastId = m.id;
    if (m.conversation_id) S.conv = m.conversation_id;
  }

  function place(row, id) {
    if (id && id < S.lastId) { // an older message: keep the log in id (time) order
      for (const r of log.children) {
        if (r.sbId && r.sbId > id) {
          log.insertBefore(row, r);
          return;
        }
      }
    }
    const firstPending = S.pending.length ? S.pending[0].row : null;
    log.insertBefore(row, firstPending && firstPending.parentNode === log ? firstPending : null);
  }

  // addMessage renders a message once, whether it came from the stream, a
  // POST answer or a catch-up; live ones count as unread while closed.
  function addMessage(m, live) {
    if (!m || typeof m.id !== "string" || !m.id) return;
    const text = typeof m.text === "string" ? m.text : "";
    const known = S.seen.get(m.id);
    if (known) {
      if (known.textContent !== text) known.textContent = text;
      if (known !== greetingEl) showFiles(known.parentNode, known, m); // message.updated: a file arrived
      return;
    }
    const author = ["customer", "bot", "agent", "system"].includes(m.author) ? m.author : "system";
    const newConv = m.conversation_id && m.conversation_id !== S.conv;
    if (newConv && author === "bot" && S.greeting && text === S.greeting && ![...log.children].some((r) => r.sbId)) {
      // The stored greeting opens the conversation: it is the greeting line.
      greetingEl.setAttribute("data-id", m.id);
      S.seen.set(m.id, greetingEl);
      if (m.id > S.lastId) S.lastId = m.id;
      S.conv = m.conversation_id;
      return;
    }
    if (author === "customer") {
      const i = S.pending.findIndex((p) => p.text === text.trim());
      if (i >= 0) { // our own message, confirmed by the stream before the POST answered
        const p = S.pending.splice(i, 1)[0];
        p.row.classList.remove("pending");
        register(p.row, p.msg, m);
        return;
      }
    }
    if (author === "agent") {
      showTyping("", false);
      if (m.id > S.lastAgentId) S.lastAgentId = m.id;
      readSoon();
    }
    const msg = bubble(author, text, m.id, m.created_at);
    const label = authorLabel(Object.assign({}, m, { author }));
    const row = h("div", { class: "row " + author }, ...(label ? [label] : []), msg);
    const follow = author === "customer" || atBottom(); // measured before the log grows
    showFiles(row, msg, m);
    place(row, m.id);
    register(row, msg, m);
    if (live && author !== "customer" && !isOpen()) {
      S.unread++;
      showUnread();
    }
    if (author === "customer") renderSeen();
    if (follow) scrollDown(true);
  }

  function addPending(text) {
    const msg = bubble("customer", text);
    const row = h("div", { class: "row customer pending" }, h("span", { class: "sr" }, "You:"), msg);
    log.append(row);
    const p = { text, row, msg };
    S.pending.push(p);
    scrollDown(true);
    return p;
  }

  function settle(p, m) {
    const i = S.pending.indexOf(p);
    if (i < 0) return; // the stream already confirmed it
    S.pending.splice(i, 1);
    if (!m || !m.id || S.seen.has(m.id)) {
      p.row.remove();
      return;
    }
    p.row.classList.remove("pending");
    register(p.row, p.msg, m);
    renderSeen();
  }

  // ---- typing and read marks ----
  // The visitor's typing reaches the agent: at most one PUT per
  // TYPING_EVERY_MS, and "stopped" after TYPING_IDLE_MS without a key or
  // when the message goes. Only while a person is in the chat.
  const TYPING_EVERY_MS = 3000;
  const TYPING_IDLE_MS = 5000;
  // The agent's typing shows for at most this long after the last event,
  // in case its "stopped" never comes.
  const TYPING_SHOW_MS = 8000;

  function onTypingInput() {
    const t = S.myTyping;
    if (S.status !== "active" || !S.token) return;
    if (!input.value.trim()) {
      stopTyping();
      return;
    }
    clearTimeout(t.idle);
    t.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
    const now = Date.now();
    if (t.on && now - t.sentAt < TYPING_EVERY_MS) return;
    t.on = true;
    t.sentAt = now;
    putTyping(true);
  }

  function stopTyping() {
    const t = S.myTyping;
    clearTimeout(t.idle);
    if (t.on) putTyping(false);
    t.on = false;
    t.sentAt = 0;
  }

  function putTyping(on) {
    call("PUT", "/v1/widget/typing", { typing: on }).catch(() => { /* a courtesy: no notice */ });
  }

  function showTyping(name, on) {
    clearTimeout(S.typingHide);
    const text = on ? (name || "The agent") + " is typing…" : "";
    if (typingEl.textContent !== text) typingEl.textContent = text;
    typingEl.hidden = !on;
    if (on) {
      S.typingHide = setTimeout(() => showTyping("", false), TYPING_SHOW_MS);
      scrollDown(false);
    }
  }

  // seenUpTo: the agent has seen the conversation up to message id; "Seen"
  // goes under the visitor's newest message up to there.
  function seenUpTo(id) {
    if (!id || id <= S.seenUpTo) return;
    S.seenUpTo = id;
    renderSeen();
  }

  function renderSeen() {
    let last = null;
    for (const r of log.children) {
      if (r.sbId && r.classList.contains("customer") && r.sbId <= S.seenUpTo) last = r;
    }
    if (!last) {
      seenEl.hidden = true;
      return;
    }
    if (seenEl.parentNode !== last || seenEl !== last.lastElementChild) last.append(seenEl);
    seenEl.hidden = false;
  }

  // readSoon tells the server the newest agent message the widget shows
  // (POST /v1/widget/read), while the panel is open and the page in view:
  // the agent sees it read.
  function readSoon() {
    clearTimeout(S.readTimer);
    S.readTimer = setTimeout(() => {
      const id = S.lastAgentId;
      if (!id || id <= S.readPosted || !isOpen() || document.hidden || !S.token) return;
      S.readPosted = id;
      call("POST", "/v1/widget/read", { up_to: id }).catch(() => { S.readPosted = ""; });
    }, 300);
  }

  // ---- attachments ----
  const KINDS = { image: "Photo", sticker: "Sticker", audio: "Audio", voice: "Voice note", video: "Video", document: "Document" };
  const blobs = new Map(); // attachment URL → Promise of a blob: URL

  function fileSize(n) {
    if (typeof n !== "number" || !(n >= 0)) return "";
    let v = n, i = 0;
    while (v >= 1024 && i < 3) { v /= 1024; i++; }
    return (i === 0 || v >= 10 ? Math.round(v) : Math.round(v * 10) / 10) + " " + ["B", "KB", "MB", "GB"][i];
  }

  function clock(secs) {
    if (!isFinite(secs) || secs < 0) return "";
    const s = Math.round(secs);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // media reads an attachment with the visitor token (files are served
  // only with it, and an address must never carry it) as a blob: URL.
  function media(url) {
    let p = blobs.get(url);
    if (!p) {
      p = (async () => {
        const get = () => fetch(BASE + url, {
          headers: { Authorization: "Bearer " + S.token }, mode: "cors", credentials: "omit",
        }).catch(() => { throw new APIError(0, "network", ""); });
        let res = await get();
        if (res.status === 401) {
          await newSession();
          res = await get();
        }
        if (!res.ok) {
          const d = await res.json().catch(() => null);
          throw new APIError(res.status, "", (d && d.error && d.error.message) || "error " + res.status);
        }
        return URL.createObjectURL(await res.blob());
      })();
      blobs.set(url, p);
      p.catch(() => blobs.delete(url)); // tried again next time
    }
    return p;
  }

  // filesPending: a file is still on its way; a catch-up then reads the
  // whole thread, since the update that made it ready may have been missed.
  function filesPending() {
    return !!log.querySelector('[data-sb=attachment][data-status=pending]');
  }

  function reason(e) {
    return e.status === 0 ? "you seem to be offline" : e.message;
  }

  // showFiles puts m's attachments under its bubble, again only when one
  // of them changed (a pending file became ready or failed).
  function showFiles(row, msg, m) {
    const list = (Array.isArray(m.attachments) ? m.attachments : []).filter((a) => a && typeof a.id === "string");
    const key = JSON.stringify(list.map((a) => [a.id, a.status, a.error, a.thumbnail_url]));
    if (row.sbFiles === key) return;
    row.sbFiles = key;
    const old = row.querySelector(".files");
    if (old) old.remove();
    msg.hidden = list.length > 0 && !msg.textContent; // no empty bubble above a file
    if (list.length) row.append(h("div", { class: "files", "data-sb": "attachments" }, ...list.map(fileView)));
  }

  function fileView(a) {
    const what = KINDS[a.kind] || "File";
    const name = typeof a.name === "string" && a.name ? a.name : what.toLowerCase();
    const box = h("div", { class: "file", "data-sb": "attachment", "data-kind": a.kind, "data-status": a.status, "data-id": a.id });
    const why = (text) => box.replaceChildren(h("span", { class: "why", "data-sb": "attachment-error" }, text));
    if (a.status === "failed") {
      why("Could not fetch: " + (a.error || "unknown reason"));
    } else if (a.status !== "ready") {
      box.append(h("span", { class: "spin", "aria-hidden": "true" }), h("span", { "data-sb": "attachment-pending" }, "Fetching " + what.toLowerCase() + "…"));
    } else if (a.kind === "image" || a.kind === "sticker") {
      const img = h("img", { alt: what + (a.name ? ": " + a.name : "") });
      img.addEventListener("load", () => { // the end of the log moved down
        if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80 + img.offsetHeight) scrollDown(true);
      });
      const open = h("button", { type: "button", class: "thumb", "data-sb": "attachment-image", "aria-label": "Open " + what.toLowerCase() + " full size" }, img);
      open.addEventListener("click", () => view(a, name));
      media(a.thumbnail_url || a.url).then((u) => { img.src = u; }, (e) => why("Could not load: " + reason(e)));
      box.append(open);
    } else if (a.kind === "audio" || a.kind === "voice" || a.kind === "video") {
      const player = h(a.kind === "video" ? "video" : "audio", { controls: true, preload: "metadata", playsinline: true, "aria-label": what + " " + name });
      const len = h("span", { "data-sb": "attachment-length" });
      const showLength = () => { len.textContent = clock(player.duration); };
      player.addEventListener("loadedmetadata", showLength);
      player.addEventListener("durationchange", showLength);
      media(a.url).then((u) => { player.src = u; }, (e) => why("Could not load: " + reason(e)));
      box.append(h("span", { class: "cap" }, what + " ", len), player);
    } else {
      const link = h("a", { class: "doc", href: BASE + a.url, download: name, title: "Download " + name, "data-sb": "attachment-document" },
        icon(ICON_DOC), h("span", { class: "doc-t" }, h("span", { class: "doc-n", "data-sb": "attachment-name" }, name),
          h("span", { class: "doc-s" }, [a.content_type, fileSize(a.size)].filter(Boolean).join(" · "))));
      link.addEventListener("click", (e) => {
        e.preventDefault(); // the address alone would lack the token
        media(a.url).then((u) => {
          const save = h("a", { href: u, download: name, hidden: true });
          root.append(save);
          save.click();
          save.remove();
        }, (err) => say("Could not download " + name + ": " + reason(err)));
      });
      box.append(link);
    }
    return box;
  }

  function view(a, name) {
    viewerName.textContent = name;
    viewerImg.alt = KINDS[a.kind] + ": " + name;
    viewerImg.removeAttribute("src");
    viewer.hidden = false;
    viewer.sbFor = a.id;
    viewerClose.focus();
    media(a.url).then((u) => { if (viewer.sbFor === a.id) viewerImg.src = u; }, (e) => say("Could not load: " + reason(e)));
  }

  function closeViewer() {
    viewer.hidden = true;
    viewer.sbFor = "";
  }

  // upload sends one file the visitor picked, dropped or pasted; it shows
  // as a pending bubble with its progress, and the refusal's reason
  // (too large, a type not accepted) stays in it.
  function upload(file) {
    const name = file.name || "image";
    const bar = h("progress", { max: "1", value: "0", "aria-label": "Uploading " + name });
    const x = h("button", { type: "button", class: "x", "aria-label": "Cancel " + name }, "×");
    const chip = h("div", { class: "up" }, h("span", { class: "doc-n" }, name), h("span", { class: "doc-s" }, fileSize(file.size)), bar, x);
    const row = h("div", { class: "row customer pending", "data-sb": "upload" }, h("span", { class: "sr" }, "You:"), chip);
    const job = { xhr: null };
    x.addEventListener("click", () => {
      if (job.xhr) job.xhr.abort();
      row.remove();
      input.focus();
    });
    log.append(row);
    scrollDown(true);
    (async () => {
      await ready;
      let r = await post(file, bar, job);
      if (r.status === 401) {
        await newSession();
        r = await post(file, bar, job);
      }
      if (r.status < 0) return; // cancelled
      if (r.status !== 202) {
        const e = (r.data && r.data.error) || {};
        throw new APIError(r.status, e.code || "", e.message || "");
      }
      row.remove();
      const m = r.data && r.data.message;
      const moved = m && m.conversation_id && S.conv && m.conversation_id !== S.conv;
      addMessage(m, false);
      if (moved || S.status === "resolved") await sync();
    })().catch((e) => {
      bar.remove();
      x.setAttribute("aria-label", "Dismiss");
      chip.append(h("span", { class: "why", role: "alert", "data-sb": "upload-error" }, problem(e)));
    });
  }

  function post(file, bar, job) {
    return new Promise((resolve) => {
      const form = new FormData();
      form.append("file", file, file.name || "image");
      const x = new XMLHttpRequest();
      job.xhr = x;
      x.addEventListener("loadend", () => { job.xhr = null; });
      x.addEventListener("abort", () => resolve({ status: -1, data: null }));
      x.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; });
      x.addEventListener("load", () => resolve({ status: x.status, data: parseJSON(x.responseText) }));
      x.addEventListener("error", () => resolve({ status: 0, data: null }));
      x.open("POST", BASE + "/v1/widget/attachments");
      x.setRequestHeader("Authorization", "Bearer " + S.token);
      x.send(form);
    });
  }

  const hasFiles = (e) => !!e.dataTransfer && [...(e.dataTransfer.types || [])].includes("Files");
  attachBtn.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    [...(picker.files || [])].forEach(upload);
    picker.value = "";
    input.focus();
  });
  input.addEventListener("paste", (e) => {
    const d = e.clipboardData;
    const files = d ? [...(d.files || [])] : [];
    if (!files.length) return;
    if (![...d.types].includes("text/plain")) e.preventDefault(); // a picture, not text
    files.forEach(upload);
  });
  panel.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    panel.classList.add("drop");
  });
  panel.addEventListener("dragleave", (e) => { if (!panel.contains(e.relatedTarget)) panel.classList.remove("drop"); });
  panel.addEventListener("drop", (e) => {
    panel.classList.remove("drop");
    if (!hasFiles(e)) return;
    e.preventDefault();
    [...e.dataTransfer.files].forEach(upload);
  });
  viewerClose.addEventListener("click", () => { closeViewer(); input.focus(); });
  viewer.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.stopPropagation(); // closes the photo, not the chat
    closeViewer();
    input.focus();
  });

  // ---- status ----
  function minutes(sec) {
    if (sec < 60) return "less than a minute";
    const min = Math.round(sec / 60);
    if (min < 90) return "about " + min + " min";
    return "about " + Math.round(min / 60) + " h";
  }

  function setStatus(st, queue, eta, agentName) {
    st = ["bot", "waiting", "active", "resolved"].includes(st) ? st : "bot";
    S.status = st;
    host.setAttribute("data-sb-status", st);
    if (agentName) {
      S.agent = agentName;
      tab.set("agent", agentName);
    }
    S.queue = st === "waiting" ? Number(queue) || 0 : 0;
    S.eta = st === "waiting" ? Number(eta) || 0 : 0;
    let text = "";
    if (st === "waiting") {
      text = S.queue > 0 ? `You are number ${S.queue} in the queue` : "Waiting for a person";
      if (S.eta > 0) text += " · " + minutes(S.eta);
    } else if (st === "active") {
      // "… joined" is the thread's system message; the line says who is here
      text = S.agent ? "Chatting with " + S.agent : "You are chatting with a person";
    } else if (st === "resolved") {
      text = "This chat has ended";
    }
    if (statusEl.textContent !== text) statusEl.textContent = text;
    statusEl.hidden = !text;
    statusEl.className = "status " + st;
    const asked = st === "waiting" || st === "active";
    handoffBtn.hidden = asked;
    handoffBtn.disabled = asked;
    clearInterval(S.pollTimer);
    S.pollTimer = 0;
    if (st === "waiting") { // the stream says when we move up; the poll refreshes the ETA
      S.pollTimer = setInterval(() => sync().catch(() => {}), WAITING_POLL_MS);
    }
  }

  // ---- HTTP ----
  class APIError extends Error {
    constructor(status, code, message) {
      super(message || code);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(BASE + path, {
        method, headers, mode: "cors", credentials: "omit", cache: "no-store",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new APIError(0, "network", "");
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new APIError(res.status, e.code || "http_" + res.status, e.message || "");
    }
    return data;
  }

  // call is api with the visitor token; a refused token starts a new
  // session (same visitor_id, so the same open conversation) and retries once.
  async function call(method, path, body) {
    try {
      return await api(method, path, body);
    } catch (e) {
      if (e.status !== 401) throw e;
      await newSession();
      return api(method, path, body);
    }
  }

  function problem(e) {
    if (e.status === 0) return "You seem to be offline. Please try again in a moment.";
    if (e.status === 429) return "That was a lot at once. Please wait a moment and try again.";
    if ((e.status === 400 || e.status === 413 || e.status === 415) && e.message) return e.message;
    return "Something went wrong. Please try again.";
  }

  // pageURL: no secrets of the address (?reset_token=…, #access_token=…);
  // the path, the query keys the channel keeps, a #/route.
  function pageURL() {
    if (!/^https?:$/.test(location.protocol)) return "";
    const query = (q) => {
      const kept = new URLSearchParams();
      for (const [k, v] of new URLSearchParams(q)) if (S.keys.indexOf(k) >= 0) kept.append(k, v);
      const s = kept.toString();
      return s ? "?" + s : "";
    };
    let u = location.origin + location.pathname + query(location.search);
    const hash = location.hash;
    if (/^#!?\//.test(hash)) {
      const i = hash.indexOf("?");
      u += i < 0 ? hash : hash.slice(0, i) + query(hash.slice(i + 1));
    }
    if (u.length > MAX_URL) u = location.origin + location.pathname;
    return u.length > MAX_URL ? location.origin + "/" : u;
  }

  function newSession() {
    if (!S.starting) {
      S.starting = (async () => {
        S.token = "";
        tab.set("token", null);
        const body = {};
        if (CHANNEL) body.channel_id = CHANNEL;
        const page = pageURL();
        if (page) body.page_url = page;
        const vid = local.get("visitor_id");
        const secret = local.get("visitor_secret");
        if (vid && secret) {
          body.visitor_id = vid;
          body.visitor_secret = secret;
        }
        let s;
        try {
          s = await api("POST", "/v1/widget/sessions", body);
        } catch (e) {
          if (e.status !== 400 || !body.visitor_id) throw e;
          local.set("visitor_id", null); // not what we were issued: start afresh
          local.set("visitor_secret", null);
          delete body.visitor_id;
          delete body.visitor_secret;
          s = await api("POST", "/v1/widget/sessions", body);
        }
        S.token = s.token;
        S.page = page;
        S.keys = Array.isArray(s.page_url_query_keys) ? s.page_url_query_keys : [];
        tab.set("keys", S.keys.length ? JSON.stringify(S.keys) : null);
        // Kept query keys (utm_source…) were unknown until now: report them.
        if (pageURL() !== page) setTimeout(reportPage, 0);
        S.greeting = s.greeting || "";
        S.returning = !!s.returning;
        tab.set("token", s.token);
        tab.set("greeting", S.greeting);
        tab.set("returning", S.returning ? "1" : null);
        local.set("visitor_id", s.visitor_id);
        local.set("visitor_secret", s.visitor_secret);
        showGreeting();
      })().finally(() => { S.starting = null; });
    }
    return S.starting;
  }

  function showGreeting() {
    greetingEl.textContent = S.greeting;
    greetingEl.hidden = !S.greeting;
    sub.textContent = S.returning ? "Welcome back" : "We're here to help";
  }

  // sync reads what the stream may have missed: messages after the last one
  // seen (all of them the first time, or when full) and the status.
  async function sync(full) {
    const q = S.lastId && !full ? "?after=" + encodeURIComponent(S.lastId) : "";
    const th = await call("GET", "/v1/widget/messages" + q);
    if (!th) return;
    const live = !!S.lastId;
    for (const m of th.messages || []) addMessage(m, live);
    if (typeof th.seen_up_to === "string") seenUpTo(th.seen_up_to);
    setStatus(th.status, th.queue_position, th.eta_seconds);
  }

  // ---- live events ----
  function connect() {
    clearTimeout(S.reopenTimer);
    if (S.es) S.es.close();
    if (!S.token || typeof EventSource !== "function") return;
    let url = BASE + "/v1/widget/events?access_token=" + encodeURIComponent(S.token);
    if (S.lastEvent) url += "&last_event_id=" + encodeURIComponent(S.lastEvent);
    const es = new EventSource(url);
    S.es = es;
    let opens = 0;
    const data = (e) => {
      if (e.lastEventId) S.lastEvent = e.lastEventId;
      return parseJSON(e.data);
    };
    es.addEventListener("open", () => {
      S.backoff = 1000;
      if (opens++ > 0) sync(filesPending()).catch(() => {}); // the browser reconnected: make sure nothing was missed
    });
    es.addEventListener("message.created", (e) => addMessage(data(e), true));
    es.addEventListener("message.updated", (e) => addMessage(data(e), true));
    es.addEventListener("typing", (e) => {
      const d = data(e);
      if (d && d.who === "agent") showTyping(d.agent_name || S.agent, d.typing === true);
    });
    es.addEventListener("read", (e) => {
      const d = data(e);
      if (d && d.who === "agent" && typeof d.up_to === "string") seenUpTo(d.up_to);
    });
    es.addEventListener("status", (e) => {
      const d = data(e);
      if (!d) return;
      const prev = S.status;
      setStatus(d.status, d.queue_position, d.eta_seconds || (d.status === prev ? S.eta : 0), d.agent_name);
      if (d.status === "waiting" && !d.eta_seconds) sync().catch(() => {}); // the poll carries the ETA
    });
    es.addEventListener("error", () => {
      if (S.es !== es || es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      // Closed for good (refused token, server error): back off, catch up
      // (renewing the session if the token was refused), then reopen.
      S.es = null;
      S.lastEvent = "";
      const wait = S.backoff + Math.random() * 1000;
      S.backoff = Math.min(S.backoff * 2, 60000);
      S.reopenTimer = setTimeout(() => sync(filesPending()).catch(() => {}).then(connect), wait);
    });
  }

  // ---- actions ----
  async function send() {
    const text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT) {
      say(`Messages can be at most ${MAX_TEXT} characters.`);
      return;
    }
    input.value = "";
    autosize();
    stopTyping();
    const p = addPending(text);
    try {
      await ready;
      const r = await call("POST", "/v1/widget/messages", { text });
      const m = r && r.message;
      const moved = m && m.conversation_id && S.conv && m.conversation_id !== S.conv;
      settle(p, m);
      if (moved || S.status === "resolved") await sync(); // a new conversation began
    } catch (e) {
      const i = S.pending.indexOf(p);
      if (i >= 0) S.pending.splice(i, 1);
      p.row.remove();
      if (!input.value) {
        input.value = text;
        autosize();
      }
      say(problem(e));
    }
  }

  async function handoff() {
    handoffBtn.disabled = true;
    const text = input.value.trim();
    try {
      await ready;
      // A navigation is reported 250 ms after it settles; the request must
      // carry the page the visitor is on now, so report it first.
      await reportPage();
      const r = await call("POST", "/v1/widget/handoff", text ? { text } : {});
      if (text && input.value.trim() === text) {
        input.value = "";
        autosize();
      }
      const q = r && r.request;
      setStatus("waiting", q && q.queue_position, S.eta);
      // The handoff text is stored without a stream event, and the queue
      // message may already have arrived after it: read the whole thread.
      await sync(!!text);
    } catch (e) {
      if (S.status !== "waiting" && S.status !== "active") handoffBtn.disabled = false;
      say(problem(e));
    }
    input.focus();
  }

  async function reportPage() {
    const page = pageURL();
    if (!page || !S.token || page === S.page) return;
    S.page = page;
    try {
      await call("PUT", "/v1/widget/page", { page_url: page });
    } catch (_) {
      S.page = "";
    }
  }

  function watchNavigation() {
    let timer = 0;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(reportPage, 250);
    };
    for (const name of ["pushState", "replaceState"]) {
      const original = history[name];
      if (typeof original !== "function") continue;
      history[name] = function (...args) {
        const out = original.apply(this, args);
        changed();
        return out;
      };
    }
    window.addEventListener("popstate", changed);
    window.addEventListener("hashchange", changed);
  }

  // ---- start ----
  async function boot() {
    let delay = 2000;
    for (;;) {
      try {
        const resumed = !!S.token;
        if (!resumed) await newSession();
        else showGreeting();
        await sync(); // a refused stored token starts a new session here
        if (resumed) await reportPage();
        break;
      } catch (e) {
        say(e.status === 0 ? "Chat is offline. Reconnecting…" : "Chat is unavailable right now. Retrying…");
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 60000);
      }
    }
    say("");
    host.setAttribute("data-sb-ready", "1");
    markReady();
    connect();
  }

  function mount() {
    if (document.getElementById("switchboard-widget")) return; // loaded twice
    host.setAttribute("data-sb-status", "bot");
    setStatus("bot");
    showGreeting();
    document.body.append(host);
    if (tab.get("open")) openPanel(false);
    watchNavigation();
    window.addEventListener("online", () => { if (!S.es && S.token) connect(); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) readSoon(); });
    boot();
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

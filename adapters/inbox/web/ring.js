// Switchboard inbox ringer: a request offered to this agent rings like a
// phone. app.js tells it, after every change, which requests are offered to
// the agent and whether the agent is online (SwitchboardRinger.update); the
// ringer decides what to play and show:
//
//   - a request newly offered: the ring plays and a desktop notification
//     names the customer, the channel and the first message;
//   - the ring repeats every 15 s while anything is still offered and the
//     agent is online; it stops at once when the list empties (accepted by
//     anyone, removed) or the agent goes offline;
//   - a request whose wait turns amber or red rings once more;
//   - the favicon carries the count of offered requests.
//
// Browsers keep a page silent until the person interacts with it, so the
// first click (or key) anywhere unlocks the sound, and a "click to enable
// sound" hint shows until then. Notification permission is asked only when
// the agent clicks "Enable notifications", never on load. Mute and volume
// persist in localStorage.
//
// The audio element's data-plays counts the rings that really started
// playing, data-reason says why the last one rang (offered, amber, red,
// repeat) and data-ringing whether the ring is repeating: the browser
// tests read them.
(() => {
  'use strict';

  const SETTINGS_KEY = 'switchboard.inbox.sound';
  const REPEAT_MS = 15000;
  const LEVEL_RANK = { normal: 0, amber: 1, red: 2 };

  const R = {
    audio: null,
    unlocked: false,
    unlocking: false,
    muted: false,
    volume: 0.8,
    // rung: request id -> the highest wait level it has rung for.
    rung: new Map(),
    notes: new Map(),
    repeat: 0,
    onOpen: () => {},
    count: -1,
  };

  const $ = (id) => document.getElementById(id);

  function loadSettings() {
    try {
      const s = JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}');
      if (typeof s.muted === 'boolean') R.muted = s.muted;
      if (typeof s.volume === 'number' && s.volume >= 0 && s.volume <= 1) R.volume = s.volume;
    } catch (_) {
      // Unreadable settings: the defaults.
    }
  }

  function saveSettings() {
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify({ muted: R.muted, volume: R.volume }));
    } catch (_) {
      // Private mode without storage: the settings last as long as the page.
    }
  }

  // ---------------------------------------------------------------- sound

  function play(reason) {
    const a = R.audio;
    if (!a || R.muted) return;
    a.dataset.reason = reason;
    a.volume = R.volume;
    a.currentTime = 0;
    const p = a.play();
    if (p && p.then) {
      p.then(() => markUnlocked(), () => {
        // Blocked until the agent clicks: the hint stays up.
        R.unlocked = false;
        renderControls();
      });
    }
  }

  function silence() {
    const a = R.audio;
    if (!a) return;
    a.pause();
    a.currentTime = 0;
  }

  function markUnlocked() {
    if (R.unlocked) return;
    R.unlocked = true;
    renderControls();
  }

  // unlock runs on the first click or key press: a muted play inside the
  // gesture is what lets the page play sound later on its own. If a
  // request is ringing already, the real ring plays instead.
  function unlock() {
    if (R.unlocked || R.unlocking || !R.audio) return;
    if (R.rung.size > 0 && !R.muted) {
      play('offered');
      return;
    }
    // Browsers that track the gesture (Chromium, Firefox) allow sound from
    // now on; the muted play below is for those that need one in the
    // gesture itself (Safari), and may take a while to start on a busy
    // machine.
    if (navigator.userActivation && navigator.userActivation.hasBeenActive) markUnlocked();
    const a = R.audio;
    R.unlocking = true;
    a.muted = true;
    const p = a.play();
    const done = (ok) => {
      a.pause();
      a.currentTime = 0;
      a.muted = false;
      R.unlocking = false;
      if (ok) markUnlocked();
    };
    if (p && p.then) p.then(() => done(true), () => done(false));
    else done(true);
  }

  function startRepeat() {
    stopRepeat();
    R.repeat = setInterval(() => play('repeat'), REPEAT_MS);
    if (R.audio) R.audio.dataset.ringing = 'true';
  }

  function stopRepeat() {
    clearInterval(R.repeat);
    R.repeat = 0;
    if (R.audio) R.audio.dataset.ringing = 'false';
  }

  // ---------------------------------------------------------------- notifications

  function canNotify() {
    return typeof Notification === 'function' && Notification.permission === 'granted';
  }

  function notify(r) {
    if (!canNotify()) return;
    let n;
    try {
      n = new Notification('Request from ' + r.name, {
        body: r.channel + (r.message ? ': ' + r.message : ''),
        tag: 'switchboard-request-' + r.id,
        icon: '/favicon.ico',
      });
    } catch (_) {
      return; // e.g. a platform that only notifies from a service worker
    }
    n.addEventListener('click', () => {
      window.focus();
      n.close();
      R.onOpen(r.id);
    });
    R.notes.set(r.id, n);
  }

  function unnotify(id) {
    const n = R.notes.get(id);
    if (n) n.close();
    R.notes.delete(id);
  }

  async function askPermission() {
    if (typeof Notification !== 'function') return;
    try {
      await Notification.requestPermission();
    } catch (_) {
      // Older browsers take a callback; the state is read again below.
    }
    renderControls();
  }

  // ---------------------------------------------------------------- favicon

  // favicon draws the page's mark with the count in a red badge; without
  // requests the static /favicon.ico shows.
  function favicon(count) {
    if (count === R.count) return;
    R.count = count;
    const link = $('favicon');
    if (!link) return;
    if (count === 0) {
      link.href = '/favicon.ico';
      return;
    }
    const c = document.createElement('canvas');
    c.width = 32;
    c.height = 32;
    const g = c.getContext('2d');
    if (!g) return;
    g.fillStyle = '#2f5bea';
    roundRect(g, 0, 0, 32, 32, 7);
    g.fill();
    g.fillStyle = '#ffffff';
    roundRect(g, 5, 7, 16, 12, 3);
    g.fill();
    g.fillStyle = '#dc2626';
    g.beginPath();
    g.arc(23, 23, 9, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#ffffff';
    g.font = 'bold 13px sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    g.fillText(count > 9 ? '9+' : String(count), 23, 24);
    link.href = c.toDataURL('image/png');
  }

  function roundRect(g, x, y, w, h, r) {
    g.beginPath();
    g.moveTo(x + r, y);
    g.arcTo(x + w, y, x + w, y + h, r);
    g.arcTo(x + w, y + h, x, y + h, r);
    g.arcTo(x, y + h, x, y, r);
    g.arcTo(x, y, x + w, y, r);
    g.closePath();
  }

  // ---------------------------------------------------------------- controls

  function renderControls() {
    const hint = $('sound-hint');
    if (hint) hint.hidden = R.unlocked || R.muted;
    const t = $('sound-toggle');
    if (t) {
      t.setAttribute('aria-pressed', R.muted ? 'false' : 'true');
      t.dataset.muted = R.muted ? 'true' : 'false';
      t.textContent = R.muted ? 'Sound off' : 'Sound on';
      t.title = R.muted ? 'Requests ring silently. Click to turn the ring on.' : 'Requests ring. Click to mute.';
    }
    const v = $('sound-volume');
    if (v) {
      v.value = String(Math.round(R.volume * 100));
      v.disabled = R.muted;
    }
    const ask = $('notify-enable');
    if (ask) ask.hidden = !(typeof Notification === 'function' && Notification.permission === 'default');
  }

  function bind() {
    R.audio = $('ring-audio');
    if (R.audio) {
      R.audio.dataset.plays = '0';
      R.audio.dataset.ringing = 'false';
      R.audio.addEventListener('playing', () => {
        if (R.unlocking) return;
        R.audio.dataset.plays = String(Number(R.audio.dataset.plays) + 1);
      });
    }
    loadSettings();
    // Capture: the first gesture unlocks the sound even if a handler
    // below stops the event.
    document.addEventListener('pointerdown', unlock, true);
    document.addEventListener('keydown', unlock, true);
    const t = $('sound-toggle');
    if (t) {
      t.addEventListener('click', () => {
        R.muted = !R.muted;
        saveSettings();
        if (R.muted) silence();
        renderControls();
      });
    }
    const v = $('sound-volume');
    if (v) {
      v.addEventListener('input', () => {
        R.volume = Math.max(0, Math.min(1, Number(v.value) / 100));
        if (R.audio) R.audio.volume = R.volume;
        saveSettings();
      });
      // Let the agent hear the level chosen.
      v.addEventListener('change', () => {
        if (R.rung.size === 0) play('volume');
      });
    }
    const ask = $('notify-enable');
    if (ask) ask.addEventListener('click', askPermission);
    renderControls();
  }

  // update is told the requests offered to the agent now, each
  // {id, name, channel, message, level}, and whether the agent is online.
  function update(offered, online) {
    const now = online ? offered : [];
    let ring = '';
    const ids = new Set();
    for (const r of now) {
      ids.add(r.id);
      const rank = LEVEL_RANK[r.level] || 0;
      if (!R.rung.has(r.id)) {
        ring = 'offered';
        notify(r);
        R.rung.set(r.id, rank);
      } else if (rank > R.rung.get(r.id)) {
        if (!ring) ring = r.level; // it turned amber or red
        R.rung.set(r.id, rank);
      }
    }
    for (const id of Array.from(R.rung.keys())) {
      if (!ids.has(id)) {
        R.rung.delete(id);
        unnotify(id);
      }
    }
    favicon(now.length);
    if (now.length === 0) {
      stopRepeat();
      silence();
      return;
    }
    if (ring) {
      play(ring);
      startRepeat(); // the next ring 15 s after this one
    } else if (!R.repeat) {
      startRepeat();
    }
  }

  // reset forgets everything (signed out).
  function reset() {
    update([], false);
  }

  window.SwitchboardRinger = {
    update,
    reset,
    onOpen(fn) {
      R.onOpen = fn;
    },
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bind);
  else bind();
})();

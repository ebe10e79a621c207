// Switchboard inbox: the files of a conversation.
//
// Shows each message's attachments (photos as thumbnails that open full
// size, voice notes and audio with their length, video, documents as a chip
// that downloads) and lets the agent attach files to the composer with the
// paperclip, by dropping them on the conversation or by pasting an image.
//
// The files are served only with the agent's bearer token, so they are read
// with fetch() and shown from blob: URLs; no token ever goes into an
// address. File names and types come from customers: they reach the page as
// text and attribute values only, like everything else in the inbox.
// app.js calls the functions of window.SwitchboardMedia (below).
(() => {
  'use strict';

  const KIND_LABEL = {
    image: 'Photo', sticker: 'Sticker', audio: 'Audio', voice: 'Voice note', video: 'Video', document: 'Document',
  };

  const M = {
    app: null, // the hooks app.js gave to init
    blobs: new Map(), // attachment URL → Promise of a blob: URL
    staged: [], // files in the composer, waiting for Send
    sending: false,
    seen: null, // IntersectionObserver that loads media as it scrolls into view
  };

  const $ = (id) => document.getElementById(id);

  function clone(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  function part(el, cls) {
    return el.querySelector('.' + cls);
  }

  // 1 decimal below 10 of a unit, none above: 980 B, 4.2 KB, 12 MB.
  function size(n) {
    if (typeof n !== 'number' || !(n >= 0)) return '';
    const units = ['B', 'KB', 'MB', 'GB'];
    let v = n;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 || v >= 10 ? Math.round(v) : Math.round(v * 10) / 10) + ' ' + units[i];
  }

  function length(secs) {
    if (!Number.isFinite(secs) || secs < 0) return '';
    const s = Math.round(secs);
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function label(a) {
    return KIND_LABEL[a.kind] || 'File';
  }

  function displayName(a) {
    return a.name || label(a).toLowerCase();
  }

  // ---------------------------------------------------------------- loading

  class MediaError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // load reads an attachment URL with the agent's token once per page
  // (until reset) and gives a blob: URL for it.
  function load(url) {
    let p = M.blobs.get(url);
    if (!p) {
      p = fetchBlob(url);
      M.blobs.set(url, p);
      p.catch(() => M.blobs.delete(url)); // a failure is tried again next time
    }
    return p;
  }

  async function fetchBlob(url) {
    const token = M.app.token();
    let res;
    try {
      res = await fetch(url, { headers: token ? { Authorization: 'Bearer ' + token } : {}, cache: 'default' });
    } catch (_) {
      throw new MediaError(0, 'The server cannot be reached.');
    }
    if (!res.ok) {
      let msg = '';
      try {
        const data = await res.json();
        msg = (data && data.error && data.error.message) || '';
      } catch (_) {
        msg = '';
      }
      if (res.status === 401) M.app.signedOut();
      throw new MediaError(res.status, msg || 'The file could not be loaded (' + res.status + ').');
    }
    return URL.createObjectURL(await res.blob());
  }

  // whenSeen runs fn once el comes near the visible part of the page.
  function whenSeen(el, fn) {
    if (typeof IntersectionObserver !== 'function') {
      fn();
      return;
    }
    if (!M.seen) {
      M.seen = new IntersectionObserver((entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          M.seen.unobserve(e.target);
          const run = e.target._whenSeen;
          e.target._whenSeen = null;
          if (run) run();
        }
      }, { rootMargin: '300px' });
    }
    el._whenSeen = fn;
    M.seen.observe(el);
  }

  // loadInto loads url and hands the blob: URL to show; a failure replaces
  // el's content with the reason.
  function loadInto(el, url, show) {
    whenSeen(el, () => {
      el.dataset.loading = 'true';
      load(url).then((blob) => {
        el.dataset.loading = 'false';
        show(blob);
      }, (err) => {
        el.dataset.loading = 'false';
        showFailure(el.closest('.attachment') || el, 'Could not load: ' + err.message);
      });
    });
  }

  // showFailure puts the reason in place of the attachment item li.
  function showFailure(li, text) {
    li.dataset.status = 'failed';
    const f = clone('tpl-attachment-failed');
    part(f, 'attachment-reason').textContent = text;
    li.replaceChildren(f);
  }

  // ---------------------------------------------------------------- messages

  // fill shows m.attachments in the message element el (from app.js's
  // fillMessage). Unchanged attachments are left alone, so an update of the
  // message (a delivery mark) does not restart a playing voice note.
  function fill(el, m) {
    const list = Array.isArray(m.attachments) ? m.attachments.filter((a) => a && a.id) : [];
    const key = JSON.stringify(list.map((a) => [a.id, a.status, a.error, a.thumbnail_url]));
    if (el._mediaKey === key) return;
    el._mediaKey = key;
    let holder = part(el, 'attachments');
    if (!list.length) {
      if (holder) holder.remove();
      el.dataset.files = '0';
      return;
    }
    if (!holder) {
      holder = document.createElement('ul');
      holder.className = 'attachments';
      holder.setAttribute('aria-label', 'Files');
      part(el, 'text').after(holder);
    }
    const old = new Map(Array.from(holder.children).map((c) => [c.dataset.id, c]));
    const items = list.map((a) => {
      const was = old.get(a.id);
      if (was && was._key === JSON.stringify([a.status, a.error, a.thumbnail_url])) return was;
      return attachment(a);
    });
    holder.replaceChildren(...items);
    el.dataset.files = String(list.length);
    // A caption-less file needs no empty text line.
    part(el, 'text').hidden = !m.text;
  }

  function attachment(a) {
    const li = clone('tpl-attachment');
    li.dataset.id = a.id;
    li.dataset.kind = a.kind || 'document';
    li.dataset.status = a.status || 'pending';
    li._key = JSON.stringify([a.status, a.error, a.thumbnail_url]);
    if (a.status === 'failed') {
      showFailure(li, 'Could not fetch: ' + (a.error || 'unknown reason'));
      return li;
    }
    if (a.status !== 'ready') {
      const p = clone('tpl-attachment-pending');
      part(p, 'attachment-wait').textContent = 'Fetching ' + label(a).toLowerCase() + (a.size ? ' (' + size(a.size) + ')' : '') + '…';
      li.replaceChildren(p);
      return li;
    }
    switch (a.kind) {
      case 'image':
      case 'sticker':
        li.append(image(a));
        break;
      case 'audio':
      case 'voice':
        li.append(audio(a));
        break;
      case 'video':
        li.append(video(a));
        break;
      default:
        li.append(documentChip(a));
    }
    return li;
  }

  function image(a) {
    const el = clone('tpl-attachment-image');
    const img = el.querySelector('img');
    img.alt = label(a) + (a.name ? ': ' + a.name : '');
    el.setAttribute('aria-label', 'Open ' + label(a).toLowerCase() + (a.name ? ' ' + a.name : '') + ' full size' + (a.size ? ', ' + size(a.size) : ''));
    el.title = a.name || '';
    img.addEventListener('load', () => stayAtBottom(img));
    loadInto(el, a.thumbnail_url || a.url, (blob) => {
      img.src = blob;
    });
    el.addEventListener('click', () => openViewer(a));
    return el;
  }

  // stayAtBottom keeps the conversation scrolled to its end when a picture
  // that just loaded pushed the end down.
  function stayAtBottom(el) {
    const list = el.closest('.messages');
    if (list && list.scrollHeight - list.scrollTop - list.clientHeight < 80 + el.offsetHeight) list.scrollTop = list.scrollHeight;
  }

  function audio(a) {
    const el = clone('tpl-attachment-audio');
    const player = el.querySelector('audio');
    const what = part(el, 'attachment-label');
    const len = part(el, 'attachment-length');
    what.textContent = label(a) + (a.name && a.kind !== 'voice' ? ' · ' + a.name : '');
    player.setAttribute('aria-label', label(a) + (a.name ? ' ' + a.name : ''));
    const showLength = () => {
      len.textContent = length(player.duration);
    };
    player.addEventListener('loadedmetadata', showLength);
    player.addEventListener('durationchange', showLength);
    loadInto(el, a.url, (blob) => {
      player.src = blob;
    });
    return el;
  }

  function video(a) {
    const el = clone('tpl-attachment-video');
    const player = el.querySelector('video');
    player.setAttribute('aria-label', label(a) + (a.name ? ' ' + a.name : ''));
    const len = part(el, 'attachment-length');
    player.addEventListener('loadedmetadata', () => {
      len.textContent = length(player.duration);
    });
    loadInto(el, a.url, (blob) => {
      player.src = blob;
    });
    return el;
  }

  function documentChip(a) {
    const el = clone('tpl-attachment-document');
    part(el, 'attachment-name').textContent = displayName(a);
    part(el, 'attachment-size').textContent = [a.content_type, size(a.size)].filter(Boolean).join(' · ');
    el.title = 'Download ' + displayName(a);
    el.href = a.url;
    el.setAttribute('download', displayName(a));
    el.addEventListener('click', (ev) => {
      ev.preventDefault();
      download(a, el);
    });
    return el;
  }

  // download saves the file under its name; the link itself needs the
  // token, which a plain navigation cannot send.
  async function download(a, el) {
    el.setAttribute('aria-busy', 'true');
    try {
      const blob = await load(a.url);
      const link = document.createElement('a');
      link.href = blob;
      link.download = displayName(a);
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    } catch (err) {
      M.app.notice('Could not download ' + displayName(a) + ': ' + err.message, 'error');
    } finally {
      el.removeAttribute('aria-busy');
    }
  }

  // ---------------------------------------------------------------- viewer

  function openViewer(a) {
    const dlg = $('media-viewer');
    const img = part(dlg, 'viewer-image');
    const status = part(dlg, 'viewer-status');
    const name = part(dlg, 'viewer-name');
    const dl = part(dlg, 'viewer-download');
    img.removeAttribute('src');
    img.alt = label(a) + (a.name ? ': ' + a.name : '');
    img.hidden = true;
    name.textContent = displayName(a) + (a.size ? ' · ' + size(a.size) : '');
    status.textContent = 'Loading…';
    status.hidden = false;
    dl.onclick = (ev) => {
      ev.preventDefault();
      download(a, dl);
    };
    dl.href = a.url;
    dlg._for = a.id;
    if (!dlg.open) dlg.showModal();
    load(a.url).then((blob) => {
      if (dlg._for !== a.id) return;
      img.src = blob;
      img.hidden = false;
      status.hidden = true;
    }, (err) => {
      if (dlg._for !== a.id) return;
      status.textContent = 'Could not load: ' + err.message;
    });
  }

  // ---------------------------------------------------------------- composer

  function addFiles(files) {
    if (!M.app.canAttach()) return;
    for (const f of files) {
      if (!(f instanceof File)) continue;
      M.staged.push({ file: f, el: null, error: '' });
    }
    renderStaged();
  }

  function renderStaged() {
    const tray = $('staged-files');
    tray.replaceChildren(...M.staged.map((s) => {
      if (!s.el) s.el = stagedItem(s);
      const err = part(s.el, 'staged-error');
      err.textContent = s.error;
      err.hidden = !s.error;
      s.el.dataset.state = s.error ? 'failed' : s.progress !== undefined ? 'uploading' : 'staged';
      return s.el;
    }));
    tray.hidden = M.staged.length === 0;
    $('chat-send').dataset.files = String(M.staged.length);
  }

  function stagedItem(s) {
    const el = clone('tpl-staged-file');
    part(el, 'staged-name').textContent = s.file.name || 'pasted image';
    part(el, 'staged-size').textContent = size(s.file.size);
    el.title = s.file.name || '';
    const remove = part(el, 'staged-remove');
    remove.setAttribute('aria-label', 'Remove ' + (s.file.name || 'pasted image'));
    remove.addEventListener('click', () => {
      if (s.xhr) s.xhr.abort();
      M.staged = M.staged.filter((x) => x !== s);
      renderStaged();
      $('chat-input').focus();
    });
    return el;
  }

  function hasStaged() {
    return M.staged.length > 0;
  }

  // sendStaged uploads the staged files to the conversation one after
  // another, the text of input as the first one's caption. A refused file
  // stays in the tray with the server's reason; the caption returns to the
  // input if its file was refused.
  async function sendStaged(conversationID, input) {
    if (M.sending) return;
    M.sending = true;
    let caption = input.value.replace(/\s+$/, '');
    const raw = input.value;
    input.value = '';
    try {
      for (const s of M.staged.slice()) {
        if (!M.staged.includes(s)) continue; // removed meanwhile
        s.error = '';
        try {
          const msg = await upload(conversationID, s, caption);
          caption = '';
          M.staged = M.staged.filter((x) => x !== s);
          renderStaged();
          M.app.sent(msg);
        } catch (err) {
          s.progress = undefined;
          if (err.status === 401 || err.status === -1) continue; // signed out, or removed by the agent
          s.error = err.message;
          renderStaged();
          M.app.notice(s.file.name + ': ' + err.message, 'error');
        }
      }
    } finally {
      M.sending = false;
      if (caption && input.value.trim() === '') input.value = raw;
    }
  }

  function upload(conversationID, s, caption) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append('file', s.file, s.file.name || 'image');
      if (caption) form.append('text', caption);
      const xhr = new XMLHttpRequest();
      s.xhr = xhr;
      const bar = part(s.el, 'staged-progress');
      s.progress = 0;
      bar.value = 0;
      bar.hidden = false;
      renderStaged();
      xhr.upload.addEventListener('progress', (ev) => {
        if (ev.lengthComputable) bar.value = ev.loaded / ev.total;
      });
      const done = () => {
        s.xhr = null;
        bar.hidden = true;
      };
      xhr.addEventListener('load', () => {
        done();
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (_) {
          data = null;
        }
        if (xhr.status === 202 || xhr.status === 200 || xhr.status === 201) {
          resolve(data && data.message);
          return;
        }
        if (xhr.status === 401) M.app.signedOut();
        const e = (data && data.error) || {};
        reject(new MediaError(xhr.status, e.message || 'The upload failed (' + xhr.status + ').'));
      });
      xhr.addEventListener('error', () => {
        done();
        reject(new MediaError(0, 'The server cannot be reached. Check the connection and try again.'));
      });
      xhr.addEventListener('abort', () => {
        done();
        reject(new MediaError(-1, 'Upload cancelled.'));
      });
      xhr.open('POST', '/v1/conversations/' + encodeURIComponent(conversationID) + '/attachments');
      xhr.setRequestHeader('Authorization', 'Bearer ' + M.app.token());
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.send(form);
    });
  }

  function hasFiles(ev) {
    const types = ev.dataTransfer ? Array.from(ev.dataTransfer.types || []) : [];
    return types.includes('Files');
  }

  function bindComposer() {
    const pick = $('chat-file');
    $('chat-attach').addEventListener('click', () => pick.click());
    pick.addEventListener('change', () => {
      addFiles(Array.from(pick.files || []));
      pick.value = '';
      $('chat-input').focus();
    });
    $('chat-input').addEventListener('paste', (ev) => {
      const data = ev.clipboardData;
      const files = data ? Array.from(data.files || []) : [];
      if (!files.length || !M.app.canAttach()) return;
      // A pasted picture becomes a file; pasted text stays text.
      if (!data.types.includes('text/plain')) ev.preventDefault();
      addFiles(files);
    });
    const zone = $('chat');
    let depth = 0;
    const off = () => {
      depth = 0;
      zone.classList.remove('dropping');
    };
    zone.addEventListener('dragenter', (ev) => {
      if (!hasFiles(ev) || !M.app.canAttach()) return;
      ev.preventDefault();
      depth++;
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragover', (ev) => {
      if (!hasFiles(ev) || !M.app.canAttach()) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'copy';
    });
    zone.addEventListener('dragleave', () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) off();
    });
    zone.addEventListener('drop', (ev) => {
      off();
      if (!hasFiles(ev) || !M.app.canAttach()) return;
      ev.preventDefault();
      addFiles(Array.from(ev.dataTransfer.files || []));
      $('chat-input').focus();
    });
    const viewer = $('media-viewer');
    part(viewer, 'viewer-close').addEventListener('click', () => viewer.close());
    viewer.addEventListener('click', (ev) => {
      if (ev.target === viewer) viewer.close(); // the backdrop
    });
  }

  // ---------------------------------------------------------------- life cycle

  // init takes app.js's hooks: token(), signedOut(), notice(text, kind),
  // canAttach() (a conversation the agent may write to is open) and
  // sent(message) (an upload was accepted).
  function init(app) {
    M.app = app;
    bindComposer();
  }

  // reset forgets the files of the last conversation: the staged ones and
  // the loaded ones (their blob: URLs are released).
  function reset() {
    for (const s of M.staged) if (s.xhr) s.xhr.abort();
    M.staged = [];
    if ($('staged-files')) renderStaged();
    for (const p of M.blobs.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
    M.blobs.clear();
    if (M.seen) M.seen.disconnect();
    M.seen = null;
    const viewer = $('media-viewer');
    if (viewer && viewer.open) viewer.close();
  }

  window.SwitchboardMedia = Object.freeze({ init, fill, reset, hasStaged, sendStaged });
})();

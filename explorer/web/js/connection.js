// Whether the page can reach the node, from two sources: every HTTP call's outcome (rpc.js)
// and the WebSocket's state (socket.js). When either says the node is gone, a banner says so
// plainly and counts down to the next automatic attempt; when both are back, a short
// "reconnected" note replaces it. `document.body.dataset.connection` mirrors the state.

import { formatDuration } from './format.js';

export class Connection {
  constructor({ rpcUrl, banner, note, onChange = () => {} }) {
    this.rpcUrl = rpcUrl;
    this.banner = banner;
    this.note = note;
    this.onChange = onChange;
    this.httpFailed = false;
    this.httpReason = '';
    this.wsDown = false;
    this.retryAt = 0;
    this.attempt = 0;
    this.online = true;
    this.noteTimer = null;
    setInterval(() => this.render(), 500);
  }

  /** The outcome of an HTTP call. */
  http(ok, reason = '') {
    this.httpFailed = !ok;
    if (!ok) this.httpReason = reason;
    this.update();
  }

  /** The WebSocket's state: 'connecting', 'open' or 'closed' (with {delay, attempt}). */
  ws(state, info = {}) {
    if (state === 'open') {
      this.wsDown = false;
      this.httpFailed = false; // the node answered
    } else if (state === 'closed') {
      this.wsDown = true;
      this.retryAt = Date.now() + (info.delay || 0);
      this.attempt = info.attempt || 0;
    }
    this.update();
  }

  /** While the page starts: the next attempt of the first call. */
  retrying(delay, attempt, reason) {
    this.httpFailed = true;
    this.httpReason = reason;
    this.retryAt = Date.now() + delay;
    this.attempt = attempt;
    this.update();
  }

  update() {
    const online = !this.httpFailed && !this.wsDown;
    const changed = online !== this.online;
    this.online = online;
    this.render();
    if (changed) {
      if (online) this.flashNote('Reconnected to the node: live updates resumed.');
      this.onChange(online);
    }
  }

  flashNote(text) {
    this.note.textContent = text;
    this.note.hidden = false;
    clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => {
      this.note.hidden = true;
    }, 4000);
  }

  render() {
    document.body.dataset.connection = this.online ? 'online' : 'offline';
    if (this.online) {
      this.banner.hidden = true;
      return;
    }
    this.note.hidden = true;
    const reason = this.wsDown ? 'the connection is closed' : this.httpReason || 'no answer';
    const wait = Math.max(0, this.retryAt - Date.now());
    const next = wait > 0 ? `next attempt in ${formatDuration(wait)}` : 'trying now';
    this.banner.textContent =
      `The node at ${this.rpcUrl} cannot be reached (${reason}). ` +
      `The page keeps trying by itself: ${next}` +
      (this.attempt > 1 ? ` (attempt ${this.attempt}).` : '.');
    this.banner.hidden = false;
  }
}

// One WebSocket to the node carrying every subscription of the page, reconnecting by itself.
//
// A subscription is declared once with a `params()` function; on every (re)connection the
// socket subscribes again with the params of that moment, which is how the block feed resumes
// from the next height and an account from its last cursor (docs/RPC.md, "How subscriptions
// resume"). Retries back off (backoff.js); `onState` hears 'connecting', 'open' and
// 'closed' (with the delay before the next attempt).

import { retryDelay } from './backoff.js';

export class Socket {
  constructor(url, { onState = () => {} } = {}) {
    this.url = url;
    this.onState = onState;
    this.subs = new Set();
    this.pending = new Map(); // request id -> subscription awaiting its id
    this.active = new Map(); // subscription id (from the server) -> subscription
    this.nextId = 1;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.connect();
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.timer);
    this.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleRetry(String(e));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState('open');
      for (const sub of this.subs) this.send(sub);
    };
    ws.onmessage = (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return; // replaced by reset()
      this.ws = null;
      this.scheduleRetry('the connection closed');
    };
    ws.onerror = () => {}; // a close event follows
  }

  scheduleRetry(reason) {
    this.pending.clear();
    this.active.clear();
    for (const sub of this.subs) sub.id = null;
    const delay = retryDelay(this.attempt++);
    this.onState('closed', { delay, reason, attempt: this.attempt });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Drops the connection and reconnects at once (when HTTP calls show the node is gone). */
  reset() {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close();
    }
    this.scheduleRetry('reset');
  }

  /**
   * Subscribes with `method` and `params()`; `onItem(item)` gets every notification and
   * `onError(error)` a refusal. Answers a handle with close() and restart().
   */
  subscribe({ method, unsubscribe, params, onItem, onError = () => {} }) {
    const sub = { method, unsubscribe, params, onItem, onError, id: null, closed: false, gen: 0 };
    sub.close = () => this.close(sub);
    sub.restart = () => {
      sub.gen++; // an answer still on its way belongs to the old subscription
      this.dropServerSide(sub);
      this.send(sub);
    };
    this.subs.add(sub);
    this.send(sub);
    return sub;
  }

  send(sub) {
    if (!this.isOpen || sub.closed) return;
    const id = this.nextId++;
    this.pending.set(id, { sub, gen: sub.gen });
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: sub.method, params: sub.params() }));
  }

  receive(msg) {
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { sub, gen } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) {
        if (gen === sub.gen) sub.onError(msg.error);
        return;
      }
      if (sub.closed || gen !== sub.gen) {
        this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: sub.unsubscribe, params: [msg.result] }));
        return;
      }
      sub.id = msg.result;
      this.active.set(String(msg.result), sub);
      return;
    }
    const p = msg.params;
    if (msg.method && p && p.subscription !== undefined) {
      const sub = this.active.get(String(p.subscription));
      if (!sub) return; // an old subscription's late item
      if (p.error !== undefined) {
        this.active.delete(String(p.subscription));
        sub.id = null;
        return;
      }
      sub.onItem(p.result);
    }
  }

  dropServerSide(sub) {
    if (sub.id === null) return;
    this.active.delete(String(sub.id));
    if (this.isOpen) {
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method: sub.unsubscribe, params: [sub.id] }));
    }
    sub.id = null;
  }

  close(sub) {
    sub.closed = true;
    this.subs.delete(sub);
    this.dropServerSide(sub);
  }
}

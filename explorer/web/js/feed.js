// The chain as the page has seen it: the recent blocks from chain_subscribeBlocks, in height
// order, each once. It remembers where to resume (`nextHeight`), refuses duplicates, and
// reports a gap (a height skipped) so the caller subscribes again from the missing height.
//
// Each block is kept as {block, receivedAt, live}: `live` is true when the block arrived as
// it was committed (its height is above the chain height the node reported when the page
// (re)subscribed, and the node was not syncing), so `receivedAt - block.time_ms` measures
// "header time to seen final here"; replayed blocks get no such measurement.

export class ChainFeed {
  constructor({ keep = 300 } = {}) {
    this.keep = keep;
    this.entries = [];
    this.lastHeight = null;
    this.from = 1;
    this.liveAfter = Infinity;
    this.listeners = new Set();
  }

  /** Where the first subscription starts (before any block arrived). */
  startFrom(height) {
    this.from = Math.max(1, height);
  }

  /** The `from_height` to subscribe with now: the block after the last one received. */
  nextHeight() {
    return this.lastHeight === null ? this.from : this.lastHeight + 1;
  }

  /** Takes one block; answers 'added', 'duplicate' or 'gap' (the block is then not taken). */
  accept(block, receivedAt = Date.now()) {
    const height = block.height;
    if (this.lastHeight !== null && height <= this.lastHeight) return 'duplicate';
    if (height > this.nextHeight()) return 'gap';
    const entry = { block, receivedAt, live: height > this.liveAfter };
    this.entries.push(entry);
    if (this.entries.length > this.keep) this.entries.splice(0, this.entries.length - this.keep);
    this.lastHeight = height;
    for (const fn of this.listeners) fn(entry);
    return 'added';
  }

  /** Calls `fn(entry)` for every new block; answers a function that stops it. */
  onBlock(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The newest entry, or null. */
  tip() {
    return this.entries.length ? this.entries[this.entries.length - 1] : null;
  }

  /** The `n` newest entries, newest first. */
  latest(n) {
    return this.entries.slice(-n).reverse();
  }

  /** The `n` newest transactions as {hash, height, index, time_ms}, newest first. */
  latestTxs(n) {
    const out = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < n; i--) {
      const b = this.entries[i].block;
      for (let j = b.tx_hashes.length - 1; j >= 0 && out.length < n; j--) {
        out.push({ hash: b.tx_hashes[j], height: b.height, index: j, time_ms: b.time_ms });
      }
    }
    return out;
  }
}

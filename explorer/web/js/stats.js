// Numbers the dashboard derives from the blocks it has seen. Pure functions over the feed's
// entries ({block, receivedAt, live}, oldest first), so they are easy to test.
//
// What each number is, honestly, given what the RPC provides:
// - transactions per second: transactions of the blocks whose header time falls in each bin
//   of the last minute, divided by the bin's length;
// - block interval: the difference between consecutive blocks' header times (time_ms), which
//   the proposers set;
// - seen final after: for blocks that arrived live, this browser's receive time minus the
//   block's header time: proposal to commit certificate to delivery here, plus any clock
//   difference between the proposer and this browser;
// - a validator's last signed height: the newest block whose commit certificate lists it. A
//   certificate holds only the signatures that reached a quorum first, so an online validator
//   can be missing from some; "online" means it signed or proposed one of the last blocks.

/** Bins of the last `windowMs` ending at `nowMs`: [{start, end, txs, rate}] oldest first. */
export function tpsBins(entries, nowMs, windowMs = 60_000, binMs = 5_000) {
  const count = Math.ceil(windowMs / binMs);
  const start = nowMs - count * binMs;
  const bins = Array.from({ length: count }, (_, i) => ({
    start: start + i * binMs,
    end: start + (i + 1) * binMs,
    txs: 0,
    rate: 0,
  }));
  for (const { block } of entries) {
    const i = Math.floor((block.time_ms - start) / binMs);
    if (i >= 0 && i < count) bins[i].txs += block.tx_hashes.length;
  }
  for (const bin of bins) bin.rate = bin.txs / (binMs / 1000);
  return bins;
}

/** Transactions per second over the whole window, and the count. */
export function tpsOverall(bins) {
  const txs = bins.reduce((sum, b) => sum + b.txs, 0);
  const seconds = bins.length ? (bins[bins.length - 1].end - bins[0].start) / 1000 : 0;
  return { txs, rate: seconds > 0 ? txs / seconds : 0 };
}

/** Header-time differences of consecutive heights: [{height, ms}]. */
export function blockIntervals(entries) {
  const out = [];
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1].block;
    const b = entries[i].block;
    if (b.height === a.height + 1) out.push({ height: b.height, ms: b.time_ms - a.time_ms });
  }
  return out;
}

/** "Seen final after" of the live entries: [{height, ms}]. */
export function commitDelays(entries) {
  return entries
    .filter((e) => e.live)
    .map((e) => ({ height: e.block.height, ms: e.receivedAt - e.block.time_ms }));
}

/** The median of numbers, or NaN for none. */
export function median(values) {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Per validator key: {lastSigned, lastProposed, status}. `status` is 'online' when it signed
 * or proposed one of the newest `window` blocks, 'offline' when it did neither and at least
 * `window` blocks were seen, else 'unknown'.
 */
export function validatorActivity(entries, validators, window = 20) {
  const out = new Map();
  for (const v of validators) out.set(v.key, { lastSigned: null, lastProposed: null, status: 'unknown' });
  for (const { block } of entries) {
    const proposer = out.get(block.proposer);
    if (proposer) proposer.lastProposed = block.height;
    for (const key of block.commit?.signers ?? []) {
      const v = out.get(key);
      if (v) v.lastSigned = block.height;
    }
  }
  const tip = entries.length ? entries[entries.length - 1].block.height : null;
  for (const v of out.values()) {
    const last = Math.max(v.lastSigned ?? -Infinity, v.lastProposed ?? -Infinity);
    if (tip !== null && last > tip - window) v.status = 'online';
    else if (entries.length >= window) v.status = 'offline';
  }
  return out;
}

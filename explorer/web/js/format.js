// How values read on the page: amounts in display units, short hashes, times and durations.
// Pure functions, no DOM. Amounts arrive as decimal strings of minor units (docs/RPC.md) and
// are handled as BigInt or strings only: never as floats, which would round large balances.

/**
 * Formats minor units as display units with the genesis decimals and thousands separators:
 * formatAmount("123456789", 2) is "1,234,567.89". Answers "?" for anything that is not a
 * non-negative integer string.
 */
export function formatAmount(units, decimals) {
  let text;
  try {
    if (typeof units === 'bigint') {
      text = units.toString();
    } else if (typeof units === 'string' && /^\d+$/.test(units)) {
      text = BigInt(units).toString(); // drops leading zeros
    } else {
      return '?';
    }
  } catch {
    return '?';
  }
  if (text.startsWith('-')) return '?';
  const d = Number(decimals) || 0;
  const padded = text.padStart(d + 1, '0');
  const whole = padded.slice(0, padded.length - d);
  const frac = padded.slice(padded.length - d);
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return d > 0 ? `${grouped}.${frac}` : grouped;
}

/** A signed amount for an account's history: "+12.34" received, "−12.34" sent. */
export function formatSigned(units, decimals, outgoing) {
  const text = formatAmount(units, decimals);
  if (text === '?') return text;
  return (outgoing ? '\u2212' : '+') + text;
}

/** "abcdef12…9f8e7d" for a 64-digit hash; addresses keep their "vl1" and a few characters. */
export function shortHash(value, head = 8, tail = 6) {
  if (typeof value !== 'string') return '';
  if (value.length <= head + tail + 1) return value;
  return `${value.slice(0, head)}\u2026${value.slice(-tail)}`;
}

/** "vl1vuf75j…ruzs". */
export function shortAddress(value) {
  return shortHash(value, 9, 6);
}

/** A duration for people: "850 ms", "1.2 s", "42 s", "3 min", "2 h 5 min". */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '–';
  const sign = ms < 0 ? '\u2212' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 10_000) return `${sign}${(a / 1000).toFixed(1)} s`;
  if (a < 120_000) return `${sign}${Math.round(a / 1000)} s`;
  if (a < 7_200_000) return `${sign}${Math.round(a / 60_000)} min`;
  const h = Math.floor(a / 3_600_000);
  const m = Math.round((a % 3_600_000) / 60_000);
  return `${sign}${h} h ${m} min`;
}

/** "4 s ago" (or "in 2 s" for a time ahead of this browser's clock). */
export function formatAgo(timeMs, nowMs = Date.now()) {
  const d = nowMs - timeMs;
  if (d < -1000) return `in ${formatDuration(-d)}`;
  return `${formatDuration(Math.max(0, d))} ago`;
}

/** A UTC timestamp: "2026-11-21 23:40:02 UTC". */
export function formatTime(timeMs) {
  if (!Number.isFinite(timeMs)) return '–';
  return new Date(timeMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** A plain count with thousands separators. */
export function formatCount(n) {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** Transactions per second with one decimal (two below 1). */
export function formatRate(perSecond) {
  if (!Number.isFinite(perSecond)) return '–';
  return perSecond < 1 && perSecond > 0 ? perSecond.toFixed(2) : perSecond.toFixed(1);
}

// How long to wait before the next reconnection attempt: doubling from 250 ms up to 4 s, with
// ±20% jitter so many open pages do not retry in step. Pure.

export const FIRST_DELAY_MS = 250;
export const MAX_DELAY_MS = 4000;

/** The delay before attempt `attempt` (0 is the first retry); `random` is in [0, 1). */
export function retryDelay(attempt, random = Math.random()) {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random));
}

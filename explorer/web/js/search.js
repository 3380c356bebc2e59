// What a search box entry is: a height, a 64-digit hash (a block's or a transaction's: only
// the node can tell), an address, or nothing the chain names. Pure, so the page and the
// browser test share it; the search view asks the node about the answer.

import { checkAddress } from './bech32.js';

const MAX_U64 = (1n << 64n) - 1n;

/**
 * Classifies a search entry. Answers one of
 * {kind: 'height', height}, {kind: 'hash', hash}, {kind: 'address', address},
 * {kind: 'empty'}, {kind: 'invalid', reason}.
 */
export function classify(input) {
  const text = String(input ?? '').trim().replace(/^#/, '');
  if (text === '') return { kind: 'empty' };
  // 64 digits is a hash that happens to have no letters, not a height.
  if (/^\d[\d,]*$/.test(text) && text.length !== 64) {
    const digits = text.replace(/,/g, '');
    const big = BigInt(digits);
    if (big > MAX_U64) return { kind: 'invalid', reason: 'larger than any height' };
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
      return { kind: 'invalid', reason: 'larger than any height this page handles' };
    }
    return { kind: 'height', height: Number(big) };
  }
  const hex = text.replace(/^0x/i, '');
  if (/^[0-9a-fA-F]+$/.test(hex) && !/^vl1/i.test(text)) {
    if (hex.length === 64) return { kind: 'hash', hash: hex.toLowerCase() };
    return {
      kind: 'invalid',
      reason: `${hex.length} hex digits: a block or transaction hash has 64`,
    };
  }
  if (/^vl1/i.test(text)) {
    const checked = checkAddress(text);
    if (checked.ok) return { kind: 'address', address: checked.address };
    return { kind: 'invalid', reason: `not an address: it ${checked.reason}` };
  }
  return {
    kind: 'invalid',
    reason: 'enter a block height, a 64-digit block or transaction hash, or an address (vl1…)',
  };
}

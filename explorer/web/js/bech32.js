// Bech32m (BIP-350) checking of Vellum addresses, so search can tell a typo from an address
// before asking the node. Address rule (docs/PROTOCOL.md, section 3): human-readable part
// "vl", 32 five-bit groups of data (the 20-byte address, no witness version), 6-symbol
// checksum: 41 characters in all, one case only.

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32M_CONST = 0x2bc830a3;
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values) {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk = (chk ^ GEN[i]) >>> 0;
    }
  }
  return chk;
}

function hrpExpand(hrp) {
  const out = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

/**
 * Checks a `vl1…` address. Answers {ok: true, address} with the address in lower case, or
 * {ok: false, reason} saying what is wrong.
 */
export function checkAddress(text) {
  if (typeof text !== 'string') return { ok: false, reason: 'not text' };
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) {
    return { ok: false, reason: 'mixes upper and lower case' };
  }
  const s = text.toLowerCase();
  if (!s.startsWith('vl1')) return { ok: false, reason: 'does not start with vl1' };
  if (s.length !== 41) {
    return { ok: false, reason: `has ${s.length} characters; an address has 41` };
  }
  const data = [];
  for (const c of s.slice(3)) {
    const v = CHARSET.indexOf(c);
    if (v < 0) return { ok: false, reason: `has the character '${c}', which no address has` };
    data.push(v);
  }
  if (polymod([...hrpExpand('vl'), ...data]) !== BECH32M_CONST) {
    return { ok: false, reason: 'has a wrong checksum (a typo?)' };
  }
  return { ok: true, address: s };
}

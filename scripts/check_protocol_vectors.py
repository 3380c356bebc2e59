#!/usr/bin/env python3
"""Checks the test vectors of docs/PROTOCOL.md with an independent implementation.

Pure Python 3.11 standard library. Everything here follows docs/PROTOCOL.md, not the Rust code:
ed25519 (RFC 8032, section 5.1) written from the RFC's description, Bech32m (BIP-350), and the
canonical encoding. The script reads the `key: value` lines of the ```text fence under
"## Test vectors", rebuilds every derived value from the input fields, and compares.

Usage: python3 scripts/check_protocol_vectors.py [path/to/PROTOCOL.md]
Exit status 0 when every vector matches, 1 on any mismatch, 2 when the document cannot be read.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# ed25519, RFC 8032 section 5.1
# ---------------------------------------------------------------------------------------------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _inv(x: int) -> int:
    return pow(x, P - 2, P)


# Points in extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, x*y = T/Z.
def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s: int, pt):
    q = (0, 1, 1, 0)  # the neutral element
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _equal(p1, p2) -> bool:
    x1, y1, z1, _ = p1
    x2, y2, z2, _ = p2
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _recover_x(y: int, sign: int):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def _compress(pt) -> bytes:
    x, y, z, _ = pt
    zi = _inv(z)
    x, y = x * zi % P, y * zi % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(b: bytes):
    if len(b) != 32:
        return None
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _sha512_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand(seed: bytes) -> tuple[int, bytes]:
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def public_key(seed: bytes) -> bytes:
    a, _ = _expand(seed)
    return _compress(_mul(a, BASE))


def sign(seed: bytes, msg: bytes) -> bytes:
    a, prefix = _expand(seed)
    pub = _compress(_mul(a, BASE))
    r = _sha512_int(prefix, msg) % L
    big_r = _compress(_mul(r, BASE))
    k = _sha512_int(big_r, pub, msg) % L
    s = (r + k * a) % L
    return big_r + int.to_bytes(s, 32, "little")


def _small_order(pt) -> bool:
    return _equal(_mul(8, pt), (0, 1, 1, 0))


def verify_strict(pub: bytes, msg: bytes, sig: bytes) -> bool:
    """The rule of PROTOCOL.md: canonical encodings, S < L, A and R not of small order,
    and the cofactorless equation [S]B = R + [k]A."""
    if len(sig) != 64:
        return False
    a_pt, r_pt = _decompress(pub), _decompress(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a_pt is None or r_pt is None or s >= L:
        return False
    if _compress(a_pt) != pub or _compress(r_pt) != sig[:32]:
        return False
    if _small_order(a_pt) or _small_order(r_pt):
        return False
    k = _sha512_int(sig[:32], pub, msg) % L
    return _equal(_mul(s, BASE), _add(r_pt, _mul(k, a_pt)))


# ---------------------------------------------------------------------------------------------
# Bech32m, BIP-350
# ---------------------------------------------------------------------------------------------

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3


def _polymod(values) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_5bit(data: bytes):
    acc, bits, out = 0, 0, []
    for b in data:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def bech32m_encode(hrp: str, data: bytes) -> str:
    five = _to_5bit(data)
    pm = _polymod(_hrp_expand(hrp) + five + [0] * 6) ^ BECH32M_CONST
    checksum = [(pm >> (5 * (5 - i))) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[d] for d in five + checksum)


# ---------------------------------------------------------------------------------------------
# The canonical encoding (PROTOCOL.md, "Primitive encoding")
# ---------------------------------------------------------------------------------------------


def u8(v: int) -> bytes:
    return v.to_bytes(1, "big")


def u32(v: int) -> bytes:
    return v.to_bytes(4, "big")


def u64(v: int) -> bytes:
    return v.to_bytes(8, "big")


def u128(v: int) -> bytes:
    return v.to_bytes(16, "big")


def string(s: str) -> bytes:
    b = s.encode("utf-8")
    return u32(len(b)) + b


def sha256(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


TAG_TX = b"VELLUM/TX/v1\x00"
TAG_PROPOSAL = b"VELLUM/PROPOSAL/v1\x00"
TAG_VOTE = b"VELLUM/VOTE/v1\x00"
TAG_ADDRESS = b"VELLUM/ADDRESS/v1\x00"
HRP = "vl"
LIMITS = {
    "max_chain_id_len": 64,
    "max_memo_len": 256,
    "max_tx_bytes": 1024,
    "max_block_txs": 20000,
    "max_validators": 256,
    "max_nesting": 8,
}

OP_TRANSFER, OP_MINT = 0, 1
VOTE_PREVOTE, VOTE_PRECOMMIT = 1, 2


def address_of(pub: bytes) -> bytes:
    return sha256(TAG_ADDRESS, pub)[:20]


def transaction(chain_id: str, sender: bytes, nonce: int, expiry_ms: int, op: bytes) -> bytes:
    return string(chain_id) + sender + u64(nonce) + u64(expiry_ms) + op


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash."""
    if not leaves:
        return sha256()
    if len(leaves) == 1:
        return sha256(b"\x00", leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01", merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def vote(kind: int, height: int, round_: int, block: bytes | None, validator: bytes) -> bytes:
    opt = b"\x00" if block is None else b"\x01" + block
    return u8(kind) + u64(height) + u32(round_) + opt + validator


def amount_display(units: int, decimals: int) -> str:
    if decimals == 0:
        return str(units)
    scale = 10**decimals
    return f"{units // scale}.{units % scale:0{decimals}d}"


def amount_parse(text: str, decimals: int) -> int:
    whole, dot, frac = text.strip().partition(".")
    if (not whole and not frac) or (dot and not frac) or not _digits(whole + frac):
        raise ValueError(f"malformed amount {text!r}")
    significant = frac.rstrip("0")
    if len(significant) > decimals:
        raise ValueError(f"{text!r} has more than {decimals} decimals")
    units = int(whole or "0") * 10**decimals + int(significant.ljust(decimals, "0") or "0")
    if units == 0 or units >= 2**128:
        raise ValueError(f"{text!r} is zero or too large")
    return units


def _digits(s: str) -> bool:
    return all(c in "0123456789" for c in s)


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def read_vectors(doc: str) -> dict[str, str]:
    try:
        section = doc.split("\n## Test vectors", 1)[1]
        body = section.split("```text\n", 1)[1].split("\n```", 1)[0]
    except IndexError:
        raise SystemExit("check_protocol_vectors: no ```text fence under '## Test vectors'") from None
    out: dict[str, str] = {}
    for line in body.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if ": " not in line:
            raise SystemExit(f"check_protocol_vectors: not a `key: value` line: {line!r}")
        k, v = line.split(": ", 1)
        out[k] = v
    return out


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "docs" / "PROTOCOL.md"
    try:
        vec = read_vectors(path.read_text(encoding="utf-8"))
    except OSError as e:
        print(f"check_protocol_vectors: cannot read {path}: {e}", file=sys.stderr)
        return 2

    checked = 0
    mismatches: list[str] = []
    used: set[str] = set()

    def check(key: str, got: str) -> None:
        nonlocal checked
        checked += 1
        used.add(key)
        if key not in vec:
            mismatches.append(f"{key}: missing from the document (computed {got})")
        elif vec[key] != got:
            mismatches.append(f"{key}:\n  document: {vec[key]}\n  python:   {got}")

    def check_true(what: str, ok: bool) -> None:
        nonlocal checked
        checked += 1
        if not ok:
            mismatches.append(what)

    def need(key: str) -> str:
        used.add(key)
        if key not in vec:
            raise SystemExit(f"check_protocol_vectors: input {key!r} missing from {path}")
        return vec[key]

    # Tags and the address prefix.
    check("tag_tx_hex", TAG_TX.hex())
    check("tag_proposal_hex", TAG_PROPOSAL.hex())
    check("tag_vote_hex", TAG_VOTE.hex())
    check("tag_address_hex", TAG_ADDRESS.hex())
    check("address_hrp", HRP)

    # Keys and addresses.
    seed = bytes.fromhex(need("seed_hex"))
    check_true("seed_hex is 0x01..0x20", seed == bytes(range(1, 33)))
    pub = public_key(seed)
    addr = address_of(pub)
    check("public_key_hex", pub.hex())
    check("address_hex", addr.hex())
    check("address", bech32m_encode(HRP, addr))

    rseed = bytes.fromhex(need("recipient_seed_hex"))
    check_true("recipient_seed_hex is 0x21..0x40", rseed == bytes(range(0x21, 0x41)))
    rpub = public_key(rseed)
    raddr = address_of(rpub)
    check("recipient_public_key_hex", rpub.hex())
    check("recipient_address_hex", raddr.hex())
    check("recipient_address", bech32m_encode(HRP, raddr))

    chain_id = need("chain_id")

    # Transactions.
    def tx_checks(name: str, op: bytes, to_key: str) -> bytes:
        check(to_key, bech32m_encode(HRP, raddr))
        body = transaction(
            chain_id, pub, int(need(f"{name}_nonce")), int(need(f"{name}_expiry_ms")), op
        )
        msg = TAG_TX + body
        sig = sign(seed, msg)
        signed = body + sig
        check(f"{name}_encoding_hex", body.hex())
        check(f"{name}_signing_bytes_hex", msg.hex())
        check(f"{name}_signature_hex", sig.hex())
        check(f"{name}_signed_encoding_hex", signed.hex())
        check(f"{name}_tx_hash", sha256(signed).hex())
        check_true(f"{name}: the signature verifies", verify_strict(pub, msg, sig))
        check_true(
            f"{name}: the signature does not verify for another chain",
            not verify_strict(pub, TAG_TX + transaction("x", pub, 0, 0, op), sig),
        )
        return signed

    memo = need("transfer_memo")
    check("transfer_memo_utf8_hex", memo.encode("utf-8").hex())
    transfer_op = u8(OP_TRANSFER) + raddr + u128(int(need("transfer_amount"))) + string(memo)
    transfer = tx_checks("transfer", transfer_op, "transfer_to")

    mint_op = u8(OP_MINT) + raddr + u128(int(need("mint_amount")))
    mint = tx_checks("mint", mint_op, "mint_to")

    # Transaction roots.
    t_hash, m_hash = sha256(transfer), sha256(mint)
    check("tx_root_of_transfer_mint", merkle_root([t_hash, m_hash]).hex())
    check("tx_root_of_transfer", merkle_root([t_hash]).hex())
    check("tx_root_of_nothing", merkle_root([]).hex())

    # The validator set, sorted by key bytes.
    power, rpower = int(need("validator_power")), int(need("recipient_validator_power"))
    validators = sorted([(pub, power), (rpub, rpower)])
    vset = u32(len(validators)) + b"".join(k + u64(pw) for k, pw in validators)
    check("validator_set_encoding_hex", vset.hex())
    check("validator_set_hash", sha256(vset).hex())

    # The header and the block hash.
    height = int(need("header_height"))
    header = (
        string(chain_id)
        + u64(height)
        + u64(int(need("header_time_ms")))
        + bytes.fromhex(need("header_prev_hash"))
        + merkle_root([t_hash, m_hash])
        + bytes.fromhex(need("header_state_root"))
        + pub
        + bytes.fromhex(need("header_last_commit_hash"))
        + sha256(vset)
    )
    block = sha256(header)
    check("header_encoding_hex", header.hex())
    check("block_hash", block.hex())

    # The precommit, the nil prevote and the proposal.
    round_ = int(need("vote_round"))
    v = vote(VOTE_PRECOMMIT, height, round_, block, pub)
    v_msg = TAG_VOTE + string(chain_id) + v
    v_sig = sign(seed, v_msg)
    check("vote_encoding_hex", v.hex())
    check("vote_signing_bytes_hex", v_msg.hex())
    check("vote_signature_hex", v_sig.hex())
    check("signed_vote_encoding_hex", (v + v_sig).hex())
    check("nil_prevote_encoding_hex", vote(VOTE_PREVOTE, height, round_, None, pub).hex())

    proposal = u64(height) + u32(round_) + block + b"\x00" + pub
    p_msg = TAG_PROPOSAL + string(chain_id) + proposal
    check("proposal_encoding_hex", proposal.hex())
    check("proposal_signing_bytes_hex", p_msg.hex())
    check("proposal_signature_hex", sign(seed, p_msg).hex())

    # The certificate: signers sorted and distinct, more than two thirds of the power.
    cert = u64(height) + u32(round_) + block + u32(1) + pub + v_sig
    check("certificate_encoding_hex", cert.hex())
    check("certificate_hash", sha256(cert).hex())
    check_true("the certificate has a quorum", 3 * power > 2 * (power + rpower))
    check_true("the certificate signature verifies", verify_strict(pub, v_msg, v_sig))

    # Amounts.
    decimals = int(need("amount_decimals"))
    units = int(need("amount_minor_units"))
    check("amount_display", amount_display(units, decimals))
    check("amount_json", json.dumps(str(units)))
    check_true("amount_display parses back", amount_parse(vec["amount_display"], decimals) == units)
    check("amount_parse_minor_units", str(amount_parse(need("amount_parse_text"), decimals)))

    # Limits.
    for key, value in LIMITS.items():
        check(key, str(value))
    check_true(
        "the Transfer memo fits max_memo_len", len(memo.encode("utf-8")) <= LIMITS["max_memo_len"]
    )
    check_true("the signed Transfer fits max_tx_bytes", len(transfer) <= LIMITS["max_tx_bytes"])

    # Every line of the document was used as an input or checked.
    unknown = sorted(set(vec) - used)
    if unknown:
        mismatches.append("vectors this script does not check: " + ", ".join(unknown))

    if mismatches:
        print("protocol vectors: MISMATCH", file=sys.stderr)
        for m in mismatches:
            print(f"  {m}", file=sys.stderr)
        print(f"protocol vectors: {checked} checked, {len(mismatches)} mismatches")
        return 1
    print(f"protocol vectors: {checked} checked, 0 mismatches")
    return 0


if __name__ == "__main__":
    sys.exit(main())

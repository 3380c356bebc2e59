//! Many compressed Edwards points decompressed at once: the `R` of every signature in a batch.
//!
//! Decompressing `y` takes a square root, `x = ±sqrt(u / v)` with `u = y² - 1` and
//! `v = d·y² + 1`, and the root is an exponentiation (about 250 squarings in a row) that
//! curve25519-dalek computes one point at a time: about half of a batch verification's time on
//! this project's machine. Here the exponentiations run side by side in AVX-512 IFMA lanes,
//! 32 points at a time ([`super::field_x8`]); the rest (about six products per point) is
//! [`Fe`] arithmetic.
//!
//! The answer is curve25519-dalek's, point for point (this module's tests):
//! - every root the vector code proposes is checked in the serial field, `v·x² = u`, which is
//!   the curve's equation `-x² + y² = 1 + d·x²·y²` solved for `x²`; the two roots `±x` are the
//!   only points with that `y`, and the encoding's sign bit picks one;
//! - anything else (no square root, `x = 0` with the sign bit set, a `y` of p or more, a CPU
//!   without IFMA) is left to `CompressedEdwardsY::decompress`.
//!
//! curve25519-dalek offers no way to build a point from its coordinates, so [`from_affine`]
//! writes the four coordinates into an `EdwardsPoint` by its memory layout (`X, Y, Z, T`, each
//! five 51-bit limbs). That layout is the crate's private business: it is checked at compile
//! time for its size and at first use against points curve25519-dalek decompressed itself
//! ([`layout_holds`]); if the check fails, every point goes to curve25519-dalek.
#![allow(unsafe_code)]

use std::sync::OnceLock;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;

use super::field::Fe;
use super::field_x8;

// The layout `from_affine` writes: four field elements of five `u64` limbs each.
const _: () = assert!(std::mem::size_of::<EdwardsPoint>() == std::mem::size_of::<[[u64; 5]; 4]>());
const _: () = assert!(std::mem::align_of::<EdwardsPoint>() == std::mem::align_of::<u64>());

/// Each encoding decompressed, as `CompressedEdwardsY(*e).decompress()` would.
pub(super) fn decompress_all(encodings: &[[u8; 32]]) -> Vec<Option<EdwardsPoint>> {
    if !fast_path_works() {
        return encodings.iter().map(dalek).collect();
    }
    decompress_fast(encodings)
}

fn dalek(encoding: &[u8; 32]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(*encoding).decompress()
}

/// Whether the CPU has IFMA and the layout check passed (decided once per process).
pub(super) fn fast_path_works() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| field_x8::available() && layout_holds())
}

fn decompress_fast(encodings: &[[u8; 32]]) -> Vec<Option<EdwardsPoint>> {
    let ys: Vec<Option<Fe>> = encodings.iter().map(canonical_y).collect();
    let inputs: Vec<Fe> = ys.iter().flatten().copied().collect();
    let roots = field_x8::candidate_roots(&inputs).expect("IFMA was checked");
    let mut roots = roots.into_iter();
    encodings
        .iter()
        .zip(ys)
        .map(|(encoding, y)| {
            let sign = encoding[31] & 0x80 != 0;
            let fast = y.and_then(|y| point(y, roots.next().expect("one root per y"), sign));
            fast.or_else(|| dalek(encoding))
        })
        .collect()
}

/// The `y` an encoding names, `None` if it is not canonical (curve25519-dalek reads it modulo p).
fn canonical_y(encoding: &[u8; 32]) -> Option<Fe> {
    let mut y = *encoding;
    y[31] &= 0x7f;
    Fe::from_canonical_bytes(&y)
}

/// The point with this `y` and sign, given a candidate root `r` of `u/v`; `None` where
/// curve25519-dalek must decide (no root, or `x = 0` with the sign bit set).
///
/// The answer rests on this function alone, in the serial field, whatever the vector code
/// proposed: `x² = u/v` is the curve's equation `-x² + y² = 1 + d·x²·y²` solved for `x²`, so
/// an `x` that passes the check is one of the two points with this `y`, and the sign picks it.
fn point(y: Fe, r: Fe, sign: bool) -> Option<EdwardsPoint> {
    let yy = y.square();
    let u = yy.sub(Fe::ONE);
    let v = Fe::D.mul(yy).add(Fe::ONE);
    // v·r² = u: r is a root of u/v; v·r² = -u: r·sqrt(-1) is. Otherwise there is none.
    let check = v.mul(r.square());
    let x = if check.same(u) {
        r
    } else if check.same(u.neg()) {
        r.mul(Fe::SQRT_M1)
    } else {
        return None;
    };
    if x.is_zero() && sign {
        return None;
    }
    let x = if x.is_negative() != sign { x.neg() } else { x };
    Some(from_affine(x, y))
}

/// The point `(x, y)` in curve25519-dalek's extended coordinates `(X : Y : Z : T)` with
/// `Z = 1`, `T = x·y`. [`Fe`]'s limbs are within the bounds of curve25519-dalek's own reduced
/// field elements (below 2^51, the lowest by at most 19 · 2^13 more).
fn from_affine(x: Fe, y: Fe) -> EdwardsPoint {
    let coordinates = [x, y, Fe::ONE, x.mul(y)].map(|c| c.0);
    // SAFETY: an `EdwardsPoint` is four field elements `X, Y, Z, T`, each five `u64` limbs of
    // 51 bits in radix 2^51 (curve25519-dalek's 64-bit serial field, which every backend of its
    // x86-64 build uses for points); the sizes are asserted above, any bytes are valid `u64`s,
    // and `layout_holds` checks the order and the radix against curve25519-dalek's own points
    // before this path is used.
    unsafe { std::mem::transmute::<[[u64; 5]; 4], EdwardsPoint>(coordinates) }
}

/// Whether points built by [`from_affine`] are the points curve25519-dalek decompresses:
/// equal to them, encoding to the same bytes, and giving the same sums and negations (which
/// read `T`), for a spread of points, each built by this module (none left to the crate).
fn layout_holds() -> bool {
    let points: Vec<EdwardsPoint> = (1..=16u64)
        .map(|k| ED25519_BASEPOINT_POINT * Scalar::from(k.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    let encodings: Vec<[u8; 32]> = points.iter().map(|p| p.compress().to_bytes()).collect();
    let Some(ys) = encodings
        .iter()
        .map(canonical_y)
        .collect::<Option<Vec<Fe>>>()
    else {
        return false;
    };
    let Some(roots) = field_x8::candidate_roots(&ys) else {
        return false;
    };
    let b = ED25519_BASEPOINT_POINT;
    points
        .iter()
        .zip(&encodings)
        .zip(ys.into_iter().zip(roots))
        .all(|((want, e), (y, r))| {
            let Some(ours) = point(y, r, e[31] & 0x80 != 0) else {
                return false;
            };
            ours == *want
                && ours.compress().to_bytes() == *e
                && (ours + b).compress() == (want + b).compress()
                && (-ours).compress() == (-want).compress()
                && (ours + ours).compress() == (want + want).compress()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encodings() -> Vec<[u8; 32]> {
        let mut out = Vec::new();
        // Points of the curve, with either sign...
        for k in 1..300u64 {
            let p = ED25519_BASEPOINT_POINT * Scalar::from(k.wrapping_mul(0x2545_f491_4f6c_dd1d));
            out.push(p.compress().to_bytes());
            let mut flipped = p.compress().to_bytes();
            flipped[31] ^= 0x80;
            out.push(flipped);
        }
        // ...arbitrary bytes (about half are no point)...
        let mut s = 0x1234_5678_9abc_def1_u64;
        for _ in 0..300 {
            let bytes: [u8; 32] = std::array::from_fn(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 24) as u8
            });
            out.push(bytes);
        }
        // ...and the edges: y = 0, 1, -1, the small-order points, non-canonical y, x = 0
        // with the sign bit set.
        let mut edges = vec![[0u8; 32]; 4];
        edges[1][0] = 1;
        edges[2] = [0xff; 32];
        edges[2][0] = 0xec;
        edges[2][31] = 0x7f;
        edges[3][0] = 1;
        edges[3][31] = 0x80;
        for k in 0..19u8 {
            let mut e = [0xff; 32];
            e[0] = 0xed + k;
            e[31] = 0x7f;
            edges.push(e);
            e[31] = 0xff;
            edges.push(e);
        }
        for p in curve25519_dalek::constants::EIGHT_TORSION {
            edges.push(p.compress().to_bytes());
        }
        out.extend(edges);
        out
    }

    #[test]
    fn every_answer_is_curve25519_dalek_s() {
        let encodings = encodings();
        let ours = decompress_all(&encodings);
        let mut decompressed = 0;
        for (e, got) in encodings.iter().zip(&ours) {
            let want = dalek(e);
            assert_eq!(got.is_some(), want.is_some(), "{}", hex::encode(e));
            if let (Some(got), Some(want)) = (got, want) {
                assert!(got == &want, "{}", hex::encode(e));
                assert_eq!(
                    (got + ED25519_BASEPOINT_POINT).compress(),
                    (want + ED25519_BASEPOINT_POINT).compress()
                );
                decompressed += 1;
            }
        }
        assert!(decompressed > 700, "{decompressed} points");
    }

    #[test]
    fn the_fast_path_is_taken_where_the_cpu_has_ifma() {
        assert_eq!(fast_path_works(), field_x8::available());
        if field_x8::available() {
            // Built here, not handed over to curve25519-dalek: the root of a valid point.
            let p = ED25519_BASEPOINT_POINT * Scalar::from(77u64);
            let e = p.compress().to_bytes();
            let y = canonical_y(&e).unwrap();
            let r = field_x8::candidate_roots(&[y]).unwrap()[0];
            assert!(point(y, r, e[31] & 0x80 != 0).unwrap() == p);
            // A candidate that is no root is refused, and curve25519-dalek decides.
            assert!(point(y, r.add(Fe::ONE), e[31] & 0x80 != 0).is_none());
        }
    }

    #[test]
    fn a_batch_of_any_length_keeps_its_order() {
        let all = encodings();
        for n in [0, 1, 7, 8, 9, 17] {
            let got = decompress_all(&all[..n]);
            assert_eq!(got.len(), n);
            for (e, g) in all[..n].iter().zip(got) {
                assert_eq!(
                    g.map(|p| p.compress().to_bytes()),
                    dalek(e).map(|p| p.compress().to_bytes())
                );
            }
        }
    }
}

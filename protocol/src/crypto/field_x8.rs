//! Eight field elements at once with AVX-512 IFMA: the exponentiation at the heart of a point
//! decompression, which is a chain of about 250 squarings that no batch trick shortens.
//!
//! Each of the five 51-bit limbs of eight elements is one 512-bit vector, lane `j` holding
//! element `j`'s limb, the layout of [`Fe`]. `vpmadd52luq` and `vpmadd52huq` multiply the low
//! 52 bits of two lanes and add the low or the high 52 bits of the 104-bit product to a 64-bit
//! accumulator, so every input limb must be below 2^52 (the bound [`Fe`] keeps), and the
//! result is carried back below it. The CPU is asked at run time; without IFMA the caller uses
//! curve25519-dalek's own decompression. The `unsafe` is the call into code compiled for
//! those instructions, made after the CPU said it has them, and the conversions between
//! `[u64; 8]` and a vector (the same 64 plain bytes).
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_and_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_slli_epi64, _mm512_srli_epi64,
    _mm512_sub_epi64,
};

use super::field::Fe;

/// Whether this CPU runs [`candidate_roots`]' vector code.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512ifma")
}

/// For each `y`, in order, `r = u·v³·(u·v⁷)^((p-5)/8)` with `u = y² - 1` and `v = d·y² + 1`:
/// the candidate square root of `u/v` (RFC 8032, 5.1.3), which is a root, or a root times
/// `sqrt(-1)`, if `u/v` has one. `None` on a CPU without AVX-512 IFMA.
///
/// Thirty-two elements go through the chain together (four vectors, so that the CPU overlaps
/// four chains of dependent products), then the rest eight at a time; a short group is padded.
pub(super) fn candidate_roots(ys: &[Fe]) -> Option<Vec<Fe>> {
    if !available() {
        return None;
    }
    let mut out = Vec::with_capacity(ys.len() + 31);
    let mut rest = ys;
    while !rest.is_empty() {
        let wide = rest.len() >= 24;
        let (group, tail) = rest.split_at(rest.len().min(if wide { 32 } else { 8 }));
        // SAFETY: the CPU has the two features these are compiled for (checked above).
        unsafe {
            if wide {
                candidates_ifma::<4>(group, &mut out);
            } else {
                candidates_ifma::<1>(group, &mut out);
            }
        }
        rest = tail;
    }
    Some(out)
}

/// Eight elements, limb by limb.
#[derive(Clone, Copy)]
struct Fx8([__m512i; 5]);

/// Appends the candidate roots of `ys` (at most `8 * N`) to `out`.
#[target_feature(enable = "avx512f,avx512ifma")]
fn candidates_ifma<const N: usize>(ys: &[Fe], out: &mut Vec<Fe>) {
    let y: [Fx8; N] = std::array::from_fn(|k| {
        let mut lanes = [Fe::ZERO; 8];
        let from = (8 * k).min(ys.len());
        let to = (8 * k + 8).min(ys.len());
        lanes[..to - from].copy_from_slice(&ys[from..to]);
        load(&lanes)
    });
    let (one, d) = (splat(Fe::ONE), splat(Fe::D));
    let yy = y.map(|a| square(a));
    let u = yy.map(|yy| sub(yy, one));
    let v = yy.map(|yy| add(mul(d, yy), one));
    let v3 = v.map(|v| mul(square(v), v));
    let w: [Fx8; N] = std::array::from_fn(|k| mul(u[k], mul(square(v3[k]), v[k])));
    let t = pow_p58(w);
    let r: [Fx8; N] = std::array::from_fn(|k| mul(mul(u[k], v3[k]), t[k]));
    for (k, r) in r.into_iter().enumerate() {
        let lanes = (ys.len() - (8 * k).min(ys.len())).min(8);
        out.extend_from_slice(&store(r)[..lanes]);
    }
}

/// `x^((p-5)/8)` of each element, by the addition chain of curve25519-dalek's `pow22501` and
/// `pow_p58` (each line names the power of `x` it computes).
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_p58<const N: usize>(x: [Fx8; N]) -> [Fx8; N] {
    let t0 = x.map(|a| square(a)); // 2
    let t1 = square_times(t0, 2); // 8
    let t2 = mul_each(x, t1); // 9
    let t3 = mul_each(t0, t2); // 11
    let t4 = t3.map(|a| square(a)); // 22
    let t5 = mul_each(t2, t4); // 2^5 - 1
    let t6 = square_times(t5, 5); // 2^10 - 2^5
    let t7 = mul_each(t6, t5); // 2^10 - 1
    let t8 = square_times(t7, 10); // 2^20 - 2^10
    let t9 = mul_each(t8, t7); // 2^20 - 1
    let t10 = square_times(t9, 20); // 2^40 - 2^20
    let t11 = mul_each(t10, t9); // 2^40 - 1
    let t12 = square_times(t11, 10); // 2^50 - 2^10
    let t13 = mul_each(t12, t7); // 2^50 - 1
    let t14 = square_times(t13, 50); // 2^100 - 2^50
    let t15 = mul_each(t14, t13); // 2^100 - 1
    let t16 = square_times(t15, 100); // 2^200 - 2^100
    let t17 = mul_each(t16, t15); // 2^200 - 1
    let t18 = square_times(t17, 50); // 2^250 - 2^50
    let t19 = mul_each(t18, t13); // 2^250 - 1
    let t20 = square_times(t19, 2); // 2^252 - 4
    mul_each(x, t20) // 2^252 - 3 = (p - 5) / 8
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_each<const N: usize>(a: [Fx8; N], b: [Fx8; N]) -> [Fx8; N] {
    std::array::from_fn(|k| mul(a[k], b[k]))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn square_times<const N: usize>(mut a: [Fx8; N], n: u32) -> [Fx8; N] {
    for _ in 0..n {
        a = a.map(|a| square(a));
    }
    a
}

/// The same element in all eight lanes.
#[target_feature(enable = "avx512f,avx512ifma")]
fn splat(x: Fe) -> Fx8 {
    Fx8(x.0.map(|limb| _mm512_set1_epi64(limb as i64)))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn load(w: &[Fe; 8]) -> Fx8 {
    Fx8(std::array::from_fn(|limb| {
        let lanes: [u64; 8] = std::array::from_fn(|j| w[j].0[limb]);
        // SAFETY: `[u64; 8]` and `__m512i` are both 64 plain bytes.
        unsafe { std::mem::transmute::<[u64; 8], __m512i>(lanes) }
    }))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn store(x: Fx8) -> [Fe; 8] {
    // SAFETY: as in `load`.
    let limbs: [[u64; 8]; 5] =
        x.0.map(|v| unsafe { std::mem::transmute::<__m512i, [u64; 8]>(v) });
    std::array::from_fn(|j| Fe(std::array::from_fn(|limb| limbs[limb][j])))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn add64(a: __m512i, b: __m512i) -> __m512i {
    _mm512_add_epi64(a, b)
}

/// `a + b`, carried.
#[target_feature(enable = "avx512f,avx512ifma")]
fn add(a: Fx8, b: Fx8) -> Fx8 {
    carry(std::array::from_fn(|k| add64(a.0[k], b.0[k])))
}

/// `a - b` as `a + 16p - b` (no lane goes below zero), carried.
#[target_feature(enable = "avx512f,avx512ifma")]
fn sub(a: Fx8, b: Fx8) -> Fx8 {
    let p16_low = _mm512_set1_epi64(16 * ((1 << 51) - 19));
    let p16 = _mm512_set1_epi64(16 * ((1 << 51) - 1));
    carry(std::array::from_fn(|k| {
        let plus = add64(a.0[k], if k == 0 { p16_low } else { p16 });
        _mm512_sub_epi64(plus, b.0[k])
    }))
}

/// `2^s · a`.
#[target_feature(enable = "avx512f,avx512ifma")]
fn shl<const S: u32>(a: __m512i) -> __m512i {
    _mm512_slli_epi64::<S>(a)
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn mul(a: Fx8, b: Fx8) -> Fx8 {
    let (a, b) = (a.0, b.0);
    let zero = _mm512_setzero_si512();
    // lo[k] and hi[k]: the low and high halves of the products a_i · b_j with i + j = k.
    let mut lo = [zero; 9];
    let mut hi = [zero; 9];
    for i in 0..5 {
        for j in 0..5 {
            lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], a[i], b[j]);
            hi[i + j] = _mm512_madd52hi_epu64(hi[i + j], a[i], b[j]);
        }
    }
    reduce(columns(lo, hi))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn square(a: Fx8) -> Fx8 {
    let a = a.0;
    let zero = _mm512_setzero_si512();
    // The squares a_i^2, then the cross products a_i · a_j (i < j), which count twice.
    let mut lo = [zero; 9];
    let mut hi = [zero; 9];
    let mut lo_cross = [zero; 9];
    let mut hi_cross = [zero; 9];
    for i in 0..5 {
        lo[2 * i] = _mm512_madd52lo_epu64(lo[2 * i], a[i], a[i]);
        hi[2 * i] = _mm512_madd52hi_epu64(hi[2 * i], a[i], a[i]);
        for j in i + 1..5 {
            lo_cross[i + j] = _mm512_madd52lo_epu64(lo_cross[i + j], a[i], a[j]);
            hi_cross[i + j] = _mm512_madd52hi_epu64(hi_cross[i + j], a[i], a[j]);
        }
    }
    for k in 0..9 {
        lo[k] = add64(lo[k], shl::<1>(lo_cross[k]));
        hi[k] = add64(hi[k], shl::<1>(hi_cross[k]));
    }
    reduce(columns(lo, hi))
}

/// The product's ten columns in radix 2^51: a high half has weight 2^52 over its low half's,
/// that is twice the next column's, so column k is `lo[k] + 2 · hi[k - 1]`. Every `lo` and `hi`
/// sums at most five products' halves (below 2^52 each; a square's at most five with their
/// doubling), so a column stays below 15 · 2^52 < 2^56.
#[target_feature(enable = "avx512f,avx512ifma")]
fn columns(lo: [__m512i; 9], hi: [__m512i; 9]) -> [__m512i; 10] {
    std::array::from_fn(|k| match k {
        0 => lo[0],
        9 => shl::<1>(hi[8]),
        _ => add64(lo[k], shl::<1>(hi[k - 1])),
    })
}

/// Folds columns 5..9 onto 0..4 (2^255 = 19 mod p), each sum below 2^56 + 19 · 2^56 < 2^61,
/// then carries.
#[target_feature(enable = "avx512f,avx512ifma")]
fn reduce(z: [__m512i; 10]) -> Fx8 {
    carry(std::array::from_fn(|k| add64(z[k], times19(z[k + 5]))))
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn times19(t: __m512i) -> __m512i {
    add64(add64(shl::<4>(t), shl::<1>(t)), t)
}

/// One carry from each limb (below 2^61) into the next, the top one folded onto the lowest
/// times 19: each limb ends below 2^51 + 19 · 2^10 < 2^52, a valid input for a product.
#[target_feature(enable = "avx512f,avx512ifma")]
fn carry(l: [__m512i; 5]) -> Fx8 {
    let mask = _mm512_set1_epi64((1 << 51) - 1);
    let c: [__m512i; 5] = std::array::from_fn(|k| _mm512_srli_epi64::<51>(l[k]));
    Fx8(std::array::from_fn(|k| {
        let low = _mm512_and_si512(l[k], mask);
        match k {
            0 => add64(low, times19(c[4])),
            _ => add64(low, c[k - 1]),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic test elements with limbs up to the 2^52 bound.
    fn elements(seed: u64) -> [Fe; 8] {
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        std::array::from_fn(|j| {
            Fe(std::array::from_fn(|_| match j {
                0 => (1 << 52) - 1,
                1 => 0,
                _ => next() >> 12,
            }))
        })
    }

    /// The exponentiation one element at a time with [`Fe`], by square-and-multiply over the
    /// bits of (p - 5) / 8 = 2^252 - 3 (a different chain from the vector code's).
    fn pow_p58_serial(x: Fe) -> Fe {
        // 2^252 - 3: bits 2..251 set, bit 1 clear, bit 0 set.
        let mut acc = Fe::ONE;
        for bit in (0..252).rev() {
            acc = acc.square();
            if bit != 1 {
                acc = acc.mul(x);
            }
        }
        acc
    }

    fn same(a: &[Fe; 8], b: &[Fe; 8]) -> bool {
        a.iter().zip(b).all(|(x, y)| x.same(*y))
    }

    #[test]
    fn products_and_squares_agree_with_the_serial_field() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: nothing to compare");
            return;
        }
        for seed in 1..200 {
            let (a, b) = (elements(seed), elements(seed * 7919 + 1));
            // SAFETY: the CPU has the features (checked above).
            let (product, sq) = unsafe { vector_mul_and_square(&a, &b) };
            let want: [Fe; 8] = std::array::from_fn(|j| a[j].mul(b[j]));
            assert!(same(&product, &want), "seed {seed}");
            let want: [Fe; 8] = std::array::from_fn(|j| a[j].square());
            assert!(same(&sq, &want), "seed {seed}");
            assert!(
                product
                    .iter()
                    .chain(&sq)
                    .all(|f| f.0.iter().all(|l| *l < 1 << 52))
            );
        }
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    fn vector_mul_and_square(a: &[Fe; 8], b: &[Fe; 8]) -> ([Fe; 8], [Fe; 8]) {
        (store(mul(load(a), load(b))), store(square(load(a))))
    }

    #[test]
    fn candidate_roots_agree_with_the_serial_field_for_any_count() {
        if !available() {
            eprintln!("no AVX-512 IFMA on this CPU: nothing to compare");
            return;
        }
        let ys: Vec<Fe> = (1..8).flat_map(elements).collect();
        for n in [0, 1, 8, 9, 24, 31, 32, 33, 56] {
            let got = candidate_roots(&ys[..n]).expect("available");
            assert_eq!(got.len(), n);
            for (y, got) in ys.iter().zip(&got) {
                let yy = y.square();
                let (u, v) = (yy.sub(Fe::ONE), Fe::D.mul(yy).add(Fe::ONE));
                let v3 = v.square().mul(v);
                let r = u.mul(v3).mul(pow_p58_serial(u.mul(v3.square().mul(v))));
                assert!(got.same(r), "n {n}");
            }
        }
    }
}

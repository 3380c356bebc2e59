//! Arithmetic modulo p = 2^255 - 19, for the batch decompression of signature points.
//!
//! Five 51-bit limbs (`value = Σ limb_i · 2^(51·i)`), products in `u128`. Every operation
//! returns limbs below 2^52, the bound [`super::field_x8`]'s vector multiplier needs of its
//! inputs; equality and the sign are decided on the canonical bytes. Nothing here is constant
//! time: it only ever handles public values (the `R` of signatures being verified).

/// 2^51 - 1.
const MASK: u64 = (1 << 51) - 1;

/// An element of the field, its limbs below 2^52 (not necessarily the canonical value).
#[derive(Clone, Copy, Debug)]
pub(super) struct Fe(pub(super) [u64; 5]);

impl Fe {
    pub(super) const ZERO: Fe = Fe([0; 5]);
    pub(super) const ONE: Fe = Fe([1, 0, 0, 0, 0]);
    /// The curve constant d = -121665/121666.
    pub(super) const D: Fe = Fe([
        929_955_233_495_203,
        466_365_720_129_213,
        1_662_059_464_998_953,
        2_033_849_074_728_123,
        1_442_794_654_840_575,
    ]);
    /// A square root of -1: 2^((p-1)/4).
    pub(super) const SQRT_M1: Fe = Fe([
        1_718_705_420_411_056,
        234_908_883_556_509,
        2_233_514_472_574_048,
        2_117_202_627_021_982,
        765_476_049_583_133,
    ]);

    /// The element `bytes` encode (little-endian), or `None` if they are not canonical: the
    /// top bit set, or a value of p or more.
    pub(super) fn from_canonical_bytes(bytes: &[u8; 32]) -> Option<Fe> {
        if bytes[31] & 0x80 != 0 {
            return None;
        }
        let fe = Fe::from_bytes_ignoring_top_bit(bytes);
        (fe.to_bytes() == *bytes).then_some(fe)
    }

    fn from_bytes_ignoring_top_bit(bytes: &[u8; 32]) -> Fe {
        let word = |i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8"));
        let (w0, w1, w2, w3) = (word(0), word(1), word(2), word(3));
        Fe([
            w0 & MASK,
            ((w0 >> 51) | (w1 << 13)) & MASK,
            ((w1 >> 38) | (w2 << 26)) & MASK,
            ((w2 >> 25) | (w3 << 39)) & MASK,
            (w3 >> 12) & MASK,
        ])
    }

    /// The canonical little-endian encoding (the value reduced below p).
    pub(super) fn to_bytes(self) -> [u8; 32] {
        let mut l = self.carried().0;
        // Whether the value is p or more: only then does adding 19 carry out of bit 255.
        let mut q = (l[0] + 19) >> 51;
        for limb in &l[1..] {
            q = (limb + q) >> 51;
        }
        l[0] += 19 * q;
        for i in 0..4 {
            l[i + 1] += l[i] >> 51;
            l[i] &= MASK;
        }
        l[4] &= MASK;
        let words = [
            l[0] | (l[1] << 51),
            (l[1] >> 13) | (l[2] << 38),
            (l[2] >> 26) | (l[3] << 25),
            (l[3] >> 39) | (l[4] << 12),
        ];
        let mut out = [0u8; 32];
        for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// The same value with every limb below 2^51, except the lowest by at most 19 · 2^13.
    fn carried(self) -> Fe {
        let l = self.0;
        let c = [l[0] >> 51, l[1] >> 51, l[2] >> 51, l[3] >> 51, l[4] >> 51];
        Fe([
            (l[0] & MASK) + 19 * c[4],
            (l[1] & MASK) + c[0],
            (l[2] & MASK) + c[1],
            (l[3] & MASK) + c[2],
            (l[4] & MASK) + c[3],
        ])
    }

    pub(super) fn add(self, other: Fe) -> Fe {
        let (a, b) = (self.0, other.0);
        Fe([
            a[0] + b[0],
            a[1] + b[1],
            a[2] + b[2],
            a[3] + b[3],
            a[4] + b[4],
        ])
        .carried()
    }

    /// `self - other`, as `self + 16p - other` so that no limb goes below zero.
    pub(super) fn sub(self, other: Fe) -> Fe {
        // 16p in five limbs: 16 · (2^51 - 19) for the lowest, 16 · (2^51 - 1) for the others.
        const P16_LOW: u64 = 16 * ((1 << 51) - 19);
        const P16: u64 = 16 * ((1 << 51) - 1);
        let (a, b) = (self.0, other.0);
        Fe([
            a[0] + P16_LOW - b[0],
            a[1] + P16 - b[1],
            a[2] + P16 - b[2],
            a[3] + P16 - b[3],
            a[4] + P16 - b[4],
        ])
        .carried()
    }

    pub(super) fn neg(self) -> Fe {
        Fe::ZERO.sub(self)
    }

    pub(super) fn mul(self, other: Fe) -> Fe {
        let m = |x: u64, y: u64| u128::from(x) * u128::from(y);
        let (a, b) = (self.0, other.0);
        let b19 = [0, 19 * b[1], 19 * b[2], 19 * b[3], 19 * b[4]];
        let c = [
            m(a[0], b[0]) + m(a[1], b19[4]) + m(a[2], b19[3]) + m(a[3], b19[2]) + m(a[4], b19[1]),
            m(a[0], b[1]) + m(a[1], b[0]) + m(a[2], b19[4]) + m(a[3], b19[3]) + m(a[4], b19[2]),
            m(a[0], b[2]) + m(a[1], b[1]) + m(a[2], b[0]) + m(a[3], b19[4]) + m(a[4], b19[3]),
            m(a[0], b[3]) + m(a[1], b[2]) + m(a[2], b[1]) + m(a[3], b[0]) + m(a[4], b19[4]),
            m(a[0], b[4]) + m(a[1], b[3]) + m(a[2], b[2]) + m(a[3], b[1]) + m(a[4], b[0]),
        ];
        Fe::from_wide(c)
    }

    pub(super) fn square(self) -> Fe {
        self.mul(self)
    }

    /// Reduces the five column sums of a product of limbs below 2^52 (the first four below
    /// 23 · 2^104 with their factors 19, the last below 5 · 2^104) to limbs below 2^52.
    fn from_wide(c: [u128; 5]) -> Fe {
        let low = |x: u128| (x as u64) & MASK;
        let carry = |x: u128| (x >> 51) as u64;
        let c1 = c[1] + u128::from(carry(c[0]));
        let c2 = c[2] + u128::from(carry(c1));
        let c3 = c[3] + u128::from(carry(c2));
        let c4 = c[4] + u128::from(carry(c3));
        // c4 < 5 · 2^104 + 2^58, so its carry is below 2^56 and 19 times it below 2^61.
        let l0 = low(c[0]) + 19 * carry(c4);
        Fe([l0 & MASK, low(c1) + (l0 >> 51), low(c2), low(c3), low(c4)])
    }

    /// Whether the two are the same element of the field.
    pub(super) fn same(self, other: Fe) -> bool {
        self.to_bytes() == other.to_bytes()
    }

    pub(super) fn is_zero(self) -> bool {
        self.to_bytes() == [0; 32]
    }

    /// The sign of RFC 8032: the lowest bit of the canonical encoding.
    pub(super) fn is_negative(self) -> bool {
        self.to_bytes()[0] & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field elements 0..n as canonical bytes.
    fn small(n: u64) -> Fe {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&n.to_le_bytes());
        Fe::from_canonical_bytes(&b).unwrap()
    }

    fn p_minus(k: u8) -> [u8; 32] {
        let mut b = [0xff; 32];
        b[0] = 0xed - k;
        b[31] = 0x7f;
        b
    }

    #[test]
    fn canonical_bytes_round_trip_and_values_of_p_or_more_are_refused() {
        let b = p_minus(1);
        assert_eq!(Fe::from_canonical_bytes(&b).unwrap().to_bytes(), b);
        assert!(Fe::from_canonical_bytes(&p_minus(0)).is_none(), "p itself");
        let mut top = [0u8; 32];
        top[31] = 0x80;
        assert!(Fe::from_canonical_bytes(&top).is_none(), "bit 255");
        // p + 5, loaded without the check, is 5.
        let mut b = p_minus(0);
        b[0] += 5;
        assert_eq!(
            Fe::from_bytes_ignoring_top_bit(&b).to_bytes(),
            small(5).to_bytes()
        );
    }

    #[test]
    fn arithmetic_agrees_with_small_integers_and_wraps_at_p() {
        assert!(small(6).same(small(2).mul(small(3))));
        assert!(small(5).sub(small(7)).add(small(2)).is_zero());
        let minus_one = Fe::from_canonical_bytes(&p_minus(1)).unwrap();
        assert!(small(1).neg().same(minus_one));
        assert!(minus_one.square().same(Fe::ONE));
        assert!(Fe::SQRT_M1.square().same(minus_one));
        // d · 121666 = -121665
        assert!(Fe::D.mul(small(121_666)).same(small(121_665).neg()));
        assert!(!minus_one.is_negative() && small(1).is_negative());
    }

    #[test]
    fn products_of_the_largest_limbs_stay_within_the_bounds() {
        let big = Fe([(1 << 52) - 1; 5]);
        let mut x = big;
        for _ in 0..100 {
            x = x.mul(big).add(big).sub(big.square());
            assert!(x.0.iter().all(|l| *l < 1 << 52), "{x:?}");
        }
        // (2^52 - 1) in each limb is the value Σ (2^52 - 1) 2^(51 i); check one product by
        // the distributive law instead of a big-integer library.
        let a = big.mul(small(3));
        assert!(a.same(big.add(big).add(big)));
    }
}

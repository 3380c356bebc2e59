//! Proposer rotation: who proposes in `(height, round)`, weighted by voting power.
//!
//! The rule: divide every power by the powers' greatest common divisor; if the weights still sum
//! to more than [`MAX_SCHEDULE_WEIGHT`], scale them down proportionally (each at least 1). Lay
//! out one period of the smooth weighted round-robin (nginx's algorithm, Tendermint's proposer
//! priority): at each slot every validator's credit grows by its weight, the validator with the
//! most credit (the lowest key on a tie) proposes and pays the total weight. Over one period a
//! validator proposes exactly its weight's number of times, spread evenly. The proposer of
//! `(height, round)` is the one at slot `(height + round) mod period`.
//!
//! With equal powers every weight is 1 and the schedule is the validators in key order, so the
//! proposer of `(h, r)` is `validators[(h + r) mod n]` and consecutive rounds rotate.

use vellum_protocol::{PublicKey, ValidatorSet};

/// Largest sum of weights before they are scaled down; a schedule has at most this many slots
/// plus one per validator.
pub const MAX_SCHEDULE_WEIGHT: u64 = 1024;

/// One period of the proposer rotation of a validator set; built once per height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposerSchedule {
    slots: Vec<PublicKey>,
}

impl ProposerSchedule {
    pub fn new(validators: &ValidatorSet) -> Self {
        let weights = weights(validators);
        let total: i64 = weights.iter().map(|w| *w as i64).sum();
        let mut credit = vec![0i64; weights.len()];
        let mut slots = Vec::with_capacity(total as usize);
        for _ in 0..total {
            let mut best = 0;
            for (i, w) in weights.iter().enumerate() {
                credit[i] += *w as i64;
                if credit[i] > credit[best] {
                    best = i;
                }
            }
            credit[best] -= total;
            slots.push(validators.validators()[best].key);
        }
        ProposerSchedule { slots }
    }

    /// The proposer of `(height, round)`.
    pub fn proposer(&self, height: u64, round: u32) -> PublicKey {
        let len = self.slots.len() as u64;
        let slot = (height % len + u64::from(round) % len) % len;
        self.slots[slot as usize]
    }

    /// The number of slots in one period.
    pub fn period(&self) -> usize {
        self.slots.len()
    }

    /// One period of proposers, slot by slot.
    pub fn slots(&self) -> &[PublicKey] {
        &self.slots
    }
}

/// The proposer of `(height, round)` under `validators`; builds the schedule each time, so
/// callers that ask often keep a [`ProposerSchedule`].
pub fn proposer(validators: &ValidatorSet, height: u64, round: u32) -> PublicKey {
    ProposerSchedule::new(validators).proposer(height, round)
}

/// The normalized weights, in the set's key order: powers over their gcd, scaled down to about
/// [`MAX_SCHEDULE_WEIGHT`] in total when larger, each at least 1.
pub fn weights(validators: &ValidatorSet) -> Vec<u64> {
    let powers: Vec<u64> = validators.validators().iter().map(|v| v.power).collect();
    let mut weights = normalize(&powers);
    let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if total > u128::from(MAX_SCHEDULE_WEIGHT) {
        let scaled: Vec<u64> = weights
            .iter()
            .map(|w| (u128::from(*w) * u128::from(MAX_SCHEDULE_WEIGHT) / total).max(1) as u64)
            .collect();
        weights = normalize(&scaled);
    }
    weights
}

fn normalize(powers: &[u64]) -> Vec<u64> {
    let g = powers.iter().fold(0, |g, p| gcd(g, *p)).max(1);
    powers.iter().map(|p| p / g).collect()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::Validator;

    fn set(powers: &[u64]) -> ValidatorSet {
        let validators = powers
            .iter()
            .enumerate()
            .map(|(i, p)| Validator {
                key: PublicKey([i as u8 + 1; 32]),
                power: *p,
            })
            .collect();
        ValidatorSet::new(validators).unwrap()
    }

    fn frequencies(s: &ValidatorSet) -> Vec<u64> {
        let schedule = ProposerSchedule::new(s);
        s.validators()
            .iter()
            .map(|v| schedule.slots().iter().filter(|k| **k == v.key).count() as u64)
            .collect()
    }

    #[test]
    fn frequency_over_a_period_equals_normalized_power() {
        let cases: &[(&[u64], &[u64])] = &[
            (&[1, 2, 3], &[1, 2, 3]),
            (&[10, 20, 30, 40], &[1, 2, 3, 4]),
            (&[7, 7, 7], &[1, 1, 1]),
            (&[5, 3], &[5, 3]),
        ];
        for (powers, expected) in cases {
            let s = set(powers);
            assert_eq!(weights(&s), expected.to_vec(), "powers {powers:?}");
            assert_eq!(frequencies(&s), expected.to_vec(), "powers {powers:?}");
        }
    }

    #[test]
    fn equal_powers_rotate_strictly_in_key_order() {
        let s = set(&[100, 100, 100, 100]);
        let keys: Vec<PublicKey> = s.validators().iter().map(|v| v.key).collect();
        for h in 1..20u64 {
            for r in 0..10u32 {
                let expected = keys[((h + u64::from(r)) % 4) as usize];
                assert_eq!(proposer(&s, h, r), expected);
                assert_ne!(proposer(&s, h, r), proposer(&s, h, r + 1));
            }
        }
    }

    #[test]
    fn large_powers_are_scaled_to_a_bounded_schedule() {
        let s = set(&[1_000_000, 1, 3_000_000, 999_999]);
        let schedule = ProposerSchedule::new(&s);
        assert!(schedule.period() <= (MAX_SCHEDULE_WEIGHT as usize) + s.len());
        let f = frequencies(&s);
        assert_eq!(f.iter().sum::<u64>(), schedule.period() as u64);
        assert_eq!(f[1], 1, "a tiny validator still proposes");
        assert!(f[2] > 2 * f[0] && f[2] < 4 * f[0]);
    }

    #[test]
    fn weighted_proposers_are_spread_evenly() {
        // Weights 1 and 3: the heavy validator never waits more than two slots.
        let s = set(&[1, 3]);
        let schedule = ProposerSchedule::new(&s);
        let heavy = s.validators()[1].key;
        let light = s.validators()[0].key;
        assert_eq!(schedule.slots().iter().filter(|k| **k == light).count(), 1);
        assert!(
            schedule
                .slots()
                .windows(2)
                .all(|w| w[0] == heavy || w[1] == heavy)
        );
    }

    #[test]
    fn extreme_heights_and_rounds_do_not_overflow() {
        let s = set(&[1, 2, 3]);
        let _ = proposer(&s, u64::MAX, u32::MAX);
    }
}

//! A small seeded pseudo-random generator (SplitMix64) so every run is a function of its seed.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to drive a simulation.
#[derive(Debug, Clone)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng { state: seed }
    }
    /// A generator for a sub-stream (one per node, one for the network), independent of the
    /// order in which other streams are used.
    pub fn fork(seed: u64, stream: u64) -> SimRng {
        let mut r = SimRng::new(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_gives_one_stream() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = SimRng::new(42);
                move |_| r.next_u64()
            })
            .collect();
        let mut r = SimRng::new(42);
        assert!(a.iter().all(|x| *x == r.next_u64()));
        assert!(SimRng::new(1).below(10) < 10);
    }
}

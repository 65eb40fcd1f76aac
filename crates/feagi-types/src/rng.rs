//! Deterministic randomness (SPEC §7): the unseeded excitability hash used in
//! bursts and the seeded SplitMix-style hash used by synaptogenesis. Both are
//! pure functions of their inputs, so results never depend on thread timing.

/// PCG output hash on u32, wrapping arithmetic (SPEC §7.1).
#[inline]
pub fn pcg_hash(x: u32) -> u32 {
    let state = x.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// The excitability draw r in [0, 1] for neuron `id` in burst `t` (SPEC §7.1).
#[inline]
pub fn excitability_random(id: u32, t: u64) -> f32 {
    let key = id
        .wrapping_mul(2_654_435_761)
        .wrapping_add((t as u32).wrapping_mul(1_597_334_677));
    pcg_hash(key) as f32 / 4_294_967_296.0
}

/// The golden-ratio increment of SplitMix64.
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output mixer.
#[inline]
pub fn mix64(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SplitMix64 stream: the one seeded generator for everything outside the
/// spec's draws (generated input patterns, benchmark and test networks).
/// Never used by development or bursts, whose draws are the pure hashes of
/// this module.
///
/// ```
/// use feagi_types::rng::SplitMix64;
///
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        mix64(self.0)
    }

    /// A draw in `0..n` by multiply-shift (no division; `n` = 0 gives 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A draw in [0, 1) with 24 random bits, exact in f32.
    #[inline]
    pub fn unit_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// True with probability `p`.
    #[inline]
    pub fn chance(&mut self, p: f32) -> bool {
        self.unit_f32() < p
    }
}

/// Seeded hash of a purpose and a list of words (SPEC §7.2).
#[inline]
pub fn srng(seed: u64, purpose: u64, words: &[u64]) -> u64 {
    let mut h = mix64((seed ^ purpose).wrapping_add(GAMMA));
    for &w in words {
        h = mix64((h ^ w).wrapping_add(GAMMA));
    }
    h
}

/// ATTRACT(seed, A, B, j, ls, ld): a percentage draw in 0..100. A candidate
/// synapse is created iff this is below the attractivity.
#[inline]
pub fn attract(seed: u64, src_idword: u64, dst_idword: u64, rule: u64, ls: u64, ld: u64) -> u64 {
    srng(seed, 1, &[src_idword, dst_idword, rule, ls, ld]) % 100
}

/// RANDOMIZER(seed, A, B, j, ls): the raw draw that picks the `randomizer` voxel.
#[inline]
pub fn randomizer(seed: u64, src_idword: u64, dst_idword: u64, rule: u64, ls: u64) -> u64 {
    srng(seed, 2, &[src_idword, dst_idword, rule, ls])
}

#[cfg(test)]
mod tests {
    //! SPEC §8 item 39: the test vectors of §7.1 and §7.2.
    use super::*;

    #[test]
    fn item_39_pcg_hash_vectors() {
        assert_eq!(pcg_hash(0), 129_708_002);
        assert_eq!(pcg_hash(1), 2_831_084_092);
        assert_eq!(pcg_hash(42), 1_223_963_391);
    }

    #[test]
    fn item_39_excitability_random_vectors() {
        let cases: [(u32, u64, u32, u32); 6] = [
            (0, 1, 2_155_229_494, 0x3f00_7631),
            (1, 1, 3_993_518_367, 0x3f6e_0841),
            (42, 100, 3_180_583_298, 0x3f3d_93da),
            (42, 101, 1_886_292_942, 0x3ee0_dd18),
            (7, 3, 1_327_727_909, 0x3e9e_470a),
            (1000, 12345, 2_583_288_933, 0x3f19_f9dc),
        ];
        for (id, t, hash, bits) in cases {
            let key = id
                .wrapping_mul(2_654_435_761)
                .wrapping_add((t as u32).wrapping_mul(1_597_334_677));
            assert_eq!(pcg_hash(key), hash, "pcg_hash of key for ({id}, {t})");
            assert_eq!(
                excitability_random(id, t).to_bits(),
                bits,
                "r for ({id}, {t})"
            );
        }
        assert_eq!(0.999f32.to_bits(), 0x3f7f_be77);
        assert_eq!(0.01f32.to_bits(), 0x3c23_d70a);
    }

    #[test]
    fn item_39_srng_vectors() {
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(1), 0x5692_161d_100b_05e5);
        assert_eq!(mix64(GAMMA), 0xe220_a839_7b1d_cdaf);
        assert_eq!(srng(0, 1, &[]), 0x910a_2dec_8902_5cc1);
        assert_eq!(srng(0, 2, &[]), 0x9758_35de_1c97_56ce);
    }

    #[test]
    fn item_39_attractivity_table() {
        let a = u64::from_le_bytes(*b"cInput__");
        let b = u64::from_le_bytes(*b"cOutpt__");
        let expect: [(u64, [u64; 4]); 3] = [
            (
                0,
                [
                    0x2949fff26da71d43,
                    0x2dd9df7270e85de8,
                    0x9c1af2bb681b706f,
                    0xfa2b097689dc3038,
                ],
            ),
            (
                1,
                [
                    0x1ad039a5c4a4a9c4,
                    0xafe1e4f6d1755af2,
                    0xa016dceea6e90451,
                    0xdbb27abc5894f33d,
                ],
            ),
            (
                42,
                [
                    0xf8f63bd41b01f080,
                    0xa4dd8a3da4a61353,
                    0x027d4eee8afcb4ca,
                    0xb7db09f87d4f004a,
                ],
            ),
        ];
        for (seed, values) in expect {
            for (ls, v) in values.iter().enumerate() {
                assert_eq!(
                    srng(seed, 1, &[a, b, 0, ls as u64, 0]),
                    *v,
                    "seed {seed} ls {ls}"
                );
                assert_eq!(attract(seed, a, b, 0, ls as u64, 0), v % 100);
            }
        }
    }

    #[test]
    fn item_39_randomizer_table() {
        let a = u64::from_le_bytes(*b"cInput__");
        let b = u64::from_le_bytes(*b"cRand___");
        let expect: [(u64, [u64; 4]); 2] = [
            (
                0,
                [
                    0xa94ae63cf465447a,
                    0xf3a6c824da8c8d6e,
                    0x5211b781d3b8c33c,
                    0x7381c9bc445f0c24,
                ],
            ),
            (
                7,
                [
                    0x17970effe2c0e14f,
                    0x77698f339da20a96,
                    0x629868230f81b8b9,
                    0x6fb94f6c372d0d6e,
                ],
            ),
        ];
        for (seed, values) in expect {
            for (ls, v) in values.iter().enumerate() {
                assert_eq!(
                    randomizer(seed, a, b, 0, ls as u64),
                    *v,
                    "seed {seed} ls {ls}"
                );
            }
        }
    }
}

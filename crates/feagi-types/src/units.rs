//! Gene unit rules (SPEC §1.4, §3.2). The genome loader and the runtime
//! parameter updates of SPEC §4.6 both call these, so a value set either way
//! leaves a neuron in exactly the same state.

/// Excitability gene value -> firing probability in [0, 1] (the EXC rule, D4):
/// values up to 1 are fractions, larger values are percentages.
/// Returns the fraction and whether the input lay outside [0, 100].
pub fn excitability_fraction(value: f64) -> (f32, bool) {
    let out_of_range = !(0.0..=100.0).contains(&value);
    let fraction = if value <= 1.0 { value } else { value / 100.0 };
    (fraction.clamp(0.0, 1.0) as f32, out_of_range)
}

/// Leak coefficient clamped into [0, 1] (D5). Returns the value and whether it was clamped.
pub fn clamp_leak(value: f64) -> (f32, bool) {
    let clamped = value.clamp(0.0, 1.0);
    (clamped as f32, clamped != value)
}

/// PSP of outgoing synapses from an area's `postsynaptic_current`:
/// clamp(trunc(psc), 0, 255), on the f64 value (D6). NaN gives 0.
pub fn psp_from_postsynaptic_current(psc: f64) -> u8 {
    if psc.is_nan() {
        return 0;
    }
    psc.trunc().clamp(0.0, 255.0) as u8
}

/// Synapse weight and inhibitory flag from a mapping multiplier (SPEC §3.2).
pub fn weight_from_multiplier(multiplier: i64) -> (u8, bool) {
    (multiplier.unsigned_abs().min(255) as u8, multiplier < 0)
}

/// Threshold limit gene -> the stored limit: 0 means "no limit", stored as +inf
/// so the dynamics compare without a branch.
pub fn threshold_limit_from_gene(limit: f32) -> f32 {
    if limit == 0.0 {
        f32::INFINITY
    } else {
        limit
    }
}

/// The stored limit back in gene form (`None` when unlimited).
pub fn threshold_limit_to_option(stored: f32) -> Option<f32> {
    (stored != f32::INFINITY).then_some(stored)
}

/// A consecutive-fire cap of 0 or 65535 means unlimited (SPEC §2.3).
pub fn is_capped(cap: u16) -> bool {
    cap != 0 && cap != u16::MAX
}

/// Threshold of the neuron at voxel (x, y, z): ((T + x*ix) + y*iy) + z*iz, every
/// step rounded to f32 (SPEC §2.3), saturated to the finite f32 range.
pub fn threshold_at(base: f32, increment: [f32; 3], x: u32, y: u32, z: u32) -> f32 {
    let t = ((base + x as f32 * increment[0]) + y as f32 * increment[1]) + z as f32 * increment[2];
    // Finite genes can still overflow here: thresholds stay finite, and an
    // undefined one (inf - inf) never lets the neuron fire.
    if t.is_nan() {
        f32::MAX
    } else {
        t.clamp(-f32::MAX, f32::MAX)
    }
}

/// Division of synaptic contributions by a source's outgoing count (SPEC
/// §4.3: `f32(w * psp) / f32(outgoing)`), done as one f64 multiplication.
///
/// It gives exactly the f32 quotient. The product p = w * psp is an integer
/// of at most 16 bits, so the true quotient p / d is never halfway between
/// two f32 values (a dyadic p / d has at most 16 significant bits; any other
/// has an infinite expansion) and lies at least about 2^-41 (relative) away
/// from every halfway point, while the f64 reciprocal and product together
/// err by under 2^-52. Rounding the f64 result to f32 therefore lands on the
/// correctly rounded f32 quotient, bit for bit, without a division per synapse.
#[derive(Clone, Copy, Debug)]
pub struct OutgoingDivisor {
    reciprocal: f64,
}

impl OutgoingDivisor {
    /// For a source with `outgoing` synapses (> 0).
    #[inline]
    pub fn new(outgoing: u32) -> Self {
        OutgoingDivisor {
            reciprocal: 1.0 / (outgoing as f32 as f64),
        }
    }

    /// f32(product) / f32(outgoing), for `product <= 65025`.
    #[inline]
    pub fn divide(self, product: u32) -> f32 {
        (product as f64 * self.reciprocal) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outgoing_divisor_equals_f32_division() {
        // Every product w * psp against every count up to 600, then larger counts.
        let mut products: Vec<u32> = (0..=255u32)
            .flat_map(|w| (0..=255u32).map(move |p| w * p))
            .collect();
        products.sort_unstable();
        products.dedup();
        let counts = (1..=600u32).chain([
            1000,
            1023,
            1024,
            4095,
            65_535,
            65_537,
            1 << 20,
            16_777_215,
            16_777_217,
            u32::MAX,
        ]);
        for d in counts {
            let div = OutgoingDivisor::new(d);
            for &p in &products {
                assert_eq!(
                    div.divide(p).to_bits(),
                    (p as f32 / d as f32).to_bits(),
                    "{p} / {d}"
                );
            }
        }
    }

    #[test]
    fn exc_maps_fractions_and_percentages() {
        assert_eq!(excitability_fraction(1.0), (1.0, false));
        assert_eq!(excitability_fraction(100.0), (1.0, false));
        assert_eq!(excitability_fraction(0.5), (0.5, false));
        assert_eq!(excitability_fraction(50.0), (0.5, false));
        assert_eq!(excitability_fraction(5.0), (0.05, false));
        assert_eq!(excitability_fraction(250.0), (1.0, true));
        assert_eq!(excitability_fraction(-5.0), (0.0, true));
        assert_eq!(excitability_fraction(99.9).0, 0.999);
    }

    #[test]
    fn psp_is_truncated_and_clamped() {
        // SPEC §3.2 / item 17.
        assert_eq!(psp_from_postsynaptic_current(5.9), 5);
        assert_eq!(psp_from_postsynaptic_current(0.5), 0);
        assert_eq!(psp_from_postsynaptic_current(500.0), 255);
        assert_eq!(psp_from_postsynaptic_current(50000.0), 255);
        assert_eq!(psp_from_postsynaptic_current(-3.7), 0);
    }

    #[test]
    fn multiplier_gives_weight_and_type() {
        assert_eq!(weight_from_multiplier(-300), (255, true));
        assert_eq!(weight_from_multiplier(0), (0, false));
        assert_eq!(weight_from_multiplier(3), (3, false));
    }

    #[test]
    fn threshold_gradient_and_limits() {
        assert_eq!(threshold_at(1.0, [0.5, 2.0, 0.0], 1, 1, 0), 3.5);
        assert_eq!(threshold_limit_from_gene(0.0), f32::INFINITY);
        assert_eq!(threshold_limit_to_option(f32::INFINITY), None);
        assert_eq!(threshold_limit_to_option(5.0), Some(5.0));
        assert!(!is_capped(0) && !is_capped(65535) && is_capped(3));
        assert_eq!(clamp_leak(10.0), (1.0, true));
        assert_eq!(clamp_leak(0.25), (0.25, false));
    }
}

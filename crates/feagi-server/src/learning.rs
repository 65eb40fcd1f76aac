//! What the brain page shows of learning (`GET /v1/feagi_rust/plasticity`):
//! the weight histogram of every plastic (STDP) pair and the memory neurons
//! of every memory area. Computed from the NPU between bursts.

use feagi_burst_engine::RustNPU;
use feagi_types::AreaIndex;
use serde_json::{json, Value};

use crate::brain::BrainInfo;

/// Histogram bins over the weights 0..=255 (16 weights a bin).
pub const WEIGHT_BINS: usize = 16;

/// Weights per bin.
const BIN_WIDTH: usize = 256 / WEIGHT_BINS;

/// The histogram of `weights` in [`WEIGHT_BINS`] bins of 16 weights each
/// (bin i holds 16 i ..= 16 i + 15).
pub fn weight_histogram(weights: &[u8]) -> [u64; WEIGHT_BINS] {
    let mut bins = [0u64; WEIGHT_BINS];
    for &w in weights {
        bins[usize::from(w) / BIN_WIDTH] += 1;
    }
    bins
}

fn key_of(brain: &BrainInfo, index: AreaIndex) -> Value {
    brain
        .areas
        .iter()
        .find(|a| a.index == index)
        .map_or(Value::Null, |a| json!(a.key))
}

/// The learning report of `npu`, with areas named by their wire ids in
/// `brain`:
///
/// ```json
/// {"plasticity": true, "burst": 812, "bins": 16, "bin_width": 16,
///  "pairs": [{"source": ID, "destination": ID, "synapses": N,
///             "mean_weight": W, "histogram": [16 counts]}],
///  "memory_areas": [{"cortical_id": ID, "alive": N, "long_term": N, "patterns": N}],
///  "last_burst": {"potentiations": N, "depressions": N, ...}}
/// ```
pub fn report(npu: &RustNPU, brain: &BrainInfo) -> Value {
    let mut pairs = Vec::new();
    for r in npu.stdp_registrations() {
        let Ok(synapses) = npu.synapse_weights_between(r.source_area, r.destination_area) else {
            continue;
        };
        let weights = &synapses.weight;
        let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mean = if weights.is_empty() {
            0.0
        } else {
            sum as f64 / weights.len() as f64
        };
        pairs.push(json!({
            "source": key_of(brain, r.source_area),
            "destination": key_of(brain, r.destination_area),
            "synapses": weights.len(),
            "mean_weight": mean,
            "histogram": weight_histogram(weights),
        }));
    }
    let mut memory_areas = Vec::new();
    for genes in npu.memory_areas() {
        let Ok(neurons) = npu.memory_neurons(genes.area) else {
            continue;
        };
        let alive = neurons.iter().filter(|(_, n)| n.alive).count();
        let long_term = neurons
            .iter()
            .filter(|(_, n)| n.alive && n.long_term)
            .count();
        memory_areas.push(json!({
            "cortical_id": key_of(brain, genes.area),
            "alive": alive,
            "long_term": long_term,
            "patterns": npu.memory_pattern_count(genes.area).unwrap_or(0),
        }));
    }
    let s = npu.plasticity_stats();
    json!({
        "plasticity": npu.plasticity_enabled(),
        "burst": npu.burst_count(),
        "bins": WEIGHT_BINS,
        "bin_width": BIN_WIDTH,
        "pairs": pairs,
        "memory_areas": memory_areas,
        "last_burst": {
            "potentiations": s.potentiations,
            "depressions": s.depressions,
            "synapses_created": s.synapses_created,
            "memory_born": s.memory_born,
            "memory_reactivated": s.memory_reactivated,
            "memory_died": s.memory_died,
            "memory_long_term": s.memory_long_term,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_every_weight() {
        let weights: Vec<u8> = (0..=255).collect();
        let bins = weight_histogram(&weights);
        assert_eq!(bins, [16; WEIGHT_BINS]);
        let bins = weight_histogram(&[0, 15, 16, 255, 255]);
        assert_eq!(bins[0], 2);
        assert_eq!(bins[1], 1);
        assert_eq!(bins[15], 2);
        assert_eq!(bins.iter().sum::<u64>(), 5);
    }
}

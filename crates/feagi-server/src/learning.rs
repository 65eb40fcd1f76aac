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

/// A weight histogram in [`WEIGHT_BINS`] bins of 16 weights each (bin i
/// holds 16 i ..= 16 i + 15), with the count and sum of the weights.
#[derive(Default)]
struct Weights {
    bins: [u64; WEIGHT_BINS],
    count: u64,
    sum: u64,
}

impl Weights {
    fn add(&mut self, w: u8) {
        self.bins[usize::from(w) / BIN_WIDTH] += 1;
        self.count += 1;
        self.sum += u64::from(w);
    }
}

/// The histogram of `weights` (see [`Weights`]).
#[cfg(test)]
fn weight_histogram(weights: &[u8]) -> [u64; WEIGHT_BINS] {
    let mut h = Weights::default();
    weights.iter().for_each(|&w| h.add(w));
    h.bins
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
        let mut weights = Weights::default();
        let walked = npu
            .for_each_synapse_between(r.source_area, r.destination_area, |_, _, w| weights.add(w));
        if walked.is_err() {
            continue;
        }
        let mean = if weights.count == 0 {
            0.0
        } else {
            weights.sum as f64 / weights.count as f64
        };
        pairs.push(json!({
            "source": key_of(brain, r.source_area),
            "destination": key_of(brain, r.destination_area),
            "synapses": weights.count,
            "mean_weight": mean,
            "histogram": weights.bins,
        }));
    }
    // One pass over the memory store for every memory area.
    let areas: Vec<AreaIndex> = npu.memory_areas().map(|g| g.area).collect();
    let mut counts = vec![(0u64, 0u64); areas.len()];
    for (_, n) in npu.memory_store().iter().filter(|(_, n)| n.alive) {
        if let Some(k) = areas.iter().position(|&a| a == n.area) {
            counts[k].0 += 1;
            counts[k].1 += u64::from(n.long_term);
        }
    }
    let memory_areas: Vec<Value> = areas
        .iter()
        .zip(&counts)
        .map(|(&area, &(alive, long_term))| {
            json!({
                "cortical_id": key_of(brain, area),
                "alive": alive,
                "long_term": long_term,
                "patterns": npu.memory_pattern_count(area).unwrap_or(0),
            })
        })
        .collect();
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

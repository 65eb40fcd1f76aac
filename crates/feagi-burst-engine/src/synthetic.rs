//! Synthetic benchmark networks built through the public API: N neurons in
//! one area, K synapses per neuron, and a driver that makes exactly a fraction
//! F of the neurons, chosen at random each burst, fire. Thresholds are out of
//! reach of synaptic input, so every burst delivers exactly F*N*K synaptic
//! events and the firing rate does not drift.

use feagi_types::rng::SplitMix64;
use feagi_types::{AreaKind, CorticalArea, CorticalId, NeuronId, NeuronParams, SynapseType};

use crate::config::NpuConfig;
use crate::error::{invalid, Result};
use crate::npu::RustNPU;

/// Where synapse targets fall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Targets {
    /// Uniformly over the whole network.
    Random,
    /// Within a window of 4K neurons around the source (cache-friendly).
    Local,
}

/// The shape of a synthetic network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// N: neurons in the single N x 1 x 1 area `cSynth__` (>= 1).
    pub neurons: u32,
    /// K: outgoing synapses per neuron; targets are drawn with repetition.
    pub fanout: u32,
    /// Fraction of neurons driven to fire each burst, in [0, 1].
    pub firing: f64,
    /// How synapse targets are drawn.
    pub targets: Targets,
    /// Seed of the SplitMix64 that draws targets and weights (1..255); the
    /// [`Driver`] derives its own stream from it.
    pub seed: u64,
}

/// Threshold no synaptic input can reach (at most 255 * 255 per synapse).
pub const UNREACHABLE: f32 = 1.0e12;

/// Builds the network in a fresh NPU.
pub fn build(spec: &SyntheticSpec, config: NpuConfig) -> Result<RustNPU> {
    if spec.neurons == 0 {
        return Err(invalid("neuron count", 0, "must be at least 1"));
    }
    if !(0.0..=1.0).contains(&spec.firing) {
        return Err(invalid(
            "firing fraction",
            spec.firing,
            "must lie in [0, 1]",
        ));
    }
    let n = spec.neurons as usize;
    let k = spec.fanout as usize;
    let mut npu = RustNPU::with_config(n, n * k, config)?;
    let id = CorticalId::from_bytes(*b"cSynth__");
    let area = npu.register_area(CorticalArea::new(
        id,
        "synthetic",
        AreaKind::Custom,
        [spec.neurons, 1, 1],
    ))?;
    let params = NeuronParams {
        threshold: UNREACHABLE,
        ..NeuronParams::default()
    };
    for x in 0..spec.neurons {
        npu.add_neuron(area, params, [x, 0, 0])?;
    }
    let mut psps = Vec::new();
    let mut types = Vec::new();
    for_each_synapse_chunk(spec, |sources, targets, weights| {
        psps.resize(sources.len(), 1);
        types.resize(sources.len(), SynapseType::Excitatory);
        npu.add_synapses_batch(sources, targets, weights, &psps, &types)
            .map(|_| ())
    })?;
    Ok(npu)
}

/// The synapses of the network `spec` describes, in source order and chunks
/// of about a million, as (sources, targets, weights); every synapse is
/// excitatory with PSP 1. What [`build`] adds, for other engines to build the
/// same network (the peer benchmark). Stops at the first error of `chunk`.
pub fn for_each_synapse_chunk<E>(
    spec: &SyntheticSpec,
    mut chunk: impl FnMut(&[NeuronId], &[NeuronId], &[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let n = spec.neurons as usize;
    let k = spec.fanout as usize;
    let mut rng = SplitMix64::new(spec.seed);
    // Sources in ascending order, in chunks, so rows are laid out without slack.
    let chunk_sources = (1 << 20) / k.max(1) + 1;
    let window = (4 * k as u64).clamp(1, spec.neurons as u64);
    let mut sources = Vec::new();
    let mut targets = Vec::new();
    let mut weights = Vec::new();
    for first in (0..n).step_by(chunk_sources) {
        sources.clear();
        targets.clear();
        weights.clear();
        for s in first..(first + chunk_sources).min(n) {
            for _ in 0..k {
                let t = match spec.targets {
                    Targets::Random => rng.below(n as u64),
                    Targets::Local => {
                        (s as u64 + n as u64 - window / 2 + rng.below(window)) % n as u64
                    }
                };
                sources.push(s as NeuronId);
                targets.push(t as NeuronId);
                weights.push(1 + rng.below(255) as u8);
            }
        }
        chunk(&sources, &targets, &weights)?;
    }
    Ok(())
}

/// Stages input that makes a fresh random fraction F of the neurons fire each
/// burst: a partial Fisher-Yates shuffle picks distinct neurons in O(F*N).
pub struct Driver {
    order: Vec<NeuronId>,
    potentials: Vec<f32>,
    rng: SplitMix64,
}

impl Driver {
    /// A driver that fires round(N * F) distinct neurons per burst, with
    /// potential twice the unreachable threshold.
    pub fn new(spec: &SyntheticSpec) -> Self {
        // A fraction outside [0, 1] (which `build` rejects) is clamped, so
        // `next_selection` never draws more neurons than there are.
        let k = (spec.neurons as f64 * spec.firing.clamp(0.0, 1.0)).round() as usize;
        Driver {
            order: (0..spec.neurons).collect(),
            potentials: vec![UNREACHABLE * 2.0; k],
            rng: SplitMix64::new(spec.seed ^ 0x5EED),
        }
    }

    /// Neurons driven per burst.
    pub fn per_burst(&self) -> usize {
        self.potentials.len()
    }

    /// Picks the next burst's driven neurons (distinct, in random order).
    pub fn next_selection(&mut self) -> &[NeuronId] {
        let n = self.order.len() as u64;
        for i in 0..self.potentials.len() {
            let j = i as u64 + self.rng.below(n - i as u64);
            self.order.swap(i, j as usize);
        }
        &self.order[..self.potentials.len()]
    }

    /// Stages the next burst's driven neurons.
    pub fn stage(&mut self, npu: &mut RustNPU) -> Result<()> {
        self.next_selection();
        npu.stage_inputs(&self.order[..self.potentials.len()], &self.potentials)?;
        Ok(())
    }
}

//! Random networks for property tests: every neuron parameter varied, both
//! synapse types, several areas with every propagation flag, random input.
#![allow(dead_code)]

use feagi_burst_engine::{AreaUpdate, NeuronParams, RustNPU, SynapseType};
use feagi_types::rng::SplitMix64;

use super::{area, core_npu};

/// Builds a random NPU with about `neurons` neurons in four areas.
pub fn build(seed: u64, neurons: u32, max_fanout: u64) -> RustNPU {
    let mut rng = SplitMix64::new(seed);
    let mut npu = core_npu();
    let per_area = neurons / 4;
    let mut ids = Vec::new();
    for k in 0..4 {
        let a = npu
            .register_area(area(&format!("cRand{k}__"), [per_area, 1, 1]))
            .unwrap();
        if rng.chance(0.5) {
            npu.update_area(a, AreaUpdate::PspUniformDistribution(true))
                .unwrap();
        }
        if rng.chance(0.3) {
            npu.update_area(a, AreaUpdate::MpDrivenPsp(true)).unwrap();
        }
        for x in 0..per_area {
            let p = NeuronParams {
                threshold: 0.5 + rng.unit_f32() * 8.0,
                threshold_limit: if rng.chance(0.2) {
                    10.0 + rng.unit_f32() * 40.0
                } else {
                    0.0
                },
                leak: if rng.chance(0.5) { rng.unit_f32() } else { 0.0 },
                excitability: if rng.chance(0.3) { rng.unit_f32() } else { 1.0 },
                refractory_period: rng.below(4) as u16,
                consecutive_fire_limit: [0, 0, 1, 2, 3, 65535][rng.below(6) as usize],
                snooze_period: rng.below(3) as u16,
                mp_charge_accumulation: rng.chance(0.5),
            };
            ids.push(npu.add_neuron(a, p, [x, 0, 0]).unwrap());
        }
    }
    let n = ids.len() as u64;
    for &s in &ids {
        for _ in 0..rng.below(max_fanout + 1) {
            let t = ids[rng.below(n) as usize];
            let ty = if rng.chance(0.3) {
                SynapseType::Inhibitory
            } else {
                SynapseType::Excitatory
            };
            npu.add_synapse(s, t, rng.below(256) as u8, rng.below(8) as u8, ty)
                .unwrap();
        }
    }
    npu
}

/// Stages random input on a random fraction of the non-core neurons.
pub fn stage_random(npu: &mut RustNPU, rng: &mut SplitMix64, fraction: f32) {
    let n = npu.neuron_count() as u64;
    for id in 3..n {
        if rng.chance(fraction) {
            npu.stage_input(id as u32, rng.unit_f32() * 6.0 - 1.0)
                .unwrap();
        }
    }
}

/// Everything observable after each burst, with f32 values as bits.
#[derive(Debug, PartialEq, Eq)]
pub struct Trace {
    pub fired: Vec<Vec<(u32, u32)>>,
    pub fcl: Vec<Vec<(u32, u32)>>,
    pub potentials: Vec<u32>,
    pub countdowns: Vec<u16>,
    pub counts: Vec<u16>,
    pub ledger: Vec<Vec<Vec<u32>>>,
    /// Every synapse at the end, in row order: (source, target, weight).
    pub synapses: Vec<(u32, u32, u8)>,
}

/// Makes the random network learn (SPEC §6): STDP on some pairs of its four
/// areas (one bidirectional, one self-pair), and area 3 a memory area fed by
/// area 4 whose twin is area 5.
pub fn make_plastic(npu: &mut RustNPU, seed: u64) {
    use feagi_types::{MemoryAreaGenes, MemoryRelation, MemoryTwin, StdpRegistration};
    let mut rng = SplitMix64::new(seed ^ 0x51D9);
    for (a, b, bidirectional) in [(4, 5, false), (5, 6, true), (6, 6, false), (4, 6, false)] {
        npu.add_stdp_pair(StdpRegistration {
            plasticity_constant: 1 + rng.below(3) as i64,
            ltp_multiplier: 1 + rng.below(4) as i64,
            ltd_multiplier: rng.below(3) as i64,
            window: 1 + rng.below(3) as u32,
            bidirectional,
            ..StdpRegistration::between(a, b)
        })
        .unwrap();
    }
    npu.add_memory_area(MemoryAreaGenes {
        area: 3,
        temporal_depth: 1 + rng.below(2) as u32,
        longterm_mem_threshold: 6,
        lifespan_growth_rate: 2,
        init_lifespan: 3,
    })
    .unwrap();
    npu.add_memory_relation(MemoryRelation {
        upstream: 4,
        memory_area: 3,
    })
    .unwrap();
    npu.add_memory_twin(MemoryTwin { twin: 5, of: 4 }).unwrap();
}

/// Runs `bursts` bursts with seeded random input and records the trace.
pub fn trace(npu: &mut RustNPU, seed: u64, bursts: u64) -> Trace {
    let mut rng = SplitMix64::new(seed ^ 0xA5A5);
    let mut t = Trace {
        fired: vec![],
        fcl: vec![],
        potentials: vec![],
        countdowns: vec![],
        counts: vec![],
        ledger: vec![],
        synapses: vec![],
    };
    for b in 0..bursts {
        if b % 5 != 4 {
            stage_random(npu, &mut rng, 0.1);
        }
        let r = npu.process_burst(None).unwrap();
        t.fired.push(
            r.fired_neurons
                .iter()
                .zip(r.fired_potentials)
                .map(|(i, v)| (*i, v.to_bits()))
                .collect(),
        );
        t.fcl
            .push(npu.last_fcl().map(|(i, v)| (i, v.to_bits())).collect());
    }
    let n = npu.neurons();
    t.potentials = n.membrane_potential().iter().map(|v| v.to_bits()).collect();
    t.countdowns = n.refractory_countdown().to_vec();
    t.counts = n.consecutive_fire_count().to_vec();
    let end = npu.burst_count();
    let depth = end.min(20) as usize;
    t.ledger = (0..npu.area_count() as u32)
        .map(|a| {
            npu.ledger_frames(a, end, depth)
                .unwrap()
                .iter()
                .map(|f| f.neuron_ids.clone())
                .collect()
        })
        .collect();
    let n = npu.neuron_count() as u32;
    for s in 0..n {
        for syn in npu.outgoing(s).unwrap() {
            t.synapses.push((s, syn.peer, syn.weight));
        }
    }
    t
}

//! SPEC §8 items 41 to 44 (plasticity and memory, §6), each pinned by name,
//! on small hand-built brains whose every weight and firing is worked out by
//! hand from the spec; plus what a failing plugin leaves behind.

mod support;

use feagi_burst_engine::{
    AreaIndex, AreaKind, CorticalArea, CorticalId, NeuronId, NeuronParams, NpuConfig, NpuError,
    PlasticityError, PlasticityRule, RustNPU, SynapseType,
};
use feagi_plasticity::PlasticityContext;
use feagi_types::{MemoryAreaGenes, MemoryRelation, MemoryTwin};
use support::{area, core_npu, stdp};

const EXC: SynapseType = SynapseType::Excitatory;

/// A core NPU plus areas of `n` neurons each (n x 1 x 1, one per voxel),
/// threshold 1, no refractory period; returns the areas' indices and ids.
fn brain(sizes: &[(&str, u32)]) -> (RustNPU, Vec<AreaIndex>, Vec<Vec<NeuronId>>) {
    let mut npu = core_npu();
    let (mut areas, mut ids) = (Vec::new(), Vec::new());
    for &(id, n) in sizes {
        let a = npu.register_area(area(id, [n, 1, 1])).unwrap();
        let mut these = Vec::new();
        for x in 0..n {
            these.push(
                npu.add_neuron(a, NeuronParams::default(), [x, 0, 0])
                    .unwrap(),
            );
        }
        areas.push(a);
        ids.push(these);
    }
    (npu, areas, ids)
}

fn weights(npu: &RustNPU, a: AreaIndex, b: AreaIndex) -> Vec<(NeuronId, NeuronId, u8)> {
    let p = npu.synapse_weights_between(a, b).unwrap();
    (0..p.source.len())
        .map(|i| (p.source[i], p.target[i], p.weight[i]))
        .collect()
}

fn fire(npu: &mut RustNPU, ids: &[NeuronId]) -> Vec<NeuronId> {
    for &id in ids {
        npu.stage_input(id, 1.0).unwrap();
    }
    npu.process_burst(None).unwrap().fired_neurons.to_vec()
}

#[test]
fn item_41_stdp_examples_apply_after_burst_t_and_show_in_t_plus_1() {
    // A = {a0, a1}, B = {b0, b1}, every A -> B synapse with weight 10, W = 1,
    // C = Lp = Ld = 1: both ends fire -> +1; one end -> -1; neither -> same.
    let (mut npu, ar, n) = brain(&[("cAaaa___", 2), ("cBbbb___", 2)]);
    let (a, b) = (ar[0], ar[1]);
    let (a0, a1, b0, b1) = (n[0][0], n[0][1], n[1][0], n[1][1]);
    for &s in &[a0, a1] {
        for &d in &[b0, b1] {
            npu.add_synapse(s, d, 10, 1, EXC).unwrap();
        }
    }
    npu.add_stdp_pair(stdp(a, b, 1, 1, 1, 1, false)).unwrap();
    let fired = fire(&mut npu, &[a0, b0]);
    assert!(fired.contains(&a0) && fired.contains(&b0) && !fired.contains(&a1));
    assert_eq!(
        weights(&npu, a, b),
        [(a0, b0, 11), (a0, b1, 9), (a1, b0, 9), (a1, b1, 10)]
    );
    let stats = npu.plasticity_stats();
    assert_eq!((stats.potentiations, stats.depressions), (1, 2));
    // Visible in burst t+1: b1 receives w * psp / outgoing(a0) = 9 / 2 from a0.
    npu.process_burst(None).unwrap();
    let fcl: Vec<_> = npu.last_fcl().collect();
    let b0_sum = fcl.iter().find(|(id, _)| *id == b0).unwrap().1;
    let b1_sum = fcl.iter().find(|(id, _)| *id == b1).unwrap().1;
    assert_eq!((b0_sum, b1_sum), (11.0 / 2.0, 9.0 / 2.0));
}

#[test]
fn item_41_weights_saturate_at_0_and_255() {
    let (mut npu, ar, n) = brain(&[("cAaaa___", 1), ("cBbbb___", 2)]);
    let (a, b) = (ar[0], ar[1]);
    let (a0, b0, b1) = (n[0][0], n[1][0], n[1][1]);
    npu.add_synapse(a0, b0, 250, 1, EXC).unwrap();
    npu.add_synapse(a0, b1, 3, 1, EXC).unwrap();
    // C * Lp = 100 * 3 is clamped to 255, C * Ld = 100 * 2 to 200.
    npu.add_stdp_pair(stdp(a, b, 1, 100, 3, 2, false)).unwrap();
    fire(&mut npu, &[a0, b0]);
    assert_eq!(weights(&npu, a, b), [(a0, b0, 255), (a0, b1, 0)]);
    fire(&mut npu, &[a0, b0]);
    assert_eq!(weights(&npu, a, b), [(a0, b0, 255), (a0, b1, 0)]);
    // Both saturated: the rule still applied to each (counters count applications).
    let s = npu.plasticity_stats();
    assert_eq!((s.potentiations, s.depressions), (1, 1));
}

#[test]
fn item_41_window_needs_firing_in_every_burst_to_potentiate() {
    // W = 2: a0 and b0 fire at t = 1 and 2 -> +1 at t = 2 (t = 1 has no
    // 2-frame history, so the pair is skipped); a0 at 3 only -> -1 at 3.
    let (mut npu, ar, n) = brain(&[("cAaaa___", 1), ("cBbbb___", 1)]);
    let (a, b) = (ar[0], ar[1]);
    let (a0, b0) = (n[0][0], n[1][0]);
    npu.add_synapse(a0, b0, 10, 1, EXC).unwrap();
    npu.add_stdp_pair(stdp(a, b, 2, 1, 1, 1, false)).unwrap();
    assert!(npu.ledger_window(a).unwrap() >= 2);
    fire(&mut npu, &[a0, b0]);
    assert_eq!(weights(&npu, a, b), [(a0, b0, 10)], "t = 1: no history");
    fire(&mut npu, &[a0, b0]);
    assert_eq!(
        weights(&npu, a, b),
        [(a0, b0, 11)],
        "t = 2: both in both frames"
    );
    // b0 still receives from a0 at t = 3, so suppress it with a large negative input.
    npu.stage_input(b0, -100.0).unwrap();
    fire(&mut npu, &[a0]);
    assert_eq!(
        weights(&npu, a, b),
        [(a0, b0, 10)],
        "t = 3: a0 in allA, b0 in anyB only"
    );
    // A window of 0 frames would never hold: rejected.
    assert!(npu.add_stdp_pair(stdp(a, b, 0, 1, 1, 1, false)).is_err());
    // Shrinking a window below what the pair reads is rejected.
    assert!(matches!(
        npu.configure_ledger_window(a, 1),
        Err(NpuError::WindowBelowRequirement { required: 2, .. })
    ));
}

#[test]
fn item_43_bidirectional_pairs_create_missing_synapses_after_the_update() {
    let (mut npu, ar, n) = brain(&[("cAaaa___", 2), ("cBbbb___", 2)]);
    let (a, b) = (ar[0], ar[1]);
    let (a0, a1, b0, b1) = (n[0][0], n[0][1], n[1][0], n[1][1]);
    npu.add_synapse(a0, b0, 10, 1, EXC).unwrap();
    npu.add_stdp_pair(stdp(a, b, 1, 1, 5, 1, true)).unwrap();
    fire(&mut npu, &[a0, a1, b0, b1]);
    // a0 -> b0 is updated (+5); the new ones get d_plus = 5 and are not
    // updated in this burst; rows keep creation order.
    assert_eq!(
        weights(&npu, a, b),
        [(a0, b0, 15), (a0, b1, 5), (a1, b0, 5), (a1, b1, 5)]
    );
    assert_eq!(npu.plasticity_stats().synapses_created, 3);
    // Propagating from t + 1: b1 receives 5 / 2 from a0 and 5 / 2 from a1.
    npu.process_burst(None).unwrap();
    let b1_sum = npu.last_fcl().find(|(id, _)| *id == b1).unwrap().1;
    assert_eq!(b1_sum, 5.0 / 2.0 + 5.0 / 2.0);
    // Nothing is created twice.
    fire(&mut npu, &[a0, a1, b0, b1]);
    assert_eq!(npu.plasticity_stats().synapses_created, 0);
    assert_eq!(weights(&npu, a, b).len(), 4);
}

/// A memory area `cMem____` fed by U, with twins; returns the NPU and
/// (U, M) indices and U's neuron ids.
fn memory_brain(
    genes: impl Fn(AreaIndex) -> MemoryAreaGenes,
) -> (RustNPU, AreaIndex, AreaIndex, Vec<NeuronId>) {
    let (mut npu, ar, n) = brain(&[("cUpst___", 3)]);
    let u = ar[0];
    let m = npu
        .register_area(CorticalArea::new(
            CorticalId::from_canonical_str("cMem____").unwrap(),
            "memory",
            AreaKind::Memory,
            [1, 1, 1],
        ))
        .unwrap();
    npu.add_memory_area(genes(m)).unwrap();
    npu.add_memory_relation(MemoryRelation {
        upstream: u,
        memory_area: m,
    })
    .unwrap();
    (npu, u, m, n[0].clone())
}

#[test]
fn item_42_memory_patterns_neurons_lifespans() {
    let (mut npu, _u, m, un) = memory_brain(|m| MemoryAreaGenes {
        area: m,
        temporal_depth: 1,
        longterm_mem_threshold: 8,
        lifespan_growth_rate: 3,
        init_lifespan: 4,
    });
    let first = 50_000_000;
    // t = 1: u0 fires -> new pattern, memory neuron 50 000 000, lifespan 4.
    fire(&mut npu, &[un[0]]);
    assert_eq!(npu.plasticity_stats().memory_born, 1);
    let lifespan = |npu: &RustNPU, id| npu.memory_store().get(id).unwrap().lifespan;
    assert_eq!(lifespan(&npu, first), 4);
    // Not a regular neuron: counts and listings leave it out.
    assert_eq!(npu.neuron_count(), 6);
    assert_eq!(npu.memory_neuron_count(), 1);
    // t = 2: it fires (forced 1.5), in M at (0,0,0); it ages to 3.
    let r = npu.process_burst(None).unwrap();
    assert_eq!(r.memory_fired, 1);
    let fired = r.fired_neurons.to_vec();
    let potentials = r.fired_potentials.to_vec();
    assert_eq!(*fired.last().unwrap(), first);
    assert_eq!(*potentials.last().unwrap(), 1.5);
    assert_eq!(npu.area_of(first).unwrap(), m);
    assert_eq!(npu.coordinates(first).unwrap(), [0, 0, 0]);
    assert!(npu.fire_ledger().frames(m, 2, 1).unwrap()[0]
        .neuron_ids
        .contains(&first));
    assert_eq!(lifespan(&npu, first), 3);
    // t = 3: the same window (u0 alone) -> the same neuron: aged to 2, then
    // reactivated +3 = 5; a different window (u1) -> a second neuron.
    fire(&mut npu, &[un[0]]);
    assert_eq!(npu.plasticity_stats().memory_reactivated, 1);
    assert_eq!(lifespan(&npu, first), 5);
    fire(&mut npu, &[un[1]]);
    assert_eq!(npu.memory_neuron_count(), 2);
    assert_eq!(lifespan(&npu, first + 1), 4);
    // u0 again at t = 5..8. The first neuron aged 5 -> 4 at t = 4; then per
    // burst: t = 5: 4 - 1 + 3 = 6; t = 6: 6 - 1 + 3 = 8; t = 7: 8 >= 8, so it
    // becomes long-term before aging (no aging), + 3 = 11; t = 8: 14.
    let mut seen = Vec::new();
    for _ in 0..4 {
        fire(&mut npu, &[un[0]]);
        let n = npu.memory_store().get(first).unwrap();
        seen.push((n.lifespan, n.long_term));
    }
    assert_eq!(seen, [(6, false), (8, false), (11, true), (14, true)]);
    // The second neuron, never seen again, dies at lifespan 0 and its pattern is forgotten.
    assert!(!npu.memory_store().get(first + 1).unwrap().alive);
    assert_eq!(npu.memory_pattern_count(m).unwrap(), 1);
}

#[test]
fn item_43_no_synapse_ever_touches_a_memory_neuron() {
    // A bidirectional pair from memory area M to B: the memory neuron firing
    // together with B creates nothing (memory ids are dropped from the sets).
    let (mut npu, _u, m, un) = memory_brain(|m| MemoryAreaGenes {
        area: m,
        temporal_depth: 1,
        longterm_mem_threshold: 100,
        lifespan_growth_rate: 1,
        init_lifespan: 9,
    });
    let b = npu.register_area(area("cBbbb___", [1, 1, 1])).unwrap();
    let b0 = npu
        .add_neuron(b, NeuronParams::default(), [0, 0, 0])
        .unwrap();
    npu.add_stdp_pair(stdp(m, b, 1, 1, 1, 1, true)).unwrap();
    fire(&mut npu, &[un[0]]);
    let fired = fire(&mut npu, &[b0]);
    assert!(fired.contains(&50_000_000) && fired.contains(&b0));
    assert_eq!(npu.plasticity_stats().synapses_created, 0);
    let n = npu.neuron_count() as u32;
    for s in 0..n {
        for syn in npu.outgoing(s).unwrap() {
            assert!(syn.peer < n);
        }
    }
    assert!(npu.add_synapse(50_000_000, b0, 1, 1, EXC).is_err());
}

#[test]
fn item_44_replay_injects_into_twins_after_api_input_through_update() {
    // D = 2; U (3 voxels) -> M; twins T1 (3 voxels, threshold 2.5) and T2 (2
    // voxels: voxel 2 lies outside it, threshold 4).
    let (mut npu, u, _m, un) = memory_brain(|m| MemoryAreaGenes {
        area: m,
        temporal_depth: 2,
        longterm_mem_threshold: 100,
        lifespan_growth_rate: 1,
        init_lifespan: 9,
    });
    let twin = |npu: &mut RustNPU, id: &str, n: u32, threshold: f32, refractory: u16| {
        let mut a = area(id, [n, 1, 1]);
        a.properties.firing_threshold = threshold;
        let t = npu.register_area(a).unwrap();
        let params = NeuronParams {
            threshold,
            refractory_period: refractory,
            ..NeuronParams::default()
        };
        let ids: Vec<_> = (0..n)
            .map(|x| npu.add_neuron(t, params, [x, 0, 0]).unwrap())
            .collect();
        npu.add_memory_twin(MemoryTwin { twin: t, of: u }).unwrap();
        ids
    };
    let t1 = twin(&mut npu, "cTwin1__", 3, 2.5, 5);
    let t2 = twin(&mut npu, "cTwin2__", 2, 4.0, 0);
    // t = 1: u0; t = 2: u2 -> the window [{u0}, {u2}] creates the neuron at 2,
    // which fires at 3; replay frame i = 0 (voxel 0) is due at 4, i = 1 (voxel 2) at 5.
    fire(&mut npu, &[un[0]]);
    fire(&mut npu, &[un[2]]);
    let r = npu.process_burst(None).unwrap();
    assert_eq!(r.memory_fired, 1);
    // T1 voxel 0 and T2 voxel 0 at 4; T1 voxel 2 at 5 (T2 has no voxel 2).
    assert_eq!(npu.pending_replay().due_in(1), [(t1[0], 2.5), (t2[0], 4.0)]);
    assert_eq!(npu.pending_replay().due_in(2), [(t1[2], 2.5)]);
    assert_eq!(npu.plasticity_stats().replay_injections, 3);
    // t = 4: API input first (1e8, then -1e8), replay after it: the FCL sum
    // is ((0 + 1e8) - 1e8) + 2.5 = 2.5, not ((0 + 2.5) + 1e8) - 1e8 = 0.
    npu.stage_input(t1[0], 1.0e8).unwrap();
    npu.stage_input(t1[0], -1.0e8).unwrap();
    // T1 voxel 2 fires now, so it is refractory when its replay arrives at 5.
    npu.stage_input(t1[2], 10.0).unwrap();
    let fired = npu.process_burst(None).unwrap().fired_neurons.to_vec();
    assert_eq!(npu.last_fcl().find(|(id, _)| *id == t1[0]).unwrap().1, 2.5);
    assert!(fired.contains(&t1[0]) && fired.contains(&t2[0]) && fired.contains(&t1[2]));
    // clear_staged does not remove replay input.
    npu.clear_staged();
    let fired = npu.process_burst(None).unwrap().fired_neurons.to_vec();
    assert!(
        !fired.contains(&t1[2]),
        "a refractory twin neuron drops replay input"
    );
    assert!(npu.last_fcl().any(|(id, _)| id == t1[2]));
}

/// A plugin that fails on its first call and counts calls.
struct Failing {
    calls: usize,
}

impl PlasticityRule for Failing {
    fn name(&self) -> &str {
        "failing"
    }
    fn after_burst(&mut self, ctx: &mut PlasticityContext<'_>) -> Result<(), PlasticityError> {
        self.calls += 1;
        if self.calls == 1 {
            return Err(PlasticityError::Rule {
                rule: "failing".into(),
                message: format!("refused burst {}", ctx.burst()),
            });
        }
        Ok(())
    }
}

#[test]
fn a_failing_plugin_stops_the_burst_with_its_error_and_leaves_the_npu_usable() {
    let (mut npu, ar, n) = brain(&[("cAaaa___", 1), ("cBbbb___", 1)]);
    let (a0, b0) = (n[0][0], n[1][0]);
    npu.add_synapse(a0, b0, 10, 1, EXC).unwrap();
    npu.add_stdp_pair(stdp(ar[0], ar[1], 1, 1, 1, 1, false))
        .unwrap();
    npu.add_plasticity_rule(Box::new(Failing { calls: 0 }))
        .unwrap();
    npu.stage_input(a0, 1.0).unwrap();
    npu.stage_input(b0, 1.0).unwrap();
    let err = npu.process_burst(None).unwrap_err();
    assert!(err.to_string().contains("refused burst 1"), "{err}");
    // As documented: the burst completed and the built-in STDP ran before the plugin.
    assert_eq!(npu.burst_count(), 1);
    assert_eq!(weights(&npu, ar[0], ar[1]), [(a0, b0, 11)]);
    // Usable: the next burst runs normally.
    let r = npu.process_burst(None).unwrap();
    assert_eq!(r.burst, 2);
}

#[test]
fn plasticity_off_is_m1() {
    let config = NpuConfig {
        plasticity: false,
        ..NpuConfig::default()
    };
    let mut npu = RustNPU::with_config(0, 0, config).unwrap();
    let a = npu.register_area(area("cAaaa___", [1, 1, 1])).unwrap();
    let b = npu.register_area(area("cBbbb___", [1, 1, 1])).unwrap();
    let a0 = npu
        .add_neuron(a, NeuronParams::default(), [0, 0, 0])
        .unwrap();
    let b0 = npu
        .add_neuron(b, NeuronParams::default(), [0, 0, 0])
        .unwrap();
    npu.add_synapse(a0, b0, 10, 1, EXC).unwrap();
    npu.add_stdp_pair(stdp(a, b, 1, 1, 1, 1, false)).unwrap();
    fire(&mut npu, &[a0, b0]);
    assert_eq!(weights(&npu, a, b), [(a0, b0, 10)]);
    assert!(!npu.plasticity_enabled());
}

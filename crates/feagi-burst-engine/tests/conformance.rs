//! SPEC §8 conformance items 20 to 33, 37 and 38: exact firing patterns and
//! values of the burst engine on hand-built NPUs. Each test names its item.

mod support;

use feagi_burst_engine::{AreaUpdate, NeuronParams, NpuError, RustNPU, SynapseType};
use feagi_types::LedgerError;
use support::*;

fn v(npu: &RustNPU, id: u32) -> f32 {
    npu.neuron_state(id).unwrap().membrane_potential
}

#[test]
fn item_20_threshold_is_inclusive() {
    let (mut npu, _, id) = single(NeuronParams::default());
    assert_eq!(pattern(&mut npu, id, 4, constant(1.0)), "1111");
    let (mut npu, _, id) = single(NeuronParams::default());
    assert_eq!(pattern(&mut npu, id, 4, constant(0.99)), "____");
}

#[test]
fn item_21_threshold_limit_is_absolute_and_keeps_rejected_potential() {
    let p = params(|p| {
        p.threshold_limit = 5.0;
        p.mp_charge_accumulation = true;
    });
    let (mut npu, _, id) = single(p);
    assert_eq!(pattern(&mut npu, id, 1, constant(5.0)), "1");
    let (mut npu, _, id) = single(p);
    assert_eq!(pattern(&mut npu, id, 1, constant(5.5)), "_");
    assert_eq!(v(&npu, id), 5.5);
}

#[test]
fn item_22_leak_is_multiplicative_and_only_for_candidates() {
    let p = params(|p| {
        p.leak = 0.5;
        p.threshold = 100.0;
        p.mp_charge_accumulation = true;
    });
    let (mut npu, area, id) = single(p);
    npu.stage_input(id, 10.0).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 5.0);
    for _ in 2..=4 {
        npu.process_burst(None).unwrap();
        assert_eq!(
            v(&npu, id),
            5.0,
            "a neuron that is not a candidate does not leak"
        );
    }
    npu.stage_input(id, 1.0).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 3.0);

    // Leak 1 empties the neuron; a gene value of 10 is clamped to 1 (not -45).
    npu.update_area(area, AreaUpdate::Leak(1.0)).unwrap();
    npu.stage_input(id, 10.0).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 0.0);
    npu.update_area(area, AreaUpdate::Leak(10.0)).unwrap();
    assert_eq!(npu.neuron_state(id).unwrap().leak, 1.0);
    npu.stage_input(id, 10.0).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 0.0);
}

#[test]
fn item_23_refractory_counts_candidate_bursts() {
    let refractory = |r: u16| params(|p| p.refractory_period = r);
    let (mut npu, _, id) = single(refractory(2));
    assert_eq!(pattern(&mut npu, id, 8, constant(1.0)), "1__1__1_");
    let (mut npu, _, id) = single(refractory(2));
    let sparse = |t: u64| {
        if [1, 5, 6, 7].contains(&t) {
            vec![1.0]
        } else {
            vec![]
        }
    };
    assert_eq!(pattern(&mut npu, id, 7, sparse), "1_____1");
    let (mut npu, _, id) = single(refractory(1));
    assert_eq!(pattern(&mut npu, id, 8, constant(1.0)), "1_1_1_1_");
    let (mut npu, _, id) = single(refractory(5));
    assert_eq!(pattern(&mut npu, id, 12, constant(1.0)), "1_____1_____");
    // A candidate whose inputs sum to zero still ticks the countdown.
    let (mut npu, _, id) = single(refractory(2));
    let zero_sum = |t: u64| {
        if t == 2 || t == 3 {
            vec![5.0, -5.0]
        } else {
            vec![1.0]
        }
    };
    assert_eq!(pattern(&mut npu, id, 7, zero_sum), "1__1__1");
}

#[test]
fn item_24_consecutive_fire_limit_and_snooze() {
    let capped = |cap: u16, refractory: u16, snooze: u16| {
        params(|p| {
            p.consecutive_fire_limit = cap;
            p.refractory_period = refractory;
            p.snooze_period = snooze;
            p.threshold = 10.0;
            p.mp_charge_accumulation = true;
        })
    };
    let (mut npu, _, id) = single(capped(3, 0, 0));
    let mut s = String::new();
    for t in 1..=12u64 {
        s.push_str(&pattern(&mut npu, id, 1, constant(10.0)));
        if t % 4 == 0 {
            assert_eq!(v(&npu, id), 10.0, "V kept after the blocked burst {t}");
        }
    }
    assert_eq!(s, "111_111_111_");

    let (mut npu, _, id) = single(capped(3, 1, 2));
    assert_eq!(
        pattern(&mut npu, id, 16, constant(10.0)),
        "1_1_1___1_1_1___"
    );
    let (mut npu, _, id) = single(capped(2, 0, 3));
    assert_eq!(pattern(&mut npu, id, 10, constant(10.0)), "11___11___");
    let (mut npu, _, id) = single(capped(1, 0, 0));
    assert_eq!(pattern(&mut npu, id, 8, constant(10.0)), "1_1_1_1_");
    for unlimited in [0, 65535] {
        let (mut npu, _, id) = single(capped(unlimited, 0, 0));
        let s = pattern(&mut npu, id, 70_000, constant(10.0));
        assert!(
            s.bytes().all(|b| b == b'1'),
            "cap {unlimited} must never block"
        );
        assert_eq!(
            npu.neuron_state(id).unwrap().consecutive_fire_count,
            65535,
            "the count saturates"
        );
    }
}

#[test]
fn item_25_excitability_draws_and_units() {
    let half = params(|p| p.excitability = 0.5);
    // Neuron id 0 at 50 %: an NPU without core areas.
    let mut npu = RustNPU::new(1, 0, 20).unwrap();
    let a = npu.register_area(area("cTest___", [1, 1, 1])).unwrap();
    let id = npu.add_neuron(a, half, [0, 0, 0]).unwrap();
    assert_eq!(id, 0);
    assert_eq!(
        pattern(&mut npu, id, 20, constant(1.0)),
        "_111___1_1_111_1_1__"
    );
    let (mut npu, _, id) = single(half);
    assert_eq!(
        pattern(&mut npu, id, 20, constant(1.0)),
        "________1_1__11__11_"
    );

    // Genome units through the runtime update (the EXC rule).
    let with_gene = |gene: f64| {
        let (mut npu, area, id) = single(NeuronParams::default());
        npu.update_area(area, AreaUpdate::Excitability(gene))
            .unwrap();
        pattern(&mut npu, id, 40, constant(1.0))
    };
    for always in [99.9, 100.0, 250.0, 1.0] {
        assert_eq!(
            with_gene(always),
            "1".repeat(40),
            "gene {always} always fires"
        );
    }
    for never in [0.0, -5.0] {
        assert_eq!(with_gene(never), "_".repeat(40), "gene {never} never fires");
    }
    assert_eq!(with_gene(0.5), with_gene(50.0));
    let (mut npu, _, id) = single(params(|p| p.excitability = 0.05));
    let five_percent = pattern(&mut npu, id, 40, constant(1.0));
    assert_eq!(with_gene(5.0), five_percent);
    assert!(five_percent.contains('_'));
}

#[test]
fn item_26_accumulation_off_resets_each_burst() {
    let off = params(|p| p.threshold = 100.0);
    let (mut npu, _, id) = single(off);
    npu.stage_input(id, 10.0).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 10.0);
    npu.process_burst(None).unwrap();
    assert_eq!(v(&npu, id), 0.0);

    let (mut npu, _, id) = single(params(|p| p.threshold = 15.0));
    assert_eq!(pattern(&mut npu, id, 20, constant(10.0)), "_".repeat(20));
    let on = params(|p| {
        p.threshold = 15.0;
        p.mp_charge_accumulation = true;
    });
    let (mut npu, _, id) = single(on);
    assert_eq!(pattern(&mut npu, id, 4, constant(10.0)), "_1_1");
}

#[test]
fn item_27_fire_queue_reports_potential_before_reset() {
    let (mut npu, _, id) = single(params(|p| {
        p.threshold = 15.0;
        p.mp_charge_accumulation = true;
    }));
    npu.stage_input(id, 10.0).unwrap();
    npu.process_burst(None).unwrap();
    npu.stage_input(id, 10.0).unwrap();
    let r = npu.process_burst(None).unwrap();
    let k = r
        .fired_neurons
        .iter()
        .position(|&n| n == id)
        .expect("fires at burst 2");
    assert_eq!(r.fired_potentials[k], 20.0);
    let fired: Vec<_> = npu.fired_neurons().filter(|f| f.id == id).collect();
    assert_eq!(fired[0].potential, 20.0);
    assert_eq!(v(&npu, id), 0.0);
}

#[test]
fn item_28_threshold_zero_fires_on_zero_net_input() {
    let (mut npu, _, id) = single(params(|p| p.threshold = 0.0));
    let zero = |_| vec![5.0, -5.0];
    assert_eq!(pattern(&mut npu, id, 3, zero), "111");
}

#[test]
fn item_29_one_burst_delay_per_hop() {
    let mut npu = core_npu();
    let a = npu.register_area(area("cChain__", [3, 1, 1])).unwrap();
    let ids: Vec<u32> = (0..3)
        .map(|x| {
            npu.add_neuron(a, NeuronParams::default(), [x, 0, 0])
                .unwrap()
        })
        .collect();
    npu.add_synapse(ids[0], ids[1], 1, 1, SynapseType::Excitatory)
        .unwrap();
    npu.add_synapse(ids[1], ids[2], 1, 1, SynapseType::Excitatory)
        .unwrap();
    npu.stage_input(ids[0], 1.0).unwrap();
    let mut fired = Vec::new();
    for t in 1..=4 {
        let r = npu.process_burst(None).unwrap();
        assert_eq!(r.burst, t);
        if t == 1 {
            assert_eq!(r.synaptic_injections, 0, "burst 1 has no synaptic input");
        }
        fired.push(
            r.fired_neurons
                .iter()
                .filter(|n| ids.contains(n))
                .copied()
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(
        fired,
        vec![vec![ids[0]], vec![ids[1]], vec![ids[2]], vec![]]
    );
}

/// The source neuron of `delivered`: the first neuron after the core ones.
const SOURCE: u32 = 3;

/// Fires `source` in burst 1 with potential `v_fire` and returns the FCL sum
/// its synapses deliver to each target in burst 2.
fn delivered(
    configure: impl FnOnce(&mut RustNPU, u32, &[u32]),
    targets: usize,
    v_fire: f32,
) -> (Vec<f32>, Vec<u32>) {
    let mut npu = core_npu();
    let src_area = npu.register_area(area("cSource_", [1, 1, 1])).unwrap();
    let dst_area = npu
        .register_area(area("cTarget_", [targets as u32, 1, 1]))
        .unwrap();
    let source = npu
        .add_neuron(src_area, params(|p| p.threshold = 0.5), [0, 0, 0])
        .unwrap();
    assert_eq!(source, SOURCE);
    let ts: Vec<u32> = (0..targets as u32)
        .map(|x| {
            npu.add_neuron(dst_area, params(|p| p.threshold = 34.0), [x, 0, 0])
                .unwrap()
        })
        .collect();
    configure(&mut npu, src_area, &ts);
    for &t in &ts {
        if npu.outgoing(source).unwrap().iter().all(|s| s.peer != t) {
            npu.add_synapse(source, t, 10, 10, SynapseType::Excitatory)
                .unwrap();
        }
    }
    npu.stage_input(source, v_fire).unwrap();
    assert_eq!(npu.process_burst(None).unwrap().fired_neurons, &[1, source]);
    let fired = npu.process_burst(None).unwrap().fired_neurons.to_vec();
    let fcl: std::collections::HashMap<u32, f32> = npu.last_fcl().collect();
    (ts.iter().map(|t| fcl[t]).collect(), fired)
}

#[test]
fn item_30_propagation_examples() {
    // weight 2, PSP 3, inhibitory -> -6.
    let (sums, _) = delivered(
        |n, _, ts| {
            n.add_synapse(SOURCE, ts[0], 2, 3, SynapseType::Inhibitory)
                .unwrap()
        },
        1,
        1.0,
    );
    assert_eq!(sums, vec![-6.0]);
    // 255 * 255 = 65025.
    let (sums, _) = delivered(
        |n, _, ts| {
            n.add_synapse(SOURCE, ts[0], 255, 255, SynapseType::Excitatory)
                .unwrap()
        },
        1,
        1.0,
    );
    assert_eq!(sums, vec![65025.0]);
    // Non-uniform source with three synapses of weight 10, PSP 10: 100 / 3 each, none reaches 34.
    let (sums, fired) = delivered(|_, _, _| {}, 3, 1.0);
    assert_eq!(sums, vec![33.333332; 3]);
    assert_eq!(fired, vec![1]);
    // Uniform: 100 each, all fire.
    let (sums, fired) = delivered(
        |n, a, _| {
            n.update_area(a, AreaUpdate::PspUniformDistribution(true))
                .unwrap()
        },
        3,
        1.0,
    );
    assert_eq!(sums, vec![100.0; 3]);
    assert_eq!(fired, vec![1, 4, 5, 6]);
    // mp_driven_psp: PSP = round_half_away(clamp(V_fire, 0, 255)), weight 2.
    for (v_fire, expect) in [(300.7, 510.0), (7.4, 14.0), (7.5, 16.0), (2.5, 6.0)] {
        let (sums, _) = delivered(
            |n, a, ts| {
                n.update_area(a, AreaUpdate::MpDrivenPsp(true)).unwrap();
                n.add_synapse(SOURCE, ts[0], 2, 1, SynapseType::Excitatory)
                    .unwrap();
            },
            1,
            v_fire,
        );
        assert_eq!(sums, vec![expect], "V_fire {v_fire}");
    }
}

#[test]
fn item_31_power_and_fatigue_injection() {
    let (mut npu, _, _) = single(NeuronParams::default());
    npu.set_power_amount(2.5).unwrap();
    for _ in 0..3 {
        let r = npu.process_burst(None).unwrap();
        assert_eq!(r.power_injections, 1);
        assert_eq!(npu.last_fcl().collect::<Vec<_>>(), vec![(1, 2.5)]);
    }
    npu.set_fatigue_active(true);
    npu.process_burst(None).unwrap();
    assert_eq!(npu.last_fcl().collect::<Vec<_>>(), vec![(1, 2.5), (2, 2.5)]);
    // Explicit power neurons replace the power neuron.
    npu.set_fatigue_active(false);
    let r = npu.process_burst(Some(&[3, 0])).unwrap();
    assert_eq!(r.power_injections, 2);
    assert_eq!(npu.last_fcl().collect::<Vec<_>>(), vec![(0, 2.5), (3, 2.5)]);
    // An unknown power neuron is an error and runs no burst.
    let before = npu.burst_count();
    assert_eq!(
        npu.process_burst(Some(&[99])).unwrap_err(),
        NpuError::UnknownNeuron(99)
    );
    assert_eq!(npu.burst_count(), before);
}

#[test]
fn item_32_staging_rules() {
    let mut npu = core_npu();
    let a = npu.register_area(area("cSensor_", [2, 1, 1])).unwrap();
    let n0 = npu
        .add_neuron(a, params(|p| p.threshold = 100.0), [0, 0, 0])
        .unwrap();
    let n1 = npu
        .add_neuron(a, params(|p| p.threshold = 100.0), [1, 0, 0])
        .unwrap();
    // p = 0, non-finite p and voxels outside the area are ignored.
    let staged = npu
        .stage_sensory(
            a,
            &[0, 1, 5, 1, 0],
            &[0, 0, 0, 0, 9],
            &[0, 0, 0, 0, 0],
            &[0.0, f32::NAN, 3.0, 2.0, 1.0],
        )
        .unwrap();
    assert_eq!(staged, 1);
    npu.stage_input(n0, 1.5).unwrap();
    npu.stage_input(n0, 2.0).unwrap();
    npu.stage_sensory(a, &[1], &[0], &[0], &[0.25]).unwrap();
    npu.process_burst(None).unwrap();
    assert_eq!(
        npu.last_fcl().collect::<Vec<_>>(),
        vec![(1, 1.0), (n0, 3.5), (n1, 2.25)]
    );
    // Nothing staged survives the burst.
    npu.process_burst(None).unwrap();
    assert_eq!(npu.last_fcl().collect::<Vec<_>>(), vec![(1, 1.0)]);
    // An unknown area is an error of the call and stages nothing.
    assert_eq!(
        npu.stage_sensory(77, &[0], &[0], &[0], &[1.0]).unwrap_err(),
        NpuError::UnknownArea(77)
    );
    assert_eq!(npu.staged_count(), 0);
    npu.stage_input(n0, 1.0).unwrap();
    npu.clear_staged();
    assert_eq!(npu.staged_count(), 0);
}

#[test]
fn item_33_fcl_sums_in_staging_order_in_f32() {
    let p = params(|p| p.threshold = 0.5);
    let (mut npu, _, id) = single(p);
    let s = pattern(&mut npu, id, 1, |_| vec![16_777_216.0, 1.0, -16_777_216.0]);
    assert_eq!((s.as_str(), npu.last_fcl().last()), ("_", Some((id, 0.0))));
    let (mut npu, _, id) = single(p);
    let s = pattern(&mut npu, id, 1, |_| vec![16_777_216.0, -16_777_216.0, 1.0]);
    assert_eq!((s.as_str(), npu.last_fcl().last()), ("1", Some((id, 1.0))));
}

/// The single-neuron behaviours above, each as (params, input, bursts, expected pattern).
fn reference_cases() -> Vec<(NeuronParams, f32, u64, String)> {
    vec![
        (
            params(|p| p.refractory_period = 2),
            1.0,
            8,
            "1__1__1_".into(),
        ),
        (
            params(|p| {
                p.consecutive_fire_limit = 3;
                p.refractory_period = 1;
                p.snooze_period = 2;
                p.threshold = 10.0;
                p.mp_charge_accumulation = true;
            }),
            10.0,
            16,
            "1_1_1___1_1_1___".into(),
        ),
        (
            params(|p| p.excitability = 0.5),
            1.0,
            20,
            "________1_1__11__11_".into(),
        ),
        (
            params(|p| {
                p.threshold = 15.0;
                p.mp_charge_accumulation = true;
            }),
            10.0,
            4,
            "_1_1".into(),
        ),
        (params(|p| p.threshold_limit = 5.0), 5.5, 3, "___".into()),
    ]
}

#[test]
fn item_37_results_do_not_depend_on_candidate_or_brain_size() {
    for (p, input, bursts, expected) in reference_cases() {
        let copies = 10_000u32;
        let mut npu = core_npu();
        let a = npu.register_area(area("cCopies_", [copies, 1, 1])).unwrap();
        let ids: Vec<u32> = (0..copies)
            .map(|x| npu.add_neuron(a, p, [x, 0, 0]).unwrap())
            .collect();
        assert_eq!(ids[0], 3);
        // Grow the brain past 1 000 000 neurons with idle neurons.
        let idle = npu
            .register_area(area("cIdle___", [1_000_000, 1, 1]))
            .unwrap();
        for x in 0..1_000_000 {
            npu.add_neuron(idle, NeuronParams::default(), [x, 0, 0])
                .unwrap();
        }
        assert!(npu.neuron_count() > 1_000_000);
        let mut patterns = vec![String::new(); copies as usize];
        for _ in 0..bursts {
            npu.stage_inputs(&ids, &vec![input; ids.len()]).unwrap();
            let r = npu.process_burst(None).unwrap();
            assert!(r.neurons_processed >= copies as usize);
            let fired: std::collections::HashSet<u32> = r.fired_neurons.iter().copied().collect();
            for (k, id) in ids.iter().enumerate() {
                patterns[k].push(if fired.contains(id) { '1' } else { '_' });
            }
        }
        // Neuron 3 carries the reference pattern; the copies differ only
        // through their ids in the excitability draw.
        assert_eq!(patterns[0], expected);
        if p.excitability >= 1.0 {
            assert!(patterns.iter().all(|s| *s == expected));
        }
    }
}

#[test]
fn item_38_fire_ledger_frames_windows_and_errors() {
    let mut npu = core_npu();
    let a = npu.register_area(area("cLedger_", [1, 1, 1])).unwrap();
    let id = npu
        .add_neuron(a, NeuronParams::default(), [0, 0, 0])
        .unwrap();
    // Every area is tracked with window 20 by default.
    assert_eq!(
        npu.ledger_configs(),
        (0..4).map(|a| (a, 20)).collect::<Vec<_>>()
    );
    for t in 1..=25u64 {
        if t % 2 == 1 {
            npu.stage_input(id, 1.0).unwrap();
        }
        npu.process_burst(None).unwrap();
    }
    // Dense frames, silence included, oldest first.
    let frames = npu.ledger_frames(a, 25, 4).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.timestep).collect::<Vec<_>>(),
        vec![22, 23, 24, 25]
    );
    assert_eq!(
        frames
            .iter()
            .map(|f| f.neuron_ids.clone())
            .collect::<Vec<_>>(),
        vec![vec![], vec![id], vec![], vec![id]]
    );
    let bitmaps = npu.dense_window(a, 23, 2).unwrap();
    assert_eq!(
        bitmaps.iter().map(|b| b.len()).collect::<Vec<_>>(),
        vec![0, 1]
    );
    // Only 20 frames are kept: 6..=25.
    assert_eq!(npu.ledger_frames(a, 25, 20).unwrap()[0].timestep, 6);
    assert!(matches!(
        npu.ledger_frames(a, 24, 20),
        Err(NpuError::Ledger(LedgerError::InsufficientHistory { .. }))
    ));
    // Errors.
    assert_eq!(
        npu.ledger_frames(a, 25, 0).unwrap_err(),
        NpuError::Ledger(LedgerError::ZeroDepth)
    );
    assert!(matches!(
        npu.ledger_frames(a, 25, 21),
        Err(NpuError::Ledger(LedgerError::DepthExceedsWindow { .. }))
    ));
    assert!(matches!(
        npu.ledger_frames(a, 26, 1),
        Err(NpuError::Ledger(LedgerError::EndBeyondLastBurst { .. }))
    ));
    assert_eq!(
        npu.configure_ledger_window(a, 0).unwrap_err(),
        NpuError::Ledger(LedgerError::ZeroWindow)
    );
    // Window trimming: shrinking drops the oldest frames, growing keeps what is held.
    npu.configure_ledger_window(a, 3).unwrap();
    assert!(npu.ledger_frames(a, 25, 4).is_err());
    npu.configure_ledger_window(a, 10).unwrap();
    assert!(matches!(
        npu.ledger_frames(a, 25, 4),
        Err(NpuError::Ledger(LedgerError::InsufficientHistory { .. }))
    ));
    assert_eq!(npu.ledger_frames(a, 25, 3).unwrap().len(), 3);
    // Untracked areas are errors; late tracking pre-fills empty frames.
    npu.untrack_ledger_area(a).unwrap();
    assert_eq!(
        npu.ledger_frames(a, 25, 1).unwrap_err(),
        NpuError::Ledger(LedgerError::UntrackedArea { area: a })
    );
    npu.configure_ledger_window(a, 5).unwrap();
    let frames = npu.ledger_frames(a, 25, 5).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.timestep).collect::<Vec<_>>(),
        vec![21, 22, 23, 24, 25]
    );
    assert!(frames.iter().all(|f| f.neuron_ids.is_empty()));
    // History before burst 1 does not exist.
    let mut fresh = core_npu();
    fresh.process_burst(None).unwrap();
    assert!(matches!(
        fresh.ledger_frames(1, 1, 2),
        Err(NpuError::Ledger(LedgerError::InsufficientHistory { .. }))
    ));
    assert_eq!(fresh.ledger_frames(1, 1, 1).unwrap()[0].neuron_ids, vec![1]);
    assert_eq!(
        npu.dense_window(99, 1, 1).unwrap_err(),
        NpuError::UnknownArea(99)
    );
}

#[test]
fn huge_capacity_hints_and_windows_do_not_abort() {
    // Hints beyond memory are reserved as far as possible, never fatal; a
    // window beyond the ledger's frame budget is refused, not an abort later.
    let mut npu = RustNPU::new(usize::MAX / 2, usize::MAX / 2, 1_000_000_000).unwrap();
    assert!(matches!(
        npu.register_area(area("cHuge___", [1, 1, 1])),
        Err(NpuError::Ledger(LedgerError::TooManyFrames { .. }))
    ));
    assert_eq!(npu.area_count(), 0);
    let mut npu = RustNPU::new(
        usize::MAX / 2,
        usize::MAX / 2,
        feagi_types::MAX_LEDGER_FRAMES,
    )
    .unwrap();
    let a = npu.register_area(area("cHuge___", [1, 1, 1])).unwrap();
    let id = npu
        .add_neuron(a, NeuronParams::default(), [0, 0, 0])
        .unwrap();
    npu.stage_input(id, 1.0).unwrap();
    assert_eq!(npu.staged_inputs(), &[(id, 1.0)]);
    assert_eq!(npu.process_burst(None).unwrap().fired_neurons, &[id]);
    assert_eq!(npu.power_neuron(), None);
    assert_eq!(core_npu().power_neuron(), Some(1));
}

//! The runtime's behaviour: the handle's poisoning, the burst loop's stop
//! conditions, and gene updates by every name against genomes.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use feagi_burst_engine::{NpuConfig, RustNPU};
use feagi_genome::{Genome, RuntimeGene};
use feagi_runtime::*;
use serde_json::{json, Value};

fn default_handle() -> NpuHandle {
    NpuHandle::from_genome(&Genome::default_genome(), NpuConfig::default()).expect("default genome")
}

/// Waits (at most 10 s) for the loop to end.
fn wait_until_stopped(l: &BurstLoop) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while l.is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(!l.is_running(), "the loop did not stop");
}

fn bursts(h: &NpuHandle) -> u64 {
    h.with(|npu| npu.burst_count()).expect("usable NPU")
}

fn keep_going(_: &BurstSnapshot) -> ControlFlow<Option<String>> {
    ControlFlow::Continue(())
}

// ----- handle -------------------------------------------------------------------------

#[test]
fn a_panic_poisons_the_handle_and_every_clone() {
    let h = default_handle();
    let clone = h.clone();
    assert!(h.same_npu(&clone));
    {
        let g = h.lock();
        assert!(!g.is_poisoned());
        assert_eq!(g.warnings(), Genome::default_genome().warnings());
    }
    let err = h.with(|_| -> u32 { panic!("boom") }).unwrap_err();
    assert_eq!(err, RuntimeError::Panic("boom".into()));
    assert!(clone.is_poisoned());
    assert_eq!(
        clone.with(|npu| npu.burst_count()),
        Err(RuntimeError::Poisoned)
    );
    assert_eq!(clone.run_burst(None), Err(RuntimeError::Poisoned));
    assert!(err
        .to_string()
        .contains("internal error in feagi-rust: boom"));
}

#[test]
fn npu_errors_pass_through_and_do_not_poison() {
    let h = default_handle();
    let err = h.call(|npu| npu.neuron_state(u32::MAX)).unwrap_err();
    assert!(matches!(err, RuntimeError::Npu(_)), "{err:?}");
    assert!(!h.is_poisoned());
    let snap = h.run_burst(None).expect("burst");
    assert_eq!(snap.burst, 1);
    assert_eq!(snap.fired_count(), snap.fired_neurons.len());
    assert_eq!(snap.fired_neurons.len(), snap.fired_potentials.len());
    assert!(h.try_lock().is_some());
    let held = h.lock();
    assert!(
        h.try_lock().is_none(),
        "try_lock must not wait for a held lock"
    );
    drop(held);
}

// ----- burst loop ---------------------------------------------------------------------

#[test]
fn the_loop_stops_after_max_bursts_and_can_restart() {
    let h = default_handle();
    let l = BurstLoop::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    l.start(h.clone(), 10_000.0, Some(7), move |snap: &BurstSnapshot| {
        s.lock().unwrap().push(snap.burst);
        ControlFlow::Continue(())
    })
    .expect("start");
    wait_until_stopped(&l);
    assert_eq!(*seen.lock().unwrap(), (1..=7).collect::<Vec<u64>>());
    assert_eq!(bursts(&h), 7);
    assert_eq!(l.last_error(), None);
    l.start(h.clone(), 10_000.0, Some(3), keep_going)
        .expect("restart");
    wait_until_stopped(&l);
    assert_eq!(bursts(&h), 10);
}

#[test]
fn the_hook_runs_without_the_npu_lock() {
    let h = default_handle();
    let l = BurstLoop::new();
    let inside = h.clone();
    let free = Arc::new(Mutex::new(Vec::new()));
    let f = free.clone();
    l.start(h.clone(), 10_000.0, Some(5), move |_: &BurstSnapshot| {
        f.lock().unwrap().push(inside.try_lock().is_some());
        ControlFlow::Continue(())
    })
    .expect("start");
    wait_until_stopped(&l);
    assert_eq!(*free.lock().unwrap(), vec![true; 5]);
}

#[test]
fn stop_from_another_thread_joins_even_during_a_long_sleep() {
    let h = default_handle();
    let l = BurstLoop::new();
    // One burst, then a sleep of 11 days that stop() must cut short.
    l.start(h.clone(), MIN_FREQUENCY_HZ, None, keep_going)
        .expect("start");
    let deadline = Instant::now() + Duration::from_secs(10);
    while bursts(&h) < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(l.is_running());
    assert_eq!(
        l.start(h.clone(), 10.0, None, keep_going),
        Err(LoopError::AlreadyRunning)
    );
    let started = Instant::now();
    l.stop();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!l.is_running());
    assert_eq!(bursts(&h), 1);
    l.stop(); // harmless when nothing runs
}

#[test]
fn stop_from_inside_the_hook_does_not_join() {
    let h = default_handle();
    let l = Arc::new(BurstLoop::new());
    let inner = l.clone();
    l.start(h.clone(), 10_000.0, None, move |snap: &BurstSnapshot| {
        if snap.burst == 3 {
            inner.stop(); // would deadlock if it joined its own thread
        }
        ControlFlow::Continue(())
    })
    .expect("start");
    wait_until_stopped(&l);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(bursts(&h), 3);
    assert_eq!(l.last_error(), None);
}

#[test]
fn the_hook_stops_the_loop_with_or_without_an_error() {
    let h = default_handle();
    let l = BurstLoop::new();
    l.start(h.clone(), 10_000.0, None, |snap: &BurstSnapshot| {
        if snap.burst == 2 {
            ControlFlow::Break(None)
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("start");
    wait_until_stopped(&l);
    assert_eq!((bursts(&h), l.last_error()), (2, None));

    l.start(h.clone(), 10_000.0, None, |_: &BurstSnapshot| {
        ControlFlow::Break(Some("sensor gone".to_string()))
    })
    .expect("start");
    wait_until_stopped(&l);
    assert_eq!(
        (bursts(&h), l.last_error()),
        (3, Some("sensor gone".into()))
    );

    // A new start clears the kept error; a panicking hook becomes the error.
    l.start(
        h.clone(),
        10_000.0,
        None,
        |_: &BurstSnapshot| -> ControlFlow<Option<String>> { panic!("hook bug") },
    )
    .expect("start");
    wait_until_stopped(&l);
    let e = l.last_error().expect("kept error");
    assert!(e.contains("hook bug"), "{e}");
    assert_eq!(bursts(&h), 4);
    assert!(!h.is_poisoned(), "a hook panic does not touch the NPU");
}

#[test]
fn a_failing_burst_stops_the_loop_and_is_kept() {
    let h = default_handle();
    let l = BurstLoop::new();
    let inside = h.clone();
    // The hook poisons the NPU through a panic; the next burst then fails.
    l.start(h.clone(), 10_000.0, None, move |snap: &BurstSnapshot| {
        if snap.burst == 2 {
            let _ = inside.with(|_| panic!("engine bug"));
        }
        ControlFlow::Continue(())
    })
    .expect("start");
    wait_until_stopped(&l);
    let e = l.last_error().expect("kept error");
    assert!(e.contains("can no longer be used"), "{e}");
    assert!(h.is_poisoned());

    // A hook that counts errors sees the burst error itself.
    struct Counting(Arc<AtomicU64>);
    impl BurstHook for Counting {
        fn on_burst(&mut self, _: &BurstSnapshot) -> ControlFlow<Option<String>> {
            ControlFlow::Continue(())
        }
        fn on_error(&mut self, error: &RuntimeError) -> String {
            self.0.fetch_add(1, Ordering::SeqCst);
            format!("custom: {error}")
        }
    }
    let errors = Arc::new(AtomicU64::new(0));
    l.start(h.clone(), 10_000.0, None, Counting(errors.clone()))
        .expect("start");
    wait_until_stopped(&l);
    assert_eq!(errors.load(Ordering::SeqCst), 1);
    assert!(l.last_error().unwrap_or_default().starts_with("custom: "));
}

#[test]
fn bad_frequencies_are_refused() {
    let l = BurstLoop::new();
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, 1e-9] {
        assert!(
            matches!(
                l.start(default_handle(), bad, None, keep_going),
                Err(LoopError::InvalidFrequency(_))
            ),
            "{bad}"
        );
        assert!(!l.is_running());
    }
}

#[test]
fn the_loop_paces_bursts() {
    let h = default_handle();
    let l = BurstLoop::new();
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    l.start(h, 200.0, Some(11), move |_: &BurstSnapshot| {
        t.lock().unwrap().push(Instant::now());
        ControlFlow::Continue(())
    })
    .expect("start");
    wait_until_stopped(&l);
    let times = times.lock().unwrap();
    let span = times[10] - times[0];
    // Ten periods of 5 ms; generous upper bound for a loaded machine.
    assert!(span >= Duration::from_millis(45), "{span:?}");
    assert!(span < Duration::from_millis(500), "{span:?}");
}

// ----- gene updates -------------------------------------------------------------------

/// (canonical name, exon, aliases, value, expected update) for every runtime gene.
fn gene_cases() -> Vec<(
    &'static str,
    &'static str,
    Vec<&'static str>,
    GeneValue,
    &'static str,
)> {
    use GeneValue::{Bool, Float, Int};
    vec![
        (
            "firing_threshold",
            "fire_t",
            vec![],
            Float(2.5),
            "Area(FiringThreshold(2.5))",
        ),
        (
            "firing_threshold_increment_x",
            "ftincx",
            vec![],
            Float(0.5),
            "ThresholdIncrementAxis { axis: 0, value: 0.5 }",
        ),
        (
            "firing_threshold_increment_y",
            "ftincy",
            vec![],
            Int(2),
            "ThresholdIncrementAxis { axis: 1, value: 2.0 }",
        ),
        (
            "firing_threshold_increment_z",
            "ftincz",
            vec![],
            Float(-1.0),
            "ThresholdIncrementAxis { axis: 2, value: -1.0 }",
        ),
        (
            "firing_threshold_limit",
            "fthlim",
            vec![],
            Float(7.5),
            "Area(ThresholdLimit(7.5))",
        ),
        (
            "leak_coefficient",
            "leak_c",
            vec![],
            Float(0.25),
            "Area(Leak(0.25))",
        ),
        (
            "neuron_excitability",
            "excite",
            vec![],
            Int(50),
            "Area(Excitability(50.0))",
        ),
        (
            "refractory_period",
            "refrac",
            vec![],
            Int(3),
            "Area(RefractoryPeriod(3))",
        ),
        (
            "consecutive_fire_cnt_max",
            "c_fr_c",
            vec!["consecutive_fire_limit"],
            Float(4.0),
            "Area(ConsecutiveFireLimit(4))",
        ),
        (
            "snooze_length",
            "snooze",
            vec!["snooze_period"],
            Int(2),
            "Area(SnoozePeriod(2))",
        ),
        (
            "mp_charge_accumulation",
            "mp_acc",
            vec![],
            Bool(true),
            "Area(MpChargeAccumulation(true))",
        ),
        (
            "postsynaptic_current",
            "pstcr_",
            vec![],
            Float(3.9),
            "Area(PostsynapticCurrent(3.9))",
        ),
        (
            "psp_uniform_distribution",
            "pspuni",
            vec![],
            Bool(true),
            "Area(PspUniformDistribution(true))",
        ),
        (
            "mp_driven_psp",
            "mp_psp",
            vec![],
            Bool(false),
            "Area(MpDrivenPsp(false))",
        ),
    ]
}

#[test]
fn every_name_alias_and_exon_parses_to_its_update() {
    let cases = gene_cases();
    assert_eq!(cases.len(), RuntimeGene::ALL.len());
    for (name, exon, aliases, value, expected) in &cases {
        for spelling in std::iter::once(name).chain([exon]).chain(aliases) {
            let update =
                parse_gene_update(spelling, value).unwrap_or_else(|e| panic!("{spelling}: {e}"));
            assert_eq!(format!("{update:?}"), *expected, "{spelling}");
        }
        let gene = feagi_genome::runtime_gene(name).expect("runtime gene");
        assert_eq!((gene.name(), gene.exon()), (*name, *exon));
        assert_eq!(gene.aliases(), aliases.as_slice());
    }
    let vector = parse_gene_update(THRESHOLD_INCREMENT_VECTOR, &[0.5, 0.0, 1.0].into());
    assert_eq!(
        format!("{:?}", vector.expect("vector")),
        "Area(ThresholdIncrement([0.5, 0.0, 1.0]))"
    );
    let mut names = gene_names();
    names.sort_unstable();
    let mut expected: Vec<&str> = cases.iter().map(|c| c.0).collect();
    expected.push(THRESHOLD_INCREMENT_VECTOR);
    expected.sort_unstable();
    assert_eq!(names, expected);
}

#[test]
fn json_values_parse_like_genome_values() {
    let ok = |name: &str, v: Value| {
        format!(
            "{:?}",
            parse_json_gene_update(name, &v).unwrap_or_else(|e| panic!("{name}: {e}"))
        )
    };
    assert_eq!(ok("snooze", json!(2.0)), "Area(SnoozePeriod(2))");
    assert_eq!(ok("fire_t", json!(3)), "Area(FiringThreshold(3.0))");
    assert_eq!(
        ok("mp_acc", json!(true)),
        "Area(MpChargeAccumulation(true))"
    );
    assert_eq!(
        ok("firing_threshold_increment", json!([1, 2, 3.5])),
        "Area(ThresholdIncrement([1.0, 2.0, 3.5]))"
    );
    let err = parse_json_gene_update("refrac", &json!("3")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "refrac (refractory_period) must be an integer, got a string"
    );
    assert!(matches!(
        parse_json_gene_update("refrac", &json!(null)),
        Err(GeneError::WrongType { .. })
    ));
    assert_eq!(
        GeneValue::try_from(&json!({"a": 1})),
        Err(NotAGeneValue("an object"))
    );
    assert_eq!(
        GeneValue::try_from(&json!(u64::MAX)),
        Ok(GeneValue::Float(u64::MAX as f64))
    );
}

#[test]
fn bad_values_are_rejected_with_clear_errors() {
    use GeneValue::{Bool, Float, Int, Vector};
    let err = |name: &str, v: GeneValue| parse_gene_update(name, &v).expect_err(name);
    let e = err("firing_treshold", Float(1.0));
    assert!(matches!(e, GeneError::UnknownGene { .. }));
    assert!(e.to_string().contains("firing_threshold, "), "{e}");
    assert!(matches!(
        err("per_voxel_neuron_cnt", Int(2)),
        GeneError::UnknownGene { .. }
    ));

    for (name, value, kind) in [
        ("refractory_period", Int(70_000), "range"),
        ("refractory_period", Int(-1), "range"),
        ("refrac", Float(1.5), "integer"),
        ("refrac", Float(f64::INFINITY), "integer"),
        ("snooze_period", Float(1e300), "range"),
        ("firing_threshold", Float(f64::INFINITY), "finite"),
        ("leak_c", Float(f64::NAN), "finite"),
        ("fire_t", Float(1e39), "f32"),
        (
            "firing_threshold_increment",
            Vector(vec![1.0, 2.0]),
            "three",
        ),
        (
            "firing_threshold_increment",
            Vector(vec![1.0, f64::NAN, 2.0]),
            "finite",
        ),
    ] {
        let e = err(name, value.clone());
        assert!(
            matches!(e, GeneError::InvalidValue { .. }),
            "{name} {value:?}: {e:?}"
        );
        assert!(e.to_string().contains(kind), "{name}: {e}");
        assert!(e.to_string().starts_with(name), "{name}: {e}");
    }
    for (name, value) in [
        ("mp_charge_accumulation", Int(1)),
        ("firing_threshold", Bool(true)),
        ("snooze", Bool(false)),
        ("firing_threshold_increment", Int(5)),
        ("leak_coefficient", Vector(vec![1.0])),
    ] {
        let e = err(name, value.clone());
        assert!(
            matches!(e, GeneError::WrongType { .. }),
            "{name} {value:?}: {e:?}"
        );
    }
    assert_eq!(
        err("c_fr_c", Int(-1)).to_string(),
        "c_fr_c (consecutive_fire_cnt_max) = -1 is invalid: out of range 0..=65535"
    );
}

#[test]
fn an_invalid_update_applies_nothing() {
    let h = default_handle();
    let before = h
        .with(|npu| {
            let i = npu.resolve_area("i_sens").expect("area");
            (
                npu.area(i).expect("area").properties.clone(),
                npu.neuron_state(1),
            )
        })
        .expect("usable");
    let result = h
        .with(|npu| {
            let i = npu.resolve_area("i_sens")?;
            let updates = [
                ("fire_t", GeneValue::Float(9.0)),
                ("snooze", GeneValue::Int(2)),
                ("refrac", GeneValue::Int(-3)),
            ];
            apply_gene_updates(npu, i, &updates)
        })
        .expect("usable");
    assert!(matches!(result, Err(GeneError::InvalidValue { .. })));
    let after = h
        .with(|npu| {
            let i = npu.resolve_area("i_sens").expect("area");
            (
                npu.area(i).expect("area").properties.clone(),
                npu.neuron_state(1),
            )
        })
        .expect("usable");
    assert_eq!(before, after);
    // An unknown area changes nothing either.
    let unknown = h
        .with(|npu| apply_gene_updates(npu, 999, &[("fire_t", GeneValue::Float(9.0))]))
        .expect("usable");
    assert!(matches!(
        unknown,
        Err(GeneError::Runtime(RuntimeError::Npu(_)))
    ));
}

/// The default genome with some of `i_sens`'s flat genes replaced.
fn genome_with(changes: &[(&str, &str, Value)]) -> Genome {
    let mut doc: Value =
        serde_json::from_str(feagi_genome::default_genome_json()).expect("default genome JSON");
    let blueprint = doc["blueprint"].as_object_mut().expect("flat blueprint");
    for (exon, tag, value) in changes {
        let key = format!("_____10c-i_sens-nx-{exon}-{tag}");
        blueprint
            .retain(|k, _| !k.starts_with("_____10c-i_sens-") || !k.contains(&format!("-{exon}-")));
        blueprint.insert(key, value.clone());
    }
    Genome::from_json_str(&doc.to_string()).expect("modified genome")
}

fn area_state(npu: &RustNPU) -> (feagi_burst_engine::AreaProperties, Vec<String>) {
    let i = npu.resolve_area("i_sens").expect("area");
    let mut neurons = Vec::new();
    for id in npu.neurons_in_area(i).expect("area") {
        let state = npu.neuron_state(id).expect("neuron");
        let synapses = npu.outgoing(id).expect("neuron");
        neurons.push(format!("{state:?} {synapses:?}"));
    }
    (npu.area(i).expect("area").properties.clone(), neurons)
}

#[test]
fn runtime_updates_equal_a_genome_loaded_with_the_values() {
    let changes = [
        ("fire_t", "f", json!(3.5)),
        ("ftincx", "f", json!(0.25)),
        ("ftincy", "f", json!(0.5)),
        ("fthlim", "f", json!(6)),
        ("leak_c", "f", json!(10)),
        ("excite", "f", json!(50)),
        ("refrac", "i", json!(3)),
        ("c_fr_c", "i", json!(4.0)),
        ("snooze", "i", json!(2)),
        ("mp_acc", "b", json!(true)),
        ("pstcr_", "f", json!(2.5)),
        ("pspuni", "b", json!(true)),
        ("mp_psp", "b", json!(true)),
    ];
    let loaded = RustNPU::from_genome(&genome_with(&changes), NpuConfig::default())
        .expect("modified genome grows");
    let h = default_handle();
    let updated = h
        .with(|npu| {
            let i = npu.resolve_area("i_sens")?;
            // Mixed spellings: exons, hierarchical names and aliases.
            let mut updates: Vec<(String, GeneValue)> = Vec::new();
            for (k, (exon, _, v)) in changes.iter().enumerate() {
                let gene = feagi_genome::runtime_gene(exon).expect("runtime gene");
                let name = match k % 3 {
                    0 => exon.to_string(),
                    1 => gene.name().to_string(),
                    _ => gene.aliases().first().unwrap_or(&gene.name()).to_string(),
                };
                let value = GeneValue::try_from(v).expect("gene value");
                updates.push((name, value));
            }
            apply_gene_updates(npu, i, &updates)?;
            Ok::<_, GeneError>(area_state(npu))
        })
        .expect("usable")
        .expect("valid updates");
    assert_eq!(updated, area_state(&loaded));
    assert_ne!(
        updated,
        h.with(|_| ())
            .map(|_| area_state(&default_npu()))
            .expect("usable")
    );
}

fn default_npu() -> RustNPU {
    RustNPU::from_genome(&Genome::default_genome(), NpuConfig::default()).expect("default genome")
}

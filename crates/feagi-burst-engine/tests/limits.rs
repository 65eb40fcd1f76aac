//! Input that would exhaust memory or break the arithmetic is refused or
//! bounded, with the NPU unchanged and usable afterwards (issue M2.6):
//! staged input, ledger windows, potentials and thresholds, empty names.

mod support;

use feagi_burst_engine::npu::{MAX_STAGED_ENTRIES, MAX_STAGED_POTENTIAL};
use feagi_burst_engine::{NpuError, RustNPU};
use feagi_types::{AreaProperties, NeuronParams, MAX_LEDGER_FRAMES};

#[test]
fn staging_more_than_a_burst_can_hold_is_refused_and_changes_nothing() {
    // A legal one-voxel area with a million neurons in its voxel: 2,000
    // entries would stage two billion (neuron, potential) pairs.
    let mut npu = support::core_npu();
    let mut area = support::area("cBig____", [1, 1, 1]);
    area.neurons_per_voxel = 1_000_000;
    let a = npu.register_area(area).unwrap();
    for _ in 0..1_000_000 {
        npu.add_neuron(a, NeuronParams::default(), [0, 0, 0])
            .unwrap();
    }
    npu.stage_sensory(a, &[0], &[0], &[0], &[2.0]).unwrap();
    let before = npu.staged_count();
    let n = 2_000;
    let err = npu
        .stage_sensory(a, &vec![0; n], &vec![0; n], &vec![0; n], &vec![1.0; n])
        .unwrap_err();
    assert!(matches!(err, NpuError::CapacityExceeded(_)), "{err}");
    assert!(
        err.to_string().contains(&MAX_STAGED_ENTRIES.to_string()),
        "{err}"
    );
    assert_eq!(npu.staged_count(), before, "a refused call stages nothing");
    let fired = npu.process_burst(None).unwrap().fired_count;
    assert!(fired >= 1_000_000, "the earlier input still fires the area");

    let ids = vec![3u32; MAX_STAGED_ENTRIES + 1];
    let ps = vec![1.0f32; ids.len()];
    assert!(matches!(
        npu.stage_inputs(&ids, &ps),
        Err(NpuError::CapacityExceeded(_))
    ));
    assert_eq!(npu.staged_count(), 0);
}

#[test]
fn potentials_stay_finite() {
    let (mut npu, _, id) = support::single(support::params(|p| {
        p.mp_charge_accumulation = true;
        p.threshold = 1e30;
    }));
    let v = |npu: &RustNPU| npu.neurons().membrane_potential()[id as usize];
    // Two huge negative inputs, then two huge positive ones: before, V became
    // -inf, then NaN, and the neuron never fired again.
    for p in [-3.4e38f32, 3.4e38] {
        npu.stage_inputs(&[id, id], &[p, p]).unwrap();
        npu.process_burst(None).unwrap();
        assert!(v(&npu).is_finite(), "V = {}", v(&npu));
    }
    assert!(npu
        .staged_inputs()
        .iter()
        .all(|(_, p)| p.abs() <= MAX_STAGED_POTENTIAL));
    // It still works: enough input makes it fire.
    let mut fired = false;
    for _ in 0..10 {
        npu.stage_input(id, 3.4e38).unwrap();
        fired |= npu.process_burst(None).unwrap().fired_neurons.contains(&id);
        assert!(v(&npu).is_finite());
    }
    assert!(fired, "the neuron must fire again");
}

#[test]
fn thresholds_from_finite_genes_stay_finite() {
    let p = AreaProperties {
        firing_threshold: 3e38,
        threshold_increment: [1e38, -3e38, 0.0],
        ..AreaProperties::default()
    };
    for x in 0..4 {
        for y in 0..4 {
            let t = p.neuron_params_at(x, y, 0).threshold;
            assert!(t.is_finite(), "({x}, {y}): {t}");
        }
    }
}

#[test]
fn an_empty_name_names_no_area() {
    let mut npu = RustNPU::from_genome(
        &feagi_burst_engine::Genome::default_genome(),
        Default::default(),
    )
    .unwrap();
    assert!(npu.resolve_area("").is_err());
    assert!(npu
        .stage_sensory_by_id("", &[0], &[0], &[0], &[1.0])
        .is_err());
    assert_eq!(npu.staged_count(), 0);
    let long = "x".repeat(100_000);
    let message = npu.resolve_area(&long).unwrap_err().to_string();
    assert!(
        message.len() < 300,
        "bounded message: {} chars",
        message.len()
    );
}

#[test]
fn ledger_windows_are_bounded_over_all_areas() {
    let window = 100_000;
    let mut npu = RustNPU::new(0, 0, window).unwrap();
    let fit = MAX_LEDGER_FRAMES / window;
    for k in 0..fit {
        npu.register_area(support::area(&format!("c{k:07}"), [1, 1, 1]))
            .unwrap();
    }
    let err = npu
        .register_area(support::area("cTooMany", [1, 1, 1]))
        .unwrap_err();
    assert!(err.to_string().contains("fire ledger"), "{err}");
    assert_eq!(npu.area_count(), fit, "the refused area is not registered");
    assert!(npu.configure_ledger_window(0, window * 2).is_err());
    assert_eq!(npu.ledger_window(0).unwrap(), window);
    npu.configure_ledger_window(0, 10).unwrap();
    npu.register_area(support::area("cOneMore", [1, 1, 1]))
        .unwrap();
    npu.process_burst(None).unwrap();
}

#[test]
fn areas_added_while_running_are_laid_out_like_developed_ones() {
    let mut npu = support::core_npu();
    let before = npu.neuron_count();
    let mut area = support::area("oMotor__", [2, 1, 3]);
    area.neurons_per_voxel = 2;
    let a = npu.add_developed_area(area.clone()).unwrap();
    assert_eq!(npu.neuron_count(), before + 12);
    assert_eq!(npu.area_neuron_count(a).unwrap(), 12);
    // x, y, z, k order: voxel (1, 0, 2) is the last one.
    let last = npu.neurons_at(a, 1, 0, 2).unwrap();
    assert_eq!(last, vec![before as u32 + 10, before as u32 + 11]);
    assert_eq!(npu.coordinates(before as u32 + 2).unwrap(), [0, 0, 1]);
    // Stimulated voxels fire like any other area's.
    npu.stage_sensory(a, &[1], &[0], &[2], &[5.0]).unwrap();
    let fired: Vec<u32> = npu.process_burst(None).unwrap().fired_neurons.to_vec();
    assert!(fired.contains(&(before as u32 + 10)), "{fired:?}");
    // Refusals change nothing.
    let count = npu.neuron_count();
    assert!(matches!(
        npu.add_developed_area(area),
        Err(NpuError::DuplicateArea(_))
    ));
    assert!(npu
        .add_developed_area(support::area("oEmpty__", [0, 1, 1]))
        .is_err());
    let mut huge = support::area("oHuge___", [1 << 16, 1 << 16, 1]);
    huge.neurons_per_voxel = 1;
    assert!(matches!(
        npu.add_developed_area(huge),
        Err(NpuError::CapacityExceeded(_))
    ));
    assert_eq!(npu.neuron_count(), count);
    assert!(npu.process_burst(None).is_ok());
}

/// A legacy custom id (`Cinput`, stored as `Cinput__`) resolves by every
/// spelling `inspect` and the genome use, though no 8-character spelling
/// may start with `C`.
#[test]
fn a_legacy_custom_id_resolves_as_inspect_shows_it() {
    let text = r#"{
      "genome_title": "legacy ids", "version": "2.0",
      "physiology": {"simulation_timestep": 0.025},
      "neuron_morphologies": {},
      "blueprint": {
        "_____10c-Cinput-cx-__name-t": "input", "_____10c-Cinput-cx-_group-t": "CUSTOM",
        "_____10c-Cinput-cx-___bbx-i": 2, "_____10c-Cinput-cx-___bby-i": 1, "_____10c-Cinput-cx-___bbz-i": 1,
        "_____10c-Cinput-cx-dstmap-d": {}
      }
    }"#;
    let genome = feagi_burst_engine::Genome::from_json_str(text).expect("a valid genome");
    let npu = RustNPU::from_genome(&genome, Default::default()).expect("develops");
    let shown = npu
        .areas()
        .find(|a| a.area.name == "input")
        .expect("the area")
        .area
        .id
        .to_string();
    assert_eq!(shown, "Cinput__");
    let index = npu.resolve_area("Cinput").expect("the written id");
    assert_eq!(npu.resolve_area(&shown).expect("the shown id"), index);
    assert_eq!(npu.resolve_area("input").expect("the name"), index);
    assert!(npu.resolve_area("Cinpux__").is_err());
}

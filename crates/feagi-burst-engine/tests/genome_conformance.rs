//! SPEC §8 items 34, 35 and 36: whole genomes grown and run burst by burst.

mod support;

use feagi_burst_engine::{CorticalId, Genome, NpuConfig, RustNPU};
use support::genomes_dir;

/// The example genome of SPEC §1.11.
const EXAMPLE: &str = r#"{
  "genome_id": "spec_example", "genome_title": "spec example", "version": "2.0",
  "physiology": {"simulation_timestep": 0.05, "quantization_precision": "fp32"},
  "neuron_morphologies": {
    "projector": {"type": "functions", "parameters": {}, "class": "core"},
    "lateral_+x": {"type": "vectors", "parameters": {"vectors": [[1,0,0]]}, "class": "core"},
    "all_to_0-0-0": {"type": "patterns", "parameters": {"patterns": [[["*","*","*"],[0,0,0]]]}, "class": "core"}
  },
  "blueprint": {
    "_____10c-_power-cx-__name-t": "Brain_Power", "_____10c-_power-cx-_group-t": "CORE",
    "_____10c-_power-cx-___bbx-i": 1, "_____10c-_power-cx-___bby-i": 1, "_____10c-_power-cx-___bbz-i": 1,
    "_____10c-_power-nx-fire_t-f": 0.1, "_____10c-_power-nx-pstcr_-f": 5,
    "_____10c-_power-cx-dstmap-d": {"cInput": [["projector", [1,1,1], 1, false, 1, 1, 1, 1]]},
    "_____10c-cInput-cx-__name-t": "input", "_____10c-cInput-cx-_group-t": "CUSTOM",
    "_____10c-cInput-cx-___bbx-i": 4, "_____10c-cInput-cx-___bby-i": 1, "_____10c-cInput-cx-___bbz-i": 1,
    "_____10c-cInput-cx-_n_cnt-i": 1, "_____10c-cInput-nx-fire_t-f": 1.0, "_____10c-cInput-nx-refrac-i": 1,
    "_____10c-cInput-nx-leak_c-f": 0.25, "_____10c-cInput-nx-mp_acc-b": true, "_____10c-cInput-nx-pstcr_-f": 2,
    "_____10c-cInput-cx-pspuni-b": true,
    "_____10c-cInput-cx-dstmap-d": {
      "cInput": [["lateral_+x", [1,1,1], 1, false, 1, 1, 1]],
      "cOutpt": [["all_to_0-0-0", [1,1,1], -1, false]]
    },
    "_____10c-cOutpt-cx-__name-t": "output", "_____10c-cOutpt-cx-_group-t": "CUSTOM",
    "_____10c-cOutpt-cx-___bbx-i": 1, "_____10c-cOutpt-cx-___bby-i": 1, "_____10c-cOutpt-cx-___bbz-i": 1,
    "_____10c-cOutpt-nx-fire_t-f": 3.0, "_____10c-cOutpt-nx-c_fr_c-i": 3, "_____10c-cOutpt-nx-snooze-i": 2,
    "_____10c-cOutpt-nx-excite-f": 100, "_____10c-cOutpt-cx-dstmap-d": {}
  }
}"#;

/// Runs `bursts` bursts, calling `before(npu)` before each, and returns for
/// each watched neuron its firing pattern plus the fired count per burst.
fn patterns(
    npu: &mut RustNPU,
    watch: &[u32],
    bursts: u64,
    before: impl Fn(&mut RustNPU),
) -> (Vec<String>, Vec<usize>) {
    let mut out = vec![String::new(); watch.len()];
    let mut counts = Vec::new();
    for _ in 0..bursts {
        before(npu);
        let r = npu.process_burst(None).unwrap();
        counts.push(r.fired_count);
        for (k, id) in watch.iter().enumerate() {
            out[k].push(if r.fired_neurons.contains(id) {
                '1'
            } else {
                '_'
            });
        }
    }
    (out, counts)
}

#[test]
fn item_34_example_genome_trace() {
    let genome = Genome::from_json_str(EXAMPLE).unwrap();
    let mut npu = RustNPU::from_genome(&genome, NpuConfig::default()).unwrap();
    assert_eq!((npu.neuron_count(), npu.synapse_count()), (8, 11));
    let mut watch = vec![1];
    watch.extend(3..=6);
    watch.push(7);
    let mut cout = Vec::new();
    let mut traces = vec![String::new(); watch.len()];
    for _ in 0..8 {
        let (p, _) = patterns(&mut npu, &watch, 1, |_| {});
        for (t, s) in traces.iter_mut().zip(p) {
            t.push_str(&s);
        }
        cout.push(npu.neuron_state(7).unwrap().membrane_potential);
    }
    assert_eq!(traces[0], "11111111", "power");
    for (trace, id) in traces[1..=4].iter().zip(&watch[1..=4]) {
        assert_eq!(trace, "_1_1_1_1", "cInput neuron {id}");
    }
    assert_eq!(traces[5], "________", "cOutpt");
    assert_eq!(
        cout,
        vec![0.0, 0.0, -8.0, 0.0, -8.0, 0.0, -8.0, 0.0],
        "V(cOutpt) after each burst"
    );
}

#[test]
fn item_35_rust_essential_genome_trace() {
    let Some(dir) = genomes_dir() else { return };
    let genome = Genome::from_path(dir.join("core_essential_genome.json")).unwrap();
    let mut npu = RustNPU::from_genome(&genome, NpuConfig::default()).unwrap();
    let area = |id: &str| npu.resolve_area(id).unwrap();
    let at = |a, x| npu.neuron_at(a, x, 0, 0).unwrap().unwrap();
    let (iic700, cfor, omot) = (area("iic700"), area("c__for"), area("omot00"));
    let motors: Vec<u32> = ["cRSMot", "cKQM2_", "cO4M3_", "cTGM4_"]
        .iter()
        .map(|m| at(area(m), 0))
        .collect();
    let mut watch = vec![1, at(iic700, 0), at(cfor, 0)];
    watch.extend(&motors);
    watch.extend((0..8).map(|x| at(omot, x)));
    let (p, counts) = patterns(&mut npu, &watch, 12, |npu| {
        npu.stage_sensory_by_id("iic700", &[0], &[0], &[0], &[1.0])
            .unwrap();
    });
    assert_eq!(p[0], "111111111111", "power");
    assert_eq!(p[1], "111_111_111_", "iic700 (0,0,0)");
    assert_eq!(p[2], "_111__11_1_1", "c__for");
    for (k, motor) in p[3..7].iter().enumerate() {
        assert_eq!(motor, "__111__11_1_", "motor area {k}");
    }
    for x in 0..8 {
        let expected = if x % 2 == 0 {
            "___111__11_1"
        } else {
            "____________"
        };
        assert_eq!(p[7 + x], expected, "omot00 x = {x}");
    }
    assert_eq!(counts, vec![2, 3, 7, 10, 10, 6, 3, 6, 10, 7, 6, 6]);
}

#[test]
fn item_36_barebones_genomes_power_pattern() {
    let Some(dir) = genomes_dir() else { return };
    for file in ["py_barebones_genome.json", "core_barebones_genome.json"] {
        let genome = Genome::from_path(dir.join(file)).unwrap();
        let mut npu = RustNPU::from_genome(&genome, NpuConfig::default()).unwrap();
        let power = npu
            .neurons_in_area(npu.area_index(&CorticalId::POWER).unwrap())
            .unwrap();
        assert_eq!(power, vec![1]);
        let (p, _) = patterns(&mut npu, &[1], 12, |_| {});
        assert_eq!(p[0], "111_111_111_", "{file}");
    }
}

#[test]
fn item_12_voxel_with_two_neurons() {
    // The example genome with two neurons per cInput voxel.
    let text = EXAMPLE.replace(
        r#""_____10c-cInput-cx-_n_cnt-i": 1"#,
        r#""_____10c-cInput-cx-_n_cnt-i": 2"#,
    );
    let genome = Genome::from_json_str(&text).unwrap();
    let mut npu = RustNPU::from_genome(&genome, NpuConfig::default()).unwrap();
    let input = npu.resolve_area("cInput").unwrap();
    // Voxel x = 2 holds neurons 3 + 2*2 = 7 and 8; the lookup gives the lowest.
    assert_eq!(npu.neuron_at(input, 2, 0, 0).unwrap(), Some(7));
    assert_eq!(npu.neurons_at(input, 2, 0, 0).unwrap(), vec![7, 8]);
    assert_eq!(npu.neuron_at(input, 4, 0, 0).unwrap(), None);
    // Staged sensory input reaches every neuron of the voxel.
    assert_eq!(
        npu.stage_sensory_by_id("cInput", &[2], &[0], &[0], &[0.5])
            .unwrap(),
        2
    );
    npu.process_burst(None).unwrap();
    let fcl: Vec<(u32, f32)> = npu
        .last_fcl()
        .filter(|(id, _)| *id == 7 || *id == 8)
        .collect();
    assert_eq!(fcl, vec![(7, 0.5), (8, 0.5)]);
}

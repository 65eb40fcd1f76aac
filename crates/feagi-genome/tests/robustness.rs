//! Bad input never panics (engineering rule; SPEC §1.9 D2): thousands of
//! mutated genomes (deleted keys, wrong types, huge / negative / fractional
//! numbers, overflowing dimensions, truncated text) and random bytes go through
//! load + develop with small limits and must return `Ok` or `Err`, never panic,
//! never exceed the limits.

mod common;

use common::SPEC_EXAMPLE;
use feagi_genome::{develop_with_options, Genome, GenomeErrorKind, LoadOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

const LIMITS: LoadOptions = LoadOptions {
    max_neurons: 2_000,
    max_synapses: 20_000,
    max_genome_bytes: 1 << 20,
    memory_limit: Some(64 << 20),
};

/// A genome exercising every morphology kind, flat form.
fn kitchen_sink() -> Value {
    json!({
        "version": "2.1",
        "physiology": {"simulation_timestep": 0.02, "plasticity_queue_depth": 2},
        "neuron_morphologies": {
            "v": {"type": "vectors", "parameters": {"vectors": [[1, 0, 0], [0, -1, 0], [0, 0, 1]]}},
            "p": {"type": "patterns", "parameters": {"patterns": [[["?", "*", 0], ["!", "?", "*"]], [[1, 0, 0], [0, 0, 0]]]}},
            "randomizer": {"type": "functions", "parameters": {}},
            "expander_x": {"type": "functions", "parameters": {}},
            "reducer_x": {"functions": true},
            "lateral_pairs_x": {"type": "functions", "parameters": {}},
            "projector_xz": {"type": "functions", "parameters": {}},
            "project_from_end_y": {"type": "functions", "parameters": {}},
            "last_to_first": {"type": "functions", "parameters": {}},
            "block_connection": {"type": "functions", "parameters": {}},
            "tile": {"type": "composite", "parameters": {"src_seed": [2, 2, 1], "src_pattern": [[1, 1], [1, 0], [1, 0]], "mapper_morphology": "v"}},
            "old": {"composite": {"parameters": {"src_seed": [1, 1, 1], "src_pattern": [[1, 0], [1, 0], [1, 0]]}, "mapper_morphology": "randomizer"}},
            "memory": {"functions": true},
            "empty": {}
        },
        "blueprint": {
            "_____10c-_power-cx-___bbx-i": 1,
            "_____10c-_power-nx-fire_t-f": 0.1,
            "_____10c-_power-cx-dstmap-d": {"cA____": [["projector", [1, 1, 1], 1, false]]},
            "_____10c-cA____-cx-___bbx-i": 4, "_____10c-cA____-cx-___bby-i": 3, "_____10c-cA____-cx-___bbz-i": 2,
            "_____10c-cA____-cx-_n_cnt-i": 2,
            "_____10c-cA____-nx-synatt-f": 60,
            "_____10c-cA____-nx-excite-f": 50,
            "_____10c-cA____-cx-dstmap-d": {
                "cA____": [["v", [1, 1, 1], 1, false], ["block_to_block", [1, 1, 1], 1, false]],
                "cB____": [["p", [1, 1, 1], -2, true, 1, 2, 3, 4], {"morphology_id": "tile", "synapse_attractivity": 40}],
                "mC____": [["memory", [1, 1, 1], 1, false], ["bi_directional_stdp", [1, 1, 1], 1, false]],
                "oD____": [["randomizer", 1, 3, false], ["old", [1, 1, 1], 1, false], ["empty", [1, 1, 1], 1, false]]
            },
            "_____10c-cB____-cx-___bbx-i": 8, "_____10c-cB____-cx-___bby-i": 2, "_____10c-cB____-cx-___bbz-i": 1,
            "_____10c-cB____-nx-pstcr_-f": 7.5,
            "_____10c-cB____-cx-dstmap-d": {
                "oD____": [["expander_x", [1, 1, 1], 1, false], ["reducer_x", [1, 1, 1], 1, false], ["lateral_pairs_x", [1, 1, 1], 1, false]],
                "cB____": [["projector_xz", [1, 1, 1], 0, false], ["project_from_end_y", [1, 1, 1], 1, false], ["last_to_first", [1, 1, 1], 1, false], ["block_connection", [1, 1, 1], 1, false]]
            },
            "_____10c-mC____-cx-___bbx-i": 2, "_____10c-mC____-cx-_group-t": "MEMORY",
            "_____10c-mC____-cx-twinrf-t": "cA____",
            "_____10c-oD____-cx-___bbx-i": 5, "_____10c-oD____-cx-___bby-i": 1,
            "_____10c-oD____-nx-c_fr_c-i": 3, "_____10c-oD____-nx-snooze-f": 2.0,
            "_____10b-_____s-__-__name-t": "brain"
        }
    })
}

fn hierarchical() -> Value {
    json!({
        "version": "3.0",
        "neuron_morphologies": {"all_to_all": {"type": "patterns", "parameters": {"patterns": [[["?", "?", "?"], ["*", "*", "*"]]]}}},
        "blueprint": {
            "___power": {"firing_threshold": 0.1, "cortical_mapping_dst": {"cX______": [{"morphology_id": "all_to_all"}]}},
            "cX______": {"block_boundaries": [3, 3, 1], "per_voxel_neuron_cnt": 1, "leak_coefficient": 0.5,
                          "cortical_mapping_dst": {"Y19ZX19fX18=": [{"morphology_id": "lateral_+y", "postSynapticCurrent_multiplier": 4}]}},
            "c_Y_____": {"block_boundaries": [1, 4, 1], "group_id": "CUSTOM"}
        }
    })
}

fn bases() -> Vec<Value> {
    vec![
        serde_json::from_str(SPEC_EXAMPLE).expect("example parses"),
        kitchen_sink(),
        hierarchical(),
    ]
}

/// Replacement values: wrong types, extreme and fractional numbers, odd strings.
fn weird(i: usize) -> Value {
    let pool = [
        Value::Null,
        json!(true),
        json!("x"),
        json!(""),
        json!(-1),
        json!(0),
        json!(1),
        json!(2.5),
        json!(-0.5),
        json!(1e300),
        json!(-1e300),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(4_294_967_296u64),
        json!(65_536),
        json!(1e15),
        json!([]),
        json!({}),
        json!([1, 2]),
        json!([1, 2, 3]),
        json!([[1, 2, 3]]),
        json!(["*", "?", "!"]),
        json!("*"),
        json!("2-5"),
        json!("_power"),
        json!("c_avoid"),
        json!({"cA____": [["projector", [1, 1, 1], 1, false]]}),
        json!({"morphology_id": "nope"}),
        json!([["v", [1, 1, 1], 1.5, false]]),
        json!([[[0, 0, 0]]]),
        json!(100_000),
        json!(250),
    ];
    pool[i % pool.len()].clone()
}

/// Paths to every node of a JSON tree (object keys and array positions).
fn paths(v: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(PathStep::Key(k.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(PathStep::Index(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn value_at<'a>(root: &'a Value, path: &[PathStep]) -> Option<&'a Value> {
    let mut cur = root;
    for step in path {
        cur = match (step, cur) {
            (PathStep::Key(k), Value::Object(m)) => m.get(k)?,
            (PathStep::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn parent_of<'a>(root: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    let mut cur = root;
    for step in path {
        cur = match (step, cur) {
            (PathStep::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (PathStep::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn mutate(root: &mut Value, op: u8, pick: usize, value: usize) {
    let mut all = Vec::new();
    paths(root, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    if op % 6 == 5 {
        // Replace a number somewhere in the tree with an extreme one.
        let numbers: Vec<&Vec<PathStep>> = all
            .iter()
            .filter(|p| value_at(root, p).is_some_and(Value::is_number))
            .collect();
        let extremes = [
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(-1),
            json!(0),
            json!(2.5),
            json!(1e300),
            json!(-1e300),
            json!(4_294_967_296u64),
            json!(-4_294_967_296i64),
            json!(4_294_967_295u64),
        ];
        if let Some(path) = numbers.get(pick % numbers.len().max(1)) {
            let path = (*path).clone();
            if let Some(slot) = parent_of(root, &path) {
                *slot = extremes[value % extremes.len()].clone();
            }
        }
        return;
    }
    let path = &all[pick % all.len()];
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let Some(parent) = parent_of(root, parent_path) else {
        return;
    };
    match (op % 5, last, parent) {
        // Delete the node.
        (0, PathStep::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (0, PathStep::Index(i), Value::Array(a)) => {
            if *i < a.len() {
                a.remove(*i);
            }
        }
        // Replace it with a weird value.
        (1 | 2, PathStep::Key(k), Value::Object(m)) => {
            m.insert(k.clone(), weird(value));
        }
        (1 | 2, PathStep::Index(i), Value::Array(a)) => {
            if let Some(slot) = a.get_mut(*i) {
                *slot = weird(value);
            }
        }
        // Add a sibling key with a weird value (e.g. a new gene or area).
        (3, _, Value::Object(m)) => {
            let keys = [
                "_____10c-cZ____-cx-___bbx-i",
                "_____10c-cA____-nx-refrac-i",
                "_____10c-cZ____-cx-dstmap-d",
                "type",
                "parameters",
                "synapse_attractivity",
                "version",
                "physiology",
                "cZ______",
            ];
            m.insert(
                keys[value % keys.len()].to_string(),
                weird(value / keys.len()),
            );
        }
        // Give an area enormous dimensions (the product overflows u64).
        _ => {
            let huge = [
                json!(4_294_967_295u64),
                json!(1_000_000),
                json!(3_000_000_000u64),
            ];
            if let Some(bp) = root.get_mut("blueprint").and_then(Value::as_object_mut) {
                let keys: Vec<String> = bp
                    .keys()
                    .filter(|k| k.contains("___bb") || k.contains("_n_cnt"))
                    .cloned()
                    .collect();
                for (i, k) in keys.iter().enumerate() {
                    if (i + value) & 1 == 0 {
                        bp.insert(k.clone(), huge[(i + value) % huge.len()].clone());
                    }
                }
            }
        }
    }
}

fn check(result: Result<Genome, feagi_genome::GenomeError>) {
    let Ok(genome) = result else { return };
    assert!(genome.neuron_count() <= LIMITS.max_neurons);
    match develop_with_options(&genome, 7, &LIMITS) {
        Ok(c) => {
            assert!(c.neurons.len() as u64 <= LIMITS.max_neurons);
            assert!(c.synapses.len() as u64 <= LIMITS.max_synapses);
            let n = c.neurons.len() as u32;
            let s = &c.synapses;
            assert!(s.source.iter().chain(&s.target).all(|&id| id < n));
            assert_eq!(s.weight.len(), s.len());
            assert_eq!(s.psp.len(), s.len());
            assert_eq!(s.synapse_type.len(), s.len());
        }
        Err(e) => assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded, "{e}"),
    }
}

/// 3000 cases by default; `FEAGI_FUZZ_CASES` raises it for a longer local run.
fn fuzz_cases() -> u32 {
    std::env::var("FEAGI_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_genomes_never_panic(
        base in 0usize..3,
        ops in proptest::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..5),
        truncate in proptest::option::weighted(0.1, any::<usize>()),
    ) {
        let mut genome = bases().swap_remove(base);
        for (op, pick, value) in ops {
            mutate(&mut genome, op, pick, value);
        }
        match truncate {
            Some(cut) => {
                let text = genome.to_string();
                let bytes = text.as_bytes();
                let cut = cut % bytes.len().max(1);
                check(Genome::from_json_slice_with_options(&bytes[..cut], &LIMITS));
            }
            None => {
                check(Genome::from_json_str_with_options(&genome.to_string(), &LIMITS));
                check(Genome::from_value_with_options(genome, &LIMITS));
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(Genome::from_json_slice_with_options(&bytes, &LIMITS));
    }
}

#[test]
fn bases_load_and_develop() {
    for base in bases() {
        let g = Genome::from_value_with_options(base, &LIMITS).unwrap();
        let c = develop_with_options(&g, 7, &LIMITS).unwrap();
        assert!(!c.synapses.is_empty());
    }
}

#[test]
fn overflowing_dimensions_are_capacity_errors() {
    let mut g: Value = serde_json::from_str(SPEC_EXAMPLE).unwrap();
    for axis in ["x", "y", "z"] {
        g["blueprint"][format!("_____10c-cInput-cx-___bb{axis}-i")] = json!(4_294_967_295u64);
    }
    let e = Genome::from_value(g.clone()).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
    assert_eq!(e.cortical_id(), Some("cInput"));
    g["blueprint"]["_____10c-cInput-cx-___bbx-i"] = json!(4_294_967_296u64);
    let e = Genome::from_value(g.clone()).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
    // Below u64 overflow but above the neuron limit.
    for axis in ["x", "y", "z"] {
        g["blueprint"][format!("_____10c-cInput-cx-___bb{axis}-i")] = json!(400);
    }
    let e = Genome::from_value(g.clone()).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
    // A genome loaded under a larger limit still fails to develop under a smaller one.
    for axis in ["x", "y", "z"] {
        g["blueprint"][format!("_____10c-cInput-cx-___bb{axis}-i")] = json!(20);
    }
    let genome = Genome::from_value(g).unwrap();
    let e = develop_with_options(&genome, 0, &LIMITS).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
}

#[test]
fn synapse_budget_is_exact() {
    let g = Genome::from_json_str(SPEC_EXAMPLE).unwrap();
    let at = |max_synapses| {
        develop_with_options(
            &g,
            0,
            &LoadOptions {
                max_synapses,
                ..LoadOptions::default()
            },
        )
    };
    assert_eq!(at(11).unwrap().synapses.len(), 11);
    let e = at(10).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
    // The 11th synapse is cInput -> cOutpt, rule 0.
    assert_eq!(e.cortical_id(), Some("cInput"));
    assert_eq!(e.destination_id(), Some("cOutpt"));
    assert_eq!(e.rule_index(), Some(0));
    assert!(at(0).is_err());
}

/// The mutations must not be so destructive that nothing reaches
/// development: most single mutations keep the genome loadable.
#[test]
fn mutations_mostly_reach_development() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    let (mut developed, mut kinds) = (0, std::collections::BTreeSet::new());
    let total = 600;
    for i in 0..total {
        let mut genome = bases().swap_remove(i % 3);
        let (op, pick, value) = (next() as u8, next(), next());
        mutate(&mut genome, op, pick, value);
        match Genome::from_value_with_options(genome, &LIMITS) {
            Ok(g) => {
                if develop_with_options(&g, 1, &LIMITS).is_ok() {
                    developed += 1;
                }
            }
            Err(e) => {
                kinds.insert(e.kind.as_str());
            }
        }
    }
    eprintln!("developed {developed} of {total}; error kinds {kinds:?}");
    assert!(
        developed * 3 > total,
        "only {developed} of {total} developed"
    );
    assert!(kinds.len() >= 6, "{kinds:?}");
}

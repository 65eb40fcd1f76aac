//! SPEC §8 items 9 to 19 and 40: neuroembryogenesis and synaptogenesis on
//! small inline genomes.

mod common;

use common::{area_of, cid, pairs, spec_example, synapses, voxel_map, Flat, SPEC_EXAMPLE};
use feagi_genome::{develop, voxel_neurons, Genome, WarningKind};
use feagi_types::{units, Connectome, CorticalId, MemoryRelation, SynapseType};
use serde_json::{json, Value};

/// Source area `cAsrc_` and destination `cBdst_` joined by one rule using `morphology`.
fn one_rule(src: [u64; 3], dst: [u64; 3], rule: Value) -> Flat {
    Flat::new()
        .area("cAsrc_", src)
        .area("cBdst_", dst)
        .map("cAsrc_", json!({ "cBdst_": [rule] }))
}

fn function_rule(src: [u64; 3], dst: [u64; 3], function: &str) -> Flat {
    one_rule(src, dst, json!([function, [1, 1, 1], 1, false]))
        .morphology(function, json!({"type": "functions", "parameters": {}}))
}

fn targets_of(map: &[([u32; 3], [u32; 3])], source: [u32; 3]) -> Vec<[u32; 3]> {
    map.iter()
        .filter(|(s, _)| *s == source)
        .map(|(_, d)| *d)
        .collect()
}

fn map_of(f: &Flat) -> Vec<([u32; 3], [u32; 3])> {
    voxel_map(&f.develop(0), "cAsrc___", "cBdst___")
}

// ---- item 9 ---------------------------------------------------------------

#[test]
fn item_9_area_indices_and_core_neurons() {
    let c = Flat::new()
        .area("_power", [3, 3, 3])
        .area("omot00", [2, 1, 1])
        .area("c__bac", [1, 1, 1])
        .area("cIHMot", [1, 1, 1])
        .area("iic000", [1, 1, 1])
        .area("cJWM3_", [1, 1, 1])
        .develop(0);
    let ids: Vec<CorticalId> = c.areas.iter().map(|a| a.area.id).collect();
    let expect = [
        "___death", "___power", "___fatig", "cIHMot__", "cJWM3___", "c__bac__", "iic000__",
        "omot00__",
    ];
    assert_eq!(ids, expect.map(cid).to_vec());
    // One neuron per core area whatever the declared dimensions.
    for (i, area) in c.areas.iter().take(3).enumerate() {
        assert_eq!((area.first_neuron, area.neuron_count), (i as u32, 1));
    }
    assert_eq!(c.areas[1].area.dimensions, [3, 3, 3]);
    assert_eq!(c.neurons.area()[..3], [0, 1, 2]);
    assert_eq!(c.areas[7].first_neuron, 7);
    assert_eq!(c.neurons.len(), 9);
    // Added core areas get the defaults, power with threshold 0.1 and PSC 500.
    let g = Flat::new().area("cA____", [1, 1, 1]).load().unwrap();
    let power = g.area_by_id(&CorticalId::POWER).unwrap();
    assert!(power.is_added());
    assert_eq!(power.properties().firing_threshold, 0.1);
    assert_eq!(power.properties().postsynaptic_current, 500.0);
    assert_eq!(power.properties().psp(), 255);
    assert_eq!(
        g.area_by_id(&CorticalId::DEATH)
            .unwrap()
            .properties()
            .firing_threshold,
        1.0
    );
}

// ---- item 10 --------------------------------------------------------------

#[test]
fn item_10_neuron_order_x_y_z_k() {
    let c = Flat::new()
        .area("cA____", [2, 2, 1])
        .gene("cA____", "_n_cnt", json!(2))
        .area("cB____", [1, 1, 2])
        .develop(0);
    let a = &c.areas[area_of(&c, "cA______")];
    let f = a.first_neuron;
    assert_eq!((f, a.neuron_count), (3, 8));
    let expect = [
        [0, 0, 0],
        [0, 0, 0],
        [0, 1, 0],
        [0, 1, 0],
        [1, 0, 0],
        [1, 0, 0],
        [1, 1, 0],
        [1, 1, 0],
    ];
    for (k, v) in expect.iter().enumerate() {
        assert_eq!(c.neurons.coordinates(f as usize + k), *v, "id F+{k}");
        assert_eq!(c.neurons.area()[f as usize + k], 3);
    }
    let b = &c.areas[area_of(&c, "cB______")];
    assert_eq!((b.first_neuron, b.neuron_count), (11, 2));
    assert_eq!(c.neurons.coordinates(12), [0, 0, 1]);
}

// ---- item 11 --------------------------------------------------------------

#[test]
fn item_11_threshold_gradient_limit_and_cap() {
    let c = Flat::new()
        .area("cA____", [2, 2, 1])
        .gene("cA____", "ftincx", json!(0.5))
        .gene("cA____", "ftincy", json!(2))
        .gene("cA____", "fthlim", json!(0))
        .gene("cA____", "c_fr_c", json!(0))
        .area("cB____", [1, 1, 1])
        .gene("cB____", "c_fr_c", json!(65535))
        .gene("cB____", "fthlim", json!(5))
        .develop(0);
    let f = c.areas[3].first_neuron as usize;
    // (1,1,0) is local index 3.
    assert_eq!(c.neurons.coordinates(f + 3), [1, 1, 0]);
    assert_eq!(c.neurons.threshold()[f + 3], 3.5);
    assert_eq!(c.neurons.threshold()[f], 1.0);
    assert_eq!(c.neurons.threshold()[f + 2], 1.5);
    assert_eq!(
        units::threshold_limit_to_option(c.neurons.threshold_limit()[f]),
        None
    );
    assert!(!units::is_capped(c.neurons.consecutive_fire_limit()[f]));
    let b = c.areas[4].first_neuron as usize;
    assert!(!units::is_capped(c.neurons.consecutive_fire_limit()[b]));
    assert_eq!(
        units::threshold_limit_to_option(c.neurons.threshold_limit()[b]),
        Some(5.0)
    );
}

// ---- item 12 --------------------------------------------------------------

#[test]
fn item_12_voxel_lookup_gives_every_neuron_lowest_first() {
    let c = Flat::new()
        .area("cA____", [2, 2, 1])
        .gene("cA____", "_n_cnt", json!(2))
        .develop(0);
    let a = &c.areas[3];
    let f = a.first_neuron;
    assert_eq!(voxel_neurons(a, [0, 1, 0]), Some(f + 2..f + 4));
    assert_eq!(voxel_neurons(a, [1, 1, 0]).map(|r| r.start), Some(f + 6));
    assert_eq!(voxel_neurons(a, [2, 0, 0]), None);
    assert_eq!(voxel_neurons(a, [0, 0, 1]), None);
    // A destination voxel with n = 2 receives a synapse on both of its neurons.
    let c = one_rule(
        [1, 1, 1],
        [2, 1, 1],
        json!(["projector", [1, 1, 1], 1, false]),
    )
    .gene("cBdst_", "_n_cnt", json!(2))
    .develop(0);
    let d = c.areas[area_of(&c, "cBdst___")].first_neuron;
    let s = c.areas[area_of(&c, "cAsrc___")].first_neuron;
    assert_eq!(pairs(&c), vec![(s, d), (s, d + 1), (s, d + 2), (s, d + 3)]);
    // Core areas have a single neuron at (0,0,0).
    assert_eq!(voxel_neurons(&c.areas[1], [0, 0, 0]), Some(1..2));
    assert_eq!(voxel_neurons(&c.areas[1], [1, 0, 0]), None);
}

// ---- item 13 --------------------------------------------------------------

#[test]
fn item_13_projector_examples() {
    let proj = |s: [u64; 3], d: [u64; 3]| {
        map_of(&one_rule(s, d, json!(["projector", [1, 1, 1], 1, false])))
    };
    let m = proj([128, 1, 1], [64, 1, 1]);
    assert_eq!(m.len(), 128);
    assert!(m.iter().all(|(s, d)| d[0] == s[0] / 2));
    let m = proj([64, 1, 1], [128, 1, 1]);
    assert_eq!(m.len(), 128);
    for p in 0..64 {
        assert_eq!(
            targets_of(&m, [p, 0, 0]),
            vec![[2 * p, 0, 0], [2 * p + 1, 0, 0]]
        );
    }
    let m = proj([16, 16, 3], [1, 1, 1]);
    assert_eq!(m.len(), 768);
    assert!(m.iter().all(|(_, d)| *d == [0, 0, 0]));
    let m = proj([16, 1, 1], [14, 1, 1]);
    assert_eq!(targets_of(&m, [8, 0, 0]), vec![[7, 0, 0]]);
    let m = proj([3, 1, 1], [5, 1, 1]);
    assert_eq!(targets_of(&m, [0, 0, 0]), vec![[0, 0, 0], [1, 0, 0]]);
    assert_eq!(targets_of(&m, [1, 0, 0]), vec![[2, 0, 0], [3, 0, 0]]);
    assert_eq!(targets_of(&m, [2, 0, 0]), vec![[4, 0, 0]]);
}

// ---- item 14 --------------------------------------------------------------

#[test]
fn item_14_vectors() {
    let vec_rule = |vectors: Value, scalar: Value| {
        one_rule([4, 3, 1], [4, 3, 1], json!(["v", scalar, 1, false])).morphology(
            "v",
            json!({"type": "vectors", "parameters": {"vectors": vectors}}),
        )
    };
    // Out-of-grid offsets are dropped.
    let m = map_of(&vec_rule(json!([[2, 0, 0]]), json!([1, 1, 1])));
    assert_eq!(m.len(), 6);
    assert!(m
        .iter()
        .all(|(s, d)| s[0] < 2 && d == &[s[0] + 2, s[1], s[2]]));
    // Negative offsets work.
    let m = map_of(&vec_rule(json!([[-1, -1, 0]]), json!([1, 1, 1])));
    assert_eq!(m.len(), 6);
    assert!(m
        .iter()
        .all(|(s, d)| s[0] >= 1 && s[1] >= 1 && d == &[s[0] - 1, s[1] - 1, 0]));
    // Several vectors: each source's targets ascend whatever the listed order.
    let c = vec_rule(
        json!([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [1, 0, 0]]),
        json!(1),
    )
    .develop(0);
    let p = pairs(&c);
    assert!(p
        .windows(2)
        .all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
    assert_eq!(p.len(), 3 * 3 + 4 * 2 + 3 * 3);
    // morphology_scalar [2,2,2] changes nothing, with a warning.
    let f1 = vec_rule(json!([[1, 0, 0]]), json!([1, 1, 1]));
    let f2 = vec_rule(json!([[1, 0, 0]]), json!([2, 2, 2]));
    assert_eq!(synapses(&f1.develop(0)), synapses(&f2.develop(0)));
    let g = f2.load().unwrap();
    assert!(g
        .warnings()
        .iter()
        .any(|w| w.kind == WarningKind::ScalarIgnored));
    assert!(f1.load().unwrap().warnings().is_empty());
}

#[test]
fn item_14_second_vectors_rule_creates_no_existing_synapse() {
    let rules = |list: Value| {
        Flat::new()
            .area("cA____", [4, 1, 1])
            .map("cA____", json!({ "cA____": list }))
            .develop(0)
    };
    let f = |id: &str| json!([id, [1, 1, 1], 1, false]);
    let once = rules(json!([f("lateral_+x")]));
    assert_eq!(pairs(&once), vec![(3, 4), (4, 5), (5, 6)]);
    let twice = rules(json!([f("lateral_+x"), f("lateral_+x")]));
    assert_eq!(pairs(&twice), pairs(&once));
    // A vectors rule after a projector skips what the projector made.
    let c = rules(json!([
        f("projector"),
        f("block_to_block"),
        f("lateral_-x")
    ]));
    assert_eq!(
        pairs(&c),
        vec![(3, 3), (4, 4), (5, 5), (6, 6), (4, 3), (5, 4), (6, 5)]
    );
    // Other morphologies keep duplicates as separate synapses.
    let c = rules(json!([f("block_to_block"), f("projector")]));
    assert_eq!(
        pairs(&c),
        vec![
            (3, 3),
            (4, 4),
            (5, 5),
            (6, 6),
            (3, 3),
            (4, 4),
            (5, 5),
            (6, 6)
        ]
    );
    // Different destination areas never suppress each other.
    let c = Flat::new()
        .area("cA____", [2, 1, 1])
        .area("cB____", [2, 1, 1])
        .map(
            "cA____",
            json!({"cA____": [f("block_to_block")], "cB____": [f("block_to_block")]}),
        )
        .develop(0);
    assert_eq!(pairs(&c), vec![(3, 3), (4, 4), (3, 5), (4, 6)]);
}

#[test]
fn item_14_vectors_with_several_neurons_per_voxel() {
    let c = Flat::new()
        .area("cA____", [2, 1, 1])
        .gene("cA____", "_n_cnt", json!(2))
        .map(
            "cA____",
            json!({"cA____": [["lateral_+x", [1,1,1], 1, false], ["block_to_block", [1,1,1], 1, false], ["lateral_+x", [1,1,1], 1, false]]}),
        )
        .develop(0);
    // Neurons 3,4 at x=0 and 5,6 at x=1.
    assert_eq!(
        pairs(&c),
        vec![
            (3, 5),
            (3, 6),
            (4, 5),
            (4, 6),
            (3, 3),
            (3, 4),
            (4, 3),
            (4, 4),
            (5, 5),
            (5, 6),
            (6, 5),
            (6, 6)
        ]
    );
}

// ---- item 15 --------------------------------------------------------------

fn pattern_map(src: [u64; 3], dst: [u64; 3], patterns: Value) -> Vec<([u32; 3], [u32; 3])> {
    map_of(
        &one_rule(src, dst, json!(["p", [1, 1, 1], 1, false])).morphology(
            "p",
            json!({"type": "patterns", "parameters": {"patterns": patterns}}),
        ),
    )
}

#[test]
fn item_15_patterns() {
    // `*` on the destination, integer source filter.
    let m = pattern_map([3, 1, 1], [4, 1, 1], json!([[[1, 0, 0], ["*", 0, 0]]]));
    assert_eq!(
        m,
        (0..4).map(|x| ([1, 0, 0], [x, 0, 0])).collect::<Vec<_>>()
    );
    // `?` keeps the coordinate, and drops it when it is outside D.
    let m = pattern_map(
        [3, 2, 1],
        [2, 2, 1],
        json!([[["*", "*", 0], ["?", "?", 0]]]),
    );
    assert_eq!(
        m,
        vec![
            ([0, 0, 0], [0, 0, 0]),
            ([0, 1, 0], [0, 1, 0]),
            ([1, 0, 0], [1, 0, 0]),
            ([1, 1, 0], [1, 1, 0])
        ]
    );
    // `!` is every coordinate except the source's.
    let m = pattern_map([3, 1, 1], [3, 1, 1], json!([[["?", 0, 0], ["!", 0, 0]]]));
    assert_eq!(targets_of(&m, [1, 0, 0]), vec![[0, 0, 0], [2, 0, 0]]);
    assert_eq!(m.len(), 6);
    // Out-of-range integers give nothing.
    assert!(pattern_map([3, 1, 1], [4, 1, 1], json!([[["*", 0, 0], [9, 0, 0]]])).is_empty());
    assert!(pattern_map([3, 1, 1], [4, 1, 1], json!([[[5, 0, 0], [0, 0, 0]]])).is_empty());
    // `*`, `?`, `!` in the source never filter.
    let m = pattern_map([3, 2, 1], [1, 1, 1], json!([[["!", "?", "*"], [0, 0, 0]]]));
    assert_eq!(m.len(), 6);
    // Two pairs reaching the same voxel give one synapse, in ascending order.
    let m = pattern_map(
        [1, 1, 1],
        [4, 1, 1],
        json!([[[0, 0, 0], [2, 0, 0]], [[0, 0, 0], ["*", 0, 0]]]),
    );
    assert_eq!(
        m,
        (0..4).map(|x| ([0, 0, 0], [x, 0, 0])).collect::<Vec<_>>()
    );
    // 0-0-0_to_all connects only source voxel (0,0,0); all_to_0-0-0 every source.
    let c = Flat::new()
        .area("cAsrc_", [2, 2, 1])
        .area("cBdst_", [2, 1, 1])
        .map("cAsrc_", json!({"cBdst_": [["0-0-0_to_all", [1,1,1], 1, false], ["all_to_0-0-0", [1,1,1], 1, false]]}))
        .develop(0);
    let m = voxel_map(&c, "cAsrc___", "cBdst___");
    assert_eq!(
        m,
        vec![
            ([0, 0, 0], [0, 0, 0]),
            ([0, 0, 0], [1, 0, 0]),
            ([0, 0, 0], [0, 0, 0]),
            ([0, 1, 0], [0, 0, 0]),
            ([1, 0, 0], [0, 0, 0]),
            ([1, 1, 0], [0, 0, 0]),
        ]
    );
}

// ---- item 16 --------------------------------------------------------------

#[test]
fn item_16_projector_axis_variants() {
    let m = map_of(&function_rule([2, 4, 1], [4, 2, 1], "projector_xy"));
    assert_eq!(targets_of(&m, [1, 3, 0]), vec![[3, 1, 0]]);
    assert_eq!(m.len(), 8);
    let m = map_of(&function_rule([2, 1, 3], [3, 1, 2], "projector_xz"));
    assert_eq!(targets_of(&m, [1, 0, 2]), vec![[2, 0, 1]]);
    assert_eq!(m.len(), 6);
    let m = map_of(&function_rule([1, 2, 3], [1, 3, 2], "projector_yz"));
    assert_eq!(targets_of(&m, [0, 1, 2]), vec![[0, 2, 1]]);
    assert_eq!(m.len(), 6);
}

#[test]
fn item_16_project_from_end() {
    let m = map_of(&function_rule([3, 2, 1], [5, 2, 1], "project_from_end_x"));
    assert_eq!(m, vec![([2, 0, 0], [0, 0, 0]), ([2, 1, 0], [0, 1, 0])]);
    let m = map_of(&function_rule([2, 3, 1], [2, 5, 1], "project_from_end_y"));
    assert_eq!(m, vec![([0, 2, 0], [0, 0, 0]), ([1, 2, 0], [1, 0, 0])]);
    let m = map_of(&function_rule([1, 2, 3], [1, 4, 4], "project_from_end_z"));
    assert_eq!(
        m,
        vec![
            ([0, 0, 2], [0, 0, 0]),
            ([0, 0, 2], [0, 1, 0]),
            ([0, 1, 2], [0, 2, 0]),
            ([0, 1, 2], [0, 3, 0])
        ]
    );
    // A source axis of length 1 still projects (its only layer is the last).
    let m = map_of(&function_rule([1, 1, 1], [3, 1, 1], "project_from_end_x"));
    assert_eq!(m, vec![([0, 0, 0], [0, 0, 0])]);
}

#[test]
fn item_16_block_to_block_function_and_lateral_pairs() {
    let m = map_of(&function_rule([4, 1, 1], [2, 1, 1], "block_to_block"));
    let got: Vec<u32> = m.iter().map(|(_, d)| d[0]).collect();
    assert_eq!(got, vec![0, 1, 1, 1]);
    let m = map_of(&function_rule([5, 1, 1], [5, 1, 1], "lateral_pairs_x"));
    let got: Vec<(u32, u32)> = m.iter().map(|(s, d)| (s[0], d[0])).collect();
    assert_eq!(got, vec![(0, 1), (1, 0), (2, 3), (3, 2)]);
}

#[test]
fn item_16_expander_and_reducer() {
    let m = map_of(&function_rule([5, 2, 1], [8, 1, 1], "expander_x"));
    let xs = |p: u32| -> Vec<u32> { targets_of(&m, [p, 0, 0]).iter().map(|d| d[0]).collect() };
    assert_eq!(xs(1), vec![4, 5, 6, 7]);
    assert_eq!(xs(3), vec![1, 3, 5, 7]);
    assert_eq!(xs(2), vec![2, 3, 6, 7]);
    assert!(xs(0).is_empty() && xs(4).is_empty());
    // py is ignored: (1,1,0) maps like (1,0,0).
    assert_eq!(targets_of(&m, [1, 1, 0]), targets_of(&m, [1, 0, 0]));

    let reduce = |dx: u64, px: u32| -> Vec<u32> {
        let m = map_of(&function_rule([10, 1, 1], [dx, 1, 1], "reducer_x"));
        targets_of(&m, [px, 0, 0]).iter().map(|d| d[0]).collect()
    };
    assert_eq!(reduce(3, 5), vec![0, 2]);
    assert_eq!(reduce(4, 6), vec![1, 2]);
    assert_eq!(reduce(2, 9), vec![0]);
    assert!(reduce(4, 0).is_empty());
    assert_eq!(reduce(1, 1), vec![0]);
}

#[test]
fn item_16_block_connection_and_last_to_first() {
    let m = map_of(&function_rule([25, 1, 1], [2, 1, 1], "block_connection"));
    assert_eq!(m.len(), 20);
    assert!(m.iter().all(|(s, d)| d[0] == s[0] / 10));
    let m = map_of(&function_rule([2, 3, 2], [4, 4, 4], "last_to_first"));
    assert_eq!(m, vec![([1, 2, 1], [0, 0, 0])]);
}

#[test]
fn item_16_memory_functions() {
    let base = |morph: &str, dst_group: &str, src_group: &str| {
        Flat::new()
            .area("cAsrc_", [2, 1, 1])
            .area("cBdst_", [2, 1, 1])
            .gene("cBdst_", "_group", json!(dst_group))
            .gene("cAsrc_", "_group", json!(src_group))
            .map("cAsrc_", json!({"cBdst_": [[morph, [1, 1, 1], 1, false]]}))
    };
    for morph in ["episodic_memory", "memory_replay"] {
        let c = base(morph, "MEMORY", "CUSTOM").develop(0);
        assert!(c.synapses.is_empty(), "{morph}");
    }
    let c = base("episodic_memory", "MEMORY", "CUSTOM").develop(0);
    assert_eq!(
        c.memory_relations,
        vec![MemoryRelation {
            upstream: 3,
            memory_area: 4
        }]
    );
    assert!(c.stdp.is_empty());

    // associative_memory: projector between memory areas, nothing otherwise; always
    // bidirectional STDP, and the reverse list is mirrored at load.
    let f = base("associative_memory", "MEMORY", "MEMORY");
    let g = f.load().unwrap();
    let back = g.find_area("cBdst_").unwrap().mapping_rules();
    assert_eq!(back.len(), 1);
    assert!(back[0].mirrored);
    assert_eq!(back[0].destination, 3);
    assert!(g
        .warnings()
        .iter()
        .any(|w| w.kind == WarningKind::MirroredRule));
    let c = develop(&g, 0).unwrap();
    assert_eq!(pairs(&c), vec![(3, 5), (4, 6), (5, 3), (6, 4)]);
    assert_eq!(c.stdp.len(), 2);
    assert!(c.stdp.iter().all(|r| r.bidirectional));
    assert_eq!((c.stdp[0].source_area, c.stdp[0].destination_area), (3, 4));
    assert_eq!((c.stdp[1].source_area, c.stdp[1].destination_area), (4, 3));
    let c = base("associative_memory", "CUSTOM", "MEMORY").develop(0);
    assert!(c.synapses.is_empty());
    assert_eq!(c.stdp.len(), 2);
}

#[test]
fn item_16_composite_tiles() {
    let tile = |pattern: Value| {
        one_rule([32, 32, 1], [4, 4, 1], json!(["tile", [1, 1, 1], 1, false])).morphology(
            "tile",
            json!({"type": "composite", "parameters": {"src_seed": [16, 16, 1], "src_pattern": pattern, "mapper_morphology": "projector"}}),
        )
    };
    let m = map_of(&tile(json!([[1, 0], [1, 0], [1, 0]])));
    assert_eq!(m.len(), 1024);
    // Each 16x16 tile is projected onto the whole destination.
    assert_eq!(targets_of(&m, [21, 9, 0]), vec![[1, 2, 0]]);
    let m = map_of(&tile(json!([[1, 1], [1, 0], [1, 0]])));
    assert_eq!(m.len(), 512);
    assert!(m.iter().all(|(s, _)| s[0] < 16));
    assert_eq!(targets_of(&m, [5, 9, 0]), vec![[1, 2, 0]]);
    // Tiles that do not fit are never chosen.
    let m = map_of(
        &one_rule([20, 1, 1], [2, 1, 1], json!(["t", [1, 1, 1], 1, false])).morphology(
            "t",
            json!({"type": "composite", "parameters": {"src_seed": [8, 1, 1], "src_pattern": [[1, 0], [1, 0], [1, 0]], "mapper_morphology": "projector"}}),
        ),
    );
    assert_eq!(m.len(), 16);
    // A vectors mapper works on tile-relative source voxels; D stays the real destination.
    let m = map_of(
        &one_rule([4, 1, 1], [4, 1, 1], json!(["t", [1, 1, 1], 1, false])).morphology(
            "t",
            json!({"type": "composite", "parameters": {"src_seed": [2, 1, 1], "src_pattern": [[1, 0], [1, 0], [1, 0]], "mapper_morphology": "lateral_+x"}}),
        ),
    );
    assert_eq!(
        m,
        vec![
            ([0, 0, 0], [1, 0, 0]),
            ([1, 0, 0], [2, 0, 0]),
            ([2, 0, 0], [1, 0, 0]),
            ([3, 0, 0], [2, 0, 0])
        ]
    );
}

// ---- item 17 --------------------------------------------------------------

#[test]
fn item_17_weight_and_psp() {
    let w = |mult: i64, psc: Value| {
        synapses(
            &one_rule(
                [1, 1, 1],
                [1, 1, 1],
                json!(["projector", [1, 1, 1], mult, false]),
            )
            .gene("cAsrc_", "pstcr_", psc)
            .develop(0),
        )
    };
    assert_eq!(w(-300, json!(1)), vec![(3, 4, 255, 1, true)]);
    assert_eq!(w(0, json!(1)), vec![(3, 4, 0, 1, false)]);
    assert_eq!(w(7, json!(1)), vec![(3, 4, 7, 1, false)]);
    for (psc, psp) in [
        (json!(5.9), 5),
        (json!(0.5), 0),
        (json!(500), 255),
        (json!(50000), 255),
        (json!(-3.7), 0),
    ] {
        assert_eq!(w(1, psc.clone())[0].3, psp, "{psc}");
    }
    // The PSP comes from the source area, not the destination.
    let c = one_rule(
        [1, 1, 1],
        [1, 1, 1],
        json!(["projector", [1, 1, 1], 1, false]),
    )
    .gene("cBdst_", "pstcr_", json!(9))
    .develop(0);
    assert_eq!(c.synapses.psp, vec![1]);
    assert_eq!(c.synapses.synapse_type, vec![SynapseType::Excitatory]);
}

// ---- item 18 --------------------------------------------------------------

fn attractivity_example(seed: u64) -> Vec<(u32, u32)> {
    let mut g = spec_example();
    g["blueprint"]["_____10c-cInput-cx-dstmap-d"]["cOutpt"] = json!([{"morphology_id": "all_to_0-0-0", "postSynapticCurrent_multiplier": -1, "synapse_attractivity": 50}]);
    let c = develop(&Genome::from_value(g).unwrap(), seed).unwrap();
    pairs(&c).into_iter().filter(|&(_, d)| d == 7).collect()
}

#[test]
fn item_18_attractivity_table() {
    assert_eq!(attractivity_example(0), vec![(3, 7), (4, 7), (5, 7)]);
    assert_eq!(attractivity_example(1), vec![(5, 7)]);
    assert_eq!(attractivity_example(42), vec![(5, 7)]);
}

fn randomizer_example(seed: u64) -> Vec<(u32, u32)> {
    let mut g = spec_example();
    let bp = &mut g["blueprint"];
    bp["_____10c-cRand_-cx-___bbx-i"] = json!(4);
    bp["_____10c-cRand_-cx-___bby-i"] = json!(4);
    bp["_____10c-cRand_-cx-___bbz-i"] = json!(4);
    bp["_____10c-cInput-cx-dstmap-d"] = json!({"cRand_": [["randomizer", [1, 1, 1], 1, false]]});
    g["neuron_morphologies"]["randomizer"] = json!({"type": "functions", "parameters": {}});
    let c = develop(&Genome::from_value(g).unwrap(), seed).unwrap();
    assert_eq!(area_of(&c, "cRand___"), 5);
    assert_eq!(c.areas[5].first_neuron, 8);
    pairs(&c)
        .into_iter()
        .filter(|&(s, _)| (3..7).contains(&s))
        .collect()
}

#[test]
fn item_18_randomizer_table() {
    let lin = |[x, y, z]: [u32; 3]| 8 + (x * 4 + y) * 4 + z;
    let expect = |voxels: [[u32; 3]; 4]| -> Vec<(u32, u32)> {
        voxels
            .iter()
            .enumerate()
            .map(|(ls, v)| (3 + ls as u32, lin(*v)))
            .collect()
    };
    assert_eq!(
        randomizer_example(0),
        expect([[3, 2, 2], [2, 3, 2], [3, 3, 0], [2, 1, 0]])
    );
    assert_eq!(
        randomizer_example(7),
        expect([[0, 3, 3], [1, 1, 2], [3, 2, 1], [2, 3, 2]])
    );
}

#[test]
fn item_18_attractivity_100_and_0_are_seed_independent() {
    let with = |attr: Value, seed: u64| {
        one_rule(
            [4, 4, 1],
            [4, 4, 1],
            json!({"morphology_id": "projector", "synapse_attractivity": attr}),
        )
        .develop(seed)
        .synapses
    };
    for seed in [0, 1, 42, u64::MAX] {
        assert_eq!(with(json!(100), seed).len(), 16);
        assert!(with(json!(0), seed).is_empty());
    }
    // The destination area's gene is the fallback.
    let c = one_rule(
        [4, 4, 1],
        [4, 4, 1],
        json!(["projector", [1, 1, 1], 1, false]),
    )
    .gene("cBdst_", "synatt", json!(0))
    .develop(3);
    assert!(c.synapses.is_empty());
    let c = one_rule(
        [8, 8, 1],
        [8, 8, 1],
        json!(["projector", [1, 1, 1], 1, false]),
    )
    .gene("cBdst_", "synatt", json!(50))
    .develop(3);
    assert!(
        c.synapses.len() > 10 && c.synapses.len() < 54,
        "{}",
        c.synapses.len()
    );
}

// ---- item 19 (example genome; the shipped genomes are in real_genomes.rs) ---

#[test]
fn item_19_example_genome_synapses_in_order() {
    let g = Genome::from_json_str(SPEC_EXAMPLE).unwrap();
    let c = develop(&g, 0).unwrap();
    let ids: Vec<CorticalId> = c.areas.iter().map(|a| a.area.id).collect();
    assert_eq!(
        ids,
        ["___death", "___power", "___fatig", "cInput__", "cOutpt__"]
            .map(cid)
            .to_vec()
    );
    assert_eq!(c.neurons.len(), 8);
    assert_eq!(c.areas[3].first_neuron, 3);
    assert_eq!(c.areas[4].first_neuron, 7);
    for x in 0..4 {
        assert_eq!(c.neurons.coordinates(3 + x), [x as u32, 0, 0]);
    }
    let expect: Vec<common::Syn> = vec![
        (1, 3, 1, 5, false),
        (1, 4, 1, 5, false),
        (1, 5, 1, 5, false),
        (1, 6, 1, 5, false),
        (3, 4, 1, 2, false),
        (4, 5, 1, 2, false),
        (5, 6, 1, 2, false),
        (3, 7, 1, 2, true),
        (4, 7, 1, 2, true),
        (5, 7, 1, 2, true),
        (6, 7, 1, 2, true),
    ];
    assert_eq!(synapses(&c), expect);
    // Seed irrelevant: all attractivities are 100.
    assert_eq!(synapses(&develop(&g, 99).unwrap()), expect);
    // Neuron parameters from the genes.
    assert_eq!(c.neurons.threshold()[1], 0.1);
    assert_eq!(c.neurons.leak()[3], 0.25);
    assert!(c.neurons.mp_charge_accumulation()[3]);
    assert_eq!(c.neurons.refractory_period()[3], 1);
    assert_eq!(
        (
            c.neurons.consecutive_fire_limit()[7],
            c.neurons.snooze_period()[7]
        ),
        (3, 2)
    );
    assert_eq!(c.neurons.threshold()[7], 3.0);
    assert!(c.stdp.is_empty() && c.memory_relations.is_empty());
}

// ---- item 40 --------------------------------------------------------------

fn seeded_brain(seed: u64) -> Connectome {
    Flat::new()
        .area("cA____", [6, 6, 1])
        .area("cB____", [6, 6, 1])
        .area("cC____", [6, 6, 1])
        .morphology("randomizer", json!({"type": "functions", "parameters": {}}))
        .map(
            "cA____",
            json!({"cB____": [["projector", [1, 1, 1], 1, false]], "cC____": [["lateral_+x", [1, 1, 1], 2, false]]}),
        )
        .map(
            "cB____",
            json!({"cC____": [["randomizer", [1, 1, 1], 1, false], {"morphology_id": "projector", "synapse_attractivity": 50}]}),
        )
        .develop(seed)
}

#[test]
fn item_40_same_seed_same_synapses_other_seed_changes_only_random_rules() {
    let a1 = seeded_brain(11);
    let a2 = seeded_brain(11);
    assert_eq!(a1, a2);
    let b = seeded_brain(12);
    let from = |c: &Connectome, area: u32| -> Vec<common::Syn> {
        synapses(c)
            .into_iter()
            .filter(|s| c.neurons.area()[s.0 as usize] == area)
            .collect()
    };
    // cA's rules have attractivity 100 and no randomizer: unchanged.
    assert_eq!(from(&a1, 3), from(&b, 3));
    assert_eq!(from(&a1, 3).len(), 36 + 30);
    // cB's randomizer and 50 % rules change with the seed.
    assert_ne!(from(&a1, 4), from(&b, 4));
    assert_eq!(a1.neurons, b.neurons);
}

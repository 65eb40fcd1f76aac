//! SPEC §8 items 1 to 8: genome loading (flat keys, gene typing, rule
//! encodings, ids, errors, warnings, migration, core morphologies).

mod common;

use common::{cid, spec_example, synapses, Flat, SPEC_EXAMPLE};
use feagi_genome::{
    develop, parse_cortical_id, FunctionMorphology, Genome, GenomeErrorKind, Morphology,
    MorphologyOrigin, WarningKind,
};
use feagi_types::{AreaKind, AreaProperties, CorticalId};
use serde_json::{json, Value};

fn has_warning(g: &Genome, kind: WarningKind, key_part: &str) -> bool {
    g.warnings()
        .iter()
        .any(|w| w.kind == kind && w.gene_key().is_some_and(|k| k.contains(key_part)))
}

// ---- item 1 ---------------------------------------------------------------

#[test]
fn item_1_class_and_tag_are_ignored() {
    let g = Genome::from_value(json!({
        "version": "2.0",
        "blueprint": {
            "_____10c-cA____-cx-___bbx-i": 2,
            "_____10c-cA____-nx-snooze-f": 4,
            "_____10c-cA____-cx-excite-i": 50,
            "_____10c-cA____-nx-synatt-i": 30,
            "_____10c-cA____-nx-fthlim-i": 7,
            "_____10c-cA____-zz-refrac-q": 3,
            "_____10c-cB____-nx-snooze-i": 4
        }
    }))
    .unwrap();
    let a = g.find_area("cA____").unwrap().properties();
    let b = g.find_area("cB____").unwrap().properties();
    assert_eq!(a.snooze_period, 4);
    assert_eq!(
        b.snooze_period, 4,
        "snooze-i and snooze-f are the same gene"
    );
    assert_eq!(a.excitability, 0.5);
    assert_eq!(a.synapse_attractivity, 30.0);
    assert_eq!(a.threshold_limit, 7.0);
    assert_eq!(a.refractory_period, 3);
    assert_eq!(g.find_area("cA____").unwrap().dimensions(), [2, 1, 1]);
}

#[test]
fn item_1_same_gene_twice_must_agree() {
    let base = |second: Value| {
        Genome::from_value(json!({
            "version": "2.0",
            "blueprint": {
                "_____10c-cA____-nx-snooze-f": 2.0,
                "_____10c-cA____-nx-snooze-i": second,
            }
        }))
    };
    assert_eq!(
        base(json!(2))
            .unwrap()
            .find_area("cA____")
            .unwrap()
            .properties()
            .snooze_period,
        2
    );
    let e = base(json!(3)).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::ConflictingGene);
    assert!(e.gene_key().unwrap().contains("snooze"));
    assert_eq!(e.cortical_id(), Some("cA____"));
}

#[test]
fn item_1_brain_genes_and_odd_keys_are_ignored_with_warnings() {
    let g = Genome::from_value(json!({
        "version": "2.0",
        "blueprint": {
            "_____10b-_____s-__-__name-t": "smart_car",
            "_____10c-cA____-cx-___bbx-i": 1,
            "_____10c-cA____-nx-fire_t": 2,
            "not_a_gene": 5
        }
    }))
    .unwrap();
    for key in [
        "_____10b-_____s-__-__name-t",
        "_____10c-cA____-nx-fire_t",
        "not_a_gene",
    ] {
        assert!(has_warning(&g, WarningKind::IgnoredKey, key), "{key}");
        assert!(g.ignored_blueprint_keys().contains_key(key));
    }
    // The four-part key set nothing.
    assert_eq!(
        g.find_area("cA____").unwrap().properties().firing_threshold,
        1.0
    );
    // `_____s` is not an area.
    assert_eq!(g.areas().len(), 4);
}

#[test]
fn item_1_defaults_apply_to_absent_genes() {
    let g = Genome::from_value(json!({
        "version": "2.0",
        "blueprint": {"_____10c-cA____-cx-__name-t": "only a name"}
    }))
    .unwrap();
    let a = g.find_area("cA____").unwrap();
    assert_eq!(a.name(), "only a name");
    assert_eq!(a.dimensions(), [1, 1, 1]);
    assert_eq!(a.neurons_per_voxel(), 1);
    assert_eq!(*a.properties(), AreaProperties::default());
    let p = a.properties();
    assert_eq!(
        (
            p.firing_threshold,
            p.threshold_limit,
            p.leak,
            p.excitability
        ),
        (1.0, 0.0, 0.0, 1.0)
    );
    assert_eq!(
        (
            p.refractory_period,
            p.consecutive_fire_limit,
            p.snooze_period
        ),
        (0, 0, 0)
    );
    assert_eq!(
        (p.postsynaptic_current, p.synapse_attractivity),
        (1.0, 100.0)
    );
    assert!(!p.psp_uniform_distribution && !p.mp_charge_accumulation && !p.mp_driven_psp);
    assert!(a.mapping_rules().is_empty());
    let m = a.memory_genes();
    assert_eq!(
        (
            m.temporal_depth,
            m.longterm_mem_threshold,
            m.lifespan_growth_rate,
            m.init_lifespan
        ),
        (1, 100, 1, 9)
    );
    assert_eq!(a.kind(), AreaKind::Custom);
}

// ---- item 2 ---------------------------------------------------------------

#[test]
fn item_2_integer_genes_accept_zero_fraction_floats() {
    let g = Flat::new()
        .area("cA____", [2, 1, 1])
        .gene("cA____", "refrac", json!(2.0))
        .gene("cA____", "_n_cnt", json!(3.0))
        .load()
        .unwrap();
    let a = g.find_area("cA____").unwrap();
    assert_eq!(a.properties().refractory_period, 2);
    assert_eq!(a.neurons_per_voxel(), 3);
}

#[test]
fn item_2_fractional_integer_gene_is_wrong_type_naming_the_full_key() {
    let e = Flat::new()
        .area("cA____", [2, 1, 1])
        .gene("cA____", "refrac", json!(2.5))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::WrongGeneType);
    assert_eq!(e.gene_key(), Some("_____10c-cA____-nx-refrac-x"));
    assert!(e.to_string().contains("_____10c-cA____-nx-refrac-x"), "{e}");
    for bad in [json!("2"), json!(true), json!([2])] {
        let e = Flat::new()
            .gene("cA____", "c_fr_c", bad.clone())
            .load()
            .unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::WrongGeneType, "{bad}");
    }
    // Float and bool genes are typed too.
    let e = Flat::new()
        .gene("cA____", "fire_t", json!("1"))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::WrongGeneType);
    let e = Flat::new()
        .gene("cA____", "mp_acc", json!(1))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::WrongGeneType);
}

#[test]
fn item_2_null_gene_is_absent_with_warning() {
    let g = Flat::new()
        .area("cA____", [2, 1, 1])
        .gene("cA____", "refrac", Value::Null)
        .gene("cA____", "fire_t", Value::Null)
        .load()
        .unwrap();
    let a = g.find_area("cA____").unwrap();
    assert_eq!(a.properties().refractory_period, 0);
    assert_eq!(a.properties().firing_threshold, 1.0);
    assert!(has_warning(&g, WarningKind::NullGene, "refrac"));
    assert!(has_warning(&g, WarningKind::NullGene, "fire_t"));
}

#[test]
fn item_2_integer_range() {
    let e = Flat::new()
        .gene("cInput", "refrac", json!(70000))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::ValueOutOfRange);
    assert_eq!(
        e.to_string(),
        "gene _____10c-cInput-nx-refrac-x: refractory_period 70000 is out of range 0..65535"
    );
    let e = Flat::new()
        .gene("cA____", "c_fr_c", json!(-1))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::ValueOutOfRange);
    let g = Flat::new()
        .gene("cA____", "c_fr_c", json!(65535))
        .load()
        .unwrap();
    assert_eq!(
        g.find_area("cA____")
            .unwrap()
            .properties()
            .consecutive_fire_limit,
        65535
    );
}

// ---- item 3 ---------------------------------------------------------------

fn rule_genome(rule: Value) -> Flat {
    Flat::new()
        .area("cAsrc_", [4, 2, 1])
        .area("cBdst_", [4, 2, 1])
        .gene("cAsrc_", "pstcr_", json!(3))
        .map("cAsrc_", json!({ "cBdst_": [rule] }))
}

#[test]
fn item_3_rule_encodings_give_identical_synapses() {
    let encodings = [
        json!(["projector", [1, 1, 1], -2, false]),
        json!(["projector", [1, 1, 1], -2, false, 1, 1, 1]),
        json!(["projector", [1, 1, 1], -2, false, 1, 1, 1, 3]),
        json!({"morphology_id": "projector", "morphology_scalar": [1, 1, 1], "postSynapticCurrent_multiplier": -2, "plasticity_flag": false}),
        json!({"morphology_id": "projector", "postSynapticCurrent_multiplier": -2.0}),
    ];
    let reference = synapses(&rule_genome(encodings[0].clone()).develop(0));
    assert_eq!(reference.len(), 8);
    assert!(reference.iter().all(|s| s.2 == 2 && s.3 == 3 && s.4));
    for e in &encodings[1..] {
        assert_eq!(
            synapses(&rule_genome(e.clone()).develop(0)),
            reference,
            "{e}"
        );
    }
}

#[test]
fn item_3_plasticity_defaults() {
    for rule in [
        json!(["projector", [1, 1, 1], 1, true]),
        json!({"morphology_id": "projector", "plasticity_flag": true}),
    ] {
        let g = rule_genome(rule.clone()).load().unwrap();
        let r = &g.find_area("cAsrc_").unwrap().mapping_rules()[0];
        assert_eq!(
            (
                r.plasticity_constant,
                r.ltp_multiplier,
                r.ltd_multiplier,
                r.plasticity_window
            ),
            (1, 1, 1, 3),
            "{rule}"
        );
        let mut f = rule_genome(rule);
        f.physiology = Some(json!({"plasticity_queue_depth": 5}));
        let g = f.load().unwrap();
        assert_eq!(
            g.find_area("cAsrc_").unwrap().mapping_rules()[0].plasticity_window,
            5
        );
    }
    let g = rule_genome(json!(["projector", [1, 1, 1], 1, true, 2, 3, 4, 9]))
        .load()
        .unwrap();
    let r = &g.find_area("cAsrc_").unwrap().mapping_rules()[0];
    assert_eq!(
        (
            r.plasticity_constant,
            r.ltp_multiplier,
            r.ltd_multiplier,
            r.plasticity_window
        ),
        (2, 3, 4, 9)
    );
    // The defaults apply whether or not the flag is set.
    let g = rule_genome(json!(["projector", [1, 1, 1], 1, false]))
        .load()
        .unwrap();
    assert_eq!(
        g.find_area("cAsrc_").unwrap().mapping_rules()[0].plasticity_window,
        3
    );
}

#[test]
fn item_3_malformed_rules_name_source_destination_and_index() {
    let two_rules = |bad: Value| {
        Flat::new()
            .area("cAsrc_", [4, 2, 1])
            .area("cBdst_", [4, 2, 1])
            .map(
                "cAsrc_",
                json!({"cBdst_": [["projector", [1, 1, 1], 1, false], bad]}),
            )
            .load()
            .unwrap_err()
    };
    for bad in [
        json!(["projector", [1, 1, 1], 1, false, 1]),
        json!(["projector", [1, 1, 1], 1.5, false]),
        json!(["projector", [1, 1, 1], 1, "yes"]),
        json!([5, [1, 1, 1], 1, false]),
        json!({"morphology_scalar": 1}),
        json!("projector"),
    ] {
        let e = two_rules(bad.clone());
        assert_eq!(e.kind, GenomeErrorKind::MalformedRule, "{bad}");
        assert_eq!(e.cortical_id(), Some("cAsrc_"));
        assert_eq!(e.destination_id(), Some("cBdst_"));
        assert_eq!(e.rule_index(), Some(1));
    }
}

// ---- item 4 ---------------------------------------------------------------

#[test]
fn item_4_id_spellings_in_genomes() {
    assert_eq!(parse_cortical_id("_power").unwrap(), CorticalId::POWER);
    assert_eq!(parse_cortical_id("___pwr").unwrap(), CorticalId::POWER);
    assert_eq!(parse_cortical_id("_death").unwrap(), CorticalId::DEATH);
    assert_eq!(parse_cortical_id("cJWM3_").unwrap(), cid("cJWM3___"));
    assert_eq!(
        parse_cortical_id("X19fcG93ZXI=").unwrap(),
        CorticalId::POWER
    );

    let g = Genome::from_value(json!({
        "version": "2.0",
        "blueprint": {
            "_____10c-X19fcG93ZXI=-cx-fire_t-f": 0.5,
            "_____10c-_death-cx-fire_t-f": 2,
            "_____10c-cJWM3_-cx-___bbx-i": 2,
            "_____10c-CIHMot-cx-___bbx-i": 1,
            "_____10c-m__lef-cx-_group-t": "CUSTOM",
            "_____10c-m__rig-cx-_group-t": "MEMORY",
            "_____10c-i__v0C-cx-___bbx-i": 3,
            "_____10c-Y0pXTTQ1X18=-cx-___bbx-i": 1,
            "_____10c-mMemory_-cx-___bbx-i": 1,
            "_____10c-t_mbab-cx-_group-t": "thalamus",
            "_____10c-omot00-cx-_group-t": "vision"
        }
    }))
    .unwrap();
    assert_eq!(
        g.area_by_id(&CorticalId::POWER)
            .unwrap()
            .properties()
            .firing_threshold,
        0.5
    );
    assert_eq!(
        g.area_by_id(&CorticalId::POWER).unwrap().written_id(),
        "X19fcG93ZXI="
    );
    assert_eq!(
        g.area_by_id(&CorticalId::DEATH)
            .unwrap()
            .properties()
            .firing_threshold,
        2.0
    );
    assert_eq!(
        g.area_by_id(&cid("cJWM3___")).unwrap().dimensions(),
        [2, 1, 1]
    );
    let cihmot = g.area_by_id(&cid("CIHMot__")).unwrap();
    assert_eq!(cihmot.kind(), AreaKind::Custom);
    let lef = g.area_by_id(&cid("m__lef__")).unwrap();
    assert_eq!(lef.kind(), AreaKind::Custom);
    assert!(!lef.is_memory());
    let rig = g.area_by_id(&cid("m__rig__")).unwrap();
    assert_eq!(rig.kind(), AreaKind::Memory);
    assert!(rig.is_memory());
    let renamed = g.area_by_id(&cid("iv00_C__")).unwrap();
    assert_eq!(renamed.written_id(), "i__v0C");
    assert_eq!(renamed.kind(), AreaKind::Ipu);
    assert!(g
        .warnings()
        .iter()
        .any(|w| w.kind == WarningKind::LegacyMigration && w.cortical_id() == Some("i__v0C")));
    assert_eq!(
        g.area_by_id(&cid("cJWM45__")).unwrap().kind(),
        AreaKind::Custom
    );
    assert_eq!(
        g.area_by_id(&cid("mMemory_")).unwrap().kind(),
        AreaKind::Memory
    );
    assert_eq!(
        g.area_by_id(&cid("t_mbab__")).unwrap().kind(),
        AreaKind::Custom
    );
    assert_eq!(
        g.area_by_id(&cid("omot00__")).unwrap().kind(),
        AreaKind::Opu
    );
    assert_eq!(
        g.area_by_id(&CorticalId::POWER).unwrap().kind(),
        AreaKind::Core
    );
}

#[test]
fn item_4_malformed_ids_fail() {
    let e = Flat::new().area("c_avoid", [1, 1, 1]).load().unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MalformedCorticalId);
    assert_eq!(e.cortical_id(), Some("c_avoid"));
    assert_eq!(e.gene_key(), Some("_____10c-c_avoid-cx-___bbx-i"));
    // base64 of "Xabcdefg": byte 0 is not one of _ c m i o.
    let e = Flat::new()
        .area("WGFiY2RlZmc=", [1, 1, 1])
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MalformedCorticalId);
    // A bad destination id is located on the rule.
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .map(
            "cA____",
            json!({"c_avoid": [["projector", [1, 1, 1], 1, false]]}),
        )
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MalformedCorticalId);
    assert_eq!(e.destination_id(), Some("c_avoid"));
    assert_eq!(e.cortical_id(), Some("cA____"));
}

#[test]
fn item_4_two_spellings_of_one_area_are_duplicates() {
    let e = Genome::from_value(json!({
        "version": "2.0",
        "blueprint": {"_____10c-_power-cx-fire_t-f": 1, "_____10c-___pwr-cx-fire_t-f": 1}
    }))
    .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::DuplicateArea);
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cA______", [1, 1, 1])
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::DuplicateArea);
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cB____", [1, 1, 1])
        .map(
            "cA____",
            json!({"cB____": [["projector", [1,1,1], 1, false]], "cB______": [["projector", [1,1,1], 1, false]]}),
        )
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::DuplicateArea);
    assert_eq!(e.cortical_id(), Some("cA____"));
}

// ---- item 5 ---------------------------------------------------------------

#[test]
fn item_5_invalid_json_has_line_and_column() {
    let text = "{\n  \"version\": \"2.0\",\n  \"blueprint\": {,}\n}";
    let e = Genome::from_json_str(text).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidJson);
    assert_eq!((e.line(), e.column()), (Some(3), Some(17)));
    assert!(e.to_string().starts_with("line 3, column 17: "), "{e}");
    let e = Genome::from_json_slice(b"{\"version\": \"2.0\", \"blueprint\": {}").unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidJson);
    assert_eq!(e.line(), Some(1));
    let e = Genome::from_json_slice(&[0xff, 0xfe]).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidJson);
    let e = Genome::from_json_str("[1, 2]").unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidJson);
}

#[test]
fn item_5_unknown_morphology_in_a_rule() {
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cB____", [1, 1, 1])
        .map(
            "cA____",
            json!({"cB____": [["projector", [1,1,1], 1, false], ["nope", [1,1,1], 1, false]]}),
        )
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::UnknownMorphology);
    assert_eq!(e.cortical_id(), Some("cA____"));
    assert_eq!(e.destination_id(), Some("cB____"));
    assert_eq!(e.rule_index(), Some(1));
    assert_eq!(e.morphology_id(), Some("nope"));
}

#[test]
fn item_5_unknown_function_id() {
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .morphology("spiral", json!({"type": "functions", "parameters": {}}))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::UnknownFunctionMorphology);
    assert_eq!(e.morphology_id(), Some("spiral"));
}

#[test]
fn item_5_negative_dimension() {
    let mut v = Flat::new().area("cA____", [1, 1, 1]).value();
    v["blueprint"]["_____10c-cA____-cx-___bbx-i"] = json!(-4);
    let e = Genome::from_value(v).unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidDimension);
    assert_eq!(e.gene_key(), Some("_____10c-cA____-cx-___bbx-i"));
    assert_eq!(e.cortical_id(), Some("cA____"));
    let e = Flat::new()
        .gene("cA____", "_n_cnt", json!("four"))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidDimension);
}

#[test]
fn item_5_mapping_to_a_missing_area() {
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .map(
            "cA____",
            json!({"cGone_": [["projector", [1,1,1], 1, false]]}),
        )
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MissingDestinationArea);
    assert_eq!(e.cortical_id(), Some("cA____"));
    assert_eq!(e.destination_id(), Some("cGone_"));
}

#[test]
fn item_5_a_failed_load_changes_nothing() {
    // Loading is a pure function: the genome held before is untouched and a
    // second load of the same text gives an equal genome.
    let held = Genome::from_json_str(SPEC_EXAMPLE).unwrap();
    let before = held.clone();
    let connectome_before = develop(&held, 0).unwrap();
    let mut broken = spec_example();
    broken["blueprint"]["_____10c-cInput-cx-___bbx-i"] = json!(-1);
    assert!(Genome::from_value(broken).is_err());
    assert_eq!(held, before);
    assert_eq!(develop(&held, 0).unwrap(), connectome_before);
    assert_eq!(Genome::from_json_str(SPEC_EXAMPLE).unwrap(), before);
}

#[test]
fn item_5_unsupported_version_and_io() {
    for v in [json!("1.0"), json!("3.1"), json!(2.0)] {
        let e = Genome::from_value(json!({"version": v, "blueprint": {}})).unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::UnsupportedVersion, "{v}");
    }
    for v in ["2.0", "2.1", "2.99", "3.0"] {
        assert!(
            Genome::from_value(json!({"version": v, "blueprint": {}})).is_ok(),
            "{v}"
        );
    }
    let g = Genome::from_value(json!({"blueprint": {}})).unwrap();
    assert_eq!(g.version(), "2.0");
    assert!(g
        .warnings()
        .iter()
        .any(|w| w.kind == WarningKind::MissingVersion));
    let e = Genome::from_path("/nonexistent/dir/genome.json").unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::Io);
    assert_eq!(e.file(), Some("/nonexistent/dir/genome.json"));
}

#[test]
fn item_5_physiology_type_errors() {
    for (key, v) in [
        ("simulation_timestep", json!("fast")),
        ("plasticity_queue_depth", json!([3])),
        ("quantization_precision", json!(32)),
    ] {
        let e =
            Genome::from_value(json!({"version": "2.0", "physiology": {key: v}, "blueprint": {}}))
                .unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::WrongGeneType, "{key}");
        assert_eq!(e.gene_key(), Some(format!("physiology.{key}").as_str()));
    }
}

// ---- item 6 ---------------------------------------------------------------

#[test]
fn item_6_warnings_and_load_succeeds() {
    let mut f = Flat::new()
        .area("cA____", [0, 2, 1])
        .gene("cA____", "plst_c", json!(0.05))
        .gene("cA____", "leak_c", json!(10))
        .gene("cA____", "excite", json!(250));
    f.physiology = Some(json!({"quantization_precision": "f16"}));
    let g = f.load().unwrap();
    let a = g.find_area("cA____").unwrap();
    assert!(has_warning(&g, WarningKind::UnknownGene, "plst_c"));
    assert_eq!(a.kept_genes().get("plst_c"), Some(&json!(0.05)));
    assert!(has_warning(&g, WarningKind::ValueClamped, "leak_c"));
    assert_eq!(a.properties().leak, 1.0);
    assert!(has_warning(&g, WarningKind::ValueClamped, "excite"));
    assert_eq!(a.properties().excitability, 1.0);
    assert!(has_warning(&g, WarningKind::AutoFixed, "___bbx"));
    assert_eq!(a.dimensions(), [1, 2, 1]);
    assert!(has_warning(
        &g,
        WarningKind::UnsupportedPrecision,
        "quantization_precision"
    ));
    assert_eq!(g.quantization_precision(), "f16");
}

#[test]
fn item_6_timestep_and_attractivity_fixes() {
    let mut f = Flat::new()
        .area("cA____", [1, 1, 1])
        .gene("cA____", "synatt", json!(150));
    f.physiology = Some(json!({"simulation_timestep": 0}));
    let g = f.load().unwrap();
    assert_eq!(g.simulation_timestep(), 0.025);
    assert!(has_warning(
        &g,
        WarningKind::AutoFixed,
        "simulation_timestep"
    ));
    assert_eq!(
        g.find_area("cA____")
            .unwrap()
            .properties()
            .synapse_attractivity,
        100.0
    );
    assert!(has_warning(&g, WarningKind::ValueClamped, "synatt"));
}

// ---- item 7 (inline part; the motor babble genome is in real_genomes.rs) ---

#[test]
fn item_7_legacy_top_level_keys_move_into_physiology() {
    let g = Genome::from_value(json!({
        "version": "2.0",
        "max_burst_count": 3,
        "burst_delay": 0.1,
        "plasticity_queue_depth": 4,
        "physiology": {"plasticity_queue_depth": 2, "max_age": 7},
        "neuron_morphologies": {"memory": {"functions": true}, "p": {}},
        "blueprint": {}
    }))
    .unwrap();
    assert_eq!(g.simulation_timestep(), 0.1);
    assert_eq!(
        g.plasticity_queue_depth(),
        4,
        "the moved key replaces the old value"
    );
    assert_eq!(g.physiology().other.get("max_age"), Some(&json!(7)));
    assert!(!g.metadata().contains_key("max_burst_count"));
    assert_eq!(
        g.morphology("episodic_memory"),
        Some(&Morphology::Functions(FunctionMorphology::EpisodicMemory))
    );
    assert!(g.morphology("memory").is_none());
    assert_eq!(g.morphology("p"), Some(&Morphology::Placeholder));
    assert!(g
        .warnings()
        .iter()
        .any(|w| w.kind == WarningKind::LegacyMigration && w.gene_key() == Some("burst_delay")));
}

#[test]
fn item_7_rules_follow_morphology_renames() {
    let g = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("mB____", [1, 1, 1])
        .morphology("memory", json!({"type": "functions", "parameters": {}}))
        .map(
            "cA____",
            json!({"mB____": [["memory", [1, 1, 1], 1, false]]}),
        )
        .gene("mB____", "_group", json!("MEMORY"))
        .load()
        .unwrap();
    assert_eq!(
        g.find_area("cA____").unwrap().mapping_rules()[0].morphology_id,
        "episodic_memory"
    );
    assert_eq!(
        g.find_area("cA____").unwrap().morphology_ids(),
        ["episodic_memory"]
    );
}

// ---- item 8 ---------------------------------------------------------------

#[test]
fn item_8_core_morphologies_added_own_definition_wins() {
    let g = Genome::from_json_str(SPEC_EXAMPLE).unwrap();
    for id in [
        "block_to_block",
        "projector",
        "episodic_memory",
        "memory_replay",
        "associative_memory",
        "all_to_0-0-0",
        "0-0-0_to_all",
        "lateral_+x",
        "lateral_-x",
        "lateral_+y",
        "lateral_-y",
        "lateral_+z",
        "lateral_-z",
    ] {
        assert!(g.morphologies().contains_key(id), "{id}");
    }
    assert_eq!(
        g.morphologies()["lateral_+x"].origin,
        MorphologyOrigin::Genome
    );
    assert_eq!(
        g.morphologies()["lateral_-x"].origin,
        MorphologyOrigin::Core
    );
    assert_eq!(
        g.morphology("lateral_-x"),
        Some(&Morphology::Vectors(vec![[-1, 0, 0]]))
    );
    assert_eq!(
        g.morphologies()["projector"].extra.get("class"),
        Some(&json!("core"))
    );

    let g = Flat::new()
        .morphology(
            "block_to_block",
            json!({"type": "vectors", "parameters": {"vectors": [[0, 0, 4]]}}),
        )
        .load()
        .unwrap();
    assert_eq!(
        g.morphology("block_to_block"),
        Some(&Morphology::Vectors(vec![[0, 0, 4]]))
    );
}

// ---- hierarchical blueprint (SPEC §1.2) -------------------------------------

#[test]
fn hierarchical_blueprint_with_aliases() {
    let g = Genome::from_value(json!({
        "version": "3.0",
        "neuron_morphologies": {},
        "blueprint": {
            "cA______": {
                "cortical_name": "alpha",
                "block_boundaries": [2, 3, 1],
                "neurons_per_voxel": 2,
                "firing_threshold": 2.5,
                "consecutive_fire_limit": 4,
                "snooze_period": 1,
                "cortical_group": "CUSTOM",
                "relative_coordinate": [0, 0, 0],
                "something_new": 1,
                "cortical_mapping_dst": {"cB______": [{"morphology_id": "projector"}]}
            },
            "cB______": {"block_boundaries": [1, 1, 1]}
        }
    }))
    .unwrap();
    let a = g.area_by_name("alpha").unwrap();
    assert_eq!(a.dimensions(), [2, 3, 1]);
    assert_eq!(a.neurons_per_voxel(), 2);
    let p = a.properties();
    assert_eq!(
        (
            p.firing_threshold,
            p.consecutive_fire_limit,
            p.snooze_period
        ),
        (2.5, 4, 1)
    );
    assert_eq!(a.mapping_rules().len(), 1);
    assert!(has_warning(
        &g,
        WarningKind::UnknownGene,
        "cA______.something_new"
    ));
    let e = Genome::from_value(json!({
        "version": "3.0",
        "blueprint": {"cA______": {"block_boundaries": [2, -3, 1]}}
    }))
    .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::InvalidDimension);
    assert_eq!(e.gene_key(), Some("cA______.block_boundaries[1]"));
}

// ---- accessors ---------------------------------------------------------------

#[test]
fn spec_example_metadata_and_accessors() {
    let g = Genome::from_json_str(SPEC_EXAMPLE).unwrap();
    assert_eq!(g.genome_id(), Some("spec_example"));
    assert_eq!(g.title(), Some("spec example"));
    assert_eq!(g.simulation_timestep(), 0.05);
    assert_eq!(g.plasticity_queue_depth(), 3);
    assert_eq!(g.neuron_count(), 8);
    assert_eq!(g.area_index(&cid("cInput__")), Some(3));
    assert_eq!(g.area_by_name("output").unwrap().id(), cid("cOutpt__"));
    let input = g.find_area("cInput").unwrap();
    assert_eq!(input.morphology_ids(), ["all_to_0-0-0", "lateral_+x"]);
    let rules = input.mapping_rules();
    assert_eq!(rules.len(), 2);
    assert_eq!((rules[0].destination, rules[1].destination), (3, 4));
    assert_eq!(rules[1].multiplier, -1);
    assert!(g.warnings().is_empty(), "{:?}", g.warnings());
    let added = g.area_by_id(&CorticalId::FATIGUE).unwrap();
    assert!(added.is_added());
    assert!(!g.area_by_id(&CorticalId::POWER).unwrap().is_added());
}

// ---- M2 gene checks (SPEC §6: gene ranges, twins) ---------------------------

#[test]
fn m2_init_lifespan_zero_is_out_of_range() {
    let e = Flat::new()
        .area("cM____", [1, 1, 1])
        .gene("cM____", "mem_ls", json!(0))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::ValueOutOfRange);
    assert!(e.gene_key().is_some_and(|k| k.contains("mem_ls")), "{e}");
    for bad in [json!(-1), json!(-3)] {
        let e = Flat::new()
            .area("cM____", [1, 1, 1])
            .gene("cM____", "mem_gr", bad.clone())
            .load()
            .unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::ValueOutOfRange, "{bad}");
    }
}

#[test]
fn m2_a_twin_naming_a_missing_area_fails_the_load() {
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cT____", [1, 1, 1])
        .gene("cT____", "twinrf", json!("cNone_"))
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MissingDestinationArea);
    assert!(e.to_string().contains("memory_twin_of"), "{e}");
    assert_eq!(e.locators.cortical_id.as_deref(), Some("cT____"));
    // Naming an existing area loads.
    Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cT____", [1, 1, 1])
        .gene("cT____", "twinrf", json!("cA____"))
        .load()
        .unwrap();
}

#[test]
fn m2_plasticity_window_zero_is_a_located_rule_error() {
    // The 8-element rule form ends with plasticity_window (SPEC §1.6).
    let e = Flat::new()
        .area("cA____", [1, 1, 1])
        .area("cB____", [1, 1, 1])
        .map(
            "cA____",
            json!({"cB____": [["projector", [1, 1, 1], 1, true, 1, 1, 1, 0]]}),
        )
        .load()
        .unwrap_err();
    assert_eq!(e.kind, GenomeErrorKind::MalformedRule, "{e}");
    assert_eq!(e.locators.rule_index, Some(0));
    assert!(e.to_string().contains("plasticity_window 0"), "{e}");
}

//! Shared helpers for the integration tests: the SPEC §1.11 example genome and
//! a small builder for flat genomes.
#![allow(dead_code)]

use feagi_genome::{develop, Genome, GenomeError};
use feagi_types::{Connectome, CorticalId, SynapseType};
use serde_json::{json, Map, Value};

/// The example genome of SPEC §1.11, verbatim.
pub const SPEC_EXAMPLE: &str = include_str!("../spec_example.json");

pub fn spec_example() -> Value {
    serde_json::from_str(SPEC_EXAMPLE).expect("the example is valid JSON")
}

/// A flat genome under construction.
#[derive(Clone, Debug)]
pub struct Flat {
    pub blueprint: Map<String, Value>,
    pub morphologies: Map<String, Value>,
    pub physiology: Option<Value>,
}

impl Flat {
    pub fn new() -> Self {
        Flat {
            blueprint: Map::new(),
            morphologies: Map::new(),
            physiology: None,
        }
    }

    /// Declares area `id` with its grid.
    pub fn area(mut self, id: &str, dims: [u64; 3]) -> Self {
        for (exon, v) in ["___bbx", "___bby", "___bbz"].iter().zip(dims) {
            self.blueprint
                .insert(format!("_____10c-{id}-cx-{exon}-i"), json!(v));
        }
        self
    }

    /// Sets one gene with a `-nx-` class and an `x` tag (both ignored by the loader).
    pub fn gene(mut self, id: &str, exon: &str, value: Value) -> Self {
        self.blueprint
            .insert(format!("_____10c-{id}-nx-{exon}-x"), value);
        self
    }

    /// Sets the whole `cortical_mapping_dst` of `id`.
    pub fn map(mut self, id: &str, dst: Value) -> Self {
        self.blueprint
            .insert(format!("_____10c-{id}-cx-dstmap-d"), dst);
        self
    }

    /// Declares a morphology.
    pub fn morphology(mut self, id: &str, entry: Value) -> Self {
        self.morphologies.insert(id.to_string(), entry);
        self
    }

    pub fn value(&self) -> Value {
        let mut top = Map::new();
        top.insert("version".into(), json!("2.0"));
        top.insert("blueprint".into(), Value::Object(self.blueprint.clone()));
        top.insert(
            "neuron_morphologies".into(),
            Value::Object(self.morphologies.clone()),
        );
        if let Some(p) = &self.physiology {
            top.insert("physiology".into(), p.clone());
        }
        Value::Object(top)
    }

    pub fn load(&self) -> Result<Genome, GenomeError> {
        Genome::from_value(self.value())
    }

    pub fn develop(&self, seed: u64) -> Connectome {
        let genome = self.load().expect("test genome loads");
        develop(&genome, seed).expect("test genome develops")
    }
}

/// A canonical id from its 8 characters.
pub fn cid(s: &str) -> CorticalId {
    CorticalId::from_canonical_str(s).expect("8-character id")
}

/// One synapse as a tuple (source, target, weight, psp, inhibitory).
pub type Syn = (u32, u32, u8, u8, bool);

pub fn synapses(c: &Connectome) -> Vec<Syn> {
    let s = &c.synapses;
    (0..s.len())
        .map(|i| {
            (
                s.source[i],
                s.target[i],
                s.weight[i],
                s.psp[i],
                s.synapse_type[i] == SynapseType::Inhibitory,
            )
        })
        .collect()
}

/// (source, target) pairs only.
pub fn pairs(c: &Connectome) -> Vec<(u32, u32)> {
    let s = &c.synapses;
    s.source
        .iter()
        .copied()
        .zip(s.target.iter().copied())
        .collect()
}

/// Index of the area with canonical id `id` in a developed brain.
pub fn area_of(c: &Connectome, id: &str) -> usize {
    c.areas
        .iter()
        .position(|a| a.area.id == cid(id))
        .unwrap_or_else(|| panic!("area {id} not developed"))
}

/// Voxel coordinates of neuron `n`.
pub fn voxel(c: &Connectome, n: u32) -> [u32; 3] {
    c.neurons.coordinates(n as usize)
}

/// Destination voxels reached from each source voxel of `src` in `dst` (sources in id order).
pub fn voxel_map(c: &Connectome, src: &str, dst: &str) -> Vec<([u32; 3], [u32; 3])> {
    let (a, b) = (area_of(c, src) as u32, area_of(c, dst) as u32);
    pairs(c)
        .into_iter()
        .filter(|&(s, d)| c.neurons.area()[s as usize] == a && c.neurons.area()[d as usize] == b)
        .map(|(s, d)| (voxel(c, s), voxel(c, d)))
        .collect()
}

/// Two W x W areas, all to all (the 1 KB reproducer).
pub fn all_to_all(w: u32) -> Genome {
    Genome::from_value(json!({
        "version": "3.0",
        "neuron_morphologies": {"all_to_all": {"type": "patterns", "parameters": {"patterns": [[["*", "*", "*"], ["*", "*", "*"]]]}}},
        "blueprint": {
            "cA______": {"block_boundaries": [w, w, 1], "cortical_mapping_dst": {"cB______": [{"morphology_id": "all_to_all"}]}},
            "cB______": {"block_boundaries": [w, w, 1]}
        }
    }))
    .expect("loads")
}

/// `feagi-npu gen-genome --neurons N --fanout K`: a ring of four areas, K
/// randomizer rules from each to the next.
pub fn generated(neurons: u64, fanout: usize) -> Genome {
    let ids = ["i_gen0", "c_gen1", "c_gen2", "o_gen3"];
    let per_area = neurons / 4;
    let mut blueprint = serde_json::Map::new();
    for (k, id) in ids.iter().enumerate() {
        let size = if k == 3 {
            neurons - 3 * per_area
        } else {
            per_area
        };
        let rules: Vec<Value> = (0..fanout)
            .map(|_| json!(["randomizer", [1, 1, 1], 1, false]))
            .collect();
        for (exon, v) in [
            ("___bbx-i", json!(size)),
            ("___bby-i", json!(1)),
            ("___bbz-i", json!(1)),
        ] {
            blueprint.insert(format!("_____10c-{id}-cx-{exon}"), v);
        }
        blueprint.insert(
            format!("_____10c-{id}-cx-dstmap-d"),
            json!({ ids[(k + 1) % 4]: rules }),
        );
    }
    Genome::from_value(json!({
        "version": "2.1",
        "neuron_morphologies": {"randomizer": {"type": "functions", "parameters": {}}},
        "blueprint": blueprint
    }))
    .expect("loads")
}

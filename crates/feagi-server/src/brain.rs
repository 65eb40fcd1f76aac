//! [`BrainInfo`]: everything the REST API says about one developed genome,
//! computed once when the brain is built, so no request ever needs the NPU.

use std::collections::BTreeMap;

use feagi_burst_engine::RustNPU;
use feagi_genome::MemoryGenes;
use feagi_genome::{Genome, GenomeArea, Morphology};
use feagi_types::{AreaIndex, AreaKind, AreaProperties};
use serde_json::{json, Map, Value};

use crate::devices::AreaRequest;
use crate::wire::ids::{self, AreaSpelling};

/// The id of the one brain region the server reports: every area lives in it.
pub const ROOT_REGION_ID: &str = "root";

/// What one geometry entry says about an area.
struct EntryParts<'a> {
    key: &'a str,
    name: String,
    kind: AreaKind,
    sub_group: &'a str,
    dimensions: [u32; 3],
    coordinates_3d: [i64; 3],
    coordinates_2d: Value,
    visible: bool,
    neurons_per_voxel: u32,
    neuron_count: usize,
    properties: &'a AreaProperties,
    memory: &'a MemoryGenes,
    canonical: String,
}

/// An area's entry in `geometry` (and its properties object).
fn geometry_entry(e: &EntryParts<'_>) -> Value {
    let (p, memory) = (e.properties, e.memory);
    let [w, h, d] = e.dimensions;
    let c3 = e.coordinates_3d;
    json!({
        "cortical_id": e.key,
        "cortical_name": e.name,
        "cortical_type": cortical_type(e.kind),
        "cortical_group": e.kind.as_str(),
        "cortical_sub_group": e.sub_group,
        "cortical_dimensions": [w, h, d],
        "dimensions": {"x": w, "y": h, "z": d},
        "coordinates_3d": c3,
        "position": {"x": c3[0], "y": c3[1], "z": c3[2]},
        "coordinates_2d": e.coordinates_2d,
        "visible": e.visible,
        "visualization": e.visible,
        "cortical_visibility": e.visible,
        "parent_region_id": ROOT_REGION_ID,
        "cortical_neuron_per_vox_count": e.neurons_per_voxel,
        "visualization_voxel_granularity": [1, 1, 1],
        "neuron_count": e.neuron_count,
        "neuron_post_synaptic_potential": p.postsynaptic_current,
        "neuron_fire_threshold": p.firing_threshold,
        "neuron_fire_threshold_increment": p.threshold_increment,
        "neuron_firing_threshold_limit": p.threshold_limit,
        "neuron_refractory_period": p.refractory_period,
        "neuron_leak_coefficient": p.leak,
        "neuron_excitability": p.excitability,
        "neuron_snooze_period": p.snooze_period,
        "neuron_consecutive_fire_count": p.consecutive_fire_limit,
        "neuron_mp_charge_accumulation": p.mp_charge_accumulation,
        "neuron_psp_uniform_distribution": p.psp_uniform_distribution,
        "neuron_mp_driven_psp": p.mp_driven_psp,
        "cortical_synaptic_attractivity": p.synapse_attractivity,
        "temporal_depth": memory.temporal_depth,
        "longterm_mem_threshold": memory.longterm_mem_threshold,
        "lifespan_growth_rate": memory.lifespan_growth_rate,
        "init_lifespan": memory.init_lifespan,
        "sensory_hold_last_frame": false,
        "dev_count": 1,
        "feagi_rust_id": e.canonical,
    })
}

/// An area created while the brain runs (from an agent's device configuration).
#[derive(Clone, Debug)]
pub struct AddedArea {
    /// What was asked for.
    pub request: AreaRequest,
    /// Its index in the NPU.
    pub index: AreaIndex,
    /// The id inside feagi-rust.
    pub canonical: String,
    /// Neurons created.
    pub neuron_count: usize,
    /// Its genes (the defaults).
    pub properties: AreaProperties,
}

/// One cortical area as clients see it.
#[derive(Clone, Debug)]
pub struct AreaView {
    /// The area's index in the NPU.
    pub index: AreaIndex,
    /// Its 8-byte id on the wire.
    pub wire_id: [u8; 8],
    /// That id in base64: the key of every JSON map.
    pub key: String,
    /// The id inside feagi-rust (`iv00_C__`, `___power`).
    pub canonical: String,
    /// Its kind.
    pub kind: AreaKind,
    /// Grid (W, H, D).
    pub dimensions: [u32; 3],
    /// Neurons the NPU holds for it.
    pub neuron_count: usize,
    /// The firing threshold (internal units), used by manual stimulation.
    pub firing_threshold: f32,
}

/// The REST view of one brain: area table, lookups and the JSON bodies of
/// the genome-describing endpoints, serialised once.
#[derive(Clone, Debug)]
pub struct BrainInfo {
    /// Areas in NPU index order.
    pub areas: Vec<AreaView>,
    by_key: BTreeMap<String, usize>,
    /// `GET /v1/cortical_area/cortical_area/geometry`.
    pub geometry: Value,
    /// `GET /v1/morphology/morphologies`.
    pub morphologies: Value,
    /// `GET /v1/cortical_area/cortical_map_detailed`.
    pub cortical_map_detailed: Value,
    /// `GET /v1/region/regions_members`.
    pub regions_members: Value,
    /// Hashes for health_check: regions, areas, geometry, morphologies, mappings.
    pub hashes: BrainHashes,
    /// Regular neurons.
    pub neuron_count: u64,
    /// Synapses after development.
    pub synapse_count: u64,
    /// The genome's title, or its id.
    pub title: String,
    /// Burst period the genome asks for, in seconds.
    pub genome_timestep: f64,
    /// Default STDP window of the genome (`plasticity_queue_depth`).
    pub plasticity_queue_depth: u32,
    /// Which brain of the server this is: 1 for the first, plus one per
    /// genome upload (areas created at runtime keep it). Area indices are
    /// only meaningful within one generation.
    pub generation: u64,
    /// When the genome was loaded, seconds since 1970.
    pub genome_timestamp: i64,
}

/// Content hashes health_check reports so clients refetch what changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BrainHashes {
    /// Of `regions_members`.
    pub regions: u64,
    /// Of the area list.
    pub areas: u64,
    /// Of `geometry`.
    pub geometry: u64,
    /// Of `morphologies`.
    pub morphologies: u64,
    /// Of `cortical_map_detailed`.
    pub mappings: u64,
}

/// A content hash that survives JSON's float numbers: 53 bits.
fn hash_of(v: &Value) -> u64 {
    let text = v.to_string();
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()) & ((1u64 << 53) - 1)
}

fn cortical_type(kind: AreaKind) -> &'static str {
    match kind {
        AreaKind::Core => "core",
        AreaKind::Ipu => "sensory",
        AreaKind::Opu => "motor",
        AreaKind::Custom => "custom",
        AreaKind::Memory => "memory",
    }
}

/// A kept gene as numbers: the hierarchical array or the flat exons.
fn kept_coords<const N: usize>(
    area: &GenomeArea,
    property: &str,
    exons: [&str; N],
) -> Option<[i64; N]> {
    let genes = area.kept_genes();
    let as_int = |v: &Value| v.as_i64().or_else(|| v.as_f64().map(|f| f.round() as i64));
    if let Some(Value::Array(values)) = genes.get(property) {
        if values.len() == N {
            let mut out = [0i64; N];
            for (o, v) in out.iter_mut().zip(values) {
                *o = as_int(v)?;
            }
            return Some(out);
        }
    }
    let mut out = [0i64; N];
    for (o, exon) in out.iter_mut().zip(exons) {
        *o = as_int(genes.get(exon)?)?;
    }
    Some(out)
}

fn visible(area: &GenomeArea) -> bool {
    let genes = area.kept_genes();
    genes
        .get("visualization")
        .or_else(|| genes.get("gd_vis"))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

fn display_name(area: &GenomeArea) -> String {
    if !area.name().is_empty() {
        return area.name().to_string();
    }
    match area.id().as_bytes() {
        b"___power" => "power".into(),
        b"___death" => "death".into(),
        b"___fatig" => "fatigue".into(),
        _ => area.written_id().to_string(),
    }
}

/// The morphology table: each entry as the genome wrote it when it did
/// (parameters pass through), otherwise built from the loaded morphology.
fn morphologies_json(genome: &Genome, raw: Option<&Value>) -> Value {
    let raw = raw
        .and_then(|r| r.get("neuron_morphologies"))
        .and_then(Value::as_object);
    let mut out = Map::new();
    for (name, entry) in genome.morphologies() {
        let written = raw.and_then(|r| r.get(name)).and_then(Value::as_object);
        let parameters = written
            .and_then(|w| w.get("parameters"))
            .filter(|p| p.is_object())
            .cloned()
            .unwrap_or_else(|| match &entry.morphology {
                Morphology::Vectors(v) => json!({ "vectors": v }),
                _ => json!({}),
            });
        let class =
            entry
                .extra
                .get("class")
                .and_then(Value::as_str)
                .unwrap_or(match entry.morphology {
                    Morphology::Functions(_) | Morphology::Placeholder => "core",
                    _ => "custom",
                });
        out.insert(
            name.clone(),
            json!({
                "name": name,
                "type": entry.morphology.type_name(),
                "class": class,
                "parameters": parameters,
                "source": "genome",
            }),
        );
    }
    Value::Object(out)
}

/// The one root region holding every area.
fn regions_members(areas: &[AreaView]) -> Value {
    let keys: Vec<&String> = areas.iter().map(|a| &a.key).collect();
    let of_kind = |kind: AreaKind| -> Vec<&String> {
        areas
            .iter()
            .filter(|a| a.kind == kind)
            .map(|a| &a.key)
            .collect()
    };
    json!({
        ROOT_REGION_ID: {
            "title": "Root Brain Region",
            "description": "",
            "parent_region_id": null,
            "coordinate_2d": [0, 0],
            "coordinate_3d": [0, 0, 0],
            "areas": keys,
            "regions": [],
            "inputs": of_kind(AreaKind::Ipu),
            "outputs": of_kind(AreaKind::Opu),
            "designated_inputs": [],
            "designated_outputs": [],
            "classifier_circuit": false,
        }
    })
}

fn hashes(
    areas: &[AreaView],
    regions_members: &Value,
    geometry: &Value,
    morphologies: &Value,
    mappings: &Value,
) -> BrainHashes {
    let keys: Vec<&String> = areas.iter().map(|a| &a.key).collect();
    BrainHashes {
        regions: hash_of(regions_members),
        areas: hash_of(&json!(keys)),
        geometry: hash_of(geometry),
        morphologies: hash_of(morphologies),
        mappings: hash_of(mappings),
    }
}

impl BrainInfo {
    /// Describes `genome` as developed into `npu`. `raw` is the genome JSON
    /// (for morphology parameters as written), when there is one.
    pub fn new(genome: &Genome, npu: &RustNPU, raw: Option<&Value>) -> BrainInfo {
        let spellings: Vec<AreaSpelling<'_>> = genome
            .areas()
            .iter()
            .map(|a| AreaSpelling {
                canonical: a.id(),
                written: a.written_id(),
                kind: a.kind(),
            })
            .collect();
        let wire = ids::wire_ids(&spellings);
        let mut areas = Vec::new();
        let mut by_key = BTreeMap::new();
        let mut geometry = Map::new();
        let mut keys_by_genome_index: Vec<Option<String>> = vec![None; genome.areas().len()];
        for (gi, (area, wire_id)) in genome.areas().iter().zip(&wire).enumerate() {
            let Ok(index) = npu.area_index(&area.id()) else {
                continue;
            };
            let key = ids::to_base64(wire_id);
            let neuron_count = npu.area_neuron_count(index).unwrap_or(0);
            let p = area.properties();
            let [w, h, d] = area.dimensions();
            let c3 = kept_coords(area, "relative_coordinate", ["rcordx", "rcordy", "rcordz"])
                .unwrap_or([0, 0, 0]);
            let c2 = kept_coords(area, "2d_coordinate", ["2dcorx", "2dcory"]);
            let c2_json = c2.map_or(json!([null, null]), |c| json!(c));
            let memory = area.memory_genes();
            geometry.insert(
                key.clone(),
                geometry_entry(&EntryParts {
                    key: &key,
                    name: display_name(area),
                    kind: area.kind(),
                    sub_group: area.sub_group(),
                    dimensions: [w, h, d],
                    coordinates_3d: c3,
                    coordinates_2d: c2_json,
                    visible: visible(area),
                    neurons_per_voxel: area.neurons_per_voxel(),
                    neuron_count,
                    properties: p,
                    memory,
                    canonical: area.id().as_string(),
                }),
            );
            by_key.insert(key.clone(), areas.len());
            keys_by_genome_index[gi] = Some(key.clone());
            areas.push(AreaView {
                index,
                wire_id: *wire_id,
                key,
                canonical: area.id().as_string(),
                kind: area.kind(),
                dimensions: area.dimensions(),
                neuron_count,
                firing_threshold: p.firing_threshold,
            });
        }

        let mut map_detailed = Map::new();
        for (gi, area) in genome.areas().iter().enumerate() {
            let Some(src) = &keys_by_genome_index[gi] else {
                continue;
            };
            let mut by_dst: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for rule in area.mapping_rules().iter().filter(|r| !r.mirrored) {
                let Some(Some(dst)) = usize::try_from(rule.destination)
                    .ok()
                    .and_then(|d| keys_by_genome_index.get(d))
                else {
                    continue;
                };
                let scalar = match &rule.morphology_scalar {
                    Value::Array(a) if a.len() == 3 => Value::Array(a.clone()),
                    _ => json!([1, 1, 1]),
                };
                by_dst.entry(dst.clone()).or_default().push(json!({
                    "morphology_id": rule.morphology_id,
                    "morphology_scalar": scalar,
                    "postSynapticCurrent_multiplier": rule.multiplier,
                    "plasticity_flag": rule.plasticity_flag,
                    "plasticity_constant": rule.plasticity_constant,
                    "ltp_multiplier": rule.ltp_multiplier,
                    "ltd_multiplier": rule.ltd_multiplier,
                    "plasticity_window": rule.plasticity_window,
                }));
            }
            if !by_dst.is_empty() {
                let dsts: Map<String, Value> = by_dst
                    .into_iter()
                    .map(|(k, v)| (k, Value::Array(v)))
                    .collect();
                map_detailed.insert(src.clone(), Value::Object(dsts));
            }
        }

        let geometry = Value::Object(geometry);
        let morphologies = morphologies_json(genome, raw);
        let cortical_map_detailed = Value::Object(map_detailed);
        let regions_members = regions_members(&areas);
        let hashes = hashes(
            &areas,
            &regions_members,
            &geometry,
            &morphologies,
            &cortical_map_detailed,
        );
        BrainInfo {
            areas,
            by_key,
            geometry,
            morphologies,
            cortical_map_detailed,
            regions_members,
            hashes,
            neuron_count: npu.neuron_count() as u64,
            synapse_count: npu.synapse_count() as u64,
            title: genome
                .title()
                .or(genome.genome_id())
                .unwrap_or("untitled genome")
                .to_string(),
            genome_timestep: genome.simulation_timestep(),
            plasticity_queue_depth: genome.plasticity_queue_depth(),
            generation: 1,
            genome_timestamp: crate::state::unix_millis() / 1000,
        }
    }

    /// The area a client names: by its base64 wire id (what FEAGI clients
    /// send), or by any id spelling or name feagi-rust accepts.
    pub fn find(&self, id: &str) -> Option<&AreaView> {
        if let Some(i) = self.by_key.get(id) {
            return self.areas.get(*i);
        }
        if let Ok(canonical) = feagi_genome::parse_cortical_id(id) {
            let text = canonical.as_string();
            if let Some(a) = self.areas.iter().find(|a| a.canonical == text) {
                return Some(a);
            }
        }
        None
    }

    /// The area whose base64 wire id is `key` (what agents' frames name).
    pub fn find_wire(&self, key: &str) -> Option<&AreaView> {
        self.by_key.get(key).and_then(|i| self.areas.get(*i))
    }

    /// A copy of this brain with `added` areas (created while it runs)
    /// appended, as clients will see it once the areas exist.
    pub fn with_areas(&self, added: &[AddedArea]) -> BrainInfo {
        let mut out = self.clone();
        let memory = MemoryGenes::default();
        for a in added {
            let key = ids::to_base64(&a.request.wire_id);
            let [x, y, z] = a.request.position;
            if let Value::Object(geometry) = &mut out.geometry {
                geometry.insert(
                    key.clone(),
                    geometry_entry(&EntryParts {
                        key: &key,
                        name: a.request.name.clone(),
                        kind: a.request.kind,
                        sub_group: if a.request.kind == AreaKind::Ipu {
                            "IPU"
                        } else {
                            "OPU"
                        },
                        dimensions: a.request.dimensions,
                        coordinates_3d: [i64::from(x), i64::from(y), i64::from(z)],
                        coordinates_2d: json!([null, null]),
                        visible: true,
                        neurons_per_voxel: 1,
                        neuron_count: a.neuron_count,
                        properties: &a.properties,
                        memory: &memory,
                        canonical: a.canonical.clone(),
                    }),
                );
            }
            out.by_key.insert(key.clone(), out.areas.len());
            out.areas.push(AreaView {
                index: a.index,
                wire_id: a.request.wire_id,
                key,
                canonical: a.canonical.clone(),
                kind: a.request.kind,
                dimensions: a.request.dimensions,
                neuron_count: a.neuron_count,
                firing_threshold: a.properties.firing_threshold,
            });
            out.neuron_count += a.neuron_count as u64;
        }
        out.regions_members = regions_members(&out.areas);
        out.hashes = hashes(
            &out.areas,
            &out.regions_members,
            &out.geometry,
            &out.morphologies,
            &out.cortical_map_detailed,
        );
        out
    }

    /// The geometry entry (the full property object) of an area.
    pub fn properties(&self, area: &AreaView) -> Option<&Value> {
        self.geometry.get(&area.key)
    }

    /// The wire id of each output area at its NPU index (`None` for others).
    pub fn motor_ids_by_index(&self) -> Vec<Option<[u8; 8]>> {
        let mut out = self.wire_ids_by_index();
        for a in &self.areas {
            if a.kind != AreaKind::Opu {
                out[a.index as usize] = None;
            }
        }
        out
    }

    /// The wire id of the area at each NPU index (`None` past the table).
    pub fn wire_ids_by_index(&self) -> Vec<Option<[u8; 8]>> {
        let len = self
            .areas
            .iter()
            .map(|a| a.index as usize + 1)
            .max()
            .unwrap_or(0);
        let mut out = vec![None; len];
        for a in &self.areas {
            out[a.index as usize] = Some(a.wire_id);
        }
        out
    }
}

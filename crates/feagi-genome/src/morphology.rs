//! The morphology table (SPEC §1.7): legacy upgrades, renames, validation and
//! the core morphologies every genome can use.

use crate::error::{quoted, GenomeError, GenomeErrorKind, GenomeWarning, WarningKind};
use crate::values::{as_integer, short, type_name};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One axis element of a pattern pair (SPEC §3.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternElement {
    /// `*`: every coordinate on the destination side; no filter on the source side.
    Any,
    /// `?`: the source's own coordinate.
    Same,
    /// `!`: every coordinate except the source's own.
    Except,
    /// A fixed coordinate.
    Index(u64),
}

/// One `[source, destination]` pair of a `patterns` morphology.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PatternPair {
    /// Source filter per axis: an integer axis applies the pair only to source
    /// voxels with that coordinate; `*`, `?`, `!` never filter (SPEC §3.3.2).
    pub source: [PatternElement; 3],
    /// Destination set per axis: `*` all, `?` the source's coordinate, `!` all
    /// but it, an integer that coordinate (SPEC §3.3.2).
    pub destination: [PatternElement; 3],
}

/// The function morphologies of SPEC §3.3.3; the morphology id selects one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FunctionMorphology {
    /// `projector`: scales each axis of the source grid onto the destination
    /// grid with exact integer arithmetic.
    Projector,
    /// `projector_xy`: `projector` after swapping the source x and y axes.
    ProjectorXy,
    /// `projector_xz`: `projector` after swapping the source x and z axes.
    ProjectorXz,
    /// `projector_yz`: `projector` after swapping the source y and z axes.
    ProjectorYz,
    /// `project_from_end_x`: only sources on the last x layer, projected onto
    /// destination x = 0.
    ProjectFromEndX,
    /// `project_from_end_y`: as `project_from_end_x`, on the y axis.
    ProjectFromEndY,
    /// `project_from_end_z`: as `project_from_end_x`, on the z axis.
    ProjectFromEndZ,
    /// `block_to_block` declared as `functions`: the same voxel, clamped into
    /// the destination grid (the shipped core entry is `vectors [[0,0,0]]`).
    BlockToBlock,
    /// `expander_x`: source x = i reaches every destination x whose bit
    /// L-1-i is set (L = binary digits of the destination width).
    ExpanderX,
    /// `reducer_x`: the binary digits of source x, left-padded to the
    /// destination width, select the destination x voxels where they are 1.
    ReducerX,
    /// `randomizer`: one seeded random destination voxel per source neuron
    /// (SPEC §7.2).
    Randomizer,
    /// `lateral_pairs_x`: x' = x + 1 for even x, x - 1 for odd x.
    LateralPairsX,
    /// `block_connection`: destination voxel (floor(x / 10), y, z).
    BlockConnection,
    /// `last_to_first`: source voxel (Sx-1, Sy-1, Sz-1) to destination voxel (0, 0, 0).
    LastToFirst,
    /// `episodic_memory`: no synapses; registers the source as upstream of a
    /// memory area (M2, SPEC §6.2).
    EpisodicMemory,
    /// `memory_replay`: no synapses and no registration (SPEC §6.2).
    MemoryReplay,
    /// `associative_memory`: `projector` between two memory areas, otherwise no
    /// synapses; always registers bidirectional STDP (SPEC §6.1).
    AssociativeMemory,
}

impl FunctionMorphology {
    /// Every function morphology, in declaration order.
    pub const ALL: [FunctionMorphology; 17] = [
        FunctionMorphology::Projector,
        FunctionMorphology::ProjectorXy,
        FunctionMorphology::ProjectorXz,
        FunctionMorphology::ProjectorYz,
        FunctionMorphology::ProjectFromEndX,
        FunctionMorphology::ProjectFromEndY,
        FunctionMorphology::ProjectFromEndZ,
        FunctionMorphology::BlockToBlock,
        FunctionMorphology::ExpanderX,
        FunctionMorphology::ReducerX,
        FunctionMorphology::Randomizer,
        FunctionMorphology::LateralPairsX,
        FunctionMorphology::BlockConnection,
        FunctionMorphology::LastToFirst,
        FunctionMorphology::EpisodicMemory,
        FunctionMorphology::MemoryReplay,
        FunctionMorphology::AssociativeMemory,
    ];

    /// The morphology id that selects this function.
    pub fn id(&self) -> &'static str {
        match self {
            FunctionMorphology::Projector => "projector",
            FunctionMorphology::ProjectorXy => "projector_xy",
            FunctionMorphology::ProjectorXz => "projector_xz",
            FunctionMorphology::ProjectorYz => "projector_yz",
            FunctionMorphology::ProjectFromEndX => "project_from_end_x",
            FunctionMorphology::ProjectFromEndY => "project_from_end_y",
            FunctionMorphology::ProjectFromEndZ => "project_from_end_z",
            FunctionMorphology::BlockToBlock => "block_to_block",
            FunctionMorphology::ExpanderX => "expander_x",
            FunctionMorphology::ReducerX => "reducer_x",
            FunctionMorphology::Randomizer => "randomizer",
            FunctionMorphology::LateralPairsX => "lateral_pairs_x",
            FunctionMorphology::BlockConnection => "block_connection",
            FunctionMorphology::LastToFirst => "last_to_first",
            FunctionMorphology::EpisodicMemory => "episodic_memory",
            FunctionMorphology::MemoryReplay => "memory_replay",
            FunctionMorphology::AssociativeMemory => "associative_memory",
        }
    }

    /// The function a morphology id selects, or `None` for an id not in
    /// SPEC §3.3.3.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.id() == id)
    }
}

/// Parameters of a `composite` morphology (SPEC §3.3.4).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompositeMorphology {
    /// Tile size per axis, each >= 1.
    pub src_seed: [u64; 3],
    /// Per axis `(c, s)`: c chosen tiles (>= 1) then s skipped tiles.
    pub src_pattern: [(u64, u64); 3],
    /// A non-composite morphology id applied inside each chosen tile.
    pub mapper_morphology: String,
}

/// A validated morphology.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Morphology {
    /// `vectors`: offsets (dx, dy, dz), possibly negative, added to the source
    /// voxel (SPEC §3.3.1).
    Vectors(Vec<[i64; 3]>),
    /// `patterns`: [source, destination] pairs (SPEC §3.3.2).
    Patterns(Vec<PatternPair>),
    /// `functions`: the function the morphology id selects (SPEC §3.3.3).
    Functions(FunctionMorphology),
    /// `composite`: a mapper morphology applied tile by tile (SPEC §3.3.4).
    Composite(CompositeMorphology),
    /// `placeholder`: creates no synapses (SPEC §3.3.5).
    Placeholder,
}

impl Morphology {
    /// The `type` string of the genome format.
    pub fn type_name(&self) -> &'static str {
        match self {
            Morphology::Vectors(_) => "vectors",
            Morphology::Patterns(_) => "patterns",
            Morphology::Functions(_) => "functions",
            Morphology::Composite(_) => "composite",
            Morphology::Placeholder => "placeholder",
        }
    }
}

/// Where a morphology-table entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MorphologyOrigin {
    /// Written in the genome in the current (typed) form.
    Genome,
    /// Written in the genome in a legacy untyped form and upgraded (SPEC §1.7).
    Upgraded,
    /// Missing from the genome and added as a core morphology.
    Core,
}

/// One entry of the morphology table.
#[derive(Clone, Debug, PartialEq)]
pub struct MorphologyEntry {
    /// The validated morphology.
    pub morphology: Morphology,
    /// Keys other than `type` and `parameters` (`class`, `morphology_name`, ...), kept verbatim.
    pub extra: Map<String, Value>,
    /// Written in the genome, upgraded from a legacy form, or added as a core
    /// morphology.
    pub origin: MorphologyOrigin,
}

/// Morphology id renames (old, new), applied to the table and to rule references.
pub(crate) const RENAMES: [(&str, &str); 2] = [
    ("memory", "episodic_memory"),
    ("bi_directional_stdp", "associative_memory"),
];

/// The current name of a morphology id referenced by a rule or a composite mapper.
pub(crate) fn renamed(id: &str) -> &str {
    RENAMES
        .iter()
        .find(|(old, _)| *old == id)
        .map_or(id, |(_, new)| new)
}

fn invalid(id: &str, why: impl Into<String>) -> GenomeError {
    GenomeError::new(
        GenomeErrorKind::InvalidMorphology,
        format!("invalid morphology: {}", why.into()),
    )
    .with_morphology_id(id)
}

/// A legacy or typed entry reduced to (type, parameters, extra keys).
struct RawEntry {
    type_name: String,
    parameters: Option<Value>,
    extra: Map<String, Value>,
    upgraded: bool,
}

fn upgrade(id: &str, value: Value) -> Result<RawEntry, GenomeError> {
    let Value::Object(mut obj) = value else {
        return Err(invalid(
            id,
            format!("expected an object, found {}", type_name(&value)),
        ));
    };
    if obj.is_empty() {
        return Ok(RawEntry {
            type_name: "placeholder".into(),
            parameters: None,
            extra: Map::new(),
            upgraded: true,
        });
    }
    if let Some(t) = obj.remove("type") {
        let Value::String(type_name) = t else {
            return Err(invalid(
                id,
                format!("\"type\" must be a string, found {}", short(&t)),
            ));
        };
        let parameters = obj.remove("parameters");
        return Ok(RawEntry {
            type_name,
            parameters,
            extra: obj,
            upgraded: false,
        });
    }
    // Untyped Python-era forms.
    for key in ["vectors", "patterns"] {
        if let Some(list) = obj.remove(key) {
            let mut params = Map::new();
            params.insert(key.to_string(), list);
            return Ok(RawEntry {
                type_name: key.into(),
                parameters: Some(Value::Object(params)),
                extra: obj,
                upgraded: true,
            });
        }
    }
    if let Some(flag) = obj.remove("functions") {
        if flag != Value::Bool(true) {
            return Err(invalid(
                id,
                format!("\"functions\" must be true, found {}", short(&flag)),
            ));
        }
        return Ok(RawEntry {
            type_name: "functions".into(),
            parameters: Some(Value::Object(Map::new())),
            extra: obj,
            upgraded: true,
        });
    }
    if let Some(comp) = obj.remove("composite") {
        let Value::Object(mut comp) = comp else {
            return Err(invalid(id, "\"composite\" must be an object"));
        };
        let mut params = match comp.remove("parameters") {
            Some(Value::Object(p)) => p,
            Some(other) => {
                return Err(invalid(
                    id,
                    format!(
                        "composite \"parameters\" must be an object, found {}",
                        type_name(&other)
                    ),
                ))
            }
            None => Map::new(),
        };
        if let Some(mapper) = comp.remove("mapper_morphology") {
            params.insert("mapper_morphology".into(), mapper);
        }
        return Ok(RawEntry {
            type_name: "composite".into(),
            parameters: Some(Value::Object(params)),
            extra: obj,
            upgraded: true,
        });
    }
    Err(invalid(
        id,
        "no \"type\" and none of the legacy keys vectors, patterns, functions, composite",
    ))
}

fn parse_vectors(id: &str, params: Option<&Value>) -> Result<Morphology, GenomeError> {
    let list = params
        .and_then(|p| p.get("vectors"))
        .ok_or_else(|| invalid(id, "missing parameters.vectors"))?;
    let Value::Array(items) = list else {
        return Err(invalid(id, "parameters.vectors must be a list"));
    };
    let mut vectors = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let bad = || {
            invalid(
                id,
                format!("vector {i} must be 3 integers, found {}", short(item)),
            )
        };
        let Value::Array(xyz) = item else {
            return Err(bad());
        };
        if xyz.len() != 3 {
            return Err(bad());
        }
        let mut v = [0i64; 3];
        for (slot, c) in v.iter_mut().zip(xyz) {
            let n = as_integer(c).map_err(|_| bad())?;
            *slot = i64::try_from(n).map_err(|_| bad())?;
        }
        vectors.push(v);
    }
    Ok(Morphology::Vectors(vectors))
}

fn is_scalar_triple(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.len() == 3 && a.iter().all(|e| !e.is_array() && !e.is_object()))
}

fn parse_element(v: &Value) -> Option<PatternElement> {
    match v {
        Value::String(s) => match s.as_str() {
            "*" => Some(PatternElement::Any),
            "?" => Some(PatternElement::Same),
            "!" => Some(PatternElement::Except),
            _ => None,
        },
        Value::Number(_) => {
            let n = as_integer(v).ok()?;
            u64::try_from(n).ok().map(PatternElement::Index)
        }
        _ => None,
    }
}

fn parse_patterns(
    id: &str,
    params: Option<&Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<Morphology, GenomeError> {
    let list = params
        .and_then(|p| p.get("patterns"))
        .ok_or_else(|| invalid(id, "missing parameters.patterns"))?;
    let Value::Array(items) = list else {
        return Err(invalid(id, "parameters.patterns must be a list"));
    };
    // A single bare pair `[[sx,sy,sz],[dx,dy,dz]]` is wrapped into a list of one pair.
    let wrapped;
    let pairs: &[Value] = if items.len() == 2 && items.iter().all(is_scalar_triple) {
        warnings.push(
            GenomeWarning::new(
                WarningKind::LegacyMigration,
                "a single bare pattern pair was wrapped into a list",
            )
            .with_morphology_id(id),
        );
        wrapped = [list.clone()];
        &wrapped
    } else {
        items
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (i, pair) in pairs.iter().enumerate() {
        let bad = |why: &str| {
            invalid(id, format!("pattern pair {i} {why}: {}", short(pair))).with_pattern_index(i)
        };
        let Value::Array(sides) = pair else {
            return Err(bad("must be a [source, destination] pair"));
        };
        if sides.len() != 2 {
            return Err(bad(&format!(
                "must have 2 elements (source, destination), found {}",
                sides.len()
            )));
        }
        let mut parsed = [[PatternElement::Any; 3]; 2];
        for (side, slot) in sides.iter().zip(parsed.iter_mut()) {
            let Value::Array(axes) = side else {
                return Err(bad("must hold two 3-element lists"));
            };
            if axes.len() != 3 {
                return Err(bad("must hold two 3-element lists"));
            }
            for (axis, e) in axes.iter().zip(slot.iter_mut()) {
                *e = parse_element(axis).ok_or_else(|| {
                    bad(&format!(
                        "has element {} (allowed: non-negative integer, \"*\", \"?\", \"!\")",
                        short(axis)
                    ))
                })?;
            }
        }
        out.push(PatternPair {
            source: parsed[0],
            destination: parsed[1],
        });
    }
    Ok(Morphology::Patterns(out))
}

fn parse_composite(id: &str, params: Option<&Value>) -> Result<Morphology, GenomeError> {
    let params = params.ok_or_else(|| invalid(id, "missing parameters"))?;
    let seed_v = params
        .get("src_seed")
        .ok_or_else(|| invalid(id, "missing parameters.src_seed"))?;
    let bad_seed = || {
        invalid(
            id,
            format!("src_seed must be 3 integers >= 1, found {}", short(seed_v)),
        )
    };
    let Value::Array(seed_items) = seed_v else {
        return Err(bad_seed());
    };
    if seed_items.len() != 3 {
        return Err(bad_seed());
    }
    let mut src_seed = [1u64; 3];
    for (slot, v) in src_seed.iter_mut().zip(seed_items) {
        let n = as_integer(v).map_err(|_| bad_seed())?;
        *slot = u64::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(bad_seed)?;
    }
    let pat_v = params
        .get("src_pattern")
        .ok_or_else(|| invalid(id, "missing parameters.src_pattern"))?;
    let bad_pat = || {
        invalid(
            id,
            format!(
                "src_pattern must be 3 pairs [c >= 1, s >= 0], found {}",
                short(pat_v)
            ),
        )
    };
    let Value::Array(pat_items) = pat_v else {
        return Err(bad_pat());
    };
    if pat_items.len() != 3 {
        return Err(bad_pat());
    }
    let mut src_pattern = [(1u64, 0u64); 3];
    for (slot, v) in src_pattern.iter_mut().zip(pat_items) {
        let Value::Array(cs) = v else {
            return Err(bad_pat());
        };
        let [c, s] = cs.as_slice() else {
            return Err(bad_pat());
        };
        let c = as_integer(c)
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| *n >= 1)
            .ok_or_else(bad_pat)?;
        let s = as_integer(s)
            .ok()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(bad_pat)?;
        *slot = (c, s);
    }
    let mapper = match params.get("mapper_morphology") {
        Some(Value::String(m)) => renamed(m).to_string(),
        Some(other) => {
            return Err(invalid(
                id,
                format!("mapper_morphology must be a string, found {}", short(other)),
            ))
        }
        None => return Err(invalid(id, "missing parameters.mapper_morphology")),
    };
    Ok(Morphology::Composite(CompositeMorphology {
        src_seed,
        src_pattern,
        mapper_morphology: mapper,
    }))
}

fn validate(
    id: &str,
    raw: &RawEntry,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<Morphology, GenomeError> {
    let params = raw.parameters.as_ref();
    match raw.type_name.as_str() {
        "vectors" => parse_vectors(id, params),
        "patterns" => parse_patterns(id, params, warnings),
        "functions" => FunctionMorphology::from_id(id)
            .map(Morphology::Functions)
            .ok_or_else(|| {
                GenomeError::new(
                    GenomeErrorKind::UnknownFunctionMorphology,
                    format!(
                        "{} is declared as a function morphology but no such function exists",
                        quoted(id)
                    ),
                )
                .with_morphology_id(id)
            }),
        "composite" => parse_composite(id, params),
        "placeholder" => Ok(Morphology::Placeholder),
        other => Err(invalid(id, format!("unknown type {}", quoted(other)))),
    }
}

/// The core morphologies added when a genome lacks them (SPEC §1.7).
fn core_morphologies() -> Vec<(&'static str, Morphology)> {
    use PatternElement::{Any, Index};
    let zero = [Index(0), Index(0), Index(0)];
    let all = [Any, Any, Any];
    vec![
        ("block_to_block", Morphology::Vectors(vec![[0, 0, 0]])),
        (
            "projector",
            Morphology::Functions(FunctionMorphology::Projector),
        ),
        (
            "episodic_memory",
            Morphology::Functions(FunctionMorphology::EpisodicMemory),
        ),
        (
            "memory_replay",
            Morphology::Functions(FunctionMorphology::MemoryReplay),
        ),
        (
            "associative_memory",
            Morphology::Functions(FunctionMorphology::AssociativeMemory),
        ),
        (
            "all_to_0-0-0",
            Morphology::Patterns(vec![PatternPair {
                source: all,
                destination: zero,
            }]),
        ),
        (
            "0-0-0_to_all",
            Morphology::Patterns(vec![PatternPair {
                source: zero,
                destination: all,
            }]),
        ),
        ("lateral_+x", Morphology::Vectors(vec![[1, 0, 0]])),
        ("lateral_-x", Morphology::Vectors(vec![[-1, 0, 0]])),
        ("lateral_+y", Morphology::Vectors(vec![[0, 1, 0]])),
        ("lateral_-y", Morphology::Vectors(vec![[0, -1, 0]])),
        ("lateral_+z", Morphology::Vectors(vec![[0, 0, 1]])),
        ("lateral_-z", Morphology::Vectors(vec![[0, 0, -1]])),
    ]
}

/// Step 4 of the loading pipeline: upgrade, rename, validate, add core morphologies.
pub(crate) fn build_table(
    value: Option<Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<BTreeMap<String, MorphologyEntry>, GenomeError> {
    let entries = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(GenomeError::new(
                GenomeErrorKind::WrongGeneType,
                format!(
                    "neuron_morphologies must be an object, found {}",
                    type_name(&other)
                ),
            )
            .with_gene_key("neuron_morphologies"))
        }
    };

    let mut raw: BTreeMap<String, RawEntry> = BTreeMap::new();
    for (id, v) in entries {
        let entry = upgrade(&id, v)?;
        if entry.upgraded {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::LegacyMigration,
                    format!("no type; upgraded to type {:?}", entry.type_name),
                )
                .with_morphology_id(&id),
            );
        }
        raw.insert(id, entry);
    }

    for (old, new) in RENAMES {
        if let Some(entry) = raw.remove(old) {
            if raw.contains_key(new) {
                warnings.push(
                    GenomeWarning::new(
                        WarningKind::LegacyMigration,
                        format!("dropped: the new name {new:?} is also defined and wins"),
                    )
                    .with_morphology_id(old),
                );
            } else {
                warnings.push(
                    GenomeWarning::new(WarningKind::LegacyMigration, format!("renamed to {new:?}"))
                        .with_morphology_id(old),
                );
                raw.insert(new.to_string(), entry);
            }
        }
    }

    let mut table = BTreeMap::new();
    for (id, entry) in raw {
        let morphology = validate(&id, &entry, warnings)?;
        let origin = if entry.upgraded {
            MorphologyOrigin::Upgraded
        } else {
            MorphologyOrigin::Genome
        };
        table.insert(
            id,
            MorphologyEntry {
                morphology,
                extra: entry.extra,
                origin,
            },
        );
    }

    for (id, morphology) in core_morphologies() {
        table
            .entry(id.to_string())
            .or_insert_with(|| MorphologyEntry {
                morphology,
                extra: Map::new(),
                origin: MorphologyOrigin::Core,
            });
    }

    // Mappers are checked last so that a composite may use a core morphology.
    for (id, entry) in &table {
        if let Morphology::Composite(c) = &entry.morphology {
            match table.get(&c.mapper_morphology) {
                None => {
                    return Err(invalid(
                        id,
                        format!(
                            "mapper_morphology {} does not exist",
                            quoted(&c.mapper_morphology)
                        ),
                    ))
                }
                Some(MorphologyEntry {
                    morphology: Morphology::Composite(_),
                    ..
                }) => {
                    return Err(invalid(
                        id,
                        format!(
                            "mapper_morphology {} is itself a composite",
                            quoted(&c.mapper_morphology)
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(
        v: Value,
    ) -> Result<(BTreeMap<String, MorphologyEntry>, Vec<GenomeWarning>), GenomeError> {
        let mut w = Vec::new();
        build_table(Some(v), &mut w).map(|t| (t, w))
    }

    #[test]
    fn item_7_legacy_forms_are_upgraded() {
        let (t, w) = build(json!({
            "placeholder": {},
            "b2b": {"vectors": [[0, 0, 0]]},
            "p": {"patterns": [[["*", 0, 0], [0, "?", "!"]]]},
            "randomizer": {"functions": true},
            "c": {"composite": {"parameters": {"src_seed": [2, 2, 1], "src_pattern": [[1, 0], [1, 1], [1, 0]]}, "mapper_morphology": "projector"}},
            "memory": {"functions": true}
        }))
        .unwrap();
        assert_eq!(t["placeholder"].morphology, Morphology::Placeholder);
        assert_eq!(t["b2b"].morphology, Morphology::Vectors(vec![[0, 0, 0]]));
        assert_eq!(t["b2b"].origin, MorphologyOrigin::Upgraded);
        assert_eq!(
            t["randomizer"].morphology,
            Morphology::Functions(FunctionMorphology::Randomizer)
        );
        assert!(
            matches!(&t["c"].morphology, Morphology::Composite(c) if c.src_seed == [2, 2, 1] && c.src_pattern[1] == (1, 1))
        );
        assert!(!t.contains_key("memory"));
        assert_eq!(
            t["episodic_memory"].morphology,
            Morphology::Functions(FunctionMorphology::EpisodicMemory)
        );
        assert!(w.iter().all(|w| w.kind == WarningKind::LegacyMigration));
        assert!(w.iter().any(|w| w.message.contains("renamed")));
    }

    #[test]
    fn item_8_core_morphologies_added_and_own_definition_wins() {
        let (t, _) = build(json!({
            "lateral_+x": {"type": "vectors", "parameters": {"vectors": [[2, 0, 0]]}}
        }))
        .unwrap();
        assert_eq!(
            t["lateral_+x"].morphology,
            Morphology::Vectors(vec![[2, 0, 0]])
        );
        assert_eq!(t["lateral_+x"].origin, MorphologyOrigin::Genome);
        assert_eq!(
            t["lateral_-z"].morphology,
            Morphology::Vectors(vec![[0, 0, -1]])
        );
        assert_eq!(t["lateral_-z"].origin, MorphologyOrigin::Core);
        assert_eq!(
            t["block_to_block"].morphology,
            Morphology::Vectors(vec![[0, 0, 0]])
        );
        for id in [
            "projector",
            "episodic_memory",
            "memory_replay",
            "associative_memory",
            "all_to_0-0-0",
            "0-0-0_to_all",
            "lateral_+y",
            "lateral_-y",
            "lateral_+z",
            "lateral_-x",
        ] {
            assert!(t.contains_key(id), "{id}");
        }
        assert_eq!(t.len(), 13);
    }

    #[test]
    fn renamed_old_entry_dropped_when_new_exists() {
        let (t, w) = build(json!({
            "bi_directional_stdp": {"type": "functions", "parameters": {}},
            "associative_memory": {"type": "placeholder"}
        }))
        .unwrap();
        assert_eq!(t["associative_memory"].morphology, Morphology::Placeholder);
        assert!(w.iter().any(|w| w.message.contains("dropped")));
    }

    #[test]
    fn bare_pair_is_wrapped() {
        let (t, w) = build(json!({"p": {"type": "patterns", "parameters": {"patterns": [[1, 2, 3], ["*", "?", 0]]}}})).unwrap();
        let Morphology::Patterns(p) = &t["p"].morphology else {
            panic!()
        };
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].source[2], PatternElement::Index(3));
        assert_eq!(p[0].destination[1], PatternElement::Same);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn item_5_invalid_morphologies_are_located() {
        let e =
            build(json!({"s": {"patterns": [[[0,0,0],[0,0,0]], [[7,1,0]], [0,0,0]]}})).unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::InvalidMorphology);
        assert_eq!(e.morphology_id(), Some("s"));
        assert_eq!(e.pattern_index(), Some(1));
        let e = build(json!({"f": {"type": "functions", "parameters": {}}})).unwrap_err();
        assert_eq!(e.kind, GenomeErrorKind::UnknownFunctionMorphology);
        assert_eq!(e.morphology_id(), Some("f"));
        for bad in [
            json!({"v": {"type": "vectors", "parameters": {"vectors": [[1, 2]]}}}),
            json!({"v": {"type": "vectors", "parameters": {"vectors": [[1, 2, 0.5]]}}}),
            json!({"v": {"type": "vectors"}}),
            json!({"p": {"type": "patterns", "parameters": {"patterns": [[[-1, 0, 0], [0, 0, 0]]]}}}),
            json!({"p": {"type": "patterns", "parameters": {"patterns": [[["2-5", 0, 0], [0, 0, 0]]]}}}),
            json!({"x": {"type": "weird", "parameters": {}}}),
            json!({"x": {"class": "custom"}}),
            json!({"x": 5}),
            json!({"c": {"type": "composite", "parameters": {"src_seed": [0, 1, 1], "src_pattern": [[1,0],[1,0],[1,0]], "mapper_morphology": "projector"}}}),
            json!({"c": {"type": "composite", "parameters": {"src_seed": [1, 1, 1], "src_pattern": [[0,0],[1,0],[1,0]], "mapper_morphology": "projector"}}}),
            json!({"c": {"type": "composite", "parameters": {"src_seed": [1, 1, 1], "src_pattern": [[1,0],[1,0],[1,0]], "mapper_morphology": "nope"}}}),
            json!({"c": {"type": "composite", "parameters": {"src_seed": [1, 1, 1], "src_pattern": [[1,0],[1,0],[1,0]], "mapper_morphology": "c"}}}),
        ] {
            let e = build(bad.clone()).unwrap_err();
            assert_eq!(e.kind, GenomeErrorKind::InvalidMorphology, "{bad}");
            assert!(e.morphology_id().is_some());
        }
    }
}

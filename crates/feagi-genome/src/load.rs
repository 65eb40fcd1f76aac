//! The loading pipeline of SPEC §1.9: JSON to [`Genome`].
//!
//! Loading is a pure function from JSON to [`Genome`]: it either returns a
//! complete genome plus warnings or one structured error, so a failed load
//! cannot change anything the caller holds (D2). Data flows one way:
//! `load` -> {`blueprint`, `rules`, `morphology`} -> `model`.

use crate::blueprint::{added_core_area, build_areas, check_neuron_capacity, parse_blueprint};
use crate::error::{GenomeError, GenomeErrorKind, GenomeWarning, WarningKind};
use crate::model::{Genome, GenomeArea, LoadOptions, Physiology, DEFAULT_SIMULATION_TIMESTEP};
use crate::morphology;
use crate::rules::{memory_warnings, mirror_associative_memory, resolve_rules};
use crate::values::{as_integer, as_number, as_str, json_equal, short, type_name, TypeProblem};
use feagi_types::{AreaIndex, CorticalId};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

impl Genome {
    /// Loads a genome file with the default [`LoadOptions`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Genome, GenomeError> {
        Self::from_path_with_options(path, &LoadOptions::default())
    }

    /// Loads a genome file; errors and warnings carry the file path.
    pub fn from_path_with_options(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            GenomeError::new(GenomeErrorKind::Io, format!("cannot read the genome: {e}"))
                .with_file(&file)
        })?;
        let mut genome =
            Self::from_json_slice_with_options(&bytes, options).map_err(|e| e.with_file(&file))?;
        genome.warnings = std::mem::take(&mut genome.warnings)
            .into_iter()
            .map(|w| w.with_file(&file))
            .collect();
        Ok(genome)
    }

    /// Loads a genome from JSON text with the default [`LoadOptions`].
    pub fn from_json_str(text: &str) -> Result<Genome, GenomeError> {
        Self::from_json_str_with_options(text, &LoadOptions::default())
    }

    /// Loads a genome from JSON text with the given limits.
    pub fn from_json_str_with_options(
        text: &str,
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        Self::from_json_slice_with_options(text.as_bytes(), options)
    }

    /// Loads from raw bytes (invalid UTF-8 is an `InvalidJson` error).
    pub fn from_json_slice(bytes: &[u8]) -> Result<Genome, GenomeError> {
        Self::from_json_slice_with_options(bytes, &LoadOptions::default())
    }

    /// Loads from raw bytes with the given limits; unparsable text is
    /// `InvalidJson` with line and column.
    pub fn from_json_slice_with_options(
        bytes: &[u8],
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            GenomeError::new(
                GenomeErrorKind::InvalidJson,
                format!("invalid JSON: {}", strip_position(&e)),
            )
            .with_position(e.line(), e.column())
        })?;
        Self::from_value_with_options(value, options)
    }

    /// Loads from an already parsed JSON value with the default [`LoadOptions`].
    pub fn from_value(value: Value) -> Result<Genome, GenomeError> {
        Self::from_value_with_options(value, &LoadOptions::default())
    }

    /// Loads from a parsed JSON value with the given limits: SPEC §1.9 from
    /// step 2 on.
    pub fn from_value_with_options(
        value: Value,
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        load(value, options)
    }

    /// The embedded default genome (see [`crate::default_genome_json`]).
    pub fn default_genome() -> Genome {
        // The embedded text is tested to load; the fallback only exists so that
        // this constructor can never panic.
        Self::try_default_genome().unwrap_or_else(|_| Genome::core_only())
    }

    /// The embedded default genome, as a `Result`.
    pub fn try_default_genome() -> Result<Genome, GenomeError> {
        Self::from_json_str(crate::default_genome_json())
    }

    /// A genome holding only the three core areas, with the defaults of SPEC §1.9 step 6.
    pub fn core_only() -> Genome {
        let areas: Vec<GenomeArea> = [CorticalId::DEATH, CorticalId::POWER, CorticalId::FATIGUE]
            .into_iter()
            .map(added_core_area)
            .collect();
        let index = areas.iter().zip(0..).map(|(a, i)| (a.id(), i)).collect();
        let mut warnings = Vec::new();
        let morphologies = morphology::build_table(None, &mut warnings).unwrap_or_default();
        Genome {
            genome_id: None,
            title: None,
            description: None,
            version: "2.0".into(),
            metadata: Map::new(),
            physiology: Physiology::default(),
            areas,
            index,
            morphologies,
            ignored_blueprint_keys: Map::new(),
            warnings,
            neuron_count: 3,
            uses_plasticity: false,
        }
    }
}

/// serde_json appends " at line L column C"; the locators carry that already.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

const LEGACY_PHYSIOLOGY_KEYS: [&str; 6] = [
    "burst_delay",
    "max_age",
    "evolution_burst_count",
    "ipu_idle_threshold",
    "plasticity_queue_depth",
    "lifespan_mgmt_interval",
];

const METADATA_KEYS: [&str; 11] = [
    "genome_id",
    "genome_title",
    "genome_description",
    "timestamp",
    "stats",
    "signatures",
    "hosts",
    "brain_regions",
    "brain_regions_root",
    "visualization_voxel_granularity_overrides",
    "species",
];

fn load(root: Value, options: &LoadOptions) -> Result<Genome, GenomeError> {
    let Value::Object(mut top) = root else {
        return Err(GenomeError::new(
            GenomeErrorKind::InvalidJson,
            format!("a genome must be a JSON object, found {}", type_name(&root)),
        ));
    };
    let mut warnings = Vec::new();

    migrate_legacy_keys(&mut top, &mut warnings)?;
    let version = version_gate(top.remove("version"), &mut warnings)?;
    let physiology = parse_physiology(top.remove("physiology"), &mut warnings)?;
    let morphologies = morphology::build_table(top.remove("neuron_morphologies"), &mut warnings)?;

    let (raw_areas, ignored_blueprint_keys) =
        parse_blueprint(top.remove("blueprint"), &mut warnings)?;

    let mut metadata = Map::new();
    for (key, value) in top {
        if !METADATA_KEYS.contains(&key.as_str()) {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::IgnoredKey,
                    format!("unknown top-level key {key:?} kept but not used"),
                )
                .with_gene_key(&key),
            );
        }
        metadata.insert(key, value);
    }
    let text_of = |key: &str| {
        metadata
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };

    let built = build_areas(raw_areas, &mut warnings)?;
    let neuron_count = check_neuron_capacity(&built, options)?;

    let index: BTreeMap<CorticalId, AreaIndex> = built
        .iter()
        .zip(0..)
        .map(|(b, i)| (b.area.area.id, i))
        .collect();
    let mut areas = resolve_rules(built, &index, &morphologies, &physiology, &mut warnings)?;
    mirror_associative_memory(&mut areas, &mut warnings);
    for area in &mut areas {
        let ids: BTreeSet<&str> = area
            .rules
            .iter()
            .map(|r| r.morphology_id.as_str())
            .collect();
        area.morphology_ids = ids.into_iter().map(str::to_string).collect();
    }
    let uses_plasticity = memory_warnings(&areas, &morphologies, &mut warnings)?;

    Ok(Genome {
        genome_id: text_of("genome_id"),
        title: text_of("genome_title"),
        description: text_of("genome_description"),
        version,
        metadata,
        physiology,
        areas,
        index,
        morphologies,
        ignored_blueprint_keys,
        warnings,
        neuron_count,
        uses_plasticity,
    })
}

/// Step 2: legacy top-level physiology keys move into `physiology`.
fn migrate_legacy_keys(
    top: &mut Map<String, Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<(), GenomeError> {
    for key in LEGACY_PHYSIOLOGY_KEYS {
        let Some(value) = top.remove(key) else {
            continue;
        };
        let physiology = top
            .entry("physiology")
            .or_insert_with(|| Value::Object(Map::new()));
        if physiology.is_null() {
            *physiology = Value::Object(Map::new());
        }
        let Value::Object(map) = physiology else {
            return Err(GenomeError::new(
                GenomeErrorKind::WrongGeneType,
                format!(
                    "physiology must be an object, found {}",
                    type_name(physiology)
                ),
            )
            .with_gene_key("physiology"));
        };
        map.insert(key.to_string(), value);
        warnings.push(
            GenomeWarning::new(
                WarningKind::LegacyMigration,
                format!("top-level {key:?} moved into physiology"),
            )
            .with_gene_key(key),
        );
    }
    if top.remove("max_burst_count").is_some() {
        warnings.push(
            GenomeWarning::new(
                WarningKind::LegacyMigration,
                "top-level \"max_burst_count\" dropped",
            )
            .with_gene_key("max_burst_count"),
        );
    }
    Ok(())
}

/// Step 3: `2.*` and `3.0` are accepted; a missing version means 2.0.
fn version_gate(
    version: Option<Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<String, GenomeError> {
    match version {
        None | Some(Value::Null) => {
            warnings.push(
                GenomeWarning::new(WarningKind::MissingVersion, "no version; 2.0 assumed")
                    .with_gene_key("version"),
            );
            Ok("2.0".into())
        }
        Some(Value::String(v)) if v.starts_with("2.") || v == "3.0" => Ok(v),
        Some(other) => Err(GenomeError::new(
            GenomeErrorKind::UnsupportedVersion,
            format!(
                "unsupported genome version {}; expected \"2.x\" or \"3.0\"",
                short(&other)
            ),
        )
        .with_gene_key("version")),
    }
}

fn physiology_error(key: &str, problem: &TypeProblem) -> GenomeError {
    GenomeError::new(
        GenomeErrorKind::WrongGeneType,
        format!("physiology {key}: {}", problem.describe()),
    )
    .with_gene_key(format!("physiology.{key}"))
}

/// Removes a physiology key; `null` counts as absent (warning).
fn take_physiology(
    map: &mut Map<String, Value>,
    warnings: &mut Vec<GenomeWarning>,
    key: &str,
) -> Option<Value> {
    match map.remove(key) {
        Some(Value::Null) => {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::NullGene,
                    format!("physiology {key} is null; default used"),
                )
                .with_gene_key(format!("physiology.{key}")),
            );
            None
        }
        other => other,
    }
}

fn parse_physiology(
    value: Option<Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<Physiology, GenomeError> {
    let mut map = match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(GenomeError::new(
                GenomeErrorKind::WrongGeneType,
                format!("physiology must be an object, found {}", type_name(&other)),
            )
            .with_gene_key("physiology"))
        }
    };
    let mut physiology = Physiology::default();
    let timestep = take_physiology(&mut map, warnings, "simulation_timestep");
    let burst_delay = take_physiology(&mut map, warnings, "burst_delay");
    let (key, value) = match (timestep, burst_delay) {
        (Some(t), Some(b)) => {
            if !json_equal(&t, &b) {
                warnings.push(
                    GenomeWarning::new(
                        WarningKind::IgnoredKey,
                        format!(
                            "physiology burst_delay {} ignored: simulation_timestep {} is also set",
                            short(&b),
                            short(&t)
                        ),
                    )
                    .with_gene_key("physiology.burst_delay"),
                );
            }
            map.insert("burst_delay".into(), b);
            ("simulation_timestep", Some(t))
        }
        (Some(t), None) => ("simulation_timestep", Some(t)),
        (None, Some(b)) => ("burst_delay", Some(b)),
        (None, None) => ("simulation_timestep", None),
    };
    if let Some(v) = value {
        let t = as_number(&v).map_err(|p| physiology_error(key, &p))?;
        if t > 0.0 {
            physiology.simulation_timestep = t;
        } else {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::AutoFixed,
                    format!(
                        "physiology {key} {t} is not positive; {DEFAULT_SIMULATION_TIMESTEP} used"
                    ),
                )
                .with_gene_key(format!("physiology.{key}")),
            );
        }
    }

    if let Some(v) = take_physiology(&mut map, warnings, "plasticity_queue_depth") {
        let key = "plasticity_queue_depth";
        let n = as_integer(&v).map_err(|p| physiology_error(key, &p))?;
        physiology.plasticity_queue_depth =
            u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
                GenomeError::new(
                    GenomeErrorKind::ValueOutOfRange,
                    format!("physiology {key} {n} is out of range 1..{}", u32::MAX),
                )
                .with_gene_key(format!("physiology.{key}"))
            })?;
    }

    if let Some(v) = take_physiology(&mut map, warnings, "quantization_precision") {
        let key = "quantization_precision";
        let p = as_str(&v).map_err(|p| physiology_error(key, &p))?;
        if !matches!(p.to_ascii_lowercase().as_str(), "fp32" | "f32" | "float32") {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::UnsupportedPrecision,
                    format!("quantization_precision {p:?} is not supported; f32 is used"),
                )
                .with_gene_key(format!("physiology.{key}")),
            );
        }
        physiology.quantization_precision = p.to_string();
    }
    physiology.other = map;
    Ok(physiology)
}

//! The loading pipeline of SPEC §1.9: JSON to [`Genome`].
//!
//! Loading is a pure function from JSON to [`Genome`]: it either returns a
//! complete genome plus warnings or one structured error, so a failed load
//! cannot change anything the caller holds (D2). Data flows one way:
//! `load` -> {`blueprint`, `rules`, `morphology`} -> `model`.

use crate::blueprint::{added_core_area, build_areas, check_neuron_capacity, parse_blueprint};
use crate::error::{
    bounded, quoted, GenomeError, GenomeErrorKind, GenomeWarning, Resource, WarningKind,
    MAX_QUOTED_CHARS,
};
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
    ///
    /// Only regular files are read: a directory, FIFO, device or socket is
    /// refused (`Io`) before it is opened, so `/dev/zero` or a FIFO cannot
    /// make the load read forever or block. A file larger than
    /// [`LoadOptions::max_genome_bytes`] is `CapacityExceeded` before a byte
    /// is read. A path of 4096 bytes or more (Linux `PATH_MAX`) is refused
    /// (`Io`) before the system sees it. Messages quote at most the first 200
    /// characters of the path.
    pub fn from_path_with_options(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        Ok(Self::from_path_with_source(path, options)?.0)
    }

    /// [`Genome::from_path_with_options`], also giving the file's text (what
    /// a snapshot records as the genome the brain came from): one read,
    /// with the same checks.
    pub fn from_path_with_source(
        path: impl AsRef<Path>,
        options: &LoadOptions,
    ) -> Result<(Genome, String), GenomeError> {
        let path = path.as_ref();
        let file = display_path(path);
        let bytes = read_genome_file(path, options).map_err(|e| e.with_file(&file))?;
        let mut genome =
            Self::from_json_slice_with_options(&bytes, options).map_err(|e| e.with_file(&file))?;
        // It parsed as JSON, so it is UTF-8 (a leading BOM included).
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        genome.warnings = std::mem::take(&mut genome.warnings)
            .into_iter()
            .map(|w| w.with_file(&file))
            .collect();
        Ok((genome, text))
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
    /// `InvalidJson` with line and column. A leading UTF-8 byte order mark is
    /// skipped. Text longer than [`LoadOptions::max_genome_bytes`], or whose
    /// parsed form would need more memory than the memory limit allows, is
    /// `CapacityExceeded` before it is parsed.
    pub fn from_json_slice_with_options(
        bytes: &[u8],
        options: &LoadOptions,
    ) -> Result<Genome, GenomeError> {
        check_genome_size(bytes.len() as u64, options)?;
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        check_parse_memory(bytes, options)?;
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

/// The byte order mark some editors put at the start of a UTF-8 file.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The longest path Linux accepts (`PATH_MAX`, including the final NUL).
const MAX_PATH_BYTES: usize = 4096;

/// A path as messages show it: its first [`MAX_QUOTED_CHARS`] characters,
/// without ever converting more than a few hundred bytes of it.
fn display_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_encoded_bytes();
    // Every char takes at most 4 bytes, so this prefix holds enough of them.
    let head = &bytes[..bytes.len().min(4 * MAX_QUOTED_CHARS + 4)];
    let text = bounded(&String::from_utf8_lossy(head));
    if head.len() < bytes.len() && !text.ends_with("...") {
        format!("{text}...")
    } else {
        text
    }
}

/// What kind of non-regular file `meta` describes, for the refusal message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let ty = meta.file_type();
    if ty.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ty.is_fifo() {
            return "a FIFO";
        }
        if ty.is_char_device() {
            return "a character device";
        }
        if ty.is_block_device() {
            return "a block device";
        }
        if ty.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

fn io_error(message: String) -> GenomeError {
    GenomeError::new(GenomeErrorKind::Io, message)
}

/// Reads a genome file: regular files only, at most `max_genome_bytes`.
fn read_genome_file(path: &Path, options: &LoadOptions) -> Result<Vec<u8>, GenomeError> {
    use std::io::Read;
    let path_len = path.as_os_str().len();
    if path_len >= MAX_PATH_BYTES {
        return Err(io_error(format!(
            "cannot read the genome: the path is {path_len} bytes long; the system limit is {} bytes",
            MAX_PATH_BYTES - 1
        )));
    }
    let refuse = |meta: &std::fs::Metadata| -> Result<(), GenomeError> {
        if meta.is_file() {
            return Ok(());
        }
        Err(io_error(format!(
            "cannot read the genome: the path is {}; only regular files are read",
            file_kind(meta)
        )))
    };
    // stat before opening: opening a FIFO for reading would block.
    let meta =
        std::fs::metadata(path).map_err(|e| io_error(format!("cannot read the genome: {e}")))?;
    refuse(&meta)?;
    check_genome_size(meta.len(), options)?;
    let file =
        std::fs::File::open(path).map_err(|e| io_error(format!("cannot read the genome: {e}")))?;
    // The path may have been replaced since the stat: check what was opened.
    let meta = file
        .metadata()
        .map_err(|e| io_error(format!("cannot read the genome: {e}")))?;
    refuse(&meta)?;
    check_genome_size(meta.len(), options)?;
    let mut bytes = Vec::new();
    let expected = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    bytes.try_reserve_exact(expected).map_err(|_| {
        GenomeError::capacity_exceeded(
            Resource::MemoryBytes,
            meta.len(),
            None,
            format!("cannot allocate {} bytes to read the genome", meta.len()),
        )
    })?;
    // Some regular files (/proc) report size 0 or grow while read: never read
    // more than the cap, plus one byte to tell that it was passed.
    file.take(options.max_genome_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(format!("cannot read the genome: {e}")))?;
    if bytes.len() as u64 > options.max_genome_bytes {
        return Err(GenomeError::capacity_exceeded(
            Resource::GenomeBytes,
            bytes.len() as u64,
            Some(options.max_genome_bytes),
            format!(
                "the genome is more than {} bytes long, the limit (LoadOptions::max_genome_bytes)",
                options.max_genome_bytes
            ),
        ));
    }
    Ok(bytes)
}

/// Refuses genome text longer than `max_genome_bytes`.
fn check_genome_size(len: u64, options: &LoadOptions) -> Result<(), GenomeError> {
    if len <= options.max_genome_bytes {
        return Ok(());
    }
    Err(GenomeError::capacity_exceeded(
        Resource::GenomeBytes,
        len,
        Some(options.max_genome_bytes),
        format!(
            "the genome is {len} bytes long; the limit (LoadOptions::max_genome_bytes) is {} bytes",
            options.max_genome_bytes
        ),
    ))
}

/// Memory a parsed JSON value takes per element (a 32-byte `Value` plus the
/// slack of its growing vector), measured on serde_json 1.
const PARSE_BYTES_PER_VALUE: u64 = 48;
/// Memory of a non-empty JSON object beyond its entries: the first node of its
/// B-tree map (about 600 bytes), measured likewise.
const PARSE_BYTES_PER_OBJECT: u64 = 640;
/// Memory per object entry: its key string, its share of the map's nodes and,
/// for the keys a genome does not use, the warning that reports it (measured
/// at about 500 bytes for a top-level object of unknown keys).
const PARSE_BYTES_PER_KEY: u64 = 512;
/// Bound on [`parse_memory_estimate`] per byte of valid JSON (the densest
/// text, `[{"":0},{"":0},...]`, comes to about 180); below it times the text,
/// [`check_parse_memory`] does not need to scan.
const PARSE_WORST_FACTOR: u64 = 192;

/// Upper estimate of the memory loading `bytes` needs: the text, a copy of
/// its strings, a `Value` per element, a map per non-empty object and a key
/// (and possibly a warning) per entry, counted from the structural characters
/// outside strings. Measured against serde_json 1 it comes to 1 to 2 times
/// the real peak.
pub(crate) fn parse_memory_estimate(bytes: &[u8]) -> u64 {
    let (mut in_string, mut escaped) = (false, false);
    let (mut values, mut objects, mut keys) = (1u64, 0u64, 0u64);
    // The last structural character outside strings.
    let mut last = b' ';
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                // A key right after `{`: the object is not empty.
                if last == b'{' {
                    objects += 1;
                }
            }
            b',' | b'[' | b'{' => values += 1,
            b':' => keys += 1,
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
    }
    let len = bytes.len() as u64;
    len.saturating_mul(2)
        .saturating_add(values.saturating_mul(PARSE_BYTES_PER_VALUE))
        .saturating_add(objects.saturating_mul(PARSE_BYTES_PER_OBJECT))
        .saturating_add(keys.saturating_mul(PARSE_BYTES_PER_KEY))
}

/// Refuses text whose parsed form would not fit the memory limit.
fn check_parse_memory(bytes: &[u8], options: &LoadOptions) -> Result<(), GenomeError> {
    let len = bytes.len() as u64;
    let worst = len.saturating_mul(PARSE_WORST_FACTOR);
    // Small texts cannot matter; skip reading the limit and scanning.
    if worst < (64 << 20) {
        return Ok(());
    }
    let Some(limit) = options.effective_memory_limit() else {
        return Ok(());
    };
    if worst <= limit {
        return Ok(());
    }
    let needed = parse_memory_estimate(bytes);
    if needed <= limit {
        return Ok(());
    }
    Err(GenomeError::capacity_exceeded(
        Resource::MemoryBytes,
        needed,
        Some(limit),
        format!(
            "parsing this {len}-byte genome would need about {needed} bytes of memory; the memory limit (LoadOptions::memory_limit, by default the available memory) is {limit} bytes"
        ),
    ))
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
                    format!("unknown top-level key {} kept but not used", quoted(&key)),
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
                    format!(
                        "quantization_precision {} is not supported; f32 is used",
                        quoted(p)
                    ),
                )
                .with_gene_key(format!("physiology.{key}")),
            );
        }
        physiology.quantization_precision = p.to_string();
    }
    physiology.other = map;
    Ok(physiology)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_estimates_count_structure_outside_strings_only() {
        let plain = parse_memory_estimate(b"[1,2,3]");
        // Commas, colons and braces inside strings (even after escaped quotes) do not count.
        let text = br#"["a,b:{c", "\",[{:"]"#;
        let strings = parse_memory_estimate(text);
        // The root, `[` and two commas: one more than the elements, an upper count.
        assert_eq!(plain, 2 * 7 + 4 * PARSE_BYTES_PER_VALUE);
        assert_eq!(strings, 2 * text.len() as u64 + 3 * PARSE_BYTES_PER_VALUE);
        // An empty object costs no map; a non-empty one does.
        let empty = parse_memory_estimate(b"{}");
        let full = parse_memory_estimate(br#"{ "a":1}"#);
        assert_eq!(empty, 4 + 2 * PARSE_BYTES_PER_VALUE);
        assert_eq!(
            full,
            16 + 2 * PARSE_BYTES_PER_VALUE + PARSE_BYTES_PER_OBJECT + PARSE_BYTES_PER_KEY
        );
        // The densest valid text stays under the factor that lets small texts skip the scan.
        let dense = format!("[{}{{}}]", r#"{"":0},"#.repeat(1000));
        assert!(parse_memory_estimate(dense.as_bytes()) < PARSE_WORST_FACTOR * dense.len() as u64);
    }

    #[test]
    fn long_paths_are_displayed_short() {
        let long = "é".repeat(5000);
        let shown = display_path(Path::new(&long));
        assert_eq!(shown.chars().count(), MAX_QUOTED_CHARS + 3);
        assert!(shown.ends_with("..."));
        assert_eq!(display_path(Path::new("a/b.json")), "a/b.json");
    }
}

//! Structured load errors and warnings (SPEC §1.10).
//!
//! Both carry the same optional locators, so a person (or the CLI, which
//! prints them as JSON) can find the offending place in the genome file.

use serde::Serialize;
use std::fmt;

/// Longest prefix, in characters, of a path, id or other input string that an
/// error or warning quotes; longer ones end in `...`.
pub const MAX_QUOTED_CHARS: usize = 200;

/// Longest message, in characters, an error or warning keeps (a safety net:
/// messages quote inputs through [`bounded`] already).
const MAX_MESSAGE_CHARS: usize = 2000;

/// `s` cut to its first `max` characters plus `...` when longer. Only the
/// kept prefix is scanned, so a 2 GB input costs no more than a short one.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_string(),
    }
}

/// An input string (path, key, id) as errors and warnings show it: at most
/// [`MAX_QUOTED_CHARS`] characters, then `...`.
pub(crate) fn bounded(s: &str) -> String {
    cut(s, MAX_QUOTED_CHARS)
}

/// [`bounded`] for an owned string: no copy when it is short enough.
fn bounded_owned(s: String) -> String {
    if s.len() <= MAX_QUOTED_CHARS {
        s
    } else {
        bounded(&s)
    }
}

/// [`bounded`], quoted and escaped like `{:?}`.
pub(crate) fn quoted(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => format!("{:?}...", &s[..end]),
        None => format!("{s:?}"),
    }
}

/// What a `CapacityExceeded` error found too big.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// The genome text, in bytes ([`crate::LoadOptions::max_genome_bytes`]).
    GenomeBytes,
    /// A grid dimension (the limit is 2^32 - 1).
    Dimension,
    /// Regular neurons ([`crate::LoadOptions::max_neurons`]).
    Neurons,
    /// Synapses ([`crate::LoadOptions::max_synapses`]).
    Synapses,
    /// Memory in bytes ([`crate::LoadOptions::memory_limit`]), estimated
    /// before parsing or developing, or an allocation that failed.
    MemoryBytes,
}

impl Resource {
    /// The name used in JSON output and messages (`"synapses"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Resource::GenomeBytes => "genome_bytes",
            Resource::Dimension => "dimension",
            Resource::Neurons => "neurons",
            Resource::Synapses => "synapses",
            Resource::MemoryBytes => "memory_bytes",
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The numbers behind a `CapacityExceeded` error: what was too big, how big,
/// and the limit it passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Capacity {
    /// What was too big.
    pub resource: Resource,
    /// How much was needed (saturating at `u64::MAX`). For a synapse budget
    /// found exceeded during development, a lower bound (`limit + 1` at least).
    pub needed: u64,
    /// The limit passed; `None` when an allocation failed below any known limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
}

/// Every way a load or a development can fail (SPEC §1.10, plus `Io`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum GenomeErrorKind {
    /// The genome file could not be read.
    Io,
    /// The text is not valid JSON (with 1-based line and column), or the
    /// document is not a JSON object (SPEC §1.9 step 1).
    InvalidJson,
    /// `version` is neither `2.*` nor `3.0`, or is not a string (SPEC §1.2).
    UnsupportedVersion,
    /// A cortical id matches none of the spellings of SPEC §1.3 (wrong length,
    /// bad characters or base64, bad byte 0, a `_` id that is not a core id).
    MalformedCorticalId,
    /// Two spellings in one genome (areas, or keys of one mapping object)
    /// canonicalize to the same cortical id (SPEC §1.3, §1.6).
    DuplicateArea,
    /// A grid dimension or neuron count per voxel is negative or not a number
    /// (SPEC §1.4).
    InvalidDimension,
    /// A consumed gene or physiology key has the wrong JSON type, e.g. `2.5`
    /// or a string for an integer gene (SPEC §1.4, §1.8).
    WrongGeneType,
    /// An integer gene lies outside its range, e.g. `refractory_period` 70000
    /// (SPEC §1.4).
    ValueOutOfRange,
    /// Two flat keys name the same gene of one area (differing only in `<cls>`
    /// or `<tag>`) with different values (SPEC §1.2).
    ConflictingGene,
    /// A mapping rule has an unsupported array length, a non-string
    /// morphology id, a non-bool flag, a fractional multiplier or a bad
    /// plasticity field (SPEC §1.6).
    MalformedRule,
    /// A mapping rule names a morphology that is not in the table (SPEC §1.6).
    UnknownMorphology,
    /// A morphology entry fails validation or has an unknown `type` (SPEC §1.7);
    /// names the morphology and, for patterns, the pair index.
    InvalidMorphology,
    /// A `functions` morphology whose id is not one of SPEC §3.3.3.
    UnknownFunctionMorphology,
    /// A mapping rule's destination is not an area of the genome, even after
    /// the core areas are added (SPEC §1.6).
    MissingDestinationArea,
    /// The genome (its text, a dimension, its neurons, synapses or the memory
    /// they need) is larger than [`crate::LoadOptions`] or SPEC §2.2 allow,
    /// or memory for it cannot be allocated. [`GenomeError::capacity`] says
    /// what, how big and the limit.
    CapacityExceeded,
}

impl GenomeErrorKind {
    /// The kind's name as it appears in JSON output (`"InvalidJson"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            GenomeErrorKind::Io => "Io",
            GenomeErrorKind::InvalidJson => "InvalidJson",
            GenomeErrorKind::UnsupportedVersion => "UnsupportedVersion",
            GenomeErrorKind::MalformedCorticalId => "MalformedCorticalId",
            GenomeErrorKind::DuplicateArea => "DuplicateArea",
            GenomeErrorKind::InvalidDimension => "InvalidDimension",
            GenomeErrorKind::WrongGeneType => "WrongGeneType",
            GenomeErrorKind::ValueOutOfRange => "ValueOutOfRange",
            GenomeErrorKind::ConflictingGene => "ConflictingGene",
            GenomeErrorKind::MalformedRule => "MalformedRule",
            GenomeErrorKind::UnknownMorphology => "UnknownMorphology",
            GenomeErrorKind::InvalidMorphology => "InvalidMorphology",
            GenomeErrorKind::UnknownFunctionMorphology => "UnknownFunctionMorphology",
            GenomeErrorKind::MissingDestinationArea => "MissingDestinationArea",
            GenomeErrorKind::CapacityExceeded => "CapacityExceeded",
        }
    }
}

impl fmt::Display for GenomeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Kinds of load warnings: the load succeeded, but something was ignored,
/// clamped, fixed or migrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum WarningKind {
    /// An exon or hierarchical property the gene table does not know; kept.
    UnknownGene,
    /// A key that is kept but not used (`_____10b-` genes, odd keys, unknown top-level keys).
    IgnoredKey,
    /// A number was clamped into its documented range.
    ValueClamped,
    /// An invalid value was replaced by a documented substitute (dimension 0 -> 1, ...).
    AutoFixed,
    /// A legacy form was rewritten (moved physiology keys, renamed ids or morphologies, untyped morphologies).
    LegacyMigration,
    /// A `morphology_scalar` other than `[1,1,1]` or `1`; it has no effect.
    ScalarIgnored,
    /// A quantization precision other than fp32; f32 is used.
    UnsupportedPrecision,
    /// No `version`; "2.0" assumed.
    MissingVersion,
    /// A consumed gene set to `null`; treated as absent.
    NullGene,
    /// An `associative_memory` list was mirrored to the reverse direction (SPEC §6.1).
    MirroredRule,
    /// Several rules register STDP for the same area pair; the last one wins (SPEC §6.1).
    DuplicateStdp,
    /// Plasticity or memory genes are present but plasticity is switched off
    /// (SPEC §6, M1 semantics); see `Genome::warnings_for`.
    PlasticityInactive,
    /// A memory gene refers to something that does not exist (no twin area, an
    /// `episodic_memory` rule into a non-memory area).
    MemoryReference,
}

impl WarningKind {
    /// The kind's name as it appears in JSON output (`"UnknownGene"`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            WarningKind::UnknownGene => "UnknownGene",
            WarningKind::IgnoredKey => "IgnoredKey",
            WarningKind::ValueClamped => "ValueClamped",
            WarningKind::AutoFixed => "AutoFixed",
            WarningKind::LegacyMigration => "LegacyMigration",
            WarningKind::ScalarIgnored => "ScalarIgnored",
            WarningKind::UnsupportedPrecision => "UnsupportedPrecision",
            WarningKind::MissingVersion => "MissingVersion",
            WarningKind::NullGene => "NullGene",
            WarningKind::MirroredRule => "MirroredRule",
            WarningKind::DuplicateStdp => "DuplicateStdp",
            WarningKind::PlasticityInactive => "PlasticityInactive",
            WarningKind::MemoryReference => "MemoryReference",
        }
    }
}

impl fmt::Display for WarningKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in a genome something happened. Every field is optional; only the
/// applicable ones are set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Locators {
    /// Path of the genome file, when loaded from a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Full flat key (`_____10c-cInput-nx-refrac-i`) or hierarchical path (`cInput.refractory_period`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gene_key: Option<String>,
    /// The area id as written in the genome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cortical_id: Option<String>,
    /// A mapping destination id as written in the genome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_id: Option<String>,
    /// 0-based position of the rule in its destination list (SPEC §1.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    /// The morphology id concerned (as written, for a rule reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub morphology_id: Option<String>,
    /// 0-based index of the offending pair of a `patterns` morphology.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern_index: Option<usize>,
    /// 1-based, for `InvalidJson`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based, for `InvalidJson`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Locators {
    /// One readable prefix such as `genome.json: gene _____10c-cInput-nx-refrac-i`.
    fn render_prefix(&self) -> String {
        let mut where_parts: Vec<String> = Vec::new();
        if let Some(g) = &self.gene_key {
            where_parts.push(format!("gene {g}"));
        } else if let Some(c) = &self.cortical_id {
            // The gene key already names the area, so only say it when there is no key.
            where_parts.push(format!("area {c}"));
        }
        if let Some(d) = &self.destination_id {
            where_parts.push(format!("destination {d}"));
        }
        if let Some(r) = self.rule_index {
            where_parts.push(format!("rule {r}"));
        }
        if let Some(m) = &self.morphology_id {
            where_parts.push(format!("morphology {m}"));
        }
        if let Some(p) = self.pattern_index {
            where_parts.push(format!("pattern {p}"));
        }
        match (self.line, self.column) {
            (Some(l), Some(c)) => where_parts.push(format!("line {l}, column {c}")),
            (Some(l), None) => where_parts.push(format!("line {l}")),
            _ => {}
        }
        let mut out = String::new();
        if let Some(f) = &self.file {
            out.push_str(f);
        }
        if !where_parts.is_empty() {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&where_parts.join(", "));
        }
        out
    }

    fn render(&self, message: &str) -> String {
        let prefix = self.render_prefix();
        if prefix.is_empty() {
            message.to_string()
        } else {
            format!("{prefix}: {message}")
        }
    }
}

/// Builder-style setters shared by errors and warnings.
macro_rules! locator_setters {
    () => {
        /// Sets the genome file path locator (its first
        /// [`MAX_QUOTED_CHARS`] characters; so are all string locators).
        pub fn with_file(mut self, file: impl Into<String>) -> Self {
            self.locators.file = Some(bounded_owned(file.into()));
            self
        }
        /// Sets the gene key locator (full flat key or hierarchical path).
        pub fn with_gene_key(mut self, key: impl Into<String>) -> Self {
            self.locators.gene_key = Some(bounded_owned(key.into()));
            self
        }
        /// Sets the area locator: the cortical id as written in the genome.
        pub fn with_cortical_id(mut self, id: impl Into<String>) -> Self {
            self.locators.cortical_id = Some(bounded_owned(id.into()));
            self
        }
        /// Sets the mapping destination locator, as written in the genome.
        pub fn with_destination_id(mut self, id: impl Into<String>) -> Self {
            self.locators.destination_id = Some(bounded_owned(id.into()));
            self
        }
        /// Sets the 0-based rule index locator.
        pub fn with_rule_index(mut self, index: usize) -> Self {
            self.locators.rule_index = Some(index);
            self
        }
        /// Sets the morphology id locator.
        pub fn with_morphology_id(mut self, id: impl Into<String>) -> Self {
            self.locators.morphology_id = Some(bounded_owned(id.into()));
            self
        }
        /// Sets the 0-based pattern pair index locator.
        pub fn with_pattern_index(mut self, index: usize) -> Self {
            self.locators.pattern_index = Some(index);
            self
        }
        /// Sets the 1-based line and column locators (for `InvalidJson`).
        pub fn with_position(mut self, line: usize, column: usize) -> Self {
            self.locators.line = Some(line);
            self.locators.column = Some(column);
            self
        }
    };
}

/// A failed load or development: one structured value (SPEC §1.10, D2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.locators.render(&self.message))]
pub struct GenomeError {
    /// What went wrong (SPEC §1.10).
    pub kind: GenomeErrorKind,
    /// Human-readable explanation, without the locators.
    pub message: String,
    /// Boxed so that `Result<_, GenomeError>` stays small on hot paths.
    #[serde(flatten)]
    pub locators: Box<Locators>,
    /// For `CapacityExceeded`: what was too big, how big and the limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Box<Capacity>>,
}

impl GenomeError {
    /// An error with no locators yet; add them with the `with_*` setters.
    /// Messages longer than 2000 characters are cut.
    pub fn new(kind: GenomeErrorKind, message: impl Into<String>) -> Self {
        GenomeError {
            kind,
            message: bound_message(message.into()),
            locators: Box::default(),
            capacity: None,
        }
    }

    /// A `CapacityExceeded` error: `resource` needed `needed`, beyond `limit`
    /// (`None` when an allocation failed without a known limit).
    pub fn capacity_exceeded(
        resource: Resource,
        needed: u64,
        limit: Option<u64>,
        message: impl Into<String>,
    ) -> Self {
        let mut e = GenomeError::new(GenomeErrorKind::CapacityExceeded, message);
        e.capacity = Some(Box::new(Capacity {
            resource,
            needed,
            limit,
        }));
        e
    }

    /// What was too big, how big and the limit, for `CapacityExceeded`.
    pub fn capacity(&self) -> Option<&Capacity> {
        self.capacity.as_deref()
    }

    locator_setters!();

    /// Path of the genome file, when loaded from a file.
    pub fn file(&self) -> Option<&str> {
        self.locators.file.as_deref()
    }
    /// Full flat key or hierarchical property path of the offending gene.
    pub fn gene_key(&self) -> Option<&str> {
        self.locators.gene_key.as_deref()
    }
    /// The area's id as written in the genome.
    pub fn cortical_id(&self) -> Option<&str> {
        self.locators.cortical_id.as_deref()
    }
    /// The mapping destination id as written in the genome.
    pub fn destination_id(&self) -> Option<&str> {
        self.locators.destination_id.as_deref()
    }
    /// 0-based position of the rule in its destination list.
    pub fn rule_index(&self) -> Option<usize> {
        self.locators.rule_index
    }
    /// The morphology id concerned.
    pub fn morphology_id(&self) -> Option<&str> {
        self.locators.morphology_id.as_deref()
    }
    /// 0-based index of the offending pattern pair.
    pub fn pattern_index(&self) -> Option<usize> {
        self.locators.pattern_index
    }
    /// 1-based line of an `InvalidJson` error.
    pub fn line(&self) -> Option<usize> {
        self.locators.line
    }
    /// 1-based column of an `InvalidJson` error.
    pub fn column(&self) -> Option<usize> {
        self.locators.column
    }
}

fn bound_message(message: String) -> String {
    if message.len() <= MAX_MESSAGE_CHARS {
        message
    } else {
        cut(&message, MAX_MESSAGE_CHARS)
    }
}

/// Something a successful load reports (SPEC §1.10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenomeWarning {
    /// What was ignored, clamped, fixed or migrated.
    pub kind: WarningKind,
    /// Human-readable explanation, without the locators.
    pub message: String,
    /// Where the warning applies (file, gene, area, rule, ...); boxed like `GenomeError`'s.
    #[serde(flatten)]
    pub locators: Box<Locators>,
}

impl GenomeWarning {
    /// A warning with no locators yet; add them with the `with_*` setters.
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        GenomeWarning {
            kind,
            message: bound_message(message.into()),
            locators: Box::default(),
        }
    }

    locator_setters!();

    /// Full flat key or hierarchical property path of the gene concerned.
    pub fn gene_key(&self) -> Option<&str> {
        self.locators.gene_key.as_deref()
    }
    /// The area's id as written in the genome.
    pub fn cortical_id(&self) -> Option<&str> {
        self.locators.cortical_id.as_deref()
    }
    /// The morphology id concerned.
    pub fn morphology_id(&self) -> Option<&str> {
        self.locators.morphology_id.as_deref()
    }
}

impl fmt::Display for GenomeWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.locators.render(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_locators() {
        let e = GenomeError::new(
            GenomeErrorKind::ValueOutOfRange,
            "refractory_period 70000 is out of range 0..65535",
        )
        .with_file("genome.json")
        .with_gene_key("_____10c-cInput-nx-refrac-i")
        .with_cortical_id("cInput");
        assert_eq!(
            e.to_string(),
            "genome.json: gene _____10c-cInput-nx-refrac-i: refractory_period 70000 is out of range 0..65535"
        );
        let e =
            GenomeError::new(GenomeErrorKind::InvalidJson, "expected value").with_position(3, 7);
        assert_eq!(e.to_string(), "line 3, column 7: expected value");
        let w = GenomeWarning::new(WarningKind::NullGene, "null").with_cortical_id("cA");
        assert_eq!(w.to_string(), "area cA: null");
    }

    #[test]
    fn serializes_kind_as_string_and_skips_absent_locators() {
        let e = GenomeError::new(GenomeErrorKind::MalformedRule, "bad")
            .with_cortical_id("cInput")
            .with_rule_index(2);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "MalformedRule", "message": "bad", "cortical_id": "cInput", "rule_index": 2})
        );
        let w = GenomeWarning::new(WarningKind::ScalarIgnored, "s").with_morphology_id("m");
        let v = serde_json::to_value(&w).unwrap();
        assert_eq!(v["kind"], "ScalarIgnored");
        assert_eq!(v["morphology_id"], "m");
    }

    #[test]
    fn long_strings_are_cut_on_char_boundaries() {
        assert_eq!(bounded("short"), "short");
        let long = "ab€".repeat(100);
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_QUOTED_CHARS + 3);
        assert!(cut.ends_with("..."));
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert!(quoted(&long).ends_with("\"..."));
        let e =
            GenomeError::new(GenomeErrorKind::Io, "x".repeat(10_000)).with_file("f".repeat(1000));
        assert_eq!(e.message.chars().count(), MAX_MESSAGE_CHARS + 3);
        assert_eq!(
            e.file().map(|f| f.chars().count()),
            Some(MAX_QUOTED_CHARS + 3)
        );
    }

    #[test]
    fn capacity_errors_carry_what_how_big_and_the_limit() {
        let e = GenomeError::capacity_exceeded(Resource::Synapses, 12, Some(10), "too many");
        assert_eq!(e.kind, GenomeErrorKind::CapacityExceeded);
        let c = e.capacity().copied();
        assert_eq!(
            c,
            Some(Capacity {
                resource: Resource::Synapses,
                needed: 12,
                limit: Some(10)
            })
        );
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v["capacity"],
            serde_json::json!({"resource": "synapses", "needed": 12, "limit": 10})
        );
        let e = GenomeError::capacity_exceeded(Resource::MemoryBytes, 5, None, "alloc");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v["capacity"],
            serde_json::json!({"resource": "memory_bytes", "needed": 5})
        );
        assert!(
            serde_json::to_value(GenomeError::new(GenomeErrorKind::Io, "x"))
                .unwrap()
                .get("capacity")
                .is_none()
        );
    }
}

//! Structured load errors and warnings (SPEC §1.10).
//!
//! Both carry the same optional locators, so a person (or the CLI, which
//! prints them as JSON) can find the offending place in the genome file.

use serde::Serialize;
use std::fmt;

/// Every way a load or a development can fail (SPEC §1.10, plus `Io`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum GenomeErrorKind {
    /// The genome file could not be read.
    Io,
    InvalidJson,
    UnsupportedVersion,
    MalformedCorticalId,
    DuplicateArea,
    InvalidDimension,
    WrongGeneType,
    ValueOutOfRange,
    ConflictingGene,
    MalformedRule,
    UnknownMorphology,
    InvalidMorphology,
    UnknownFunctionMorphology,
    MissingDestinationArea,
    CapacityExceeded,
}

impl GenomeErrorKind {
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
    /// Plasticity or memory genes are present but inactive in milestone M1 (SPEC §6).
    PlasticityInactive,
    /// A memory gene refers to something that does not exist (no twin area, an
    /// `episodic_memory` rule into a non-memory area).
    MemoryReference,
}

impl WarningKind {
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub morphology_id: Option<String>,
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
        pub fn with_file(mut self, file: impl Into<String>) -> Self {
            self.locators.file = Some(file.into());
            self
        }
        pub fn with_gene_key(mut self, key: impl Into<String>) -> Self {
            self.locators.gene_key = Some(key.into());
            self
        }
        pub fn with_cortical_id(mut self, id: impl Into<String>) -> Self {
            self.locators.cortical_id = Some(id.into());
            self
        }
        pub fn with_destination_id(mut self, id: impl Into<String>) -> Self {
            self.locators.destination_id = Some(id.into());
            self
        }
        pub fn with_rule_index(mut self, index: usize) -> Self {
            self.locators.rule_index = Some(index);
            self
        }
        pub fn with_morphology_id(mut self, id: impl Into<String>) -> Self {
            self.locators.morphology_id = Some(id.into());
            self
        }
        pub fn with_pattern_index(mut self, index: usize) -> Self {
            self.locators.pattern_index = Some(index);
            self
        }
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
    pub kind: GenomeErrorKind,
    pub message: String,
    /// Boxed so that `Result<_, GenomeError>` stays small on hot paths.
    #[serde(flatten)]
    pub locators: Box<Locators>,
}

impl GenomeError {
    pub fn new(kind: GenomeErrorKind, message: impl Into<String>) -> Self {
        GenomeError {
            kind,
            message: message.into(),
            locators: Box::default(),
        }
    }

    locator_setters!();

    pub fn file(&self) -> Option<&str> {
        self.locators.file.as_deref()
    }
    pub fn gene_key(&self) -> Option<&str> {
        self.locators.gene_key.as_deref()
    }
    pub fn cortical_id(&self) -> Option<&str> {
        self.locators.cortical_id.as_deref()
    }
    pub fn destination_id(&self) -> Option<&str> {
        self.locators.destination_id.as_deref()
    }
    pub fn rule_index(&self) -> Option<usize> {
        self.locators.rule_index
    }
    pub fn morphology_id(&self) -> Option<&str> {
        self.locators.morphology_id.as_deref()
    }
    pub fn pattern_index(&self) -> Option<usize> {
        self.locators.pattern_index
    }
    pub fn line(&self) -> Option<usize> {
        self.locators.line
    }
    pub fn column(&self) -> Option<usize> {
        self.locators.column
    }
}

/// Something a successful load reports (SPEC §1.10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GenomeWarning {
    pub kind: WarningKind,
    pub message: String,
    /// Boxed so that `Result<_, GenomeError>` stays small on hot paths.
    #[serde(flatten)]
    pub locators: Box<Locators>,
}

impl GenomeWarning {
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        GenomeWarning {
            kind,
            message: message.into(),
            locators: Box::default(),
        }
    }

    locator_setters!();

    pub fn gene_key(&self) -> Option<&str> {
        self.locators.gene_key.as_deref()
    }
    pub fn cortical_id(&self) -> Option<&str> {
        self.locators.cortical_id.as_deref()
    }
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
}

//! The canonical 8-byte cortical id (SPEC §1.3). Parsing the many genome
//! spellings lives in `feagi-genome`; this type only holds the canonical bytes.

use std::fmt;

/// Canonical cortical id: exactly 8 bytes, e.g. `cInput__` or `___power`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CorticalId([u8; 8]);

impl CorticalId {
    /// `___death`: core area index 0, neuron 0.
    pub const DEATH: CorticalId = CorticalId(*b"___death");
    /// `___power`: core area index 1; its neuron (1) receives `power_amount`
    /// every burst (SPEC §4.2).
    pub const POWER: CorticalId = CorticalId(*b"___power");
    /// `___fatig`: core area index 2; its neuron (2) receives `power_amount`
    /// only while fatigue is active (SPEC §4.2).
    pub const FATIGUE: CorticalId = CorticalId(*b"___fatig");

    /// Wraps 8 canonical bytes as they are; no SPEC §1.3 validation.
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        CorticalId(bytes)
    }

    /// Exactly 8 bytes of text, taken as they are (`"cInput__"`). Returns `None`
    /// for any other length; use `feagi_genome::parse_cortical_id` for the
    /// legacy and base64 spellings.
    pub fn from_canonical_str(s: &str) -> Option<Self> {
        let bytes: [u8; 8] = s.as_bytes().try_into().ok()?;
        Some(CorticalId(bytes))
    }

    /// The canonical bytes, e.g. `b"___power"`.
    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The id read as a little-endian u64: the `idword` of SPEC §7.2.
    pub const fn idword(&self) -> u64 {
        u64::from_le_bytes(self.0)
    }

    /// One of the three core areas (death, power, fatigue).
    pub fn is_core(&self) -> bool {
        *self == Self::DEATH || *self == Self::POWER || *self == Self::FATIGUE
    }

    /// The id as text when every byte is printable ASCII (always true for ids
    /// that came from a genome), otherwise the bytes escaped.
    pub fn as_string(&self) -> String {
        self.0.escape_ascii().to_string()
    }
}

impl fmt::Display for CorticalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl fmt::Debug for CorticalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CorticalId({})", self.as_string())
    }
}

impl serde::Serialize for CorticalId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

/// Serde for a [`CorticalId`] as its 8 raw bytes (`#[serde(with = ...)]`):
/// exact for any id, where the default form is its text.
pub mod as_bytes {
    use super::CorticalId;

    /// Writes the 8 bytes.
    pub fn serialize<S: serde::Serializer>(id: &CorticalId, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&id.0, s)
    }

    /// Reads 8 bytes.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CorticalId, D::Error> {
        let bytes: [u8; 8] = serde::Deserialize::deserialize(d)?;
        Ok(CorticalId(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idword_is_little_endian_bytes() {
        // SPEC §7.2 example.
        let id = CorticalId::from_canonical_str("cInput__").unwrap();
        assert_eq!(id.idword(), 0x5f5f_7475_706e_4963);
    }

    #[test]
    fn byte_order_sorts_uppercase_before_underscore_before_lowercase() {
        let a = CorticalId::from_canonical_str("cIHMot__").unwrap();
        let b = CorticalId::from_canonical_str("c__bac__").unwrap();
        let c = CorticalId::from_canonical_str("cabc____").unwrap();
        assert!(a < b && b < c);
        assert!(CorticalId::POWER.is_core() && !a.is_core());
        assert_eq!(CorticalId::from_canonical_str("short"), None);
    }
}

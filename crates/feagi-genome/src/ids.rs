//! Cortical id spellings (SPEC §1.3): the one place that turns genome text into
//! a canonical [`CorticalId`].

use crate::error::{quoted, GenomeError, GenomeErrorKind};
use base64::Engine;
use feagi_types::CorticalId;

/// How an id was written; decides how its area kind is found (SPEC §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdSpelling {
    /// `_power`, `___pwr`, ... : always a core area.
    CoreAlias,
    /// Six characters from `[A-Za-z0-9_]`, padded with `__`.
    Legacy,
    /// Twelve characters of standard base64.
    Base64,
    /// Eight printable characters taken as they are.
    Raw,
}

/// A parsed id plus what the loader needs to report about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParsedId {
    pub id: CorticalId,
    pub spelling: IdSpelling,
    /// The Python-era name this id was renamed from, if any (warning).
    pub renamed_from: Option<&'static str>,
}

/// Core id aliases (SPEC §1.3 spelling 1).
const CORE_ALIASES: [(&str, CorticalId); 7] = [
    ("_power", CorticalId::POWER),
    ("___pwr", CorticalId::POWER),
    ("___power", CorticalId::POWER),
    ("_death", CorticalId::DEATH),
    ("___death", CorticalId::DEATH),
    ("_fatigue", CorticalId::FATIGUE),
    ("___fatig", CorticalId::FATIGUE),
];

/// The Python renames of legacy vision ids, applied before padding.
const LEGACY_RENAMES: [(&str, &str); 9] = [
    ("i__v0C", "iv00_C"),
    ("i_v0BL", "iv00BL"),
    ("i_v0BM", "iv00BM"),
    ("i_v0BR", "iv00BR"),
    ("i_v0ML", "iv00ML"),
    ("i_v0MR", "iv00MR"),
    ("i_v0TL", "iv00TL"),
    ("i_v0TM", "iv00TM"),
    ("i_v0TR", "iv00TR"),
];

/// Parses any accepted spelling of a cortical id into its canonical 8 bytes
/// (SPEC §1.3): core aliases, legacy 6-character ids (with the Python renames),
/// 12-character base64 and raw 8-character ids.
pub fn parse_cortical_id(s: &str) -> Result<CorticalId, GenomeError> {
    parse_id(s).map(|p| p.id)
}

pub(crate) fn parse_id(s: &str) -> Result<ParsedId, GenomeError> {
    if let Some((_, id)) = CORE_ALIASES.iter().find(|(alias, _)| *alias == s) {
        return Ok(ParsedId {
            id: *id,
            spelling: IdSpelling::CoreAlias,
            renamed_from: None,
        });
    }
    let malformed = |why: &str| {
        GenomeError::new(
            GenomeErrorKind::MalformedCorticalId,
            format!("malformed cortical id {}: {why}", quoted(s)),
        )
        .with_cortical_id(s)
    };
    let bytes = s.as_bytes();
    match bytes.len() {
        6 => {
            if !bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            {
                return Err(malformed(
                    "a 6-character id may only use letters, digits and '_'",
                ));
            }
            let (six, renamed_from) = match LEGACY_RENAMES.iter().find(|(old, _)| *old == s) {
                Some((old, new)) => (new.as_bytes(), Some(*old)),
                None => (bytes, None),
            };
            let mut canonical = [b'_'; 8];
            canonical[..6].copy_from_slice(six);
            Ok(ParsedId {
                id: CorticalId::from_bytes(canonical),
                spelling: IdSpelling::Legacy,
                renamed_from,
            })
        }
        12 => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(bytes)
                .map_err(|e| malformed(&format!("not valid base64 ({e})")))?;
            let canonical: [u8; 8] = decoded.as_slice().try_into().map_err(|_| {
                malformed(&format!(
                    "base64 decodes to {} bytes, expected 8",
                    decoded.len()
                ))
            })?;
            check_first_byte(canonical).map_err(|why| malformed(&why))?;
            Ok(ParsedId {
                id: CorticalId::from_bytes(canonical),
                spelling: IdSpelling::Base64,
                renamed_from: None,
            })
        }
        8 => {
            if !bytes
                .iter()
                .all(|b| (0x20..=0x7e).contains(b) && *b != b'-')
            {
                return Err(malformed(
                    "an 8-character id must be printable ASCII without '-'",
                ));
            }
            let mut canonical = [0u8; 8];
            canonical.copy_from_slice(bytes);
            check_first_byte(canonical).map_err(|why| malformed(&why))?;
            Ok(ParsedId {
                id: CorticalId::from_bytes(canonical),
                spelling: IdSpelling::Raw,
                renamed_from: None,
            })
        }
        n => Err(malformed(&format!(
            "{n} characters; expected a core alias, 6 (legacy), 8 (raw) or 12 (base64)"
        ))),
    }
}

/// Byte 0 of an 8-byte id names its kind; `_` is reserved for the core areas.
fn check_first_byte(bytes: [u8; 8]) -> Result<(), String> {
    match bytes[0] {
        b'c' | b'm' | b'i' | b'o' => Ok(()),
        b'_' if CorticalId::from_bytes(bytes).is_core() => Ok(()),
        b'_' => Err("ids starting with '_' must be ___power, ___death or ___fatig".into()),
        other => Err(format!(
            "first byte {:?} is not one of '_', 'c', 'm', 'i', 'o'",
            char::from(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> CorticalId {
        CorticalId::from_canonical_str(s).unwrap()
    }

    #[test]
    fn item_4_spellings() {
        assert_eq!(parse_cortical_id("_power").unwrap(), CorticalId::POWER);
        assert_eq!(parse_cortical_id("___pwr").unwrap(), CorticalId::POWER);
        assert_eq!(parse_cortical_id("___power").unwrap(), CorticalId::POWER);
        assert_eq!(parse_cortical_id("_death").unwrap(), CorticalId::DEATH);
        assert_eq!(parse_cortical_id("_fatigue").unwrap(), CorticalId::FATIGUE);
        assert_eq!(parse_cortical_id("cJWM3_").unwrap(), id("cJWM3___"));
        assert_eq!(parse_cortical_id("CIHMot").unwrap(), id("CIHMot__"));
        assert_eq!(
            parse_cortical_id("X19fcG93ZXI=").unwrap(),
            CorticalId::POWER
        );
        assert_eq!(parse_cortical_id("Y0pXTTNfX18=").unwrap(), id("cJWM3___"));
        assert_eq!(parse_cortical_id("iic400__").unwrap(), id("iic400__"));
        let p = parse_id("i__v0C").unwrap();
        assert_eq!(p.id, id("iv00_C__"));
        assert_eq!(p.renamed_from, Some("i__v0C"));
    }

    #[test]
    fn item_4_malformed_ids() {
        for bad in [
            "c_avoid",      // 7 characters
            "c-avo",        // wrong length
            "c-avoi",       // bad character
            "ab-cdefg",     // '-' in a raw id
            "xabcdefg",     // raw, bad byte 0
            "_abcdefg",     // raw '_' id that is not core
            "WGFiY2RlZmc=", // base64 of "Xabcdefg": bad byte 0
            "Y0pXTTNfX1==", // bad padding
            "YWJj",         // wrong length
            "",
            "cé___",
        ] {
            let e = parse_cortical_id(bad).unwrap_err();
            assert_eq!(e.kind, GenomeErrorKind::MalformedCorticalId, "{bad}");
            assert_eq!(e.cortical_id(), Some(bad));
        }
    }
}

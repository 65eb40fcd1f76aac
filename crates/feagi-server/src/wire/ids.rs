//! Cortical ids on the wire: the 8-byte ids of FEAGI's current protocol,
//! base64 in JSON, and the mapping from the ids a genome was written with.
//!
//! feagi-rust keeps a genome's own ids inside the NPU (a legacy `iv00_C`
//! becomes `iv00_C__`, SPEC §1.3). Clients of FEAGI's current protocol
//! expect the ids FEAGI's genome migrator gives those areas, so the server
//! translates at its edge, with the same rules as FEAGI (feagi-core's
//! `map_old_id_to_new` and `apply_legacy_io_shorthand_migration`):
//!
//! * core areas: `___power`, `___death`, `___fatig`;
//! * `iicN..` (N = 0..8): segmented vision tile N, group 0, absolute;
//! * `omot00`: rotary motor, group 0, absolute, linear;
//! * `ogaz0N` (N = 0, 1): gaze area N, group 0, absolute, linear;
//! * other 6-character `i…`/`o…` ids, in sorted order: `iv00` + a tile suffix
//!   (BL, BM, BR, ML, `_C`, MR, TL, TM, TR = tiles 0..8) becomes that
//!   segmented vision tile, anything else the next free miscellaneous-data
//!   input (or output) group;
//! * every other id keeps its 8 canonical bytes.
//!
//! Two choices FEAGI does not make (it rejects such genomes): an id whose
//! first byte is not one of `c m _ i o` (FEAGI community genomes use `CIHMot`,
//! `__back`, ...) gets its area kind's letter as first byte, and a collision
//! between two wire ids changes the last byte of the later area to the
//! first of `0-9A-Za-z` that is free. Every wire id therefore starts with a
//! byte Brain Visualizer accepts and is unique.
//!
//! IO id layout (feagi-structures 0.0.46, what BV 2.9.0 links): byte 0 `i`
//! or `o`, bytes 1-3 the unit code, bytes 4-5 a little-endian flag (bits 0-3
//! data type, 4-7 sub-unit index, 8 frame handling, 9 positioning), bytes
//! 6-7 the little-endian unit (group) index.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use feagi_types::{AreaKind, CorticalId};

/// Data type of an IO area: percentage (unsigned), 1 value.
const FLAG_PERCENTAGE: u16 = 1;
/// Percentage, 2 values.
const FLAG_PERCENTAGE_2D: u16 = 2;
/// Signed percentage, 1 value.
const FLAG_SIGNED_PERCENTAGE: u16 = 5;
/// An image plane.
const FLAG_CARTESIAN_PLANE: u16 = 9;
/// Anything else.
const FLAG_MISC: u16 = 10;

/// The id of an IO area (absolute frames, linear positioning).
fn io_id(input: bool, unit: &[u8; 3], data_type: u16, sub_unit: u8, group: u16) -> [u8; 8] {
    io_id_with_flag(input, unit, data_type, sub_unit, group)
}

/// The id of an IO area: `flag` holds the data type (bits 0-3), frame
/// handling (bit 8) and positioning (bit 9); the sub-unit index goes to bits
/// 4-7 and the group to bytes 6-7 (feagi-structures' `as_io_cortical_id`).
pub fn io_id_with_flag(
    input: bool,
    unit: &[u8; 3],
    flag: u16,
    sub_unit: u8,
    group: u16,
) -> [u8; 8] {
    let flag = (flag & !0x00f0) | (u16::from(sub_unit & 0x0f) << 4);
    let [f0, f1] = flag.to_le_bytes();
    let [g0, g1] = group.to_le_bytes();
    [
        if input { b'i' } else { b'o' },
        unit[0],
        unit[1],
        unit[2],
        f0,
        f1,
        g0,
        g1,
    ]
}

/// Segmented vision tile `tile` (0..8) of group 0.
pub fn segmented_vision_id(tile: u8) -> [u8; 8] {
    io_id(true, b"svi", FLAG_CARTESIAN_PLANE, tile, 0)
}

/// Miscellaneous-data input (or output) area of `group`.
pub fn misc_id(input: bool, group: u16) -> [u8; 8] {
    io_id(input, b"mis", FLAG_MISC, 0, group)
}

/// Base64 of an 8-byte id: the key clients use in JSON.
pub fn to_base64(id: &[u8; 8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(id)
}

/// The 8 bytes of a base64 id, if `text` is one.
pub fn from_base64(text: &str) -> Option<[u8; 8]> {
    if text.len() != 12 {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?
        .try_into()
        .ok()
}

/// Whether Brain Visualizer (feagi-structures' `CorticalID::try_from_bytes`)
/// accepts an id: its first byte names a type.
pub fn valid_first_byte(b: u8) -> bool {
    matches!(b, b'c' | b'm' | b'_' | b'i' | b'o')
}

/// The wire id FEAGI's migrator gives a legacy id without looking at the rest
/// of the genome (`map_old_id_to_new`).
fn fixed_legacy_mapping(written: &str) -> Option<[u8; 8]> {
    let b = written.as_bytes();
    if b.len() < 6 {
        return None;
    }
    if written.starts_with("iic") {
        let tile = b[3].checked_sub(b'0').filter(|t| *t <= 8)?;
        return Some(segmented_vision_id(tile));
    }
    let two_digits = || written.get(4..6)?.parse::<u8>().ok();
    if written.starts_with("omot") {
        return (two_digits()? == 0).then(|| io_id(false, b"mot", FLAG_SIGNED_PERCENTAGE, 0, 0));
    }
    if written.starts_with("ogaz") {
        return match two_digits()? {
            0 => Some(io_id(false, b"gaz", FLAG_PERCENTAGE_2D, 0, 0)),
            1 => Some(io_id(false, b"gaz", FLAG_PERCENTAGE, 1, 0)),
            _ => None,
        };
    }
    None
}

/// The segmented vision tile of a legacy `iv00XY` id.
fn vision_tile(written: &str) -> Option<u8> {
    let suffix = written.strip_prefix("iv00")?;
    const TILES: [&str; 9] = ["BL", "BM", "BR", "ML", "_C", "MR", "TL", "TM", "TR"];
    TILES.iter().position(|t| *t == suffix).map(|i| i as u8)
}

fn kind_letter(kind: AreaKind) -> u8 {
    match kind {
        AreaKind::Core => b'_',
        AreaKind::Ipu => b'i',
        AreaKind::Opu => b'o',
        AreaKind::Custom => b'c',
        AreaKind::Memory => b'm',
    }
}

/// One area as the mapping needs it.
#[derive(Clone, Debug)]
pub struct AreaSpelling<'a> {
    /// The canonical id inside feagi-rust.
    pub canonical: CorticalId,
    /// The id as the genome wrote it (after the loader's Python renames).
    pub written: &'a str,
    /// The area's kind.
    pub kind: AreaKind,
}

/// The wire id of every area, in the order given.
pub fn wire_ids(areas: &[AreaSpelling<'_>]) -> Vec<[u8; 8]> {
    let mut out: Vec<Option<[u8; 8]>> = vec![None; areas.len()];
    let mut used: BTreeSet<[u8; 8]> = BTreeSet::new();
    // Legacy IO shorthands get stateful ids after everything else, in
    // sorted order of their written ids (FEAGI sorts them too).
    let mut shorthands: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, a) in areas.iter().enumerate() {
        let canonical = *a.canonical.as_bytes();
        if a.canonical.is_core() {
            out[i] = Some(canonical);
        } else if let Some(id) = fixed_legacy_mapping(a.written) {
            out[i] = Some(id);
        } else if a.written.len() == 6 && matches!(a.written.as_bytes()[0], b'i' | b'o') {
            shorthands.entry(a.written).or_default().push(i);
            continue;
        } else {
            out[i] = Some(canonical);
        }
        if let Some(id) = out[i] {
            used.insert(id);
        }
    }
    let (mut next_in, mut next_out) = (0u16, 0u16);
    for (written, indices) in shorthands {
        for i in indices {
            let id = match vision_tile(written) {
                Some(tile) => segmented_vision_id(tile),
                None => {
                    let input = written.starts_with('i');
                    let next = if input { &mut next_in } else { &mut next_out };
                    loop {
                        let candidate = misc_id(input, *next);
                        *next = next.wrapping_add(1);
                        if !used.contains(&candidate) || *next == 0 {
                            break candidate;
                        }
                    }
                }
            };
            used.insert(id);
            out[i] = Some(id);
        }
    }
    // Valid first bytes and uniqueness, in area order.
    let mut taken: BTreeSet<[u8; 8]> = BTreeSet::new();
    areas
        .iter()
        .zip(out)
        .map(|(a, id)| {
            let mut id = id.unwrap_or(*a.canonical.as_bytes());
            if !valid_first_byte(id[0]) || (id[0] == b'_' && !a.canonical.is_core()) {
                id[0] = kind_letter(a.kind);
            }
            if taken.contains(&id) {
                const SPARE: &[u8] =
                    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
                if let Some(free) = SPARE
                    .iter()
                    .map(|c| {
                        let mut t = id;
                        t[7] = *c;
                        t
                    })
                    .find(|t| !taken.contains(t))
                {
                    id = free;
                }
            }
            taken.insert(id);
            id
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spelling(written: &str, kind: AreaKind) -> AreaSpelling<'_> {
        let id = feagi_genome::parse_cortical_id(written).unwrap();
        AreaSpelling {
            canonical: id,
            written,
            kind,
        }
    }

    #[test]
    fn research_note_vectors() {
        let areas = [
            spelling("iv00_C", AreaKind::Ipu),
            spelling("_power", AreaKind::Core),
            spelling("_death", AreaKind::Core),
        ];
        let ids: Vec<String> = wire_ids(&areas).iter().map(to_base64).collect();
        assert_eq!(ids, ["aXN2aUkAAAA=", "X19fcG93ZXI=", "X19fZGVhdGg="]);
    }

    #[test]
    fn invalid_first_bytes_and_collisions_are_repaired() {
        let areas = [
            spelling("cIHMot", AreaKind::Custom),
            spelling("CIHMot", AreaKind::Custom),
            spelling("__back", AreaKind::Opu),
        ];
        let ids = wire_ids(&areas);
        assert_eq!(&ids[0], b"cIHMot__");
        assert_eq!(&ids[1], b"cIHMot_0");
        assert_eq!(&ids[2], b"o_back__");
    }
}

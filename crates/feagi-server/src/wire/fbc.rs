//! FeagiByteContainer version 4 and the two structs FEAGI clients exchange
//! with a server: JSON (type 1) and cortical-mapped XYZP neuron data (type 11).
//!
//! Layout (all integers little-endian; docs/SERVER.md has the full table and
//! the golden vectors the tests check):
//!
//! ```text
//! container: [4 (version)] [u16 counter] [u8 S structs] [48-byte agent id] [S x u32 struct length] structs...
//! JSON:      [1] [1] UTF-8 JSON
//! XYZP:      [11] [1] [u16 C areas] C x ([8-byte cortical id] [u32 data offset from struct start] [u32 data bytes])
//!            then per area x[N] u32, y[N] u32, z[N] u32, p[N] f32
//! ```
//!
//! Decoding never trusts a length: every offset is checked against the bytes
//! received, and bad input is a [`WireError`], never a panic.

use std::fmt;

/// The container version BV 2.9 and FEAGI's 0.0.x crates speak.
pub const FBC_VERSION: u8 = 4;
/// Bytes of the agent (session) id in every container.
pub const AGENT_ID_LEN: usize = 48;
/// Version byte, counter and struct count, then the agent id.
pub const CONTAINER_HEADER_LEN: usize = 4 + AGENT_ID_LEN;
/// Struct type of a JSON struct.
pub const STRUCT_JSON: u8 = 1;
/// Struct type of a cortical-mapped XYZP neuron struct.
pub const STRUCT_XYZP: u8 = 11;
/// The version of both struct types.
pub const STRUCT_VERSION: u8 = 1;
/// Bytes per neuron in an XYZP struct (x, y, z, p).
pub const XYZP_BYTES_PER_NEURON: usize = 16;
/// Bytes of one area header in an XYZP struct.
pub const XYZP_AREA_HEADER_LEN: usize = 16;

/// A 48-byte agent (session) id.
pub type AgentId = [u8; AGENT_ID_LEN];

/// Why received bytes are not a valid container or struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the header or a length field needs.
    Truncated(&'static str),
    /// A container of another version.
    Version(u8),
    /// A struct of a type or version this server does not know.
    StructType {
        /// The type byte.
        kind: u8,
        /// The version byte.
        version: u8,
    },
    /// The lengths in the header do not add up to the bytes received.
    Length(String),
    /// The JSON struct is not UTF-8 JSON.
    Json(String),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Truncated(what) => write!(f, "truncated {what}"),
            WireError::Version(v) => {
                write!(f, "container version {v}, expected {FBC_VERSION}")
            }
            WireError::StructType { kind, version } => {
                write!(f, "unknown struct type {kind} version {version}")
            }
            WireError::Length(why) => write!(f, "inconsistent lengths: {why}"),
            WireError::Json(why) => write!(f, "bad JSON struct: {why}"),
        }
    }
}

impl std::error::Error for WireError {}

/// A decoded container: its header fields and its structs, borrowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container<'a> {
    /// The increment counter.
    pub counter: u16,
    /// The agent (session) id of the sender.
    pub agent_id: AgentId,
    /// Each struct's bytes, starting with its type and version bytes.
    pub structs: Vec<&'a [u8]>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Checks and splits a container. Every struct must be of a known type and
/// version, and the struct lengths must cover the bytes exactly.
pub fn decode_container(bytes: &[u8]) -> Result<Container<'_>, WireError> {
    if bytes.len() < CONTAINER_HEADER_LEN {
        return Err(WireError::Truncated("container header"));
    }
    if bytes[0] != FBC_VERSION {
        return Err(WireError::Version(bytes[0]));
    }
    let counter = u16_at(bytes, 1).ok_or(WireError::Truncated("counter"))?;
    let count = usize::from(bytes[3]);
    let mut agent_id = [0u8; AGENT_ID_LEN];
    agent_id.copy_from_slice(&bytes[4..CONTAINER_HEADER_LEN]);
    let table_end = CONTAINER_HEADER_LEN + 4 * count;
    if bytes.len() < table_end {
        return Err(WireError::Truncated("struct length table"));
    }
    let mut structs = Vec::with_capacity(count);
    let mut at = table_end;
    for i in 0..count {
        let len = u32_at(bytes, CONTAINER_HEADER_LEN + 4 * i)
            .ok_or(WireError::Truncated("struct length"))? as usize;
        let end = at
            .checked_add(len)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| {
                WireError::Length(format!(
                    "struct {i} of {len} bytes at {at} overruns {} bytes",
                    bytes.len()
                ))
            })?;
        let s = &bytes[at..end];
        if s.len() < 2 {
            return Err(WireError::Truncated("struct header"));
        }
        if !matches!(s[0], STRUCT_JSON | STRUCT_XYZP) || s[1] != STRUCT_VERSION {
            return Err(WireError::StructType {
                kind: s[0],
                version: s[1],
            });
        }
        structs.push(s);
        at = end;
    }
    if at != bytes.len() {
        return Err(WireError::Length(format!(
            "{} bytes after the last struct",
            bytes.len() - at
        )));
    }
    Ok(Container {
        counter,
        agent_id,
        structs,
    })
}

/// Writes a container holding `structs` (each already with its type and
/// version bytes) into `out`, replacing its contents.
///
/// # Errors
/// More than 255 structs, or a struct of 4 GiB or more, cannot be encoded.
pub fn encode_container(
    out: &mut Vec<u8>,
    counter: u16,
    agent_id: &AgentId,
    structs: &[&[u8]],
) -> Result<(), WireError> {
    let count = u8::try_from(structs.len())
        .map_err(|_| WireError::Length(format!("{} structs (at most 255)", structs.len())))?;
    out.clear();
    out.push(FBC_VERSION);
    out.extend_from_slice(&counter.to_le_bytes());
    out.push(count);
    out.extend_from_slice(agent_id);
    for s in structs {
        let len = u32::try_from(s.len())
            .map_err(|_| WireError::Length(format!("a struct of {} bytes", s.len())))?;
        out.extend_from_slice(&len.to_le_bytes());
    }
    for s in structs {
        out.extend_from_slice(s);
    }
    Ok(())
}

/// A container with one JSON struct holding `json`.
pub fn json_container(counter: u16, agent_id: &AgentId, json: &serde_json::Value) -> Vec<u8> {
    let mut s = vec![STRUCT_JSON, STRUCT_VERSION];
    // Serialising a `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut s, json);
    let mut out = Vec::with_capacity(CONTAINER_HEADER_LEN + 4 + s.len());
    // One struct far below 4 GiB: encoding cannot fail.
    let _ = encode_container(&mut out, counter, agent_id, &[&s]);
    out
}

/// The JSON value of a type-1 struct.
pub fn decode_json_struct(s: &[u8]) -> Result<serde_json::Value, WireError> {
    match s {
        [STRUCT_JSON, STRUCT_VERSION, json @ ..] => {
            serde_json::from_slice(json).map_err(|e| WireError::Json(e.to_string()))
        }
        [kind, version, ..] => Err(WireError::StructType {
            kind: *kind,
            version: *version,
        }),
        _ => Err(WireError::Truncated("struct header")),
    }
}

/// The neurons of one cortical area in an XYZP struct, structure of arrays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AreaNeurons {
    /// The area's 8-byte wire id.
    pub id: [u8; 8],
    /// Voxel x of each neuron.
    pub x: Vec<u32>,
    /// Voxel y of each neuron.
    pub y: Vec<u32>,
    /// Voxel z of each neuron.
    pub z: Vec<u32>,
    /// Potential of each neuron.
    pub p: Vec<f32>,
}

impl AreaNeurons {
    /// An area with no neurons yet.
    pub fn new(id: [u8; 8]) -> Self {
        AreaNeurons {
            id,
            ..Default::default()
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether it holds no neurons.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Appends one neuron.
    pub fn push(&mut self, [x, y, z]: [u32; 3], p: f32) {
        self.x.push(x);
        self.y.push(y);
        self.z.push(z);
        self.p.push(p);
    }

    /// Empties it, keeping its capacity.
    pub fn clear(&mut self) {
        self.x.clear();
        self.y.clear();
        self.z.clear();
        self.p.clear();
    }
}

/// Size of the XYZP struct for these areas.
pub fn xyzp_struct_len<'a>(areas: impl IntoIterator<Item = &'a AreaNeurons>) -> usize {
    areas.into_iter().fold(4, |acc, a| {
        acc + XYZP_AREA_HEADER_LEN + XYZP_BYTES_PER_NEURON * a.len()
    })
}

/// Appends the XYZP struct of `areas` (at most 65,535, the first ones are
/// taken) to `out`.
pub fn write_xyzp_struct(out: &mut Vec<u8>, areas: &[&AreaNeurons]) {
    let areas = &areas[..areas.len().min(usize::from(u16::MAX))];
    let start = out.len();
    out.reserve(xyzp_struct_len(areas.iter().copied()));
    out.push(STRUCT_XYZP);
    out.push(STRUCT_VERSION);
    // At most u16::MAX areas (cut above).
    out.extend_from_slice(&(areas.len() as u16).to_le_bytes());
    let mut data_at = 4 + XYZP_AREA_HEADER_LEN * areas.len();
    for a in areas {
        let bytes = XYZP_BYTES_PER_NEURON * a.len();
        out.extend_from_slice(&a.id);
        out.extend_from_slice(&(data_at as u32).to_le_bytes());
        out.extend_from_slice(&(bytes as u32).to_le_bytes());
        data_at += bytes;
    }
    for a in areas {
        for column in [&a.x, &a.y, &a.z] {
            for v in column.iter() {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for v in &a.p {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    debug_assert_eq!(out.len() - start, data_at);
}

/// A visualization (or motor) frame: one container with one XYZP struct.
pub fn xyzp_frame(counter: u16, areas: &[&AreaNeurons]) -> Vec<u8> {
    let struct_len = xyzp_struct_len(areas.iter().copied());
    let mut out = Vec::with_capacity(CONTAINER_HEADER_LEN + 4 + struct_len);
    out.push(FBC_VERSION);
    out.extend_from_slice(&counter.to_le_bytes());
    out.push(1);
    out.extend_from_slice(&[0u8; AGENT_ID_LEN]);
    out.extend_from_slice(&(struct_len as u32).to_le_bytes());
    write_xyzp_struct(&mut out, areas);
    out
}

/// Decodes an XYZP struct into its areas. Offsets, lengths and area counts
/// are checked against the struct's bytes.
pub fn decode_xyzp_struct(s: &[u8]) -> Result<Vec<AreaNeurons>, WireError> {
    if s.len() < 4 {
        return Err(WireError::Truncated("XYZP header"));
    }
    if s[0] != STRUCT_XYZP || s[1] != STRUCT_VERSION {
        return Err(WireError::StructType {
            kind: s[0],
            version: s[1],
        });
    }
    let count = usize::from(u16_at(s, 2).ok_or(WireError::Truncated("XYZP header"))?);
    let headers_end = 4 + XYZP_AREA_HEADER_LEN * count;
    if s.len() < headers_end {
        return Err(WireError::Truncated("XYZP area headers"));
    }
    let mut areas = Vec::with_capacity(count);
    for k in 0..count {
        let h = 4 + XYZP_AREA_HEADER_LEN * k;
        let mut id = [0u8; 8];
        id.copy_from_slice(&s[h..h + 8]);
        let start = u32_at(s, h + 8).ok_or(WireError::Truncated("area offset"))? as usize;
        let len = u32_at(s, h + 12).ok_or(WireError::Truncated("area length"))? as usize;
        if !len.is_multiple_of(XYZP_BYTES_PER_NEURON) {
            return Err(WireError::Length(format!(
                "area {k}: {len} data bytes is not a multiple of 16"
            )));
        }
        let data = start
            .checked_add(len)
            .filter(|end| start >= headers_end && *end <= s.len())
            .map(|end| &s[start..end])
            .ok_or_else(|| {
                WireError::Length(format!(
                    "area {k}: data {start}..+{len} outside the struct of {} bytes",
                    s.len()
                ))
            })?;
        let n = len / XYZP_BYTES_PER_NEURON;
        let column = |c: usize| data[4 * n * c..4 * n * (c + 1)].chunks_exact(4);
        let as_u32 = |c: usize| {
            column(c)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect::<Vec<u32>>()
        };
        areas.push(AreaNeurons {
            id,
            x: as_u32(0),
            y: as_u32(1),
            z: as_u32(2),
            p: column(3)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        });
    }
    Ok(areas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_round_trip_and_bad_input_is_an_error() {
        let json = serde_json::json!({"a": [1, 2]});
        let bytes = json_container(7, &[3; AGENT_ID_LEN], &json);
        let c = decode_container(&bytes).unwrap();
        assert_eq!(c.counter, 7);
        assert_eq!(c.agent_id, [3; AGENT_ID_LEN]);
        assert_eq!(decode_json_struct(c.structs[0]).unwrap(), json);
        // Every truncation and every single-byte change is refused or decoded, never a panic.
        for cut in 0..bytes.len() {
            assert!(decode_container(&bytes[..cut]).is_err(), "{cut}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            if let Ok(c) = decode_container(&b) {
                for s in c.structs {
                    let _ = decode_json_struct(s);
                }
            }
        }
        let mut wrong = bytes.clone();
        wrong[0] = 3;
        assert_eq!(decode_container(&wrong), Err(WireError::Version(3)));
    }

    #[test]
    fn xyzp_round_trip_and_hostile_offsets() {
        let mut a = AreaNeurons::new(*b"cArea___");
        a.push([1, 2, 3], 0.5);
        a.push([4, 5, 6], 1.0);
        let b = AreaNeurons::new(*b"___power");
        let frame = xyzp_frame(9, &[&a, &b]);
        let c = decode_container(&frame).unwrap();
        let areas = decode_xyzp_struct(c.structs[0]).unwrap();
        assert_eq!(areas, vec![a.clone(), b.clone()]);
        let s = c.structs[0].to_vec();
        for i in 0..s.len() {
            for v in [0u8, 0x7f, 0xff] {
                let mut bad = s.clone();
                bad[i] = v;
                let _ = decode_xyzp_struct(&bad);
            }
        }
        for cut in 0..s.len() {
            let _ = decode_xyzp_struct(&s[..cut]);
        }
    }
}

//! Sensory input from agents: FeagiByteContainer v4 frames with XYZP structs
//! (ZMQ PULL and WebSocket), checked and kept until the next burst, latest
//! per agent and area.
//!
//! An agent encodes its sensors itself (a camera pixel becomes a voxel whose
//! p is the intensity); the server looks each area up by its 8-byte id and
//! stages every voxel's neurons with p for the next burst. A frame that
//! arrives before the burst takes the inbox replaces the same agent's earlier
//! frame for the same area, so a fast agent never builds a backlog. Entries
//! with p = 0 or a non-finite p, and voxels outside their area, are dropped;
//! unknown areas, bad containers and oversized messages are logged once (per
//! kind of problem) and dropped, and the sender and the server go on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use feagi_types::AreaIndex;
use parking_lot::Mutex;

use crate::state::ServerState;
use crate::wire::fbc::{self, AgentId, STRUCT_XYZP};
use crate::wire::ids;

/// Largest sensory message accepted (a message above it is refused by the
/// transport where it can, else dropped unread). FEAGI's Python SDK sends
/// about 1.2 MB per camera frame at its default resolutions; 16 MiB holds a
/// million voxel entries.
pub const MAX_SENSORY_MESSAGE: usize = 16 << 20;
/// Voxel entries that may wait for the next burst, all agents together.
pub const MAX_PENDING_SENSORY: usize = 1 << 22;
/// (agent, area) pairs that may wait for the next burst.
pub const MAX_PENDING_PAIRS: usize = 4096;
/// Distinct warnings [`LogOnce`] remembers.
pub const MAX_WARNINGS: usize = 4096;

/// Remembers which warnings were logged, so that a sender repeating the same
/// mistake every frame fills no log.
#[derive(Debug, Default)]
pub struct LogOnce {
    seen: Mutex<BTreeSet<String>>,
}

impl LogOnce {
    /// True the first time `key` is seen (and while fewer than
    /// [`MAX_WARNINGS`] keys are remembered).
    pub fn first(&self, key: &str) -> bool {
        let mut seen = self.seen.lock();
        if seen.contains(key) || seen.len() >= MAX_WARNINGS {
            return false;
        }
        seen.insert(key.to_string());
        true
    }
}

/// Voxels of one area from one agent, for the next burst.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SensoryArea {
    /// The brain the area index belongs to ([`crate::brain::BrainInfo::generation`]).
    pub generation: u64,
    /// The area.
    pub area: AreaIndex,
    /// Voxel x of each entry.
    pub x: Vec<u32>,
    /// Voxel y.
    pub y: Vec<u32>,
    /// Voxel z.
    pub z: Vec<u32>,
    /// Potential each neuron of the voxel receives.
    pub p: Vec<f32>,
}

#[derive(Debug, Default)]
struct Pending {
    frames: BTreeMap<(AgentId, AreaIndex), SensoryArea>,
    entries: usize,
}

/// Counters of sensory input since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SensoryStats {
    /// Messages accepted (at least partly).
    pub accepted: u64,
    /// Messages dropped whole.
    pub dropped: u64,
    /// Area frames that replaced one still waiting (latest wins).
    pub replaced: u64,
    /// Voxel entries handed to bursts.
    pub staged: u64,
}

/// Sensory frames waiting for the next burst.
#[derive(Debug, Default)]
pub struct SensoryInbox {
    pending: Mutex<Pending>,
    accepted: AtomicU64,
    dropped: AtomicU64,
    replaced: AtomicU64,
    staged: AtomicU64,
}

impl SensoryInbox {
    /// Keeps `frame` for the next burst, replacing what `agent` sent for the
    /// same area before. False when the inbox is full (the frame is dropped).
    pub fn put(&self, agent: AgentId, frame: SensoryArea) -> bool {
        let mut pending = self.pending.lock();
        let key = (agent, frame.area);
        let old = pending.frames.get(&key).map_or(0, |f| f.x.len());
        let entries = pending.entries - old + frame.x.len();
        if entries > MAX_PENDING_SENSORY
            || (old == 0
                && !pending.frames.contains_key(&key)
                && pending.frames.len() >= MAX_PENDING_PAIRS)
        {
            return false;
        }
        pending.entries = entries;
        if pending.frames.insert(key, frame).is_some() {
            self.replaced.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    /// Everything waiting, emptied (in agent, area order).
    pub fn take(&self) -> Vec<SensoryArea> {
        let mut pending = self.pending.lock();
        if pending.frames.is_empty() {
            return Vec::new();
        }
        pending.entries = 0;
        let frames: Vec<SensoryArea> = std::mem::take(&mut pending.frames).into_values().collect();
        let n: usize = frames.iter().map(|f| f.x.len()).sum();
        self.staged.fetch_add(n as u64, Ordering::Relaxed);
        frames
    }

    /// The counters.
    pub fn stats(&self) -> SensoryStats {
        SensoryStats {
            accepted: self.accepted.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            replaced: self.replaced.load(Ordering::Relaxed),
            staged: self.staged.load(Ordering::Relaxed),
        }
    }
}

/// What became of one sensory message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Areas kept for the next burst.
    pub areas: usize,
    /// Voxel entries kept.
    pub entries: usize,
    /// Entries dropped: p = 0 or not finite, or outside their area.
    pub skipped: usize,
    /// Areas the brain does not have (their entries are dropped).
    pub unknown_areas: usize,
}

fn drop_message(s: &ServerState, key: &str, message: impl FnOnce() -> String) -> Option<Ingested> {
    s.sensory.dropped.fetch_add(1, Ordering::Relaxed);
    if s.warned.first(key) {
        tracing::warn!("{} (logged once)", message());
    }
    None
}

/// Checks one sensory message and keeps its areas for the next burst.
/// `via` names the transport in logs. `None` when the message was dropped
/// whole (logged once per kind of problem).
pub fn ingest(s: &ServerState, bytes: &[u8], via: &str) -> Option<Ingested> {
    if bytes.len() > MAX_SENSORY_MESSAGE {
        return drop_message(s, &format!("sensory:{via}:oversized"), || {
            format!(
                "{via} sensory: a message of {} bytes dropped (at most {MAX_SENSORY_MESSAGE})",
                bytes.len()
            )
        });
    }
    let container = match fbc::decode_container(bytes) {
        Ok(c) => c,
        Err(e) => {
            let kind = match e {
                fbc::WireError::Version(_) => "version",
                fbc::WireError::StructType { .. } => "struct",
                _ => "malformed",
            };
            return drop_message(s, &format!("sensory:{via}:{kind}"), || {
                format!(
                    "{via} sensory: a message of {} bytes dropped: {e}",
                    bytes.len()
                )
            });
        }
    };
    let brain = s.brain();
    let mut out = Ingested::default();
    let mut areas = Vec::new();
    for st in &container.structs {
        if st.first() != Some(&STRUCT_XYZP) {
            if s.warned.first(&format!("sensory:{via}:json")) {
                tracing::warn!("{via} sensory: a JSON struct ignored (sensory frames carry XYZP structs; logged once)");
            }
            continue;
        }
        let decoded = match fbc::decode_xyzp_struct(st) {
            Ok(d) => d,
            Err(e) => {
                return drop_message(s, &format!("sensory:{via}:xyzp"), || {
                    format!("{via} sensory: a message with a bad XYZP struct dropped: {e}")
                })
            }
        };
        for a in decoded {
            let key = ids::to_base64(&a.id);
            let Some(view) = brain.find_wire(&key) else {
                out.unknown_areas += 1;
                if s.warned.first(&format!("sensory:unknown:{key}")) {
                    tracing::warn!(
                        "{via} sensory: area {key} ({}) is not in the brain; its data are dropped (logged once)",
                        String::from_utf8_lossy(&a.id).escape_debug()
                    );
                }
                continue;
            };
            let [w, h, d] = view.dimensions;
            let mut frame = SensoryArea {
                generation: brain.generation,
                area: view.index,
                ..Default::default()
            };
            let mut outside = 0usize;
            for i in 0..a.len() {
                let (x, y, z, p) = (a.x[i], a.y[i], a.z[i], a.p[i]);
                if !(p.is_finite() && p != 0.0) {
                    out.skipped += 1;
                    continue;
                }
                if x >= w || y >= h || z >= d {
                    outside += 1;
                    continue;
                }
                frame.x.push(x);
                frame.y.push(y);
                frame.z.push(z);
                frame.p.push(p);
            }
            if outside > 0 {
                out.skipped += outside;
                if s.warned.first(&format!("sensory:outside:{key}")) {
                    tracing::warn!(
                        "{via} sensory: {outside} voxels outside area {key} ({w} x {h} x {d}) dropped (logged once per area)"
                    );
                }
            }
            areas.push(frame);
        }
    }
    for frame in areas {
        let n = frame.x.len();
        if s.sensory.put(container.agent_id, frame) {
            out.areas += 1;
            out.entries += n;
        } else if s.warned.first(&format!("sensory:{via}:full")) {
            tracing::warn!(
                "{via} sensory: more than {MAX_PENDING_SENSORY} entries or {MAX_PENDING_PAIRS} agent areas wait for the next burst; frames dropped (logged once)"
            );
        }
    }
    s.sensory.accepted.fetch_add(1, Ordering::Relaxed);
    Some(out)
}

//! Snapshots: the whole state of a [`RustNPU`] in one file, so that a brain
//! (and what it learned) survives a restart (SPEC §6.3; the byte layout is
//! documented in `docs/SNAPSHOT.md`).
//!
//! ```
//! use feagi_burst_engine::{Genome, NpuConfig, RustNPU};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut npu = RustNPU::from_genome(&Genome::default_genome(), NpuConfig::default())?;
//! for _ in 0..5 {
//!     npu.process_burst(None)?;
//! }
//! let mut bytes = Vec::new();
//! npu.save_to(&mut bytes)?;
//! let mut resumed = RustNPU::load_from(bytes.as_slice())?;
//! assert_eq!(resumed.burst_count(), 5);
//! // Both continue identically.
//! assert_eq!(npu.process_burst(None)?.fired_neurons, resumed.process_burst(None)?.fired_neurons);
//! # Ok(())
//! # }
//! ```
//!
//! A file is a header (magic, format version, engine version), a metadata
//! record (postcard-encoded), the neuron columns and synapse rows as
//! contiguous little-endian blocks, and an xxHash3-64 checksum over all of
//! it. Reading checks the checksum before anything is built, never
//! allocates more than the input holds, and validates every id and length
//! through the same checks as [`RustNPU::from_connectome`]; a failed load
//! returns an error and builds nothing.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bytemuck::{AnyBitPattern, NoUninit};
use feagi_plasticity::{MemoryAreas, Stdp};
use feagi_types::fire::LedgerFrame;
use feagi_types::memory::is_memory_neuron_id;
use feagi_types::{
    AreaIndex, Column, Connectome, CorticalArea, DevelopedArea, FireLedger, FireQueue,
    MemoryAreaGenes, MemoryNeuron, MemoryNeurons, MemoryRelation, MemoryTwin, NeuronArray,
    NeuronColumns, NeuronId, StdpRegistration, SynapseArray, SynapseList, SynapseType,
};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use crate::distributed::tally;
use crate::{NpuConfig, NpuError, Partition, RustNPU};

/// The first 8 bytes of every snapshot file.
pub const SNAPSHOT_MAGIC: [u8; 8] = *b"FEAGISNP";
/// The newest layout this engine writes and reads (docs/SNAPSHOT.md): version
/// 2 is version 1 plus a partition section, written only for one rank of a
/// partitioned brain. A whole brain is still written as version 1, byte for
/// byte as before, and both versions are read.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 2;
/// The layout of a whole (not partitioned) brain.
pub const SNAPSHOT_FORMAT_VERSION_WHOLE: u32 = 1;
/// The engine that writes snapshots, recorded in their header.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why a snapshot could not be written or read. A failed load builds
/// nothing; a failed save leaves an existing file as it was.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The same error, about a named file.
    #[error("{}: {source}", path.display())]
    File {
        /// The snapshot file.
        path: PathBuf,
        /// What went wrong.
        source: Box<SnapshotError>,
    },
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Rank snapshots that do not fit the job loading them (another number
    /// of ranks, another rank, or a whole brain where a rank was expected).
    #[error("{0}")]
    Ranks(String),
    /// The input is not a snapshot at all (empty, a genome, other bytes).
    #[error("not a feagi-rust snapshot: {0}")]
    NotASnapshot(String),
    /// A format version this engine does not read.
    #[error(
        "snapshot format version {found} (written by feagi-rust {written_by}) cannot be read by \
         feagi-rust {ENGINE_VERSION}, which reads format versions 1 to {SNAPSHOT_FORMAT_VERSION}{hint}"
    )]
    UnsupportedVersion {
        /// The file's format version.
        found: u32,
        /// The engine version recorded in the file.
        written_by: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// The input ends before the snapshot does.
    #[error("truncated: the data ends inside {0}")]
    Truncated(String),
    /// The checksum does not match: the file was changed or damaged.
    #[error("corrupted: checksum {computed:016x} does not match the stored {stored:016x}")]
    Checksum {
        /// The checksum in the file.
        stored: u64,
        /// The checksum of the content.
        computed: u64,
    },
    /// A size in the header that no snapshot can have.
    #[error("damaged: {0}")]
    Damaged(String),
    /// Intact bytes that do not describe a valid NPU.
    #[error("invalid content: {0}")]
    Invalid(String),
    /// This platform cannot read or write the little-endian blocks directly.
    #[error("snapshots need a little-endian platform")]
    BigEndian,
}

impl SnapshotError {
    fn at(self, path: &Path) -> SnapshotError {
        SnapshotError::File {
            path: path.to_path_buf(),
            source: Box::new(self),
        }
    }
}

impl From<NpuError> for SnapshotError {
    fn from(e: NpuError) -> Self {
        SnapshotError::Invalid(e.to_string())
    }
}

type Result<T> = std::result::Result<T, SnapshotError>;

/// Everything but the large columns, postcard-encoded. Any change to this
/// record changes the format version.
#[derive(Serialize, Deserialize)]
struct Meta {
    config: NpuConfig,
    burst: u64,
    genome_source: Option<String>,
    areas: Vec<CorticalArea>,
    fire_queue: FireQueue,
    ledger_last: u64,
    ledger: Vec<(AreaIndex, u64, Vec<LedgerFrame>)>,
    staged: Vec<(NeuronId, f32)>,
    pending_reset: Vec<NeuronId>,
    stdp: Vec<StdpRegistration>,
    memory_areas: Vec<MemoryAreaGenes>,
    memory_relations: Vec<MemoryRelation>,
    memory_twins: Vec<MemoryTwin>,
    memory_neurons: Vec<MemoryNeuron>,
    forced: Vec<(NeuronId, f32)>,
    replay: Vec<(u64, NeuronId, f32)>,
}

/// Writes through a checksum.
struct Output<W: Write> {
    w: W,
    hash: Xxh3,
}

impl<W: Write> Output<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.hash.update(bytes);
        self.w.write_all(bytes)
    }

    fn block<T: NoUninit>(&mut self, values: &[T]) -> io::Result<()> {
        self.put(bytemuck::cast_slice(values))
    }

    /// Writes a field of the neuron records as the column the format holds,
    /// through a small buffer (the same bytes as [`Self::block`] of the column).
    fn column<T: NoUninit>(&mut self, values: Column<'_, T>) -> io::Result<()> {
        const STEP: usize = 1 << 14;
        let mut buffer = Vec::with_capacity(STEP.min(values.len()));
        let mut all = values.iter();
        loop {
            buffer.clear();
            buffer.extend(all.by_ref().take(STEP));
            if buffer.is_empty() {
                break;
            }
            self.block(&buffer)?;
        }
        Ok(())
    }
}

/// Reads through a checksum, never past what the input holds.
struct Input<R: Read> {
    r: R,
    hash: Xxh3,
    /// Bytes read so far.
    read: u64,
    /// The input's length, when known (a file).
    length: Option<u64>,
}

/// Elements read per step when the input's length is unknown, so that a
/// damaged count cannot ask for more memory than the data that arrives.
const CHUNK_BYTES: usize = 1 << 24;

impl<R: Read> Input<R> {
    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.r.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => SnapshotError::Truncated(what.to_string()),
            _ => SnapshotError::Io(e),
        })?;
        self.hash.update(buf);
        self.read += buf.len() as u64;
        Ok(())
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let mut b = [0u8; 8];
        self.exact(&mut b, what)?;
        Ok(u64::from_le_bytes(b))
    }

    /// `count` values of `T` as one little-endian block.
    fn block<T: AnyBitPattern + NoUninit>(&mut self, count: u64, what: &str) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>() as u64;
        let bytes = count.checked_mul(size).ok_or_else(|| {
            SnapshotError::Damaged(format!("{what}: {count} entries is not a possible size"))
        })?;
        let mut out: Vec<T> = Vec::new();
        if let Some(length) = self.length {
            if bytes > length.saturating_sub(self.read) {
                return Err(SnapshotError::Truncated(format!(
                    "{what} ({count} entries, {bytes} bytes, with {} bytes left)",
                    length.saturating_sub(self.read)
                )));
            }
            out.try_reserve_exact(count as usize)
                .map_err(|_| SnapshotError::Invalid(format!("{what}: out of memory")))?;
        }
        let step = (CHUNK_BYTES / size as usize).max(1) as u64;
        let mut left = count;
        while left > 0 {
            let n = left.min(step) as usize;
            let start = out.len();
            out.try_reserve(n)
                .map_err(|_| SnapshotError::Invalid(format!("{what}: out of memory")))?;
            out.resize(start + n, T::zeroed());
            self.exact(bytemuck::cast_slice_mut(&mut out[start..]), what)?;
            left -= n as u64;
        }
        Ok(out)
    }
}

impl RustNPU {
    /// Saves the whole NPU to `path`, atomically: the snapshot is written to
    /// a temporary file in the same folder (`.NAME.tmp`), flushed and synced,
    /// then renamed over `path`, and the folder is synced. A crash at any
    /// moment leaves either the old file or the new one, never a mix; a
    /// leftover temporary file is replaced by the next save.
    ///
    /// Owed STDP depressions are applied first (which changes no exact
    /// weight). Plugins ([`RustNPU::add_plasticity_rule`]) are code, not
    /// state: they are not saved and must be registered again after a load.
    pub fn save(&mut self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.save_atomically(path).map_err(|e| e.at(path))
    }

    fn save_atomically(&mut self, path: &Path) -> Result<()> {
        let name = path
            .file_name()
            .ok_or_else(|| SnapshotError::Invalid("the path names no file".to_string()))?;
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(".tmp");
        let temp = folder.join(temp_name);
        let written = (|| {
            let file = File::create(&temp)?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            self.save_to(&mut w)?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&temp, path)?;
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
            return written;
        }
        // The rename is durable once the folder is synced (not possible on
        // every platform; the file itself is complete either way).
        if let Ok(dir) = File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Writes the whole NPU as a snapshot to `w` (see [`RustNPU::save`]).
    pub fn save_to(&mut self, w: impl Write) -> Result<()> {
        if cfg!(target_endian = "big") {
            return Err(SnapshotError::BigEndian);
        }
        self.settle_plasticity();
        let version = match self.partition {
            Some(_) => SNAPSHOT_FORMAT_VERSION,
            None => SNAPSHOT_FORMAT_VERSION_WHOLE,
        };
        let meta = self.snapshot_meta();
        let meta = postcard::to_stdvec(&meta)
            .map_err(|e| SnapshotError::Invalid(format!("cannot encode the NPU: {e}")))?;
        let mut out = Output {
            w,
            hash: Xxh3::new(),
        };
        out.put(&SNAPSHOT_MAGIC)?;
        out.put(&version.to_le_bytes())?;
        out.put(&(ENGINE_VERSION.len() as u16).to_le_bytes())?;
        out.put(ENGINE_VERSION.as_bytes())?;
        out.put(&(meta.len() as u64).to_le_bytes())?;
        out.put(&(self.neurons.len() as u64).to_le_bytes())?;
        out.put(&(self.synapses.len() as u64).to_le_bytes())?;
        out.put(&meta)?;

        let n = &self.neurons;
        out.column(n.membrane_potential())?;
        out.column(n.threshold())?;
        out.column(n.threshold_limit())?;
        out.column(n.leak())?;
        out.column(n.excitability())?;
        out.column(n.refractory_period())?;
        out.column(n.refractory_countdown())?;
        out.column(n.consecutive_fire_limit())?;
        out.column(n.consecutive_fire_count())?;
        out.column(n.snooze_period())?;
        out.column(n.mp_charge_accumulation())?;
        out.block(n.area())?;
        for column in n.voxel_columns() {
            out.block(column)?;
        }

        let sources = n.len() as NeuronId;
        let s = &self.synapses;
        let lengths: Vec<u32> = (0..sources).map(|i| s.outgoing_count(i)).collect();
        out.block(&lengths)?;
        for i in 0..sources {
            out.block(s.row(i).target)?;
        }
        for i in 0..sources {
            out.block(s.row(i).weight)?;
        }
        for i in 0..sources {
            out.block(s.row(i).psp)?;
        }
        let mut codes = Vec::new();
        for i in 0..sources {
            codes.clear();
            codes.extend(s.row(i).synapse_type.iter().map(|t| t.code()));
            out.put(&codes)?;
        }
        if let Some(p) = self.partition.as_deref() {
            // Version 2: the partition section.
            out.put(&(p.rank as u64).to_le_bytes())?;
            out.put(&(p.partition.ranks() as u64).to_le_bytes())?;
            out.put(&u64::from(p.route_staged).to_le_bytes())?;
            out.block(p.partition.bounds())?;
            out.block(&p.global_outgoing)?;
        }
        let checksum = out.hash.digest();
        out.w.write_all(&checksum.to_le_bytes())?;
        out.w.flush()?;
        Ok(())
    }

    fn snapshot_meta(&self) -> Meta {
        let p = &self.plasticity;
        Meta {
            config: self.config.clone(),
            burst: self.burst,
            genome_source: self.genome_source.clone(),
            areas: self.areas.iter().map(|(_, a)| a.area.clone()).collect(),
            fire_queue: self.fire_queue.clone(),
            ledger_last: self.ledger.last_timestep(),
            ledger: self
                .ledger
                .tracked()
                .map(|(a, w, frames)| (a, w as u64, frames.iter().cloned().collect()))
                .collect(),
            staged: self.staged.clone(),
            // Phase 0 of the next burst resets the last burst's candidates
            // too (SPEC §4.1): they are part of what it depends on.
            pending_reset: self
                .pending_reset
                .iter()
                .copied()
                .chain(
                    self.last_fcl()
                        .map(|(id, _)| id)
                        .filter(|&id| !is_memory_neuron_id(id)),
                )
                .collect(),
            stdp: p.stdp.registrations().cloned().collect(),
            memory_areas: p.memory_rule.genes().cloned().collect(),
            memory_relations: p.memory_rule.relations().to_vec(),
            memory_twins: p.memory_rule.twins().to_vec(),
            memory_neurons: p.memory.iter().map(|(_, n)| n.clone()).collect(),
            forced: p.forced.clone(),
            replay: p
                .replay
                .entries()
                .map(|(d, id, v)| (d as u64, id, v))
                .collect(),
        }
    }

    /// Loads a snapshot written by [`RustNPU::save`]. Errors name the file
    /// and what is wrong with it.
    pub fn load(path: impl AsRef<Path>) -> Result<RustNPU> {
        let path = path.as_ref();
        let open = || -> Result<RustNPU> {
            let file = File::open(path)?;
            let meta = file.metadata()?;
            if meta.is_dir() {
                return Err(SnapshotError::NotASnapshot("it is a folder".to_string()));
            }
            let length = meta.is_file().then_some(meta.len());
            read_snapshot(BufReader::with_capacity(1 << 20, file), length)
        };
        open().map_err(|e| e.at(path))
    }

    /// Reads a snapshot from `r` (see [`RustNPU::load`]).
    pub fn load_from(r: impl Read) -> Result<RustNPU> {
        read_snapshot(r, None)
    }
}

fn read_snapshot(r: impl Read, length: Option<u64>) -> Result<RustNPU> {
    parse_snapshot(r, length)?.into_npu()
}

/// A rank's partition section (format version 2), decoded and checked.
struct PartitionSection {
    rank: usize,
    partition: Partition,
    route_staged: bool,
    global_outgoing: Vec<u32>,
}

/// A snapshot read and checked byte for byte, not yet an NPU.
struct Parsed {
    meta: Meta,
    neurons: NeuronArray,
    synapses: SynapseArray,
    partition: Option<PartitionSection>,
}

impl Parsed {
    fn into_npu(self) -> Result<RustNPU> {
        let Parsed {
            meta,
            neurons,
            synapses,
            partition,
        } = self;
        let npu = build(meta, neurons, synapses)?;
        match partition {
            None => Ok(npu),
            Some(p) => npu
                .restore_partitioned(p.partition, p.rank, p.global_outgoing, p.route_staged)
                .map_err(SnapshotError::Invalid),
        }
    }
}

impl PartitionSection {
    /// The section's words as read: rank, flags, bounds, outgoing counts.
    fn decode(rank: u64, flags: u64, bounds: Vec<NeuronId>, outgoing: Vec<u32>) -> Result<Self> {
        let route_staged = match flags {
            0 => false,
            1 => true,
            _ => {
                return Err(SnapshotError::Invalid(format!(
                    "partition flags {flags:#x}: only bit 0 (route staged input) is defined"
                )))
            }
        };
        Ok(PartitionSection {
            rank: usize::try_from(rank)
                .map_err(|_| SnapshotError::Invalid(format!("rank {rank}")))?,
            partition: Partition::from_bounds(bounds)?,
            route_staged,
            global_outgoing: outgoing,
        })
    }
}

fn parse_snapshot(r: impl Read, length: Option<u64>) -> Result<Parsed> {
    if cfg!(target_endian = "big") {
        return Err(SnapshotError::BigEndian);
    }
    let mut input = Input {
        r,
        hash: Xxh3::new(),
        read: 0,
        length,
    };
    // The header: what the bytes are, before anything is trusted.
    let mut magic = [0u8; 8];
    let got = read_up_to(&mut input.r, &mut magic)?;
    input.hash.update(&magic[..got]);
    input.read += got as u64;
    if got == 0 {
        return Err(SnapshotError::NotASnapshot("it is empty".to_string()));
    }
    if magic[..got] != SNAPSHOT_MAGIC[..got] || got < magic.len() {
        let text = magic[..got].trim_ascii_start();
        let why = if text.starts_with(b"{") {
            "it starts like JSON (a genome? load genomes with from_genome / `feagi-npu run GENOME`)"
                .to_string()
        } else if got < magic.len() {
            format!("it holds only {got} bytes")
        } else {
            format!("it starts with {magic:02x?}, not {:?}", "FEAGISNP")
        };
        return Err(SnapshotError::NotASnapshot(why));
    }
    let mut version = [0u8; 4];
    input.exact(&mut version, "the header")?;
    let version = u32::from_le_bytes(version);
    let mut len = [0u8; 2];
    input.exact(&mut len, "the header")?;
    let mut engine = vec![0u8; u16::from_le_bytes(len) as usize];
    input.exact(&mut engine, "the header")?;
    let written_by = String::from_utf8_lossy(&engine).into_owned();
    if version != SNAPSHOT_FORMAT_VERSION && version != SNAPSHOT_FORMAT_VERSION_WHOLE {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            written_by,
            hint: if version > SNAPSHOT_FORMAT_VERSION {
                ": it comes from a newer feagi-rust; open it with that version or newer"
            } else {
                ""
            },
        });
    }

    let meta_len = input.u64("the header")?;
    let n = input.u64("the header")?;
    let s = input.u64("the header")?;
    let meta_bytes: Vec<u8> = input.block(meta_len, "the metadata record")?;
    let mut columns = NeuronColumns {
        membrane_potential: input.block(n, "the neuron columns")?,
        threshold: input.block(n, "the neuron columns")?,
        threshold_limit: input.block(n, "the neuron columns")?,
        leak: input.block(n, "the neuron columns")?,
        excitability: input.block(n, "the neuron columns")?,
        refractory_period: input.block(n, "the neuron columns")?,
        refractory_countdown: input.block(n, "the neuron columns")?,
        consecutive_fire_limit: input.block(n, "the neuron columns")?,
        consecutive_fire_count: input.block(n, "the neuron columns")?,
        snooze_period: input.block(n, "the neuron columns")?,
        mp_charge_accumulation: Vec::new(),
        area: Vec::new(),
        x: Vec::new(),
        y: Vec::new(),
        z: Vec::new(),
    };
    let charge: Vec<u8> = input.block(n, "the neuron columns")?;
    columns.area = input.block(n, "the neuron columns")?;
    columns.x = input.block(n, "the neuron columns")?;
    columns.y = input.block(n, "the neuron columns")?;
    columns.z = input.block(n, "the neuron columns")?;
    let row_len: Vec<u32> = input.block(n, "the synapse row table")?;
    let target: Vec<NeuronId> = input.block(s, "the synapse targets")?;
    let weight: Vec<u8> = input.block(s, "the synapse weights")?;
    let psp: Vec<u8> = input.block(s, "the synapse PSPs")?;
    let types: Vec<u8> = input.block(s, "the synapse types")?;
    let partition = if version == SNAPSHOT_FORMAT_VERSION_WHOLE {
        None
    } else {
        let rank = input.u64("the partition section")?;
        let ranks = input.u64("the partition section")?;
        let flags = input.u64("the partition section")?;
        let bounds: Vec<NeuronId> = input.block(
            ranks.checked_add(1).ok_or_else(|| {
                SnapshotError::Damaged(format!("{ranks} ranks is not a possible count"))
            })?,
            "the partition bounds",
        )?;
        let outgoing: Vec<u32> = input.block(n, "the global outgoing counts")?;
        // Decoded below, once the checksum holds.
        Some((rank, flags, bounds, outgoing))
    };
    let computed = input.hash.digest();
    let mut stored = [0u8; 8];
    input
        .r
        .read_exact(&mut stored)
        .map_err(|_| SnapshotError::Truncated("the checksum".to_string()))?;
    let stored = u64::from_le_bytes(stored);
    if stored != computed {
        return Err(SnapshotError::Checksum { stored, computed });
    }
    let mut rest = [0u8; 1];
    if read_up_to(&mut input.r, &mut rest)? != 0 {
        return Err(SnapshotError::Invalid(
            "bytes follow the checksum (two files joined?)".to_string(),
        ));
    }

    // Intact: now the content is decoded and checked.
    let meta: Meta = postcard::from_bytes(&meta_bytes)
        .map_err(|e| SnapshotError::Invalid(format!("metadata record: {e}")))?;
    let types = types
        .into_iter()
        .map(|t| {
            SynapseType::from_code(t)
                .ok_or_else(|| SnapshotError::Invalid(format!("synapse type {t} is not 0 or 1")))
        })
        .collect::<Result<Vec<_>>>()?;
    columns.mp_charge_accumulation = flags(charge)?;
    let neurons = NeuronArray::from_columns(columns).map_err(SnapshotError::Invalid)?;
    let synapses = SynapseArray::from_rows(row_len, target, weight, psp, types, neurons.len())
        .map_err(SnapshotError::Invalid)?;
    let partition = partition
        .map(|(rank, flags, bounds, outgoing)| {
            PartitionSection::decode(rank, flags, bounds, outgoing)
        })
        .transpose()?;
    Ok(Parsed {
        meta,
        neurons,
        synapses,
        partition,
    })
}

/// The file rank `rank` of `ranks` writes for the snapshot `path`:
/// `PATH.rank-R-of-N` (e.g. `brain.snap.rank-0-of-2`), in the same folder.
pub fn rank_path(path: &Path, rank: usize, ranks: usize) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".rank-{rank}-of-{ranks}"));
    PathBuf::from(name)
}

/// The rank files of `path` in its folder (`PATH.rank-R-of-N` with R < N):
/// each file with its number of ranks.
fn rank_files(path: &Path) -> Vec<(PathBuf, usize)> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!("{name}.rank-");
    std::fs::read_dir(&folder)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let file = e.ok()?.file_name().into_string().ok()?;
            let rest = file.strip_prefix(&prefix)?;
            let (r, n) = rest.split_once("-of-")?;
            let (r, n): (usize, usize) = (r.parse().ok()?, n.parse().ok()?);
            // Not a rank file's name otherwise (no rank R of N with R >= N).
            (r < n).then(|| (folder.join(&file), n))
        })
        .collect()
}

/// The numbers of ranks of the rank files of `path` in its folder
/// (`PATH.rank-R-of-N`), ascending, without repeats.
fn saved_rank_counts(path: &Path) -> Vec<usize> {
    let mut counts: Vec<usize> = rank_files(path).into_iter().map(|(_, n)| n).collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// Removes the rank files of `path` saved by another number of ranks than
/// `ranks` (`PATH.rank-R-of-M`, M != `ranks`): call it once every rank of a
/// job of `ranks` ranks has saved, so that only that save remains for
/// [`RustNPU::load_rank_repartitioned`] to find. Returns the files removed.
pub fn remove_other_rank_files(path: &Path, ranks: usize) -> io::Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for (file, _) in rank_files(path).into_iter().filter(|&(_, n)| n != ranks) {
        match std::fs::remove_file(&file) {
            Ok(()) => removed.push(file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    removed.sort();
    Ok(removed)
}

impl RustNPU {
    /// Saves this rank of a partitioned NPU to [`rank_path`]`(path, rank,
    /// ranks)`, atomically (see [`RustNPU::save`]): every rank of a job calls
    /// it with the same `path` after the same burst. A whole NPU is refused.
    pub fn save_rank(&mut self, path: impl AsRef<Path>) -> Result<PathBuf> {
        let path = path.as_ref();
        let (rank, ranks) = match self.partition() {
            Some((p, rank)) => (rank, p.ranks()),
            None => {
                return Err(SnapshotError::Ranks(format!(
                    "{}: save_rank needs a partitioned NPU; a whole brain is saved with save",
                    path.display()
                )))
            }
        };
        let file = rank_path(path, rank, ranks);
        self.save(&file)?;
        Ok(file)
    }

    /// Loads rank `rank` of `ranks` of a partitioned brain saved with
    /// [`RustNPU::save_rank`] from [`rank_path`]`(path, rank, ranks)`. When
    /// the snapshot was saved by another number of ranks, the error names
    /// both; a file whose partition names another rank or count is refused.
    pub fn load_rank(path: impl AsRef<Path>, rank: usize, ranks: usize) -> Result<RustNPU> {
        let path = path.as_ref();
        let file = rank_path(path, rank, ranks);
        if !file.exists() {
            let counts = saved_rank_counts(path);
            let saved = counts
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" or ");
            let why = match (counts.is_empty(), path.is_file()) {
                _ if counts.contains(&ranks) => format!(
                    "{}: the save by {ranks} ranks is incomplete: {} is missing",
                    path.display(),
                    file.display()
                ),
                (false, _) => format!(
                    "{}: saved by {saved} ranks, but this job has {ranks} ranks (no {}); \
                     resume with {saved} ranks",
                    path.display(),
                    file.display()
                ),
                (true, true) => format!(
                    "{}: a whole-brain snapshot, but this job has {ranks} ranks and looks for {}",
                    path.display(),
                    file.display()
                ),
                (true, false) => format!(
                    "{}: no rank snapshot {} (saved with --distributed --save?)",
                    path.display(),
                    file.display()
                ),
            };
            return Err(SnapshotError::Ranks(why));
        }
        parse_rank_file(path, rank, ranks)?
            .into_npu()
            .map_err(|e| e.at(&file))
    }
}

/// Reads until `buf` is full or the input ends; how many bytes arrived.
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(got)
}

fn flags(bytes: Vec<u8>) -> Result<Vec<bool>> {
    bytes
        .into_iter()
        .map(|b| match b {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(SnapshotError::Invalid(format!(
                "a charge accumulation flag is {b}, not 0 or 1"
            ))),
        })
        .collect()
}

/// The areas as consecutive neuron ranges, each exactly its grid, when the
/// neurons are laid out so (every developed brain): the fast path through
/// [`RustNPU::from_connectome`].
fn consecutive_layout(areas: &[CorticalArea], area_of: &[AreaIndex]) -> Option<Vec<DevelopedArea>> {
    let mut out = Vec::with_capacity(areas.len());
    let mut first = 0usize;
    for (index, area) in areas.iter().enumerate() {
        let count = area_of[first..]
            .iter()
            .take_while(|&&a| a as usize == index)
            .count();
        if area.neuron_count() != Some(count as u64) {
            return None;
        }
        out.push(DevelopedArea {
            area: area.clone(),
            first_neuron: first as NeuronId,
            neuron_count: count as u32,
        });
        first += count;
    }
    (first == area_of.len()).then_some(out)
}

/// The NPU of a checked snapshot: the structure goes through the checks of
/// [`RustNPU::from_connectome`] (or, for hand-built layouts, of
/// `register_area` and `add_neuron`), then the dynamic state is put back,
/// each part checked against the structure.
fn build(meta: Meta, neurons: NeuronArray, synapses: SynapseArray) -> Result<RustNPU> {
    let bad = |m: String| SnapshotError::Invalid(m);
    let count = neurons.len();
    let areas = meta.areas.len();
    let known = |a: AreaIndex| (a as usize) < areas;
    if let Some(g) = meta.memory_areas.iter().find(|g| !known(g.area)) {
        return Err(bad(format!("memory genes name unknown area {}", g.area)));
    }
    if let Some(t) = meta
        .memory_twins
        .iter()
        .find(|t| !known(t.twin) || !known(t.of))
    {
        return Err(bad(format!(
            "a twin relation names unknown area {} or {}",
            t.twin, t.of
        )));
    }
    let mut npu = match consecutive_layout(&meta.areas, neurons.area()) {
        Some(layout) => RustNPU::from_connectome(
            Connectome {
                areas: layout,
                neurons,
                synapses: SynapseList::default(),
                stdp: meta.stdp.clone(),
                memory_relations: meta.memory_relations.clone(),
                memory_areas: meta.memory_areas.clone(),
                memory_twins: meta.memory_twins.clone(),
            },
            meta.config,
        )?,
        None => {
            // Any other layout, neuron by neuron, through the API's checks.
            let mut npu = RustNPU::with_config(count, 0, meta.config)?;
            for area in meta.areas {
                npu.register_area(area)?;
            }
            for i in 0..count {
                npu.add_neuron(neurons.area()[i], neurons.params(i), neurons.coordinates(i))?;
            }
            npu.neurons.copy_state_from(&neurons);
            for r in &meta.stdp {
                if !known(r.source_area) || !known(r.destination_area) {
                    return Err(bad(format!(
                        "STDP pair {} -> {} names an unknown area",
                        r.source_area, r.destination_area
                    )));
                }
            }
            if let Some(r) = meta
                .memory_relations
                .iter()
                .find(|r| !known(r.upstream) || !known(r.memory_area))
            {
                return Err(bad(format!(
                    "memory relation {} -> {} names an unknown area",
                    r.upstream, r.memory_area
                )));
            }
            npu
        }
    };
    npu.synapses = synapses;
    npu.burst = meta.burst;
    npu.genome_source = meta.genome_source;

    let regular = |id: NeuronId, what: &str| {
        if (id as usize) < count {
            Ok(())
        } else {
            Err(bad(format!("{what} names neuron {id} of {count}")))
        }
    };
    for &(id, _) in &meta.staged {
        regular(id, "staged input")?;
    }
    for &id in &meta.pending_reset {
        regular(id, "a pending reset")?;
    }
    npu.staged = meta.staged;
    npu.pending_reset = meta.pending_reset;

    let memory = MemoryNeurons::from_neurons(meta.memory_neurons)
        .ok_or_else(|| bad("more memory neurons than the id range holds".to_string()))?;
    for (id, m) in memory.iter() {
        if m.area as usize >= areas || m.replay.iter().any(|f| f.upstream as usize >= areas) {
            return Err(bad(format!("memory neuron {id} names an unknown area")));
        }
    }
    let mut memory_rule = MemoryAreas::new(
        &meta.memory_areas,
        &meta.memory_relations,
        &meta.memory_twins,
    );
    memory_rule.restore(&memory).map_err(bad)?;
    for &(id, _) in &meta.forced {
        if memory.get(id).is_none() {
            return Err(bad(format!(
                "a forced injection names memory neuron {id}, which does not exist"
            )));
        }
    }
    let q = &meta.fire_queue;
    let ascending = q.neuron_ids.windows(2).all(|w| w[0] < w[1]);
    if !ascending || q.potentials.len() != q.neuron_ids.len() || q.timestep != meta.burst {
        return Err(bad(
            "the fire queue is not that of the last burst".to_string()
        ));
    }
    for &id in &q.neuron_ids {
        if is_memory_neuron_id(id) {
            if memory.get(id).is_none() {
                return Err(bad(format!("the fire queue names memory neuron {id}")));
            }
        } else {
            regular(id, "the fire queue")?;
        }
    }
    let mut ledger = Vec::with_capacity(meta.ledger.len());
    for (area, window, frames) in meta.ledger {
        if !known(area) {
            return Err(bad(format!("the ledger tracks unknown area {area}")));
        }
        let window = usize::try_from(window)
            .map_err(|_| bad(format!("ledger window {window} of area {area}")))?;
        for frame in &frames {
            for &id in &frame.neuron_ids {
                let owner = if is_memory_neuron_id(id) {
                    memory.area_of(id)
                } else {
                    npu.neurons.area().get(id as usize).copied()
                };
                if owner != Some(area) {
                    return Err(bad(format!(
                        "the ledger of area {area} names neuron {id}, which is not in it"
                    )));
                }
            }
        }
        ledger.push((area, window, frames));
    }
    if meta.ledger_last != meta.burst {
        return Err(bad(format!(
            "the ledger ends at burst {}, the NPU at burst {}",
            meta.ledger_last, meta.burst
        )));
    }
    npu.ledger = FireLedger::restore(meta.ledger_last, ledger).map_err(bad)?;
    for (area, frames) in npu.plasticity.ledger_requirements() {
        if npu.ledger.window(area).is_none_or(|w| w < frames) {
            return Err(bad(format!(
                "area {area}'s ledger window is shorter than plasticity reads ({frames})"
            )));
        }
    }
    npu.fire_queue = meta.fire_queue;
    for &(delay, id, _) in &meta.replay {
        regular(id, "replay input")?;
        if delay == 0 || delay > u64::from(u32::MAX) {
            return Err(bad(format!("replay input {delay} bursts ahead")));
        }
    }
    for (delay, id, v) in meta.replay {
        npu.plasticity.replay.schedule(delay as usize, id, v);
    }
    npu.plasticity.forced = meta.forced;
    npu.plasticity.memory = memory;
    npu.plasticity.memory_rule = memory_rule;
    npu.plasticity.stdp = Stdp::new(&meta.stdp);
    Ok(npu)
}

/// Reads `path`'s file of rank `rank` of `ranks`, checked to be that rank's
/// and to partition exactly its neurons.
fn parse_rank_file(path: &Path, rank: usize, ranks: usize) -> Result<Parsed> {
    let file = rank_path(path, rank, ranks);
    let open = || -> Result<Parsed> {
        let f = File::open(&file)?;
        let length = f.metadata()?.len();
        parse_snapshot(BufReader::with_capacity(1 << 20, f), Some(length))
    };
    let parsed = open().map_err(|e| e.at(&file))?;
    let why = match &parsed.partition {
        None => format!(
            "{}: a whole-brain snapshot, not rank {rank} of {ranks}",
            file.display()
        ),
        Some(p) if (p.rank, p.partition.ranks()) != (rank, ranks) => format!(
            "{}: holds rank {} of {} ranks, but this is rank {rank} of {ranks}",
            file.display(),
            p.rank,
            p.partition.ranks()
        ),
        Some(p) if p.partition.neurons() != parsed.neurons.len() => {
            return Err(SnapshotError::Invalid(format!(
                "the partition {:?} covers {} neurons, the brain has {}",
                p.partition.bounds(),
                p.partition.neurons(),
                parsed.neurons.len()
            ))
            .at(&file))
        }
        Some(_) => return Ok(parsed),
    };
    Err(SnapshotError::Ranks(why))
}

/// What must be the same in every rank file of one save: the burst, the
/// partition and the fire queue (parsed by [`parse_rank_file`]).
fn save_stamp(p: &Parsed) -> (u64, Vec<NeuronId>, Vec<NeuronId>) {
    let bounds = p.partition.as_ref().map(|s| s.partition.bounds().to_vec());
    (
        p.meta.burst,
        bounds.unwrap_or_default(),
        p.meta.fire_queue.neuron_ids.clone(),
    )
}

/// Copies neurons `range` of every column of `from` into `into`.
fn copy_neurons(into: &mut NeuronColumns, from: &NeuronColumns, range: std::ops::Range<usize>) {
    macro_rules! copy {
        ($($field:ident),*) => {
            $(into.$field[range.clone()].copy_from_slice(&from.$field[range.clone()]);)*
        };
    }
    copy!(
        membrane_potential,
        threshold,
        threshold_limit,
        leak,
        excitability,
        refractory_period,
        refractory_countdown,
        consecutive_fire_limit,
        consecutive_fire_count,
        snooze_period,
        mp_charge_accumulation,
        area,
        x,
        y,
        z
    );
}

impl RustNPU {
    /// Loads rank `rank` of `ranks` of a partitioned brain saved with
    /// [`RustNPU::save_rank`] by any number of ranks: the job's own file when
    /// it was saved by `ranks` ranks ([`RustNPU::load_rank`]), otherwise
    /// re-partitioned from the files of the one rank count found beside
    /// `path`. Every rank reads every file twice: once to count each
    /// neuron's incoming synapses for [`Partition::balanced_by_incoming`],
    /// once to take the state of its neurons from their old owners and the
    /// synapses into them from every file (a row keeps, per target, the
    /// order its old owner had, which is all a burst's sums depend on).
    /// Staged input goes with the neurons it is for (or, routed, to rank 0
    /// in the old ranks' order). The brain then runs as if it had been
    /// partitioned this way from the start.
    pub fn load_rank_repartitioned(
        path: impl AsRef<Path>,
        rank: usize,
        ranks: usize,
    ) -> Result<RustNPU> {
        let path = path.as_ref();
        let counts = saved_rank_counts(path);
        let saved = match counts.as_slice() {
            // Saved by this many ranks (stale files of other saves aside),
            // or nothing to re-partition: load_rank and its errors.
            _ if counts.contains(&ranks) => return RustNPU::load_rank(path, rank, ranks),
            [] => return RustNPU::load_rank(path, rank, ranks),
            [one] => *one,
            many => {
                let many: Vec<String> = many.iter().map(|c| c.to_string()).collect();
                return Err(SnapshotError::Ranks(format!(
                    "{}: rank snapshots saved by {} ranks lie beside it; remove those of other \
                     saves so that one remains",
                    path.display(),
                    many.join(" and ")
                )));
            }
        };
        if rank >= ranks {
            return Err(SnapshotError::Ranks(format!(
                "rank {rank} of a job of {ranks} ranks"
            )));
        }
        let mixed = |what: &str| {
            SnapshotError::Ranks(format!(
                "{}: the files of the {saved} ranks differ in {what}: they come from different saves",
                path.display()
            ))
        };
        // Pass 1: every neuron's incoming synapses, and the area starts.
        let mut incoming: Vec<u64> = Vec::new();
        let mut starts: Vec<NeuronId> = Vec::new();
        // What each file held, checked against the others and, in pass 2,
        // against itself (saved again meanwhile?).
        let mut stamps = Vec::with_capacity(saved);
        for k in 0..saved {
            let p = parse_rank_file(path, k, saved)?;
            let stamp = (save_stamp(&p), p.synapses.len());
            match stamps.first() {
                None => {
                    incoming = vec![0; p.neurons.len()];
                    let mut seen = vec![false; p.meta.areas.len()];
                    for (i, &a) in p.neurons.area().iter().enumerate() {
                        if let Some(s) = seen.get_mut(a as usize).filter(|s| !**s) {
                            *s = true;
                            starts.push(i as NeuronId);
                        }
                    }
                }
                Some((first, _)) if *first != stamp.0 => {
                    return Err(mixed("their burst, partition or fire queue"))
                }
                Some(_) => {}
            }
            stamps.push(stamp);
            for s in 0..incoming.len() as NeuronId {
                tally(&mut incoming, p.synapses.row(s).target);
            }
        }
        let n = incoming.len();
        let partition = Partition::balanced_by_incoming(&incoming, starts, ranks)?;
        drop(incoming);
        let range = partition.range(rank);
        // Pass 2: this rank's neurons from their old owners, its synapses from every file.
        let mut base: Option<(Meta, NeuronColumns, Vec<u32>, bool)> = None;
        let mut list = SynapseList::default();
        let (mut pending, mut staged) = (Vec::new(), Vec::new());
        for k in 0..saved {
            let p = parse_rank_file(path, k, saved)?;
            if stamps.get(k) != Some(&(save_stamp(&p), p.synapses.len())) {
                return Err(mixed(
                    "what they held between two readings (saved again meanwhile?)",
                ));
            }
            let Some(section) = p.partition else {
                return Err(mixed("their partition"));
            };
            let old = section.partition.range(k);
            let route = section.route_staged;
            let columns = p.neurons.to_columns();
            let meta = p.meta;
            pending.extend(
                meta.pending_reset
                    .iter()
                    .copied()
                    .filter(|id| old.contains(id) && range.contains(id)),
            );
            if route {
                // Routed input is gathered in rank order at the next burst.
                if rank == 0 {
                    staged.extend(meta.staged.iter().copied());
                }
            } else {
                staged.extend(
                    meta.staged
                        .iter()
                        .copied()
                        .filter(|(id, _)| old.contains(id) && range.contains(id)),
                );
            }
            match base.as_mut() {
                None => base = Some((meta, columns, section.global_outgoing, route)),
                Some((_, into, _, _)) => {
                    copy_neurons(into, &columns, old.start as usize..old.end as usize)
                }
            }
            for s in 0..n as NeuronId {
                let row = p.synapses.row(s);
                for i in 0..row.len() {
                    if range.contains(&row.target[i]) {
                        list.source.push(s);
                        list.target.push(row.target[i]);
                        list.weight.push(row.weight[i]);
                        list.psp.push(row.psp[i]);
                        list.synapse_type.push(row.synapse_type[i]);
                    }
                }
            }
        }
        let Some((mut meta, columns, outgoing, route)) = base else {
            return Err(mixed("their count"));
        };
        meta.pending_reset = pending;
        meta.staged = staged;
        let rebuild = || -> Result<RustNPU> {
            let neurons = NeuronArray::from_columns(columns).map_err(SnapshotError::Invalid)?;
            let synapses = SynapseArray::try_from_list(&list, n).map_err(SnapshotError::Invalid)?;
            build(meta, neurons, synapses)?
                .restore_partitioned(partition, rank, outgoing, route)
                .map_err(SnapshotError::Invalid)
        };
        rebuild().map_err(|e| e.at(path))
    }
}

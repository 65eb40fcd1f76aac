//! The data of a parsed, validated genome: [`Genome`], its areas, mapping
//! rules and physiology. Built only by the loading pipeline (`load.rs`);
//! everything here is read-only to the rest of the world.

use crate::error::{GenomeWarning, WarningKind};
use crate::morphology::{FunctionMorphology, Morphology, MorphologyEntry};
use feagi_types::{
    AreaIndex, AreaKind, AreaProperties, CorticalArea, CorticalId, MAX_REGULAR_NEURONS,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The default synapse budget of [`LoadOptions`]: about 11 GB of synapse list,
/// which is what this class of machine can hold next to the NPU's own copy.
pub const DEFAULT_MAX_SYNAPSES: u64 = 1_000_000_000;

/// The default cap on a genome's text of [`LoadOptions`]: 256 MiB, far above
/// any real genome (the largest known are a few MB).
pub const DEFAULT_MAX_GENOME_BYTES: u64 = 256 * 1024 * 1024;

/// Default `simulation_timestep` in seconds (SPEC §1.8).
pub const DEFAULT_SIMULATION_TIMESTEP: f64 = 0.025;
/// Default `plasticity_queue_depth` (SPEC §1.8).
pub const DEFAULT_PLASTICITY_QUEUE_DEPTH: u32 = 3;

/// Resource limits for loading and development (docs/GENOME.md, "Limits").
///
/// ```
/// use feagi_genome::LoadOptions;
/// let options = LoadOptions::default()
///     .with_memory_limit(Some(8 << 30))
///     .with_max_genome_bytes(1 << 30);
/// assert_eq!(options.memory_limit, Some(8 << 30));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Most regular neurons a genome may develop. Values above the SPEC limit
    /// of 50 000 000 (ids above it are reserved for memory neurons) act as that limit.
    pub max_neurons: u64,
    /// Most synapses development may create. Development first estimates
    /// every rule's synapses and refuses at once when even the lowest
    /// estimate is above this; it also stops when the count passes it.
    pub max_synapses: u64,
    /// Largest genome text, in bytes, that is read or parsed (default
    /// [`DEFAULT_MAX_GENOME_BYTES`]).
    pub max_genome_bytes: u64,
    /// Most memory, in bytes, that parsing a genome or developing it into an
    /// NPU may need by the estimate of [`crate::estimate_memory`]. `None`
    /// (the default) uses the memory the machine has available
    /// ([`available_memory`]: `MemAvailable` of `/proc/meminfo`), and no
    /// limit where that cannot be read.
    pub memory_limit: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_neurons: MAX_REGULAR_NEURONS,
            max_synapses: DEFAULT_MAX_SYNAPSES,
            max_genome_bytes: DEFAULT_MAX_GENOME_BYTES,
            memory_limit: None,
        }
    }
}

impl LoadOptions {
    pub(crate) fn neuron_limit(&self) -> u64 {
        self.max_neurons.min(MAX_REGULAR_NEURONS)
    }

    /// These options with `max_neurons` set.
    pub fn with_max_neurons(mut self, max_neurons: u64) -> Self {
        self.max_neurons = max_neurons;
        self
    }

    /// These options with `max_synapses` set.
    pub fn with_max_synapses(mut self, max_synapses: u64) -> Self {
        self.max_synapses = max_synapses;
        self
    }

    /// These options with `max_genome_bytes` set.
    pub fn with_max_genome_bytes(mut self, max_genome_bytes: u64) -> Self {
        self.max_genome_bytes = max_genome_bytes;
        self
    }

    /// These options with `memory_limit` set (`Some(u64::MAX)` for no limit).
    pub fn with_memory_limit(mut self, memory_limit: Option<u64>) -> Self {
        self.memory_limit = memory_limit;
        self
    }

    /// The memory limit in bytes these options stand for: `memory_limit`, or
    /// else what the machine has available now; `None` means no limit.
    pub fn effective_memory_limit(&self) -> Option<u64> {
        match self.memory_limit {
            Some(limit) => Some(limit),
            None => available_memory(),
        }
    }
}

/// The memory available for a new brain, in bytes (Linux): the smallest of
/// `MemAvailable` (`/proc/meminfo`), the room left under the process's
/// address-space limit (`ulimit -v`: the soft `Max address space` of
/// `/proc/self/limits` minus the current `VmSize`) and the room left in its
/// cgroup (`memory.max` minus `memory.current`). `None` where none can be read.
pub fn available_memory() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = read("/proc/meminfo").and_then(|t| parse_mem_available(&t));
    let address_space = read("/proc/self/limits").and_then(|limits| {
        let cap = parse_address_space_limit(&limits)?;
        let used = read("/proc/self/status").and_then(|t| parse_status_kb(&t, "VmSize:"))?;
        Some(cap.saturating_sub(used))
    });
    let cgroup = read("/sys/fs/cgroup/memory.max").and_then(|max| {
        let max: u64 = max.trim().parse().ok()?;
        let current: u64 = read("/sys/fs/cgroup/memory.current")?.trim().parse().ok()?;
        Some(max.saturating_sub(current))
    });
    [machine, address_space, cgroup].into_iter().flatten().min()
}

/// The soft `Max address space` of a `/proc/self/limits` text, in bytes
/// (`None` when unlimited or absent).
pub(crate) fn parse_address_space_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max address space"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// A `NAME:  N kB` line of a `/proc/self/status` text, in bytes.
fn parse_status_kb(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix(name))?;
    let kb: u64 = line.split_whitespace().next()?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// The `MemAvailable:  N kB` line of a `/proc/meminfo` text, in bytes.
pub(crate) fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?;
    let mut parts = line.split_whitespace();
    let value: u64 = parts.next()?.parse().ok()?;
    let unit = match parts.next() {
        None => 1,
        Some(u) if u.eq_ignore_ascii_case("kb") => 1024,
        Some(_) => return None,
    };
    Some(value.saturating_mul(unit))
}

/// Global parameters (SPEC §1.8).
#[derive(Clone, Debug, PartialEq)]
pub struct Physiology {
    /// Burst period in seconds (> 0).
    pub simulation_timestep: f64,
    /// Default STDP window (>= 1).
    pub plasticity_queue_depth: u32,
    /// As written (`"fp32"` when absent); computation is always f32.
    pub quantization_precision: String,
    /// Every other physiology key, verbatim (`max_age`, `sleep`, ...).
    pub other: Map<String, Value>,
}

impl Default for Physiology {
    fn default() -> Self {
        Physiology {
            simulation_timestep: DEFAULT_SIMULATION_TIMESTEP,
            plasticity_queue_depth: DEFAULT_PLASTICITY_QUEUE_DEPTH,
            quantization_precision: "fp32".into(),
            other: Map::new(),
        }
    }
}

/// Memory genes of an area (milestone M2, SPEC §6.2); parsed and kept in M1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryGenes {
    /// D: bursts of upstream activity that form one pattern (gene
    /// `temporal_depth`, default 1; 0 is replaced by 1).
    pub temporal_depth: u32,
    /// Lifespan at which a memory neuron becomes long-term and stops aging
    /// (gene `longterm_mem_threshold`, default 100).
    pub longterm_mem_threshold: u32,
    /// Lifespan added when a known pattern reactivates its memory neuron
    /// (gene `lifespan_growth_rate`, default 1).
    pub lifespan_growth_rate: u32,
    /// Lifespan, in bursts, of a newly created memory neuron (gene
    /// `init_lifespan`, default 9).
    pub init_lifespan: u32,
    /// The area whose activity this area replays (`memory_twin_of`).
    pub memory_twin_of: Option<CorticalId>,
}

impl Default for MemoryGenes {
    fn default() -> Self {
        MemoryGenes {
            temporal_depth: 1,
            longterm_mem_threshold: 100,
            lifespan_growth_rate: 1,
            init_lifespan: 9,
            memory_twin_of: None,
        }
    }
}

/// One outgoing mapping rule of an area (SPEC §1.6), resolved and validated.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingRule {
    /// Index of the destination area (SPEC §2.1).
    pub destination: AreaIndex,
    /// The destination id as written in the genome.
    pub destination_written: String,
    /// Position of the rule in its destination list; keys the RNG (SPEC §7.2).
    pub rule_index: u32,
    /// After renames (`memory` -> `episodic_memory`, ...).
    pub morphology_id: String,
    /// Kept verbatim; no effect on synaptogenesis.
    pub morphology_scalar: Value,
    /// Multiplier m, an integer (default 1): synapse weight min(|m|, 255),
    /// inhibitory when m < 0, weight-0 synapses when m = 0 (SPEC §3.2).
    pub multiplier: i64,
    /// Plastic rule: registers STDP for this area pair (default false; SPEC §6.1).
    pub plasticity_flag: bool,
    /// STDP constant C (default 1; SPEC §6.1).
    pub plasticity_constant: i64,
    /// STDP Lp (default 1): potentiation step clamp(C*Lp, 0, 255).
    pub ltp_multiplier: i64,
    /// STDP Ld (default 1): depression step clamp(C*Ld, 0, 255).
    pub ltd_multiplier: i64,
    /// STDP window W in bursts, >= 1 (default `physiology.plasticity_queue_depth`).
    pub plasticity_window: u32,
    /// Per-rule attractivity in percent, clamped into [0, 100].
    pub synapse_attractivity: Option<f32>,
    /// Added by the `associative_memory` mirroring of SPEC §6.1.
    pub mirrored: bool,
}

impl MappingRule {
    /// Whether this rule registers STDP (SPEC §3.2, §6.1).
    pub fn registers_stdp(&self) -> bool {
        self.plasticity_flag || self.morphology_id == FunctionMorphology::AssociativeMemory.id()
    }
}

/// One cortical area of a genome.
#[derive(Clone, Debug, PartialEq)]
pub struct GenomeArea {
    pub(crate) area: CorticalArea,
    pub(crate) written_id: String,
    pub(crate) group: Option<String>,
    pub(crate) sub_group: String,
    pub(crate) memory: MemoryGenes,
    pub(crate) rules: Vec<MappingRule>,
    pub(crate) morphology_ids: Vec<String>,
    pub(crate) kept_genes: BTreeMap<String, Value>,
    pub(crate) added: bool,
}

impl GenomeArea {
    /// Canonical 8-byte cortical id (SPEC §1.3).
    pub fn id(&self) -> CorticalId {
        self.area.id
    }
    /// The id as written in the genome (the canonical id for added core areas).
    pub fn written_id(&self) -> &str {
        &self.written_id
    }
    /// `cortical_name` / `__name`, empty when absent.
    pub fn name(&self) -> &str {
        &self.area.name
    }
    /// Area kind (SPEC §1.3): byte 0 of an 8-byte id, or `group_id` for a
    /// legacy 6-char id.
    pub fn kind(&self) -> AreaKind {
        self.area.kind
    }
    /// Declared grid (W, H, D); core areas still hold one neuron (SPEC §2.2).
    pub fn dimensions(&self) -> [u32; 3] {
        self.area.dimensions
    }
    /// Neurons per voxel n (`per_voxel_neuron_cnt`, >= 1); core areas ignore it.
    pub fn neurons_per_voxel(&self) -> u32 {
        self.area.neurons_per_voxel
    }
    /// Area genes in internal units.
    pub fn properties(&self) -> &AreaProperties {
        &self.area.properties
    }
    /// The area as the NPU receives it: id, name, kind, dimensions and genes
    /// in internal units.
    pub fn cortical_area(&self) -> &CorticalArea {
        &self.area
    }
    /// Neurons this area develops (one for core areas).
    pub fn neuron_count(&self) -> u64 {
        self.area.neuron_count().unwrap_or(u64::MAX)
    }
    /// A memory area in the sense of SPEC §1.3.
    pub fn is_memory(&self) -> bool {
        self.area.properties.is_memory
    }
    /// `group_id` / `_group` as written.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }
    /// `sub_group_id` / `subgrp` as written, empty when absent; containing
    /// `MEMORY` makes a memory area (SPEC §1.3).
    pub fn sub_group(&self) -> &str {
        &self.sub_group
    }
    /// Memory genes (M2, SPEC §6.2), parsed and kept in M1.
    pub fn memory_genes(&self) -> &MemoryGenes {
        &self.memory
    }
    /// Outgoing rules in synaptogenesis order: ascending destination index, then rule index.
    pub fn mapping_rules(&self) -> &[MappingRule] {
        &self.rules
    }
    /// The rules grouped by destination (SPEC §3.1): one slice per (A, B)
    /// pair, destinations ascending, each in rule order.
    pub fn rules_by_destination(&self) -> impl Iterator<Item = &[MappingRule]> {
        self.rules.chunk_by(|a, b| a.destination == b.destination)
    }
    /// Distinct morphology ids used by this area's rules, sorted.
    pub fn morphology_ids(&self) -> &[String] {
        &self.morphology_ids
    }
    /// Kept and unknown genes, by exon (flat form) or property name (hierarchical form).
    pub fn kept_genes(&self) -> &BTreeMap<String, Value> {
        &self.kept_genes
    }
    /// True for a core area the genome did not declare (SPEC §1.9 step 6).
    pub fn is_added(&self) -> bool {
        self.added
    }
}

/// A parsed and validated genome, ready for [`crate::develop`].
#[derive(Clone, Debug, PartialEq)]
pub struct Genome {
    pub(crate) genome_id: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) version: String,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) physiology: Physiology,
    pub(crate) areas: Vec<GenomeArea>,
    pub(crate) index: BTreeMap<CorticalId, AreaIndex>,
    pub(crate) morphologies: BTreeMap<String, MorphologyEntry>,
    pub(crate) ignored_blueprint_keys: Map<String, Value>,
    pub(crate) warnings: Vec<GenomeWarning>,
    pub(crate) neuron_count: u64,
    pub(crate) uses_plasticity: bool,
}

impl Genome {
    /// The `genome_id` metadata, when it is a string.
    pub fn genome_id(&self) -> Option<&str> {
        self.genome_id.as_deref()
    }
    /// The `genome_title` metadata, when it is a string.
    pub fn title(&self) -> Option<&str> {
        self.title.as_deref()
    }
    /// The `genome_description` metadata, when it is a string.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The version string ("2.0" when the genome had none).
    pub fn version(&self) -> &str {
        &self.version
    }
    /// Metadata and unknown top-level keys, verbatim.
    pub fn metadata(&self) -> &Map<String, Value> {
        &self.metadata
    }
    /// Global parameters (SPEC §1.8), legacy top-level keys already moved in.
    pub fn physiology(&self) -> &Physiology {
        &self.physiology
    }
    /// Burst period in seconds for a runtime loop (> 0, default 0.025); not
    /// used inside a burst.
    pub fn simulation_timestep(&self) -> f64 {
        self.physiology.simulation_timestep
    }
    /// Default STDP window for rules without `plasticity_window` (>= 1, default 3).
    pub fn plasticity_queue_depth(&self) -> u32 {
        self.physiology.plasticity_queue_depth
    }
    /// The precision as written (`"fp32"` when absent); computation is f32
    /// whatever it says.
    pub fn quantization_precision(&self) -> &str {
        &self.physiology.quantization_precision
    }
    /// Areas in index order (SPEC §2.1).
    pub fn areas(&self) -> &[GenomeArea] {
        &self.areas
    }
    /// The area at an index (SPEC §2.1), or `None` past the last.
    pub fn area(&self, index: AreaIndex) -> Option<&GenomeArea> {
        self.areas.get(usize::try_from(index).ok()?)
    }
    /// Index of the area with this canonical id (SPEC §2.1).
    pub fn area_index(&self, id: &CorticalId) -> Option<AreaIndex> {
        self.index.get(id).copied()
    }
    /// The area with this canonical id.
    pub fn area_by_id(&self, id: &CorticalId) -> Option<&GenomeArea> {
        self.area(self.area_index(id)?)
    }
    /// Looks an area up by any accepted spelling of its id (SPEC §1.3).
    pub fn find_area(&self, spelling: &str) -> Option<&GenomeArea> {
        self.area_by_id(&crate::ids::parse_cortical_id(spelling).ok()?)
    }
    /// The first area (in index order) with this name.
    pub fn area_by_name(&self, name: &str) -> Option<&GenomeArea> {
        self.areas.iter().find(|a| a.name() == name)
    }
    /// The morphology table after upgrades, renames and core additions.
    pub fn morphologies(&self) -> &BTreeMap<String, MorphologyEntry> {
        &self.morphologies
    }
    /// The validated morphology with this id (after renames), if the table has it.
    pub fn morphology(&self, id: &str) -> Option<&Morphology> {
        self.morphologies.get(id).map(|e| &e.morphology)
    }
    /// Flat blueprint keys that are kept but not used (`_____10b-` genes, odd keys).
    pub fn ignored_blueprint_keys(&self) -> &Map<String, Value> {
        &self.ignored_blueprint_keys
    }
    /// Every warning of the load, in the order raised (SPEC §1.10).
    pub fn warnings(&self) -> &[GenomeWarning] {
        &self.warnings
    }
    /// Total regular neurons development creates (core areas count one each).
    pub fn neuron_count(&self) -> u64 {
        self.neuron_count
    }

    /// Whether the genome uses plasticity or memory (STDP rules, memory
    /// areas, episodic or replay rules): what a brain with plasticity off
    /// would silently not do.
    pub fn uses_plasticity(&self) -> bool {
        self.uses_plasticity
    }

    /// [`Genome::warnings`] as they apply to a brain grown with plasticity on
    /// or off: with it off, and a genome that uses plasticity, one
    /// `PlasticityInactive` warning is added (SPEC §6: the M1 semantics).
    pub fn warnings_for(&self, plasticity: bool) -> Vec<GenomeWarning> {
        let mut warnings = self.warnings.clone();
        if !plasticity && self.uses_plasticity {
            warnings.push(GenomeWarning::new(
                WarningKind::PlasticityInactive,
                "the genome uses plasticity or memory, which are switched off: they change nothing during bursts",
            ));
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_space_limits_are_read_from_proc_limits() {
        let limited = "Limit                     Soft Limit           Hard Limit           Units\n\
                       Max address space         8192000000           unlimited            bytes\n";
        assert_eq!(parse_address_space_limit(limited), Some(8_192_000_000));
        let unlimited =
            "Max address space         unlimited            unlimited            bytes\n";
        assert_eq!(parse_address_space_limit(unlimited), None);
        assert_eq!(
            parse_status_kb("VmSize:\t    3760 kB\n", "VmSize:"),
            Some(3760 * 1024)
        );
    }

    #[test]
    fn mem_available_is_read_in_bytes() {
        let meminfo =
            "MemTotal:       24000000 kB\nMemFree:   100 kB\nMemAvailable:   23815468 kB\n";
        assert_eq!(parse_mem_available(meminfo), Some(23_815_468 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: lots kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: 5 MB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: 5\n"), Some(5));
    }

    #[test]
    fn an_explicit_memory_limit_wins() {
        let o = LoadOptions::default().with_memory_limit(Some(7));
        assert_eq!(o.effective_memory_limit(), Some(7));
        let o = o
            .with_max_neurons(9)
            .with_max_synapses(10)
            .with_max_genome_bytes(11);
        assert_eq!(
            (o.max_neurons, o.max_synapses, o.max_genome_bytes),
            (9, 10, 11)
        );
    }
}

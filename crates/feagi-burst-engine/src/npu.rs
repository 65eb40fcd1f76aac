//! `RustNPU`: the neural processing unit. It owns the neuron and synapse
//! arrays and the fire structures, runs bursts, and answers the queries of
//! SPEC §5.2. Every method that fails returns an error and changes nothing.

use feagi_plasticity::{MemoryAreas, PlasticityRule, PlasticityStats, ReplayQueue, Stdp};
use feagi_types::fire::LedgerFrame;
use feagi_types::memory::is_memory_neuron_id;
use feagi_types::units::{self, threshold_limit_to_option};
use feagi_types::{
    AreaIndex, Connectome, CorticalArea, CorticalId, FireCandidateList, FireLedger, FireQueue,
    MemoryRelation, NeuronArray, NeuronId, NeuronParams, StdpRegistration, SynapseArray,
    SynapseType, MAX_REGULAR_NEURONS,
};
use feagi_types::{MemoryAreaGenes, MemoryNeuron, MemoryNeurons, MemoryTwin};
use roaring::RoaringBitmap;

use crate::areas::AreaTable;
use crate::config::NpuConfig;
use crate::distributed::{FireExchange, Partition, Partitioned};
use crate::error::{invalid, NpuError, Result};
use crate::phases::{archival, dynamics, injection, memory, reset};
use crate::plasticity::Plasticity;
use crate::timing::{PhaseTimings, Stopwatch};
use feagi_types::parallel;

/// What one burst did. Borrowed from the NPU: the fired ids are FQ(t) itself,
/// so a burst allocates nothing. Copy what you keep before the next call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BurstResult<'a> {
    /// t, the number of this burst (the first is 1).
    pub burst: u64,
    /// FQ(t): the neurons that fired, ascending id.
    pub fired_neurons: &'a [NeuronId],
    /// The potential of each fired neuron at the moment it fired.
    pub fired_potentials: &'a [f32],
    /// How many neurons fired (the length of `fired_neurons`). Python also
    /// offers it as `neuron_count`, the seed API's name.
    pub fired_count: usize,
    /// Power injections made (1 for the power neuron, or the ids passed in).
    pub power_injections: usize,
    /// Synaptic contributions delivered from FQ(t-1).
    ///
    /// On a partitioned NPU this counter, `power_injections`,
    /// `neurons_processed`, `neurons_in_refractory` and STDP's counters in
    /// `plasticity` (potentiations, depressions, synapses created) are this
    /// rank's share: summed over the ranks they are one process's numbers.
    /// The fire queue and the memory counters are the whole brain's.
    pub synaptic_injections: usize,
    /// FCL candidates processed by the dynamics.
    pub neurons_processed: usize,
    /// Candidates whose input was dropped because they were refractory.
    pub neurons_in_refractory: usize,
    /// Memory neurons that fired (forced, SPEC §6.2); included in `fired_count`.
    pub memory_fired: usize,
    /// What plasticity did after this burst (SPEC §6).
    pub plasticity: PlasticityStats,
}

/// Everything the NPU holds about one neuron (SPEC §5.2 `neuron_state`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NeuronState {
    /// V: the membrane potential now, as the last burst (or an update) left it.
    pub membrane_potential: f32,
    /// Firing threshold: V at or above it fires (gene plus the voxel gradient;
    /// SPEC §2.3, §4.4).
    pub threshold: f32,
    /// Upper end of the firing window: V above it does not fire and is kept
    /// (SPEC §4.4); `None` = no limit (gene 0).
    pub threshold_limit: Option<f32>,
    /// Leak coefficient in [0, 1]: a candidate that does not fire keeps
    /// V * (1 - leak) (SPEC §4.4).
    pub leak: f32,
    /// Firing probability in [0, 1].
    pub excitability: f32,
    /// Candidate bursts whose input is dropped after a fire (0 = none).
    pub refractory_period: u16,
    /// Candidate bursts still to be dropped; 0 = not refractory (SPEC §4.4).
    pub refractory_countdown: u16,
    /// Consecutive-fire cap; 0 and 65535 mean unlimited (SPEC §2.3).
    pub consecutive_fire_limit: u16,
    /// Fires counted toward the cap (saturating at 65535); a capped neuron's
    /// count returns to 0 when its snooze ends, when the cap blocks a fire,
    /// and when it is a candidate that does not fire (SPEC §4.4).
    pub consecutive_fire_count: u16,
    /// Extra refractory bursts added when the cap is reached (gene `snooze_length`).
    pub snooze_period: u16,
    /// Whether V is kept across bursts (false: phase 0 resets it to 0).
    pub mp_charge_accumulation: bool,
    /// Index of the neuron's cortical area.
    pub area: AreaIndex,
    /// Voxel (x, y, z) within the area.
    pub coordinates: [u32; 3],
}

/// One synapse seen from a neuron: the neuron at the other end and its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynapseInfo {
    /// The neuron at the other end: the target for `outgoing`, the source for
    /// `incoming`.
    pub peer: NeuronId,
    /// Synapse weight 0..255.
    pub weight: u8,
    /// PSP 0..255; the contribution is weight * PSP before the sign and the
    /// outgoing-count division (SPEC §4.3).
    pub psp: u8,
    /// Excitatory or inhibitory.
    pub synapse_type: SynapseType,
}

/// One entry of the fire queue with its area and voxel (SPEC §4.5).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiredNeuron {
    /// Id of the fired neuron.
    pub id: NeuronId,
    /// V_fire: its potential at the moment of firing, before the reset.
    pub potential: f32,
    /// Index of its cortical area.
    pub area: AreaIndex,
    /// Its voxel (x, y, z) within the area.
    pub coordinates: [u32; 3],
}

/// An area as the NPU holds it: its genes, and where its neurons are.
#[derive(Clone, Copy, Debug)]
pub struct AreaInfo<'a> {
    /// Area index (SPEC §2.1).
    pub index: AreaIndex,
    /// The area: id, name, kind, dimensions and current genes (internal units).
    pub area: &'a CorticalArea,
    /// First neuron id when the area's neurons are one contiguous range.
    pub first_neuron: Option<NeuronId>,
    /// Number of neurons in the area.
    pub neuron_count: usize,
}

/// A runtime update of an area gene (SPEC §4.6), in genome units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AreaUpdate {
    /// Base threshold `firing_threshold`; each neuron's threshold is recomputed
    /// with the area's gradient (SPEC §2.3).
    FiringThreshold(f32),
    /// Threshold gradient per voxel step along x, y, z; thresholds are
    /// recomputed with the base.
    ThresholdIncrement([f32; 3]),
    /// 0 removes the limit.
    ThresholdLimit(f32),
    /// Clamped into [0, 1].
    Leak(f64),
    /// The EXC rule: values up to 1 are fractions, larger ones percentages.
    Excitability(f64),
    /// Refractory period in bursts; resets the area's consecutive counts and,
    /// when 0, its refractory countdowns (SPEC §4.6).
    RefractoryPeriod(u16),
    /// Consecutive-fire cap; 0 and 65535 mean unlimited.
    ConsecutiveFireLimit(u16),
    /// Snooze length: extra refractory bursts when the cap is reached.
    SnoozePeriod(u16),
    /// Keep V across bursts; switching it off resets a non-zero V at the next
    /// burst's phase 0.
    MpChargeAccumulation(bool),
    /// `postsynaptic_current`; rewrites the PSP of every synapse leaving the
    /// area to clamp(trunc(value), 0, 255) (SPEC §3.2).
    PostsynapticCurrent(f64),
    /// True: the area's outgoing contributions are not divided by the outgoing
    /// synapse count (SPEC §4.3).
    PspUniformDistribution(bool),
    /// True: the area's synapses propagate with the firing-time V (clamped to
    /// [0, 255], rounded) as PSP (SPEC §4.3).
    MpDrivenPsp(bool),
}

/// The synapses between two areas as parallel columns (see
/// [`RustNPU::synapse_weights_between`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairSynapses {
    /// Source neuron of each synapse.
    pub source: Vec<NeuronId>,
    /// Target neuron of each synapse.
    pub target: Vec<NeuronId>,
    /// Weight of each synapse.
    pub weight: Vec<u8>,
}

/// The FEAGI neural processing unit.
#[derive(Debug)]
pub struct RustNPU {
    pub(crate) config: NpuConfig,
    pub(crate) areas: AreaTable,
    pub(crate) neurons: NeuronArray,
    pub(crate) synapses: SynapseArray,
    pub(crate) fcl: FireCandidateList,
    /// FQ of the last burst; read by the next burst's propagation.
    pub(crate) fire_queue: FireQueue,
    pub(crate) ledger: FireLedger,
    pub(crate) staged: Vec<(NeuronId, f32)>,
    /// Neurons an API call left with a potential to reset at the next burst.
    pub(crate) pending_reset: Vec<NeuronId>,
    pub(crate) burst: u64,
    /// Per-thread outputs of parallel dynamics, reused every burst.
    pub(crate) scratch: Vec<dynamics::Output>,
    /// Event buckets of parallel propagation, reused every burst.
    pub(crate) buckets: injection::Buckets,
    /// The plasticity rules (which hold the registrations), plugins, memory
    /// neurons and scheduled input.
    pub(crate) plasticity: Plasticity,
    pub(crate) timings: PhaseTimings,
    /// The genome text this NPU was developed from, when known (kept in snapshots).
    pub(crate) genome_source: Option<String>,
    /// Set on one rank of a brain spread over several processes
    /// (`crate::distributed`); `None` for an ordinary NPU.
    pub(crate) partition: Option<Box<Partitioned>>,
}

/// Most (neuron, potential) entries staged for one burst (1 GiB of them):
/// more is refused with `CapacityExceeded` rather than exhausting memory.
pub const MAX_STAGED_ENTRIES: usize = 1 << 27;

/// Largest magnitude of one staged potential; larger ones are clamped to it.
/// With at most [`MAX_STAGED_ENTRIES`] entries, an FCL sum stays finite
/// (2^27 x 1e30 < f32::MAX), so no sum can become infinite or NaN.
pub const MAX_STAGED_POTENTIAL: f32 = 1e30;

/// A staged potential as the FCL receives it: `None` for 0 and non-finite
/// values (skipped, SPEC §4.2), the rest clamped to +-[`MAX_STAGED_POTENTIAL`].
fn staged_potential(p: f32) -> Option<f32> {
    (p != 0.0 && p.is_finite()).then(|| p.clamp(-MAX_STAGED_POTENTIAL, MAX_STAGED_POTENTIAL))
}

/// Candidates per unit of `parallel_min_work` for the dynamics phase
/// (measured with the 32-byte neuron records, M2.5: splitting 95,000
/// candidates of a 1 M-neuron brain takes the phase from 0.66 to 0.50 ms;
/// below ~80,000 the merge and the hand-over cost what the split saves).
const DYNAMICS_WORK_DIVISOR: usize = 4;

fn check_params(p: &NeuronParams) -> Result<()> {
    if !p.threshold.is_finite() {
        return Err(invalid("threshold", p.threshold, "must be finite"));
    }
    if !p.threshold_limit.is_finite() {
        return Err(invalid(
            "threshold limit",
            p.threshold_limit,
            "must be finite (0 = no limit)",
        ));
    }
    if !(0.0..=1.0).contains(&p.leak) {
        return Err(invalid("leak", p.leak, "must lie in [0, 1]"));
    }
    if !(0.0..=1.0).contains(&p.excitability) {
        return Err(invalid(
            "excitability",
            p.excitability,
            "must be a probability in [0, 1]",
        ));
    }
    Ok(())
}

/// Every area grid dimension and the neurons per voxel are at least 1.
fn check_area_shape(area: &CorticalArea) -> Result<()> {
    if area.dimensions.contains(&0) {
        return Err(invalid(
            "area dimensions",
            format!("{:?}", area.dimensions),
            "must all be at least 1",
        ));
    }
    if area.neurons_per_voxel == 0 {
        return Err(invalid("neurons per voxel", 0, "must be at least 1"));
    }
    Ok(())
}

/// The checks of [`RustNPU::from_connectome`].
fn check_connectome(c: &Connectome) -> Result<()> {
    let bad = |message: String| Err(NpuError::InvalidConnectome(message));
    let n = c.neurons.len();
    let area_count = c.areas.len();
    let mut expected_first = 0u64;
    for (index, developed) in c.areas.iter().enumerate() {
        let id = developed.area.id;
        if u64::from(developed.first_neuron) != expected_first {
            return bad(format!(
                "area {id} starts at neuron {}, expected {expected_first}",
                developed.first_neuron
            ));
        }
        let grid = developed.grid();
        if u64::from(developed.neuron_count) != grid.neuron_count() {
            return bad(format!(
                "area {id} holds {} neurons, its grid {:?} x {} needs {}",
                developed.neuron_count,
                grid.dims,
                grid.per_voxel,
                grid.neuron_count()
            ));
        }
        expected_first += u64::from(developed.neuron_count);
        if expected_first > n as u64 {
            return bad(format!(
                "area {id} ends at neuron {expected_first}, the arrays hold {n}"
            ));
        }
        let range = developed.first_neuron as usize..expected_first as usize;
        if let Some(offset) = c.neurons.area()[range.clone()]
            .iter()
            .position(|&a| a as usize != index)
        {
            let neuron = range.start + offset;
            return bad(format!(
                "neuron {neuron} lies in the range of area {index} ({id}) but names area {}",
                c.neurons.area()[neuron]
            ));
        }
    }
    if expected_first != n as u64 {
        return bad(format!("areas hold {expected_first} neurons, arrays {n}"));
    }
    if let Some(bad_id) = c
        .synapses
        .source
        .iter()
        .chain(&c.synapses.target)
        .find(|&&id| id as usize >= n)
    {
        return bad(format!("synapse refers to neuron {bad_id} of {n}"));
    }
    let lengths = [
        c.synapses.target.len(),
        c.synapses.weight.len(),
        c.synapses.psp.len(),
        c.synapses.synapse_type.len(),
    ];
    if lengths.iter().any(|&l| l != c.synapses.source.len()) {
        return bad(format!(
            "synapse columns differ in length: {} sources, targets/weights/psps/types {lengths:?}",
            c.synapses.source.len()
        ));
    }
    let known = |a: AreaIndex| (a as usize) < area_count;
    for r in &c.stdp {
        if !known(r.source_area) || !known(r.destination_area) {
            return bad(format!(
                "STDP registration {} -> {} names an area beyond the {area_count} areas",
                r.source_area, r.destination_area
            ));
        }
    }
    for r in &c.memory_relations {
        if !known(r.upstream) || !known(r.memory_area) {
            return bad(format!(
                "memory relation {} -> {} names an area beyond the {area_count} areas",
                r.upstream, r.memory_area
            ));
        }
    }
    Ok(())
}

fn check_config(config: &NpuConfig) -> Result<()> {
    if config.fire_ledger_window == 0 {
        return Err(invalid("fire ledger window", 0, "must be at least 1"));
    }
    if !config.power_amount.is_finite() {
        return Err(invalid(
            "power amount",
            config.power_amount,
            "must be finite",
        ));
    }
    Ok(())
}

impl RustNPU {
    /// An empty NPU. Capacities are hints; the arrays grow as needed.
    pub fn new(
        neuron_capacity: usize,
        synapse_capacity: usize,
        fire_ledger_window: usize,
    ) -> Result<Self> {
        let config = NpuConfig {
            fire_ledger_window,
            ..NpuConfig::default()
        };
        Self::with_config(neuron_capacity, synapse_capacity, config)
    }

    /// An empty NPU with the given configuration.
    pub fn with_config(
        neuron_capacity: usize,
        synapse_capacity: usize,
        config: NpuConfig,
    ) -> Result<Self> {
        check_config(&config)?;
        // Capacities are hints: reserve what memory allows, never abort on a huge hint.
        let neuron_capacity = neuron_capacity.min(MAX_REGULAR_NEURONS as usize);
        let mut neurons = NeuronArray::default();
        neurons.reserve_hint(neuron_capacity);
        let mut synapses = SynapseArray::default();
        synapses.reserve_hint(neuron_capacity, synapse_capacity);
        Ok(RustNPU {
            areas: AreaTable::default(),
            neurons,
            synapses,
            fcl: FireCandidateList::default(),
            fire_queue: FireQueue::default(),
            ledger: FireLedger::default(),
            staged: Vec::new(),
            pending_reset: Vec::new(),
            burst: 0,
            scratch: Vec::new(),
            buckets: injection::Buckets::default(),
            plasticity: Plasticity {
                enabled: config.plasticity,
                ..Plasticity::default()
            },
            config,
            timings: PhaseTimings::default(),
            genome_source: None,
            partition: None,
        })
    }

    /// Loads a developed brain (areas, neurons, synapses in creation order).
    ///
    /// The connectome is checked first, so that no later burst or query can
    /// fail on it: areas must hold consecutive neuron ranges covering every
    /// neuron, each range exactly the area's neuron grid, every neuron must
    /// belong to the area whose range holds it, and synapses, STDP
    /// registrations and memory relations must name existing neurons and
    /// areas. A violation is [`NpuError::InvalidConnectome`].
    pub fn from_connectome(connectome: Connectome, config: NpuConfig) -> Result<Self> {
        check_connectome(&connectome)?;
        let Connectome {
            areas,
            neurons,
            synapses,
            stdp,
            memory_relations,
            memory_areas,
            memory_twins,
        } = connectome;
        let n = neurons.len();
        let mut npu = Self::with_config(0, 0, config)?;
        for developed in areas {
            let window = npu.config.fire_ledger_window;
            let index = npu.areas.register_developed(
                developed.area,
                developed.first_neuron,
                developed.neuron_count,
            )?;
            npu.ledger.track(index, window)?;
        }
        npu.synapses =
            SynapseArray::try_from_list(&synapses, n).map_err(NpuError::CapacityExceeded)?;
        drop(synapses);
        // Phase 0 resets only neurons that may have changed since the last
        // reset; an imported brain may hold any V, so queue every
        // non-accumulating neuron whose V is not +0.0 (SPEC §4.1).
        npu.pending_reset.extend(
            (0..n)
                .filter(|&i| {
                    !neurons.mp_charge_accumulation()[i]
                        && neurons.membrane_potential()[i].to_bits() != 0
                })
                .map(|i| i as NeuronId),
        );
        npu.neurons = neurons;
        npu.fcl.resize(n);
        npu.plasticity.stdp = Stdp::new(&stdp);
        npu.plasticity.memory_rule =
            MemoryAreas::new(&memory_areas, &memory_relations, &memory_twins);
        npu.meet_ledger_requirements()?;
        Ok(npu)
    }

    /// Raises ledger windows to what the active plasticity rules read (SPEC
    /// §6.1, §6.2: never lowers one). Callers have checked the areas and that
    /// every window is at least 1, so this does not fail after a registration
    /// changed the NPU (which would leave it half-applied).
    fn meet_ledger_requirements(&mut self) -> Result<()> {
        for (area, frames) in self.plasticity.ledger_requirements() {
            self.areas.get(area)?;
            if self.ledger.window(area).is_none_or(|w| w < frames) {
                self.ledger.track(area, frames)?;
            }
        }
        Ok(())
    }

    /// The smallest ledger window `area` may have: what plasticity reads.
    fn required_window(&self, area: AreaIndex) -> usize {
        self.plasticity
            .ledger_requirements()
            .into_iter()
            .filter(|&(a, _)| a == area)
            .map(|(_, w)| w)
            .max()
            .unwrap_or(0)
    }

    /// The genome text this NPU was developed from, when the caller recorded
    /// it ([`Self::set_genome_source`]); snapshots keep it.
    pub fn genome_source(&self) -> Option<&str> {
        self.genome_source.as_deref()
    }

    /// Records the genome text this NPU was developed from (or forgets it).
    pub fn set_genome_source(&mut self, source: Option<String>) {
        self.genome_source = source;
    }

    // ----- plasticity (SPEC §6) --------------------------------------------

    /// Whether the built-in plasticity (STDP, memory areas) runs.
    pub fn plasticity_enabled(&self) -> bool {
        self.plasticity.enabled
    }

    /// Switches the built-in plasticity on or off from the next burst (off =
    /// M1 semantics; registrations stay). Owed depressions are applied first,
    /// and switching on raises ledger windows to what the rules read.
    pub fn set_plasticity_enabled(&mut self, enabled: bool) -> Result<()> {
        self.settle_plasticity();
        self.plasticity.enabled = enabled;
        self.config.plasticity = enabled;
        self.meet_ledger_requirements()
    }

    /// Registers a plasticity rule (a plugin) that runs after the built-in
    /// rules in phase 3 of every burst; the ledger windows it needs are raised.
    pub fn add_plasticity_rule(&mut self, rule: Box<dyn PlasticityRule>) -> Result<()> {
        self.refuse_if_partitioned("plasticity plugins")?;
        for (area, _) in rule.ledger_requirements() {
            self.areas.get(area)?;
        }
        self.settle_plasticity();
        self.plasticity.plugins.push(rule);
        self.meet_ledger_requirements()
    }

    /// Registers STDP for the pair of `registration` (replacing an earlier
    /// one for the same pair), for hand-built brains (SPEC §6.1).
    pub fn add_stdp_pair(&mut self, registration: StdpRegistration) -> Result<()> {
        self.areas.get(registration.source_area)?;
        self.areas.get(registration.destination_area)?;
        if registration.window == 0 {
            return Err(invalid("STDP window", 0, "must be at least 1"));
        }
        self.plasticity
            .stdp
            .register(registration, &mut self.synapses, self.neurons.area());
        self.meet_ledger_requirements()
    }

    /// Makes `genes.area` a memory area (SPEC §6.2), for hand-built brains.
    pub fn add_memory_area(&mut self, genes: MemoryAreaGenes) -> Result<()> {
        self.areas.get(genes.area)?;
        if genes.init_lifespan == 0 {
            return Err(invalid("init_lifespan", 0, "must be at least 1"));
        }
        if genes.temporal_depth == 0 {
            return Err(invalid("temporal_depth", 0, "must be at least 1"));
        }
        self.plasticity.memory_rule.add_area(genes);
        self.meet_ledger_requirements()
    }

    /// Makes `relation.upstream` feed memory area `relation.memory_area`.
    pub fn add_memory_relation(&mut self, relation: MemoryRelation) -> Result<()> {
        self.areas.get(relation.upstream)?;
        self.areas.get(relation.memory_area)?;
        let memory_area = relation.memory_area;
        if !self.plasticity.memory_rule.add_relation(relation) {
            return Err(invalid(
                "memory relation",
                memory_area,
                "names an area that is not a memory area (add_memory_area first)",
            ));
        }
        self.meet_ledger_requirements()
    }

    /// Makes `twin.twin` receive the replay of `twin.of` (`memory_twin_of`).
    pub fn add_memory_twin(&mut self, twin: MemoryTwin) -> Result<()> {
        self.areas.get(twin.twin)?;
        self.areas.get(twin.of)?;
        self.plasticity.memory_rule.add_twin(twin);
        Ok(())
    }

    /// The synapses from area `source` to area `destination`, in row order
    /// (sources ascending, each row in creation order), as parallel columns.
    pub fn synapse_weights_between(
        &self,
        source: AreaIndex,
        destination: AreaIndex,
    ) -> Result<PairSynapses> {
        let mut out = PairSynapses::default();
        self.for_each_synapse_between(source, destination, |s, d, w| {
            out.source.push(s);
            out.target.push(d);
            out.weight.push(w);
        })?;
        Ok(out)
    }

    /// Calls `f(source, target, weight)` for every synapse from area `source`
    /// to area `destination`, in the order of [`Self::synapse_weights_between`],
    /// without collecting them.
    pub fn for_each_synapse_between(
        &self,
        source: AreaIndex,
        destination: AreaIndex,
        mut f: impl FnMut(NeuronId, NeuronId, u8),
    ) -> Result<()> {
        let sources = self.areas.get(source)?;
        self.areas.get(destination)?;
        let area_of = self.neurons.area();
        for s in sources.member_ids() {
            let row = self.synapses.row(s);
            for i in 0..row.len() {
                let d = row.target[i];
                if area_of[d as usize] == destination {
                    f(s, d, self.exact_weight(s, i));
                }
            }
        }
        Ok(())
    }

    /// The memory neurons of memory area `area` (alive and dead), ascending id.
    pub fn memory_neurons(&self, area: AreaIndex) -> Result<Vec<(NeuronId, &MemoryNeuron)>> {
        self.areas.get(area)?;
        Ok(self
            .plasticity
            .memory
            .iter()
            .filter(|(_, n)| n.area == area)
            .collect())
    }

    /// Every memory neuron ever created (the store of SPEC §6.2).
    pub fn memory_store(&self) -> &MemoryNeurons {
        &self.plasticity.memory
    }

    /// The number of memory neurons alive.
    pub fn memory_neuron_count(&self) -> usize {
        self.plasticity.memory.alive_count()
    }

    /// The number of patterns memory area `area` currently remembers.
    pub fn memory_pattern_count(&self, area: AreaIndex) -> Result<usize> {
        self.areas.get(area)?;
        Ok(self.plasticity.memory_rule.pattern_count(area))
    }

    /// Memory genes of every memory area, ascending area.
    pub fn memory_areas(&self) -> impl ExactSizeIterator<Item = &MemoryAreaGenes> {
        self.plasticity.memory_rule.genes()
    }

    /// Twin relations, ascending (of, twin).
    pub fn memory_twins(&self) -> &[MemoryTwin] {
        self.plasticity.memory_rule.twins()
    }

    /// What plasticity did in the last burst.
    pub fn plasticity_stats(&self) -> PlasticityStats {
        self.plasticity.stats
    }

    /// Forced injections due at the next burst (memory neuron, potential).
    pub fn pending_forced_injections(&self) -> &[(NeuronId, f32)] {
        &self.plasticity.forced
    }

    /// Replay input scheduled for later bursts.
    pub fn pending_replay(&self) -> &ReplayQueue {
        &self.plasticity.replay
    }

    /// The configuration: seed, power amount, ledger window, fatigue and
    /// parallelism settings.
    pub fn config(&self) -> &NpuConfig {
        &self.config
    }

    /// Switches parallel execution on or off (results are identical either way).
    pub fn set_parallel(&mut self, parallel: bool, min_work: usize) {
        self.config.parallel = parallel;
        self.config.parallel_min_work = min_work;
    }

    /// Sets the potential the power neuron (and an active fatigue neuron)
    /// receives each burst; a non-finite amount is `InvalidValue`.
    pub fn set_power_amount(&mut self, amount: f32) -> Result<()> {
        if !amount.is_finite() {
            return Err(invalid("power amount", amount, "must be finite"));
        }
        self.config.power_amount = amount;
        Ok(())
    }

    /// Switches fatigue on or off: while on, the `___fatig` neuron (2 in a
    /// developed brain) receives `power_amount` every burst (SPEC §4.2).
    pub fn set_fatigue_active(&mut self, active: bool) {
        self.config.fatigue_active = active;
    }

    // ----- building -------------------------------------------------------

    /// Registers a cortical area (no neurons yet); it is tracked by the fire
    /// ledger with the configured window.
    pub fn register_area(&mut self, area: CorticalArea) -> Result<AreaIndex> {
        check_area_shape(&area)?;
        // The ledger must take the new area before anything changes.
        let next = self.areas.len() as AreaIndex;
        self.ledger
            .check_track(next, self.config.fire_ledger_window)?;
        let index = self.areas.register(area)?;
        self.ledger.track(index, self.config.fire_ledger_window)?;
        Ok(index)
    }

    /// Appends an area with its whole neuron grid, laid out as development
    /// lays one out (W·H·D·n neurons in x, y, z, k order, each with the
    /// area's genes for its voxel) and no synapses; it is tracked by the fire
    /// ledger with the configured window. For areas created while the brain
    /// runs (the IO areas a FEAGI agent's device configuration asks for).
    /// Core areas are refused. Every failing call changes nothing.
    pub fn add_developed_area(&mut self, area: CorticalArea) -> Result<AreaIndex> {
        self.refuse_if_partitioned("adding neurons")?;
        if area.id.is_core() {
            return Err(invalid(
                "area",
                area.id.as_string(),
                "core areas are created with the brain",
            ));
        }
        check_area_shape(&area)?;
        if self.areas.index_of(&area.id).is_some() {
            return Err(NpuError::DuplicateArea(area.id));
        }
        let first = self.neurons.len() as NeuronId;
        let grid = area.neuron_grid(first);
        let count = grid.neuron_count();
        let total = self.neurons.len() as u64 + count;
        if total > MAX_REGULAR_NEURONS {
            return Err(NpuError::CapacityExceeded(format!(
                "an area of {count} neurons would make {total} regular neurons, above the limit \
                 of {MAX_REGULAR_NEURONS} (SPEC §2.2)"
            )));
        }
        let count = u32::try_from(count).map_err(|_| {
            NpuError::CapacityExceeded(format!("an area of {count} neurons (at most 2^32 - 1)"))
        })?;
        let next = self.areas.len() as AreaIndex;
        self.ledger
            .check_track(next, self.config.fire_ledger_window)?;
        self.neurons.try_reserve(count as usize).map_err(|e| {
            NpuError::CapacityExceeded(format!("no memory for {count} neurons: {e}"))
        })?;
        // STDP counts the neurons of its areas: settle its debts before they change.
        self.settle_plasticity();
        for voxel in grid.voxels() {
            let params = area
                .properties
                .neuron_params_at(voxel[0], voxel[1], voxel[2]);
            for _ in 0..grid.per_voxel {
                self.neurons.push(&params, next, voxel);
            }
        }
        let index = self.areas.register_developed(area, first, count)?;
        self.ledger.track(index, self.config.fire_ledger_window)?;
        let n = self.neurons.len();
        self.synapses.ensure_sources(n);
        self.fcl.resize(n);
        Ok(index)
    }

    /// Adds a neuron to `area` at voxel `coordinates`; returns its id.
    pub fn add_neuron(
        &mut self,
        area: AreaIndex,
        params: NeuronParams,
        coordinates: [u32; 3],
    ) -> Result<NeuronId> {
        self.refuse_if_partitioned("adding neurons")?;
        check_params(&params)?;
        let entry = self.areas.get(area)?;
        let [x, y, z] = coordinates;
        if !entry.contains_voxel(x, y, z) {
            return Err(NpuError::OutsideArea {
                area,
                x,
                y,
                z,
                dims: entry.area.dimensions,
            });
        }
        if self.neurons.len() as u64 >= MAX_REGULAR_NEURONS {
            return Err(NpuError::CapacityExceeded(format!(
                "adding a neuron would make {} regular neurons, above the limit of \
                 {MAX_REGULAR_NEURONS} (SPEC §2.2)",
                self.neurons.len() as u64 + 1
            )));
        }
        // STDP counts the neurons of its areas: settle its debts before they change.
        self.settle_plasticity();
        let id = self.neurons.push(&params, area, coordinates);
        self.areas.add_member(area, id, coordinates, &self.neurons);
        let n = self.neurons.len();
        self.synapses.ensure_sources(n);
        self.fcl.resize(n);
        Ok(id)
    }

    /// A regular neuron, or a memory neuron that was ever created.
    fn check_any_neuron(&self, id: NeuronId) -> Result<()> {
        if is_memory_neuron_id(id) && self.plasticity.memory.get(id).is_some() {
            Ok(())
        } else {
            self.check_neuron(id)
        }
    }

    fn check_neuron(&self, id: NeuronId) -> Result<()> {
        if (id as usize) < self.neurons.len() {
            Ok(())
        } else {
            Err(NpuError::UnknownNeuron(id))
        }
    }

    /// Adds a synapse `source -> target` with weight and PSP (conductance).
    pub fn add_synapse(
        &mut self,
        source: NeuronId,
        target: NeuronId,
        weight: u8,
        psp: u8,
        ty: SynapseType,
    ) -> Result<()> {
        self.refuse_if_partitioned("adding synapses")?;
        self.check_neuron(source)?;
        self.check_neuron(target)?;
        self.settle_plasticity();
        self.synapses.push(source, target, weight, psp, ty);
        self.synapses.compact_if_sparse();
        Ok(())
    }

    /// Adds many synapses, in input order. Checks every entry before adding any.
    pub fn add_synapses_batch(
        &mut self,
        sources: &[NeuronId],
        targets: &[NeuronId],
        weights: &[u8],
        psps: &[u8],
        types: &[SynapseType],
    ) -> Result<usize> {
        self.refuse_if_partitioned("adding synapses")?;
        let n = sources.len();
        if targets.len() != n || weights.len() != n || psps.len() != n || types.len() != n {
            return Err(NpuError::LengthMismatch(format!(
                "sources {n}, targets {}, weights {}, psps {}, types {}",
                targets.len(),
                weights.len(),
                psps.len(),
                types.len()
            )));
        }
        for &id in sources.iter().chain(targets) {
            self.check_neuron(id)?;
        }
        self.settle_plasticity();
        self.synapses
            .push_batch(sources, targets, weights, psps, types);
        self.synapses.compact_if_sparse();
        Ok(n)
    }

    /// Removes every synapse `source -> target`; returns how many were removed.
    pub fn remove_synapse(&mut self, source: NeuronId, target: NeuronId) -> Result<usize> {
        self.refuse_if_partitioned("removing synapses")?;
        self.check_neuron(source)?;
        self.check_neuron(target)?;
        self.settle_plasticity();
        Ok(self.synapses.remove(source, target))
    }

    /// Sets the weight of every synapse `source -> target`; returns how many changed.
    pub fn update_synapse_weight(
        &mut self,
        source: NeuronId,
        target: NeuronId,
        weight: u8,
    ) -> Result<usize> {
        self.check_neuron(source)?;
        self.check_neuron(target)?;
        self.settle_plasticity();
        Ok(self.synapses.set_weight(source, target, weight))
    }

    // ----- input ----------------------------------------------------------

    /// Makes room for `more` staged entries, or fails with `CapacityExceeded`
    /// when the total would pass [`MAX_STAGED_ENTRIES`] or memory runs out.
    fn reserve_staged(&mut self, more: usize) -> Result<()> {
        let total = self.staged.len().saturating_add(more);
        if total > MAX_STAGED_ENTRIES {
            return Err(NpuError::CapacityExceeded(format!(
                "staged input of {total} (neuron, potential) entries for one burst: the limit is \
                 {MAX_STAGED_ENTRIES}"
            )));
        }
        self.staged.try_reserve(more).map_err(|_| {
            NpuError::CapacityExceeded(format!("staged input of {total} entries: out of memory"))
        })
    }

    /// Stages potential for one neuron in the next burst. Zero or non-finite
    /// potentials are skipped, as for sensory input, and the rest clamped to
    /// +-[`MAX_STAGED_POTENTIAL`] (SPEC §4.2).
    pub fn stage_input(&mut self, id: NeuronId, potential: f32) -> Result<()> {
        self.check_neuron(id)?;
        if let Some(p) = staged_potential(potential) {
            self.reserve_staged(1)?;
            self.staged.push((id, p));
        }
        Ok(())
    }

    /// Stages many (neuron, potential) pairs in order; checks all ids first.
    pub fn stage_inputs(&mut self, ids: &[NeuronId], potentials: &[f32]) -> Result<usize> {
        if ids.len() != potentials.len() {
            return Err(NpuError::LengthMismatch(format!(
                "ids {}, potentials {}",
                ids.len(),
                potentials.len()
            )));
        }
        for &id in ids {
            self.check_neuron(id)?;
        }
        self.reserve_staged(ids.len())?;
        let before = self.staged.len();
        self.staged.extend(
            ids.iter()
                .zip(potentials)
                .filter_map(|(&i, &p)| Some((i, staged_potential(p)?))),
        );
        Ok(self.staged.len() - before)
    }

    /// Stages sensory input for an area: for each entry, every neuron of voxel
    /// (x, y, z) receives p (SPEC §4.2). Zero or non-finite p and voxels
    /// outside the area are skipped. Returns the number of neurons staged.
    pub fn stage_sensory(
        &mut self,
        area: AreaIndex,
        xs: &[u32],
        ys: &[u32],
        zs: &[u32],
        ps: &[f32],
    ) -> Result<usize> {
        let n = xs.len();
        if ys.len() != n || zs.len() != n || ps.len() != n {
            return Err(NpuError::LengthMismatch(format!(
                "xs {n}, ys {}, zs {}, potentials {}",
                ys.len(),
                zs.len(),
                ps.len()
            )));
        }
        let entry = self.areas.get(area)?;
        // Count first: a voxel may hold many neurons, and the total must fit.
        let mut more = 0usize;
        for i in 0..n {
            if staged_potential(ps[i]).is_some() {
                more = more.saturating_add(entry.neuron_count_at(xs[i], ys[i], zs[i]));
            }
        }
        self.reserve_staged(more)?;
        let entry = self.areas.get(area)?;
        let before = self.staged.len();
        let staged = &mut self.staged;
        for i in 0..n {
            let Some(p) = staged_potential(ps[i]) else {
                continue;
            };
            entry.for_each_neuron_at(xs[i], ys[i], zs[i], |id| staged.push((id, p)));
        }
        Ok(self.staged.len() - before)
    }

    /// Drops everything staged since the last burst.
    pub fn clear_staged(&mut self) {
        self.staged.clear();
    }

    /// Number of (neuron, potential) entries staged for the next burst.
    pub fn staged_count(&self) -> usize {
        self.staged.len()
    }

    /// The (neuron, potential) entries staged for the next burst, in staging order.
    pub fn staged_inputs(&self) -> &[(NeuronId, f32)] {
        &self.staged
    }

    /// The neuron that receives the power amount each burst: the neuron of the
    /// `___power` area (neuron 1 in a developed brain), if there is one.
    pub fn power_neuron(&self) -> Option<NeuronId> {
        self.core_neuron(CorticalId::POWER)
    }

    // ----- the burst ------------------------------------------------------

    /// The single neuron of a core area, if the NPU has that area.
    fn core_neuron(&self, id: CorticalId) -> Option<NeuronId> {
        self.areas
            .get(self.areas.index_of(&id)?)
            .ok()?
            .first_neuron()
    }

    fn parallelism(&self) -> parallel::Parallelism {
        parallel::Parallelism {
            enabled: self.config.parallel,
            min_work: self.config.parallel_min_work,
        }
    }

    fn threads_for(&self, work: usize) -> usize {
        self.parallelism().threads_for(work)
    }

    /// Runs one burst (SPEC §4.1). With `None` the power neuron receives the
    /// power amount; with `Some(ids)` exactly those neurons do, in order.
    ///
    /// A plasticity rule that fails in phase 3 ends the call with
    /// [`NpuError::Plasticity`]. The burst itself is complete by then (t
    /// advanced, FQ(t) archived), and so is every rule that ran before the
    /// failing one; the failing rule is expected to have changed nothing. The
    /// NPU stays usable: the next call runs burst t+1.
    pub fn process_burst(&mut self, power_neurons: Option<&[NeuronId]>) -> Result<BurstResult<'_>> {
        if self.partition.is_some() {
            return Err(NpuError::Partitioned(
                "process_burst (a partitioned NPU runs process_burst_partitioned)",
            ));
        }
        self.run_burst(power_neurons, None)
    }

    /// Runs one burst of a brain spread over several ranks (see
    /// [`crate::distributed`]): phases 0 to 2 on this rank's neurons, then
    /// `exchange` gathers every rank's fired neurons into the whole fire
    /// queue, on which memory, the ledger and plasticity run as in
    /// [`Self::process_burst`]. Every rank must call it for every burst, with
    /// the same `power_neurons` and staged input (each keeps what it owns).
    /// After an exchange error the NPU refuses further bursts.
    pub fn process_burst_partitioned(
        &mut self,
        power_neurons: Option<&[NeuronId]>,
        exchange: &mut dyn FireExchange,
    ) -> Result<BurstResult<'_>> {
        let Some(p) = self.partition.as_deref() else {
            return Err(NpuError::Partitioned(
                "process_burst_partitioned on an NPU that is not partitioned",
            ));
        };
        if p.broken {
            return Err(NpuError::Exchange(
                "an earlier exchange failed: the ranks are out of step".into(),
            ));
        }
        if exchange.rank() != p.rank || exchange.ranks() != p.partition.ranks() {
            return Err(NpuError::Exchange(format!(
                "the exchange is rank {} of {}, the NPU rank {} of {}",
                exchange.rank(),
                exchange.ranks(),
                p.rank,
                p.partition.ranks()
            )));
        }
        if p.route_staged {
            if let Some(p) = self.partition.as_deref_mut() {
                p.gather_staged(exchange, &mut self.staged)?;
            }
        }
        self.run_burst(power_neurons, Some(exchange))
    }

    /// The burst of [`Self::process_burst`], partitioned when `exchange` is set.
    fn run_burst(
        &mut self,
        power_neurons: Option<&[NeuronId]>,
        mut exchange: Option<&mut dyn FireExchange>,
    ) -> Result<BurstResult<'_>> {
        if let Some(ids) = power_neurons {
            for &id in ids {
                self.check_neuron(id)?;
            }
        }
        let burst = self.burst + 1;
        let amount = self.config.power_amount;
        let power = self.core_neuron(CorticalId::POWER);
        let fatigue = self
            .config
            .fatigue_active
            .then(|| self.core_neuron(CorticalId::FATIGUE))
            .flatten();
        // The neurons this NPU updates: all, or a rank's range.
        let owned = self.partition.as_deref().map(|p| p.owned.clone());
        let owns = |id: &NeuronId| owned.as_ref().is_none_or(|o| o.contains(id));

        let mut clock = Stopwatch::start(self.config.record_phase_timings);
        reset::run(&mut self.neurons, &mut self.fcl, &mut self.pending_reset);
        self.timings.reset = clock.lap();

        injection::inject_staged(&mut self.fcl, &mut self.staged, owned.as_ref());
        // 1a, continued: replay input due now, after the API's input (SPEC §6.2).
        let mut shard = self.fcl.shard();
        self.plasticity.replay.drain_next(|id, p| {
            if owns(&id) {
                shard.add(id, p);
            }
        });
        let power_injections = match power_neurons {
            Some(ids) => {
                injection::inject_power(&mut self.fcl, ids.iter().copied().filter(owns), amount)
            }
            None => injection::inject_power(&mut self.fcl, power.filter(owns), amount),
        };
        injection::inject_power(&mut self.fcl, fatigue.filter(owns), amount);
        self.timings.injection = clock.lap();
        let propagation = injection::Propagation {
            previous: &self.fire_queue,
            synapses: &self.synapses,
            neurons: &self.neurons,
            area_flags: self.areas.propagation_flags().0,
            common_flags: self.areas.propagation_flags().1,
            outgoing_counts: self.partition.as_deref().map(|p| &p.global_outgoing[..]),
        };
        let synaptic_injections = propagation.events();
        let threads = self.threads_for(synaptic_injections);
        propagation.run(&mut self.fcl, threads, &mut self.buckets);
        memory::take_forced(&mut self.plasticity.forced, &mut self.plasticity.due);
        self.timings.propagation = clock.lap();
        let candidates = self.fcl.collect();

        // Split dynamics only above the propagation threshold: below it,
        // merging the per-thread fire queues costs more than the split saves.
        let threads = self.threads_for(candidates / DYNAMICS_WORK_DIVISOR);
        if threads > 1 && self.scratch.len() != threads {
            self.scratch.resize_with(threads, Default::default);
        }
        let scratch = if threads > 1 {
            &mut self.scratch[..]
        } else {
            &mut [][..]
        };
        let stats = dynamics::run(
            &mut self.neurons,
            &self.fcl,
            burst,
            &mut self.fire_queue,
            scratch,
        );
        self.timings.dynamics = clock.lap();
        if let (Some(p), Some(exchange)) = (self.partition.as_deref_mut(), exchange.as_deref_mut())
        {
            // This rank's fired neurons become the whole brain's FQ(t).
            p.gather_fired(exchange, &mut self.fire_queue, self.neurons.len())?;
        }
        let memory_fired = memory::fire(&self.plasticity.due, &mut self.fire_queue);
        self.timings.exchange = clock.lap();

        archival::run(
            &mut self.ledger,
            &self.fire_queue,
            &self.neurons,
            &self.plasticity.memory,
        )?;
        self.timings.archival = clock.lap();
        self.burst = burst;
        let parallelism = self.parallelism();
        let learned = self.plasticity.run(
            burst,
            &self.fire_queue.neuron_ids,
            &self.ledger,
            &self.neurons,
            &self.areas,
            &mut self.synapses,
            parallelism,
        );
        if let (Some(p), Some(exchange)) = (self.partition.as_deref_mut(), exchange) {
            // Whether synapse creation was reached depends only on the
            // ledger: every rank takes part in this exchange or none does.
            let stdp = &self.plasticity.stdp;
            if self.plasticity.enabled && stdp.creation_reached() {
                p.gather_created(exchange, stdp.created_sources())?;
            }
        }
        self.timings.plasticity = clock.lap();
        learned?;
        Ok(BurstResult {
            burst,
            fired_neurons: &self.fire_queue.neuron_ids,
            fired_potentials: &self.fire_queue.potentials,
            fired_count: self.fire_queue.len(),
            power_injections,
            synaptic_injections,
            neurons_processed: stats.processed,
            neurons_in_refractory: stats.refractory,
            memory_fired,
            plasticity: self.plasticity.stats,
        })
    }

    // ----- a brain over several ranks (crate::distributed) -----------------

    /// This NPU as rank `rank` of a brain spread over `partition.ranks()`
    /// ranks: it keeps only the synapses whose target lies in
    /// `partition.range(rank)` (each row keeps its order) and from then on
    /// runs [`Self::process_burst_partitioned`]. Every rank must build the
    /// same brain first (the same genome and seed, or the same calls), then
    /// convert it with the same partition, before the first burst.
    ///
    /// Refused: a brain that has run a burst, a partition of another neuron
    /// count, a rank outside it, plasticity plugins (they may read or write
    /// any synapse).
    pub fn into_partitioned(mut self, partition: Partition, rank: usize) -> Result<RustNPU> {
        if self.partition.is_some() {
            return Err(NpuError::Partitioned("partitioning twice"));
        }
        if self.burst != 0 {
            return Err(invalid(
                "burst count",
                self.burst,
                "a brain is partitioned before its first burst",
            ));
        }
        if partition.neurons() != self.neurons.len() {
            return Err(invalid(
                "partition",
                format!("{:?}", partition.bounds()),
                "must cover exactly the regular neurons",
            ));
        }
        if rank >= partition.ranks() {
            return Err(invalid("rank", rank, "must be below the number of ranks"));
        }
        if !self.plasticity.plugins.is_empty() {
            return Err(NpuError::Partitioned("plasticity plugins"));
        }
        self.settle_plasticity();
        let n = self.neurons.len();
        let owned = partition.range(rank);
        let route_staged = false;
        // Two passes over the rows: count what this rank keeps, then copy it
        // into columns of exactly that size (the whole brain's rows and the
        // kept ones are all that is held at once).
        let no_memory = |what: &str| {
            NpuError::CapacityExceeded(format!("no memory for {what} of a partitioned brain"))
        };
        let mut global_outgoing = Vec::new();
        global_outgoing
            .try_reserve_exact(n)
            .map_err(|_| no_memory("the outgoing counts"))?;
        let mut kept_per_row = Vec::new();
        kept_per_row
            .try_reserve_exact(n)
            .map_err(|_| no_memory("the row lengths"))?;
        let mut kept = 0usize;
        for s in 0..n as NeuronId {
            let row = self.synapses.row(s);
            global_outgoing.push(row.len() as u32);
            let k = row.target.iter().filter(|t| owned.contains(t)).count();
            kept_per_row.push(k as u32);
            kept += k;
        }
        let (mut target, mut weight, mut psp, mut types) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        target
            .try_reserve_exact(kept)
            .and_then(|()| weight.try_reserve_exact(kept))
            .and_then(|()| psp.try_reserve_exact(kept))
            .and_then(|()| types.try_reserve_exact(kept))
            .map_err(|_| no_memory("the synapses"))?;
        for s in 0..n as NeuronId {
            let row = self.synapses.row(s);
            for i in 0..row.len() {
                if owned.contains(&row.target[i]) {
                    target.push(row.target[i]);
                    weight.push(row.weight[i]);
                    psp.push(row.psp[i]);
                    types.push(row.synapse_type[i]);
                }
            }
        }
        self.synapses = SynapseArray::from_rows(kept_per_row, target, weight, psp, types, n)
            .map_err(NpuError::CapacityExceeded)?;
        self.become_rank(partition, rank, global_outgoing, route_staged);
        Ok(self)
    }

    /// Marks this NPU, whose synapses are already those of its owned
    /// targets, as rank `rank` of `partition`: STDP touches owned targets
    /// only and bursts go through the partitioned path.
    pub(crate) fn become_rank(
        &mut self,
        partition: Partition,
        rank: usize,
        global_outgoing: Vec<u32>,
        route_staged: bool,
    ) {
        let owned = partition.range(rank);
        self.plasticity.stdp.set_owned_targets(Some(owned));
        self.partition = Some(Box::new(Partitioned::new(
            partition,
            rank,
            global_outgoing,
            route_staged,
        )));
    }

    /// Makes a loaded snapshot rank `rank` of `partition` again
    /// (`crate::snapshot`): its synapses are already those of the owned
    /// targets, `global_outgoing` the whole brain's outgoing counts. Checked:
    /// the partition covers the neurons, the rank is in it, every kept
    /// synapse targets an owned neuron and no row holds more synapses than
    /// its source's global count.
    pub(crate) fn restore_partitioned(
        mut self,
        partition: Partition,
        rank: usize,
        global_outgoing: Vec<u32>,
        route_staged: bool,
    ) -> std::result::Result<RustNPU, String> {
        let n = self.neurons.len();
        if partition.neurons() != n {
            return Err(format!(
                "the partition {:?} covers {} neurons, the brain has {n}",
                partition.bounds(),
                partition.neurons()
            ));
        }
        if rank >= partition.ranks() {
            return Err(format!(
                "rank {rank} of a partition of {} ranks",
                partition.ranks()
            ));
        }
        if global_outgoing.len() != n {
            return Err(format!(
                "{} global outgoing counts for {n} neurons",
                global_outgoing.len()
            ));
        }
        let owned = partition.range(rank);
        for s in 0..n as NeuronId {
            let row = self.synapses.row(s);
            if let Some(t) = row.target.iter().find(|t| !owned.contains(t)) {
                return Err(format!(
                    "rank {rank} holds a synapse {s} -> {t}, outside its neurons {owned:?}"
                ));
            }
            if row.len() > global_outgoing[s as usize] as usize {
                return Err(format!(
                    "neuron {s} has {} synapses on rank {rank} but {} in the whole brain",
                    row.len(),
                    global_outgoing[s as usize]
                ));
            }
        }
        self.become_rank(partition, rank, global_outgoing, route_staged);
        Ok(self)
    }

    /// Routes staged input to its owner (a partitioned NPU only): when on,
    /// every partitioned burst first all-gathers every rank's staged input
    /// (ids and potentials, in rank order) and each rank keeps the entries of
    /// its neurons, so input may be staged on any rank, e.g. only on the rank
    /// that receives it from the network. Input staged on one rank only is
    /// injected in the order one process would inject it. Off (the default),
    /// every rank must stage the same input. Every rank of a job must set the
    /// same value (the gather is a collective); it is saved in rank snapshots.
    pub fn set_route_staged_input(&mut self, on: bool) -> Result<()> {
        match self.partition.as_deref_mut() {
            Some(p) => {
                p.route_staged = on;
                Ok(())
            }
            None => Err(NpuError::Partitioned(
                "routing staged input on an NPU that is not partitioned",
            )),
        }
    }

    /// Whether staged input is routed to its owner ([`Self::set_route_staged_input`]).
    pub fn routes_staged_input(&self) -> bool {
        self.partition.as_deref().is_some_and(|p| p.route_staged)
    }

    /// The partition and this NPU's rank in it, when it is partitioned.
    pub fn partition(&self) -> Option<(&Partition, usize)> {
        self.partition.as_deref().map(|p| (&p.partition, p.rank))
    }

    /// The outgoing synapse count of `source` in the whole brain (on a
    /// partitioned NPU the local row holds only the synapses of owned targets).
    pub fn global_outgoing_count(&self, source: NeuronId) -> Result<u32> {
        self.check_neuron(source)?;
        Ok(match self.partition.as_deref() {
            Some(p) => p.global_outgoing[source as usize],
            None => self.synapses.outgoing_count(source),
        })
    }

    fn refuse_if_partitioned(&self, what: &'static str) -> Result<()> {
        match self.partition {
            Some(_) => Err(NpuError::Partitioned(what)),
            None => Ok(()),
        }
    }

    // ----- queries (SPEC §5.2) ---------------------------------------------

    /// t of the last completed burst (0 before the first).
    pub fn burst_count(&self) -> u64 {
        self.burst
    }

    /// Time per phase of the last burst (zero unless
    /// `NpuConfig::record_phase_timings` is set).
    pub fn last_phase_timings(&self) -> PhaseTimings {
        self.timings
    }

    /// Turns per-phase timing on or off.
    pub fn set_record_phase_timings(&mut self, on: bool) {
        self.config.record_phase_timings = on;
    }

    /// FQ of the last burst.
    pub fn fire_queue(&self) -> &FireQueue {
        &self.fire_queue
    }

    /// FQ of the last burst with areas and voxels, ascending id.
    pub fn fired_neurons(&self) -> impl Iterator<Item = FiredNeuron> + '_ {
        self.fire_queue
            .neuron_ids
            .iter()
            .zip(&self.fire_queue.potentials)
            .map(|(&id, &potential)| {
                let (area, coordinates) = self.location(id);
                FiredNeuron {
                    id,
                    potential,
                    area,
                    coordinates,
                }
            })
    }

    /// The area and voxel of a regular or memory neuron that exists (memory
    /// neurons sit at (0, 0, 0) of their memory area, SPEC §6.2).
    fn location(&self, id: NeuronId) -> (AreaIndex, [u32; 3]) {
        if is_memory_neuron_id(id) {
            (
                self.plasticity.memory.area_of(id).unwrap_or(AreaIndex::MAX),
                [0, 0, 0],
            )
        } else {
            let i = id as usize;
            (self.neurons.area()[i], self.neurons.coordinates(i))
        }
    }

    /// The last burst's FCL as (id, summed input), ascending id.
    pub fn last_fcl(&self) -> impl Iterator<Item = (NeuronId, f32)> + '_ {
        // Phase 1e's forced memory-neuron entries belong to the FCL (SPEC
        // §4.1); they are kept apart from the dense lists and, having the
        // highest ids, follow the regular candidates.
        self.fcl
            .entries()
            .chain(self.plasticity.due.iter().copied())
    }

    /// The fire ledger.
    pub fn fire_ledger(&self) -> &FireLedger {
        &self.ledger
    }

    /// `depth` dense frames of `area` ending at burst `end`, oldest first (SPEC §5.1).
    pub fn dense_window(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Result<Vec<RoaringBitmap>> {
        self.areas.get(area)?;
        Ok(self.ledger.dense_window(area, end, depth)?)
    }

    /// The same frames as borrowed id lists with their timesteps.
    pub fn ledger_frames(
        &self,
        area: AreaIndex,
        end: u64,
        depth: usize,
    ) -> Result<Vec<&LedgerFrame>> {
        self.areas.get(area)?;
        Ok(self.ledger.frames(area, end, depth)?)
    }

    /// The ledger window of a tracked area.
    pub fn ledger_window(&self, area: AreaIndex) -> Result<usize> {
        self.areas.get(area)?;
        self.ledger
            .window(area)
            .ok_or(NpuError::Ledger(feagi_types::LedgerError::UntrackedArea {
                area,
            }))
    }

    /// (area, window) for every tracked area.
    pub fn ledger_configs(&self) -> Vec<(AreaIndex, usize)> {
        self.ledger.configs()
    }

    /// Tracks `area` with `window` frames (or changes its window).
    pub fn configure_ledger_window(&mut self, area: AreaIndex, window: usize) -> Result<()> {
        self.areas.get(area)?;
        let required = self.required_window(area);
        if window < required {
            return Err(NpuError::WindowBelowRequirement {
                area,
                window,
                required,
            });
        }
        Ok(self.ledger.track(area, window)?)
    }

    /// Stops tracking `area` in the fire ledger.
    pub fn untrack_ledger_area(&mut self, area: AreaIndex) -> Result<()> {
        self.areas.get(area)?;
        let required = self.required_window(area);
        if required > 0 {
            return Err(NpuError::WindowBelowRequirement {
                area,
                window: 0,
                required,
            });
        }
        self.ledger.untrack(area);
        Ok(())
    }

    /// Number of regular neurons.
    pub fn neuron_count(&self) -> usize {
        self.neurons.len()
    }

    /// Number of valid synapses.
    pub fn synapse_count(&self) -> usize {
        self.synapses.len()
    }

    /// Number of cortical areas.
    pub fn area_count(&self) -> usize {
        self.areas.len()
    }

    /// Number of neurons in `area`.
    pub fn area_neuron_count(&self, area: AreaIndex) -> Result<usize> {
        Ok(self.areas.get(area)?.neuron_count())
    }

    /// The neurons of an area, ascending.
    pub fn neurons_in_area(&self, area: AreaIndex) -> Result<Vec<NeuronId>> {
        Ok(self.areas.get(area)?.member_ids().collect())
    }

    /// The lowest id in voxel (x, y, z) of `area`, or `None` (D3).
    pub fn neuron_at(&self, area: AreaIndex, x: u32, y: u32, z: u32) -> Result<Option<NeuronId>> {
        let mut lowest = None;
        self.areas.get(area)?.for_each_neuron_at(x, y, z, |id| {
            lowest.get_or_insert(id);
        });
        Ok(lowest)
    }

    /// Every neuron of voxel (x, y, z) of `area`, ascending.
    pub fn neurons_at(&self, area: AreaIndex, x: u32, y: u32, z: u32) -> Result<Vec<NeuronId>> {
        let mut ids = Vec::new();
        self.areas
            .get(area)?
            .for_each_neuron_at(x, y, z, |id| ids.push(id));
        Ok(ids)
    }

    /// Voxel (x, y, z) of a neuron within its area.
    pub fn coordinates(&self, id: NeuronId) -> Result<[u32; 3]> {
        self.check_any_neuron(id)?;
        Ok(self.location(id).1)
    }

    /// Index of a neuron's cortical area.
    pub fn area_of(&self, id: NeuronId) -> Result<AreaIndex> {
        self.check_any_neuron(id)?;
        Ok(self.location(id).0)
    }

    /// Parameters and dynamic state of one neuron (SPEC §5.2 `neuron_state`).
    pub fn neuron_state(&self, id: NeuronId) -> Result<NeuronState> {
        self.check_neuron(id)?;
        let n = &self.neurons;
        let i = id as usize;
        let p = n.params(i);
        Ok(NeuronState {
            membrane_potential: n.membrane_potential()[i],
            threshold: p.threshold,
            threshold_limit: threshold_limit_to_option(n.threshold_limit()[i]),
            leak: p.leak,
            excitability: p.excitability,
            refractory_period: p.refractory_period,
            refractory_countdown: n.refractory_countdown()[i],
            consecutive_fire_limit: p.consecutive_fire_limit,
            consecutive_fire_count: n.consecutive_fire_count()[i],
            snooze_period: p.snooze_period,
            mp_charge_accumulation: p.mp_charge_accumulation,
            area: n.area()[i],
            coordinates: n.coordinates(i),
        })
    }

    /// The synapses leaving `id`, in creation order.
    pub fn outgoing(&self, id: NeuronId) -> Result<Vec<SynapseInfo>> {
        self.check_neuron(id)?;
        let row = self.synapses.row(id);
        Ok((0..row.len())
            .map(|i| SynapseInfo {
                peer: row.target[i],
                weight: self.exact_weight(id, i),
                psp: row.psp[i],
                synapse_type: row.synapse_type[i],
            })
            .collect())
    }

    /// The synapses reaching `id`: sources ascending, per source in creation
    /// order. Scans every synapse; meant for inspection, not for bursts.
    pub fn incoming(&self, id: NeuronId) -> Result<Vec<SynapseInfo>> {
        self.check_neuron(id)?;
        Ok(self
            .synapses
            .incoming(id)
            .map(|(s, i)| {
                let row = self.synapses.row(s);
                SynapseInfo {
                    peer: s,
                    weight: self.exact_weight(s, i),
                    psp: row.psp[i],
                    synapse_type: row.synapse_type[i],
                }
            })
            .collect())
    }

    /// The index of the area with this canonical id.
    pub fn area_index(&self, id: &CorticalId) -> Result<AreaIndex> {
        self.areas
            .index_of(id)
            .ok_or(NpuError::UnknownCorticalId(*id))
    }

    /// The area at an index.
    pub fn area(&self, index: AreaIndex) -> Result<&CorticalArea> {
        Ok(&self.areas.get(index)?.area)
    }

    /// The canonical id of the area at an index.
    pub fn area_id(&self, index: AreaIndex) -> Result<CorticalId> {
        Ok(self.areas.get(index)?.area.id)
    }

    /// Every area with its neuron range, ascending index.
    pub fn areas(&self) -> impl Iterator<Item = AreaInfo<'_>> {
        self.areas.iter().map(|(index, e)| AreaInfo {
            index,
            area: &e.area,
            first_neuron: e.first_neuron(),
            neuron_count: e.neuron_count(),
        })
    }

    /// Read-only access to the neuron arrays (for export and inspection).
    pub fn neurons(&self) -> &NeuronArray {
        &self.neurons
    }

    /// Read-only access to the synapse rows. While plasticity owes lazily
    /// applied depressions (see `feagi_plasticity::Stdp`), the stored weights
    /// of plastic pairs may be above their exact values: use
    /// [`RustNPU::settled_synapses`] to read weights, or the queries
    /// (`outgoing`, `incoming`, `synapse_weights_between`), which are exact.
    pub fn synapses(&self) -> &SynapseArray {
        &self.synapses
    }

    /// The synapse rows with every owed depression applied first: exact
    /// weights (what an export reads).
    pub fn settled_synapses(&mut self) -> &SynapseArray {
        self.settle_plasticity();
        &self.synapses
    }

    /// Applies the depressions STDP owes (nothing when none is owed).
    pub(crate) fn settle_plasticity(&mut self) {
        self.plasticity
            .stdp
            .settle(&mut self.synapses, self.neurons.area());
    }

    /// The exact weight of synapse `pos` of `source`'s row (SPEC §6.1),
    /// including a depression owed but not yet applied.
    fn exact_weight(&self, source: NeuronId, pos: usize) -> u8 {
        let row = self.synapses.row(source);
        let stored = row.weight[pos];
        let Some(&stamp) = self.synapses.row_stamps(source).get(pos) else {
            return stored;
        };
        let area_of = self.neurons.area();
        let owed = self.plasticity.stdp.pending_depression(
            area_of[source as usize],
            row.target[pos],
            stamp,
            area_of,
        );
        stored.saturating_sub(owed)
    }

    /// The STDP registrations (SPEC §6.1), ascending (A, B): from the genome
    /// and `add_stdp_pair`; they learn while plasticity is on.
    pub fn stdp_registrations(&self) -> impl ExactSizeIterator<Item = &StdpRegistration> {
        self.plasticity.stdp.registrations()
    }

    /// The `episodic_memory` relations (SPEC §6.2): upstream area -> memory area.
    pub fn memory_relations(&self) -> &[MemoryRelation] {
        self.plasticity.memory_rule.relations()
    }

    // ----- runtime parameter updates (SPEC §4.6) ---------------------------

    /// Updates one gene of every neuron in `area`, as a fresh load with that
    /// value would set it; V, refractory countdowns and consecutive counts are
    /// kept (except as SPEC §4.6 says for the refractory period).
    pub fn update_area(&mut self, area: AreaIndex, update: AreaUpdate) -> Result<()> {
        check_update(&update)?;
        let entry = self.areas.get_mut(area)?;
        let props = &mut entry.area.properties;
        match update {
            AreaUpdate::FiringThreshold(v) => props.firing_threshold = v,
            AreaUpdate::ThresholdIncrement(v) => props.threshold_increment = v,
            AreaUpdate::ThresholdLimit(v) => props.threshold_limit = v,
            AreaUpdate::Leak(v) => props.leak = units::clamp_leak(v).0,
            AreaUpdate::Excitability(v) => props.excitability = units::excitability_fraction(v).0,
            AreaUpdate::RefractoryPeriod(v) => props.refractory_period = v,
            AreaUpdate::ConsecutiveFireLimit(v) => props.consecutive_fire_limit = v,
            AreaUpdate::SnoozePeriod(v) => props.snooze_period = v,
            AreaUpdate::MpChargeAccumulation(v) => props.mp_charge_accumulation = v,
            AreaUpdate::PostsynapticCurrent(v) => props.postsynaptic_current = v,
            AreaUpdate::PspUniformDistribution(v) => props.psp_uniform_distribution = v,
            AreaUpdate::MpDrivenPsp(v) => props.mp_driven_psp = v,
        }
        let props = props.clone();
        self.areas.refresh_flags(area);
        let entry = self.areas.get(area)?;
        let n = &mut self.neurons;
        for id in entry.member_ids() {
            let i = id as usize;
            let mut p = n.params(i);
            match update {
                AreaUpdate::FiringThreshold(_) | AreaUpdate::ThresholdIncrement(_) => {
                    let [x, y, z] = n.coordinates(i);
                    p.threshold = units::threshold_at(
                        props.firing_threshold,
                        props.threshold_increment,
                        x,
                        y,
                        z,
                    );
                }
                AreaUpdate::ThresholdLimit(v) => p.threshold_limit = v,
                AreaUpdate::Leak(_) => p.leak = props.leak,
                AreaUpdate::Excitability(_) => p.excitability = props.excitability,
                AreaUpdate::RefractoryPeriod(v) => {
                    p.refractory_period = v;
                    let r = n.record_mut(i);
                    r.set_consecutive_fire_count(0);
                    if v == 0 {
                        r.set_refractory_countdown(0);
                    }
                }
                AreaUpdate::ConsecutiveFireLimit(v) => p.consecutive_fire_limit = v,
                AreaUpdate::SnoozePeriod(v) => p.snooze_period = v,
                AreaUpdate::MpChargeAccumulation(v) => {
                    p.mp_charge_accumulation = v;
                    if !v && n.membrane_potential()[i].to_bits() != 0 {
                        self.pending_reset.push(id);
                    }
                }
                AreaUpdate::PostsynapticCurrent(_) => self.synapses.set_row_psp(id, props.psp()),
                AreaUpdate::PspUniformDistribution(_) | AreaUpdate::MpDrivenPsp(_) => {}
            }
            n.set_params(i, &p);
        }
        Ok(())
    }
}

fn check_update(update: &AreaUpdate) -> Result<()> {
    let finite = |what, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(invalid(what, v, "must be finite"))
        }
    };
    match *update {
        AreaUpdate::FiringThreshold(v) => finite("firing threshold", v as f64),
        AreaUpdate::ThresholdIncrement(v) => v
            .iter()
            .try_for_each(|&x| finite("threshold increment", x as f64)),
        AreaUpdate::ThresholdLimit(v) => finite("threshold limit", v as f64),
        AreaUpdate::Leak(v) => finite("leak coefficient", v),
        AreaUpdate::Excitability(v) => finite("excitability", v),
        AreaUpdate::PostsynapticCurrent(v) => finite("postsynaptic current", v),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    //! Every connectome that `from_connectome` must reject: each would make a
    //! later burst or query index out of range.
    use super::*;
    use feagi_types::{MemoryRelation, NeuronParams, StdpRegistration, SynapseType};

    fn valid() -> Connectome {
        let genome = feagi_genome::Genome::default_genome();
        feagi_genome::develop(&genome, 0).expect("the default genome develops")
    }

    fn rejected(c: Connectome, needle: &str) {
        match RustNPU::from_connectome(c, NpuConfig::default()) {
            Err(NpuError::InvalidConnectome(message)) => {
                assert!(message.contains(needle), "{message:?} lacks {needle:?}")
            }
            other => panic!("expected InvalidConnectome({needle}), got {other:?}"),
        }
    }

    #[test]
    fn the_valid_connectome_loads() {
        let c = valid();
        let n = c.neurons.len();
        let npu = RustNPU::from_connectome(c, NpuConfig::default()).unwrap();
        assert_eq!(npu.neuron_count(), n);
    }

    #[test]
    fn an_imported_potential_is_reset_by_the_first_burst() {
        let mut c = valid();
        // The death neuron: never a candidate, never accumulating.
        let last = 0;
        assert!(!c.neurons.mp_charge_accumulation()[last]);
        c.neurons.record_mut(last).set_potential(0.75);
        let mut npu = RustNPU::from_connectome(c, NpuConfig::default()).unwrap();
        assert_eq!(
            npu.neuron_state(last as NeuronId)
                .unwrap()
                .membrane_potential,
            0.75
        );
        npu.process_burst(None).unwrap();
        assert_eq!(
            npu.neuron_state(last as NeuronId)
                .unwrap()
                .membrane_potential,
            0.0
        );
    }

    #[test]
    fn an_area_starting_at_the_wrong_neuron() {
        let mut c = valid();
        c.areas[3].first_neuron += 1;
        rejected(c, "starts at neuron");
    }

    #[test]
    fn an_area_whose_count_differs_from_its_grid() {
        let mut c = valid();
        let last = c.areas.len() - 1;
        c.areas[last].neuron_count -= 1;
        rejected(c, "its grid");
    }

    #[test]
    fn more_neurons_than_the_areas_hold() {
        let mut c = valid();
        c.neurons.push(&NeuronParams::default(), 0, [0, 0, 0]);
        rejected(c, "areas hold");
    }

    #[test]
    fn fewer_neurons_than_the_areas_hold() {
        let mut c = valid();
        c.areas.push(c.areas[0].clone());
        let last = c.areas.len() - 1;
        c.areas[last].first_neuron = c.neurons.len() as NeuronId;
        c.areas[last].area.id = CorticalId::from_bytes(*b"cExtra__");
        rejected(c, "the arrays hold");
    }

    #[test]
    fn a_neuron_naming_an_unknown_area() {
        let mut c = valid();
        let mut neurons = NeuronArray::default();
        let n = c.neurons.len();
        for i in 0..n {
            let area = if i == n - 1 { 99 } else { c.neurons.area()[i] };
            neurons.push(&c.neurons.params(i), area, c.neurons.coordinates(i));
        }
        c.neurons = neurons;
        rejected(c, "names area 99");
    }

    #[test]
    fn a_synapse_to_a_missing_neuron() {
        let mut c = valid();
        let n = c.neurons.len() as NeuronId;
        c.synapses.push(0, n, 1, 1, SynapseType::Excitatory);
        rejected(c, &format!("neuron {n} of {n}"));
    }

    #[test]
    fn synapse_columns_of_different_lengths() {
        let mut c = valid();
        c.synapses.weight.pop();
        rejected(c, "differ in length");
    }

    #[test]
    fn an_stdp_registration_naming_a_missing_area() {
        let mut c = valid();
        let areas = c.areas.len() as AreaIndex;
        c.stdp.push(StdpRegistration::between(3, areas));
        rejected(c, "STDP registration");
    }

    #[test]
    fn a_memory_relation_naming_a_missing_area() {
        let mut c = valid();
        let areas = c.areas.len() as AreaIndex;
        c.memory_relations.push(MemoryRelation {
            upstream: areas + 5,
            memory_area: 3,
        });
        rejected(c, "memory relation");
    }
}

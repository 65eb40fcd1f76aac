//! Neuroembryogenesis (SPEC §2) and synaptogenesis (SPEC §3): a genome and a
//! seed become a [`Connectome`].
//!
//! Synaptogenesis runs rule by rule in the order of SPEC §3.1. For each rule a
//! plan is prepared once (vector offsets sorted, function chosen, pattern pairs
//! borrowed); then every source voxel computes its destination voxel set as
//! ascending linear voxel indices into one reused buffer, and each destination
//! neuron of those voxels is appended. Nothing is allocated or hashed per
//! synapse; the only per-candidate work besides the append is the ATTRACT draw
//! (only for attractivity strictly between 0 and 100) and, for a `vectors` rule
//! that follows other rules of the same area pair, a binary search in the
//! sorted runs those earlier rules left for the same source neuron.

use crate::error::{quoted, GenomeError, GenomeErrorKind, Resource};
use crate::model::{Genome, GenomeArea, LoadOptions, MappingRule};
use crate::morphology::{FunctionMorphology, Morphology, PatternElement, PatternPair};
use feagi_types::grid::linear_voxel_index;
use feagi_types::rng::{attract, randomizer};
use feagi_types::{
    units, AreaIndex, Connectome, DevelopedArea, MemoryAreaGenes, MemoryRelation, MemoryTwin,
    NeuronArray, NeuronGrid, NeuronId, StdpRegistration, SynapseList, SynapseType,
};
use std::ops::Range;

/// Develops `genome` with the default [`LoadOptions`] limits.
pub fn develop(genome: &Genome, seed: u64) -> Result<Connectome, GenomeError> {
    develop_with_options(genome, seed, &LoadOptions::default())
}

/// Develops `genome`: neurons in area-index order (SPEC §2.2), synapses in the
/// creation order of SPEC §3.1, STDP registrations and memory relations.
/// Fails with `CapacityExceeded` when the neuron or synapse limit of `options`
/// would be exceeded, when the memory estimate of [`crate::estimate_memory`]
/// is above the memory limit (both checked before anything is allocated), or
/// when memory cannot be allocated.
pub fn develop_with_options(
    genome: &Genome,
    seed: u64,
    options: &LoadOptions,
) -> Result<Connectome, GenomeError> {
    develop_part(genome, seed, options, None)
}

/// Develops `genome` as [`develop_with_options`] does, keeping only the
/// synapses whose target lies in `targets` (one rank's part of a brain
/// partitioned by target neuron, issue 16): every neuron, area, STDP
/// registration and memory relation as in the whole brain, and the kept
/// synapses in the whole brain's creation order. Synapses are drawn from
/// stateless hashes of their (source, destination), so each is created or
/// not exactly as in the whole brain; a rule into an area outside `targets`
/// is skipped. The synapse budget and the lower estimate apply to the whole
/// brain; the memory check counts every neuron and the synapses expected into
/// `targets` (each rule's estimate in proportion to its destination area's
/// neurons inside `targets`).
pub fn develop_targets(
    genome: &Genome,
    seed: u64,
    options: &LoadOptions,
    targets: Range<NeuronId>,
) -> Result<Connectome, GenomeError> {
    develop_part(genome, seed, options, Some(targets))
}

fn develop_part(
    genome: &Genome,
    seed: u64,
    options: &LoadOptions,
    targets: Option<Range<NeuronId>>,
) -> Result<Connectome, GenomeError> {
    let total = check_neurons(genome, options)?;
    let geometry = layout(genome);
    // Refuse a genome beyond the synapse or memory budget before allocating.
    let plan = crate::estimate::preflight(genome, &geometry, options, targets.as_ref())?;
    let (areas, neurons) = neuroembryogenesis(genome, total, &geometry)?;
    let mut builder = Synaptogenesis {
        genome,
        seed,
        geometry: &geometry,
        sink: SynapseSink::new(options.max_synapses, plan.synapses),
        targets: targets.unwrap_or(0..NeuronId::MAX),
        stdp: Vec::new(),
        memory_relations: Vec::new(),
        voxels: Vec::new(),
    };
    for (a_index, area) in genome.areas().iter().enumerate() {
        builder.area(a_index, area)?;
    }
    let Synaptogenesis {
        sink,
        stdp,
        memory_relations,
        ..
    } = builder;
    let mut memory_areas = Vec::new();
    let mut memory_twins = Vec::new();
    for (index, area) in (0..).zip(genome.areas()) {
        let genes = area.memory_genes();
        if area.is_memory() {
            memory_areas.push(MemoryAreaGenes {
                area: index,
                temporal_depth: genes.temporal_depth.max(1),
                longterm_mem_threshold: genes.longterm_mem_threshold,
                lifespan_growth_rate: genes.lifespan_growth_rate,
                init_lifespan: genes.init_lifespan.max(1),
            });
        }
        // The loader guarantees the named area exists.
        if let Some(of) = genes.memory_twin_of.and_then(|id| genome.area_index(&id)) {
            memory_twins.push(MemoryTwin { twin: index, of });
        }
    }
    memory_twins.sort_by_key(|t| (t.of, t.twin));
    Ok(Connectome {
        areas,
        neurons,
        synapses: sink.finish(),
        stdp,
        memory_relations,
        memory_areas,
        memory_twins,
    })
}

/// All neurons of voxel (x, y, z) of a developed area, ascending; the lowest is
/// the single-id lookup of SPEC §2.4. `None` outside the area.
pub fn voxel_neurons(area: &DevelopedArea, voxel: [u32; 3]) -> Option<Range<NeuronId>> {
    area.grid().neurons_at(voxel)
}

/// Neuron layout of one area as synaptogenesis sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) grid: NeuronGrid,
    pub(crate) idword: u64,
    pub(crate) is_memory: bool,
}

fn capacity_error(
    resource: Resource,
    needed: u64,
    limit: Option<u64>,
    message: String,
) -> GenomeError {
    GenomeError::capacity_exceeded(resource, needed, limit, message)
}

/// A failed allocation of `additional` items of `T`.
fn allocation_error<T>(additional: usize, what: &str) -> GenomeError {
    let bytes = (additional as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    capacity_error(
        Resource::MemoryBytes,
        bytes,
        None,
        format!("cannot allocate {bytes} bytes of memory for {additional} {what}"),
    )
}

fn reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> Result<(), GenomeError> {
    v.try_reserve(additional)
        .map_err(|_| allocation_error::<T>(additional, what))
}

/// The neuron limit of `options` (SPEC §2.2), checked area by area before
/// anything is allocated; returns the total.
fn check_neurons(genome: &Genome, options: &LoadOptions) -> Result<u64, GenomeError> {
    let limit = options.neuron_limit();
    let mut total: u64 = 0;
    for area in genome.areas() {
        let count = area.cortical_area().neuron_count();
        match count.and_then(|c| total.checked_add(c)) {
            Some(t) if t <= limit => total = t,
            _ => {
                let needed = count.map_or(u64::MAX, |c| c.saturating_add(total));
                return Err(capacity_error(
                    Resource::Neurons,
                    needed,
                    Some(limit),
                    format!(
                        "area {} would take the brain to {needed} neurons, beyond the limit of {limit} neurons",
                        area.id()
                    ),
                )
                .with_cortical_id(area.written_id()));
            }
        }
    }
    Ok(total)
}

/// Every area's neuron grid, in area-index order (SPEC §2.1, §2.2). Ids fit
/// u32 once [`check_neurons`] passed (at most 50 000 000 neurons).
pub(crate) fn layout(genome: &Genome) -> Vec<Geometry> {
    let mut first: u64 = 0;
    genome
        .areas()
        .iter()
        .map(|area| {
            let id = NeuronId::try_from(first).unwrap_or(NeuronId::MAX);
            let grid = area.cortical_area().neuron_grid(id);
            first = first.saturating_add(grid.neuron_count());
            Geometry {
                grid,
                idword: area.id().idword(),
                is_memory: area.is_memory(),
            }
        })
        .collect()
}

type Embryo = (Vec<DevelopedArea>, NeuronArray);

fn neuroembryogenesis(
    genome: &Genome,
    total: u64,
    geometry: &[Geometry],
) -> Result<Embryo, GenomeError> {
    // Every count fits u32 from here on: the limit is at most 50 000 000.
    let total_usize = usize::try_from(total).map_err(|_| {
        capacity_error(
            Resource::Neurons,
            total,
            Some(usize::MAX as u64),
            format!("{total} neurons do not fit in memory"),
        )
    })?;
    let mut neurons = NeuronArray::default();
    reserve_neurons(&mut neurons, total_usize)?;

    let mut developed = Vec::with_capacity(genome.areas().len());
    for ((a_index, area), geo) in genome.areas().iter().enumerate().zip(geometry) {
        let too_many = |what: &str| {
            capacity_error(
                Resource::Neurons,
                total,
                Some(u64::from(u32::MAX)),
                format!("{what} exceed u32"),
            )
        };
        let index = AreaIndex::try_from(a_index).map_err(|_| too_many("area indices"))?;
        let cortical = area.cortical_area();
        let first = NeuronId::try_from(neurons.len()).map_err(|_| too_many("neuron ids"))?;
        let grid = geo.grid;
        debug_assert_eq!(grid.first, first);
        let props = &cortical.properties;
        for [x, y, z] in grid.voxels() {
            let params = props.neuron_params_at(x, y, z);
            for _ in 0..grid.per_voxel {
                neurons.push(&params, index, [x, y, z]);
            }
        }
        let neuron_count =
            u32::try_from(grid.neuron_count()).map_err(|_| too_many("neurons of one area"))?;
        developed.push(DevelopedArea {
            area: cortical.clone(),
            first_neuron: first,
            neuron_count,
        });
    }
    Ok((developed, neurons))
}

fn reserve_neurons(n: &mut NeuronArray, count: usize) -> Result<(), GenomeError> {
    n.try_reserve(count).map_err(|_| {
        let bytes = (count as u64).saturating_mul(crate::estimate::NEURON_ARRAY_BYTES);
        capacity_error(
            Resource::MemoryBytes,
            bytes,
            None,
            format!("cannot allocate {bytes} bytes of memory for {count} neurons"),
        )
    })
}

/// The synapse list under construction, with the synapse budget.
struct SynapseSink {
    list: SynapseList,
    max: u64,
    /// Appends below this length need no capacity or budget check.
    limit: usize,
}

impl SynapseSink {
    /// An empty list; room for `expected` synapses (the estimate, at most the
    /// budget) is reserved when memory allows, so a genome whose estimate is
    /// right never regrows the list.
    fn new(max: u64, expected: u64) -> Self {
        let mut list = SynapseList::default();
        let hint = usize::try_from(expected.min(max)).unwrap_or(0);
        if hint > 0 {
            // A hint only: growth below takes over when it fails or falls short.
            let _ = list.source.try_reserve_exact(hint);
            let _ = list.target.try_reserve_exact(hint);
            let _ = list.weight.try_reserve_exact(hint);
            let _ = list.psp.try_reserve_exact(hint);
            let _ = list.synapse_type.try_reserve_exact(hint);
        }
        let budget = usize::try_from(max).unwrap_or(usize::MAX);
        let limit = list
            .source
            .capacity()
            .min(list.target.capacity())
            .min(budget);
        SynapseSink { list, max, limit }
    }

    fn len(&self) -> usize {
        self.list.source.len()
    }

    #[inline]
    fn push(&mut self, source: NeuronId, target: NeuronId) -> Result<(), GenomeError> {
        if self.list.source.len() >= self.limit {
            self.grow()?;
        }
        self.list.source.push(source);
        self.list.target.push(target);
        Ok(())
    }

    #[cold]
    fn grow(&mut self) -> Result<(), GenomeError> {
        let len = self.list.source.len();
        let len64 = len as u64;
        if len64 >= self.max {
            return Err(capacity_error(
                Resource::Synapses,
                self.max.saturating_add(1),
                Some(self.max),
                format!(
                    "development would create more than the limit of {} synapses",
                    self.max
                ),
            ));
        }
        // Double, but never reserve past the budget.
        let room = (self.max - len64).min(len64.max(4096));
        let room = usize::try_from(room).unwrap_or(usize::MAX);
        reserve(&mut self.list.source, room, "more synapses")?;
        reserve(&mut self.list.target, room, "more synapses")?;
        let capacity = self.list.source.capacity().min(self.list.target.capacity());
        let budget = usize::try_from(self.max).unwrap_or(usize::MAX);
        self.limit = capacity.min(budget);
        Ok(())
    }

    /// Gives every synapse appended since `from` the rule's weight, PSP and type.
    fn finish_rule(
        &mut self,
        from: usize,
        weight: u8,
        psp: u8,
        ty: SynapseType,
    ) -> Result<(), GenomeError> {
        let len = self.len();
        debug_assert_eq!(self.list.weight.len(), from);
        let add = len - from;
        reserve(&mut self.list.weight, add, "synapses")?;
        reserve(&mut self.list.psp, add, "synapses")?;
        reserve(&mut self.list.synapse_type, add, "synapses")?;
        self.list.weight.resize(len, weight);
        self.list.psp.resize(len, psp);
        self.list.synapse_type.resize(len, ty);
        Ok(())
    }

    fn finish(mut self) -> SynapseList {
        // Growth doubles capacity; give the slack back (cheap for large blocks).
        let l = &mut self.list;
        l.source.shrink_to_fit();
        l.target.shrink_to_fit();
        l.weight.shrink_to_fit();
        l.psp.shrink_to_fit();
        l.synapse_type.shrink_to_fit();
        self.list
    }
}

/// One axis of a pattern destination: ascending coordinates, possibly with one hole.
#[derive(Clone, Copy)]
pub(crate) struct AxisSet {
    lo: u64,
    hi: u64,
    /// A coordinate inside lo..hi to skip (`!`), if any.
    hole: Option<u64>,
}

impl AxisSet {
    const EMPTY: AxisSet = AxisSet {
        lo: 0,
        hi: 0,
        hole: None,
    };

    fn range(lo: u64, hi: u64) -> Self {
        AxisSet { lo, hi, hole: None }
    }

    fn is_empty(&self) -> bool {
        let n = self.hi.saturating_sub(self.lo);
        n == 0 || (n == 1 && self.hole == Some(self.lo))
    }

    /// Number of coordinates in the set.
    pub(crate) fn len(&self) -> u64 {
        let n = self.hi.saturating_sub(self.lo);
        match self.hole {
            Some(h) if h >= self.lo && h < self.hi => n - 1,
            _ => n,
        }
    }

    #[inline]
    fn iter(self) -> impl Iterator<Item = u64> {
        let hole = self.hole;
        (self.lo..self.hi).filter(move |v| Some(*v) != hole)
    }
}

/// proj(p, S, D) of SPEC §3.3.3 as a half-open range, in exact integers.
/// Operands are u32, so every product fits u64.
#[inline]
pub(crate) fn proj(p: u64, s: u64, d: u64) -> (u64, u64) {
    use std::cmp::Ordering;
    match s.cmp(&d) {
        Ordering::Greater => {
            let v = p * d / s;
            (v, v + 1)
        }
        Ordering::Less => ((p * d).div_ceil(s), ((p + 1) * d).div_ceil(s).min(d)),
        Ordering::Equal => (p, p + 1),
    }
}

/// How one rule turns a source voxel into destination voxels.
pub(crate) enum Shape<'g> {
    Empty,
    /// Distinct offsets, sorted so that their destinations come out ascending.
    Vectors(Vec<[i64; 3]>),
    Patterns(&'g [PatternPair]),
    /// Projector family: destination axis a takes source axis `axes[a]`.
    Project {
        axes: [usize; 3],
    },
    /// project_from_end on `axis`.
    FromEnd {
        axis: usize,
    },
    BlockToBlock,
    ExpanderX,
    ReducerX,
    Randomizer,
    LateralPairsX,
    BlockConnection,
    LastToFirst,
    Composite {
        seed: [u64; 3],
        pattern: [(u64, u64); 3],
        inner: Box<Shape<'g>>,
    },
}

impl Shape<'_> {
    /// Whether the voxel set depends on the neuron, not only on its voxel.
    pub(crate) fn per_neuron(&self) -> bool {
        match self {
            Shape::Randomizer => true,
            Shape::Composite { inner, .. } => inner.per_neuron(),
            _ => false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Shape::Empty => true,
            Shape::Vectors(v) => v.is_empty(),
            Shape::Patterns(p) => p.is_empty(),
            Shape::Composite { inner, .. } => inner.is_empty(),
            _ => false,
        }
    }
}

/// Per-rule constants the voxel functions need.
struct RuleContext {
    src_dims: [u64; 3],
    dst_dims: [u64; 3],
    seed: u64,
    src_idword: u64,
    dst_idword: u64,
    rule_index: u64,
    /// The most destination voxels one source voxel yields (the buffer's room).
    max_voxels: usize,
}

impl RuleContext {
    #[inline]
    fn lin(&self, v: [u64; 3]) -> u64 {
        linear_voxel_index(self.dst_dims, v)
    }

    #[inline]
    fn inside(&self, v: [u64; 3]) -> bool {
        v[0] < self.dst_dims[0] && v[1] < self.dst_dims[1] && v[2] < self.dst_dims[2]
    }
}

/// Appends the ascending, distinct destination voxels (linear indices) of
/// source voxel `p` of a source area with dims `src` (the tile for composites).
fn voxels(
    shape: &Shape<'_>,
    ctx: &RuleContext,
    src: [u64; 3],
    p: [u64; 3],
    ls: u64,
    out: &mut Vec<u64>,
) {
    let dst = ctx.dst_dims;
    match shape {
        Shape::Empty => {}
        Shape::Vectors(offsets) => {
            for v in offsets {
                // Offsets were filtered to |component| <= u32::MAX, so no overflow.
                let x = p[0] as i64 + v[0];
                let y = p[1] as i64 + v[1];
                let z = p[2] as i64 + v[2];
                if x >= 0 && y >= 0 && z >= 0 {
                    let q = [x as u64, y as u64, z as u64];
                    if ctx.inside(q) {
                        out.push(ctx.lin(q));
                    }
                }
            }
        }
        Shape::Patterns(pairs) => pattern_voxels(pairs, ctx, p, out),
        Shape::Project { axes } => {
            let r = [0, 1, 2].map(|a| proj(p[axes[a]], src[axes[a]], dst[a]));
            push_box(ctx, r, out);
        }
        Shape::FromEnd { axis } => {
            if p[*axis] + 1 == src[*axis] {
                let r = [0, 1, 2].map(|a| {
                    if a == *axis {
                        (0, 1)
                    } else {
                        proj(p[a], src[a], dst[a])
                    }
                });
                push_box(ctx, r, out);
            }
        }
        Shape::BlockToBlock => {
            let q = [0, 1, 2].map(|a| p[a].min(dst[a] - 1));
            out.push(ctx.lin(q));
        }
        Shape::ExpanderX => {
            // L = binary digits of Dx; source column px selects bit L-1-px.
            let digits = u64::from(64 - dst[0].leading_zeros());
            if p[0] < digits {
                let bit = digits - 1 - p[0];
                for x in 0..dst[0] {
                    if (x >> bit) & 1 == 1 {
                        out.push(ctx.lin([x, 0, 0]));
                    }
                }
            }
        }
        Shape::ReducerX => {
            // b = digits of px, left-padded to Dx; b[i] is bit (len(b) - 1 - i).
            let px = p[0];
            let digits = u64::from(64 - px.leading_zeros()).max(1);
            let width = digits.max(dst[0]);
            for bit in (0..digits).rev() {
                if (px >> bit) & 1 == 1 {
                    let i = width - 1 - bit;
                    if i < dst[0] {
                        out.push(ctx.lin([i, 0, 0]));
                    }
                }
            }
        }
        Shape::Randomizer => {
            let h = randomizer(ctx.seed, ctx.src_idword, ctx.dst_idword, ctx.rule_index, ls);
            // The linear index of voxel (v div DyDz, v div Dz mod Dy, v mod Dz) is v.
            out.push(h % (dst[0] * dst[1] * dst[2]));
        }
        Shape::LateralPairsX => {
            let x = p[0] ^ 1;
            let q = [x, p[1], p[2]];
            if x < src[0] && ctx.inside(q) {
                out.push(ctx.lin(q));
            }
        }
        Shape::BlockConnection => {
            let q = [p[0] / 10, p[1], p[2]];
            if ctx.inside(q) {
                out.push(ctx.lin(q));
            }
        }
        Shape::LastToFirst => {
            if (0..3).all(|a| p[a] + 1 == src[a]) {
                out.push(0);
            }
        }
        Shape::Composite {
            seed,
            pattern,
            inner,
        } => {
            let mut local = [0u64; 3];
            for a in 0..3 {
                let e = seed[a];
                let (c, s) = pattern[a];
                let tile = p[a] / e;
                let start = tile * e;
                // Period c + s cannot overflow: c, s come from JSON integers (< 2^64) and
                // checked_add guards the sum.
                let chosen = match c.checked_add(s) {
                    Some(period) => tile % period < c,
                    None => tile < c,
                };
                if !chosen || start + e > src[a] {
                    return;
                }
                local[a] = p[a] - start;
            }
            voxels(inner, ctx, *seed, local, ls, out);
        }
    }
}

/// Appends the box r[0] x r[1] x r[2] (half-open ranges, clipped to D) in ascending order.
#[inline]
fn push_box(ctx: &RuleContext, r: [(u64, u64); 3], out: &mut Vec<u64>) {
    let d = ctx.dst_dims;
    let (x1, y1, z1) = (r[0].1.min(d[0]), r[1].1.min(d[1]), r[2].1.min(d[2]));
    for x in r[0].0..x1 {
        for y in r[1].0..y1 {
            let base = (x * d[1] + y) * d[2];
            for z in r[2].0..z1 {
                out.push(base + z);
            }
        }
    }
}

pub(crate) fn axis_set(e: PatternElement, p: u64, d: u64) -> AxisSet {
    match e {
        PatternElement::Any => AxisSet::range(0, d),
        PatternElement::Same => {
            if p < d {
                AxisSet::range(p, p + 1)
            } else {
                AxisSet::EMPTY
            }
        }
        PatternElement::Except => AxisSet {
            lo: 0,
            hi: d,
            hole: Some(p),
        },
        PatternElement::Index(k) => {
            if k < d {
                AxisSet::range(k, k + 1)
            } else {
                AxisSet::EMPTY
            }
        }
    }
}

/// SPEC §3.3.2: source filter on integer axes, union of per-pair boxes.
///
/// Boxes are appended and, when several pairs apply, sorted and deduplicated
/// at the end. So that many overlapping pairs cannot make the buffer grow
/// without bound, the tail is also deduplicated whenever the next box would
/// take it past twice the destination's voxel count: the buffer never holds
/// more than `2 * W * H * D` voxels ([`crate::estimate::max_voxels`]).
fn pattern_voxels(pairs: &[PatternPair], ctx: &RuleContext, p: [u64; 3], out: &mut Vec<u64>) {
    let start = out.len();
    let room = 2 * ctx.dst_dims.iter().product::<u64>();
    let mut applied = 0usize;
    for pair in pairs {
        let applies = pair
            .source
            .iter()
            .zip(p)
            .all(|(e, c)| !matches!(e, PatternElement::Index(k) if *k != c));
        if !applies {
            continue;
        }
        let sets = [0, 1, 2].map(|a| axis_set(pair.destination[a], p[a], ctx.dst_dims[a]));
        if sets.iter().any(AxisSet::is_empty) {
            continue;
        }
        applied += 1;
        let size: u64 = sets.iter().map(AxisSet::len).product();
        if applied > 1 && (out.len() - start) as u64 + size > room {
            sort_dedup_tail(out, start);
        }
        for x in sets[0].iter() {
            for y in sets[1].iter() {
                let base = (x * ctx.dst_dims[1] + y) * ctx.dst_dims[2];
                for z in sets[2].iter() {
                    out.push(base + z);
                }
            }
        }
    }
    // One box is already ascending and distinct; a union needs sorting.
    if applied > 1 {
        sort_dedup_tail(out, start);
    }
}

/// Sorts `out[start..]` and removes repeats, in place.
fn sort_dedup_tail(out: &mut Vec<u64>, start: usize) {
    let tail = &mut out[start..];
    tail.sort_unstable();
    let mut keep = start;
    for i in start..out.len() {
        if i == start || out[i] != out[keep - 1] {
            out[keep] = out[i];
            keep += 1;
        }
    }
    out.truncate(keep);
}

/// A rule's attractivity in percent: its own, else the destination area's
/// `synapse_attractivity` gene (SPEC §3.2).
pub(crate) fn rule_attractivity(rule: &MappingRule, destination: &GenomeArea) -> f32 {
    rule.synapse_attractivity
        .unwrap_or(destination.properties().synapse_attractivity)
}

/// Whether a rule is a `vectors` rule (or a composite over one): such a rule
/// skips synapses an earlier rule of the same area pair created (SPEC §3.1).
pub(crate) fn is_vectors_like(genome: &Genome, rule: &MappingRule) -> bool {
    match genome.morphology(&rule.morphology_id) {
        Some(Morphology::Vectors(_)) => true,
        Some(Morphology::Composite(c)) => {
            matches!(
                genome.morphology(&c.mapper_morphology),
                Some(Morphology::Vectors(_))
            )
        }
        _ => false,
    }
}

/// How `morphology` maps voxels of `src` to voxels of `dst`, prepared once per rule.
pub(crate) fn rule_shape<'g>(
    genome: &'g Genome,
    morphology: &'g Morphology,
    src: &Geometry,
    dst: &Geometry,
    depth: u8,
) -> Shape<'g> {
    match morphology {
        Morphology::Placeholder => Shape::Empty,
        Morphology::Vectors(v) => {
            let limit = u64::from(u32::MAX);
            let mut offsets: Vec<[i64; 3]> = v
                .iter()
                .filter(|o| o.iter().all(|c| c.unsigned_abs() <= limit))
                .copied()
                .collect();
            // p + v is linear in v, so sorting by the offset's own linear index
            // in D orders every source's destinations ascending.
            let key = |o: &[i64; 3]| {
                (i128::from(o[0]) * i128::from(dst.grid.dims[1]) + i128::from(o[1]))
                    * i128::from(dst.grid.dims[2])
                    + i128::from(o[2])
            };
            offsets.sort_by_key(key);
            offsets.dedup();
            Shape::Vectors(offsets)
        }
        Morphology::Patterns(p) => Shape::Patterns(p),
        Morphology::Functions(f) => match f {
            FunctionMorphology::Projector => Shape::Project { axes: [0, 1, 2] },
            FunctionMorphology::ProjectorXy => Shape::Project { axes: [1, 0, 2] },
            FunctionMorphology::ProjectorXz => Shape::Project { axes: [2, 1, 0] },
            FunctionMorphology::ProjectorYz => Shape::Project { axes: [0, 2, 1] },
            FunctionMorphology::ProjectFromEndX => Shape::FromEnd { axis: 0 },
            FunctionMorphology::ProjectFromEndY => Shape::FromEnd { axis: 1 },
            FunctionMorphology::ProjectFromEndZ => Shape::FromEnd { axis: 2 },
            FunctionMorphology::BlockToBlock => Shape::BlockToBlock,
            FunctionMorphology::ExpanderX => Shape::ExpanderX,
            FunctionMorphology::ReducerX => Shape::ReducerX,
            FunctionMorphology::Randomizer => Shape::Randomizer,
            FunctionMorphology::LateralPairsX => Shape::LateralPairsX,
            FunctionMorphology::BlockConnection => Shape::BlockConnection,
            FunctionMorphology::LastToFirst => Shape::LastToFirst,
            FunctionMorphology::EpisodicMemory | FunctionMorphology::MemoryReplay => Shape::Empty,
            FunctionMorphology::AssociativeMemory => {
                if src.is_memory && dst.is_memory {
                    Shape::Project { axes: [0, 1, 2] }
                } else {
                    Shape::Empty
                }
            }
        },
        Morphology::Composite(c) => {
            let fits = (0..3).all(|a| c.src_seed[a] <= u64::from(src.grid.dims[a]));
            let inner = match genome.morphology(&c.mapper_morphology) {
                // Load rejects composite mappers; the depth guard only keeps this total.
                Some(m) if fits && depth == 0 => rule_shape(genome, m, src, dst, depth + 1),
                _ => Shape::Empty,
            };
            Shape::Composite {
                seed: c.src_seed,
                pattern: c.src_pattern,
                inner: Box::new(inner),
            }
        }
    }
}

/// Source-neuron offsets of one finished rule block, for later `vectors` rules
/// of the same area pair: the synapses of local source ls are `starts[ls]..starts[ls+1]`.
struct Block {
    starts: Vec<usize>,
}

struct Synaptogenesis<'g> {
    genome: &'g Genome,
    seed: u64,
    geometry: &'g [Geometry],
    sink: SynapseSink,
    /// Only synapses into these neurons are kept (all, for a whole brain).
    targets: Range<NeuronId>,
    stdp: Vec<StdpRegistration>,
    memory_relations: Vec<MemoryRelation>,
    voxels: Vec<u64>,
}

impl<'g> Synaptogenesis<'g> {
    fn morphology(&self, id: &str) -> Option<&'g Morphology> {
        self.genome.morphology(id)
    }

    fn is_vectors_like(&self, rule: &MappingRule) -> bool {
        is_vectors_like(self.genome, rule)
    }

    fn shape(
        &self,
        morphology: &'g Morphology,
        src: &Geometry,
        dst: &Geometry,
        depth: u8,
    ) -> Shape<'g> {
        rule_shape(self.genome, morphology, src, dst, depth)
    }

    /// Every rule of area A, grouped by destination (SPEC §3.1).
    fn area(&mut self, a_index: usize, area: &'g GenomeArea) -> Result<(), GenomeError> {
        for pair in area.rules_by_destination() {
            self.pair(a_index, area, pair)?;
        }
        Ok(())
    }

    /// The rules of one (A, B) pair, in list order.
    fn pair(
        &mut self,
        a_index: usize,
        area: &'g GenomeArea,
        rules: &'g [MappingRule],
    ) -> Result<(), GenomeError> {
        let vectors_like: Vec<bool> = rules.iter().map(|r| self.is_vectors_like(r)).collect();
        let mut blocks: Vec<Block> = Vec::new();
        for (j, rule) in rules.iter().enumerate() {
            let later_vectors = vectors_like.get(j + 1..).is_some_and(|l| l.contains(&true));
            let check_existing = vectors_like.get(j).copied().unwrap_or(false);
            let block = self.rule(a_index, area, rule, check_existing, &blocks, later_vectors)?;
            if let Some(b) = block {
                blocks.push(b);
            }
        }
        Ok(())
    }

    fn rule(
        &mut self,
        a_index: usize,
        area: &'g GenomeArea,
        rule: &'g MappingRule,
        check_existing: bool,
        earlier: &[Block],
        keep_block: bool,
    ) -> Result<Option<Block>, GenomeError> {
        let missing = || {
            GenomeError::new(
                GenomeErrorKind::MissingDestinationArea,
                format!("destination index {} does not exist", rule.destination),
            )
            .with_cortical_id(area.written_id())
            .with_destination_id(&rule.destination_written)
            .with_rule_index(rule.rule_index as usize)
        };
        let b_index = usize::try_from(rule.destination).map_err(|_| missing())?;
        let (Some(src), Some(dst), Some(b_area)) = (
            self.geometry.get(a_index).copied(),
            self.geometry.get(b_index).copied(),
            self.genome.areas().get(b_index),
        ) else {
            return Err(missing());
        };
        let morphology = self.morphology(&rule.morphology_id).ok_or_else(|| {
            GenomeError::new(
                GenomeErrorKind::UnknownMorphology,
                format!("morphology {} does not exist", quoted(&rule.morphology_id)),
            )
            .with_cortical_id(area.written_id())
            .with_destination_id(&rule.destination_written)
            .with_rule_index(rule.rule_index as usize)
            .with_morphology_id(&rule.morphology_id)
        })?;

        // SPEC §3.2.
        let (weight, inhibitory) = units::weight_from_multiplier(rule.multiplier);
        let ty = if inhibitory {
            SynapseType::Inhibitory
        } else {
            SynapseType::Excitatory
        };
        let psp = area.properties().psp();
        let attractivity = rule_attractivity(rule, b_area);
        self.register(a_index, b_index, rule, morphology, psp, ty, dst.is_memory);

        let shape = self.shape(morphology, &src, &dst, 0);
        let source_count = src.grid.neuron_count();
        let from = self.sink.len();
        // attractivity <= 0 creates nothing; an empty shape has no candidates;
        // a destination area outside the kept targets keeps nothing.
        let dst_first = u64::from(dst.grid.first);
        let dst_end = dst_first + dst.grid.neuron_count();
        let keeps_any =
            dst_first < u64::from(self.targets.end) && u64::from(self.targets.start) < dst_end;
        let produces = attractivity > 0.0 && !shape.is_empty() && keeps_any;
        let locate = |e: GenomeError| {
            // Say which rule ran out of room.
            e.with_cortical_id(area.written_id())
                .with_destination_id(&rule.destination_written)
                .with_rule_index(rule.rule_index as usize)
                .with_morphology_id(&rule.morphology_id)
        };
        let mut starts = if keep_block {
            // source_count is at most 50 000 000, so this fits any usize.
            let n = usize::try_from(source_count + 1).unwrap_or(usize::MAX);
            let mut v = Vec::new();
            reserve(&mut v, n, "synapse offsets").map_err(locate)?;
            v
        } else {
            Vec::new()
        };
        if produces {
            let src_dims = src.grid.dims.map(u64::from);
            let dst_dims = dst.grid.dims.map(u64::from);
            // The destination voxels of one source voxel never outgrow this,
            // so the buffer is reserved here, fallibly, and never grows later.
            let most = crate::estimate::max_voxels(&shape, src_dims, dst_dims);
            let most = usize::try_from(most).unwrap_or(usize::MAX);
            self.voxels.clear();
            reserve(&mut self.voxels, most, "destination voxels").map_err(locate)?;
            let ctx = RuleContext {
                src_dims,
                dst_dims,
                seed: self.seed,
                src_idword: src.idword,
                dst_idword: dst.idword,
                rule_index: u64::from(rule.rule_index),
                max_voxels: most,
            };
            let emit = Emit {
                dst: dst.grid,
                threshold: (attractivity < 100.0).then_some(attractivity),
                check_existing: check_existing && !earlier.is_empty(),
            };
            self.run_rule(
                &shape,
                &ctx,
                &src,
                &emit,
                earlier,
                keep_block.then_some(&mut starts),
            )
            .map_err(locate)?;
        } else if keep_block {
            starts.resize(usize::try_from(source_count + 1).unwrap_or(0), from);
        }
        self.sink
            .finish_rule(from, weight, psp, ty)
            .map_err(locate)?;
        Ok(keep_block.then_some(Block { starts }))
    }

    /// STDP registration and memory relations of one rule (SPEC §6.1, §6.2).
    #[allow(clippy::too_many_arguments)]
    fn register(
        &mut self,
        a_index: usize,
        b_index: usize,
        rule: &MappingRule,
        morphology: &Morphology,
        psp: u8,
        ty: SynapseType,
        dst_is_memory: bool,
    ) {
        let (a, b) = (a_index as AreaIndex, b_index as AreaIndex);
        if rule.registers_stdp() {
            let registration = StdpRegistration {
                source_area: a,
                destination_area: b,
                plasticity_constant: rule.plasticity_constant,
                ltp_multiplier: rule.ltp_multiplier,
                ltd_multiplier: rule.ltd_multiplier,
                window: rule.plasticity_window,
                bidirectional: rule.morphology_id == FunctionMorphology::AssociativeMemory.id(),
                psp,
                synapse_type: ty,
            };
            // Rules arrive in ascending (A, B) order, so a repeat is the last entry.
            match self.stdp.last_mut() {
                Some(last) if last.source_area == a && last.destination_area == b => {
                    *last = registration
                }
                _ => self.stdp.push(registration),
            }
        }
        if matches!(
            morphology,
            Morphology::Functions(FunctionMorphology::EpisodicMemory)
        ) && dst_is_memory
        {
            let relation = MemoryRelation {
                upstream: a,
                memory_area: b,
            };
            if !self.memory_relations.contains(&relation) {
                self.memory_relations.push(relation);
            }
        }
    }

    fn run_rule(
        &mut self,
        shape: &Shape<'_>,
        ctx: &RuleContext,
        src: &Geometry,
        emit: &Emit,
        earlier: &[Block],
        mut starts: Option<&mut Vec<usize>>,
    ) -> Result<(), GenomeError> {
        let per_neuron = shape.per_neuron();
        let n = u64::from(src.grid.per_voxel);
        let src_dims = ctx.src_dims;
        let mut buf = std::mem::take(&mut self.voxels);
        let room = buf.capacity();
        debug_assert!(room >= ctx.max_voxels);
        let mut ls: u64 = 0;
        for x in 0..src_dims[0] {
            for y in 0..src_dims[1] {
                for z in 0..src_dims[2] {
                    let p = [x, y, z];
                    for k in 0..n {
                        if k == 0 || per_neuron {
                            buf.clear();
                            voxels(shape, ctx, src_dims, p, ls, &mut buf);
                            // Never grown here: the rule reserved max_voxels, fallibly.
                            debug_assert_eq!(buf.capacity(), room, "voxel buffer bound");
                        }
                        if let Some(s) = starts.as_deref_mut() {
                            s.push(self.sink.len());
                        }
                        if !buf.is_empty() {
                            // ls < total neurons <= 50 000 000, so the id fits u32.
                            let s = src.grid.first + ls as u32;
                            if let Err(e) = self.emit(emit, ctx, &buf, s, ls, earlier) {
                                self.voxels = buf;
                                return Err(e);
                            }
                        }
                        ls += 1;
                    }
                }
            }
        }
        if let Some(s) = starts {
            s.push(self.sink.len());
        }
        self.voxels = buf;
        Ok(())
    }

    /// Appends the synapses from source `s` to every neuron of the voxels in `buf`.
    #[inline]
    fn emit(
        &mut self,
        emit: &Emit,
        ctx: &RuleContext,
        buf: &[u64],
        s: NeuronId,
        ls: u64,
        earlier: &[Block],
    ) -> Result<(), GenomeError> {
        let first = u64::from(emit.dst.first);
        for &lin in buf {
            for k in 0..u64::from(emit.dst.per_voxel) {
                // Destination ids are below the neuron limit, so they fit u32.
                let id = emit.dst.neuron_id(lin, k);
                let d = id as NeuronId;
                // Another rank's synapse (each draw depends only on its own
                // source and destination, so skipping it changes no other).
                if !self.targets.contains(&d) {
                    continue;
                }
                let ld = id - first;
                if let Some(threshold) = emit.threshold {
                    let draw = attract(
                        ctx.seed,
                        ctx.src_idword,
                        ctx.dst_idword,
                        ctx.rule_index,
                        ls,
                        ld,
                    );
                    if draw as f32 >= threshold {
                        continue;
                    }
                }
                if emit.check_existing && self.exists(earlier, ls, d) {
                    continue;
                }
                self.sink.push(s, d)?;
            }
        }
        Ok(())
    }

    /// Whether an earlier rule of the same pair already created s -> d.
    fn exists(&self, earlier: &[Block], ls: u64, d: NeuronId) -> bool {
        let Ok(i) = usize::try_from(ls) else {
            return false;
        };
        let targets = &self.sink.list.target;
        earlier
            .iter()
            .any(|b| match (b.starts.get(i), b.starts.get(i + 1)) {
                (Some(&lo), Some(&hi)) => targets
                    .get(lo..hi)
                    .is_some_and(|run| run.binary_search(&d).is_ok()),
                _ => false,
            })
    }
}

/// Per-rule emission constants.
struct Emit {
    /// The destination area's layout.
    dst: NeuronGrid,
    /// Attractivity in percent when a draw is needed (strictly between 0 and 100).
    threshold: Option<f32>,
    check_existing: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proj_set(p: u64, s: u64, d: u64) -> Vec<u64> {
        let (lo, hi) = proj(p, s, d);
        (lo..hi).collect()
    }

    #[test]
    fn item_13_projection_axis_examples() {
        for p in 0..128 {
            assert_eq!(proj_set(p, 128, 64), vec![p / 2]);
        }
        for p in 0..64 {
            assert_eq!(proj_set(p, 64, 128), vec![2 * p, 2 * p + 1]);
        }
        for p in 0..16 {
            assert_eq!(proj_set(p, 16, 1), vec![0]);
        }
        assert_eq!(proj_set(8, 16, 14), vec![7]);
        assert_eq!(proj_set(0, 3, 5), vec![0, 1]);
        assert_eq!(proj_set(1, 3, 5), vec![2, 3]);
        assert_eq!(proj_set(2, 3, 5), vec![4]);
    }

    #[test]
    fn projection_matches_the_definition_exhaustively() {
        // proj(p,S,D) for S < D is { d : floor(d*S/D) = p }; check against that directly.
        for s in 1..=12u64 {
            for d in 1..=12u64 {
                for p in 0..s {
                    let expect: Vec<u64> = if s > d {
                        vec![p * d / s]
                    } else if s < d {
                        (0..d).filter(|x| x * s / d == p).collect()
                    } else {
                        vec![p]
                    };
                    assert_eq!(proj_set(p, s, d), expect, "p {p} S {s} D {d}");
                }
            }
        }
    }
}

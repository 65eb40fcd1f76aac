//! Estimates made before development (M2.6): how many synapses every mapping
//! rule creates and how much memory development and the NPU built from it
//! need, so that a genome beyond [`LoadOptions`] is refused at once, before
//! anything proportional to the brain is allocated.
//!
//! A rule's synapses are counted in closed form from its morphology and the
//! two grids, without visiting a voxel: the count is exact for every
//! morphology except a `patterns` morphology whose pairs overlap (then the
//! union lies between the largest pair and the sum of the pairs) and a
//! `vectors` rule after other rules of the same area pair (it skips what they
//! created). Attractivity strictly between 0 and 100 keeps a pseudo-random
//! share of the candidates; the estimate is the expected share, and the lower
//! bound is that expectation minus eight standard deviations (a count below
//! it would be a 1-in-10^15 event for the hash of SPEC §7.2).
//!
//! docs/GENOME.md ("Limits") documents the numbers and how they were measured.

use crate::develop::{is_vectors_like, rule_attractivity, rule_shape, Geometry, Shape};
use crate::error::{GenomeError, Resource};
use crate::model::{Genome, LoadOptions, MappingRule};
use crate::morphology::{PatternElement, PatternPair};
use feagi_types::{NeuronGrid, NeuronId};
use std::ops::Range;

/// Bytes of one neuron in a `NeuronArray` (five f32, five u16, a bool, the
/// u32 area index and three u32 coordinates).
pub const NEURON_ARRAY_BYTES: u64 = 47;

/// Peak bytes per regular neuron of developing a genome and building an NPU
/// from it: the neuron array (47) and the NPU's synapse row table (start,
/// length, capacity: 16) while the developed list is still alive. Measured
/// at 63 bytes (`VmHWM` slope, `examples/memory_peak.rs` of feagi-burst-engine;
/// docs/GENOME.md, "Limits").
pub const NEURON_PEAK_BYTES: u64 = 64;

/// Peak bytes per synapse of developing a genome and building an NPU from it:
/// the developed list (source, target u32, weight, PSP, type u8: 11 bytes)
/// and the NPU's synapse array (target u32, weight, PSP, type: 7 bytes) exist
/// together while the NPU sorts the list into rows. Measured at 18.0 bytes
/// (same example; development alone peaks at 11.0).
pub const SYNAPSE_PEAK_BYTES: u64 = 18;

/// How much a genome needs, estimated before development by
/// [`estimate_memory`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Regular neurons development creates (exact).
    pub neurons: u64,
    /// Synapses development is expected to create (exact for most genomes;
    /// see [`estimate_memory`]).
    pub synapses: u64,
    /// Synapses development creates at least. Development refuses at once
    /// when this is above [`LoadOptions::max_synapses`].
    pub min_synapses: u64,
    /// Synapses development creates at most (before attractivity).
    pub max_synapses: u64,
    /// Peak bytes of developing the genome and building an NPU from it:
    /// `neurons * NEURON_PEAK_BYTES + min(synapses, max_synapses option) *
    /// SYNAPSE_PEAK_BYTES` plus development's largest scratch buffers.
    /// Development refuses at once when this is above the memory limit.
    pub bytes: u64,
    /// The memory limit the options stand for
    /// ([`LoadOptions::effective_memory_limit`]); `None` for no limit.
    pub limit: Option<u64>,
}

/// Estimates the neurons, synapses and peak memory of developing `genome` and
/// building an NPU from it, in time proportional to the genome's size (not the
/// brain's). Synapse counts are exact for every morphology except
/// overlapping `patterns` pairs and `vectors` rules following other rules of
/// the same area pair (bounded then), and expected values where attractivity
/// lies strictly between 0 and 100.
///
/// ```
/// use feagi_genome::{estimate_memory, Genome, LoadOptions};
/// let genome = Genome::default_genome();
/// let e = estimate_memory(&genome, &LoadOptions::default());
/// assert_eq!(e.neurons, genome.neuron_count());
/// assert!(e.min_synapses <= e.synapses && e.synapses <= e.max_synapses);
/// ```
pub fn estimate_memory(genome: &Genome, options: &LoadOptions) -> MemoryEstimate {
    let geometry = crate::develop::layout(genome);
    let census = Census::take(genome, &geometry, options.max_synapses, None);
    MemoryEstimate {
        neurons: genome.neuron_count(),
        synapses: saturate(census.estimate),
        min_synapses: saturate(census.lower),
        max_synapses: saturate(census.upper),
        bytes: census.bytes(genome.neuron_count(), options.max_synapses),
        limit: options.effective_memory_limit(),
    }
}

/// What development may reserve up front.
pub(crate) struct Preflight {
    /// The expected synapse count (at most the budget).
    pub(crate) synapses: u64,
}

/// The checks of M2.6 before development: the synapse budget against the
/// lower estimate, the memory limit against the memory estimate.
pub(crate) fn preflight(
    genome: &Genome,
    geometry: &[Geometry],
    options: &LoadOptions,
    targets: Option<&Range<NeuronId>>,
) -> Result<Preflight, GenomeError> {
    let census = Census::take(genome, geometry, options.max_synapses, targets);
    let max = options.max_synapses;
    if census.lower > u128::from(max) {
        let needed = saturate(census.lower);
        let mut message = format!(
            "the genome needs at least {needed} synapses (estimate {}), beyond the limit of {max} synapses (LoadOptions::max_synapses)",
            saturate(census.estimate)
        );
        let mut err = None;
        if let Some(c) = &census.crossing {
            message.push_str(&format!(
                "; this rule passes the limit with {} synapses",
                saturate(c.lower)
            ));
            if let Some(big) = &census.largest {
                if big.estimate > c.estimate {
                    message.push_str(&format!(
                        "; the largest rule is {} -> {} #{} ({}) with {} synapses",
                        area_name(genome, big.area),
                        crate::error::bounded(&big.rule.destination_written),
                        big.rule.rule_index,
                        crate::error::bounded(&big.rule.morphology_id),
                        saturate(big.estimate)
                    ));
                }
            }
            err = Some(locate(
                GenomeError::capacity_exceeded(Resource::Synapses, needed, Some(max), &message),
                genome,
                c,
            ));
        }
        return Err(err.unwrap_or_else(|| {
            GenomeError::capacity_exceeded(Resource::Synapses, needed, Some(max), message)
        }));
    }
    let neurons = genome.neuron_count();
    let bytes = census.bytes(neurons, max);
    if let Some(limit) = options.effective_memory_limit() {
        if bytes > limit {
            let synapses = saturate(census.kept).min(max);
            let part = if targets.is_some() {
                " of this rank's part"
            } else {
                ""
            };
            let mut message = format!(
                "developing the genome needs about {bytes} bytes of memory ({neurons} neurons at {NEURON_PEAK_BYTES} bytes, {synapses} synapses{part} at {SYNAPSE_PEAK_BYTES} bytes), beyond the memory limit of {limit} bytes (LoadOptions::memory_limit, by default the available memory)"
            );
            let mut err =
                GenomeError::capacity_exceeded(Resource::MemoryBytes, bytes, Some(limit), "");
            if let Some(big) = &census.largest {
                if big.estimate > 0 {
                    message.push_str(&format!(
                        "; the largest rule, {} -> {} #{} ({}), has about {} synapses",
                        area_name(genome, big.area),
                        crate::error::bounded(&big.rule.destination_written),
                        big.rule.rule_index,
                        crate::error::bounded(&big.rule.morphology_id),
                        saturate(big.estimate)
                    ));
                    // Point at it when it is most of the brain.
                    if big.estimate.saturating_mul(2) >= census.estimate {
                        err = locate(err, genome, big);
                    }
                }
            }
            err.message = message;
            return Err(err);
        }
    }
    Ok(Preflight {
        synapses: saturate(census.kept).min(max),
    })
}

/// The part of a rule's `estimate` that lands in `targets`: in proportion to
/// the destination area's neurons inside it (rounded up).
fn kept_share(estimate: u128, dst: &NeuronGrid, targets: &Range<NeuronId>) -> u128 {
    let first = u64::from(dst.first);
    let count = dst.neuron_count();
    let end = first.saturating_add(count);
    let inside = end
        .min(u64::from(targets.end))
        .saturating_sub(first.max(u64::from(targets.start)));
    if inside == 0 || count == 0 {
        0
    } else if inside >= count {
        estimate
    } else {
        estimate
            .saturating_mul(u128::from(inside))
            .div_ceil(u128::from(count))
    }
}

fn saturate(n: u128) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn area_name(genome: &Genome, area: usize) -> String {
    genome
        .areas()
        .get(area)
        .map_or_else(String::new, |a| crate::error::bounded(a.written_id()))
}

fn locate(err: GenomeError, genome: &Genome, r: &RuleCount<'_>) -> GenomeError {
    let err = match genome.areas().get(r.area) {
        Some(a) => err.with_cortical_id(a.written_id()),
        None => err,
    };
    err.with_destination_id(&r.rule.destination_written)
        .with_rule_index(r.rule.rule_index as usize)
        .with_morphology_id(&r.rule.morphology_id)
}

/// One rule's estimate.
#[derive(Clone, Copy)]
struct RuleCount<'g> {
    area: usize,
    rule: &'g MappingRule,
    lower: u128,
    estimate: u128,
}

/// Every rule counted, in the creation order of SPEC §3.1.
struct Census<'g> {
    lower: u128,
    estimate: u128,
    upper: u128,
    /// The estimate of the synapses into the kept targets (all of them for a
    /// whole brain): each rule's estimate times the share of its destination
    /// area's neurons among the targets.
    kept: u128,
    /// The rule whose lower estimate takes the running total past the budget.
    crossing: Option<RuleCount<'g>>,
    /// The rule with the largest estimate.
    largest: Option<RuleCount<'g>>,
    /// Development's largest scratch: the voxel buffer of one rule plus the
    /// per-source offsets kept for `vectors` rules of one area pair.
    scratch_bytes: u64,
}

impl<'g> Census<'g> {
    fn take(
        genome: &'g Genome,
        geometry: &[Geometry],
        budget: u64,
        targets: Option<&Range<NeuronId>>,
    ) -> Self {
        let mut c = Census {
            lower: 0,
            estimate: 0,
            upper: 0,
            kept: 0,
            crossing: None,
            largest: None,
            scratch_bytes: 0,
        };
        let (mut buffer_voxels, mut block_bytes) = (0u64, 0u64);
        for (a_index, area) in genome.areas().iter().enumerate() {
            let Some(src) = geometry.get(a_index) else {
                continue;
            };
            for pair in area.rules_by_destination() {
                let vectors_like: Vec<bool> =
                    pair.iter().map(|r| is_vectors_like(genome, r)).collect();
                // Development keeps the offsets of every rule before the last vectors rule.
                let kept = vectors_like.iter().rposition(|&v| v).unwrap_or(0) as u64;
                let offsets = (src.grid.neuron_count() + 1).saturating_mul(8);
                block_bytes = block_bytes.max(kept.saturating_mul(offsets));
                let mut earlier_upper: u128 = 0;
                for (j, rule) in pair.iter().enumerate() {
                    let Some(count) = count_rule(genome, geometry, src, rule) else {
                        continue;
                    };
                    buffer_voxels = buffer_voxels.max(count.buffer_voxels);
                    let mut lower = count.lower;
                    if vectors_like[j] && j > 0 {
                        // It skips synapses the earlier rules of the pair created.
                        lower = lower.saturating_sub(earlier_upper);
                    }
                    earlier_upper = earlier_upper.saturating_add(count.upper);
                    let rc = RuleCount {
                        area: a_index,
                        rule,
                        lower,
                        estimate: count.estimate,
                    };
                    let before = c.lower;
                    c.lower = c.lower.saturating_add(lower);
                    c.estimate = c.estimate.saturating_add(count.estimate);
                    c.upper = c.upper.saturating_add(count.upper);
                    let kept = match targets {
                        None => count.estimate,
                        Some(t) => {
                            let dst = usize::try_from(rule.destination)
                                .ok()
                                .and_then(|b| geometry.get(b));
                            dst.map_or(0, |d| kept_share(count.estimate, &d.grid, t))
                        }
                    };
                    c.kept = c.kept.saturating_add(kept);
                    if c.crossing.is_none()
                        && before <= u128::from(budget)
                        && c.lower > u128::from(budget)
                    {
                        c.crossing = Some(rc);
                    }
                    if c.largest.is_none_or(|l| rc.estimate > l.estimate) {
                        c.largest = Some(rc);
                    }
                }
            }
        }
        c.scratch_bytes = buffer_voxels.saturating_mul(8).saturating_add(block_bytes);
        c
    }

    /// Peak bytes for `neurons` and the expected synapses kept, the latter
    /// capped at the budget (development never holds more).
    fn bytes(&self, neurons: u64, budget: u64) -> u64 {
        let synapses = saturate(self.kept).min(budget);
        neurons
            .saturating_mul(NEURON_PEAK_BYTES)
            .saturating_add(synapses.saturating_mul(SYNAPSE_PEAK_BYTES))
            .saturating_add(self.scratch_bytes)
    }
}

/// The synapse counts of one rule.
struct Count {
    lower: u128,
    estimate: u128,
    upper: u128,
    buffer_voxels: u64,
}

/// Counts one rule's synapses as development would create them; `None` when
/// development fails on the rule for another reason (a missing destination
/// or morphology).
fn count_rule(
    genome: &Genome,
    geometry: &[Geometry],
    src: &Geometry,
    rule: &MappingRule,
) -> Option<Count> {
    let b_index = usize::try_from(rule.destination).ok()?;
    let dst = geometry.get(b_index)?;
    let b_area = genome.areas().get(b_index)?;
    let morphology = genome.morphology(&rule.morphology_id)?;
    let shape = rule_shape(genome, morphology, src, dst, 0);
    let attractivity = rule_attractivity(rule, b_area);
    let zero = Count {
        lower: 0,
        estimate: 0,
        upper: 0,
        buffer_voxels: 0,
    };
    // As in development: only attractivity > 0 creates anything (NaN does not).
    let produces = attractivity > 0.0;
    if !produces || shape.is_empty() {
        return Some(zero);
    }
    let s = src.grid.dims.map(u64::from);
    let d = dst.grid.dims.map(u64::from);
    let (lo, hi) = voxel_pairs(&shape, s, d);
    let per_pair = u128::from(src.grid.per_voxel) * u128::from(dst.grid.per_voxel);
    let (lo, hi) = (lo.saturating_mul(per_pair), hi.saturating_mul(per_pair));
    let buffer_voxels = max_voxels(&shape, s, d);
    if attractivity >= 100.0 {
        return Some(Count {
            lower: lo,
            estimate: hi,
            upper: hi,
            buffer_voxels,
        });
    }
    // Draws 0..99 are kept when below the attractivity (SPEC §3.2, §7.2).
    let kept = (0..100u8).filter(|&k| f32::from(k) < attractivity).count() as u128;
    let p = kept as f64 / 100.0;
    let mean = lo as f64 * p;
    let sd = (lo as f64 * p * (1.0 - p)).sqrt();
    let lower = (mean - 8.0 * sd - 1.0).max(0.0);
    Some(Count {
        // f64 -> u128 saturates; `lower` is finite and >= 0.
        lower: (lower as u128).min(lo),
        estimate: hi.saturating_mul(kept) / 100,
        upper: hi,
        buffer_voxels,
    })
}

/// Distinct (source voxel, destination voxel) pairs of a shape between grids
/// of dims `s` and `d`, as (lower, upper) bounds; both are the exact count
/// except for overlapping pattern pairs. A per-neuron shape (`randomizer`)
/// counts one destination voxel per source voxel: per neuron, as development
/// draws it.
pub(crate) fn voxel_pairs(shape: &Shape<'_>, s: [u64; 3], d: [u64; 3]) -> (u128, u128) {
    let w = |v: u64| u128::from(v);
    let sv = w(s[0]) * w(s[1]) * w(s[2]);
    let dv = w(d[0]) * w(d[1]) * w(d[2]);
    let exact = |n: u128| (n, n);
    match shape {
        Shape::Empty => (0, 0),
        Shape::Vectors(offsets) => exact(
            offsets
                .iter()
                .map(|v| (0..3).map(|a| overlap(s[a], d[a], v[a])).product::<u128>())
                .sum(),
        ),
        Shape::Patterns(pairs) => {
            let (mut largest, mut sum) = (0u128, 0u128);
            for pair in pairs.iter() {
                let n = pattern_pair_count(pair, s, d);
                largest = largest.max(n);
                sum = sum.saturating_add(n);
            }
            (largest, sum.min(sv.saturating_mul(dv)))
        }
        Shape::Project { axes } => exact((0..3).map(|a| w(s[axes[a]].max(d[a]))).product()),
        Shape::FromEnd { axis } => exact(
            (0..3)
                .filter(|a| a != axis)
                .map(|a| w(s[a].max(d[a])))
                .product(),
        ),
        Shape::BlockToBlock | Shape::Randomizer => exact(sv),
        Shape::ExpanderX => {
            let digits = u64::from(64 - d[0].leading_zeros());
            let per_column: u128 = (0..s[0].min(digits))
                .map(|p0| bits_set_below(d[0], (digits - 1 - p0) as u32))
                .sum();
            exact(per_column * w(s[1]) * w(s[2]))
        }
        Shape::ReducerX => exact(reducer_count(s[0], d[0]) * w(s[1]) * w(s[2])),
        Shape::LateralPairsX => {
            let m = s[0].min(d[0]);
            let xs = m - u64::from(m == s[0] && s[0] % 2 == 1);
            exact(w(xs) * w(s[1].min(d[1])) * w(s[2].min(d[2])))
        }
        Shape::BlockConnection => {
            let xs = s[0].min(d[0].saturating_mul(10));
            exact(w(xs) * w(s[1].min(d[1])) * w(s[2].min(d[2])))
        }
        Shape::LastToFirst => exact(1),
        Shape::Composite {
            seed,
            pattern,
            inner,
        } => {
            let mut tiles: u128 = 1;
            for a in 0..3 {
                let e = seed[a].max(1);
                let full = s[a] / e;
                let (c, skip) = pattern[a];
                let chosen = match c.checked_add(skip) {
                    Some(period) if period > 0 => {
                        w(full / period) * w(c) + w((full % period).min(c))
                    }
                    _ => w(full.min(c)),
                };
                tiles *= chosen;
            }
            let (lo, hi) = voxel_pairs(inner, *seed, d);
            (lo.saturating_mul(tiles), hi.saturating_mul(tiles))
        }
    }
}

/// Most destination voxels one source voxel of a shape yields: the room
/// development's voxel buffer needs (reserved fallibly per rule).
pub(crate) fn max_voxels(shape: &Shape<'_>, s: [u64; 3], d: [u64; 3]) -> u64 {
    let dv = d[0].saturating_mul(d[1]).saturating_mul(d[2]);
    // Most of proj(p, S, D) over p: one voxel when S >= D, else ceil(D / S).
    let spread = |s: u64, d: u64| if s >= d { 1 } else { d.div_ceil(s.max(1)) };
    match shape {
        Shape::Empty => 0,
        Shape::Vectors(offsets) => (offsets.len() as u64).min(dv),
        Shape::Patterns(pairs) => {
            let boxes = pairs.iter().fold(0u64, |acc, pair| {
                let size = pair.destination.iter().zip(d).fold(1u64, |n, (e, d)| {
                    let most = match e {
                        PatternElement::Any | PatternElement::Except => d,
                        PatternElement::Same | PatternElement::Index(_) => 1,
                    };
                    n.saturating_mul(most)
                });
                acc.saturating_add(size)
            });
            // pattern_voxels deduplicates before passing twice the voxel count.
            boxes.min(dv.saturating_mul(2))
        }
        Shape::Project { axes } => (0..3).map(|a| spread(s[axes[a]], d[a])).product(),
        Shape::FromEnd { axis } => (0..3)
            .filter(|a| a != axis)
            .map(|a| spread(s[a], d[a]))
            .product(),
        Shape::ExpanderX => d[0],
        Shape::ReducerX => d[0].min(64),
        Shape::BlockToBlock
        | Shape::Randomizer
        | Shape::LateralPairsX
        | Shape::BlockConnection
        | Shape::LastToFirst => 1,
        Shape::Composite { seed, inner, .. } => max_voxels(inner, *seed, d),
    }
}

/// Source coordinates p in 0..S with p + v in 0..D.
fn overlap(s: u64, d: u64, v: i64) -> u128 {
    let (s, d, v) = (i128::from(s), i128::from(d), i128::from(v));
    let lo = (-v).max(0);
    let hi = s.min(d - v);
    u128::try_from(hi - lo).unwrap_or(0)
}

/// Sum over source voxels of one pattern pair's box size (SPEC §3.3.2): the
/// filter and the box both factor by axis, so the sum is a product of
/// per-axis sums.
fn pattern_pair_count(pair: &PatternPair, s: [u64; 3], d: [u64; 3]) -> u128 {
    (0..3)
        .map(|a| axis_sum(pair.source[a], pair.destination[a], s[a], d[a]))
        .product()
}

/// Sum over source coordinates p in 0..S passing the filter `src` of the
/// destination set size of `dst` on an axis of length D.
fn axis_sum(src: PatternElement, dst: PatternElement, s: u64, d: u64) -> u128 {
    // The source coordinates the pair applies to: one (an integer filter) or all.
    let (lo, hi) = match src {
        PatternElement::Index(k) if k < s => (k, k + 1),
        PatternElement::Index(_) => return 0,
        _ => (0, s),
    };
    let n = u128::from(hi - lo);
    // Coordinates of lo..hi below D: where `?` lands and `!` has a hole.
    let inside = u128::from(hi.min(d).saturating_sub(lo));
    match dst {
        PatternElement::Any => n * u128::from(d),
        PatternElement::Same => inside,
        PatternElement::Except => n * u128::from(d) - inside,
        PatternElement::Index(k) => {
            if k < d {
                n
            } else {
                0
            }
        }
    }
}

/// Numbers in 0..n with bit b set.
fn bits_set_below(n: u64, b: u32) -> u128 {
    if b >= 64 {
        return 0;
    }
    let n = u128::from(n);
    let half = 1u128 << b;
    let period = half << 1;
    (n / period) * half + (n % period).saturating_sub(half)
}

/// Sum over px in 0..S of the reducer_x voxels of column px for a
/// destination of width D: the set bits of px that land inside D, i.e.
/// popcount(px >> max(0, digits(px) - D)).
fn reducer_count(s: u64, d: u64) -> u128 {
    let mut total = 0u128;
    // px = 0 has no set bit; group the rest by their number of digits.
    for digits in 1..=64u32 {
        let lo = 1u64 << (digits - 1);
        if lo >= s {
            break;
        }
        let hi = if digits == 64 {
            s
        } else {
            s.min(1u64 << digits)
        };
        let skip = u64::from(digits).saturating_sub(d) as u32;
        for b in skip..digits {
            total += bits_set_below(hi, b) - bits_set_below(lo, b);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::develop::{axis_set, proj};

    fn lengths(p: u64, s: u64, d: u64) -> u64 {
        let (lo, hi) = proj(p, s, d);
        hi - lo
    }

    #[test]
    fn projection_sums_are_the_larger_side() {
        for s in 1..=20u64 {
            for d in 1..=20u64 {
                let sum: u64 = (0..s).map(|p| lengths(p, s, d)).sum();
                assert_eq!(sum, s.max(d), "S {s} D {d}");
                let most = (0..s).map(|p| lengths(p, s, d)).max().unwrap_or(0);
                assert!(most <= if s >= d { 1 } else { d.div_ceil(s) });
            }
        }
    }

    #[test]
    fn bit_counts_match_a_loop() {
        for n in 0..300u64 {
            for b in 0..10 {
                let expect = (0..n).filter(|x| (x >> b) & 1 == 1).count() as u128;
                assert_eq!(bits_set_below(n, b), expect, "n {n} b {b}");
            }
        }
    }

    #[test]
    fn reducer_counts_match_the_definition() {
        for s in 0..70u64 {
            for d in 1..9u64 {
                let expect: u128 = (0..s)
                    .map(|px| {
                        let digits = u64::from(64 - px.leading_zeros()).max(1);
                        let width = digits.max(d);
                        (0..digits)
                            .filter(|&bit| (px >> bit) & 1 == 1 && width - 1 - bit < d)
                            .count() as u128
                    })
                    .sum();
                assert_eq!(reducer_count(s, d), expect, "S {s} D {d}");
            }
        }
    }

    #[test]
    fn axis_sums_match_the_axis_sets() {
        use PatternElement::*;
        let elements = [Any, Same, Except, Index(0), Index(2), Index(5)];
        for s in 1..7u64 {
            for d in 1..7u64 {
                for src in elements {
                    for dst in elements {
                        let expect: u128 = (0..s)
                            .filter(|&p| !matches!(src, Index(k) if k != p))
                            .map(|p| u128::from(axis_set(dst, p, d).len()))
                            .sum();
                        assert_eq!(
                            axis_sum(src, dst, s, d),
                            expect,
                            "S {s} D {d} {src:?} {dst:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn overlaps_match_a_loop() {
        for s in 0..6u64 {
            for d in 0..6u64 {
                for v in -7..7i64 {
                    let expect = (0..s as i64)
                        .filter(|p| (0..d as i64).contains(&(p + v)))
                        .count();
                    assert_eq!(overlap(s, d, v), expect as u128, "S {s} D {d} v {v}");
                }
            }
        }
    }
}

//! One brain over several processes (M3, docs/DECISIONS.md "Distributed
//! bursts").
//!
//! A [`Partition`] cuts the regular neurons into contiguous id ranges, one per
//! rank, in rank order. Every rank holds the whole brain except synapses: it
//! keeps only those whose target it owns (rows stay indexed by source), so
//! propagating the global fire queue through them only ever reaches its own
//! neurons. A burst on a partitioned NPU
//! ([`crate::RustNPU::process_burst_partitioned`]) runs phases 0 to 2 on the
//! owned neurons, then a [`FireExchange`] gathers every rank's fired neurons;
//! concatenated in rank order they are the fire queue one process would have
//! (ascending id). Memory neurons, the ledger and every plasticity decision
//! read that queue and are computed identically on every rank; STDP changes
//! and creates only the synapses of owned targets.
//!
//! The exchange is a trait so that the engine knows nothing of MPI:
//! `feagi-distributed` implements it with MPI, [`ThreadExchange`] with shared
//! memory for ranks that are threads of one process (tests, one machine).

use std::ops::Range;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use feagi_types::{FireQueue, NeuronId};

use crate::error::{NpuError, Result};
use crate::{LoadError, NpuConfig, RustNPU};
use feagi_genome::{develop_targets, Genome, LoadOptions};

/// Why an exchange failed. The ranks of a job are then out of step: the
/// partitioned NPU refuses further bursts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fire exchange failed: {0}")]
pub struct ExchangeError(pub String);

/// The collective a partitioned burst needs: every rank contributes a list of
/// (neuron, potential) pairs and receives the concatenation of all ranks'
/// lists in rank order. Every rank of a job calls it the same number of times
/// in the same order (it is a collective operation).
pub trait FireExchange {
    /// This rank's number, `0 .. ranks()`.
    fn rank(&self) -> usize;
    /// How many ranks take part.
    fn ranks(&self) -> usize;
    /// Gathers `ids`/`potentials` (same length) of every rank, in rank order,
    /// into `out_ids`/`out_potentials` (cleared first).
    fn all_gather(
        &mut self,
        ids: &[NeuronId],
        potentials: &[f32],
        out_ids: &mut Vec<NeuronId>,
        out_potentials: &mut Vec<f32>,
    ) -> std::result::Result<(), ExchangeError>;

    /// Sums `values` element-wise over every rank (each rank passes the same
    /// number of values) and leaves the sums in `values` on every rank. For
    /// per-rank counters in reports; built on [`Self::all_gather`].
    fn all_sum(&mut self, values: &mut [u64]) -> std::result::Result<(), ExchangeError> {
        let words: Vec<NeuronId> = values
            .iter()
            .flat_map(|&v| [v as u32, (v >> 32) as u32])
            .collect();
        let zeros = vec![0.0; words.len()];
        let (mut ids, mut potentials) = (Vec::new(), Vec::new());
        self.all_gather(&words, &zeros, &mut ids, &mut potentials)?;
        if ids.len() != words.len() * self.ranks() {
            return Err(ExchangeError(format!(
                "summing {} values over {} ranks gathered {} words",
                values.len(),
                self.ranks(),
                ids.len()
            )));
        }
        values.iter_mut().for_each(|v| *v = 0);
        if words.is_empty() {
            return Ok(());
        }
        for rank in ids.chunks_exact(words.len()) {
            for (v, pair) in values.iter_mut().zip(rank.chunks_exact(2)) {
                *v = v.wrapping_add(u64::from(pair[0]) | (u64::from(pair[1]) << 32));
            }
        }
        Ok(())
    }
}

/// Contiguous neuron-id ranges, one per rank, covering `0 .. neurons` in rank
/// order (a range may be empty when there are more ranks than neurons).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// `bounds[r] .. bounds[r + 1]` is rank r's range; `ranks + 1` entries.
    bounds: Vec<NeuronId>,
}

impl Partition {
    /// A partition from explicit bounds: `0 = b0 <= b1 <= ... <= bR = neurons`.
    pub fn from_bounds(bounds: Vec<NeuronId>) -> Result<Self> {
        let bad = |why: &'static str| {
            Err(NpuError::InvalidValue {
                what: "partition bounds",
                value: format!("{bounds:?}"),
                why,
            })
        };
        if bounds.len() < 2 {
            return bad("need at least one rank (two bounds)");
        }
        if bounds[0] != 0 {
            return bad("must start at neuron 0");
        }
        if bounds.windows(2).any(|w| w[0] > w[1]) {
            return bad("must not decrease");
        }
        Ok(Partition { bounds })
    }

    /// The partition of `npu`'s regular neurons over `ranks` ranks, balanced
    /// by cost (incoming synapses plus one per neuron: propagation work lands
    /// on the target's rank, dynamics work on the candidate's), each cut moved
    /// to the nearest area start when that costs at most a quarter of a
    /// rank's share. It depends only on the NPU's areas and synapses, so every
    /// rank that built the same brain computes the same partition.
    pub fn balanced(npu: &RustNPU, ranks: usize) -> Result<Self> {
        let n = npu.neuron_count();
        let mut incoming = vec![0u64; n];
        let synapses = npu.synapses();
        for s in 0..synapses.source_count().min(n) {
            tally(&mut incoming, synapses.row(s as NeuronId).target);
        }
        let area_starts = npu.areas().filter_map(|a| a.first_neuron);
        Partition::balanced_by_incoming(&incoming, area_starts, ranks)
    }

    /// [`Partition::balanced`] from every neuron's incoming synapse count and
    /// the areas' first neurons (what it reads of an NPU), so that ranks that
    /// develop only their own synapses compute the same partition
    /// ([`RustNPU::from_genome_partitioned`]).
    pub fn balanced_by_incoming(
        incoming: &[u64],
        area_starts: impl IntoIterator<Item = NeuronId>,
        ranks: usize,
    ) -> Result<Self> {
        at_least_one_rank(ranks)?;
        let n = incoming.len();
        // prefix[i]: the cost of neurons 0 .. i, one plus the incoming synapses each.
        let mut prefix = Vec::with_capacity(n + 1);
        prefix.push(0u64);
        let mut sum = 0u64;
        for c in incoming {
            sum = sum.saturating_add(c.saturating_add(1));
            prefix.push(sum);
        }
        let mut area_starts: Vec<usize> = area_starts
            .into_iter()
            .map(|f| f as usize)
            .filter(|&f| f > 0 && f < n)
            .collect();
        area_starts.sort_unstable();
        area_starts.dedup();
        let total = sum as u128;
        let tolerance = total / (4 * ranks as u128);
        let mut bounds = Vec::with_capacity(ranks + 1);
        bounds.push(0 as NeuronId);
        for k in 1..ranks {
            let ideal = (total * k as u128 / ranks as u128) as u64;
            // The first neuron whose prefix reaches the ideal share.
            let exact = prefix.partition_point(|&p| p < ideal).min(n);
            let distance = |b: usize| prefix[b].abs_diff(ideal) as u128;
            let aligned = area_starts
                .binary_search(&exact)
                .map_or_else(
                    |i| {
                        [i.checked_sub(1), Some(i)]
                            .into_iter()
                            .flatten()
                            .filter_map(|j| area_starts.get(j).copied())
                            .min_by_key(|&b| distance(b))
                    },
                    |i| Some(area_starts[i]),
                )
                .filter(|&b| distance(b) <= tolerance);
            let cut = aligned.unwrap_or(exact) as NeuronId;
            let previous = bounds.last().copied().unwrap_or(0);
            bounds.push(cut.max(previous));
        }
        bounds.push(n as NeuronId);
        Partition::from_bounds(bounds)
    }

    /// `neurons` split into `ranks` ranges of (nearly) equal length.
    pub fn uniform(neurons: usize, ranks: usize) -> Result<Self> {
        at_least_one_rank(ranks)?;
        let bounds = (0..=ranks)
            .map(|k| (neurons as u128 * k as u128 / ranks as u128) as NeuronId)
            .collect();
        Partition::from_bounds(bounds)
    }

    /// Number of ranks.
    pub fn ranks(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Number of regular neurons covered.
    pub fn neurons(&self) -> usize {
        self.bounds.last().copied().unwrap_or(0) as usize
    }

    /// Rank `rank`'s neurons (empty beyond the last rank).
    pub fn range(&self, rank: usize) -> Range<NeuronId> {
        match (self.bounds.get(rank), self.bounds.get(rank + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// The rank that owns regular neuron `id`, if it is covered.
    pub fn owner(&self, id: NeuronId) -> Option<usize> {
        if (id as usize) >= self.neurons() {
            return None;
        }
        // The last bound <= id; empty ranges before it are skipped.
        Some(self.bounds.partition_point(|&b| b <= id) - 1)
    }

    /// The bounds, `ranks() + 1` entries.
    pub fn bounds(&self) -> &[NeuronId] {
        &self.bounds
    }
}

fn at_least_one_rank(ranks: usize) -> Result<()> {
    match ranks {
        0 => Err(NpuError::InvalidValue {
            what: "ranks",
            value: "0".into(),
            why: "must be at least 1",
        }),
        _ => Ok(()),
    }
}

/// Counts every neuron of `ids` in `counts` (ids past its end are ignored):
/// incoming counts from synapse targets, outgoing ones from sources.
pub(crate) fn tally<'a>(counts: &mut [u64], ids: impl IntoIterator<Item = &'a NeuronId>) {
    for &id in ids {
        if let Some(c) = counts.get_mut(id as usize) {
            *c += 1;
        }
    }
}

/// What a partitioned NPU keeps besides the ordinary state.
#[derive(Debug)]
pub(crate) struct Partitioned {
    pub(crate) partition: Partition,
    pub(crate) rank: usize,
    pub(crate) owned: Range<NeuronId>,
    /// The outgoing synapse count of every source in the whole brain: the
    /// divisor of SPEC §4.3, which the local rows no longer tell.
    pub(crate) global_outgoing: Vec<u32>,
    /// Gather buffers, reused every burst.
    pub(crate) ids: Vec<NeuronId>,
    pub(crate) potentials: Vec<f32>,
    pub(crate) zeros: Vec<f32>,
    /// Set when an exchange failed: the ranks are out of step.
    pub(crate) broken: bool,
    /// Route staged input to its owner: every burst starts with an
    /// all-gather of every rank's staged input
    /// ([`crate::RustNPU::set_route_staged_input`]).
    pub(crate) route_staged: bool,
    /// This rank's staged input as columns, for that gather.
    pub(crate) staged_ids: Vec<NeuronId>,
    pub(crate) staged_potentials: Vec<f32>,
}

/// Checks a gathered fire queue: same lengths, strictly ascending, every id a
/// regular neuron below `neurons`. A wrong exchange is an error, never an
/// out-of-range index in the next propagation.
pub(crate) fn check_gathered(
    ids: &[NeuronId],
    potentials: &[f32],
    neurons: usize,
) -> std::result::Result<(), ExchangeError> {
    if ids.len() != potentials.len() {
        return Err(ExchangeError(format!(
            "gathered {} ids but {} potentials",
            ids.len(),
            potentials.len()
        )));
    }
    if let Some(w) = ids.windows(2).find(|w| w[0] >= w[1]) {
        return Err(ExchangeError(format!(
            "gathered fire queue is not ascending ({} then {}): ranks out of order",
            w[0], w[1]
        )));
    }
    if let Some(&last) = ids.last() {
        if last as usize >= neurons {
            return Err(ExchangeError(format!(
                "gathered neuron {last} of {neurons} regular neurons"
            )));
        }
    }
    Ok(())
}

/// How long a [`ThreadExchange`] rank waits for the others before it gives up.
const THREAD_EXCHANGE_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
struct GroupState {
    /// Each rank's contribution to the current round.
    slots: Vec<(Vec<NeuronId>, Vec<f32>)>,
    /// Ranks that have put their contribution in this round.
    arrived: usize,
    /// Ranks that have read the result of this round.
    departed: usize,
    /// Counts rounds; a waiter wakes when it changes.
    generation: u64,
    /// Set when a rank left (dropped, e.g. by a panic): the others fail.
    broken: bool,
}

#[derive(Debug)]
struct Group {
    ranks: usize,
    state: Mutex<GroupState>,
    changed: Condvar,
}

/// A [`FireExchange`] between ranks that are threads of one process, through
/// shared memory. [`ThreadExchange::group`] makes one per rank; move each to
/// its thread. A rank dropped while others still exchange (a thread that
/// panicked or stopped early) makes their next exchange fail instead of hang.
#[derive(Debug)]
pub struct ThreadExchange {
    rank: usize,
    group: Arc<Group>,
}

impl ThreadExchange {
    /// The exchanges of `ranks` ranks, in rank order.
    pub fn group(ranks: usize) -> Vec<ThreadExchange> {
        let group = Arc::new(Group {
            ranks,
            state: Mutex::new(GroupState {
                slots: vec![Default::default(); ranks],
                ..GroupState::default()
            }),
            changed: Condvar::new(),
        });
        (0..ranks)
            .map(|rank| ThreadExchange {
                rank,
                group: Arc::clone(&group),
            })
            .collect()
    }

    fn wait_until<'a>(
        &self,
        group: &'a Group,
        mut state: std::sync::MutexGuard<'a, GroupState>,
        mut ready: impl FnMut(&GroupState) -> bool,
    ) -> std::result::Result<std::sync::MutexGuard<'a, GroupState>, ExchangeError> {
        loop {
            // Ready first: a rank that made its last call and left must not
            // fail the others' reading of that same round.
            if ready(&state) {
                return Ok(state);
            }
            if state.broken {
                return Err(ExchangeError("another rank left the exchange".into()));
            }
            let (next, timeout) = group
                .changed
                .wait_timeout(state, THREAD_EXCHANGE_TIMEOUT)
                .map_err(|_| ExchangeError("a rank panicked during an exchange".into()))?;
            state = next;
            if timeout.timed_out() && !ready(&state) {
                state.broken = true;
                group.changed.notify_all();
                return Err(ExchangeError(format!(
                    "rank {} waited {} s for the others",
                    self.rank,
                    THREAD_EXCHANGE_TIMEOUT.as_secs()
                )));
            }
        }
    }
}

impl Drop for ThreadExchange {
    fn drop(&mut self) {
        if let Ok(mut state) = self.group.state.lock() {
            state.broken = true;
        }
        self.group.changed.notify_all();
    }
}

impl FireExchange for ThreadExchange {
    fn rank(&self) -> usize {
        self.rank
    }

    fn ranks(&self) -> usize {
        self.group.ranks
    }

    fn all_gather(
        &mut self,
        ids: &[NeuronId],
        potentials: &[f32],
        out_ids: &mut Vec<NeuronId>,
        out_potentials: &mut Vec<f32>,
    ) -> std::result::Result<(), ExchangeError> {
        let group = Arc::clone(&self.group);
        let ranks = group.ranks;
        let poisoned = |_| ExchangeError("a rank panicked during an exchange".into());
        let mut state = group.state.lock().map_err(poisoned)?;
        // Wait until the previous round has been read by everyone.
        state = self.wait_until(&group, state, |s| s.arrived < ranks)?;
        let generation = state.generation;
        let slot = &mut state.slots[self.rank];
        slot.0.clear();
        slot.0.extend_from_slice(ids);
        slot.1.clear();
        slot.1.extend_from_slice(potentials);
        state.arrived += 1;
        if state.arrived == ranks {
            state.generation += 1;
            group.changed.notify_all();
        }
        state = self.wait_until(&group, state, |s| s.generation != generation)?;
        out_ids.clear();
        out_potentials.clear();
        for (i, p) in &state.slots {
            out_ids.extend_from_slice(i);
            out_potentials.extend_from_slice(p);
        }
        state.departed += 1;
        if state.departed == ranks {
            state.arrived = 0;
            state.departed = 0;
            group.changed.notify_all();
        }
        Ok(())
    }
}

impl Partitioned {
    /// A rank's state around `partition` (gather buffers empty).
    pub(crate) fn new(
        partition: Partition,
        rank: usize,
        global_outgoing: Vec<u32>,
        route_staged: bool,
    ) -> Self {
        Partitioned {
            owned: partition.range(rank),
            partition,
            rank,
            global_outgoing,
            ids: Vec::new(),
            potentials: Vec::new(),
            zeros: Vec::new(),
            broken: false,
            route_staged,
            staged_ids: Vec::new(),
            staged_potentials: Vec::new(),
        }
    }

    /// Replaces `staged` (this rank's staged input, in staging order) with
    /// the owned entries of every rank's staged input, in rank order and,
    /// within a rank, staging order: when only one rank staged input, the
    /// order one process would have.
    pub(crate) fn gather_staged(
        &mut self,
        exchange: &mut dyn FireExchange,
        staged: &mut Vec<(NeuronId, f32)>,
    ) -> Result<()> {
        self.staged_ids.clear();
        self.staged_potentials.clear();
        for &(id, p) in staged.iter() {
            self.staged_ids.push(id);
            self.staged_potentials.push(p);
        }
        let neurons = self.partition.neurons();
        let gathered = exchange
            .all_gather(
                &self.staged_ids,
                &self.staged_potentials,
                &mut self.ids,
                &mut self.potentials,
            )
            .and_then(|()| {
                if self.ids.len() != self.potentials.len() {
                    return Err(ExchangeError(format!(
                        "gathered {} staged ids but {} potentials",
                        self.ids.len(),
                        self.potentials.len()
                    )));
                }
                match self.ids.iter().find(|&&id| id as usize >= neurons) {
                    Some(id) => Err(ExchangeError(format!(
                        "gathered staged input for neuron {id} of {neurons} regular neurons"
                    ))),
                    None => Ok(()),
                }
            });
        if let Err(e) = gathered {
            self.broken = true;
            return Err(NpuError::Exchange(e.to_string()));
        }
        staged.clear();
        let owned = &self.owned;
        staged.extend(
            self.ids
                .iter()
                .zip(&self.potentials)
                .filter(|(id, _)| owned.contains(id))
                .map(|(&id, &p)| (id, p)),
        );
        Ok(())
    }

    /// Replaces this rank's fired neurons in `fire_queue` with every rank's,
    /// in rank order: the whole brain's FQ(t).
    pub(crate) fn gather_fired(
        &mut self,
        exchange: &mut dyn FireExchange,
        fire_queue: &mut FireQueue,
        neurons: usize,
    ) -> Result<()> {
        let gathered = exchange
            .all_gather(
                &fire_queue.neuron_ids,
                &fire_queue.potentials,
                &mut self.ids,
                &mut self.potentials,
            )
            .and_then(|()| check_gathered(&self.ids, &self.potentials, neurons));
        if let Err(e) = gathered {
            self.broken = true;
            return Err(NpuError::Exchange(e.to_string()));
        }
        std::mem::swap(&mut fire_queue.neuron_ids, &mut self.ids);
        std::mem::swap(&mut fire_queue.potentials, &mut self.potentials);
        Ok(())
    }

    /// Gathers the sources of the synapses every rank created in this burst
    /// and counts them in the global outgoing counts.
    pub(crate) fn gather_created(
        &mut self,
        exchange: &mut dyn FireExchange,
        sources: &[NeuronId],
    ) -> Result<()> {
        self.zeros.clear();
        self.zeros.resize(sources.len(), 0.0);
        let mut result =
            exchange.all_gather(sources, &self.zeros, &mut self.ids, &mut self.potentials);
        if result.is_ok() {
            for &s in &self.ids {
                match self.global_outgoing.get_mut(s as usize) {
                    Some(count) => *count = count.saturating_add(1),
                    None => {
                        result = Err(ExchangeError(format!(
                            "a rank created a synapse from neuron {s} of {}",
                            self.global_outgoing.len()
                        )));
                        break;
                    }
                }
            }
        }
        result.map_err(|e| {
            self.broken = true;
            NpuError::Exchange(e.to_string())
        })
    }
}

/// Whether every rank succeeded at a step all ranks take together: `Ok` on
/// every rank when all did; otherwise `Err(OtherRank)` on the ranks that did
/// (the failed ones keep their own error). A collective.
fn together(exchange: &mut dyn FireExchange, ok: bool, step: &'static str) -> Result<()> {
    let mut failed = [u64::from(!ok)];
    exchange
        .all_sum(&mut failed)
        .map_err(|e| NpuError::Exchange(e.to_string()))?;
    if ok && failed[0] > 0 {
        return Err(NpuError::OtherRank(step));
    }
    Ok(())
}

impl RustNPU {
    /// Develops only this rank's part of `genome`: rank `exchange.rank()` of
    /// a brain partitioned over `exchange.ranks()` ranks, equal to
    /// `RustNPU::from_genome_with_options(genome, config, options)?` followed
    /// by `into_partitioned(Partition::balanced(..), rank)`, without any rank
    /// ever holding the whole brain's synapses. Each rank develops the
    /// synapses into an even share of the neurons and counts them per target;
    /// summed over the ranks, those counts give [`Partition::balanced`]'s
    /// partition; each rank then develops the synapses into its own neurons
    /// (unless they are the ones it has) and the ranks sum their outgoing
    /// counts. Collectives on `exchange` (every rank calls this); when
    /// development fails on a rank, it returns its error and every other rank
    /// [`NpuError::OtherRank`].
    pub fn from_genome_partitioned(
        genome: &Genome,
        config: NpuConfig,
        options: &LoadOptions,
        exchange: &mut dyn FireExchange,
    ) -> std::result::Result<RustNPU, LoadError> {
        let (rank, ranks) = (exchange.rank(), exchange.ranks());
        let gathered = |e: ExchangeError| NpuError::Exchange(e.to_string());
        let n = usize::try_from(genome.neuron_count()).unwrap_or(usize::MAX);
        let even = Partition::uniform(n.min(u32::MAX as usize), ranks)?;
        let counted = develop_targets(genome, config.seed, options, even.range(rank));
        together(exchange, counted.is_ok(), "developing the genome")?;
        let counted = counted?;
        let n = counted.neurons.len();
        let mut incoming = vec![0u64; n];
        tally(&mut incoming, &counted.synapses.target);
        exchange.all_sum(&mut incoming).map_err(gathered)?;
        let starts = counted
            .areas
            .iter()
            .filter(|a| a.neuron_count > 0)
            .map(|a| a.first_neuron);
        let partition = Partition::balanced_by_incoming(&incoming, starts, ranks)?;
        drop(incoming);
        let connectome = if partition.range(rank) == even.range(rank) {
            Ok(counted)
        } else {
            drop(counted);
            develop_targets(genome, config.seed, options, partition.range(rank))
        };
        together(exchange, connectome.is_ok(), "developing the genome")?;
        let connectome = connectome?;
        let mut outgoing = vec![0u64; n];
        tally(&mut outgoing, &connectome.synapses.source);
        exchange.all_sum(&mut outgoing).map_err(gathered)?;
        // The whole brain's synapse budget, which each rank saw only part of.
        let total: u64 = outgoing.iter().sum();
        let budget = if total > options.max_synapses {
            Err(NpuError::CapacityExceeded(format!(
                "development created {total} synapses over {ranks} ranks, beyond the limit of {} \
                 synapses (LoadOptions::max_synapses)",
                options.max_synapses
            )))
        } else {
            Ok(())
        };
        let npu = budget.and_then(|()| RustNPU::from_connectome(connectome, config));
        together(exchange, npu.is_ok(), "building the NPU")?;
        let mut npu = npu?;
        // A source's synapses are at most the budget, far below u32::MAX.
        let global_outgoing = outgoing
            .into_iter()
            .map(|c| u32::try_from(c).unwrap_or(u32::MAX))
            .collect();
        npu.become_rank(partition, rank, global_outgoing, false);
        Ok(npu)
    }
}

//! One FEAGI brain over MPI ranks (issue 16, M3; docs/DECISIONS.md,
//! "Distributed bursts"): [`Mpi`] starts MPI and answers the job-wide
//! questions a runner asks (do all ranks agree, sums of counters), and
//! [`MpiExchange`] is the burst engine's [`FireExchange`] over MPI: an
//! all-gather of the counts, then an all-gather-v of the fired ids and of
//! their potentials, so every rank receives every rank's fired neurons in
//! rank order.
//!
//! ```no_run
//! use feagi_burst_engine::{Genome, LoadOptions, NpuConfig, RustNPU};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mpi = feagi_distributed::Mpi::init()?;
//! let mut exchange = mpi.exchange();
//! // Each rank develops only the synapses into its own neurons.
//! let mut npu = RustNPU::from_genome_partitioned(
//!     &Genome::default_genome(),
//!     NpuConfig::default(),
//!     &LoadOptions::default(),
//!     &mut exchange,
//! )?;
//! let burst = npu.process_burst_partitioned(None, &mut exchange)?;
//! println!("rank {} sees {} fired", mpi.rank(), burst.fired_count);
//! # Ok(())
//! # }
//! ```

use feagi_burst_engine::{ExchangeError, FireExchange, NeuronId};
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;

/// MPI could not start.
#[derive(Debug, thiserror::Error)]
#[error("MPI: {0}")]
pub struct MpiError(pub String);

/// MPI, started once per process; finalized when dropped.
pub struct Mpi {
    world: SimpleCommunicator,
    // Dropped last: finalizes MPI.
    _universe: Universe,
}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpi")
            .field("rank", &self.rank())
            .field("ranks", &self.ranks())
            .finish()
    }
}

impl Mpi {
    /// Starts MPI (a process started without `mpirun` is a job of one rank).
    pub fn init() -> Result<Mpi, MpiError> {
        let universe =
            mpi::initialize().ok_or_else(|| MpiError("already initialized".to_string()))?;
        let world = universe.world();
        Ok(Mpi {
            world,
            _universe: universe,
        })
    }

    /// This process's rank, `0 .. ranks()`.
    pub fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    /// The number of ranks in the job.
    pub fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    /// The burst exchange over the whole job.
    pub fn exchange(&self) -> MpiExchange {
        MpiExchange {
            world: SimpleCommunicator::world(),
            counts: Vec::new(),
            displs: Vec::new(),
            bytes_received: 0,
        }
    }

    /// Every rank's `value`, in rank order (a collective).
    pub fn all_values(&self, value: u64) -> Vec<u64> {
        let mut values = vec![0u64; self.ranks()];
        self.world.all_gather_into(&value, &mut values[..]);
        values
    }

    /// Every rank's `flag`, in rank order (a collective).
    pub fn all_flags(&self, flag: bool) -> Vec<bool> {
        self.all_values(u64::from(flag))
            .into_iter()
            .map(|f| f != 0)
            .collect()
    }

    /// Every rank's `text`, in rank order, on every rank (a collective; for
    /// short texts such as error messages).
    pub fn all_texts(&self, text: &str) -> Vec<String> {
        let ranks = self.ranks();
        // Longer texts are cut (at 4 KiB), so that no count or sum of counts
        // overflows MPI's int for any number of ranks a job can have.
        let mut end = text.len().min(4096);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let bytes = &text.as_bytes()[..end];
        let mut counts = vec![0 as Count; ranks];
        self.world
            .all_gather_into(&(bytes.len() as Count), &mut counts[..]);
        let mut displs = Vec::with_capacity(ranks);
        // At most 4 KiB a rank: beyond MPI's int only past half a million ranks.
        let Some(total) = displacements(&counts, &mut displs) else {
            return vec![String::new(); ranks];
        };
        let mut all = vec![0u8; total];
        {
            let mut into = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(bytes, &mut into);
        }
        counts
            .iter()
            .zip(&displs)
            .map(|(&c, &d)| {
                String::from_utf8_lossy(&all[d as usize..(d + c) as usize]).into_owned()
            })
            .collect()
    }

    /// True on every rank when `flag` is true on any rank (a collective).
    pub fn any(&self, flag: bool) -> bool {
        let mut any = 0i32;
        self.world
            .all_reduce_into(&i32::from(flag), &mut any, SystemOperation::max());
        any != 0
    }

    /// `values` summed element-wise over the ranks, on every rank (a collective).
    pub fn sum(&self, values: &[u64]) -> Vec<u64> {
        let mut sums = values.to_vec();
        sum_over_ranks(&self.world, &mut sums);
        sums
    }

    /// Returns on every rank once every rank has called it (a collective).
    pub fn barrier(&self) {
        self.world.barrier();
    }

    /// Ends the whole job at once with `code` (every rank), after a failure
    /// that leaves the ranks out of step.
    pub fn abort(&self, code: i32) -> ! {
        self.world.abort(code)
    }
}

/// [`FireExchange`] over MPI: all-gather of the counts, then all-gather-v of
/// the ids and of the potentials. MPI's default error handler ends the whole
/// job when a rank dies, so no rank waits forever.
pub struct MpiExchange {
    world: SimpleCommunicator,
    counts: Vec<Count>,
    displs: Vec<Count>,
    bytes_received: u64,
}

impl std::fmt::Debug for MpiExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MpiExchange")
            .field("rank", &self.world.rank())
            .field("bytes_received", &self.bytes_received)
            .finish()
    }
}

impl MpiExchange {
    /// Bytes this rank has received from all exchanges so far (counts, ids
    /// and potentials; its own part included).
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }
}

impl FireExchange for MpiExchange {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }

    fn ranks(&self) -> usize {
        self.world.size() as usize
    }

    fn all_gather(
        &mut self,
        ids: &[NeuronId],
        potentials: &[f32],
        out_ids: &mut Vec<NeuronId>,
        out_potentials: &mut Vec<f32>,
    ) -> Result<(), ExchangeError> {
        if ids.len() != potentials.len() {
            return Err(ExchangeError(format!(
                "{} ids but {} potentials to send",
                ids.len(),
                potentials.len()
            )));
        }
        let ranks = self.ranks();
        // A count that does not fit MPI's int still takes part in the
        // collective (as -1), so that every rank learns of it and fails.
        let count = Count::try_from(ids.len()).unwrap_or(-1);
        self.counts.resize(ranks, 0);
        self.world.all_gather_into(&count, &mut self.counts[..]);
        let total = displacements(&self.counts, &mut self.displs).ok_or_else(|| {
            ExchangeError("more than 2^31 neurons fired in one burst, or on one rank".into())
        })?;
        out_ids.clear();
        out_ids.resize(total, 0);
        out_potentials.clear();
        out_potentials.resize(total, 0.0);
        {
            let mut into = PartitionMut::new(&mut out_ids[..], &self.counts[..], &self.displs[..]);
            self.world.all_gather_varcount_into(ids, &mut into);
        }
        {
            let mut into =
                PartitionMut::new(&mut out_potentials[..], &self.counts[..], &self.displs[..]);
            self.world.all_gather_varcount_into(potentials, &mut into);
        }
        self.bytes_received += (ranks * std::mem::size_of::<Count>() + total * 8) as u64;
        Ok(())
    }

    /// One MPI all-reduce (the trait's default gathers every rank's values,
    /// R times the memory: too much for per-neuron counts at setup).
    fn all_sum(&mut self, values: &mut [u64]) -> Result<(), ExchangeError> {
        sum_over_ranks(&self.world, values);
        Ok(())
    }
}

/// Sums `values` element-wise over the ranks, in place (one all-reduce per
/// 2^26 values, so that no count passes MPI's int).
fn sum_over_ranks(world: &SimpleCommunicator, values: &mut [u64]) {
    let mut sums = vec![0u64; values.len().min(1 << 26)];
    for piece in values.chunks_mut(1 << 26) {
        let sums = &mut sums[..piece.len()];
        world.all_reduce_into(&piece[..], &mut sums[..], SystemOperation::sum());
        piece.copy_from_slice(sums);
    }
}

/// The offset of each rank's part for an all-gather-v of `counts` (into
/// `displs`, cleared first) and the total; `None` when a count is negative
/// (a rank's part did not fit MPI's int) or the total does not fit it.
fn displacements(counts: &[Count], displs: &mut Vec<Count>) -> Option<usize> {
    displs.clear();
    let mut total: Count = 0;
    for &c in counts {
        if c < 0 {
            return None;
        }
        displs.push(total);
        total = total.checked_add(c)?;
    }
    usize::try_from(total).ok()
}

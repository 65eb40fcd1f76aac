//! `run --distributed`: one brain over the ranks of an MPI job (`mpirun -np R
//! feagi-npu run GENOME --distributed`; docs/DECISIONS.md, "Distributed
//! bursts"). Every rank loads the same genome and develops it with the same
//! seed, keeps its part ([`feagi_burst_engine::Partition::balanced`]) and
//! stages the same input; the fire queue is exchanged every burst, so every
//! rank sees the whole brain's firing and rank 0 writes every output. Only
//! in a feagi-npu built with the `mpi` feature.

use feagi_burst_engine::{BurstResult, Genome, LoadOptions, NpuConfig, RustNPU};

use crate::error::{CliError, Result};

#[cfg(not(feature = "mpi"))]
const WITHOUT_MPI: &str = "--distributed needs a feagi-npu built with MPI \
     (cargo build --release -p feagi-cli --features mpi; see docs/DECISIONS.md)";

/// The MPI job of a distributed run.
#[cfg(feature = "mpi")]
pub struct Job {
    mpi: feagi_distributed::Mpi,
    exchange: feagi_distributed::MpiExchange,
}

/// One line naming each failed rank's error; ranks that failed alike are
/// named together ("ranks 1, 3: ...").
#[cfg(feature = "mpi")]
fn failed_ranks(flags: &[bool], texts: &[String]) -> String {
    let mut groups: Vec<(Vec<usize>, &str)> = Vec::new();
    for (rank, text) in texts.iter().enumerate().filter(|(r, _)| !flags[*r]) {
        match groups.iter_mut().find(|(_, t)| *t == text.as_str()) {
            Some((ranks, _)) => ranks.push(rank),
            None => groups.push((vec![rank], text)),
        }
    }
    groups
        .iter()
        .map(|(ranks, text)| {
            let names: Vec<String> = ranks.iter().map(usize::to_string).collect();
            let s = if ranks.len() > 1 { "s" } else { "" };
            format!("rank{s} {}: {text}", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Without MPI there is no job (the type has no value).
#[cfg(not(feature = "mpi"))]
pub enum Job {}

impl Job {
    /// The job when `distributed`; starting MPI is the first thing a
    /// distributed run does.
    pub fn start(distributed: bool) -> Result<Option<Job>> {
        if !distributed {
            return Ok(None);
        }
        #[cfg(feature = "mpi")]
        {
            let mpi = feagi_distributed::Mpi::init().map_err(|e| CliError::Serve(e.to_string()))?;
            let exchange = mpi.exchange();
            Ok(Some(Job { mpi, exchange }))
        }
        #[cfg(not(feature = "mpi"))]
        Err(CliError::Usage(WITHOUT_MPI.to_string()))
    }
}

#[cfg(feature = "mpi")]
impl Job {
    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.mpi.rank()
    }

    /// The number of ranks.
    pub fn ranks(&self) -> usize {
        self.mpi.ranks()
    }

    /// Every rank's result of one setup step (loading the genome or
    /// snapshot, partitioning), agreed on (a collective): `Ok` on every rank
    /// when every rank succeeded. Otherwise every rank fails and rank 0
    /// alone holds the error to print: its own (located) error when it
    /// failed, else the failed ranks' errors, which it gathers; the other
    /// ranks are [`CliError::Quiet`], so that one job prints one error.
    pub fn agree<T>(&self, result: Result<T>) -> Result<T> {
        // A rank that failed only because another did is not named.
        let own_failure = matches!(&result, Err(e) if !e.is_other_rank());
        let flags = self.mpi.all_flags(!own_failure);
        if flags.iter().all(|&ok| ok) {
            return result;
        }
        let mine = match &result {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        let texts = self.mpi.all_texts(&mine);
        if self.rank() != 0 {
            return Err(CliError::Quiet);
        }
        match result {
            Err(e) if own_failure => Err(e),
            _ => Err(CliError::Serve(failed_ranks(&flags, &texts))),
        }
    }

    /// This rank's part of `genome`, developed without the other ranks'
    /// synapses (a collective: [`RustNPU::from_genome_partitioned`]).
    pub fn develop(
        &mut self,
        genome: &Genome,
        config: NpuConfig,
        options: &LoadOptions,
    ) -> Result<RustNPU> {
        Ok(RustNPU::from_genome_partitioned(
            genome,
            config,
            options,
            &mut self.exchange,
        )?)
    }

    /// Fails on every rank unless every rank is at burst `burst` (resumed
    /// rank snapshots saved after the same burst; a collective).
    pub fn same_burst(&self, burst: u64) -> Result<()> {
        let bursts = self.mpi.all_values(burst);
        if bursts.iter().any(|&b| b != burst) {
            return Err(CliError::Serve(format!(
                "the rank snapshots were saved after different bursts (rank {} is at burst \
                 {burst}): save all ranks of one run again",
                self.rank()
            )));
        }
        Ok(())
    }

    /// One burst of the whole brain.
    pub fn burst<'a>(&mut self, npu: &'a mut RustNPU) -> Result<BurstResult<'a>> {
        Ok(npu.process_burst_partitioned(None, &mut self.exchange)?)
    }

    /// True on every rank when any rank asks to stop (a collective, so that
    /// every rank stops after the same burst).
    pub fn any(&self, flag: bool) -> bool {
        self.mpi.any(flag)
    }

    /// Per-rank counters summed over the ranks (a collective).
    pub fn sum(&self, values: &[u64]) -> Vec<u64> {
        self.mpi.sum(values)
    }

    /// Waits for every rank (a collective).
    pub fn barrier(&self) {
        self.mpi.barrier()
    }

    /// Ends the whole job after `error` on this rank: the other ranks would
    /// otherwise wait for it in the next exchange.
    pub fn abort(&self, error: &CliError) -> ! {
        errln!("feagi-npu: error: rank {}: {error}", self.rank());
        self.mpi.abort(1)
    }
}

#[cfg(not(feature = "mpi"))]
impl Job {
    pub fn rank(&self) -> usize {
        match *self {}
    }
    pub fn ranks(&self) -> usize {
        match *self {}
    }
    pub fn agree<T>(&self, _: Result<T>) -> Result<T> {
        match *self {}
    }
    pub fn develop(&mut self, _: &Genome, _: NpuConfig, _: &LoadOptions) -> Result<RustNPU> {
        match *self {}
    }
    pub fn burst<'a>(&mut self, _: &'a mut RustNPU) -> Result<BurstResult<'a>> {
        match *self {}
    }
    pub fn same_burst(&self, _: u64) -> Result<()> {
        match *self {}
    }
    pub fn any(&self, _: bool) -> bool {
        match *self {}
    }
    pub fn barrier(&self) {
        match *self {}
    }
    pub fn sum(&self, _: &[u64]) -> Vec<u64> {
        match *self {}
    }
    pub fn abort(&self, _: &CliError) -> ! {
        match *self {}
    }
}

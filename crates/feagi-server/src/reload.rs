//! Genome upload: grow another brain while the current one keeps running,
//! then swap it in between two bursts.
//!
//! The new genome is read and developed on a blocking thread with the same
//! settings as the first one ([`Growth`]). Only a fully developed brain is
//! handed to the loop ([`crate::engine::EngineShared::swap_brain`]); until
//! the loop takes it, every request sees the old brain, and from then on the
//! new one (its [`BrainInfo`] replaces the old one whole, `genome_num`
//! bumps). A genome that fails to load or develop changes nothing. One
//! reload runs at a time; another one meanwhile is refused (409).

use std::sync::Arc;
use std::time::{Duration, Instant};

use feagi_burst_engine::{LoadError, NpuConfig, RustNPU};
use feagi_genome::{Genome, GenomeError, GenomeErrorKind, LoadOptions};
use feagi_runtime::NpuHandle;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::brain::BrainInfo;
use crate::engine::BrainSwap;
use crate::state::ServerState;

/// How genomes are grown into brains: the server's settings, the same for
/// the first genome and every upload.
#[derive(Clone, Debug)]
pub struct Growth {
    /// Seed, plasticity and the other NPU settings.
    pub npu: NpuConfig,
    /// The loader's limits (size, synapses, memory).
    pub options: LoadOptions,
    /// True when the burst rate was given on the command line (`--hz`): an
    /// uploaded genome's `simulation_timestep` does not change it.
    pub keep_timestep: bool,
}

/// Why an upload changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// Another upload is under way.
    #[error("a genome is being loaded already; try again once it is done")]
    Busy,
    /// The genome was rejected (unreadable, invalid, too big to develop).
    #[error("the genome was not loaded: {0}")]
    Genome(GenomeError),
    /// The NPU refused the developed brain.
    #[error("the genome was not loaded: {0}")]
    Npu(feagi_burst_engine::NpuError),
    /// The burst loop is not running (it stopped on an internal error).
    #[error("the burst loop is not running, no genome can be loaded: {0}")]
    Stopped(String),
}

impl ReloadError {
    /// Whether the genome was too big for the server's limits.
    pub fn is_capacity(&self) -> bool {
        matches!(self, ReloadError::Genome(e) if e.kind == GenomeErrorKind::CapacityExceeded)
    }
}

impl From<LoadError> for ReloadError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Genome(g) => ReloadError::Genome(g),
            LoadError::Npu(n) => ReloadError::Npu(n),
        }
    }
}

/// What an upload loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Reloaded {
    /// `genome_num` once the new brain is published.
    pub genome_num: i64,
    /// The new brain's [`BrainInfo::generation`].
    pub generation: u64,
    /// The genome's title.
    pub title: String,
    /// Cortical areas.
    pub areas: usize,
    /// Regular neurons.
    pub neurons: u64,
    /// Synapses after development.
    pub synapses: u64,
    /// Reading and developing the genome took this long.
    pub develop_time: Duration,
    /// The new brain's first burst (it has run when the upload answers).
    pub first_burst: u64,
}

/// Ends the reload when dropped, also when the upload's request is dropped.
struct ReloadGuard<'a>(&'a ServerState);

impl Drop for ReloadGuard<'_> {
    fn drop(&mut self) {
        self.0.engine.end_reload();
    }
}

/// The longest an upload waits for the loop to run the new brain's first
/// burst after it was developed.
const SWAP_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads `bytes` as a genome (JSON text), develops it and swaps it in;
/// `source` names it in logs. Answers once the new brain's first burst ran.
/// Agents' device configurations are applied to the new brain (the IO areas
/// they asked for are created again).
pub async fn load_genome(
    state: &Arc<ServerState>,
    bytes: Vec<u8>,
    source: &str,
) -> Result<Reloaded, ReloadError> {
    if !state.engine.begin_reload() {
        return Err(ReloadError::Busy);
    }
    let _guard = ReloadGuard(state);
    if !state.engine.running() {
        return Err(ReloadError::Stopped(
            state.engine.error().unwrap_or_else(|| "stopped".into()),
        ));
    }
    tracing::info!("loading a genome from {source} ({} bytes)", bytes.len());
    let started = Instant::now();
    let growth = state.growth.clone();
    let generation = state.brain().generation + 1;
    let grown = tokio::task::spawn_blocking(move || grow(&bytes, &growth, generation))
        .await
        .map_err(|e| ReloadError::Stopped(format!("development stopped: {e}")))?;
    let (npu, brain, timestep) = match grown {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!("genome from {source} rejected, the running brain stays: {e}");
            return Err(e);
        }
    };
    let develop_time = started.elapsed();
    let (title, areas, neurons, synapses) = (
        brain.title.clone(),
        brain.areas.len(),
        brain.neuron_count,
        brain.synapse_count,
    );
    let (done, first) = oneshot::channel();
    state.engine.swap_brain(BrainSwap {
        npu,
        brain,
        timestep,
        done,
    });
    let first_burst = match tokio::time::timeout(SWAP_TIMEOUT, first).await {
        Ok(Ok(burst)) => burst,
        Ok(Err(_)) => {
            return Err(ReloadError::Stopped(
                state
                    .engine
                    .error()
                    .unwrap_or_else(|| "stopped before the new brain ran".into()),
            ))
        }
        Err(_) => {
            return Err(ReloadError::Stopped(format!(
                "the new brain did not run within {SWAP_TIMEOUT:?}"
            )))
        }
    };
    let mut requested = 0;
    for agent in state.agents.list() {
        if let Some(config) = &agent.device_registrations {
            requested += crate::devices::request_missing_areas(state, config);
        }
    }
    tracing::info!(
        "genome {title:?} from {source} running (brain {generation}: {areas} areas, {neurons} neurons, {synapses} synapses, developed in {:.2} s; {requested} agent areas to create)",
        develop_time.as_secs_f64()
    );
    Ok(Reloaded {
        genome_num: state.brain_cell.genome_num(),
        generation,
        title,
        areas,
        neurons,
        synapses,
        develop_time,
        first_burst,
    })
}

type Grown = (NpuHandle, BrainInfo, Option<f64>);

/// Reads and develops a genome (on a blocking thread).
fn grow(bytes: &[u8], growth: &Growth, generation: u64) -> Result<Grown, ReloadError> {
    let genome = Genome::from_json_slice_with_options(bytes, &growth.options)
        .map_err(ReloadError::Genome)?;
    // Morphology parameters as written (the loader has accepted the text).
    let raw: Option<Value> = serde_json::from_slice(
        bytes
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(bytes),
    )
    .ok();
    let npu = RustNPU::from_genome_with_options(&genome, growth.npu.clone(), &growth.options)?;
    let mut brain = BrainInfo::new(&genome, &npu, raw.as_ref());
    brain.generation = generation;
    let timestep = (!growth.keep_timestep).then(|| genome.simulation_timestep());
    let handle = NpuHandle::with_warnings(npu, genome.warnings_for(growth.npu.plasticity));
    Ok((handle, brain, timestep))
}

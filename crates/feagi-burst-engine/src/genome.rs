//! From genome to running NPU, and lookups by the names people use: any
//! spelling of a cortical id, or an area's name.

use feagi_genome::{develop_with_options, parse_cortical_id, Genome, GenomeError, LoadOptions};
use feagi_types::AreaIndex;

use crate::config::NpuConfig;
use crate::error::NpuError;
use crate::npu::{FiredNeuron, RustNPU};

/// Why a genome could not become an NPU.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LoadError {
    /// Development failed, e.g. `CapacityExceeded` for too many neurons or
    /// synapses (the genome's own validation happened at load).
    #[error(transparent)]
    Genome(#[from] GenomeError),
    /// The NPU rejected the configuration (ledger window 0, non-finite
    /// `power_amount`) or the developed connectome.
    #[error(transparent)]
    Npu(#[from] NpuError),
}

/// At most 100 characters of `s` for an error message (input may be huge).
fn bounded(s: &str) -> String {
    match s.char_indices().nth(100) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_string(),
    }
}

impl RustNPU {
    /// Develops `genome` (SPEC §2, §3, with `config.seed`) into a new NPU.
    pub fn from_genome(genome: &Genome, config: NpuConfig) -> Result<Self, LoadError> {
        Self::from_genome_with_options(genome, config, &LoadOptions::default())
    }

    /// As [`RustNPU::from_genome`], with limits on neurons, synapses and
    /// memory (checked before development, see `feagi_genome::estimate_memory`).
    pub fn from_genome_with_options(
        genome: &Genome,
        config: NpuConfig,
        options: &LoadOptions,
    ) -> Result<Self, LoadError> {
        let connectome = develop_with_options(genome, config.seed, options)?;
        Ok(Self::from_connectome(connectome, config)?)
    }

    /// The area named by any cortical id spelling (`iic400`, `iic400__`,
    /// base64, `_power`) or, failing that, by its name.
    pub fn resolve_area(&self, id_or_name: &str) -> Result<AreaIndex, NpuError> {
        if let Ok(id) = parse_cortical_id(id_or_name) {
            if let Ok(index) = self.area_index(&id) {
                return Ok(index);
            }
        }
        // The id as `inspect` shows it, which a legacy id such as `C76ges__`
        // (whose first byte no 8-character spelling allows) only matches
        // this way; then the name. Core areas have empty names: an empty
        // string names nothing.
        self.areas()
            .find(|a| a.area.id.to_string() == id_or_name)
            .or_else(|| {
                self.areas()
                    .find(|a| !id_or_name.is_empty() && a.area.name == id_or_name)
            })
            .map(|a| a.index)
            .ok_or_else(|| NpuError::UnknownAreaName(bounded(id_or_name)))
    }

    /// Stages sensory input by cortical id or name (see [`RustNPU::stage_sensory`]).
    pub fn stage_sensory_by_id(
        &mut self,
        id_or_name: &str,
        xs: &[u32],
        ys: &[u32],
        zs: &[u32],
        potentials: &[f32],
    ) -> Result<usize, NpuError> {
        let area = self.resolve_area(id_or_name)?;
        self.stage_sensory(area, xs, ys, zs, potentials)
    }

    /// The last fire queue grouped by area, areas ascending, ids ascending.
    pub fn fire_queue_by_area(&self) -> Vec<(AreaIndex, Vec<FiredNeuron>)> {
        let mut groups: Vec<(AreaIndex, Vec<FiredNeuron>)> = Vec::new();
        let mut fired: Vec<FiredNeuron> = self.fired_neurons().collect();
        fired.sort_by_key(|f| (f.area, f.id));
        for f in fired {
            match groups.last_mut() {
                Some((area, list)) if *area == f.area => list.push(f),
                _ => groups.push((f.area, vec![f])),
            }
        }
        groups
    }
}

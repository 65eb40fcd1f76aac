//! Cortical areas and their area-level genes (SPEC §1.4, §2.3).

use crate::cortical_id::CorticalId;
use crate::grid::NeuronGrid;
use crate::neuron::NeuronParams;
use crate::units;
use crate::NeuronId;

/// The kind of a cortical area (SPEC §1.3). Informational except for CORE
/// areas and memory areas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AreaKind {
    /// One of the three core areas `___death`, `___power`, `___fatig` (one
    /// neuron each, indices 0, 1, 2; SPEC §2.1, §2.2).
    Core,
    /// Input processing unit: a sensory area (id byte 0 `i`, or group `IPU`).
    Ipu,
    /// Output processing unit: a motor area whose fired neurons form the
    /// motor output (id byte 0 `o`, or group `OPU`; SPEC §4.5).
    Opu,
    /// An interneuron area (id byte 0 `c`, group `CUSTOM`, or the fallback
    /// for legacy 6-char ids).
    Custom,
    /// A memory area (id byte 0 `m`, or group `MEMORY`); see SPEC §6.2.
    Memory,
}

impl AreaKind {
    /// The kind as genomes and JSON output spell it: `CORE`, `IPU`, `OPU`,
    /// `CUSTOM`, `MEMORY`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AreaKind::Core => "CORE",
            AreaKind::Ipu => "IPU",
            AreaKind::Opu => "OPU",
            AreaKind::Custom => "CUSTOM",
            AreaKind::Memory => "MEMORY",
        }
    }
}

/// The area-level genes that decide neuron parameters and propagation, already
/// converted to internal units (EXC applied, leak clamped). Runtime updates of
/// SPEC §4.6 change these and re-derive every neuron of the area from them.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AreaProperties {
    /// Base firing threshold T (gene `firing_threshold`, default 1.0); a
    /// neuron's threshold adds the voxel gradient (SPEC §2.3).
    pub firing_threshold: f32,
    /// Threshold gradient per voxel step along x, y, z (genes
    /// `firing_threshold_increment_x/_y/_z`, default 0; SPEC §2.3).
    pub threshold_increment: [f32; 3],
    /// Gene value; 0 means no limit.
    pub threshold_limit: f32,
    /// In [0, 1].
    pub leak: f32,
    /// Firing probability in [0, 1] (after EXC).
    pub excitability: f32,
    /// Candidate bursts a neuron drops its input after firing (gene
    /// `refractory_period`, 0 = none; SPEC §4.4).
    pub refractory_period: u16,
    /// 0 and 65535 mean unlimited.
    pub consecutive_fire_limit: u16,
    /// Extra refractory bursts added when a neuron reaches its consecutive-fire
    /// cap (gene `snooze_length`; SPEC §4.4).
    pub snooze_period: u16,
    /// Keep V across bursts; when false, phase 0 resets V to 0 before every
    /// burst (SPEC §4.1).
    pub mp_charge_accumulation: bool,
    /// Gene value, kept as f64 because the PSP is derived from it (SPEC §3.2).
    pub postsynaptic_current: f64,
    /// True: this area's outgoing contributions are not divided by the
    /// source's outgoing synapse count (SPEC §4.3).
    pub psp_uniform_distribution: bool,
    /// True: this area's synapses propagate with PSP := the firing-time V,
    /// clamped to [0, 255] and rounded half away from zero, instead of their
    /// stored PSP (SPEC §4.3).
    pub mp_driven_psp: bool,
    /// Fallback attractivity in percent, [0, 100].
    pub synapse_attractivity: f32,
    /// A memory area in the sense of SPEC §1.3 (kind, `is_mem_type` or sub group).
    pub is_memory: bool,
}

impl Default for AreaProperties {
    /// The defaults of the SPEC §1.4 gene table.
    fn default() -> Self {
        AreaProperties {
            firing_threshold: 1.0,
            threshold_increment: [0.0; 3],
            threshold_limit: 0.0,
            leak: 0.0,
            excitability: 1.0,
            refractory_period: 0,
            consecutive_fire_limit: 0,
            snooze_period: 0,
            mp_charge_accumulation: false,
            postsynaptic_current: 1.0,
            psp_uniform_distribution: false,
            mp_driven_psp: false,
            synapse_attractivity: 100.0,
            is_memory: false,
        }
    }
}

impl AreaProperties {
    /// PSP of every synapse leaving this area.
    pub fn psp(&self) -> u8 {
        units::psp_from_postsynaptic_current(self.postsynaptic_current)
    }

    /// Parameters of the neuron at voxel (x, y, z) of this area (SPEC §2.3).
    pub fn neuron_params_at(&self, x: u32, y: u32, z: u32) -> NeuronParams {
        NeuronParams {
            threshold: units::threshold_at(
                self.firing_threshold,
                self.threshold_increment,
                x,
                y,
                z,
            ),
            threshold_limit: self.threshold_limit,
            leak: self.leak,
            excitability: self.excitability,
            refractory_period: self.refractory_period,
            consecutive_fire_limit: self.consecutive_fire_limit,
            snooze_period: self.snooze_period,
            mp_charge_accumulation: self.mp_charge_accumulation,
        }
    }
}

/// A cortical area as the NPU knows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CorticalArea {
    /// Canonical 8-byte cortical id (SPEC §1.3).
    #[serde(with = "crate::cortical_id::as_bytes")]
    pub id: CorticalId,
    /// Human-readable name (gene `cortical_name` / `__name`), empty when
    /// absent; no NPU effect.
    pub name: String,
    /// Area kind (SPEC §1.3); informational except for core and memory areas.
    pub kind: AreaKind,
    /// Grid W, H, D as declared.
    pub dimensions: [u32; 3],
    /// Neurons per voxel n (gene `per_voxel_neuron_cnt`, >= 1); ignored by
    /// core areas, which hold one neuron.
    pub neurons_per_voxel: u32,
    /// Area-level genes in internal units.
    pub properties: AreaProperties,
}

impl CorticalArea {
    /// An area with default genes.
    pub fn new(
        id: CorticalId,
        name: impl Into<String>,
        kind: AreaKind,
        dimensions: [u32; 3],
    ) -> Self {
        CorticalArea {
            id,
            name: name.into(),
            kind,
            dimensions,
            neurons_per_voxel: 1,
            properties: AreaProperties::default(),
        }
    }

    /// The grid this area's neurons are laid out on when its first neuron is
    /// `first`: core areas hold one neuron at (0,0,0) whatever their declared
    /// dimensions (SPEC §2.2).
    pub fn neuron_grid(&self, first: NeuronId) -> NeuronGrid {
        let (dims, per_voxel) = if self.id.is_core() {
            ([1, 1, 1], 1)
        } else {
            (self.dimensions, self.neurons_per_voxel)
        };
        NeuronGrid {
            first,
            dims,
            per_voxel,
        }
    }

    /// Number of neurons neuroembryogenesis creates for this area, or `None`
    /// when the product overflows u64.
    pub fn neuron_count(&self) -> Option<u64> {
        let NeuronGrid {
            dims: [w, h, d],
            per_voxel: n,
            ..
        } = self.neuron_grid(0);
        (w as u64)
            .checked_mul(h as u64)?
            .checked_mul(d as u64)?
            .checked_mul(n as u64)
    }
}

//! FEAGI genome loading, neuroembryogenesis and synaptogenesis (SPEC §1 to
//! §3; "SPEC" is `docs/SPEC.md`).
//!
//! ```
//! use feagi_genome::{develop, Genome, GenomeErrorKind};
//!
//! let genome = Genome::default_genome();
//! let brain = develop(&genome, 0).expect("the default genome develops");
//! assert_eq!(brain.neurons.len() as u64, genome.neuron_count());
//!
//! // Bad input is a located error, never a panic.
//! let err = Genome::from_json_str("{\n  \"version\": 2.0,\n  oops").unwrap_err();
//! assert_eq!(err.kind, GenomeErrorKind::InvalidJson);
//! assert_eq!(err.locators.line, Some(3));
//! ```
//!
//! * [`Genome::from_path`] and friends parse and validate a genome (flat 2.x/3.0
//!   or hierarchical blueprint) into a [`Genome`] plus [`GenomeWarning`]s, or fail
//!   with one [`GenomeError`]; nothing is half-loaded (D2). Data flows one way:
//!   `load` -> {`blueprint`, `rules`, `morphology`} -> `model`.
//! * [`develop`] turns a genome and a seed into a [`feagi_types::Connectome`]:
//!   neurons in area-index order and synapses in the exact creation order of
//!   SPEC §3.1, with the deterministic attractivity and randomizer draws of §7.2.
//! * [`parse_cortical_id`] is the one home for cortical id spellings (SPEC §1.3).

mod blueprint;
mod develop;
mod error;
mod estimate;
mod genes;
mod ids;
mod load;
mod model;
mod morphology;
mod rules;
mod values;

pub use develop::{develop, develop_targets, develop_with_options, voxel_neurons};
pub use error::{
    Capacity, GenomeError, GenomeErrorKind, GenomeWarning, Locators, Resource, WarningKind,
    MAX_QUOTED_CHARS,
};
pub use estimate::{
    estimate_memory, MemoryEstimate, NEURON_ARRAY_BYTES, NEURON_PEAK_BYTES, SYNAPSE_PEAK_BYTES,
};
pub use genes::{runtime_gene, runtime_gene_names, RuntimeGene, RuntimeGeneKind};
pub use ids::parse_cortical_id;
pub use model::{
    available_memory, Genome, GenomeArea, LoadOptions, MappingRule, MemoryGenes, Physiology,
    DEFAULT_MAX_GENOME_BYTES, DEFAULT_MAX_SYNAPSES, DEFAULT_PLASTICITY_QUEUE_DEPTH,
    DEFAULT_SIMULATION_TIMESTEP,
};
pub use morphology::{
    CompositeMorphology, FunctionMorphology, Morphology, MorphologyEntry, MorphologyOrigin,
    PatternElement, PatternPair,
};

/// The embedded default genome: a small self-sustaining brain (see `genomes/default_genome.json`).
pub fn default_genome_json() -> &'static str {
    include_str!("../genomes/default_genome.json")
}

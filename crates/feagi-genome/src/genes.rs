//! The cortical gene table (SPEC §1.4): flat exons, hierarchical property
//! names and their aliases, mapped onto one internal gene list.

/// A consumed gene: one that the loader type-checks and uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Gene {
    BlockX,
    BlockY,
    BlockZ,
    NeuronsPerVoxel,
    FiringThreshold,
    ThresholdIncrementX,
    ThresholdIncrementY,
    ThresholdIncrementZ,
    ThresholdLimit,
    Leak,
    RefractoryPeriod,
    ConsecutiveFireLimit,
    Snooze,
    Excitability,
    PostsynapticCurrent,
    PspUniform,
    MpAccumulation,
    MpDrivenPsp,
    SynapseAttractivity,
    MappingDestinations,
    Group,
    SubGroup,
    IsMemory,
    TemporalDepth,
    LongtermThreshold,
    LifespanGrowthRate,
    InitLifespan,
    MemoryTwinOf,
}

pub(crate) struct GeneSpec {
    pub gene: Gene,
    /// The 6-character exon of flat keys.
    pub exon: &'static str,
    /// The hierarchical property name; also the name used in messages.
    pub name: &'static str,
    /// Other hierarchical names accepted for the same gene (SPEC §1.2).
    pub aliases: &'static [&'static str],
}

const fn spec(
    gene: Gene,
    exon: &'static str,
    name: &'static str,
    aliases: &'static [&'static str],
) -> GeneSpec {
    GeneSpec {
        gene,
        exon,
        name,
        aliases,
    }
}

/// Block boundaries are one hierarchical property (`block_boundaries`), so
/// their hierarchical names here are only used in messages.
pub(crate) const GENES: [GeneSpec; 28] = [
    spec(Gene::BlockX, "___bbx", "block_boundaries[0]", &[]),
    spec(Gene::BlockY, "___bby", "block_boundaries[1]", &[]),
    spec(Gene::BlockZ, "___bbz", "block_boundaries[2]", &[]),
    spec(
        Gene::NeuronsPerVoxel,
        "_n_cnt",
        "per_voxel_neuron_cnt",
        &["neurons_per_voxel"],
    ),
    spec(Gene::FiringThreshold, "fire_t", "firing_threshold", &[]),
    spec(
        Gene::ThresholdIncrementX,
        "ftincx",
        "firing_threshold_increment_x",
        &[],
    ),
    spec(
        Gene::ThresholdIncrementY,
        "ftincy",
        "firing_threshold_increment_y",
        &[],
    ),
    spec(
        Gene::ThresholdIncrementZ,
        "ftincz",
        "firing_threshold_increment_z",
        &[],
    ),
    spec(
        Gene::ThresholdLimit,
        "fthlim",
        "firing_threshold_limit",
        &[],
    ),
    spec(Gene::Leak, "leak_c", "leak_coefficient", &[]),
    spec(Gene::RefractoryPeriod, "refrac", "refractory_period", &[]),
    spec(
        Gene::ConsecutiveFireLimit,
        "c_fr_c",
        "consecutive_fire_cnt_max",
        &["consecutive_fire_limit"],
    ),
    spec(Gene::Snooze, "snooze", "snooze_length", &["snooze_period"]),
    spec(Gene::Excitability, "excite", "neuron_excitability", &[]),
    spec(
        Gene::PostsynapticCurrent,
        "pstcr_",
        "postsynaptic_current",
        &[],
    ),
    spec(Gene::PspUniform, "pspuni", "psp_uniform_distribution", &[]),
    spec(
        Gene::MpAccumulation,
        "mp_acc",
        "mp_charge_accumulation",
        &[],
    ),
    spec(Gene::MpDrivenPsp, "mp_psp", "mp_driven_psp", &[]),
    spec(
        Gene::SynapseAttractivity,
        "synatt",
        "synapse_attractivity",
        &[],
    ),
    spec(
        Gene::MappingDestinations,
        "dstmap",
        "cortical_mapping_dst",
        &[],
    ),
    spec(Gene::Group, "_group", "group_id", &["cortical_group"]),
    spec(Gene::SubGroup, "subgrp", "sub_group_id", &[]),
    spec(Gene::IsMemory, "memory", "is_mem_type", &[]),
    spec(Gene::TemporalDepth, "tmpdpt", "temporal_depth", &[]),
    spec(
        Gene::LongtermThreshold,
        "mem__t",
        "longterm_mem_threshold",
        &[],
    ),
    spec(
        Gene::LifespanGrowthRate,
        "mem_gr",
        "lifespan_growth_rate",
        &[],
    ),
    spec(Gene::InitLifespan, "mem_ls", "init_lifespan", &[]),
    spec(Gene::MemoryTwinOf, "twinrf", "memory_twin_of", &[]),
];

/// Genes kept verbatim with no NPU effect: (exon, hierarchical name).
pub(crate) const KEPT_GENES: [(&str, &str); 12] = [
    ("__name", "cortical_name"),
    ("rcordx", "relative_coordinate"),
    ("rcordy", "relative_coordinate"),
    ("rcordz", "relative_coordinate"),
    ("2dcorx", "2d_coordinate"),
    ("2dcory", "2d_coordinate"),
    ("gd_vis", "visualization"),
    ("__rand", "location_generation_type"),
    ("leak_v", "leak_variability"),
    ("pstcrm", "postsynaptic_current_max"),
    ("de_gen", "degeneration"),
    ("devcnt", "dev_count"),
];

/// The exon of the area name, and its hierarchical property.
pub(crate) const NAME_EXON: &str = "__name";
pub(crate) const NAME_PROPERTY: &str = "cortical_name";

pub(crate) fn spec_of(gene: Gene) -> &'static GeneSpec {
    // GENES lists every variant exactly once, in declaration order.
    &GENES[gene as usize]
}

pub(crate) fn by_exon(exon: &str) -> Option<Gene> {
    GENES.iter().find(|s| s.exon == exon).map(|s| s.gene)
}

pub(crate) fn by_property(name: &str) -> Option<Gene> {
    GENES
        .iter()
        .find(|s| s.name == name || s.aliases.contains(&name))
        .map(|s| s.gene)
}

/// An area gene that may change while the brain runs (SPEC §4.6): the
/// public face of the gene table for runtime updates, so a runtime accepts
/// exactly the spellings a genome accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeGene {
    /// `firing_threshold` (`fire_t`), a number.
    FiringThreshold,
    /// `firing_threshold_increment_x` (`ftincx`), a number.
    ThresholdIncrementX,
    /// `firing_threshold_increment_y` (`ftincy`), a number.
    ThresholdIncrementY,
    /// `firing_threshold_increment_z` (`ftincz`), a number.
    ThresholdIncrementZ,
    /// `firing_threshold_limit` (`fthlim`), a number; 0 means no limit.
    ThresholdLimit,
    /// `leak_coefficient` (`leak_c`), a number clamped to [0, 1].
    Leak,
    /// `neuron_excitability` (`excite`), a number (EXC rule: fraction or percentage).
    Excitability,
    /// `refractory_period` (`refrac`), an integer 0..=65535.
    RefractoryPeriod,
    /// `consecutive_fire_cnt_max` (`c_fr_c`, alias `consecutive_fire_limit`), an integer 0..=65535.
    ConsecutiveFireLimit,
    /// `snooze_length` (`snooze`, alias `snooze_period`), an integer 0..=65535.
    SnoozePeriod,
    /// `mp_charge_accumulation` (`mp_acc`), true or false.
    MpChargeAccumulation,
    /// `postsynaptic_current` (`pstcr_`), a number.
    PostsynapticCurrent,
    /// `psp_uniform_distribution` (`pspuni`), true or false.
    PspUniformDistribution,
    /// `mp_driven_psp` (`mp_psp`), true or false.
    MpDrivenPsp,
}

/// The kind of value a [`RuntimeGene`] takes, as genomes type-check it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeGeneKind {
    /// Any finite number.
    Number,
    /// An integer in `0..=max` (floats with an integral value count as integers).
    Integer {
        /// The largest accepted value.
        max: u32,
    },
    /// `true` or `false`.
    Bool,
}

impl RuntimeGene {
    /// Every runtime gene, in gene table order.
    pub const ALL: [RuntimeGene; 14] = [
        RuntimeGene::FiringThreshold,
        RuntimeGene::ThresholdIncrementX,
        RuntimeGene::ThresholdIncrementY,
        RuntimeGene::ThresholdIncrementZ,
        RuntimeGene::ThresholdLimit,
        RuntimeGene::Leak,
        RuntimeGene::Excitability,
        RuntimeGene::RefractoryPeriod,
        RuntimeGene::ConsecutiveFireLimit,
        RuntimeGene::SnoozePeriod,
        RuntimeGene::MpChargeAccumulation,
        RuntimeGene::PostsynapticCurrent,
        RuntimeGene::PspUniformDistribution,
        RuntimeGene::MpDrivenPsp,
    ];

    fn gene(self) -> Gene {
        match self {
            RuntimeGene::FiringThreshold => Gene::FiringThreshold,
            RuntimeGene::ThresholdIncrementX => Gene::ThresholdIncrementX,
            RuntimeGene::ThresholdIncrementY => Gene::ThresholdIncrementY,
            RuntimeGene::ThresholdIncrementZ => Gene::ThresholdIncrementZ,
            RuntimeGene::ThresholdLimit => Gene::ThresholdLimit,
            RuntimeGene::Leak => Gene::Leak,
            RuntimeGene::Excitability => Gene::Excitability,
            RuntimeGene::RefractoryPeriod => Gene::RefractoryPeriod,
            RuntimeGene::ConsecutiveFireLimit => Gene::ConsecutiveFireLimit,
            RuntimeGene::SnoozePeriod => Gene::Snooze,
            RuntimeGene::MpChargeAccumulation => Gene::MpAccumulation,
            RuntimeGene::PostsynapticCurrent => Gene::PostsynapticCurrent,
            RuntimeGene::PspUniformDistribution => Gene::PspUniform,
            RuntimeGene::MpDrivenPsp => Gene::MpDrivenPsp,
        }
    }

    fn from_gene(gene: Gene) -> Option<RuntimeGene> {
        RuntimeGene::ALL.into_iter().find(|g| g.gene() == gene)
    }

    /// The canonical hierarchical name (`consecutive_fire_cnt_max`).
    pub fn name(self) -> &'static str {
        spec_of(self.gene()).name
    }

    /// The 6-character flat-genome exon (`c_fr_c`).
    pub fn exon(self) -> &'static str {
        spec_of(self.gene()).exon
    }

    /// The other hierarchical names the genome accepts (`consecutive_fire_limit`).
    pub fn aliases(self) -> &'static [&'static str] {
        spec_of(self.gene()).aliases
    }

    /// The kind of value the gene takes.
    pub fn kind(self) -> RuntimeGeneKind {
        match self {
            RuntimeGene::RefractoryPeriod
            | RuntimeGene::ConsecutiveFireLimit
            | RuntimeGene::SnoozePeriod => RuntimeGeneKind::Integer { max: 65_535 },
            RuntimeGene::MpChargeAccumulation
            | RuntimeGene::PspUniformDistribution
            | RuntimeGene::MpDrivenPsp => RuntimeGeneKind::Bool,
            _ => RuntimeGeneKind::Number,
        }
    }
}

/// The runtime gene named by a hierarchical name, one of its aliases, or its
/// flat exon; `None` for anything else, including genes that cannot change
/// at runtime (dimensions, mappings, memory genes).
pub fn runtime_gene(name_or_exon: &str) -> Option<RuntimeGene> {
    by_property(name_or_exon)
        .or_else(|| by_exon(name_or_exon))
        .and_then(RuntimeGene::from_gene)
}

/// The canonical names of the runtime genes, in gene table order.
pub fn runtime_gene_names() -> impl Iterator<Item = &'static str> {
    RuntimeGene::ALL.into_iter().map(RuntimeGene::name)
}

pub(crate) fn is_kept_exon(exon: &str) -> bool {
    KEPT_GENES.iter().any(|(e, _)| *e == exon)
}

pub(crate) fn is_kept_property(name: &str) -> bool {
    KEPT_GENES.iter().any(|(_, p)| *p == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, s) in GENES.iter().enumerate() {
            assert_eq!(s.gene as usize, i, "{}", s.exon);
            assert_eq!(spec_of(s.gene).exon, s.exon);
            assert_eq!(s.exon.len(), 6);
        }
        assert_eq!(by_exon("snooze"), Some(Gene::Snooze));
        assert_eq!(by_property("snooze_period"), Some(Gene::Snooze));
        assert_eq!(
            by_property("neurons_per_voxel"),
            Some(Gene::NeuronsPerVoxel)
        );
        assert_eq!(by_exon("plst_c"), None);
        assert!(is_kept_exon("leak_v") && is_kept_property("2d_coordinate"));
    }

    #[test]
    fn runtime_genes_come_from_the_table() {
        for g in RuntimeGene::ALL {
            assert_eq!(runtime_gene(g.name()), Some(g));
            assert_eq!(runtime_gene(g.exon()), Some(g));
            for alias in g.aliases() {
                assert_eq!(runtime_gene(alias), Some(g));
            }
        }
        assert_eq!(
            runtime_gene("snooze_period"),
            Some(RuntimeGene::SnoozePeriod)
        );
        assert_eq!(
            runtime_gene("consecutive_fire_limit"),
            Some(RuntimeGene::ConsecutiveFireLimit)
        );
        // Consumed genes that only development reads are not runtime genes.
        assert_eq!(runtime_gene("per_voxel_neuron_cnt"), None);
        assert_eq!(runtime_gene("synatt"), None);
        assert_eq!(runtime_gene("firing_treshold"), None);
        assert_eq!(runtime_gene_names().count(), 14);
    }
}

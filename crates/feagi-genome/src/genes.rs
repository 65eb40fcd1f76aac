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
}

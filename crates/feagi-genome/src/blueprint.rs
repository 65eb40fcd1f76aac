//! SPEC §1.2 to §1.4 and §1.9 steps 5 and 6: the blueprint (flat or
//! hierarchical) becomes typed areas in area-index order.

use crate::error::{
    quoted, Capacity, GenomeError, GenomeErrorKind, GenomeWarning, Resource, WarningKind,
};
use crate::genes::{self, Gene};
use crate::ids::{parse_id, IdSpelling, ParsedId};
use crate::model::{GenomeArea, LoadOptions, MemoryGenes};
use crate::values::{
    as_bool, as_integer, as_number, as_str, json_equal, short, type_name, TypeProblem,
};
use feagi_types::{units, AreaKind, AreaProperties, CorticalArea, CorticalId};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Genes of one area as collected from the blueprint, before typing.
pub(crate) struct RawArea {
    parsed: ParsedId,
    written: String,
    /// Consumed genes: value and the key it came from.
    genes: BTreeMap<Gene, (Value, String)>,
    /// Kept and unknown genes: value and key.
    kept: BTreeMap<String, (Value, String)>,
}

impl RawArea {
    fn new(parsed: ParsedId, written: &str) -> Self {
        RawArea {
            parsed,
            written: written.to_string(),
            genes: BTreeMap::new(),
            kept: BTreeMap::new(),
        }
    }

    fn put_gene(
        &mut self,
        gene: Gene,
        value: Value,
        key: &str,
        warnings: &mut Vec<GenomeWarning>,
    ) -> Result<(), GenomeError> {
        if value.is_null() {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::NullGene,
                    format!("{} is null; default used", genes::spec_of(gene).name),
                )
                .with_gene_key(key)
                .with_cortical_id(&self.written),
            );
            return Ok(());
        }
        match self.genes.get(&gene) {
            Some((previous, previous_key)) => {
                if !json_equal(previous, &value) {
                    return Err(conflict(key, &self.written, previous_key, previous, &value));
                }
            }
            None => {
                self.genes.insert(gene, (value, key.to_string()));
            }
        }
        Ok(())
    }

    fn put_kept(&mut self, name: &str, value: Value, key: &str) -> Result<(), GenomeError> {
        match self.kept.get(name) {
            Some((previous, previous_key)) => {
                if !json_equal(previous, &value) {
                    return Err(conflict(key, &self.written, previous_key, previous, &value));
                }
            }
            None => {
                self.kept.insert(name.to_string(), (value, key.to_string()));
            }
        }
        Ok(())
    }
}

fn conflict(
    key: &str,
    area: &str,
    previous_key: &str,
    previous: &Value,
    value: &Value,
) -> GenomeError {
    GenomeError::new(
        GenomeErrorKind::ConflictingGene,
        format!(
            "{} conflicts with {previous_key} ({} vs {})",
            short(value),
            short(previous),
            short(value)
        ),
    )
    .with_gene_key(key)
    .with_cortical_id(area)
}

/// Registers an area spelling; two spellings of one canonical id are a `DuplicateArea`.
fn area_entry<'a>(
    areas: &'a mut BTreeMap<CorticalId, RawArea>,
    written: &str,
    key: &str,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<&'a mut RawArea, GenomeError> {
    let parsed = parse_id(written).map_err(|e| e.with_gene_key(key))?;
    match areas.entry(parsed.id) {
        std::collections::btree_map::Entry::Occupied(o) => {
            let area = o.into_mut();
            if area.written != written {
                return Err(GenomeError::new(
                    GenomeErrorKind::DuplicateArea,
                    format!(
                        "{} and {} are two spellings of the same area {}",
                        quoted(written),
                        quoted(&area.written),
                        parsed.id
                    ),
                )
                .with_gene_key(key)
                .with_cortical_id(written));
            }
            Ok(area)
        }
        std::collections::btree_map::Entry::Vacant(v) => {
            if let Some(old) = parsed.renamed_from {
                warnings.push(
                    GenomeWarning::new(
                        WarningKind::LegacyMigration,
                        format!("legacy area id {} renamed to {}", quoted(old), parsed.id),
                    )
                    .with_cortical_id(written),
                );
            }
            Ok(v.insert(RawArea::new(parsed, written)))
        }
    }
}

pub(crate) type BlueprintParts = (BTreeMap<CorticalId, RawArea>, Map<String, Value>);

/// Step 5, first half: detect the form and collect genes per canonical id.
pub(crate) fn parse_blueprint(
    value: Option<Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<BlueprintParts, GenomeError> {
    let blueprint = match value {
        None | Some(Value::Null) => {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::AutoFixed,
                    "no blueprint; only the core areas are created",
                )
                .with_gene_key("blueprint"),
            );
            Map::new()
        }
        Some(Value::Object(m)) => m,
        Some(other) => {
            return Err(GenomeError::new(
                GenomeErrorKind::WrongGeneType,
                format!("blueprint must be an object, found {}", type_name(&other)),
            )
            .with_gene_key("blueprint"))
        }
    };
    if blueprint.keys().any(|k| k.starts_with("_____10")) {
        parse_flat(blueprint, warnings)
    } else {
        parse_hierarchical(blueprint, warnings)
    }
}

fn parse_flat(
    blueprint: Map<String, Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<BlueprintParts, GenomeError> {
    let mut areas = BTreeMap::new();
    let mut ignored = Map::new();
    for (key, value) in blueprint {
        let parts: Vec<&str> = key.split('-').collect();
        let [prefix, id, _cls, exon, _tag] = parts.as_slice() else {
            warnings.push(
                GenomeWarning::new(
                    WarningKind::IgnoredKey,
                    "blueprint key is not a five-part gene key; kept but not used",
                )
                .with_gene_key(&key),
            );
            ignored.insert(key, value);
            continue;
        };
        if *prefix != "_____10c" {
            let why = if *prefix == "_____10b" {
                "brain gene (_____10b-); kept but not used"
            } else {
                "not a cortical gene key (_____10c-); kept but not used"
            };
            warnings.push(GenomeWarning::new(WarningKind::IgnoredKey, why).with_gene_key(&key));
            ignored.insert(key, value);
            continue;
        }
        let (id, exon) = (id.to_string(), exon.to_string());
        let area = area_entry(&mut areas, &id, &key, warnings)?;
        if let Some(gene) = genes::by_exon(&exon) {
            area.put_gene(gene, value, &key, warnings)?;
        } else {
            if !genes::is_kept_exon(&exon) {
                warnings.push(
                    GenomeWarning::new(
                        WarningKind::UnknownGene,
                        format!("unknown gene {} kept but not used", quoted(&exon)),
                    )
                    .with_gene_key(&key)
                    .with_cortical_id(&id),
                );
            }
            area.put_kept(&exon, value, &key)?;
        }
    }
    Ok((areas, ignored))
}

fn parse_hierarchical(
    blueprint: Map<String, Value>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<BlueprintParts, GenomeError> {
    let mut areas = BTreeMap::new();
    for (written, props) in blueprint {
        let area = area_entry(&mut areas, &written, &written, warnings)?;
        let Value::Object(props) = props else {
            return Err(GenomeError::new(
                GenomeErrorKind::WrongGeneType,
                format!(
                    "area {} must be an object of properties, found {}",
                    quoted(&written),
                    type_name(&props)
                ),
            )
            .with_gene_key(&written)
            .with_cortical_id(&written));
        };
        for (prop, value) in props {
            let path = format!("{written}.{prop}");
            if prop == "block_boundaries" {
                match value {
                    Value::Null => {
                        warnings.push(
                            GenomeWarning::new(
                                WarningKind::NullGene,
                                "block_boundaries is null; default used",
                            )
                            .with_gene_key(&path)
                            .with_cortical_id(&written),
                        );
                    }
                    Value::Array(items) if items.len() == 3 => {
                        for ((gene, item), i) in [Gene::BlockX, Gene::BlockY, Gene::BlockZ]
                            .into_iter()
                            .zip(items)
                            .zip(0..)
                        {
                            area.put_gene(gene, item, &format!("{path}[{i}]"), warnings)?;
                        }
                    }
                    other => {
                        return Err(GenomeError::new(
                            GenomeErrorKind::InvalidDimension,
                            format!(
                                "block_boundaries must be 3 integers, found {}",
                                short(&other)
                            ),
                        )
                        .with_gene_key(&path)
                        .with_cortical_id(&written))
                    }
                }
            } else if let Some(gene) = genes::by_property(&prop) {
                area.put_gene(gene, value, &path, warnings)?;
            } else {
                if !genes::is_kept_property(&prop) {
                    warnings.push(
                        GenomeWarning::new(
                            WarningKind::UnknownGene,
                            format!("unknown property {} kept but not used", quoted(&prop)),
                        )
                        .with_gene_key(&path)
                        .with_cortical_id(&written),
                    );
                }
                area.put_kept(&prop, value, &path)?;
            }
        }
    }
    Ok((areas, Map::new()))
}

/// An area after the gene table, before its rules are resolved.
pub(crate) struct BuiltArea {
    pub(crate) area: GenomeArea,
    /// `cortical_mapping_dst` and its key, parsed in step 7.
    pub(crate) mapping: Option<(Map<String, Value>, String)>,
}

pub(crate) fn added_core_area(id: CorticalId) -> GenomeArea {
    let mut area = CorticalArea::new(id, "", AreaKind::Core, [1, 1, 1]);
    if id == CorticalId::POWER {
        // As FEAGI's core templates do (SPEC §1.9 step 6).
        area.properties.firing_threshold = 0.1;
        area.properties.postsynaptic_current = 500.0;
    }
    GenomeArea {
        area,
        written_id: id.as_string(),
        group: None,
        sub_group: String::new(),
        memory: MemoryGenes::default(),
        rules: Vec::new(),
        morphology_ids: Vec::new(),
        kept_genes: BTreeMap::new(),
        added: true,
    }
}

/// Step 5 (typing) and step 6 (core areas), in area-index order.
pub(crate) fn build_areas(
    mut raw: BTreeMap<CorticalId, RawArea>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<Vec<BuiltArea>, GenomeError> {
    let mut out = Vec::with_capacity(raw.len() + 3);
    for core in [CorticalId::DEATH, CorticalId::POWER, CorticalId::FATIGUE] {
        match raw.remove(&core) {
            Some(r) => out.push(apply_gene_table(r, warnings)?),
            None => out.push(BuiltArea {
                area: added_core_area(core),
                mapping: None,
            }),
        }
    }
    for (_, r) in raw {
        out.push(apply_gene_table(r, warnings)?);
    }
    Ok(out)
}

/// Reads typed genes of one area, attaching locators to every problem.
struct GeneReader<'a> {
    raw: &'a RawArea,
}

impl GeneReader<'_> {
    fn get(&self, gene: Gene) -> Option<(&Value, &str)> {
        self.raw.genes.get(&gene).map(|(v, k)| (v, k.as_str()))
    }

    fn error(&self, kind: GenomeErrorKind, key: &str, message: String) -> GenomeError {
        GenomeError::new(kind, message)
            .with_gene_key(key)
            .with_cortical_id(&self.raw.written)
    }

    fn warning(&self, kind: WarningKind, key: &str, message: String) -> GenomeWarning {
        GenomeWarning::new(kind, message)
            .with_gene_key(key)
            .with_cortical_id(&self.raw.written)
    }

    fn type_error(&self, gene: Gene, key: &str, problem: &TypeProblem) -> GenomeError {
        self.error(
            GenomeErrorKind::WrongGeneType,
            key,
            format!("{}: {}", genes::spec_of(gene).name, problem.describe()),
        )
    }

    fn integer(&self, gene: Gene, default: u32, max: u32) -> Result<u32, GenomeError> {
        let Some((v, key)) = self.get(gene) else {
            return Ok(default);
        };
        let n = as_integer(v).map_err(|p| self.type_error(gene, key, &p))?;
        u32::try_from(n).ok().filter(|n| *n <= max).ok_or_else(|| {
            self.error(
                GenomeErrorKind::ValueOutOfRange,
                key,
                format!("{} {n} is out of range 0..{max}", genes::spec_of(gene).name),
            )
        })
    }

    fn float(&self, gene: Gene, default: f64) -> Result<f64, GenomeError> {
        match self.get(gene) {
            None => Ok(default),
            Some((v, key)) => as_number(v).map_err(|p| self.type_error(gene, key, &p)),
        }
    }

    /// A float gene stored as f32; values beyond f32 are clamped so none becomes infinite.
    fn float32(
        &self,
        gene: Gene,
        default: f64,
        warnings: &mut Vec<GenomeWarning>,
    ) -> Result<f32, GenomeError> {
        let v = self.float(gene, default)?;
        let max = f64::from(f32::MAX);
        if v.abs() > max {
            if let Some((_, key)) = self.get(gene) {
                warnings.push(self.warning(
                    WarningKind::ValueClamped,
                    key,
                    format!(
                        "{} {v} exceeds the f32 range; clamped",
                        genes::spec_of(gene).name
                    ),
                ));
            }
        }
        Ok(v.clamp(-max, max) as f32)
    }

    fn boolean(&self, gene: Gene, default: bool) -> Result<bool, GenomeError> {
        match self.get(gene) {
            None => Ok(default),
            Some((v, key)) => as_bool(v).map_err(|p| self.type_error(gene, key, &p)),
        }
    }

    fn string(&self, gene: Gene) -> Result<Option<String>, GenomeError> {
        match self.get(gene) {
            None => Ok(None),
            Some((v, key)) => as_str(v)
                .map(|s| Some(s.to_string()))
                .map_err(|p| self.type_error(gene, key, &p)),
        }
    }

    /// A grid dimension or neuron count: negative or non-numeric is
    /// `InvalidDimension`, 0 becomes 1 (warning), beyond u32 is `CapacityExceeded`.
    fn dimension(&self, gene: Gene, warnings: &mut Vec<GenomeWarning>) -> Result<u32, GenomeError> {
        let Some((v, key)) = self.get(gene) else {
            return Ok(1);
        };
        let name = genes::spec_of(gene).name;
        let n = match as_integer(v) {
            Ok(n) => n,
            Err(p @ TypeProblem::Fractional(_)) => return Err(self.type_error(gene, key, &p)),
            Err(_) => {
                return Err(self.error(
                    GenomeErrorKind::InvalidDimension,
                    key,
                    format!("{name} must be a non-negative integer, found {}", short(v)),
                ))
            }
        };
        if n < 0 {
            return Err(self.error(
                GenomeErrorKind::InvalidDimension,
                key,
                format!("{name} {n} is negative"),
            ));
        }
        if n == 0 {
            warnings.push(self.warning(
                WarningKind::AutoFixed,
                key,
                format!("{name} 0 replaced by 1"),
            ));
            return Ok(1);
        }
        u32::try_from(n).map_err(|_| {
            let mut e = self.error(GenomeErrorKind::CapacityExceeded, key, String::new());
            e.capacity = Some(Box::new(Capacity {
                resource: Resource::Dimension,
                needed: u64::try_from(n).unwrap_or(u64::MAX),
                limit: Some(u64::from(u32::MAX)),
            }));
            e.message = format!(
                "{name} {n} exceeds the largest supported dimension {}",
                u32::MAX
            );
            e
        })
    }
}

fn apply_gene_table(
    raw: RawArea,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<BuiltArea, GenomeError> {
    let r = GeneReader { raw: &raw };
    let dimensions = [
        r.dimension(Gene::BlockX, warnings)?,
        r.dimension(Gene::BlockY, warnings)?,
        r.dimension(Gene::BlockZ, warnings)?,
    ];
    let neurons_per_voxel = r.dimension(Gene::NeuronsPerVoxel, warnings)?;

    let mut p = AreaProperties {
        firing_threshold: r.float32(Gene::FiringThreshold, 1.0, warnings)?,
        threshold_increment: [
            r.float32(Gene::ThresholdIncrementX, 0.0, warnings)?,
            r.float32(Gene::ThresholdIncrementY, 0.0, warnings)?,
            r.float32(Gene::ThresholdIncrementZ, 0.0, warnings)?,
        ],
        threshold_limit: r.float32(Gene::ThresholdLimit, 0.0, warnings)?,
        refractory_period: r.integer(Gene::RefractoryPeriod, 0, 65_535)? as u16,
        consecutive_fire_limit: r.integer(Gene::ConsecutiveFireLimit, 0, 65_535)? as u16,
        snooze_period: r.integer(Gene::Snooze, 0, 65_535)? as u16,
        postsynaptic_current: r.float(Gene::PostsynapticCurrent, 1.0)?,
        psp_uniform_distribution: r.boolean(Gene::PspUniform, false)?,
        mp_charge_accumulation: r.boolean(Gene::MpAccumulation, false)?,
        mp_driven_psp: r.boolean(Gene::MpDrivenPsp, false)?,
        ..AreaProperties::default()
    };

    let leak = r.float(Gene::Leak, 0.0)?;
    let (clamped, was_clamped) = units::clamp_leak(leak);
    p.leak = clamped;
    if was_clamped {
        if let Some((_, key)) = r.get(Gene::Leak) {
            warnings.push(r.warning(
                WarningKind::ValueClamped,
                key,
                format!("leak_coefficient {leak} clamped to {clamped}"),
            ));
        }
    }

    let excite = r.float(Gene::Excitability, 100.0)?;
    let (fraction, outside) = units::excitability_fraction(excite);
    p.excitability = fraction;
    if outside {
        if let Some((_, key)) = r.get(Gene::Excitability) {
            warnings.push(r.warning(
                WarningKind::ValueClamped,
                key,
                format!(
                    "neuron_excitability {excite} is outside [0, 100]; clamped to {} %",
                    fraction * 100.0
                ),
            ));
        }
    }

    let attractivity = r.float(Gene::SynapseAttractivity, 100.0)?;
    p.synapse_attractivity = attractivity.clamp(0.0, 100.0) as f32;
    if !(0.0..=100.0).contains(&attractivity) {
        if let Some((_, key)) = r.get(Gene::SynapseAttractivity) {
            warnings.push(r.warning(
                WarningKind::ValueClamped,
                key,
                format!(
                    "synapse_attractivity {attractivity} clamped to {}",
                    p.synapse_attractivity
                ),
            ));
        }
    }

    let group = r.string(Gene::Group)?;
    let sub_group = r.string(Gene::SubGroup)?.unwrap_or_default();
    let is_mem_type = r.boolean(Gene::IsMemory, false)?;

    let mut memory = MemoryGenes {
        temporal_depth: r.integer(Gene::TemporalDepth, 1, u32::MAX)?,
        longterm_mem_threshold: r.integer(Gene::LongtermThreshold, 100, u32::MAX)?,
        lifespan_growth_rate: r.integer(Gene::LifespanGrowthRate, 1, u32::MAX)?,
        init_lifespan: r.integer(Gene::InitLifespan, 9, u32::MAX)?,
        memory_twin_of: None,
    };
    if memory.temporal_depth == 0 {
        memory.temporal_depth = 1;
        if let Some((_, key)) = r.get(Gene::TemporalDepth) {
            warnings.push(r.warning(
                WarningKind::AutoFixed,
                key,
                "temporal_depth 0 replaced by 1".into(),
            ));
        }
    }
    if memory.init_lifespan == 0 {
        if let Some((_, key)) = r.get(Gene::InitLifespan) {
            return Err(r.error(
                GenomeErrorKind::ValueOutOfRange,
                key,
                "init_lifespan 0 is out of range: a memory neuron lives at least 1 burst (SPEC §6)"
                    .into(),
            ));
        }
    }
    if let Some((v, key)) = r.get(Gene::MemoryTwinOf) {
        let text = as_str(v).map_err(|p| r.type_error(Gene::MemoryTwinOf, key, &p))?;
        let twin = parse_id(text).map_err(|e| e.with_gene_key(key))?;
        memory.memory_twin_of = Some(twin.id);
    }

    let mapping = match r.get(Gene::MappingDestinations) {
        None => None,
        Some((Value::Object(m), key)) => Some((m.clone(), key.to_string())),
        Some((other, key)) => {
            return Err(r.error(
                GenomeErrorKind::WrongGeneType,
                key,
                format!(
                    "cortical_mapping_dst must be an object, found {}",
                    type_name(other)
                ),
            ))
        }
    };

    let kind = area_kind(&raw.parsed, group.as_deref());
    p.is_memory = kind == AreaKind::Memory || is_mem_type || sub_group.contains("MEMORY");

    let name = [genes::NAME_EXON, genes::NAME_PROPERTY]
        .iter()
        .find_map(|k| raw.kept.get(*k).and_then(|(v, _)| v.as_str()))
        .unwrap_or_default()
        .to_string();

    let area = CorticalArea {
        id: raw.parsed.id,
        name,
        kind,
        dimensions,
        neurons_per_voxel,
        properties: p,
    };
    let kept_genes = raw.kept.into_iter().map(|(k, (v, _))| (k, v)).collect();
    Ok(BuiltArea {
        area: GenomeArea {
            area,
            written_id: raw.written,
            group,
            sub_group,
            memory,
            rules: Vec::new(),
            morphology_ids: Vec::new(),
            kept_genes,
            added: false,
        },
        mapping,
    })
}

/// Area kind (SPEC §1.3): core ids are CORE; 8-byte spellings by byte 0;
/// legacy ids by their group gene, else by their first character.
fn area_kind(parsed: &ParsedId, group: Option<&str>) -> AreaKind {
    if parsed.id.is_core() || parsed.spelling == IdSpelling::CoreAlias {
        return AreaKind::Core;
    }
    let first = parsed.id.as_bytes()[0];
    match parsed.spelling {
        IdSpelling::Base64 | IdSpelling::Raw => match first {
            b'm' => AreaKind::Memory,
            b'i' => AreaKind::Ipu,
            b'o' => AreaKind::Opu,
            _ => AreaKind::Custom,
        },
        IdSpelling::Legacy | IdSpelling::CoreAlias => {
            match group.map(str::to_ascii_uppercase).as_deref() {
                Some("IPU") => AreaKind::Ipu,
                Some("OPU") => AreaKind::Opu,
                Some("MEMORY") => AreaKind::Memory,
                Some("CUSTOM") => AreaKind::Custom,
                _ => match first {
                    b'i' => AreaKind::Ipu,
                    b'o' => AreaKind::Opu,
                    _ => AreaKind::Custom,
                },
            }
        }
    }
}

pub(crate) fn check_neuron_capacity(
    areas: &[BuiltArea],
    options: &LoadOptions,
) -> Result<u64, GenomeError> {
    let limit = options.neuron_limit();
    let mut total: u64 = 0;
    for b in areas {
        let count = b.area.area.neuron_count();
        let next = count.and_then(|c| total.checked_add(c));
        match next {
            Some(n) if n <= limit => total = n,
            _ => {
                let needs = count.map_or_else(|| "more than 2^64".to_string(), |c| c.to_string());
                let needed = count.map_or(u64::MAX, |c| c.saturating_add(total));
                return Err(GenomeError::capacity_exceeded(
                    Resource::Neurons,
                    needed,
                    Some(limit),
                    format!(
                        "area {} needs {needs} neurons; the genome would exceed the limit of {limit} neurons",
                        b.area.area.id
                    ),
                )
                .with_cortical_id(&b.area.written_id));
            }
        }
    }
    Ok(total)
}

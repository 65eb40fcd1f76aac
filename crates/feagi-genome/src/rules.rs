//! SPEC §1.6 and §1.9 step 7: mapping rules, the `associative_memory`
//! mirroring of §6.1 and the load-time reports about M2 features.

use crate::blueprint::BuiltArea;
use crate::error::{quoted, GenomeError, GenomeErrorKind, GenomeWarning, WarningKind};
use crate::ids::parse_id;
use crate::model::{GenomeArea, MappingRule, Physiology};
use crate::morphology::{self, FunctionMorphology, Morphology, MorphologyEntry};
use crate::values::{as_bool, as_integer, as_number, json_equal, short, type_name};
use feagi_types::{AreaIndex, CorticalId};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Context for the errors of one mapping rule.
struct RuleSite<'a> {
    source: &'a str,
    key: &'a str,
    destination: &'a str,
    index: usize,
}

impl RuleSite<'_> {
    fn error(&self, kind: GenomeErrorKind, message: String) -> GenomeError {
        GenomeError::new(kind, message)
            .with_gene_key(self.key)
            .with_cortical_id(self.source)
            .with_destination_id(self.destination)
            .with_rule_index(self.index)
    }
    fn malformed(&self, message: String) -> GenomeError {
        self.error(GenomeErrorKind::MalformedRule, message)
    }
    fn warning(&self, kind: WarningKind, message: String) -> GenomeWarning {
        GenomeWarning::new(kind, message)
            .with_gene_key(self.key)
            .with_cortical_id(self.source)
            .with_destination_id(self.destination)
            .with_rule_index(self.index)
    }
    fn integer_field(&self, field: &str, v: &Value) -> Result<i64, GenomeError> {
        let n = as_integer(v).map_err(|p| self.malformed(format!("{field}: {}", p.describe())))?;
        Ok(i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX }))
    }
}

const RULE_OBJECT_KEYS: [&str; 9] = [
    "morphology_id",
    "morphology_scalar",
    "postSynapticCurrent_multiplier",
    "plasticity_flag",
    "plasticity_constant",
    "ltp_multiplier",
    "ltd_multiplier",
    "plasticity_window",
    "synapse_attractivity",
];

fn parse_rule(
    site: &RuleSite<'_>,
    value: &Value,
    destination: AreaIndex,
    morphologies: &BTreeMap<String, MorphologyEntry>,
    default_window: u32,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<MappingRule, GenomeError> {
    // Fields in array order: id, scalar, multiplier, flag, C, Lp, Ld, window; then attractivity.
    let mut fields: [Option<&Value>; 9] = [None; 9];
    match value {
        Value::Array(items) => {
            if !matches!(items.len(), 4 | 7 | 8) {
                return Err(site.malformed(format!(
                    "a rule array must have 4, 7 or 8 elements, found {}",
                    items.len()
                )));
            }
            for (slot, item) in fields.iter_mut().zip(items) {
                *slot = Some(item);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                match RULE_OBJECT_KEYS.iter().position(|name| name == k) {
                    Some(i) => {
                        if v.is_null() && i != 0 {
                            warnings.push(site.warning(
                                WarningKind::NullGene,
                                format!("rule field {k} is null; default used"),
                            ));
                        } else if let Some(slot) = fields.get_mut(i) {
                            *slot = Some(v);
                        }
                    }
                    None => warnings.push(site.warning(
                        WarningKind::IgnoredKey,
                        format!("unknown rule field {} ignored", quoted(k)),
                    )),
                }
            }
            if fields[0].is_none() {
                return Err(site.malformed("the rule object has no morphology_id".into()));
            }
        }
        other => {
            return Err(site.malformed(format!(
                "a rule must be an array or an object, found {}",
                type_name(other)
            )))
        }
    }
    let [id_v, scalar_v, mult_v, flag_v, c_v, ltp_v, ltd_v, window_v, attr_v] = fields;

    let written_morphology = match id_v {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(site.malformed(format!(
                "morphology_id must be a string, found {}",
                short(other)
            )))
        }
        None => return Err(site.malformed("missing morphology_id".into())),
    };
    let morphology_id = morphology::renamed(written_morphology).to_string();
    if !morphologies.contains_key(&morphology_id) {
        return Err(site
            .error(
                GenomeErrorKind::UnknownMorphology,
                format!("morphology {} does not exist", quoted(written_morphology)),
            )
            .with_morphology_id(written_morphology));
    }

    let morphology_scalar = scalar_v.cloned().unwrap_or_else(|| Value::from(1));
    let neutral = json_equal(&morphology_scalar, &Value::from(1))
        || json_equal(&morphology_scalar, &serde_json::json!([1, 1, 1]));
    if !neutral {
        warnings.push(
            site.warning(
                WarningKind::ScalarIgnored,
                format!(
                    "morphology_scalar {} has no effect on synaptogenesis",
                    short(&morphology_scalar)
                ),
            )
            .with_morphology_id(&morphology_id),
        );
    }

    let multiplier = match mult_v {
        None => 1,
        Some(v) => site.integer_field("multiplier", v)?,
    };
    let plasticity_flag = match flag_v {
        None => false,
        Some(v) => {
            as_bool(v).map_err(|p| site.malformed(format!("plasticity_flag: {}", p.describe())))?
        }
    };
    let int_or_one = |field: &str, v: Option<&Value>| match v {
        None => Ok(1),
        Some(v) => site.integer_field(field, v),
    };
    let plasticity_constant = int_or_one("plasticity_constant", c_v)?;
    let ltp_multiplier = int_or_one("ltp_multiplier", ltp_v)?;
    let ltd_multiplier = int_or_one("ltd_multiplier", ltd_v)?;
    let plasticity_window = match window_v {
        None => default_window,
        Some(v) => {
            let n = site.integer_field("plasticity_window", v)?;
            u32::try_from(n).ok().filter(|w| *w >= 1).ok_or_else(|| {
                site.malformed(format!(
                    "plasticity_window {n} is out of range 1..{}",
                    u32::MAX
                ))
            })?
        }
    };
    let synapse_attractivity = match attr_v {
        None => None,
        Some(v) => {
            let a = as_number(v)
                .map_err(|p| site.malformed(format!("synapse_attractivity: {}", p.describe())))?;
            let clamped = a.clamp(0.0, 100.0);
            if clamped != a {
                warnings.push(site.warning(
                    WarningKind::ValueClamped,
                    format!("synapse_attractivity {a} clamped to {clamped}"),
                ));
            }
            Some(clamped as f32)
        }
    };

    Ok(MappingRule {
        destination,
        destination_written: site.destination.to_string(),
        rule_index: u32::try_from(site.index).unwrap_or(u32::MAX),
        morphology_id,
        morphology_scalar,
        multiplier,
        plasticity_flag,
        plasticity_constant,
        ltp_multiplier,
        ltd_multiplier,
        plasticity_window,
        synapse_attractivity,
        mirrored: false,
    })
}

/// Step 7: parse every area's `cortical_mapping_dst`.
pub(crate) fn resolve_rules(
    built: Vec<BuiltArea>,
    index: &BTreeMap<CorticalId, AreaIndex>,
    morphologies: &BTreeMap<String, MorphologyEntry>,
    physiology: &Physiology,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<Vec<GenomeArea>, GenomeError> {
    let mut out = Vec::with_capacity(built.len());
    for BuiltArea { mut area, mapping } in built {
        let Some((mapping, key)) = mapping else {
            out.push(area);
            continue;
        };
        let source = area.written_id.clone();
        // Destination index -> rules, so they come out in ascending index order.
        let mut by_destination: BTreeMap<AreaIndex, Vec<MappingRule>> = BTreeMap::new();
        let mut spelled: BTreeMap<CorticalId, String> = BTreeMap::new();
        for (dest_written, list) in &mapping {
            let site = RuleSite {
                source: &source,
                key: &key,
                destination: dest_written,
                index: 0,
            };
            let parsed = parse_id(dest_written).map_err(|e| {
                GenomeError::new(GenomeErrorKind::MalformedCorticalId, e.message)
                    .with_gene_key(&key)
                    .with_cortical_id(&source)
                    .with_destination_id(dest_written)
            })?;
            if let Some(other) = spelled.insert(parsed.id, dest_written.clone()) {
                return Err(GenomeError::new(
                    GenomeErrorKind::DuplicateArea,
                    format!(
                        "destinations {} and {} are the same area {}",
                        quoted(&other),
                        quoted(dest_written),
                        parsed.id
                    ),
                )
                .with_gene_key(&key)
                .with_cortical_id(&source)
                .with_destination_id(dest_written));
            }
            let Some(&destination) = index.get(&parsed.id) else {
                return Err(GenomeError::new(
                    GenomeErrorKind::MissingDestinationArea,
                    format!("destination area {} is not in the genome", parsed.id),
                )
                .with_gene_key(&key)
                .with_cortical_id(&source)
                .with_destination_id(dest_written));
            };
            if let Some(old) = parsed.renamed_from {
                warnings.push(
                    GenomeWarning::new(
                        WarningKind::LegacyMigration,
                        format!(
                            "legacy destination id {} renamed to {}",
                            quoted(old),
                            parsed.id
                        ),
                    )
                    .with_gene_key(&key)
                    .with_cortical_id(&source)
                    .with_destination_id(dest_written),
                );
            }
            let Value::Array(items) = list else {
                return Err(site.malformed(format!(
                    "the rules of a destination must be a list, found {}",
                    type_name(list)
                )));
            };
            let mut rules = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let site = RuleSite { index: i, ..site };
                rules.push(parse_rule(
                    &site,
                    item,
                    destination,
                    morphologies,
                    physiology.plasticity_queue_depth,
                    warnings,
                )?);
            }
            if !rules.is_empty() {
                by_destination.insert(destination, rules);
            }
        }
        area.rules = by_destination.into_values().flatten().collect();
        out.push(area);
    }
    Ok(out)
}

/// SPEC §6.1: an `associative_memory` rule A->B needs a B->A list; when B has
/// none, it gets a copy of A's list for B.
pub(crate) fn mirror_associative_memory(
    areas: &mut [GenomeArea],
    warnings: &mut Vec<GenomeWarning>,
) {
    let assoc = FunctionMorphology::AssociativeMemory.id();
    let mut additions: Vec<(usize, Vec<MappingRule>)> = Vec::new();
    for (a_index, area) in areas.iter().enumerate() {
        let a = a_index as AreaIndex;
        let destinations: BTreeSet<AreaIndex> = area
            .rules
            .iter()
            .filter(|r| r.morphology_id == assoc)
            .map(|r| r.destination)
            .collect();
        for b in destinations {
            let Some(b_area) = usize::try_from(b).ok().and_then(|i| areas.get(i)) else {
                continue;
            };
            if b_area.rules.iter().any(|r| r.destination == a) {
                continue;
            }
            let copy: Vec<MappingRule> = area
                .rules
                .iter()
                .filter(|r| r.destination == b)
                .map(|r| MappingRule {
                    destination: a,
                    destination_written: area.written_id.clone(),
                    mirrored: true,
                    ..r.clone()
                })
                .collect();
            warnings.push(
                GenomeWarning::new(
                    WarningKind::MirroredRule,
                    format!(
                        "associative_memory needs {} -> {}: copied the {} -> {} rules",
                        b_area.area.id, area.area.id, area.area.id, b_area.area.id
                    ),
                )
                .with_cortical_id(&b_area.written_id)
                .with_destination_id(&area.written_id),
            );
            additions.push((b as usize, copy));
        }
    }
    for (b, copy) in additions {
        if let Some(area) = areas.get_mut(b) {
            area.rules.extend(copy);
            // Keep synaptogenesis order: ascending destination, then rule index.
            area.rules.sort_by_key(|r| (r.destination, r.rule_index));
        }
    }
}

/// Load-time checks of M2 features (SPEC §6): STDP pairs registered twice,
/// episodic relations without a memory area or twin (warnings); a twin that
/// names a missing area fails the load with `MissingDestinationArea`. The
/// "inactive" warning for M1 semantics is the NPU's to give (it depends on
/// whether plasticity is switched on), so it is flagged here with its own kind.
/// Returns whether the genome uses plasticity or memory at all.
pub(crate) fn memory_warnings(
    areas: &[GenomeArea],
    morphologies: &BTreeMap<String, MorphologyEntry>,
    warnings: &mut Vec<GenomeWarning>,
) -> Result<bool, GenomeError> {
    let mut stdp_pairs: BTreeSet<(AreaIndex, AreaIndex)> = BTreeSet::new();
    let mut uses_m2 = areas.iter().any(|a| a.is_memory());
    for (a_index, area) in areas.iter().enumerate() {
        let a = a_index as AreaIndex;
        for rule in &area.rules {
            if rule.registers_stdp() {
                uses_m2 = true;
                if !stdp_pairs.insert((a, rule.destination)) {
                    warnings.push(
                        GenomeWarning::new(
                            WarningKind::DuplicateStdp,
                            "several rules register STDP for this area pair; the last one wins",
                        )
                        .with_cortical_id(&area.written_id)
                        .with_destination_id(&rule.destination_written)
                        .with_rule_index(rule.rule_index as usize),
                    );
                }
            }
            let function = match morphologies.get(&rule.morphology_id).map(|e| &e.morphology) {
                Some(Morphology::Functions(f)) => Some(*f),
                _ => None,
            };
            if matches!(
                function,
                Some(FunctionMorphology::EpisodicMemory | FunctionMorphology::MemoryReplay)
            ) {
                uses_m2 = true;
            }
            if function == Some(FunctionMorphology::EpisodicMemory) {
                let destination = usize::try_from(rule.destination)
                    .ok()
                    .and_then(|i| areas.get(i));
                if let Some(m) = destination {
                    if !m.is_memory() {
                        warnings.push(
                            GenomeWarning::new(
                                WarningKind::MemoryReference,
                                format!(
                                    "episodic_memory rule into {}, which is not a memory area; no memory relation is recorded",
                                    m.area.id
                                ),
                            )
                            .with_cortical_id(&area.written_id)
                            .with_destination_id(&rule.destination_written)
                            .with_rule_index(rule.rule_index as usize),
                        );
                    } else if !areas
                        .iter()
                        .any(|t| t.memory.memory_twin_of == Some(area.area.id))
                    {
                        warnings.push(
                            GenomeWarning::new(
                                WarningKind::MemoryReference,
                                format!(
                                    "no area is the memory twin of {}; replay of it will be skipped (M2)",
                                    area.area.id
                                ),
                            )
                            .with_cortical_id(&area.written_id)
                            .with_destination_id(&rule.destination_written)
                            .with_rule_index(rule.rule_index as usize),
                        );
                    }
                }
            }
        }
    }
    for area in areas {
        if let Some(twin) = area.memory.memory_twin_of {
            if !areas.iter().any(|a| a.area.id == twin) {
                return Err(GenomeError::new(
                    GenomeErrorKind::MissingDestinationArea,
                    format!("memory_twin_of names {twin}, which is not in the genome"),
                )
                .with_cortical_id(&area.written_id)
                .with_gene_key("memory_twin_of"));
            }
        }
    }
    Ok(uses_m2)
}

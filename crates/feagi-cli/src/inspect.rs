//! `feagi-npu inspect`: the areas of a genome as developed, with totals, and
//! what can learn in it (SPEC §6): the STDP pairs and memory areas the NPU
//! registered after development, i.e. what actually runs.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use feagi_burst_engine::snapshot::{
    SNAPSHOT_FORMAT_VERSION, SNAPSHOT_FORMAT_VERSION_WHOLE, SNAPSHOT_MAGIC,
};
use feagi_burst_engine::{AreaIndex, NpuConfig, RustNPU, SynapseType};

use crate::error::Result;
use crate::run::{load_genome, MemoryLimitArg};

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Genome JSON file or snapshot (`run --save`); the embedded default
    /// genome when omitted.
    pub genome: Option<PathBuf>,
    /// Seed of synaptogenesis.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub limits: MemoryLimitArg,
}

#[derive(serde::Serialize)]
struct AreaRow {
    index: u32,
    cortical_id: String,
    written_id: String,
    name: String,
    kind: &'static str,
    dimensions: [u32; 3],
    neurons_per_voxel: u32,
    neurons: usize,
    first_neuron: Option<u32>,
    outgoing_synapses: u64,
    incoming_synapses: u64,
    morphologies: Vec<String>,
}

/// One registered STDP pair (SPEC §6.1): the `stdp_pairs` entries of `--json`.
#[derive(serde::Serialize)]
struct StdpRow {
    /// A, the pre-synaptic area (canonical cortical id).
    source: String,
    /// B, the post-synaptic area.
    destination: String,
    source_index: AreaIndex,
    destination_index: AreaIndex,
    /// C, Lp, Ld: the steps are clamp(C*Lp, 0, 255) and clamp(C*Ld, 0, 255).
    plasticity_constant: i64,
    ltp_multiplier: i64,
    ltd_multiplier: i64,
    /// W, in bursts.
    window: u32,
    /// True for `associative_memory` pairs: they also create synapses.
    bidirectional: bool,
    /// PSP and type of the synapses a bidirectional pair creates.
    psp: u8,
    synapse_type: &'static str,
    /// A -> B synapses after development.
    synapses: u64,
}

/// One memory area (SPEC §6.2): the `memory_areas` entries of `--json`.
#[derive(serde::Serialize)]
struct MemoryRow {
    cortical_id: String,
    index: AreaIndex,
    temporal_depth: u32,
    init_lifespan: u32,
    lifespan_growth_rate: u32,
    longterm_mem_threshold: u32,
    /// Areas whose patterns it remembers (`episodic_memory` sources).
    upstream: Vec<String>,
    /// Replay targets: for each upstream area, the areas that replay it.
    twins: Vec<TwinRow>,
}

#[derive(serde::Serialize)]
struct TwinRow {
    /// The upstream area whose remembered voxels are replayed.
    of: String,
    /// The area that receives the replay (`memory_twin_of` names `of`).
    twin: String,
}

#[derive(serde::Serialize)]
struct Report {
    genome: String,
    title: Option<String>,
    version: String,
    simulation_timestep_s: f64,
    burst_rate_hz: f64,
    neurons: usize,
    synapses: usize,
    areas: Vec<AreaRow>,
    stdp_pairs: Vec<StdpRow>,
    memory_areas: Vec<MemoryRow>,
    warnings: Vec<feagi_genome::GenomeWarning>,
}

fn area_name(npu: &RustNPU, index: AreaIndex) -> String {
    npu.area_id(index)
        .map_or_else(|_| format!("#{index}"), |id| id.to_string())
}

/// The STDP pairs and memory areas the NPU registered, with the A -> B
/// synapse count of each pair from `pair_synapses`.
fn plastic_rows(
    npu: &RustNPU,
    pair_synapses: &std::collections::BTreeMap<(AreaIndex, AreaIndex), u64>,
) -> (Vec<StdpRow>, Vec<MemoryRow>) {
    let stdp = npu
        .stdp_registrations()
        .map(|r| StdpRow {
            source: area_name(npu, r.source_area),
            destination: area_name(npu, r.destination_area),
            source_index: r.source_area,
            destination_index: r.destination_area,
            plasticity_constant: r.plasticity_constant,
            ltp_multiplier: r.ltp_multiplier,
            ltd_multiplier: r.ltd_multiplier,
            window: r.window,
            bidirectional: r.bidirectional,
            psp: r.psp,
            synapse_type: match r.synapse_type {
                SynapseType::Excitatory => "excitatory",
                SynapseType::Inhibitory => "inhibitory",
            },
            synapses: pair_synapses
                .get(&(r.source_area, r.destination_area))
                .copied()
                .unwrap_or(0),
        })
        .collect();
    let memory = npu
        .memory_areas()
        .map(|g| {
            let upstream: Vec<AreaIndex> = npu
                .memory_relations()
                .iter()
                .filter(|r| r.memory_area == g.area)
                .map(|r| r.upstream)
                .collect();
            let twins = upstream
                .iter()
                .flat_map(|&u| {
                    npu.memory_twins()
                        .iter()
                        .filter(move |t| t.of == u)
                        .map(|t| TwinRow {
                            of: area_name(npu, t.of),
                            twin: area_name(npu, t.twin),
                        })
                })
                .collect();
            MemoryRow {
                cortical_id: area_name(npu, g.area),
                index: g.area,
                temporal_depth: g.temporal_depth,
                init_lifespan: g.init_lifespan,
                lifespan_growth_rate: g.lifespan_growth_rate,
                longterm_mem_threshold: g.longterm_mem_threshold,
                upstream: upstream.iter().map(|&u| area_name(npu, u)).collect(),
                twins,
            }
        })
        .collect();
    (stdp, memory)
}

/// Whether `path` starts like a snapshot (`feagi-npu run --save`).
fn is_snapshot(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == SNAPSHOT_MAGIC
}

#[derive(serde::Serialize)]
struct RankReport {
    rank: usize,
    ranks: usize,
    first_neuron: u32,
    end_neuron: u32,
}

/// What `inspect` shows of a snapshot.
#[derive(serde::Serialize)]
struct SnapshotReport {
    snapshot: String,
    format_version: u32,
    /// For one rank of a distributed brain: the rank, the number of ranks
    /// and its neurons (`synapses` are then the synapses into them).
    #[serde(skip_serializing_if = "Option::is_none")]
    rank: Option<RankReport>,
    burst: u64,
    seed: u64,
    plasticity: bool,
    has_genome: bool,
    neurons: usize,
    synapses: usize,
    areas: Vec<SnapshotArea>,
    stdp_pairs: Vec<StdpRow>,
    memory_areas: Vec<MemoryRow>,
    memory_neurons_created: usize,
    memory_neurons_alive: usize,
    memory_neurons_long_term: usize,
}

#[derive(serde::Serialize)]
struct SnapshotArea {
    index: u32,
    cortical_id: String,
    name: String,
    kind: &'static str,
    dimensions: [u32; 3],
    neurons: usize,
    memory_neurons: usize,
}

fn inspect_snapshot(path: &Path, json: bool) -> Result<ExitCode> {
    let npu = RustNPU::load(path)?;
    let memory: Vec<_> = npu.memory_store().iter().collect();
    let alive = memory.iter().filter(|(_, n)| n.alive).count();
    let long_term = memory
        .iter()
        .filter(|(_, n)| n.alive && n.long_term)
        .count();
    let (stdp_pairs, memory_areas) = plastic_rows(&npu, &pair_synapse_counts(&npu));
    let report = SnapshotReport {
        snapshot: path.display().to_string(),
        // A rank of a partitioned brain is written as version 2, a whole
        // brain as version 1 (docs/SNAPSHOT.md).
        format_version: if npu.partition().is_some() {
            SNAPSHOT_FORMAT_VERSION
        } else {
            SNAPSHOT_FORMAT_VERSION_WHOLE
        },
        rank: npu.partition().map(|(p, rank)| RankReport {
            rank,
            ranks: p.ranks(),
            first_neuron: p.range(rank).start,
            end_neuron: p.range(rank).end,
        }),
        burst: npu.burst_count(),
        seed: npu.config().seed,
        plasticity: npu.plasticity_enabled(),
        has_genome: npu.genome_source().is_some(),
        neurons: npu.neuron_count(),
        synapses: npu.synapse_count(),
        areas: npu
            .areas()
            .map(|a| SnapshotArea {
                index: a.index,
                cortical_id: a.area.id.to_string(),
                name: a.area.name.clone(),
                kind: a.area.kind.as_str(),
                dimensions: a.area.dimensions,
                neurons: a.neuron_count,
                memory_neurons: memory
                    .iter()
                    .filter(|(_, n)| n.alive && n.area == a.index)
                    .count(),
            })
            .collect(),
        stdp_pairs,
        memory_areas,
        memory_neurons_created: memory.len(),
        memory_neurons_alive: alive,
        memory_neurons_long_term: long_term,
    };
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "snapshot  {} (format version {})",
        report.snapshot,
        report.format_version
    );
    if let Some(r) = &report.rank {
        outln!(
            "rank      {} of {} (neurons {}..{}; the synapses listed are those into them)",
            r.rank,
            r.ranks,
            r.first_neuron,
            r.end_neuron
        );
    }
    outln!(
        "burst     {} (seed {}, plasticity {}, genome {})",
        report.burst,
        report.seed,
        if report.plasticity { "on" } else { "off" },
        if report.has_genome {
            "included"
        } else {
            "not recorded"
        }
    );
    outln!();
    outln!(
        "{:>5} {:<10} {:<24} {:<7} {:<14} {:>9} {:>9}",
        "index",
        "id",
        "name",
        "kind",
        "dimensions",
        "neurons",
        "memory"
    );
    for a in &report.areas {
        let dims = format!(
            "{}x{}x{}",
            a.dimensions[0], a.dimensions[1], a.dimensions[2]
        );
        let name: String = a.name.chars().take(24).collect();
        outln!(
            "{:>5} {:<10} {:<24} {:<7} {:<14} {:>9} {:>9}",
            a.index,
            a.cortical_id,
            name,
            a.kind,
            dims,
            a.neurons,
            a.memory_neurons
        );
    }
    outln!();
    print_stdp(&report.stdp_pairs);
    print_memory(&report.memory_areas);
    outln!(
        "learned state: {} STDP pairs, {} memory neurons alive ({} long-term, {} ever created)",
        report.stdp_pairs.len(),
        report.memory_neurons_alive,
        report.memory_neurons_long_term,
        report.memory_neurons_created
    );
    outln!(
        "total: {} areas, {} neurons, {} synapses",
        report.areas.len(),
        report.neurons,
        report.synapses
    );
    Ok(ExitCode::SUCCESS)
}

/// A -> B synapse counts of the registered STDP pairs.
fn pair_synapse_counts(npu: &RustNPU) -> std::collections::BTreeMap<(AreaIndex, AreaIndex), u64> {
    let area_of = npu.neurons().area();
    let mut pairs: std::collections::BTreeMap<(AreaIndex, AreaIndex), u64> = npu
        .stdp_registrations()
        .map(|r| ((r.source_area, r.destination_area), 0))
        .collect();
    if pairs.is_empty() {
        return pairs;
    }
    for s in 0..npu.neurons().len() {
        for &t in npu.synapses().row(s as u32).target {
            if let Some(n) = pairs.get_mut(&(area_of[s], area_of[t as usize])) {
                *n += 1;
            }
        }
    }
    pairs
}

pub fn inspect(args: InspectArgs) -> Result<ExitCode> {
    if let Some(path) = args.genome.as_deref().filter(|p| is_snapshot(p)) {
        return inspect_snapshot(path, args.json);
    }
    let options = args.limits.options();
    let (genome, label, _) = load_genome(args.genome.as_ref(), &options)?;
    let npu = RustNPU::from_genome_with_options(
        &genome,
        NpuConfig {
            seed: args.seed,
            ..NpuConfig::default()
        },
        &options,
    )?;
    let area_of = npu.neurons().area();
    let mut outgoing = vec![0u64; npu.area_count()];
    let mut incoming = vec![0u64; npu.area_count()];
    for s in 0..npu.neurons().len() {
        let row = npu.synapses().row(s as u32);
        outgoing[area_of[s] as usize] += row.len() as u64;
        for &t in row.target {
            incoming[area_of[t as usize] as usize] += 1;
        }
    }
    let pair_synapses = pair_synapse_counts(&npu);
    let (stdp_pairs, memory_areas) = plastic_rows(&npu, &pair_synapses);
    let areas: Vec<AreaRow> = npu
        .areas()
        .zip(genome.areas())
        .map(|(a, g)| AreaRow {
            index: a.index,
            cortical_id: a.area.id.to_string(),
            written_id: g.written_id().to_string(),
            name: a.area.name.clone(),
            kind: a.area.kind.as_str(),
            dimensions: a.area.dimensions,
            neurons_per_voxel: a.area.neurons_per_voxel,
            neurons: a.neuron_count,
            first_neuron: a.first_neuron,
            outgoing_synapses: outgoing[a.index as usize],
            incoming_synapses: incoming[a.index as usize],
            morphologies: g.morphology_ids().to_vec(),
        })
        .collect();
    let timestep = genome.simulation_timestep();
    let report = Report {
        genome: label,
        title: genome.title().map(str::to_string),
        version: genome.version().to_string(),
        simulation_timestep_s: timestep,
        burst_rate_hz: 1.0 / timestep,
        neurons: npu.neuron_count(),
        synapses: npu.synapse_count(),
        areas,
        stdp_pairs,
        memory_areas,
        warnings: genome.warnings().to_vec(),
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "genome    {} ({})",
        report.genome,
        report.title.as_deref().unwrap_or("untitled")
    );
    outln!("version   {}", report.version);
    outln!(
        "physiology: simulation_timestep {} s -> {:.1} Hz burst rate",
        timestep,
        report.burst_rate_hz
    );
    outln!();
    outln!(
        "{:>5} {:<10} {:<24} {:<7} {:<14} {:>4} {:>9} {:>9} {:>9} {:>9}  morphologies",
        "index",
        "id",
        "name",
        "kind",
        "dimensions",
        "n/v",
        "neurons",
        "first id",
        "out syn",
        "in syn"
    );
    for a in &report.areas {
        let dims = format!(
            "{}x{}x{}",
            a.dimensions[0], a.dimensions[1], a.dimensions[2]
        );
        let name: String = a.name.chars().take(24).collect();
        let first = a
            .first_neuron
            .map(|f| f.to_string())
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:>5} {:<10} {:<24} {:<7} {:<14} {:>4} {:>9} {:>9} {:>9} {:>9}  {}",
            a.index,
            a.cortical_id,
            name,
            a.kind,
            dims,
            a.neurons_per_voxel,
            a.neurons,
            first,
            a.outgoing_synapses,
            a.incoming_synapses,
            a.morphologies.join(", ")
        );
    }
    outln!();
    print_plastic(&report);
    outln!(
        "total: {} areas, {} neurons, {} synapses, {} warnings",
        report.areas.len(),
        report.neurons,
        report.synapses,
        report.warnings.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The STDP pairs and memory areas, as tables (nothing when there are none).
fn print_plastic(report: &Report) {
    print_stdp(&report.stdp_pairs);
    print_memory(&report.memory_areas);
}

fn print_stdp(stdp_pairs: &[StdpRow]) {
    if !stdp_pairs.is_empty() {
        outln!(
            "STDP pairs ({}, as registered after development):",
            stdp_pairs.len()
        );
        outln!(
            "  {:<10}    {:<10} {:>5} {:>5} {:>5} {:>7}  {:<13} {:>9}",
            "source",
            "destination",
            "C",
            "Lp",
            "Ld",
            "window",
            "bidirectional",
            "synapses"
        );
        for p in stdp_pairs {
            outln!(
                "  {:<10} -> {:<10} {:>5} {:>5} {:>5} {:>7}  {:<13} {:>9}",
                p.source,
                p.destination,
                p.plasticity_constant,
                p.ltp_multiplier,
                p.ltd_multiplier,
                p.window,
                if p.bidirectional { "yes" } else { "no" },
                p.synapses
            );
        }
        outln!();
    }
}

fn print_memory(memory_areas: &[MemoryRow]) {
    if !memory_areas.is_empty() {
        outln!("memory areas ({}):", memory_areas.len());
        outln!(
            "  {:<10} {:>5} {:>14} {:>13} {:>20} {:>22}  upstream; twins",
            "id",
            "index",
            "temporal_depth",
            "init_lifespan",
            "lifespan_growth_rate",
            "longterm_mem_threshold"
        );
        for m in memory_areas {
            let twins: Vec<String> = m
                .twins
                .iter()
                .map(|t| format!("{} -> {}", t.of, t.twin))
                .collect();
            outln!(
                "  {:<10} {:>5} {:>14} {:>13} {:>20} {:>22}  {}; {}",
                m.cortical_id,
                m.index,
                m.temporal_depth,
                m.init_lifespan,
                m.lifespan_growth_rate,
                m.longterm_mem_threshold,
                if m.upstream.is_empty() {
                    "none".to_string()
                } else {
                    m.upstream.join(", ")
                },
                if twins.is_empty() {
                    "none".to_string()
                } else {
                    twins.join(", ")
                }
            );
        }
        outln!();
    }
}

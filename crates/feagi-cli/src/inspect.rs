//! `feagi-npu inspect`: the areas of a genome as developed, with totals.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use feagi_burst_engine::{NpuConfig, RustNPU};

use crate::error::Result;
use crate::run::load_genome;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Genome JSON file (the embedded default genome when omitted).
    pub genome: Option<PathBuf>,
    /// Seed of synaptogenesis.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
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
    warnings: Vec<feagi_genome::GenomeWarning>,
}

pub fn inspect(args: InspectArgs) -> Result<ExitCode> {
    let (genome, label) = load_genome(args.genome.as_ref())?;
    let npu = RustNPU::from_genome(
        &genome,
        NpuConfig {
            seed: args.seed,
            ..NpuConfig::default()
        },
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
        warnings: genome.warnings().to_vec(),
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "genome    {} ({})",
        report.genome,
        report.title.as_deref().unwrap_or("untitled")
    );
    println!("version   {}", report.version);
    println!(
        "physiology: simulation_timestep {} s -> {:.1} Hz burst rate",
        timestep, report.burst_rate_hz
    );
    println!();
    println!(
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
        println!(
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
    println!();
    println!(
        "total: {} areas, {} neurons, {} synapses, {} warnings",
        report.areas.len(),
        report.neurons,
        report.synapses,
        report.warnings.len()
    );
    Ok(ExitCode::SUCCESS)
}

//! `feagi-npu gen-genome`: write a valid FEAGI genome of a chosen size, so
//! large brains can be tested through the whole genome path.
//!
//! The genome is a ring of four areas (input, two hidden, output), each
//! mapping to the next with K synapses per neuron: K `randomizer` rules
//! (random targets) or one `vectors` morphology of K offsets along x (local
//! targets). Every synapse delivers 1 (PSP K, weight 1, divided by the K
//! outgoing synapses); hidden and output thresholds of 5 make activity
//! decay within two hops, so the brain stays busy but bounded under input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use feagi_genome::DEFAULT_MAX_SYNAPSES;
use feagi_types::MAX_REGULAR_NEURONS;
use serde_json::{json, Map, Value};

use crate::bench::TargetsArg;
use crate::error::{CliError, Result};

#[derive(Args, Debug)]
pub struct GenGenomeArgs {
    /// Regular neurons in total (split over four areas), 4..=50000000 (the
    /// most a genome may develop).
    #[arg(long, default_value_t = 1_200_000, value_parser = parse_neurons)]
    pub neurons: u32,
    /// Synapses per neuron, 1..=10000; neurons x fanout at most 1e9 (the
    /// loader's default synapse budget) unless --force.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub fanout: u32,
    #[arg(long, value_enum, default_value_t = TargetsArg::Random)]
    pub targets: TargetsArg,
    /// Recorded in the genome id; synaptogenesis takes its seed at load time.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the genome.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// Write a genome over the synapse budget anyway: `run`, `validate` and
    /// `inspect` refuse it, the Rust API loads it with a larger
    /// `LoadOptions::max_synapses` (`RustNPU::from_genome_with_options`).
    /// The neuron limit still holds.
    #[arg(long)]
    pub force: bool,
}

/// `--neurons`: 4 (one per area) up to the regular-neuron limit.
fn parse_neurons(text: &str) -> std::result::Result<u32, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (4..=MAX_REGULAR_NEURONS).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!(
                "expected 4..={MAX_REGULAR_NEURONS} neurons (a genome may develop at most {MAX_REGULAR_NEURONS} regular neurons)"
            )
        })
}

const AREAS: [(&str, &str, &str, f64); 4] = [
    ("i_gen0", "IPU", "generated input", 1.0),
    ("c_gen1", "CUSTOM", "generated hidden 1", 5.0),
    ("c_gen2", "CUSTOM", "generated hidden 2", 5.0),
    ("o_gen3", "OPU", "generated output", 5.0),
];

/// The genome as JSON.
pub fn generate(args: &GenGenomeArgs) -> Result<Value> {
    if args.neurons < 4 {
        return Err(CliError::Usage("--neurons must be at least 4".into()));
    }
    if args.neurons as u64 > MAX_REGULAR_NEURONS {
        return Err(CliError::Usage(format!(
            "--neurons {} is over the {MAX_REGULAR_NEURONS} regular neurons a genome may develop: the loader would refuse it",
            args.neurons
        )));
    }
    if args.fanout == 0 || args.fanout > 10_000 {
        return Err(CliError::Usage("--fanout must lie in 1..=10000".into()));
    }
    let synapses = args.neurons as u64 * args.fanout as u64;
    if synapses > DEFAULT_MAX_SYNAPSES && !args.force {
        return Err(CliError::Usage(format!(
            "--neurons {} x --fanout {} = {synapses} synapses, over the loader's synapse budget of {DEFAULT_MAX_SYNAPSES}: run, validate and inspect would refuse it (--force writes it anyway)",
            args.neurons, args.fanout
        )));
    }
    let per_area = args.neurons / 4;
    let mut blueprint = Map::new();
    let mut gene = |id: &str, exon: &str, v: Value| {
        blueprint.insert(format!("_____10c-{id}-cx-{exon}"), v);
    };
    for (k, (id, group, name, threshold)) in AREAS.iter().enumerate() {
        let size = if k == 3 {
            args.neurons - 3 * per_area
        } else {
            per_area
        };
        let next = AREAS[(k + 1) % 4].0;
        let rules: Vec<Value> = match args.targets {
            TargetsArg::Random => (0..args.fanout)
                .map(|_| json!(["randomizer", [1, 1, 1], 1, false]))
                .collect(),
            TargetsArg::Local => vec![json!(["gen_local", [1, 1, 1], 1, false])],
        };
        gene(id, "__name-t", json!(name));
        gene(id, "_group-t", json!(group));
        gene(id, "___bbx-i", json!(size));
        gene(id, "___bby-i", json!(1));
        gene(id, "___bbz-i", json!(1));
        gene(id, "_n_cnt-i", json!(1));
        gene(id, "fire_t-f", json!(threshold));
        gene(id, "refrac-i", json!(1));
        gene(id, "leak_c-f", json!(0.5));
        gene(id, "pstcr_-f", json!(args.fanout.min(255)));
        gene(id, "dstmap-d", json!({ next: rules }));
    }
    let half = args.fanout as i64 / 2;
    let offsets: Vec<Value> = (-half..args.fanout as i64 - half)
        .map(|dx| json!([dx, 0, 0]))
        .collect();
    Ok(json!({
        "genome_id": format!("generated-{}-{}-{:?}-{}", args.neurons, args.fanout, args.targets, args.seed).to_lowercase(),
        "genome_title": format!("generated: {} neurons, {} synapses each", args.neurons, args.fanout),
        "version": "2.1",
        "physiology": { "simulation_timestep": 0.025 },
        "neuron_morphologies": {
            "randomizer": { "type": "functions", "parameters": {} },
            "gen_local": { "type": "vectors", "parameters": { "vectors": offsets } }
        },
        "blueprint": Value::Object(blueprint),
    }))
}

pub fn gen_genome(args: GenGenomeArgs) -> Result<ExitCode> {
    let genome = generate(&args)?;
    let file = std::fs::File::create(&args.output).map_err(|e| CliError::write(&args.output, e))?;
    serde_json::to_writer(std::io::BufWriter::new(file), &genome)
        .map_err(|e| CliError::write(&args.output, std::io::Error::other(e)))?;
    errln!(
        "wrote {} ({} neurons in 4 areas, {} synapses per neuron, {:?} targets)",
        args.output.display(),
        args.neurons,
        args.fanout,
        args.targets
    );
    Ok(ExitCode::SUCCESS)
}

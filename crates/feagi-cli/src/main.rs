//! `feagi-npu`: the command-line face of feagi-rust.

mod bench;
mod error;
mod gen_genome;
mod inspect;
mod raster;
mod record;
mod run;
mod stimulus;
mod summary;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Validate, inspect, run, record and benchmark FEAGI genomes with the feagi-rust NPU.
#[derive(Parser, Debug)]
#[command(name = "feagi-npu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Grow a genome into a brain and run bursts (the embedded default genome when none is given).
    Run(run::RunArgs),
    /// Load and develop genomes, printing every error and warning with its location.
    Validate(validate::ValidateArgs),
    /// Show a genome's cortical areas, their neurons and synapses, and its physiology.
    Inspect(inspect::InspectArgs),
    /// Measure burst times on synthetic networks, the ideal kernel, or a genome.
    Bench(bench::BenchArgs),
    /// Write a valid FEAGI genome of a chosen size (four areas, K synapses per neuron).
    GenGenome(gen_genome::GenGenomeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Bench(args) => bench::bench(args),
        Command::GenGenome(args) => gen_genome::gen_genome(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("feagi-npu: error: {e}");
            e.exit_code()
        }
    }
}

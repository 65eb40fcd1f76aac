//! `feagi-npu`: the command-line face of feagi-rust.
//!
//! Exit status: 0 success (a run stopped by Ctrl-C, SIGTERM or SIGHUP
//! included), 1 failure (a file that cannot be read or written, a genome or
//! snapshot the loader refuses, a signal before the first burst), 2 a bad
//! command line (an unknown option, a value out of range, a malformed
//! `--stimulate` or `--pattern`). Every error is one line on stderr.

/// `println!` that never panics: when stdout is gone (a pipe whose reader
/// left, a terminal that hung up) the text is lost, not the run's files.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that never panics (see `outln!`).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod bench;
mod distributed;
mod error;
mod gen_genome;
mod ideal;
mod inspect;
mod interrupt;
mod raster;
mod record;
mod run;
mod serve;
mod stimulus;
mod summary;
mod validate;

use std::process::ExitCode;

use crate::error::CliError;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

/// Validate, inspect, run, record and benchmark FEAGI genomes with the feagi-rust NPU.
#[derive(Parser, Debug)]
#[command(name = "feagi-npu", version, about, long_about = None)]
#[command(
    after_help = "Exit status: 0 success (also a run stopped by Ctrl-C, SIGTERM or SIGHUP), 1 failure, 2 bad command line."
)]
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
    /// Serve a brain to FEAGI clients (Brain Visualizer, agents): REST, WebSocket registration and visualization.
    Serve(serve::ServeArgs),
    /// Write a valid FEAGI genome of a chosen size (four areas, K synapses per neuron).
    GenGenome(gen_genome::GenGenomeArgs),
}

/// A clap error as one line: its first paragraph (the message and, for
/// choices, the possible values), without the usage block.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = first.join(" ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    format!("{message} (see --help)")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            return match e.kind() {
                // Help and version (and the help a bare `feagi-npu` shows) as clap prints them.
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
                }
                _ => {
                    errln!("feagi-npu: error: {}", one_line(&e));
                    ExitCode::from(2)
                }
            };
        }
    };
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::Inspect(args) => inspect::inspect(args),
        Command::Bench(args) => bench::bench(args),
        Command::GenGenome(args) => gen_genome::gen_genome(args),
        Command::Serve(args) => serve::serve(args),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Quiet) => ExitCode::from(1),
        Err(e) => {
            errln!("feagi-npu: error: {e}");
            e.exit_code()
        }
    }
}

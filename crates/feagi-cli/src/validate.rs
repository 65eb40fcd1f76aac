//! `feagi-npu validate`: load and develop genomes, print every problem.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use feagi_burst_engine::{Genome, GenomeError};
use feagi_genome::{develop, GenomeWarning};

use crate::error::Result;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Genome JSON files.
    #[arg(required = true)]
    pub genomes: Vec<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct FileReport {
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    neurons: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    synapses: Option<usize>,
    errors: Vec<GenomeError>,
    warnings: Vec<GenomeWarning>,
}

/// `text` with `file: ` in front unless it already starts with it.
fn located(file: &str, text: String) -> String {
    if text.starts_with(file) {
        text
    } else {
        format!("{file}: {text}")
    }
}

fn check(path: &PathBuf) -> FileReport {
    let file = path.display().to_string();
    let mut report = FileReport {
        file,
        ok: false,
        neurons: None,
        synapses: None,
        errors: vec![],
        warnings: vec![],
    };
    match Genome::from_path(path) {
        Err(e) => report.errors.push(e),
        Ok(genome) => {
            report.warnings = genome.warnings().to_vec();
            match develop(&genome, 0) {
                Ok(c) => {
                    report.ok = true;
                    report.neurons = Some(c.neurons.len());
                    report.synapses = Some(c.synapses.len());
                }
                Err(e) => report.errors.push(e.with_file(report.file.clone())),
            }
        }
    }
    report
}

pub fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let reports: Vec<FileReport> = args.genomes.iter().map(check).collect();
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        for r in &reports {
            for w in &r.warnings {
                outln!(
                    "{} [warning: {}]",
                    located(&r.file, w.to_string()),
                    w.kind.as_str()
                );
            }
            for e in &r.errors {
                outln!(
                    "{} [error: {}]",
                    located(&r.file, e.to_string()),
                    e.kind.as_str()
                );
            }
            match (r.ok, r.neurons, r.synapses) {
                (true, Some(n), Some(s)) => {
                    outln!(
                        "{}: ok ({n} neurons, {s} synapses, {} warnings)",
                        r.file,
                        r.warnings.len()
                    )
                }
                _ => outln!("{}: FAILED ({} error)", r.file, r.errors.len()),
            }
        }
    }
    Ok(if reports.iter().all(|r| r.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

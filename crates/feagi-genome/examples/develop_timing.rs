//! Loads and develops genomes and reports totals and timings.
//!
//! ```text
//! cargo run --release -p feagi-genome --example develop_timing -- FILE... [--runs N] [--seed S]
//! cargo run --release -p feagi-genome --example develop_timing -- --synthetic vectors|randomizer|attract
//! ```
//! For each file: areas / neurons / synapses and the median wall time of
//! `Genome::from_path` + `develop` over N runs (default 5). `--synthetic` builds
//! a 1.2M-neuron genome with about 100 synapses per neuron (vectors rule,
//! 100 randomizer rules, or a vectors rule at 50 % attractivity) and times it.

use feagi_genome::{develop_with_options, Genome, GenomeError, LoadOptions};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

fn synthetic(kind: &str) -> Value {
    // 1200 x 1000 x 1 = 1.2M neurons.
    let mut bp = Map::new();
    for (exon, v) in [("___bbx", 1200), ("___bby", 1000), ("___bbz", 1)] {
        bp.insert(format!("_____10c-cBig__-cx-{exon}-i"), json!(v));
    }
    let offsets: Vec<Value> = (-5..5)
        .flat_map(|dx| (-5..5).map(move |dy| json!([dx, dy, 0])))
        .collect();
    let mut morphologies = Map::new();
    morphologies.insert(
        "hundred".into(),
        json!({"type": "vectors", "parameters": {"vectors": offsets}}),
    );
    morphologies.insert(
        "randomizer".into(),
        json!({"type": "functions", "parameters": {}}),
    );
    let rules: Vec<Value> = match kind {
        "randomizer" => (0..100)
            .map(|_| json!(["randomizer", [1, 1, 1], 1, false]))
            .collect(),
        "attract" => vec![json!({"morphology_id": "hundred", "synapse_attractivity": 50})],
        _ => vec![json!(["hundred", [1, 1, 1], 1, false])],
    };
    bp.insert(
        "_____10c-cBig__-cx-dstmap-d".into(),
        json!({ "cBig__": rules }),
    );
    json!({"version": "2.0", "neuron_morphologies": morphologies, "blueprint": bp})
}

fn time_runs(
    runs: usize,
    mut f: impl FnMut() -> Result<(Genome, feagi_types::Connectome), GenomeError>,
) -> (
    Duration,
    Result<(Genome, feagi_types::Connectome), GenomeError>,
) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let r = f();
        times.push(start.elapsed());
        last = Some(r);
    }
    times.sort();
    let median = times[times.len() / 2];
    (median, last.expect("at least one run"))
}

fn report(
    label: &str,
    median: Duration,
    result: Result<(Genome, feagi_types::Connectome), GenomeError>,
) {
    match result {
        Ok((genome, c)) => println!(
            "{label}: areas {} neurons {} synapses {} warnings {} median {:.3} ms",
            c.areas.len(),
            c.neurons.len(),
            c.synapses.len(),
            genome.warnings().len(),
            median.as_secs_f64() * 1e3
        ),
        Err(e) => println!("{label}: error {:?}: {e}", e.kind),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut runs = 5usize;
    let mut seed = 0u64;
    let mut files = Vec::new();
    let mut synthetic_kinds = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().ok_or("--runs needs a value")?.parse()?,
            "--seed" => seed = args.next().ok_or("--seed needs a value")?.parse()?,
            "--synthetic" => synthetic_kinds.push(args.next().ok_or("--synthetic needs a kind")?),
            _ => files.push(arg),
        }
    }
    let options = LoadOptions::default();
    for file in files {
        let (median, result) = time_runs(runs, || {
            let g = Genome::from_path(&file)?;
            let c = develop_with_options(&g, seed, &options)?;
            Ok((g, c))
        });
        report(&file, median, result);
    }
    for kind in synthetic_kinds {
        let text = synthetic(&kind).to_string();
        let (median, result) = time_runs(runs, || {
            let g = Genome::from_json_str(&text)?;
            let c = develop_with_options(&g, seed, &options)?;
            Ok((g, c))
        });
        report(&format!("synthetic {kind}"), median, result);
    }
    Ok(())
}

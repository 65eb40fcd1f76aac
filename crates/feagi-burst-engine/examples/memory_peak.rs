//! Measures what loading, developing and building an NPU really peak at, next
//! to the estimate of `feagi_genome::estimate_memory` (docs/GENOME.md, "Limits").
//!
//! ```text
//! cargo run --release -p feagi-burst-engine --example memory_peak -- --neurons 1200000 --fanout 100
//! cargo run --release -p feagi-burst-engine --example memory_peak -- --file genome.json
//! ```
//! The generated genome is `feagi-npu gen-genome`'s ring of four areas with
//! `--fanout` randomizer rules each (`--local`: one vectors rule of that many
//! offsets). Peaks are the process's `VmHWM` (Linux), so run one size per process
//! and compare sizes: the slope is the cost per neuron or per synapse.

use feagi_burst_engine::{NpuConfig, RustNPU};
use feagi_genome::{develop_with_options, estimate_memory, Genome, LoadOptions};
use std::time::Instant;

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

fn report(stage: &str, start: Instant) {
    println!(
        "{stage:>10}: VmHWM {:>9} KiB  VmRSS {:>9} KiB  at {:.2} s",
        status_kib("VmHWM:"),
        status_kib("VmRSS:"),
        start.elapsed().as_secs_f64()
    );
}

fn generated(neurons: u64, fanout: u64, local: bool) -> String {
    let areas = ["i_gen0", "c_gen1", "c_gen2", "o_gen3"];
    let per_area = neurons / 4;
    let mut genes = Vec::new();
    for (k, id) in areas.iter().enumerate() {
        let size = if k == 3 {
            neurons - 3 * per_area
        } else {
            per_area
        };
        let next = areas[(k + 1) % 4];
        let rules: Vec<String> = if local {
            vec![r#"["gen_local", [1, 1, 1], 1, false]"#.to_string()]
        } else {
            (0..fanout)
                .map(|_| r#"["randomizer", [1, 1, 1], 1, false]"#.to_string())
                .collect()
        };
        genes.push(format!(r#""_____10c-{id}-cx-___bbx-i": {size}"#));
        genes.push(format!(r#""_____10c-{id}-cx-___bby-i": 1"#));
        genes.push(format!(r#""_____10c-{id}-cx-___bbz-i": 1"#));
        genes.push(format!(
            r#""_____10c-{id}-cx-dstmap-d": {{"{next}": [{}]}}"#,
            rules.join(",")
        ));
    }
    let half = fanout as i64 / 2;
    let offsets: Vec<String> = (-half..fanout as i64 - half)
        .map(|dx| format!("[{dx}, 0, 0]"))
        .collect();
    format!(
        r#"{{"version": "2.1", "neuron_morphologies": {{"randomizer": {{"type": "functions", "parameters": {{}}}}, "gen_local": {{"type": "vectors", "parameters": {{"vectors": [{}]}}}}}}, "blueprint": {{{}}}}}"#,
        offsets.join(","),
        genes.join(",")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let neurons: u64 = value("--neurons").map_or(Ok(1_200_000), |v| v.parse())?;
    let fanout: u64 = value("--fanout").map_or(Ok(100), |v| v.parse())?;
    let local = args.iter().any(|a| a == "--local");
    let stop_after_develop = args.iter().any(|a| a == "--develop-only");
    let options = LoadOptions::default().with_memory_limit(Some(u64::MAX));
    let start = Instant::now();
    report("start", start);
    let genome = match value("--file") {
        Some(path) => Genome::from_path_with_options(path, &options)?,
        None => Genome::from_json_str_with_options(&generated(neurons, fanout, local), &options)?,
    };
    report("loaded", start);
    let e = estimate_memory(&genome, &options);
    println!(
        "  estimate: {} neurons, {} synapses ({}..{}), {} bytes ({} KiB)",
        e.neurons,
        e.synapses,
        e.min_synapses,
        e.max_synapses,
        e.bytes,
        e.bytes / 1024
    );
    let connectome = develop_with_options(&genome, 0, &options)?;
    println!(
        "  developed: {} neurons, {} synapses",
        connectome.neurons.len(),
        connectome.synapses.len()
    );
    report("developed", start);
    if stop_after_develop {
        return Ok(());
    }
    let npu = RustNPU::from_connectome(connectome, NpuConfig::default())?;
    report("npu", start);
    println!("  npu: {} neurons", npu.neuron_count());
    Ok(())
}

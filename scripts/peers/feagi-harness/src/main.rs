//! Times FEAGI's burst engine (`feagi-npu-burst-engine` from crates.io) on the
//! synthetic networks of `feagi-npu bench synthetic`: the same N neurons in
//! one area, the same K synapses per neuron (targets and weights from the same
//! seed, PSP 1, excitatory), the same neurons driven each burst, thresholds
//! out of reach of synaptic input and driven neurons staged above them, so
//! exactly round(F*N) neurons fire per burst in both engines.
//!
//! Usage: feagi-peer-harness --neurons N --fanout K --firing F [--seed S]
//!        [--bursts B] [--warmup W]
//! Prints one JSON object (median, p99, build time, peak memory, fired counts).

use std::time::{Duration, Instant};

use feagi_burst_engine::synthetic::{self, Driver, SyntheticSpec, Targets, UNREACHABLE};
use feagi_npu_burst_engine::backend::CPUBackend;
use feagi_npu_burst_engine::RustNPU;
use feagi_npu_neural::types::{NeuronId, SynapticPsp, SynapticWeight};
use feagi_npu_neural::SynapseType;
use feagi_npu_runtime::StdRuntime;
use feagi_structures::genomic::cortical_area::CorticalID;

/// The area index of the synthetic area: above the core areas (0..=6), which
/// FEAGI fills with a neuron of their own when registered.
const AREA: u32 = 10;

/// Neurons added per `add_neurons_batch` call.
const NEURON_CHUNK: usize = 1 << 20;

struct Args {
    neurons: u32,
    fanout: u32,
    firing: f64,
    seed: u64,
    bursts: usize,
    warmup: usize,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        neurons: 100_000,
        fanout: 100,
        firing: 0.01,
        seed: 1,
        bursts: 1000,
        warmup: 100,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        match flag.as_str() {
            "--neurons" => a.neurons = value.parse().map_err(|e| bad(&e))?,
            "--fanout" => a.fanout = value.parse().map_err(|e| bad(&e))?,
            "--firing" => a.firing = value.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = value.parse().map_err(|e| bad(&e))?,
            "--bursts" => a.bursts = value.parse().map_err(|e| bad(&e))?,
            "--warmup" => a.warmup = value.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if a.neurons == 0 || a.bursts == 0 || !(0.0..=1.0).contains(&a.firing) {
        return Err("need --neurons >= 1, --bursts >= 1, --firing in 0..1".into());
    }
    Ok(a)
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

type Npu = RustNPU<StdRuntime, f32, CPUBackend>;

/// The network of `spec` in a fresh FEAGI NPU.
fn build(spec: &SyntheticSpec) -> Result<Npu, String> {
    let n = spec.neurons as usize;
    let synapses = n * spec.fanout as usize;
    let mut npu = Npu::new(StdRuntime, CPUBackend::new(), n, synapses, 20)
        .map_err(|e| format!("creating the NPU: {e:?}"))?;
    let id = CorticalID::try_from_bytes(b"cSynth__").map_err(|e| format!("{e:?}"))?;
    npu.register_cortical_area(AREA, id.as_base_64());
    for first in (0..n).step_by(NEURON_CHUNK) {
        let count = NEURON_CHUNK.min(n - first);
        let (created, failed) = npu.add_neurons_batch(
            vec![UNREACHABLE; count],
            vec![f32::MAX; count], // no threshold limit
            vec![0.0; count],      // no leak
            vec![0.0; count],      // resting potential
            vec![0; count],        // excitatory neuron type
            vec![0; count],        // refractory period
            vec![1.0; count],      // excitability: always fire
            vec![0; count],        // no consecutive-fire limit
            vec![0; count],        // snooze
            vec![false; count],    // no charge accumulation
            vec![AREA; count],
            (first as u32..(first + count) as u32).collect(),
            vec![0; count],
            vec![0; count],
        );
        if created as usize != count || !failed.is_empty() {
            return Err(format!("adding neurons: {created} of {count} created"));
        }
    }
    if npu.get_neuron_count() != n {
        return Err(format!(
            "FEAGI holds {} neurons, expected {n}",
            npu.get_neuron_count()
        ));
    }
    synthetic::for_each_synapse_chunk(spec, |sources, targets, weights| {
        let len = sources.len();
        npu.add_synapses_batch(
            sources.iter().map(|&s| NeuronId(s)).collect(),
            targets.iter().map(|&t| NeuronId(t)).collect(),
            weights
                .iter()
                .map(|&w| SynapticWeight(f32::from(w)))
                .collect(),
            vec![SynapticPsp(1.0); len],
            vec![SynapseType::Excitatory; len],
            None,
            vec![1; len], // the next burst, as in feagi-rust
        )
        .map_err(|e| format!("adding synapses: {e:?}"))
    })?;
    npu.rebuild_synapse_index();
    if npu.get_synapse_count() != synapses {
        return Err(format!(
            "FEAGI holds {} synapses, expected {synapses}",
            npu.get_synapse_count()
        ));
    }
    Ok(npu)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("feagi-peer-harness: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let a = parse()?;
    let spec = SyntheticSpec {
        neurons: a.neurons,
        fanout: a.fanout,
        firing: a.firing,
        targets: Targets::Random,
        seed: a.seed,
    };
    let t0 = Instant::now();
    let mut npu = build(&spec)?;
    let build_s = t0.elapsed().as_secs_f64();
    let mut driver = Driver::new(&spec);
    let driven = vec![UNREACHABLE * 2.0; driver.per_burst()];
    let mut staged = Vec::with_capacity(driver.per_burst());
    let mut times = Vec::with_capacity(a.bursts);
    let (mut fired_min, mut fired_max, mut events) = (usize::MAX, 0usize, 0u64);
    for b in 0..a.warmup + a.bursts {
        staged.clear();
        staged.extend(
            driver
                .next_selection()
                .iter()
                .zip(&driven)
                .map(|(&id, &v)| (NeuronId(id), v)),
        );
        npu.inject_sensory_with_potentials(&staged);
        let t = Instant::now();
        let r = npu
            .process_burst()
            .map_err(|e| format!("burst {}: {e:?}", b + 1))?;
        let took = t.elapsed();
        if b >= a.warmup {
            times.push(took);
            fired_min = fired_min.min(r.neuron_count);
            fired_max = fired_max.max(r.neuron_count);
            events += r.synaptic_injections as u64;
        }
    }
    let busy: Duration = times.iter().sum();
    times.sort();
    let report = serde_json::json!({
        "engine": "feagi-npu-burst-engine 0.0.53",
        "workload": format!(
            "synthetic neurons={} fanout={} firing={} seed={}",
            a.neurons, a.fanout, a.firing, a.seed
        ),
        "neurons": a.neurons,
        "synapses": a.neurons as u64 * a.fanout as u64,
        "build_s": build_s,
        "bursts": a.bursts,
        "median_ms": quantile_ms(&times, 0.5),
        "p99_ms": quantile_ms(&times, 0.99),
        "mean_ms": busy.as_secs_f64() * 1e3 / times.len() as f64,
        "fired_per_burst_min": fired_min,
        "fired_per_burst_max": fired_max,
        "driven_per_burst": driver.per_burst(),
        "synaptic_injections_per_burst": events as f64 / times.len() as f64,
        "peak_rss_mib": peak_rss_mib(),
    });
    println!("{report:#}");
    Ok(())
}

//! `feagi-npu bench`: burst-time benchmarks on synthetic networks and real
//! genomes, with the machine's limit (`ideal`) measured in the same process.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use feagi_burst_engine::synthetic::{self, Driver, SyntheticSpec, Targets};
use feagi_burst_engine::{BurstResult, Genome, NpuConfig, PhaseTimings, PlasticityStats, RustNPU};
use feagi_genome::DEFAULT_MAX_SYNAPSES;
use feagi_types::memory::is_memory_neuron_id;
use feagi_types::{StdpRegistration, MAX_REGULAR_NEURONS};

use crate::error::{CliError, Result};
use crate::ideal::{Ideal, ParallelForm};
use crate::interrupt::Interrupt;
use crate::stimulus::{PatternSpec, Stimulus, Voxels};
use crate::summary::{quantile_ms, Reservoir};

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub workload: Workload,
    /// Bursts measured (after warm-up), at least 1. Ctrl-C, SIGTERM or
    /// SIGHUP ends the measurement early and reports the bursts measured.
    #[arg(long, default_value_t = 1000, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub bursts: u64,
    /// Bursts run before measuring.
    #[arg(long, default_value_t = 100, global = true)]
    pub warmup: u64,
    /// Run every phase on one thread (the default uses the rayon pool where
    /// it pays; results are bit-identical either way).
    #[arg(long, global = true)]
    pub sequential: bool,
    /// Print the report as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Turn learning off (M1 semantics, SPEC §6): registered STDP pairs and
    /// memory areas stay inactive, so the plasticity phase does no work.
    #[arg(long, global = true)]
    pub no_plasticity: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TargetsArg {
    Random,
    Local,
}

/// Sizes are checked before anything is built: neurons x fanout must stay
/// within the synapse budget (1e9, the genome loader's default) and the
/// network within the memory this machine has available.
#[derive(Args, Debug, Clone, Copy)]
pub struct SyntheticArgs {
    /// Neurons, 1..=50000000 (the engine's regular-neuron limit).
    #[arg(long, default_value_t = 100_000, value_parser = parse_neurons)]
    pub neurons: u32,
    /// Synapses per neuron (neurons x fanout at most 1e9).
    #[arg(long, default_value_t = 100)]
    pub fanout: u32,
    /// Fraction of neurons driven to fire each burst, 0..1.
    #[arg(long, default_value_t = 0.01, value_parser = parse_fraction)]
    pub firing: f64,
    #[arg(long, value_enum, default_value_t = TargetsArg::Random)]
    pub targets: TargetsArg,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Subcommand, Debug)]
pub enum Workload {
    /// A network built through the Rust API in which exactly a fraction F of the
    /// neurons, chosen at random each burst, fires; also runs `ideal` side by side.
    Synthetic {
        #[command(flatten)]
        net: SyntheticArgs,
        /// Make every synapse plastic: one STDP pair (the network's single
        /// area onto itself) with W = 1, C = Lp = Ld = 1, not bidirectional.
        #[arg(long)]
        plastic: bool,
        /// After the bursts, save the brain to FILE and load it back (three
        /// times each) and report the median save and load times and sizes.
        #[arg(long, value_name = "FILE")]
        snapshot: Option<PathBuf>,
        /// Skip the ideal kernel (its copy of the network then does not count
        /// in the peak memory): the engine alone, as the peer race runs it.
        #[arg(long)]
        no_ideal: bool,
    },
    /// The machine's limit for the same work: a bare compressed-row scatter-add
    /// of the same events plus one pass over the candidates, on one thread and
    /// on all threads (reported: the better of the two).
    Ideal(SyntheticArgs),
    /// A real genome with seeded random input or a full frame on every input area.
    Genome {
        genome: PathBuf,
        /// random:FRACTION (seeded random voxels of every input area) or frame.
        #[arg(long, default_value = "frame", value_parser = parse_bench_pattern)]
        pattern: BenchPattern,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        limits: crate::run::MemoryLimitArg,
    },
}

/// `bench genome --pattern`.
#[derive(Clone, Copy, Debug)]
pub enum BenchPattern {
    /// Every voxel of every input area, every burst.
    Frame,
    /// Seeded random voxels of every input area.
    Random(f64),
}

fn parse_neurons(text: &str) -> std::result::Result<u32, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_REGULAR_NEURONS).contains(n))
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!("expected a whole number of neurons in 1..={MAX_REGULAR_NEURONS} (the engine's limit)")
        })
}

fn parse_fraction(text: &str) -> std::result::Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|f| (0.0..=1.0).contains(f))
        .ok_or_else(|| "expected a fraction in 0..1".to_string())
}

fn parse_bench_pattern(text: &str) -> std::result::Result<BenchPattern, String> {
    if text == "frame" {
        return Ok(BenchPattern::Frame);
    }
    text.strip_prefix("random:")
        .and_then(|f| parse_fraction(f).ok())
        .map(BenchPattern::Random)
        .ok_or_else(|| "expected random:FRACTION (0..1) or frame".to_string())
}

/// Bytes a synthetic network takes, roughly: per neuron the engine's
/// columns, row table and fire structures, the driver's order and the ideal
/// kernel's offsets and accumulators (one thread, all threads); per synapse the engine's 7 bytes (11
/// with STDP stamps) and the ideal kernel's 5.
fn synthetic_bytes(neurons: u64, synapses: u64, plastic: bool) -> u64 {
    let per_neuron = 64 + 4 + 16;
    let per_synapse = 7 + if plastic { 4 } else { 0 } + 5;
    neurons
        .saturating_mul(per_neuron)
        .saturating_add(synapses.saturating_mul(per_synapse))
}

/// Refuses (exit status 2) a synthetic network the engine or this machine
/// cannot hold, before anything is built.
fn check_size(a: &SyntheticArgs, plastic: bool) -> Result<()> {
    let synapses = a.neurons as u64 * a.fanout as u64;
    if synapses > DEFAULT_MAX_SYNAPSES {
        return Err(CliError::Usage(format!(
            "--neurons {} x --fanout {} = {synapses} synapses, over the synapse budget of {DEFAULT_MAX_SYNAPSES}",
            a.neurons, a.fanout
        )));
    }
    let needed = synthetic_bytes(a.neurons as u64, synapses, plastic);
    if let Some(available) = feagi_genome::available_memory() {
        if needed > available {
            let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
            return Err(CliError::Usage(format!(
                "--neurons {} x --fanout {} needs about {:.1} GiB, but only {:.1} GiB of memory are available to this process",
                a.neurons,
                a.fanout,
                gib(needed),
                gib(available)
            )));
        }
    }
    Ok(())
}

#[derive(Debug, Default, serde::Serialize)]
pub struct PhaseMedians {
    pub reset_ms: f64,
    pub injection_ms: f64,
    pub propagation_ms: f64,
    pub dynamics_ms: f64,
    pub archival_ms: f64,
    pub plasticity_ms: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct BenchReport {
    pub workload: String,
    pub neurons: usize,
    pub synapses: usize,
    pub build_s: f64,
    pub bursts: u64,
    /// True when Ctrl-C, SIGTERM or SIGHUP ended the measurement early.
    pub stopped_early: bool,
    pub median_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub phases: PhaseMedians,
    pub synaptic_events_per_s: f64,
    pub fired_per_burst: f64,
    /// The fewest and most neurons fired in one measured burst.
    pub fired_per_burst_min: u64,
    pub fired_per_burst_max: u64,
    /// Whether the built-in plasticity ran (false with `--no-plasticity`).
    pub plasticity: bool,
    /// STDP pairs registered (`--plastic` adds one).
    pub stdp_pairs: usize,
    /// Synapses STDP updated (potentiated or depressed) per measured burst.
    pub stdp_updates_per_burst: f64,
    pub peak_rss_mib: f64,
    /// The ideal kernel: the better of one thread and all threads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ideal_median_ms: Option<f64>,
    /// The engine's median over [`Self::ideal_median_ms`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_to_ideal: Option<f64>,
    /// The ideal kernel on one thread and on all threads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ideal: Option<IdealFigures>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotFigures>,
}

/// `--snapshot`: what saving and loading the brain cost.
#[derive(Debug, serde::Serialize)]
pub struct SnapshotFigures {
    pub save_s: f64,
    pub load_s: f64,
    pub file_bytes: u64,
    /// The neuron columns, synapse columns and row table in memory (stamps
    /// included when STDP keeps them).
    pub arrays_bytes: u64,
}

/// Saves `npu` to `path` and loads it back, three times each; medians.
fn snapshot_figures(npu: &mut RustNPU, path: &std::path::Path) -> Result<SnapshotFigures> {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut saves, mut loads) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t = Instant::now();
        npu.save(path)?;
        saves.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let back = RustNPU::load(path)?;
        loads.push(t.elapsed().as_secs_f64());
        if back.burst_count() != npu.burst_count() || back.synapse_count() != npu.synapse_count() {
            return Err(CliError::Usage(
                "the loaded brain differs from the saved one".into(),
            ));
        }
    }
    let file_bytes = std::fs::metadata(path)
        .map_err(|e| CliError::write(path, e))?
        .len();
    let n = npu.neuron_count() as u64;
    let per_synapse = if npu.synapses().has_stamps() { 11 } else { 7 };
    // Per neuron: its columns; per source, a row table entry (start usize,
    // length and capacity u32).
    let arrays_bytes = n * feagi_genome::NEURON_ARRAY_BYTES
        + npu.synapses().source_count() as u64 * 16
        + npu.synapse_count() as u64 * per_synapse;
    Ok(SnapshotFigures {
        save_s: median(saves),
        load_s: median(loads),
        file_bytes,
        arrays_bytes,
    })
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> f64 {
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

fn spec_of(a: &SyntheticArgs, plastic: bool) -> Result<SyntheticSpec> {
    // clap checked each value; these guard the API use too.
    if !(0.0..=1.0).contains(&a.firing) {
        return Err(CliError::Usage(format!(
            "--firing must lie in 0..1, got {}",
            a.firing
        )));
    }
    if a.neurons == 0 || a.neurons as u64 > MAX_REGULAR_NEURONS {
        return Err(CliError::Usage(format!(
            "--neurons must lie in 1..={MAX_REGULAR_NEURONS}"
        )));
    }
    check_size(a, plastic)?;
    Ok(SyntheticSpec {
        neurons: a.neurons,
        fanout: a.fanout,
        firing: a.firing,
        targets: match a.targets {
            TargetsArg::Random => Targets::Random,
            TargetsArg::Local => Targets::Local,
        },
        seed: a.seed,
    })
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    quantile_ms(&v, 0.5)
}

/// Burst samples kept for the quantiles (2^18, about 29 MiB), then a sample.
const SAMPLE_CAP: usize = 1 << 18;

/// Fired neurons logged for the ideal kernel's replay: 2^24 ids (64 MiB),
/// at least one burst.
const FIRED_LOG_CAP: usize = 1 << 24;

/// Collects per-burst measurements of the engine, in bounded memory.
struct Samples {
    /// (burst time, phase times) of every burst, or a uniform sample of them.
    kept: Reservoir<(Duration, PhaseTimings)>,
    /// A burst pushed by `push_burst` whose phases are not in yet.
    pending: Option<Duration>,
    busy: Duration,
    max: Duration,
    events: u64,
    fired: u64,
    fired_min: u64,
    fired_max: u64,
    learned: PlasticityStats,
}

impl Default for Samples {
    fn default() -> Self {
        Samples {
            kept: Reservoir::new(SAMPLE_CAP),
            pending: None,
            busy: Duration::ZERO,
            max: Duration::ZERO,
            events: 0,
            fired: 0,
            fired_min: u64::MAX,
            fired_max: 0,
            learned: PlasticityStats::default(),
        }
    }
}

impl Samples {
    /// Median burst time of the bursts kept.
    fn median_ms(&self) -> f64 {
        median(self.kept.kept().iter().map(|k| k.0).collect())
    }

    fn push(&mut self, took: Duration, phases: PhaseTimings, events: usize, fired: usize) {
        self.busy += took;
        self.max = self.max.max(took);
        self.kept.push((took, phases));
        self.events += events as u64;
        self.fired += fired as u64;
        self.fired_min = self.fired_min.min(fired as u64);
        self.fired_max = self.fired_max.max(fired as u64);
    }

    /// [`Self::push`] for an engine burst: its figures and what it learned;
    /// [`Self::push_phases`] completes it.
    fn push_burst(&mut self, took: Duration, r: &BurstResult<'_>) {
        self.learned.add(&r.plasticity);
        self.events += r.synaptic_injections as u64;
        self.fired += r.fired_count as u64;
        self.fired_min = self.fired_min.min(r.fired_count as u64);
        self.fired_max = self.fired_max.max(r.fired_count as u64);
        self.busy += took;
        self.max = self.max.max(took);
        self.pending = Some(took);
    }

    /// The phase times of the burst just pushed.
    fn push_phases(&mut self, phases: PhaseTimings) {
        if let Some(took) = self.pending.take() {
            self.kept.push((took, phases));
        }
    }

    fn report(self, workload: String, npu: &RustNPU, build: Duration) -> BenchReport {
        let measured = self.kept.seen();
        let n = measured.max(1) as f64;
        let busy = self.busy.as_secs_f64();
        let kept = self.kept.into_kept();
        let pick =
            |f: fn(&PhaseTimings) -> Duration| median(kept.iter().map(|k| f(&k.1)).collect());
        let phases = PhaseMedians {
            reset_ms: pick(|p| p.reset),
            injection_ms: pick(|p| p.injection),
            propagation_ms: pick(|p| p.propagation),
            dynamics_ms: pick(|p| p.dynamics),
            archival_ms: pick(|p| p.archival),
            plasticity_ms: pick(|p| p.plasticity),
        };
        let mut sorted: Vec<Duration> = kept.iter().map(|k| k.0).collect();
        sorted.sort();
        BenchReport {
            workload,
            neurons: npu.neuron_count(),
            synapses: npu.synapse_count(),
            build_s: build.as_secs_f64(),
            bursts: measured,
            stopped_early: false,
            median_ms: quantile_ms(&sorted, 0.5),
            p99_ms: quantile_ms(&sorted, 0.99),
            max_ms: self.max.as_secs_f64() * 1e3,
            phases,
            synaptic_events_per_s: if busy > 0.0 {
                self.events as f64 / busy
            } else {
                0.0
            },
            fired_per_burst: self.fired as f64 / n,
            fired_per_burst_min: if measured == 0 { 0 } else { self.fired_min },
            fired_per_burst_max: self.fired_max,
            plasticity: npu.plasticity_enabled(),
            stdp_pairs: npu.stdp_registrations().len(),
            stdp_updates_per_burst: (self.learned.potentiations + self.learned.depressions) as f64
                / n,
            peak_rss_mib: peak_rss_mib(),
            ideal_median_ms: None,
            engine_to_ideal: None,
            ideal: None,
            snapshot: None,
        }
    }
}

/// The ideal kernel's medians on a run's fired sets.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct IdealFigures {
    /// The kernel on one thread.
    pub one_thread_ms: f64,
    /// The better parallel form on all threads.
    pub parallel_ms: f64,
    /// Which parallel form was better: "split" or "buckets".
    pub parallel_form: &'static str,
    /// Threads of the parallel kernel.
    pub threads: usize,
}

impl IdealFigures {
    /// The better of one thread and all threads.
    pub fn best_ms(&self) -> f64 {
        self.one_thread_ms.min(self.parallel_ms)
    }
}

/// The three kernels, alternating burst by burst on the same fired set, in
/// bounded memory.
#[derive(Default)]
struct IdealTimes {
    one: Samples,
    split: Samples,
    buckets: Samples,
}

impl IdealTimes {
    /// Times one burst of each kernel on `fired` (ascending, regular neurons)
    /// carrying `events` synaptic events.
    fn burst(&mut self, ideal: &mut Ideal, fired: &[u32], events: usize) {
        let none = PhaseTimings::default();
        let t0 = Instant::now();
        std::hint::black_box(ideal.burst(fired));
        self.one.push(t0.elapsed(), none, events, fired.len());
        let t0 = Instant::now();
        std::hint::black_box(ideal.burst_parallel(fired, ParallelForm::Split));
        self.split.push(t0.elapsed(), none, events, fired.len());
        let t0 = Instant::now();
        std::hint::black_box(ideal.burst_parallel(fired, ParallelForm::Buckets));
        self.buckets.push(t0.elapsed(), none, events, fired.len());
    }

    /// The medians, and the samples of the best kernel.
    fn figures(self, ideal: &Ideal) -> (IdealFigures, Samples) {
        let (one, split, buckets) = (
            self.one.median_ms(),
            self.split.median_ms(),
            self.buckets.median_ms(),
        );
        let figures = IdealFigures {
            one_thread_ms: one,
            parallel_ms: split.min(buckets),
            parallel_form: if split <= buckets { "split" } else { "buckets" },
            threads: ideal.threads(),
        };
        let best = if one <= split.min(buckets) {
            self.one
        } else if split <= buckets {
            self.split
        } else {
            self.buckets
        };
        (figures, best)
    }
}

/// Runs the ideal kernels on the fired sets the engine produced (replayed
/// from a log; memory neurons, which have no rows, left out).
fn run_ideal(ideal: &mut Ideal, fired_log: &FiredLog) -> IdealFigures {
    let mut times = IdealTimes::default();
    for fired in &fired_log.sets {
        let events = ideal.events(fired);
        times.burst(ideal, fired, events);
    }
    times.figures(ideal).0
}

/// The engine's fired sets for the ideal kernel, bounded by [`FIRED_LOG_CAP`]
/// ids (and as many sets as bursts measured).
#[derive(Default)]
struct FiredLog {
    sets: Vec<Vec<u32>>,
    ids: usize,
}

impl FiredLog {
    /// Logs a burst's fired regular neurons (memory neurons have no rows),
    /// while the log has room.
    fn push(&mut self, fired: &[u32]) {
        let regular = fired.partition_point(|&id| !is_memory_neuron_id(id));
        if self.sets.is_empty() || self.ids.saturating_add(regular) <= FIRED_LOG_CAP {
            self.ids += regular;
            self.sets.push(fired[..regular].to_vec());
        }
    }
}

/// Sets the ideal kernel's figures on a report: the engine against the
/// better of one thread and all threads.
fn set_ideal(report: &mut BenchReport, figures: IdealFigures) {
    let best = figures.best_ms();
    report.ideal_median_ms = Some(best);
    report.engine_to_ideal = Some(report.median_ms / best.max(1e-9));
    report.ideal = Some(figures);
}

/// The STDP pair of `--plastic`: every synapse of the synthetic network lies
/// in its one area (`cSynth__`), so the pair (area, area) covers them all.
fn plastic_pair(npu: &RustNPU) -> Result<StdpRegistration> {
    let area = match npu.areas().map(|a| a.index).collect::<Vec<_>>()[..] {
        [area] => area,
        ref other => {
            return Err(CliError::Usage(format!(
                "--plastic expects the synthetic network in one area, found {}",
                other.len()
            )))
        }
    };
    Ok(StdpRegistration::between(area, area))
}

fn synthetic(
    args: &BenchArgs,
    a: &SyntheticArgs,
    plastic: bool,
    with_ideal: bool,
    snapshot: Option<&std::path::Path>,
    interrupt: &Interrupt,
) -> Result<BenchReport> {
    let spec = spec_of(a, plastic)?;
    let t0 = Instant::now();
    let config = NpuConfig {
        parallel: !args.sequential,
        record_phase_timings: true,
        plasticity: !args.no_plasticity,
        ..NpuConfig::default()
    };
    let mut npu = synthetic::build(&spec, config)?;
    if plastic {
        let pair = plastic_pair(&npu)?;
        npu.add_stdp_pair(pair)?;
    }
    let build = t0.elapsed();
    interrupt.defer();
    let mut driver = Driver::new(&spec);
    for _ in 0..args.warmup {
        if interrupt.requested() {
            break;
        }
        driver.stage(&mut npu)?;
        npu.process_burst(None)?;
    }
    let mut samples = Samples::default();
    // The engine's fired sets for the ideal kernel, bounded (FIRED_LOG_CAP).
    let mut fired_log = FiredLog::default();
    let mut measured = 0u64;
    while measured < args.bursts && !interrupt.requested() {
        driver.stage(&mut npu)?;
        let t = Instant::now();
        let r = npu.process_burst(None)?;
        let took = t.elapsed();
        if with_ideal {
            fired_log.push(r.fired_neurons);
        }
        samples.push_burst(took, &r);
        samples.push_phases(npu.last_phase_timings());
        measured += 1;
    }
    let label = format!(
        "synthetic neurons={} fanout={} firing={} targets={:?} seed={}{}{}{}",
        a.neurons,
        a.fanout,
        a.firing,
        a.targets,
        a.seed,
        if plastic { " plastic" } else { "" },
        if args.no_plasticity {
            " no-plasticity"
        } else {
            ""
        },
        if args.sequential { " sequential" } else { "" }
    );
    let mut report = samples.report(label, &npu, build);
    report.stopped_early = measured < args.bursts;
    if with_ideal {
        let mut ideal = Ideal::from_npu(&npu);
        set_ideal(&mut report, run_ideal(&mut ideal, &fired_log));
    }
    // Saving and loading three times is skipped after a signal.
    if let (Some(path), false) = (snapshot, interrupt.requested()) {
        report.snapshot = Some(snapshot_figures(&mut npu, path)?);
    }
    Ok(report)
}

fn ideal_only(args: &BenchArgs, a: &SyntheticArgs, interrupt: &Interrupt) -> Result<BenchReport> {
    let spec = spec_of(a, false)?;
    let t0 = Instant::now();
    let npu = synthetic::build(&spec, NpuConfig::default())?;
    let mut ideal = Ideal::from_npu(&npu);
    let build = t0.elapsed();
    interrupt.defer();
    // The engine's drive: the same neurons `synthetic` drives at this seed, in
    // the ascending order the engine's fire queue holds them.
    let mut driver = Driver::new(&spec);
    let mut fired = Vec::with_capacity(driver.per_burst());
    let mut times = IdealTimes::default();
    let mut b = 0u64;
    let mut measured = 0u64;
    while measured < args.bursts && !interrupt.requested() {
        fired.clear();
        fired.extend_from_slice(driver.next_selection());
        fired.sort_unstable();
        if b >= args.warmup {
            let events = ideal.events(&fired);
            times.burst(&mut ideal, &fired, events);
            measured += 1;
        } else {
            ideal.burst(&fired);
            ideal.burst_parallel(&fired, ParallelForm::Split);
            ideal.burst_parallel(&fired, ParallelForm::Buckets);
        }
        b += 1;
    }
    let label = format!(
        "ideal neurons={} fanout={} firing={} targets={:?} (the better of one thread and all threads)",
        a.neurons, a.fanout, a.firing, a.targets
    );
    let (figures, best) = times.figures(&ideal);
    let mut report = best.report(label, &npu, build);
    report.stopped_early = measured < args.bursts;
    report.ideal_median_ms = Some(figures.best_ms());
    report.ideal = Some(figures);
    Ok(report)
}

fn genome(
    args: &BenchArgs,
    path: &PathBuf,
    pattern: BenchPattern,
    seed: u64,
    limits: &crate::run::MemoryLimitArg,
    interrupt: &Interrupt,
) -> Result<BenchReport> {
    let t0 = Instant::now();
    let options = limits.options();
    let genome = Genome::from_path_with_options(path, &options)?;
    let config = NpuConfig {
        seed,
        parallel: !args.sequential,
        record_phase_timings: true,
        plasticity: !args.no_plasticity,
        ..NpuConfig::default()
    };
    let mut npu = RustNPU::from_genome_with_options(&genome, config, &options)?;
    let build = t0.elapsed();
    let inputs: Vec<String> = npu
        .areas()
        .filter(|a| a.area.kind == feagi_types::AreaKind::Ipu)
        .map(|a| a.area.id.to_string())
        .collect();
    let mut stimuli = Vec::new();
    for id in &inputs {
        stimuli.push(match pattern {
            BenchPattern::Frame => Stimulus::parse_stimulate(id, &npu)?,
            BenchPattern::Random(fraction) => Stimulus::pattern(
                &PatternSpec::Random {
                    id: id.clone(),
                    fraction,
                    hold: 1,
                },
                &npu,
                seed,
            )?,
        });
    }
    interrupt.defer();
    let mut voxels = Voxels::default();
    let mut samples = Samples::default();
    let mut b = 0u64;
    let mut measured = 0u64;
    while measured < args.bursts && !interrupt.requested() {
        for s in &mut stimuli {
            s.stage(&mut npu, b.saturating_add(1), &mut voxels)?;
        }
        let t = Instant::now();
        let r = npu.process_burst(None)?;
        let took = t.elapsed();
        if b >= args.warmup {
            samples.push_burst(took, &r);
            samples.push_phases(npu.last_phase_timings());
            measured += 1;
        }
        b += 1;
    }
    let pattern = match pattern {
        BenchPattern::Frame => "frame".to_string(),
        BenchPattern::Random(f) => format!("random:{f}"),
    };
    let mut report = samples.report(
        format!(
            "genome {} pattern={pattern} ({} input areas)",
            path.display(),
            inputs.len()
        ),
        &npu,
        build,
    );
    report.stopped_early = measured < args.bursts;
    Ok(report)
}

pub fn bench(args: BenchArgs) -> Result<ExitCode> {
    // Until a workload is built, a signal ends the process at once.
    let interrupt = Interrupt::install();
    let report = match &args.workload {
        Workload::Synthetic {
            net,
            plastic,
            snapshot,
            no_ideal,
        } => synthetic(
            &args,
            net,
            *plastic,
            !*no_ideal,
            snapshot.as_deref(),
            &interrupt,
        )?,
        Workload::Ideal(a) => ideal_only(&args, a, &interrupt)?,
        Workload::Genome {
            genome: path,
            pattern,
            seed,
            limits,
        } => genome(&args, path, *pattern, *seed, limits, &interrupt)?,
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let r = &report;
    outln!("workload          {}", r.workload);
    outln!("neurons           {}", r.neurons);
    outln!("synapses          {}", r.synapses);
    outln!("build             {:.3} s", r.build_s);
    outln!(
        "bursts measured   {}{}",
        r.bursts,
        if r.stopped_early {
            " (stopped early)"
        } else {
            ""
        }
    );
    outln!(
        "burst time        median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        r.median_ms,
        r.p99_ms,
        r.max_ms
    );
    let p = &r.phases;
    outln!(
        "phases (median)   0 reset {:.3}, 1a-c injection {:.3}, 1d propagation {:.3}, 2 dynamics {:.3}, 3 archival {:.3}, 3 plasticity {:.3} ms",
        p.reset_ms, p.injection_ms, p.propagation_ms, p.dynamics_ms, p.archival_ms, p.plasticity_ms
    );
    outln!("synaptic events   {:.1} M/s", r.synaptic_events_per_s / 1e6);
    outln!(
        "fired per burst   {:.1} (fewest {}, most {})",
        r.fired_per_burst,
        r.fired_per_burst_min,
        r.fired_per_burst_max
    );
    if !r.plasticity {
        outln!("plasticity        off");
    } else if r.stdp_pairs == 0 {
        outln!("plasticity        on (no STDP pairs)");
    } else {
        outln!(
            "plasticity        on: {} STDP pairs, {:.1} synapse updates per burst",
            r.stdp_pairs,
            r.stdp_updates_per_burst
        );
    }
    outln!("peak memory       {:.1} MiB", r.peak_rss_mib);
    if let Some(f) = &r.ideal {
        outln!(
            "ideal kernel      median {:.3} ms on one thread, {:.3} ms on {} threads ({})",
            f.one_thread_ms,
            f.parallel_ms,
            f.threads,
            f.parallel_form
        );
    }
    if let (Some(i), Some(ratio)) = (r.ideal_median_ms, r.engine_to_ideal) {
        outln!("engine / ideal    {ratio:.2} (engine against the better ideal, {i:.3} ms)");
    }
    if let Some(s) = &r.snapshot {
        outln!(
            "snapshot          save {:.2} s, load {:.2} s, file {:.1} MiB = {:.2} x the arrays in memory ({:.1} MiB)",
            s.save_s,
            s.load_s,
            s.file_bytes as f64 / 1048576.0,
            s.file_bytes as f64 / s.arrays_bytes.max(1) as f64,
            s.arrays_bytes as f64 / 1048576.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

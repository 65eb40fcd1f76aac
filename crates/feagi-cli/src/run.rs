//! `feagi-npu run`: grow a genome, drive it and report what it did.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use feagi_burst_engine::{snapshot, Genome, LoadOptions, NpuConfig, PlasticityStats, RustNPU};
use feagi_runtime::Pacer;
use feagi_types::memory::is_memory_neuron_id;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::distributed::Job;
use crate::error::{CliError, Result};
use crate::interrupt::Interrupt;
use crate::raster::Raster;
use crate::record::Recorder;
use crate::stimulus::{PatternSpec, StimulateSpec, Stimulus, Voxels};
use crate::summary::{quantile_ms, AreaActivity, PlasticitySummary, Reservoir, RunSummary};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Genome JSON file. Without it (and without --resume), the embedded
    /// default genome runs.
    #[arg(conflicts_with = "resume")]
    pub genome: Option<PathBuf>,
    /// Continue a saved brain (a snapshot from --save) instead of developing a
    /// genome: burst numbers, learned weights and memory carry on.
    #[arg(long, value_name = "SNAPSHOT")]
    pub resume: Option<PathBuf>,
    /// Save the whole brain to FILE when the run ends (also on Ctrl-C,
    /// SIGTERM or SIGHUP), atomically: the file is either the old snapshot or
    /// the new one.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Also save every N bursts (to the --save file); N >= 1.
    #[arg(long, value_name = "N", requires = "save", value_parser = clap::value_parser!(u64).range(1..))]
    pub save_every: Option<u64>,
    /// Number of bursts to run (any number: nothing is allocated per burst
    /// in advance, and memory stays bounded however long the run).
    #[arg(long, default_value_t = 1000)]
    pub bursts: u64,
    /// Pace bursts at this many per second (default: as fast as possible);
    /// at least 1e-6. A burst that ends late starts the next at once; more
    /// than one period behind, the schedule restarts from now (no catch-up
    /// bursts). No wait follows the last burst. Ctrl-C, SIGTERM or SIGHUP
    /// stops the run after the burst under way and cuts a wait short (within
    /// 20 ms), whatever the period.
    #[arg(long, value_name = "F", value_parser = parse_hz)]
    pub hz: Option<f64>,
    /// Seed of synaptogenesis and of generated input patterns.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    // The text is `--help` output, where brackets mark optional parts, not doc links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Constant input every burst: CORTICAL_ID[@X,Y,Z][=P]. Without a voxel the
    /// whole area; P defaults to the area's firing threshold (at least 1). Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = StimulateSpec::parse)]
    pub stimulate: Vec<StimulateSpec>,
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Generated input every burst: random:CORTICAL_ID:FRACTION[:HOLD] (seeded
    /// random voxels, drawn afresh every HOLD bursts, default 1, and held in
    /// between) or bar:CORTICAL_ID (a plane sweeping along x). Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = PatternSpec::parse)]
    pub pattern: Vec<PatternSpec>,
    /// Write every fired neuron to FILE: CSV, or JSON Lines when FILE ends in
    /// .jsonl. Complete (no cut-off row) after Ctrl-C, SIGTERM or SIGHUP too.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write a 1200x800 raster plot (PNG) of the run; its time axis spans the
    /// bursts run.
    #[arg(long, value_name = "FILE.png")]
    pub raster: Option<PathBuf>,
    /// Print the summary as JSON on stdout: one object with stable snake_case
    /// keys, per-area activity under "per_area" and learning under "plasticity".
    #[arg(long)]
    pub json: bool,
    /// Turn learning off (M1 semantics, SPEC §6): STDP pairs and memory areas
    /// stay registered but no weight changes, no synapse creation, no memory
    /// neurons and no replay.
    #[arg(long)]
    pub no_plasticity: bool,
    /// Write one line per burst, "BURST DIGEST": the xxh3-64 (hex) of the
    /// fired ids and firing potentials (little-endian u32 id, then f32 bits,
    /// per fired neuron in fire-queue order). Two runs fired identically iff
    /// their digest files are equal.
    #[arg(long, value_name = "FILE")]
    pub digest: Option<PathBuf>,
    /// Run as one rank of an MPI job: `mpirun -np R feagi-npu run GENOME
    /// --distributed`. Every rank develops the genome, owns a part of the
    /// neurons and exchanges what fired every burst; rank 0 writes the
    /// outputs and the summary, bit-identical to one process. Needs a
    /// feagi-npu built with `--features mpi`. With --save every rank writes
    /// its own snapshot, FILE.rank-R-of-N; --resume FILE loads them again
    /// (with the same number of ranks).
    #[arg(long)]
    pub distributed: bool,
    /// With --distributed: only rank 0 stages the --stimulate/--pattern input
    /// and every burst routes it to the ranks that own its neurons (as a
    /// server receiving input on one rank would); same results. Saved in the
    /// rank snapshots, so a resumed job keeps routing.
    #[arg(long, requires = "distributed")]
    pub route_input: bool,
    #[command(flatten)]
    pub limits: MemoryLimitArg,
}

/// `--hz`: a finite rate of at least [`feagi_runtime::MIN_FREQUENCY_HZ`].
pub fn parse_hz(text: &str) -> std::result::Result<f64, String> {
    let bad = || {
        format!(
            "expected a number of bursts per second of at least {}",
            feagi_runtime::MIN_FREQUENCY_HZ
        )
    };
    let hz: f64 = text.trim().parse().map_err(|_| bad())?;
    feagi_runtime::period_from_hz(hz).map_err(|_| bad())?;
    Ok(hz)
}

/// Burst times kept for the quantiles: 2^20 (16 MiB), then a sample.
const BURST_TIME_SAMPLE: usize = 1 << 20;

/// `--memory-limit`: how much memory a genome's brain may need.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MemoryLimitArg {
    /// Refuse, before developing it, a genome whose brain would need more
    /// memory than SIZE: bytes, or with a unit (500MB, 8GB, 8GiB), or "none".
    /// Default: the memory the machine has available.
    #[arg(long, value_name = "SIZE", value_parser = parse_memory_size)]
    pub memory_limit: Option<u64>,
}

impl MemoryLimitArg {
    /// The loader's options with this limit.
    pub fn options(&self) -> LoadOptions {
        LoadOptions::default().with_memory_limit(self.memory_limit)
    }
}

/// "8GB" = 8e9 bytes, "8GiB" = 8 x 2^30, a plain number = bytes, "none" = no limit.
pub fn parse_memory_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(u64::MAX);
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1048576.0,
        "gib" => 1073741824.0,
        "tib" => 1099511627776.0,
        _ => {
            return Err(format!(
                "unknown unit in '{s}': use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB or none"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a size such as 8GB"))?;
    let bytes = value * scale;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(format!("'{s}' is not a size between 1 byte and 16 EB"));
    }
    Ok(bytes as u64)
}

/// A genome file (or the embedded default genome) with a label for reports
/// and its JSON text (which snapshots keep), read once with `options`' limits.
pub fn load_genome(
    path: Option<&PathBuf>,
    options: &LoadOptions,
) -> Result<(Genome, String, String)> {
    match path {
        Some(p) => {
            let (genome, text) = Genome::from_path_with_source(p, options)?;
            Ok((genome, p.display().to_string(), text))
        }
        None => Ok((
            Genome::default_genome(),
            "embedded default genome".to_string(),
            feagi_genome::default_genome_json().to_string(),
        )),
    }
}

/// Fails (status 1) when `path` cannot become a file: its folder is missing
/// or it is a folder itself.
fn check_writable_place(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let problem = if !dir.is_dir() {
        "no such directory"
    } else if path.is_dir() {
        "it is a directory"
    } else {
        return Ok(());
    };
    Err(CliError::write(path, std::io::Error::other(problem)))
}

/// Per-burst digests of the fire queue (`--digest`).
struct DigestFile {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl DigestFile {
    fn create(path: &Path) -> Result<Self> {
        let file = std::fs::File::create(path).map_err(|e| CliError::write(path, e))?;
        Ok(DigestFile {
            path: path.to_path_buf(),
            out: std::io::BufWriter::new(file),
        })
    }

    fn write(&mut self, burst: u64, ids: &[u32], potentials: &[f32]) -> Result<()> {
        use std::io::Write;
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for (id, v) in ids.iter().zip(potentials) {
            h.update(&id.to_le_bytes());
            h.update(&v.to_bits().to_le_bytes());
        }
        writeln!(self.out, "{burst} {:016x}", h.digest())
            .map_err(|e| CliError::write(&self.path, e))
    }

    fn flush(&mut self) -> Result<()> {
        use std::io::Write;
        self.out.flush().map_err(|e| CliError::write(&self.path, e))
    }

    fn finish(mut self) -> Result<()> {
        self.flush()
    }
}

/// What a run starts from before its first burst.
enum Start {
    Brain(Box<RustNPU>),
    /// A genome and its text, not developed yet.
    Genome(Box<feagi_burst_engine::Genome>, String),
}

pub fn run(args: RunArgs) -> Result<std::process::ExitCode> {
    let mut job = Job::start(args.distributed)?;
    // Until `defer` in run_job, a signal ends the process at once: nothing is written yet.
    let interrupt = Interrupt::install();
    if let Some(job) = job.as_ref() {
        interrupt.in_job(job.rank());
    }
    let mut in_step = false;
    let result = run_job(args, job.as_mut(), &interrupt, &mut in_step);
    let (Some(job), Err(e)) = (job.as_ref(), result.as_ref()) else {
        return result;
    };
    if in_step {
        // Past the setup the other ranks would wait for this one in the
        // next exchange: end the whole job.
        if !matches!(e, CliError::Quiet) {
            job.abort(e);
        }
        return result;
    }
    // Every rank failed the setup together (Job::agree): rank 0 says why
    // before any rank exits, since mpirun terminates the rest as soon as
    // one rank exits with an error.
    let code = match e {
        CliError::Quiet => None,
        e => {
            errln!("feagi-npu: error: {e}");
            Some(e.exit_code())
        }
    };
    // Silent from here: mpirun may signal this rank as soon as another exits.
    interrupt.ending();
    job.barrier();
    match code {
        // Reported above.
        Some(code) => Ok(code),
        None => result,
    }
}

fn run_job(
    args: RunArgs,
    mut job: Option<&mut Job>,
    interrupt: &Interrupt,
    in_step: &mut bool,
) -> Result<std::process::ExitCode> {
    // Rank 0 writes every output of a distributed run.
    let rank0 = job.as_ref().is_none_or(|j| j.rank() == 0);
    // `--hz` was checked by clap before the genome loads, so a typo fails fast.
    let period = || {
        args.hz
            .map(|hz| {
                feagi_runtime::period_from_hz(hz)
                    .map_err(|_| CliError::Usage(format!("bad --hz {hz}")))
            })
            .transpose()
    };
    // Output paths too, so a long run never ends in a file it cannot write.
    let check_outputs = || -> Result<()> {
        let outputs = [&args.record, &args.raster, &args.save, &args.digest];
        for path in outputs.into_iter().flatten().filter(|_| rank0) {
            check_writable_place(path)?;
        }
        Ok(())
    };
    // A distributed run resumes its rank's snapshot: (rank, ranks).
    let rank_of = job.as_deref().map(|j| (j.rank(), j.ranks()));
    let options = args.limits.options();
    let config = NpuConfig {
        seed: args.seed,
        plasticity: !args.no_plasticity,
        ..NpuConfig::default()
    };
    // A snapshot loaded, or a genome read (developed below: whole, or in
    // parts by the ranks of a distributed run, each only its own synapses).
    let loaded = || -> Result<(Start, String)> {
        period()?;
        check_outputs()?;
        Ok(match &args.resume {
            Some(path) => {
                let mut npu = match rank_of {
                    // Saved by another number of ranks: re-partitioned.
                    Some((rank, ranks)) => RustNPU::load_rank_repartitioned(path, rank, ranks)?,
                    None => RustNPU::load(path)?,
                };
                if let (None, Some((p, rank))) = (rank_of, npu.partition()) {
                    return Err(CliError::Usage(format!(
                        "{} is rank {rank} of a brain saved over {n} ranks: resume it with \
                         `mpirun -np {n} feagi-npu run --distributed --resume BASE`, BASE \
                         being the --save path without `.rank-{rank}-of-{n}`",
                        path.display(),
                        n = p.ranks()
                    )));
                }
                if args.no_plasticity {
                    npu.set_plasticity_enabled(false)?;
                }
                let moved = rank_of.is_some_and(|(rank, ranks)| {
                    !feagi_burst_engine::snapshot::rank_path(path, rank, ranks).exists()
                });
                let label = format!(
                    "{} (resumed at burst {}{})",
                    path.display(),
                    npu.burst_count(),
                    if moved { ", re-partitioned" } else { "" }
                );
                (Start::Brain(Box::new(npu)), label)
            }
            None => {
                let (genome, label, text) = load_genome(args.genome.as_ref(), &options)?;
                (Start::Genome(Box::new(genome), text), label)
            }
        })
    };
    let period = period()?;
    let stimuli = |npu: &RustNPU| -> Result<Vec<Stimulus>> {
        let mut stimuli = Vec::new();
        for spec in &args.stimulate {
            stimuli.push(Stimulus::stimulate(spec, npu)?);
        }
        for spec in &args.pattern {
            stimuli.push(Stimulus::pattern(spec, npu, args.seed)?);
        }
        Ok(stimuli)
    };
    let (npu, label, mut stimuli) = match job.as_deref_mut() {
        Some(job) => {
            // Every rank loads; all go on or all fail (a collective).
            let (start, label) = job.agree(loaded())?;
            let label = format!("{label} (distributed over {} ranks)", job.ranks());
            let mut set_up = |start: Start| -> Result<(RustNPU, Vec<Stimulus>)> {
                let mut npu = match start {
                    // A resumed rank is partitioned already (its snapshot holds
                    // the partition); all ranks must have stopped after the same burst.
                    Start::Brain(npu) => {
                        job.same_burst(npu.burst_count())?;
                        *npu
                    }
                    Start::Genome(genome, text) => {
                        let mut npu = job.develop(&genome, config.clone(), &options)?;
                        npu.set_genome_source(Some(text));
                        npu
                    }
                };
                if args.route_input {
                    npu.set_route_staged_input(true)?;
                }
                let stimuli = stimuli(&npu)?;
                Ok((npu, stimuli))
            };
            // Agreed again: a rank that fails here alone is named by rank 0.
            let set = set_up(start);
            let (npu, stimuli) = job.agree(set)?;
            *in_step = true;
            (npu, label, stimuli)
        }
        None => {
            let (start, label) = loaded()?;
            let npu = match start {
                Start::Brain(npu) => *npu,
                Start::Genome(genome, text) => {
                    let mut npu = RustNPU::from_genome_with_options(&genome, config, &options)?;
                    npu.set_genome_source(Some(text));
                    npu
                }
            };
            let stimuli = stimuli(&npu)?;
            (npu, label, stimuli)
        }
    };
    let mut npu = npu;
    // With routed input only rank 0 stages it; otherwise every rank does.
    let stages_input = rank0 || !npu.routes_staged_input();
    let first_burst = npu.burst_count();

    // From here on a signal stops the run after the current burst, and every
    // output below is finished and closed.
    interrupt.defer();
    let mut recorder = args
        .record
        .as_deref()
        .filter(|_| rank0)
        .map(Recorder::create)
        .transpose()?;
    let mut digest = args
        .digest
        .as_deref()
        .filter(|_| rank0)
        .map(DigestFile::create)
        .transpose()?;
    let areas: Vec<_> = npu
        .areas()
        .map(|a| {
            (
                a.index,
                a.area.id.to_string(),
                a.area.name.clone(),
                a.first_neuron.unwrap_or(0),
                a.neuron_count,
            )
        })
        .collect();
    let mut raster = args.raster.as_ref().filter(|_| rank0).map(|_| {
        Raster::new(
            areas
                .iter()
                .map(|(_, id, name, first, n)| {
                    (
                        format!("{id} {name}"),
                        *first,
                        u32::try_from(*n).unwrap_or(u32::MAX),
                    )
                })
                .collect(),
        )
    });

    let progress = ProgressBar::with_draw_target(Some(args.bursts), ProgressDrawTarget::hidden());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} bursts  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let show_progress = rank0 && std::io::stderr().is_terminal();

    let mut fired_per_area = vec![0u64; areas.len()];
    let mut memory_fired_per_area = vec![0u64; areas.len()];
    // Grown as bursts run and bounded: never sized from --bursts.
    let mut burst_times = Reservoir::new(BURST_TIME_SAMPLE);
    let mut max_burst = Duration::ZERO;
    let mut voxels = Voxels::default();
    let mut total_fired = 0u64;
    let mut learned = PlasticityStats::default();
    let mut memory_fired = 0u64;
    let start = Instant::now();
    let mut pacer = period.map(|p| Pacer::new(p, start));
    let mut done = 0u64;
    let (mut first_start, mut last_start) = (None, start);
    // A distributed run stops when any rank is asked to, after the same burst.
    let stop = |job: &Option<&mut Job>| match job {
        Some(job) => job.any(interrupt.requested()),
        None => interrupt.requested(),
    };
    while done < args.bursts && !stop(&job) {
        // Burst numbers carry on across --resume.
        let burst = first_burst.saturating_add(done).saturating_add(1);
        for s in stimuli.iter_mut().filter(|_| stages_input) {
            s.stage(&mut npu, burst, &mut voxels)?;
        }
        let t0 = Instant::now();
        first_start.get_or_insert(t0);
        last_start = t0;
        let result = match job.as_deref_mut() {
            Some(job) => job.burst(&mut npu)?,
            None => npu.process_burst(None)?,
        };
        if let Some(d) = digest.as_mut() {
            d.write(burst, result.fired_neurons, result.fired_potentials)?;
        }
        let took = t0.elapsed();
        burst_times.push(took);
        max_burst = max_burst.max(took);
        let fired = result.fired_count;
        learned.add(&result.plasticity);
        memory_fired += result.memory_fired as u64;
        total_fired += fired as u64;
        if let Some(r) = raster.as_mut() {
            r.begin_burst();
        }
        for f in npu.fired_neurons() {
            fired_per_area[f.area as usize] += 1;
            if is_memory_neuron_id(f.id) {
                memory_fired_per_area[f.area as usize] += 1;
            }
            if let Some(rec) = recorder.as_mut() {
                rec.write(
                    burst,
                    &areas[f.area as usize].1,
                    f.id,
                    f.coordinates,
                    f.potential,
                )?;
            }
            if let Some(r) = raster.as_mut() {
                r.mark(f.area as usize, f.id);
            }
        }
        done += 1;
        if job.is_some() {
            // mpirun kills rank 0 when another rank dies, before it can
            // finish its outputs: they then end on a whole burst.
            if let Some(rec) = recorder.as_mut() {
                rec.flush()?;
            }
            if let Some(d) = digest.as_mut() {
                d.flush()?;
            }
        }
        if let (Some(path), Some(every)) = (&args.save, args.save_every) {
            if done.is_multiple_of(every) && done < args.bursts {
                save_brain(&mut npu, path, job.as_deref())?;
            }
        }
        if show_progress && progress.is_hidden() && start.elapsed() > Duration::from_secs(1) {
            progress.set_draw_target(ProgressDrawTarget::stderr());
        }
        if done.is_multiple_of(16) || done == args.bursts {
            let hz = done as f64 / start.elapsed().as_secs_f64().max(1e-9);
            progress.set_position(done);
            progress.set_message(format!("{hz:.1} Hz, {fired} fired"));
        }
        // No wait after the last burst; a signal cuts the wait short.
        if done < args.bursts {
            if let Some(p) = pacer.as_mut() {
                // The runtime's one catch-up rule: never burst to make up for lost time.
                p.wait_unless(|| interrupt.requested());
            }
        }
    }
    let wall = start.elapsed();
    progress.finish_and_clear();
    if let Some(path) = &args.save {
        let file = save_brain(&mut npu, path, job.as_deref())?;
        if rank0 {
            match npu.partition() {
                Some((p, _)) => errln!(
                    "saved the brain at burst {} to {} (one file per rank, {} to {})",
                    npu.burst_count(),
                    path.display(),
                    file.display(),
                    snapshot::rank_path(path, p.ranks() - 1, p.ranks()).display()
                ),
                None => errln!(
                    "saved the brain at burst {} to {}",
                    npu.burst_count(),
                    path.display()
                ),
            }
        }
    }

    if let Some(rec) = recorder {
        rec.finish()?;
    }
    if let Some(d) = digest {
        d.finish()?;
    }
    if let (Some(r), Some(path)) = (raster.as_ref(), args.raster.as_ref()) {
        r.write(path, &format!("feagi-npu raster: {label}, {done} bursts"))?;
    }

    let mut burst_times = burst_times.into_kept();
    burst_times.sort();
    let per_area = areas
        .iter()
        .zip(fired_per_area.iter().zip(&memory_fired_per_area))
        .map(
            |((index, id, name, _, n), (&fired, &by_memory))| AreaActivity {
                index: *index,
                cortical_id: id.clone(),
                name: name.clone(),
                neurons: *n,
                fired,
                memory_fired: by_memory,
                firing_rate: if *n == 0 || done == 0 {
                    0.0
                } else {
                    (fired - by_memory) as f64 / (*n as f64 * done as f64)
                },
            },
        )
        .collect();
    let mut synapses = npu.synapse_count();
    if let Some(job) = job.as_deref() {
        // Synapses and STDP's counters are per rank (each holds the synapses
        // of its neurons); the rest every rank computed whole.
        let sums = job.sum(&[
            synapses as u64,
            learned.potentiations,
            learned.depressions,
            learned.synapses_created,
        ]);
        synapses = sums[0] as usize;
        learned.potentiations = sums[1];
        learned.depressions = sums[2];
        learned.synapses_created = sums[3];
        if !rank0 {
            return Ok(std::process::ExitCode::SUCCESS);
        }
    }
    let summary = RunSummary {
        genome: label,
        neurons: npu.neuron_count(),
        synapses,
        areas: npu.area_count(),
        bursts: done,
        stopped_early: done < args.bursts,
        wall_time_s: wall.as_secs_f64(),
        // Burst starts per second between the first and the last start (no
        // wait follows the last burst); bursts per second of wall time below two.
        achieved_hz: match first_start {
            Some(first) if done >= 2 => {
                (done - 1) as f64 / last_start.duration_since(first).as_secs_f64().max(1e-9)
            }
            _ => done as f64 / wall.as_secs_f64().max(1e-9),
        },
        median_burst_ms: quantile_ms(&burst_times, 0.5),
        p99_burst_ms: quantile_ms(&burst_times, 0.99),
        max_burst_ms: max_burst.as_secs_f64() * 1e3,
        total_fired,
        mean_fired_per_burst: if done == 0 {
            0.0
        } else {
            total_fired as f64 / done as f64
        },
        per_area,
        plasticity: PlasticitySummary::new(&npu, &learned, memory_fired),
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        summary.print_table();
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Saves a whole brain to `path`, one rank of a distributed one to
/// `PATH.rank-R-of-N` (docs/SNAPSHOT.md); the file written.
/// Saves the brain (a rank's file in a distributed run). Once every rank of
/// a job has saved, rank 0 removes rank files of other rank counts at the
/// same path, so that a later `--resume` finds this save alone.
fn save_brain(npu: &mut RustNPU, path: &Path, job: Option<&Job>) -> Result<PathBuf> {
    if npu.partition().is_none() {
        npu.save(path)?;
        return Ok(path.to_path_buf());
    }
    let file = npu.save_rank(path)?;
    if let Some(job) = job {
        // A rank whose save failed has aborted the job by now.
        job.barrier();
        if job.rank() == 0 {
            match snapshot::remove_other_rank_files(path, job.ranks()) {
                Ok(removed) if !removed.is_empty() => errln!(
                    "removed {} rank files of an earlier save with another number of ranks",
                    removed.len()
                ),
                Ok(_) => {}
                Err(e) => errln!(
                    "feagi-npu: warning: could not remove rank files of an earlier save: {e}"
                ),
            }
        }
    }
    Ok(file)
}

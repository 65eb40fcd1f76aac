//! `feagi-npu run`: grow a genome, drive it and report what it did.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use feagi_burst_engine::{Genome, NpuConfig, PlasticityStats, RustNPU};
use feagi_runtime::Pacer;
use feagi_types::memory::is_memory_neuron_id;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::{CliError, Result};
use crate::raster::Raster;
use crate::record::Recorder;
use crate::stimulus::{Stimulus, Voxels};
use crate::summary::{quantile_ms, AreaActivity, PlasticitySummary, RunSummary};

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
    /// Save the whole brain to FILE when the run ends (also on Ctrl-C),
    /// atomically: the file is either the old snapshot or the new one.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Also save every N bursts (to the --save file).
    #[arg(long, value_name = "N", requires = "save")]
    pub save_every: Option<u64>,
    /// Number of bursts to run.
    #[arg(long, default_value_t = 1000)]
    pub bursts: u64,
    /// Pace bursts at this many per second (default: as fast as possible). A burst
    /// that ends late starts the next at once; more than one period behind, the
    /// schedule restarts from now (no catch-up bursts).
    #[arg(long, value_name = "F")]
    pub hz: Option<f64>,
    /// Seed of synaptogenesis and of generated input patterns.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    // The text is `--help` output, where brackets mark optional parts, not doc links.
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Constant input every burst: CORTICAL_ID[@X,Y,Z][=P]. Without a voxel the
    /// whole area; P defaults to the area's firing threshold (at least 1). Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub stimulate: Vec<String>,
    #[allow(rustdoc::broken_intra_doc_links)]
    /// Generated input every burst: random:CORTICAL_ID:FRACTION[:HOLD] (seeded
    /// random voxels, drawn afresh every HOLD bursts, default 1, and held in
    /// between) or bar:CORTICAL_ID (a plane sweeping along x). Repeatable.
    #[arg(long, value_name = "SPEC")]
    pub pattern: Vec<String>,
    /// Write every fired neuron to FILE: CSV, or JSON Lines when FILE ends in .jsonl.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Write a 1200x800 raster plot (PNG) of the run.
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
}

pub fn load_genome(path: Option<&PathBuf>) -> Result<(Genome, String)> {
    match path {
        Some(p) => Ok((Genome::from_path(p)?, p.display().to_string())),
        None => Ok((
            Genome::default_genome(),
            "embedded default genome".to_string(),
        )),
    }
}

/// Stops the run after the current burst on Ctrl-C.
fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // If a handler cannot be installed the run simply cannot be interrupted cleanly.
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
    flag
}

pub fn run(args: RunArgs) -> Result<std::process::ExitCode> {
    // Checked before the genome loads, so a typo fails fast.
    let period = args
        .hz
        .map(|hz| {
            feagi_runtime::period_from_hz(hz).map_err(|_| {
                CliError::Usage(format!(
                    "--hz must be a positive number of at least {}, got {hz}",
                    feagi_runtime::MIN_FREQUENCY_HZ
                ))
            })
        })
        .transpose()?;
    if args.save_every == Some(0) {
        return Err(CliError::Usage(
            "--save-every must be at least 1 burst".to_string(),
        ));
    }
    let (mut npu, label) = match &args.resume {
        Some(path) => {
            let mut npu = RustNPU::load(path)?;
            if args.no_plasticity {
                npu.set_plasticity_enabled(false)?;
            }
            let label = format!(
                "{} (resumed at burst {})",
                path.display(),
                npu.burst_count()
            );
            (npu, label)
        }
        None => {
            let (genome, label) = load_genome(args.genome.as_ref())?;
            let config = NpuConfig {
                seed: args.seed,
                plasticity: !args.no_plasticity,
                ..NpuConfig::default()
            };
            let mut npu = RustNPU::from_genome(&genome, config)?;
            npu.set_genome_source(Some(match &args.genome {
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?,
                None => feagi_genome::default_genome_json().to_string(),
            }));
            (npu, label)
        }
    };
    let first_burst = npu.burst_count();

    let mut stimuli = Vec::new();
    for spec in &args.stimulate {
        stimuli.push(Stimulus::parse_stimulate(spec, &npu)?);
    }
    for spec in &args.pattern {
        stimuli.push(Stimulus::parse_pattern(spec, &npu, args.seed)?);
    }
    let mut recorder = args.record.as_deref().map(Recorder::create).transpose()?;
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
    let mut raster = args.raster.as_ref().map(|_| {
        Raster::new(
            args.bursts,
            areas
                .iter()
                .map(|(_, id, name, first, n)| (format!("{id} {name}"), *first, *n as u32))
                .collect(),
        )
    });

    let stop = interrupt_flag();
    let progress = ProgressBar::with_draw_target(Some(args.bursts), ProgressDrawTarget::hidden());
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} bursts  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let show_progress = std::io::stderr().is_terminal();

    let mut fired_per_area = vec![0u64; areas.len()];
    let mut memory_fired_per_area = vec![0u64; areas.len()];
    let mut burst_times = Vec::with_capacity(args.bursts as usize);
    let mut voxels = Voxels::default();
    let mut total_fired = 0u64;
    let mut learned = PlasticityStats::default();
    let mut memory_fired = 0u64;
    let start = Instant::now();
    let mut pacer = period.map(|p| Pacer::new(p, start));
    let mut done = 0u64;
    while done < args.bursts && !stop.load(Ordering::SeqCst) {
        // Burst numbers carry on across --resume.
        let burst = first_burst + done + 1;
        for s in &mut stimuli {
            s.stage(&mut npu, burst, &mut voxels)?;
        }
        let t0 = Instant::now();
        let result = npu.process_burst(None)?;
        burst_times.push(t0.elapsed());
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
                r.mark(done + 1, f.area as usize, f.id);
            }
        }
        done += 1;
        if let (Some(path), Some(every)) = (&args.save, args.save_every) {
            if done.is_multiple_of(every) && done < args.bursts {
                npu.save(path)?;
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
        if let Some(p) = pacer.as_mut() {
            // The runtime's one catch-up rule: never burst to make up for lost time.
            p.wait();
        }
    }
    let wall = start.elapsed();
    progress.finish_and_clear();
    if let Some(path) = &args.save {
        npu.save(path)?;
        eprintln!(
            "saved the brain at burst {} to {}",
            npu.burst_count(),
            path.display()
        );
    }

    if let Some(rec) = recorder {
        rec.finish()?;
    }
    if let (Some(r), Some(path)) = (raster.as_ref(), args.raster.as_ref()) {
        r.write(path, &format!("feagi-npu raster: {label}, {done} bursts"))?;
    }

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
    let summary = RunSummary {
        genome: label,
        neurons: npu.neuron_count(),
        synapses: npu.synapse_count(),
        areas: npu.area_count(),
        bursts: done,
        stopped_early: done < args.bursts,
        wall_time_s: wall.as_secs_f64(),
        achieved_hz: done as f64 / wall.as_secs_f64().max(1e-9),
        median_burst_ms: quantile_ms(&burst_times, 0.5),
        p99_burst_ms: quantile_ms(&burst_times, 0.99),
        max_burst_ms: quantile_ms(&burst_times, 1.0),
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
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        summary.print_table();
    }
    Ok(std::process::ExitCode::SUCCESS)
}

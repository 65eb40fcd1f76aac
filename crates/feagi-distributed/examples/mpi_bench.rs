//! The synthetic benchmark network of `feagi-npu bench synthetic` over the
//! ranks of an MPI job: time per burst split into compute (phases 0-2 and 3
//! on this rank) and exchange (the all-gather of the fired neurons), bytes
//! received per burst, and peak memory per rank (docs/SCALING.md).
//!
//! ```sh
//! cargo build --release -p feagi-distributed --example mpi_bench
//! mpirun -np 2 target/release/examples/mpi_bench --neurons 1000000 --fanout 100 --firing 0.01
//! ```

use std::time::{Duration, Instant};

use feagi_burst_engine::synthetic::{build, Driver, SyntheticSpec, Targets};
use feagi_burst_engine::{NpuConfig, Partition};
use feagi_distributed::Mpi;

struct Options {
    neurons: u32,
    fanout: u32,
    firing: f64,
    bursts: u64,
    warmup: u64,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        neurons: 1_000_000,
        fanout: 100,
        firing: 0.01,
        bursts: 200,
        warmup: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = || format!("bad value {value:?} for {flag}");
        match flag.as_str() {
            "--neurons" => o.neurons = value.parse().map_err(|_| bad())?,
            "--fanout" => o.fanout = value.parse().map_err(|_| bad())?,
            "--firing" => o.firing = value.parse().map_err(|_| bad())?,
            "--bursts" => o.bursts = value.parse().map_err(|_| bad())?,
            "--warmup" => o.warmup = value.parse().map_err(|_| bad())?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(o)
}

/// Peak resident memory of this process in bytes (Linux), 0 elsewhere.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = parse()?;
    let mpi = Mpi::init()?;
    let (rank, ranks) = (mpi.rank(), mpi.ranks());
    let spec = SyntheticSpec {
        neurons: o.neurons,
        fanout: o.fanout,
        firing: o.firing,
        targets: Targets::Random,
        seed: 1,
    };
    let config = NpuConfig {
        record_phase_timings: true,
        ..NpuConfig::default()
    };
    let built = Instant::now();
    let npu = build(&spec, config)?;
    let partition = Partition::balanced(&npu, ranks)?;
    let mut npu = npu.into_partitioned(partition.clone(), rank)?;
    let build_s = built.elapsed().as_secs_f64();
    let mut driver = Driver::new(&spec);
    let mut exchange = mpi.exchange();
    let (mut total, mut exchanged) = (Duration::ZERO, Duration::ZERO);
    let mut fired = 0u64;
    let mut bytes_before = 0;
    for b in 0..o.warmup + o.bursts {
        if b == o.warmup {
            bytes_before = exchange.bytes_received();
        }
        driver.stage(&mut npu)?;
        let t0 = Instant::now();
        let r = npu.process_burst_partitioned(None, &mut exchange)?;
        let took = t0.elapsed();
        let count = r.fired_count as u64;
        if b >= o.warmup {
            total += took;
            exchanged += npu.last_phase_timings().exchange;
            fired += count;
        }
    }
    let bytes = exchange.bytes_received() - bytes_before;
    // Every rank's numbers, gathered as sums of one-hot vectors.
    let mine = |v: u64| {
        let mut slots = vec![0u64; ranks];
        slots[rank] = v;
        mpi.sum(&slots)
    };
    let us = |d: Duration| d.as_micros() as u64;
    let totals = mine(us(total));
    let exchanges = mine(us(exchanged));
    let rss = mine(peak_rss());
    let synapses = mine(npu.synapse_count() as u64);
    if rank == 0 {
        let n = o.bursts.max(1) as f64;
        println!(
            "{} neurons x {} synapses, firing {} %, {} ranks, {} bursts (after {} warm-up); build {:.1} s on rank 0",
            o.neurons, o.fanout, o.firing * 100.0, ranks, o.bursts, o.warmup, build_s
        );
        println!(
            "fired per burst {:.0}; bytes received per burst per rank {:.0}",
            fired as f64 / n,
            bytes as f64 / n
        );
        println!("rank  range                 synapses     burst ms  exchange ms  compute ms  peak RSS MiB");
        for r in 0..ranks {
            let range = partition.range(r);
            let burst = totals[r] as f64 / n / 1e3;
            let ex = exchanges[r] as f64 / n / 1e3;
            println!(
                "{r:>4}  {:>9}..{:<9}  {:>11}  {burst:>11.3}  {ex:>11.3}  {:>10.3}  {:>12.0}",
                range.start,
                range.end,
                synapses[r],
                burst - ex,
                rss[r] as f64 / (1 << 20) as f64
            );
        }
    }
    Ok(())
}

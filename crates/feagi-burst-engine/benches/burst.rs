//! Median burst time of a synthetic network: 100 000 neurons, 100 random
//! synapses each, 1 % driven to fire per burst. The sequential and parallel
//! paths run side by side in one process so their ratio is meaningful on a
//! shared machine. Run: `cargo bench -p feagi-burst-engine`.

// `criterion_group!` generates a `pub fn benches` that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use feagi_burst_engine::synthetic::{build, Driver, SyntheticSpec, Targets};
use feagi_burst_engine::NpuConfig;

fn burst(c: &mut Criterion) {
    let spec = SyntheticSpec {
        neurons: 100_000,
        fanout: 100,
        firing: 0.01,
        targets: Targets::Random,
        seed: 1,
    };
    let mut group = c.benchmark_group("burst_100k_k100_1pct");
    for (name, parallel) in [("sequential", false), ("parallel", true)] {
        let config = NpuConfig {
            parallel,
            ..NpuConfig::default()
        };
        let mut npu = build(&spec, config).expect("synthetic network");
        let mut driver = Driver::new(&spec);
        for _ in 0..50 {
            driver.stage(&mut npu).expect("stage");
            npu.process_burst(None).expect("burst");
        }
        group.bench_function(name, |b| {
            b.iter(|| {
                driver.stage(&mut npu).expect("stage");
                npu.process_burst(None).expect("burst").fired_count
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60);
    targets = burst
}
criterion_main!(benches);

//! Parallel and sequential execution give bit-identical bursts (SPEC §7.1):
//! fired sets, firing potentials, FCL sums, final neuron state and ledgers,
//! with the parallel path forced on, on 1, 2 and 3 rayon threads; with
//! plasticity, also every weight, created synapse and memory neuron.

mod support;

use proptest::prelude::*;
use support::random_network::{build, make_plastic, trace, Trace};

fn run(seed: u64, neurons: u32, parallel: bool, threads: usize) -> Trace {
    run_with(seed, neurons, parallel, threads, false)
}

fn run_with(seed: u64, neurons: u32, parallel: bool, threads: usize, plastic: bool) -> Trace {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut npu = build(seed, neurons, 12);
        if plastic {
            make_plastic(&mut npu, seed);
        }
        npu.set_parallel(parallel, 0);
        trace(&mut npu, seed, 25)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    // Networks over two FCL shards (8192 neurons) so propagation really splits.
    #[test]
    fn parallel_runs_are_bit_identical(seed in any::<u64>(), neurons in 8_400u32..12_000) {
        let sequential = run(seed, neurons, false, 1);
        prop_assert!(sequential.fired.iter().map(Vec::len).sum::<usize>() > 0, "the network must be active");
        for threads in [1, 2, 3] {
            let parallel = run(seed, neurons, true, threads);
            prop_assert!(parallel == sequential, "{} threads differ from sequential", threads);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    // With STDP (one pair bidirectional) and a memory area with a twin: the
    // weights, created synapses and memory neurons are identical too.
    #[test]
    fn plastic_parallel_runs_are_bit_identical(seed in any::<u64>(), neurons in 8_400u32..10_000) {
        let sequential = run_with(seed, neurons, false, 1, true);
        let frozen = run_with(seed, neurons, false, 1, false);
        prop_assert!(sequential.synapses != frozen.synapses, "the network must learn");
        for threads in [2, 3] {
            let parallel = run_with(seed, neurons, true, threads, true);
            prop_assert!(parallel == sequential, "{} threads differ from sequential", threads);
        }
    }
}

#[test]
fn large_random_network_is_bit_identical_across_thread_counts() {
    // 100 000 neurons, up to 12 synapses each: every phase splits.
    let sequential = run(7, 100_000, false, 1);
    let parallel = run(7, 100_000, true, 2);
    assert!(sequential.fired.iter().map(Vec::len).sum::<usize>() > 1000);
    assert!(sequential == parallel);
}

//! M2.6: the big reproducers are refused fast and before their memory is
//! allocated. This file holds one test, so this process's peak resident
//! memory (`VmHWM`, Linux) is that test's alone: it must stay small although
//! every input asks for gigabytes.

mod common;

use common::{all_to_all, generated};
use feagi_genome::{develop_with_options, Genome, GenomeError, LoadOptions, Resource};
use std::time::{Duration, Instant};

/// Peak resident memory of this process in bytes, `None` off Linux.
fn peak_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status.lines().find_map(|l| {
        l.strip_prefix("VmHWM:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })?;
    Some(kib * 1024)
}

/// Runs one refusal: it must be an error of `resource` within a second.
fn refused(what: &str, resource: Resource, f: impl FnOnce() -> Result<(), GenomeError>) {
    let start = Instant::now();
    let e = match f() {
        Ok(()) => panic!("{what}: accepted"),
        Err(e) => e,
    };
    let took = start.elapsed();
    eprintln!("{what}: refused in {took:?}: {e}");
    assert!(took < Duration::from_secs(1), "{what}: took {took:?}");
    assert_eq!(
        e.capacity().map(|c| c.resource),
        Some(resource),
        "{what}: {e}"
    );
}

#[test]
fn big_reproducers_are_refused_fast_with_a_small_peak() {
    let options = LoadOptions::default().with_memory_limit(Some(u64::MAX));

    // A 1 GiB genome file (sparse: it takes no disk): refused from its size.
    let path = std::env::temp_dir().join(format!("feagi-peak-{}.json", std::process::id()));
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(1 << 30).expect("sparse file");
    drop(file);
    refused("1 GiB file", Resource::GenomeBytes, || {
        Genome::from_path(&path).map(drop)
    });
    let _ = std::fs::remove_file(&path);

    // 20M neurons x 100 randomizer rules: 2e9 synapses (was 54 s, 11.7 GB).
    let genome = generated(20_000_000, 100);
    refused("2e9 synapses", Resource::Synapses, || {
        develop_with_options(&genome, 0, &options).map(drop)
    });
    drop(genome);

    // Two 300 x 300 areas all to all: 8.1e9 synapses (was 75 s).
    let genome = all_to_all(300);
    refused("300x300 all to all", Resource::Synapses, || {
        develop_with_options(&genome, 0, &options).map(drop)
    });

    // 4.4M neurons x 100: 4.4e8 synapses need more than 8 GB.
    let genome = generated(4_400_000, 100);
    let eight_gb = LoadOptions::default().with_memory_limit(Some(8_000_000_000));
    refused("4.4e8 synapses in 8 GB", Resource::MemoryBytes, || {
        develop_with_options(&genome, 0, &eight_gb).map(drop)
    });

    // 100 overlapping all-to-all pattern pairs from one neuron into 500 x 500:
    // 250 000 synapses, but the pairs' boxes add up to 25M voxels (200 MB)
    // unless the union is deduplicated as it grows.
    let pairs: Vec<serde_json::Value> = (0..100)
        .map(|_| serde_json::json!([["*", "*", "*"], ["*", "*", "*"]]))
        .collect();
    let genome = Genome::from_value(serde_json::json!({
        "version": "3.0",
        "neuron_morphologies": {"many": {"type": "patterns", "parameters": {"patterns": pairs}}},
        "blueprint": {
            "cA______": {"block_boundaries": [1, 1, 1], "cortical_mapping_dst": {"cB______": [{"morphology_id": "many"}]}},
            "cB______": {"block_boundaries": [500, 500, 1]}
        }
    }))
    .expect("loads");
    let c = develop_with_options(&genome, 0, &options).expect("develops");
    assert_eq!(c.synapses.len(), 250_000);
    drop(c);

    if let Some(peak) = peak_bytes() {
        eprintln!("peak resident memory: {} MiB", peak >> 20);
        assert!(peak < 128 << 20, "peak {} MiB", peak >> 20);
    }
}

//! Snapshots (SPEC §6.3, item 45): a brain saved after burst k and loaded
//! again continues exactly as the run that never stopped; damaged, foreign
//! or hostile files give clear errors, never a panic.

mod support;

use feagi_burst_engine::snapshot::SNAPSHOT_FORMAT_VERSION;
use feagi_burst_engine::{Genome, NpuConfig, RustNPU, SnapshotError};
use feagi_types::rng::SplitMix64;
use support::random_network::{build, make_plastic, stage_random, trace, Trace};

fn bytes_of(npu: &mut RustNPU) -> Vec<u8> {
    let mut bytes = Vec::new();
    npu.save_to(&mut bytes).expect("save to memory");
    bytes
}

/// Every synapse as (source, target, exact weight), in row order.
fn weights(npu: &RustNPU) -> Vec<(u32, u32, u8)> {
    (0..npu.neuron_count() as u32)
        .flat_map(|s| {
            npu.outgoing(s)
                .unwrap()
                .into_iter()
                .map(move |y| (s, y.peer, y.weight))
        })
        .collect()
}

fn plastic_network(seed: u64, parallel: bool) -> RustNPU {
    let mut npu = build(seed, 9_000, 12);
    make_plastic(&mut npu, seed);
    npu.set_parallel(parallel, 0);
    npu
}

/// Saves after `k` bursts, loads, and checks the next `m` bursts against a
/// twin that never stopped (and against the saved original itself).
fn resume_matches(seed: u64, parallel: bool, k: u64, m: u64) {
    let mut original = plastic_network(seed, parallel);
    let mut never_stopped = plastic_network(seed, parallel);
    let first = trace(&mut original, seed, k);
    assert_eq!(first, trace(&mut never_stopped, seed, k));
    // Leave input staged across the save: it belongs to the snapshot.
    let mut rng = SplitMix64::new(seed ^ 7);
    stage_random(&mut original, &mut rng, 0.05);
    stage_random(&mut never_stopped, &mut SplitMix64::new(seed ^ 7), 0.05);

    let bytes = bytes_of(&mut original);
    let mut resumed = RustNPU::load_from(bytes.as_slice()).expect("load");
    assert_eq!(resumed.burst_count(), k);
    assert_eq!(
        resumed.memory_neuron_count(),
        never_stopped.memory_neuron_count()
    );
    let expected: Trace = trace(&mut never_stopped, seed + 1, m);
    let got = trace(&mut resumed, seed + 1, m);
    for (k, (x, y)) in got.fired.iter().zip(&expected.fired).enumerate() {
        assert_eq!(
            x,
            y,
            "seed {seed} parallel {parallel}: burst {} after resuming",
            k + 1
        );
    }
    assert!(
        got == expected,
        "seed {seed} parallel {parallel}: the resumed brain differs"
    );
    assert!(
        trace(&mut original, seed + 1, m) == expected,
        "seed {seed}: saving changed the brain"
    );
    // It learned: weights moved away from a frozen run's.
    let mut frozen = build(seed, 9_000, 12);
    let frozen = trace(&mut frozen, seed, k + m);
    assert_ne!(
        expected.synapses, frozen.synapses,
        "seed {seed}: nothing learned"
    );
}

#[test]
fn item_45_resumed_brains_continue_bit_identically() {
    for seed in 1..5 {
        resume_matches(seed, false, 17 + seed, 30);
        resume_matches(seed, true, 23 + seed, 30);
    }
}

#[test]
fn item_45_a_snapshot_of_a_resumed_brain_is_the_same_file() {
    let mut npu = plastic_network(9, true);
    let _ = trace(&mut npu, 9, 40);
    let bytes = bytes_of(&mut npu);
    let mut resumed = RustNPU::load_from(bytes.as_slice()).unwrap();
    assert_eq!(bytes_of(&mut resumed), bytes);
}

#[test]
fn item_45_real_learning_genomes_resume_bit_identically() {
    let Some(dir) = support::genomes_dir() else {
        return;
    };
    for name in [
        "community_gesture_recognition.json",
        "community_learning_v1_1b.json",
        "community_webots_salamander.json",
    ] {
        let genome = Genome::from_path(dir.join(name)).expect(name);
        let config = NpuConfig {
            seed: 3,
            ..NpuConfig::default()
        };
        let make = || {
            let mut npu = RustNPU::from_genome(&genome, config.clone()).expect(name);
            npu.set_genome_source(Some(name.to_string()));
            npu
        };
        let (mut a, mut b) = (make(), make());
        let drive = |npu: &mut RustNPU, from: u64, to: u64| -> Vec<Vec<(u32, u32)>> {
            let n = npu.neuron_count() as u64;
            (from..to)
                .map(|t| {
                    // Input held for 10 bursts, as a camera frame would be.
                    let mut rng = SplitMix64::new(t / 10);
                    for id in 3..n {
                        if rng.chance(0.2) {
                            npu.stage_input(id as u32, 50.0).unwrap();
                        }
                    }
                    let r = npu.process_burst(None).unwrap();
                    r.fired_neurons
                        .iter()
                        .zip(r.fired_potentials)
                        .map(|(&i, v)| (i, v.to_bits()))
                        .collect()
                })
                .collect()
        };
        drive(&mut a, 0, 45);
        drive(&mut b, 0, 45);
        let mut resumed = RustNPU::load_from(bytes_of(&mut a).as_slice()).expect(name);
        assert_eq!(resumed.genome_source(), Some(name));
        assert_eq!(
            drive(&mut resumed, 45, 120),
            drive(&mut b, 45, 120),
            "{name}: fired sets or potentials differ after resuming"
        );
        let bits = |npu: &RustNPU| -> Vec<u32> {
            npu.neurons()
                .membrane_potential()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        };
        assert_eq!(bits(&resumed), bits(&b), "{name}: V differs");
        assert_eq!(weights(&resumed), weights(&b), "{name}: weights differ");
    }
}

#[test]
fn hand_built_layouts_round_trip() {
    // Neurons added to areas out of order, partial grids: not a developed
    // layout, so the loader rebuilds it neuron by neuron.
    let mut npu = support::core_npu();
    let a = npu
        .register_area(support::area("cAaaa___", [4, 4, 1]))
        .unwrap();
    let b = npu
        .register_area(support::area("cBbbb___", [3, 1, 1]))
        .unwrap();
    for (area, x) in [(a, 0), (b, 0), (a, 1), (b, 2), (a, 3)] {
        let p = support::params(|p| p.threshold = 2.0 + x as f32);
        npu.add_neuron(area, p, [x, 0, 0]).unwrap();
    }
    for (s, d) in [(3, 4), (4, 5), (5, 3), (6, 7), (7, 3)] {
        npu.add_synapse(s, d, 3, 1, feagi_types::SynapseType::Excitatory)
            .unwrap();
    }
    npu.add_stdp_pair(support::stdp(a, b, 1, 1, 1, 1, true))
        .unwrap();
    let bytes = bytes_of(&mut npu);
    let mut back = RustNPU::load_from(bytes.as_slice()).unwrap();
    for t in 0..20 {
        for id in [3, 5] {
            npu.stage_input(id, 4.0 + t as f32).unwrap();
            back.stage_input(id, 4.0 + t as f32).unwrap();
        }
        let x = npu.process_burst(None).unwrap().fired_neurons.to_vec();
        assert_eq!(back.process_burst(None).unwrap().fired_neurons, x);
    }
    assert_eq!(bytes_of(&mut back), bytes_of(&mut npu));
}

// ----- bad files -----------------------------------------------------------

fn small_snapshot() -> Vec<u8> {
    let mut npu = build(5, 60, 4);
    make_plastic(&mut npu, 5);
    let _ = trace(&mut npu, 5, 12);
    bytes_of(&mut npu)
}

fn load_error(bytes: &[u8]) -> String {
    match RustNPU::load_from(bytes) {
        Ok(_) => panic!("a damaged snapshot loaded"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn truncated_at_any_byte_is_an_error() {
    let bytes = small_snapshot();
    for cut in 0..bytes.len() {
        let message = load_error(&bytes[..cut]);
        assert!(
            message.contains("truncated") || message.contains("not a feagi-rust snapshot"),
            "cut at {cut}: {message}"
        );
    }
}

#[test]
fn a_flipped_bit_anywhere_is_an_error() {
    let bytes = small_snapshot();
    let mut rng = SplitMix64::new(11);
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 1 << rng.below(8);
        let message = load_error(&damaged);
        assert!(!message.is_empty(), "byte {i}");
    }
}

#[test]
fn foreign_files_are_named_for_what_they_are() {
    let bytes = small_snapshot();
    assert!(load_error(&[]).contains("empty"));
    assert!(load_error(b"{\"genome_id\": 1}").contains("JSON"));
    assert!(load_error(b"  \n{").contains("JSON"));
    assert!(load_error(b"PK\x03\x04 a zip file, not ours").contains("not a feagi-rust snapshot"));
    let mut future = bytes.clone();
    future[8..12].copy_from_slice(&(SNAPSHOT_FORMAT_VERSION + 1).to_le_bytes());
    let message = load_error(&future);
    assert!(
        message.contains(&format!("format version {}", SNAPSHOT_FORMAT_VERSION + 1))
            && message.contains("newer"),
        "{message}"
    );
    let mut joined = bytes.clone();
    joined.extend_from_slice(&bytes);
    assert!(load_error(&joined).contains("follow the checksum"));

    let dir = std::env::temp_dir().join(format!("feagi-snapshot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let message = RustNPU::load(&dir).err().unwrap().to_string();
    assert!(message.contains(&dir.display().to_string()), "{message}");
    let missing = dir.join("missing.snap");
    let message = RustNPU::load(&missing).err().unwrap().to_string();
    assert!(message.contains("missing.snap"), "{message}");
    let genome = dir.join("genome.json");
    std::fs::write(&genome, feagi_genome::default_genome_json()).unwrap();
    let message = RustNPU::load(&genome).err().unwrap().to_string();
    assert!(
        message.contains("genome.json") && message.contains("JSON"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The checksum of a damaged file, recomputed: the content checks behind it
/// get hostile input too.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn fuzzed_snapshots_never_panic() {
    let cases: u64 = std::env::var("FEAGI_SNAPSHOT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let bytes = small_snapshot();
    let mut rng = SplitMix64::new(0xF022);
    let (mut loaded, mut rejected) = (0u64, 0u64);
    for case in 0..cases {
        let mut m = bytes.clone();
        match rng.below(4) {
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(m.len() as u64) as usize;
                    m[i] = rng.below(256) as u8;
                }
            }
            1 => {
                // A length or count field set huge.
                let i = rng.below(m.len() as u64 - 8) as usize;
                m[i..i + 8].copy_from_slice(&u64::MAX.to_le_bytes()[..]);
            }
            2 => {
                let i = rng.below(m.len() as u64) as usize;
                let j = (i + 1 + rng.below(64) as usize).min(m.len());
                m.drain(i..j);
            }
            _ => {
                let i = rng.below(m.len() as u64) as usize;
                m.insert(i, rng.below(256) as u8);
            }
        }
        // Half the cases get a valid checksum, so the content checks are hit.
        let resealed = case % 2 == 0 && m.len() > 8;
        if resealed {
            reseal(&mut m);
        }
        match RustNPU::load_from(m.as_slice()) {
            Ok(mut npu) => {
                loaded += 1;
                // Whatever loaded must run.
                for _ in 0..3 {
                    let _ = npu.process_burst(None);
                }
            }
            Err(e) => {
                rejected += 1;
                // Damage the checksum did not cover is reported as such.
                if !resealed {
                    assert!(!matches!(e, SnapshotError::Invalid(_)), "case {case}: {e}");
                }
            }
        }
    }
    eprintln!("fuzz: {cases} mutated snapshots, {rejected} rejected, {loaded} loaded and ran");
    assert_eq!(loaded + rejected, cases);
    assert!(rejected > cases / 2, "{rejected} of {cases} rejected");
}

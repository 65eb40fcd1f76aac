//! A brain spread over R ranks (threads here, exchanging through
//! `ThreadExchange`) runs bit-identically to one process (issue 16, M3): burst
//! by burst the same fired neurons and firing potentials on every rank, the
//! same V, refractory countdowns and consecutive counts of each rank's
//! neurons, the same synapses (target, weight, PSP) into them, and per-rank
//! counters that sum to one process's; for R = 1, 2, 3, 4, with plasticity
//! on, on every loadable genome of `FEAGI_GENOMES` (200 bursts of seeded
//! random input) and on random plastic networks (any cut points). A rank that
//! develops only its own part of a genome (`RustNPU::from_genome_partitioned`)
//! holds exactly what partitioning the whole brain gives it, and runs the same.

mod support;

use std::path::PathBuf;

use feagi_burst_engine::{
    AreaKind, ExchangeError, FireExchange, Genome, NeuronId, NpuConfig, NpuError, Partition,
    RustNPU, ThreadExchange,
};
use feagi_types::rng::SplitMix64;
use proptest::prelude::*;
use support::random_network::{build, make_plastic, stage_random};
use xxhash_rust::xxh3::Xxh3;

/// What one burst looks like, for the neurons and synapses of one range.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Observed {
    /// FQ(t) as (id, potential bits): the whole brain's on every rank.
    fired: Vec<(u32, u32)>,
    /// xxh3 of (V bits, countdown, consecutive count) of the range's neurons.
    state: u64,
    /// xxh3 of every synapse into the range, in row order: (source, target,
    /// weight, PSP, type).
    synapses: u64,
    /// The same with each row's synapses grouped by target (stably): what
    /// a burst's sums depend on, the order per target.
    synapses_by_target: u64,
    /// Per-rank counters: synaptic injections, candidates, refractory,
    /// power injections, potentiations, depressions, synapses created.
    counters: [u64; 7],
}

fn state_digest(npu: &RustNPU, range: std::ops::Range<NeuronId>) -> u64 {
    let n = npu.neurons();
    let (v, countdown, count) = (
        n.membrane_potential(),
        n.refractory_countdown(),
        n.consecutive_fire_count(),
    );
    let mut h = Xxh3::new();
    for i in range.start as usize..range.end as usize {
        h.update(&v[i].to_bits().to_le_bytes());
        h.update(&countdown[i].to_le_bytes());
        h.update(&count[i].to_le_bytes());
    }
    h.digest()
}

/// Per rank of `partition`: the digests of the synapses into its range in
/// row order, and with each row grouped by target.
fn synapse_digests(npu: &mut RustNPU, partition: &Partition) -> Vec<(u64, u64)> {
    let mut in_order: Vec<Xxh3> = (0..partition.ranks()).map(|_| Xxh3::new()).collect();
    let mut by_target: Vec<Xxh3> = (0..partition.ranks()).map(|_| Xxh3::new()).collect();
    let n = npu.neuron_count() as NeuronId;
    let synapses = npu.settled_synapses();
    let mut row_entries = Vec::new();
    for s in 0..n {
        let row = synapses.row(s);
        row_entries.clear();
        for i in 0..row.len() {
            let t = row.target[i];
            let Some(owner) = partition.owner(t) else {
                continue;
            };
            let entry = (t, row.weight[i], row.psp[i], row.synapse_type[i].code());
            let h = &mut in_order[owner];
            h.update(&s.to_le_bytes());
            h.update(&t.to_le_bytes());
            h.update(&[entry.1, entry.2, entry.3]);
            row_entries.push((owner, entry));
        }
        row_entries.sort_by_key(|(_, e)| e.0);
        for (owner, (t, w, p, c)) in &row_entries {
            let h = &mut by_target[*owner];
            h.update(&s.to_le_bytes());
            h.update(&t.to_le_bytes());
            h.update(&[*w, *p, *c]);
        }
    }
    in_order
        .iter()
        .zip(&by_target)
        .map(|(a, b)| (a.digest(), b.digest()))
        .collect()
}

fn observe(
    npu: &mut RustNPU,
    partition: &Partition,
    ranks: std::ops::Range<usize>,
    counters: [u64; 7],
    fired: Vec<(u32, u32)>,
) -> Vec<Observed> {
    let synapses = synapse_digests(npu, partition);
    ranks
        .map(|r| Observed {
            fired: fired.clone(),
            state: state_digest(npu, partition.range(r)),
            synapses: synapses[r].0,
            synapses_by_target: synapses[r].1,
            counters,
        })
        .collect()
}

/// Stages this burst's input; the same calls on every rank and on the reference.
type Input<'a> = dyn Fn(&mut RustNPU, u64) + Sync + 'a;

/// Runs `bursts` bursts; returns [burst][rank] observations of the ranges of
/// `partition`. `exchanges` None: one process (the reference).
fn run(
    make: &(dyn Fn() -> RustNPU + Sync),
    input: &Input,
    partition: &Partition,
    bursts: u64,
    exchanges: Option<Vec<Box<dyn FireExchange + Send>>>,
) -> Result<Vec<Vec<Observed>>, String> {
    let ranks = partition.ranks();
    let Some(exchanges) = exchanges else {
        let mut npu = make();
        let mut out = Vec::new();
        for t in 1..=bursts {
            input(&mut npu, t);
            let r = npu.process_burst(None).map_err(|e| e.to_string())?;
            let fired = fired_of(r.fired_neurons, r.fired_potentials);
            let counters = counters_of(&r);
            out.push(observe(&mut npu, partition, 0..ranks, counters, fired));
        }
        return Ok(out);
    };
    let start = start_ranks(make, partition, false);
    run_ranks(exchanges, partition, input, 1..=bursts, &start, &|_, _| {
        Ok(())
    })
}

/// Rank r of `partition` for `make`'s brain, routing staged input when `route`.
fn start_ranks<'a>(
    make: &'a (dyn Fn() -> RustNPU + Sync),
    partition: &'a Partition,
    route: bool,
) -> impl Fn(usize) -> Result<RustNPU, String> + Sync + 'a {
    move |rank| {
        let mut npu = make()
            .into_partitioned(partition.clone(), rank)
            .map_err(|e| e.to_string())?;
        npu.set_route_staged_input(route)
            .map_err(|e| e.to_string())?;
        Ok(npu)
    }
}

/// Every rank's observations (burst by burst), regrouped by burst: entry t
/// holds what each rank saw in burst t + 1, in rank order.
fn by_burst(per_rank: Vec<Result<Vec<Observed>, String>>) -> Result<Vec<Vec<Observed>>, String> {
    let per_rank = per_rank.into_iter().collect::<Result<Vec<_>, _>>()?;
    let count = per_rank.first().map_or(0, Vec::len);
    Ok((0..count)
        .map(|t| per_rank.iter().map(|r| r[t].clone()).collect())
        .collect())
}

fn fired_of(ids: &[NeuronId], potentials: &[f32]) -> Vec<(u32, u32)> {
    ids.iter()
        .zip(potentials)
        .map(|(&i, v)| (i, v.to_bits()))
        .collect()
}

fn counters_of(r: &feagi_burst_engine::BurstResult<'_>) -> [u64; 7] {
    [
        r.synaptic_injections as u64,
        r.neurons_processed as u64,
        r.neurons_in_refractory as u64,
        r.power_injections as u64,
        r.plasticity.potentiations,
        r.plasticity.depressions,
        r.plasticity.synapses_created,
    ]
}

/// The first difference between the reference and a partitioned run.
fn compare(reference: &[Vec<Observed>], got: &[Vec<Observed>]) -> Result<(), String> {
    compare_rows(reference, got, true)
}

/// [`compare`]; with `row_order` false the synapses are compared grouped by
/// target within each row (a re-partitioned brain's rows may order targets
/// differently, never the synapses of one target).
fn compare_rows(
    reference: &[Vec<Observed>],
    got: &[Vec<Observed>],
    row_order: bool,
) -> Result<(), String> {
    if reference.len() != got.len() {
        return Err(format!("{} bursts vs {}", reference.len(), got.len()));
    }
    for (t, (want, have)) in reference.iter().zip(got).enumerate() {
        let t = t + 1;
        let mut sums = [0u64; 7];
        for (rank, (w, h)) in want.iter().zip(have).enumerate() {
            if w.fired != h.fired {
                return Err(format!(
                    "burst {t}: rank {rank} sees {} fired, one process {}",
                    h.fired.len(),
                    w.fired.len()
                ));
            }
            if w.state != h.state {
                return Err(format!("burst {t}: rank {rank}'s neuron state differs"));
            }
            if w.synapses_by_target != h.synapses_by_target
                || (row_order && w.synapses != h.synapses)
            {
                return Err(format!("burst {t}: rank {rank}'s synapses differ"));
            }
            for (s, c) in sums.iter_mut().zip(h.counters) {
                *s += c;
            }
        }
        if sums != want[0].counters {
            return Err(format!(
                "burst {t}: summed counters {sums:?}, one process {:?}",
                want[0].counters
            ));
        }
    }
    Ok(())
}

fn thread_exchanges(ranks: usize) -> Vec<Box<dyn FireExchange + Send>> {
    ThreadExchange::group(ranks)
        .into_iter()
        .map(|x| Box::new(x) as Box<dyn FireExchange + Send>)
        .collect()
}

/// R = 1..4 with the balanced partition (and `extra` partitions) against one process.
fn check_all_ranks(
    name: &str,
    make: &(dyn Fn() -> RustNPU + Sync),
    input: &Input,
    bursts: u64,
    extra: &[Partition],
) -> Vec<Vec<Observed>> {
    let template = make();
    let mut partitions: Vec<Partition> = (1..=4)
        .map(|r| Partition::balanced(&template, r).expect("partition"))
        .collect();
    partitions.extend(extra.iter().cloned());
    drop(template);
    let mut first = None;
    for partition in &partitions {
        let reference = run(make, input, partition, bursts, None).expect("one process");
        let got = run(
            make,
            input,
            partition,
            bursts,
            Some(thread_exchanges(partition.ranks())),
        )
        .unwrap_or_else(|e| panic!("{name}, {:?}: {e}", partition.bounds()));
        if let Err(e) = compare(&reference, &got) {
            panic!("{name}, partition {:?}: {e}", partition.bounds());
        }
        first.get_or_insert(reference);
    }
    first.unwrap_or_default()
}

/// Seeded input for a developed genome: random voxels of every IPU area and
/// a random 2 % of all neurons (so that inner areas fire and learn too).
fn genome_input(seed: u64) -> impl Fn(&mut RustNPU, u64) + Sync {
    move |npu: &mut RustNPU, t: u64| {
        let mut rng = SplitMix64::new(seed ^ t.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let inputs: Vec<_> = npu
            .areas()
            .filter(|a| a.area.kind == AreaKind::Ipu)
            .map(|a| (a.index, a.area.dimensions))
            .collect();
        for (index, [w, h, d]) in inputs {
            let (mut xs, mut ys, mut zs, mut ps) = (vec![], vec![], vec![], vec![]);
            for _ in 0..(w * h * d / 10).max(1) {
                xs.push(rng.below(w as u64) as u32);
                ys.push(rng.below(h as u64) as u32);
                zs.push(rng.below(d as u64) as u32);
                ps.push(rng.unit_f32() * 4.0);
            }
            npu.stage_sensory(index, &xs, &ys, &zs, &ps)
                .expect("voxels inside the area");
        }
        stage_random(npu, &mut rng, 0.02);
    }
}

/// The `.json` files of `dir`, sorted.
fn genome_paths(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read FEAGI_GENOMES")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn every_loadable_genome_runs_identically_on_1_to_4_ranks() {
    let Some(dir) = support::genomes_dir() else {
        return;
    };
    let paths = genome_paths(&dir);
    let (mut checked, mut learning) = (0, 0);
    for path in paths {
        let genome = match Genome::from_path(&path) {
            Ok(g) => g,
            Err(e) => {
                eprintln!("not loadable, skipped: {}: {e}", path.display());
                continue;
            }
        };
        let config = NpuConfig {
            seed: 5,
            plasticity: true,
            ..NpuConfig::default()
        };
        let make = || RustNPU::from_genome(&genome, config.clone()).expect("develops");
        let name = path.display().to_string();
        let trace = check_all_ranks(&name, &make, &genome_input(11), 200, &[]);
        let fired: usize = trace.iter().map(|b| b[0].fired.len()).sum();
        let learned: u64 = trace
            .iter()
            .map(|b| b[0].counters[4] + b[0].counters[5])
            .sum();
        eprintln!(
            "{name}: identical on 1-4 ranks, {fired} fired, {learned} STDP updates in 200 bursts"
        );
        checked += 1;
        learning += usize::from(learned > 0);
    }
    assert!(checked >= 5, "only {checked} genomes loaded from {dir:?}");
    // Learning across ranks is part of what is compared: some genomes learn.
    assert!(
        learning >= 3,
        "only {learning} genomes learned in 200 bursts"
    );
}

/// Every rank of R = 1..4 develops only its part of `genome`
/// (`from_genome_partitioned`): the same partition, synapses, outgoing counts
/// and neurons as `into_partitioned` of the whole brain, and then the same
/// bursts as one process.
fn check_partitioned_development(name: &str, genome: &Genome, config: &NpuConfig, bursts: u64) {
    let options = feagi_burst_engine::LoadOptions::default();
    let make = || RustNPU::from_genome(genome, config.clone()).expect("develops");
    let whole = make();
    let n = whole.neuron_count() as NeuronId;
    for ranks in 1..=4 {
        let partition = Partition::balanced(&whole, ranks).expect("partition");
        let development = std::sync::Mutex::new(
            ThreadExchange::group(ranks)
                .into_iter()
                .map(Some)
                .collect::<Vec<_>>(),
        );
        let start = |rank: usize| -> Result<RustNPU, String> {
            let mut exchange = development.lock().map_err(|e| e.to_string())?[rank]
                .take()
                .ok_or("one exchange per rank")?;
            let mut npu =
                RustNPU::from_genome_partitioned(genome, config.clone(), &options, &mut exchange)
                    .map_err(|e| format!("{name}: rank {rank} of {ranks}: {e}"))?;
            let (got, r) = npu.partition().ok_or("a partitioned NPU")?;
            if (got, r) != (&partition, rank) {
                return Err(format!(
                    "{name}: rank {rank} of {ranks}: partition {:?}, expected {:?}",
                    got.bounds(),
                    partition.bounds()
                ));
            }
            let reference = make()
                .into_partitioned(partition.clone(), rank)
                .map_err(|e| e.to_string())?;
            for s in 0..n {
                let (a, b) = (
                    npu.global_outgoing_count(s).map_err(|e| e.to_string())?,
                    reference
                        .global_outgoing_count(s)
                        .map_err(|e| e.to_string())?,
                );
                if a != b {
                    return Err(format!(
                        "{name}: rank {rank}: neuron {s} has {a} outgoing, expected {b}"
                    ));
                }
            }
            let mut reference = reference;
            let mine = synapse_digests(&mut npu, &partition)[rank];
            let theirs = synapse_digests(&mut reference, &partition)[rank];
            if mine != theirs || state_digest(&npu, 0..n) != state_digest(&reference, 0..n) {
                return Err(format!(
                    "{name}: rank {rank} of {ranks} differs from into_partitioned"
                ));
            }
            Ok(npu)
        };
        let input = genome_input(17);
        let reference = run(&make, &input, &partition, bursts, None).expect("one process");
        let got = run_ranks(
            thread_exchanges(partition.ranks()),
            &partition,
            &input,
            1..=bursts,
            &start,
            &|_, _| Ok(()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        if let Err(e) = compare(&reference, &got) {
            panic!("{name}, developed in parts over {ranks} ranks: {e}");
        }
    }
}

#[test]
fn ranks_that_develop_only_their_part_match_the_whole_brain() {
    let config = NpuConfig {
        seed: 9,
        plasticity: true,
        ..NpuConfig::default()
    };
    check_partitioned_development("default genome", &Genome::default_genome(), &config, 60);
    let Some(dir) = support::genomes_dir() else {
        return;
    };
    let mut checked = 0;
    let paths = genome_paths(&dir);
    for path in paths {
        if let Ok(genome) = Genome::from_path(&path) {
            check_partitioned_development(&path.display().to_string(), &genome, &config, 60);
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} genomes loaded from {dir:?}");
}

#[test]
fn the_default_genome_runs_identically_on_1_to_4_ranks() {
    let genome = Genome::default_genome();
    let make = || RustNPU::from_genome(&genome, NpuConfig::default()).expect("develops");
    let trace = check_all_ranks("default genome", &make, &genome_input(3), 200, &[]);
    assert!(trace.iter().map(|b| b[0].fired.len()).sum::<usize>() > 200);
}

fn plastic_random(seed: u64, neurons: u32) -> RustNPU {
    let mut npu = build(seed, neurons, 12);
    make_plastic(&mut npu, seed);
    npu
}

fn random_input(seed: u64) -> impl Fn(&mut RustNPU, u64) + Sync {
    move |npu: &mut RustNPU, t: u64| {
        if t % 5 != 4 {
            let mut rng = SplitMix64::new(seed ^ t.wrapping_mul(0xA5A5_5A5A));
            stage_random(npu, &mut rng, 0.1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    // Random plastic networks (STDP with a bidirectional pair, a memory area
    // with a twin), balanced partitions and two ranks cut anywhere.
    #[test]
    fn random_plastic_networks_run_identically_on_1_to_4_ranks(
        seed in any::<u64>(),
        neurons in 2_000u32..4_000,
        cut in 0.0f64..1.0,
    ) {
        let make = || plastic_random(seed, neurons);
        let n = make().neuron_count() as u32;
        let a = (n as f64 * cut) as u32;
        let extra = [
            Partition::from_bounds(vec![0, a, n]).unwrap(),
            Partition::from_bounds(vec![0, a / 2, a, a, n]).unwrap(),
        ];
        let trace = check_all_ranks("random network", &make, &random_input(seed), 40, &extra);
        let learned: u64 = trace.iter().map(|b| b[0].counters[4] + b[0].counters[5]).sum();
        prop_assert!(learned > 0, "the network must learn");
    }
}

#[test]
fn synapse_creation_across_ranks_is_identical() {
    // Seeds whose bidirectional pair creates synapses within 60 bursts.
    let mut created = 0;
    for seed in 0..6 {
        let make = || plastic_random(seed, 3_000);
        let trace = check_all_ranks("creating network", &make, &random_input(seed), 60, &[]);
        created += trace.iter().map(|b| b[0].counters[6]).sum::<u64>();
    }
    assert!(
        created > 0,
        "no synapse was created: the test proves nothing"
    );
}

/// An exchange that loses the fired neurons of one rank's range.
struct Dropping {
    inner: ThreadExchange,
    lost: std::ops::Range<NeuronId>,
}

impl FireExchange for Dropping {
    fn rank(&self) -> usize {
        self.inner.rank()
    }
    fn ranks(&self) -> usize {
        self.inner.ranks()
    }
    fn all_gather(
        &mut self,
        ids: &[NeuronId],
        potentials: &[f32],
        out_ids: &mut Vec<NeuronId>,
        out_potentials: &mut Vec<f32>,
    ) -> Result<(), ExchangeError> {
        self.inner
            .all_gather(ids, potentials, out_ids, out_potentials)?;
        let keep: Vec<bool> = out_ids.iter().map(|i| !self.lost.contains(i)).collect();
        let mut k = keep.iter();
        out_ids.retain(|_| *k.next().unwrap_or(&true));
        let mut k = keep.iter();
        out_potentials.retain(|_| *k.next().unwrap_or(&true));
        Ok(())
    }
}

/// An exchange that gathers in reverse rank order.
struct Reversed(ThreadExchange);

impl FireExchange for Reversed {
    fn rank(&self) -> usize {
        self.0.rank()
    }
    fn ranks(&self) -> usize {
        self.0.ranks()
    }
    fn all_gather(
        &mut self,
        ids: &[NeuronId],
        potentials: &[f32],
        out_ids: &mut Vec<NeuronId>,
        out_potentials: &mut Vec<f32>,
    ) -> Result<(), ExchangeError> {
        self.0
            .all_gather(ids, potentials, out_ids, out_potentials)?;
        out_ids.reverse();
        out_potentials.reverse();
        Ok(())
    }
}

#[test]
fn the_comparison_catches_a_wrong_exchange() {
    let make = || plastic_random(9, 3_000);
    let input = random_input(9);
    let template = make();
    let partition = Partition::balanced(&template, 2).unwrap();
    drop(template);
    let reference = run(&make, &input, &partition, 30, None).unwrap();
    let good = run(&make, &input, &partition, 30, Some(thread_exchanges(2))).unwrap();
    assert_eq!(compare(&reference, &good), Ok(()));
    let lost = partition.range(1);
    let dropping: Vec<Box<dyn FireExchange + Send>> = ThreadExchange::group(2)
        .into_iter()
        .map(|inner| {
            Box::new(Dropping {
                inner,
                lost: lost.clone(),
            }) as Box<dyn FireExchange + Send>
        })
        .collect();
    let bad = run(&make, &input, &partition, 30, Some(dropping)).unwrap();
    let e = compare(&reference, &bad).expect_err("dropping rank 1's fired neurons must show");
    eprintln!("detected: {e}");
}

#[test]
fn a_gathered_queue_out_of_order_is_an_error_on_every_rank() {
    let make = || plastic_random(4, 3_000);
    let input = random_input(4);
    let template = make();
    let partition = Partition::balanced(&template, 2).unwrap();
    drop(template);
    let reversed: Vec<Box<dyn FireExchange + Send>> = ThreadExchange::group(2)
        .into_iter()
        .map(|x| Box::new(Reversed(x)) as Box<dyn FireExchange + Send>)
        .collect();
    let e = run(&make, &input, &partition, 30, Some(reversed)).expect_err("must fail");
    assert!(e.contains("not ascending"), "{e}");
}

#[test]
fn a_partitioned_npu_refuses_what_it_cannot_do_yet() {
    let npu = plastic_random(1, 2_000);
    let partition = Partition::balanced(&npu, 2).unwrap();
    let mut npu = npu.into_partitioned(partition, 0).unwrap();
    assert!(matches!(
        npu.process_burst(None),
        Err(NpuError::Partitioned(_))
    ));
    assert!(matches!(
        npu.add_synapse(3, 4, 1, 1, feagi_burst_engine::SynapseType::Excitatory),
        Err(NpuError::Partitioned(_))
    ));
    // A whole brain has no rank to save.
    let mut whole = plastic_random(1, 2_000);
    let e = whole.save_rank("unused.snap").unwrap_err().to_string();
    assert!(e.contains("partitioned"), "{e}");
    // The wrong rank's exchange is refused before anything runs.
    let mut group = ThreadExchange::group(2);
    let mut other = group.pop().unwrap();
    assert!(matches!(
        npu.process_burst_partitioned(None, &mut other),
        Err(NpuError::Exchange(_))
    ));
    assert_eq!(npu.burst_count(), 0);
}

#[test]
fn a_rank_that_leaves_fails_the_others_instead_of_hanging() {
    let mut group = ThreadExchange::group(2);
    let gone = group.pop().unwrap();
    drop(gone);
    let mut x = group.pop().unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    assert!(x.all_gather(&[1], &[1.0], &mut a, &mut b).is_err());
}

#[test]
fn balanced_partitions_cover_the_brain_in_rank_order() {
    let npu = plastic_random(2, 3_000);
    let n = npu.neuron_count() as u32;
    for ranks in 1..=8 {
        let p = Partition::balanced(&npu, ranks).unwrap();
        assert_eq!(p.ranks(), ranks);
        assert_eq!(p.bounds()[0], 0);
        assert_eq!(*p.bounds().last().unwrap(), n);
        for id in [0, 1, n / 2, n - 1] {
            let owner = p.owner(id).unwrap();
            assert!(p.range(owner).contains(&id));
        }
        assert_eq!(p, Partition::balanced(&npu, ranks).unwrap());
    }
    assert!(Partition::balanced(&npu, 0).is_err());
    assert!(Partition::from_bounds(vec![0, 5, 3]).is_err());
    assert!(Partition::from_bounds(vec![1, 5]).is_err());
}

/// Runs bursts `bursts` on every rank of `partition` in threads: rank r starts
/// from `start(r)` and ends with `finish(r, npu)`; [burst][rank] observations.
fn run_ranks(
    exchanges: Vec<Box<dyn FireExchange + Send>>,
    partition: &Partition,
    input: &Input,
    bursts: std::ops::RangeInclusive<u64>,
    start: &(dyn Fn(usize) -> Result<RustNPU, String> + Sync),
    finish: &(dyn Fn(usize, &mut RustNPU) -> Result<(), String> + Sync),
) -> Result<Vec<Vec<Observed>>, String> {
    let per_rank: Vec<Result<Vec<Observed>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = exchanges
            .into_iter()
            .enumerate()
            .map(|(rank, mut exchange)| {
                let bursts = bursts.clone();
                scope.spawn(move || -> Result<Vec<Observed>, String> {
                    let mut npu = start(rank)?;
                    let mut out = Vec::new();
                    for t in bursts {
                        input(&mut npu, t);
                        let r = npu
                            .process_burst_partitioned(None, exchange.as_mut())
                            .map_err(|e| format!("rank {rank} burst {t}: {e}"))?;
                        let fired = fired_of(r.fired_neurons, r.fired_potentials);
                        let counters = counters_of(&r);
                        out.extend(observe(
                            &mut npu,
                            partition,
                            rank..rank + 1,
                            counters,
                            fired,
                        ));
                    }
                    finish(rank, &mut npu)?;
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a rank panicked".into())))
            .collect()
    });
    by_burst(per_rank)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "feagi-distributed-snapshot-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Some STDP update after burst `k` (else a resume test proves little).
fn assert_learns_after(trace: &[Vec<Observed>], k: usize) {
    let learned: u64 = trace[k..]
        .iter()
        .map(|b| b[0].counters[4] + b[0].counters[5])
        .sum();
    assert!(
        learned > 0,
        "no learning after the resume: the test proves little"
    );
}

/// K bursts on `before.ranks()` ranks, burst K + 1's input staged, every rank
/// saved, loaded by `ranks` ranks into fresh NPUs (re-partitioned when the
/// count differs), M more bursts: burst by burst what one process does in
/// K + M bursts (the resumed bursts observed by the new partition; with the
/// same count, the same partition and the same rows, row order included).
/// `route`: staged input is routed (the job's input stages on one rank).
#[allow(clippy::too_many_arguments)]
fn check_resume(
    name: &str,
    make: &(dyn Fn() -> RustNPU + Sync),
    input: &Input,
    before: &Partition,
    ranks: usize,
    route: bool,
    k: u64,
    m: u64,
) -> Result<Vec<Vec<Observed>>, String> {
    let dir = scratch(name);
    let base = dir.join("brain.snap");
    let start_fresh = start_ranks(make, before, route);
    // The next burst's input is staged before the save, as a server would
    // between bursts: the files hold staged input.
    let save = |_: usize, npu: &mut RustNPU| {
        input(npu, k + 1);
        npu.save_rank(&base).map(drop).map_err(|e| e.to_string())
    };
    let mut got = run_ranks(
        thread_exchanges(before.ranks()),
        before,
        input,
        1..=k,
        &start_fresh,
        &save,
    )?;
    // The loader balances the brain as saved (STDP may have created synapses).
    let after = RustNPU::load_rank_repartitioned(&base, 0, ranks)
        .map_err(|e| e.to_string())?
        .partition()
        .map(|(p, _)| p.clone())
        .ok_or("a partitioned NPU")?;
    let mut reference = run(make, input, before, k, None)?;
    reference.extend(run(make, input, &after, k + m, None)?.split_off(k as usize));
    let load = |rank: usize| -> Result<RustNPU, String> {
        let npu =
            RustNPU::load_rank_repartitioned(&base, rank, ranks).map_err(|e| e.to_string())?;
        match npu.partition() {
            Some((p, r)) if (p, r) == (&after, rank) => Ok(npu),
            other => Err(format!(
                "rank {rank}: partition {other:?}, expected {after:?}"
            )),
        }
    };
    let rest = move |npu: &mut RustNPU, t: u64| {
        if t != k + 1 {
            input(npu, t);
        }
    };
    got.extend(run_ranks(
        thread_exchanges(after.ranks()),
        &after,
        &rest,
        k + 1..=k + m,
        &load,
        &|_, _| Ok(()),
    )?);
    let _ = std::fs::remove_dir_all(&dir);
    let same = ranks == before.ranks();
    if same && after != *before {
        return Err(format!(
            "{name}: reloaded on as many ranks, partitioned anew"
        ));
    }
    compare_rows(&reference, &got, same).map_err(|e| {
        format!(
            "{name}, {:?} then {:?}: {e}",
            before.bounds(),
            after.bounds()
        )
    })?;
    Ok(reference)
}

/// Saved on one number of ranks, resumed on the same (the saved partition)
/// or another (re-partitioned), with learning: what one process does.
#[test]
fn saved_ranks_resume_identically_on_any_number_of_ranks() {
    let moves = [
        (1, 1),
        (2, 2),
        (3, 3),
        (2, 3),
        (3, 2),
        (1, 4),
        (4, 1),
        (2, 4),
    ];
    for seed in [3u64, 8] {
        let make = || plastic_random(seed, 3_000);
        let input = random_input(seed);
        let template = make();
        for (from, to) in moves {
            let before = Partition::balanced(&template, from).unwrap();
            let name = format!("resume-{seed}-{from}-{to}");
            let trace = check_resume(&name, &make, &input, &before, to, false, 25, 25)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_learns_after(&trace, 25);
        }
        // Input staged on rank 0 only and routed.
        let on_0 = input_on_rank(random_input(seed), 0);
        for (from, to) in [(2, 2), (2, 3), (3, 2)] {
            let before = Partition::balanced(&template, from).unwrap();
            let name = format!("routed-{seed}-{from}-{to}");
            check_resume(&name, &make, &on_0, &before, to, true, 25, 25)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let genome = Genome::default_genome();
    let make = || RustNPU::from_genome(&genome, NpuConfig::default()).expect("develops");
    let before = Partition::balanced(&make(), 2).unwrap();
    for to in [2, 3] {
        check_resume(
            "default",
            &make,
            &genome_input(3),
            &before,
            to,
            false,
            40,
            40,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn rank_snapshots_hold_the_partition_and_refuse_another_job() {
    let dir = scratch("refuse");
    let base = dir.join("brain.snap");
    let make = || plastic_random(5, 2_000);
    let input = random_input(5);
    let partition = Partition::balanced(&make(), 2).unwrap();
    let start = start_ranks(&make, &partition, false);
    let save =
        |_: usize, npu: &mut RustNPU| npu.save_rank(&base).map(drop).map_err(|e| e.to_string());
    run_ranks(
        thread_exchanges(partition.ranks()),
        &partition,
        &input,
        1..=5,
        &start,
        &save,
    )
    .unwrap();
    for rank in 0..2 {
        let file = feagi_burst_engine::snapshot::rank_path(&base, rank, 2);
        assert!(file.ends_with(format!("brain.snap.rank-{rank}-of-2")));
        let npu = RustNPU::load(&file).unwrap();
        assert_eq!(npu.partition(), Some((&partition, rank)));
        assert_eq!(npu.burst_count(), 5);
        // The file says version 2; a whole brain still writes version 1.
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!(bytes[8..12], 2u32.to_le_bytes());
    }
    let mut whole = Vec::new();
    make().save_to(&mut whole).unwrap();
    assert_eq!(whole[8..12], 1u32.to_le_bytes());
    // Another number of ranks: both are named.
    let e = RustNPU::load_rank(&base, 0, 3).unwrap_err().to_string();
    assert!(
        e.contains("saved by 2 ranks") && e.contains("this job has 3 ranks"),
        "{e}"
    );
    // A file renamed to another rank's name is refused.
    std::fs::copy(
        feagi_burst_engine::snapshot::rank_path(&base, 0, 2),
        feagi_burst_engine::snapshot::rank_path(&base, 1, 2),
    )
    .unwrap();
    let e = RustNPU::load_rank(&base, 1, 2).unwrap_err().to_string();
    assert!(e.contains("holds rank 0 of 2 ranks"), "{e}");
    // Nothing saved at all.
    let e = RustNPU::load_rank(dir.join("none.snap"), 0, 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no rank snapshot"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `input`, but on a partitioned NPU only on rank `on` (one process: always).
fn input_on_rank(
    input: impl Fn(&mut RustNPU, u64) + Sync,
    on: usize,
) -> impl Fn(&mut RustNPU, u64) + Sync {
    move |npu: &mut RustNPU, t: u64| {
        if npu.partition().is_none_or(|(_, rank)| rank == on) {
            input(npu, t);
        }
    }
}

/// R ranks with input staged on rank `on` only; `route` sets the routing.
fn run_input_on_one_rank(
    make: &(dyn Fn() -> RustNPU + Sync),
    input: &Input,
    partition: &Partition,
    bursts: u64,
    route: bool,
) -> Result<Vec<Vec<Observed>>, String> {
    let start = start_ranks(make, partition, route);
    run_ranks(
        thread_exchanges(partition.ranks()),
        partition,
        input,
        1..=bursts,
        &start,
        &|_, _| Ok(()),
    )
}

#[test]
fn input_staged_on_one_rank_reaches_its_owners_identically() {
    for seed in [2u64, 6] {
        let make = || plastic_random(seed, 3_000);
        let template = make();
        for ranks in 1..=3 {
            let partition = Partition::balanced(&template, ranks).unwrap();
            for on in [0, ranks - 1] {
                let input = input_on_rank(random_input(seed), on);
                let reference = run(&make, &input, &partition, 40, None).unwrap();
                let got = run_input_on_one_rank(&make, &input, &partition, 40, true).unwrap();
                if let Err(e) = compare(&reference, &got) {
                    panic!("seed {seed}, {ranks} ranks, input on rank {on}: {e}");
                }
                // Without routing, the other ranks never see the input.
                if ranks > 1 {
                    let unrouted =
                        run_input_on_one_rank(&make, &input, &partition, 40, false).unwrap();
                    assert!(
                        compare(&reference, &unrouted).is_err(),
                        "seed {seed}, {ranks} ranks: unrouted input must differ"
                    );
                }
            }
        }
    }
    // The default genome's sensory areas, staged by coordinates on rank 0.
    let genome = Genome::default_genome();
    let make = || RustNPU::from_genome(&genome, NpuConfig::default()).expect("develops");
    let partition = Partition::balanced(&make(), 3).unwrap();
    let input = input_on_rank(genome_input(3), 0);
    let reference = run(&make, &input, &partition, 60, None).unwrap();
    let got = run_input_on_one_rank(&make, &input, &partition, 60, true).unwrap();
    compare(&reference, &got).unwrap_or_else(|e| panic!("default genome: {e}"));
}

#[test]
fn routed_input_survives_a_rank_snapshot() {
    // Input staged on rank 0 after the last burst before the save is part of
    // the snapshot, and so is the routing: the resumed job still routes.
    let dir = scratch("routed");
    let base = dir.join("brain.snap");
    let make = || plastic_random(7, 2_000);
    let input = input_on_rank(random_input(7), 0);
    let partition = Partition::balanced(&make(), 2).unwrap();
    let reference = run(&make, &input, &partition, 30, None).unwrap();
    let start = start_ranks(&make, &partition, true);
    // Stage burst 16's input before saving, as a server would between bursts.
    let save = |_: usize, npu: &mut RustNPU| {
        input(npu, 16);
        npu.save_rank(&base).map(drop).map_err(|e| e.to_string())
    };
    let mut got = run_ranks(
        thread_exchanges(partition.ranks()),
        &partition,
        &input,
        1..=15,
        &start,
        &save,
    )
    .unwrap();
    let load = |rank: usize| {
        let npu = RustNPU::load_rank(&base, rank, 2).map_err(|e| e.to_string())?;
        assert!(npu.routes_staged_input());
        Ok(npu)
    };
    let no_input = |_: &mut RustNPU, _: u64| {};
    got.extend(
        run_ranks(
            thread_exchanges(partition.ranks()),
            &partition,
            &no_input,
            16..=16,
            &load,
            &|_, _| Ok(()),
        )
        .unwrap(),
    );
    compare(&reference[..16], &got).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let mut whole = make();
    assert!(matches!(
        whole.set_route_staged_input(true),
        Err(NpuError::Partitioned(_))
    ));
}

/// The checksum of a snapshot's bytes (all but the last 8).
fn with_checksum(mut bytes: Vec<u8>) -> Vec<u8> {
    let body = bytes.len() - 8;
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[..body]);
    bytes[body..].copy_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn a_damaged_partition_section_is_an_error_never_a_panic() {
    let npu = plastic_random(3, 400);
    let n = npu.neuron_count();
    let partition = Partition::balanced(&npu, 3).unwrap();
    let mut npu = npu.into_partitioned(partition.clone(), 1).unwrap();
    let mut bytes = Vec::new();
    npu.save_to(&mut bytes).unwrap();
    let loaded = RustNPU::load_from(bytes.as_slice()).unwrap();
    assert_eq!(loaded.partition(), Some((&partition, 1)));
    let section = 24 + 4 * (partition.ranks() + 1) + 4 * n;
    let start = bytes.len() - 8 - section;
    // Every cut inside the section and the checksum.
    for cut in start..bytes.len() {
        let e = RustNPU::load_from(&bytes[..cut]).err();
        assert!(
            e.is_some(),
            "a snapshot cut at {cut} of {} loaded",
            bytes.len()
        );
    }
    // Every byte of the section changed, the checksum made to match: the
    // content checks see it.
    let mut refused = 0;
    for i in start..bytes.len() - 8 {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            match RustNPU::load_from(with_checksum(bad).as_slice()) {
                Err(_) => refused += 1,
                Ok(npu) => {
                    // Accepted only as a valid rank (e.g. a larger global
                    // count): a rank of a partition of these neurons (the
                    // loader also refuses synapses outside its range).
                    let (p, rank) = npu.partition().expect("still a rank");
                    assert!(rank < p.ranks() && p.neurons() == n);
                }
            }
        }
    }
    assert!(refused > 0);
    // Rank, ranks and flags fields, named.
    let field = |offset: usize, value: u64| {
        let mut bad = bytes.clone();
        bad[start + offset..start + offset + 8].copy_from_slice(&value.to_le_bytes());
        RustNPU::load_from(with_checksum(bad).as_slice())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(field(0, 3).contains("rank 3"), "{}", field(0, 3));
    assert!(!field(8, u64::MAX).is_empty());
    assert!(field(16, 2).contains("flags"), "{}", field(16, 2));
}

#[test]
fn re_partitioning_refuses_files_of_different_saves() {
    let dir = scratch("mixed");
    let make = || plastic_random(6, 2_000);
    let input = random_input(6);
    let partition = Partition::balanced(&make(), 2).unwrap();
    let start = start_ranks(&make, &partition, false);
    for (name, bursts) in [("a.snap", 5), ("b.snap", 7)] {
        let base = dir.join(name);
        let save =
            |_: usize, npu: &mut RustNPU| npu.save_rank(&base).map(drop).map_err(|e| e.to_string());
        run_ranks(
            thread_exchanges(partition.ranks()),
            &partition,
            &input,
            1..=bursts,
            &start,
            &save,
        )
        .unwrap();
    }
    let rank_path = feagi_burst_engine::snapshot::rank_path;
    std::fs::copy(
        rank_path(&dir.join("b.snap"), 1, 2),
        rank_path(&dir.join("a.snap"), 1, 2),
    )
    .unwrap();
    let e = RustNPU::load_rank_repartitioned(dir.join("a.snap"), 0, 3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("different saves"), "{e}");
    // A damaged file is named.
    let file = rank_path(&dir.join("b.snap"), 1, 2);
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0x5a;
    std::fs::write(&file, bytes).unwrap();
    let e = RustNPU::load_rank_repartitioned(dir.join("b.snap"), 2, 3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("b.snap.rank-1-of-2"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

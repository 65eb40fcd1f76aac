//! The lazy STDP of feagi-plasticity (depressions of silent sources applied
//! when their row is next walked) against an eager model of SPEC §6.1, burst
//! by burst: exact weights through the queries, exact stored rows for every
//! neuron that fired (what propagates next), the same counters; with several
//! pairs sharing a destination, A = B, W up to 3, bidirectional pairs, API
//! changes between bursts, pairs registered after bursts ran, and a plugin
//! that changes synapses.

mod support;

use feagi_burst_engine::{AreaIndex, NeuronId, NeuronParams, RustNPU, SynapseType};
use feagi_types::rng::SplitMix64;
use feagi_types::StdpRegistration;
use support::{area, core_npu, stdp};

const EXC: SynapseType = SynapseType::Excitatory;

/// Eager model: rows[s] = [(target, weight)] in creation order.
struct Model {
    rows: Vec<Vec<(NeuronId, u8)>>,
    pairs: Vec<StdpRegistration>,
    pot: u64,
    dep: u64,
}

impl Model {
    fn register(&mut self, r: StdpRegistration) {
        let key = (r.source_area, r.destination_area);
        match self
            .pairs
            .binary_search_by_key(&key, |p| (p.source_area, p.destination_area))
        {
            Ok(i) => self.pairs[i] = r,
            Err(i) => self.pairs.insert(i, r),
        }
    }

    fn after_burst(&mut self, npu: &RustNPU, t: u64) {
        self.pot = 0;
        self.dep = 0;
        let n = npu.neuron_count();
        let area_of: Vec<AreaIndex> = (0..n as NeuronId)
            .map(|i| npu.area_of(i).unwrap())
            .collect();
        for r in self.pairs.clone() {
            let w = r.window as usize;
            let (Ok(fa), Ok(fb)) = (
                npu.dense_window(r.source_area, t, w),
                npu.dense_window(r.destination_area, t, w),
            ) else {
                continue;
            };
            let count = |frames: &Vec<roaring::RoaringBitmap>, id: NeuronId| {
                frames.iter().filter(|f| f.contains(id)).count()
            };
            let d_plus = (r.plasticity_constant * r.ltp_multiplier).clamp(0, 255) as u8;
            let d_minus = (r.plasticity_constant * r.ltd_multiplier).clamp(0, 255) as u8;
            for s in 0..n {
                if area_of[s] != r.source_area {
                    continue;
                }
                let cs = count(&fa, s as NeuronId);
                for (d, weight) in self.rows[s].iter_mut() {
                    if area_of[*d as usize] != r.destination_area {
                        continue;
                    }
                    let cd = count(&fb, *d);
                    if cs == 0 && cd == 0 {
                    } else if cs == w && cd == w {
                        *weight = weight.saturating_add(d_plus);
                        self.pot += 1;
                    } else if d_minus > 0 {
                        *weight = weight.saturating_sub(d_minus);
                        self.dep += 1;
                    }
                }
            }
            if r.bidirectional {
                let all =
                    |frames: &Vec<roaring::RoaringBitmap>, area: AreaIndex| -> Vec<NeuronId> {
                        (0..n as NeuronId)
                            .filter(|&i| area_of[i as usize] == area && count(frames, i) == w)
                            .collect()
                    };
                let (all_a, all_b) = (all(&fa, r.source_area), all(&fb, r.destination_area));
                for &s in &all_a {
                    for &d in &all_b {
                        if !self.rows[s as usize].iter().any(|&(t, _)| t == d) {
                            self.rows[s as usize].push((d, d_plus));
                        }
                    }
                }
            }
        }
    }
}

fn check(npu: &RustNPU, model: &Model, fired: &[NeuronId], what: &str) {
    for s in 0..npu.neuron_count() as NeuronId {
        let got: Vec<(NeuronId, u8)> = npu
            .outgoing(s)
            .unwrap()
            .iter()
            .map(|i| (i.peer, i.weight))
            .collect();
        assert_eq!(
            got, model.rows[s as usize],
            "{what}: outgoing({s}) (exact query)"
        );
    }
    // What propagates next burst must be exact in storage.
    for &s in fired {
        if s as usize >= npu.neuron_count() {
            continue;
        }
        let row = npu.synapses().row(s);
        let got: Vec<(NeuronId, u8)> = row
            .target
            .iter()
            .copied()
            .zip(row.weight.iter().copied())
            .collect();
        assert_eq!(
            got, model.rows[s as usize],
            "{what}: stored row of fired {s}"
        );
    }
}

struct World {
    npu: RustNPU,
    model: Model,
    areas: Vec<AreaIndex>,
    sizes: Vec<u32>,
}

fn world(sizes: &[u32]) -> World {
    let mut npu = core_npu();
    let mut areas = Vec::new();
    let names = ["cAaaa___", "cBbbb___", "cCccc___", "cDddd___"];
    for (k, &n) in sizes.iter().enumerate() {
        let a = npu.register_area(area(names[k], [n, 1, 1])).unwrap();
        for x in 0..n {
            npu.add_neuron(
                a,
                NeuronParams {
                    threshold: 1000.0,
                    ..Default::default()
                },
                [x, 0, 0],
            )
            .unwrap();
        }
        areas.push(a);
    }
    let rows = vec![Vec::new(); npu.neuron_count()];
    World {
        npu,
        model: Model {
            rows,
            pairs: Vec::new(),
            pot: 0,
            dep: 0,
        },
        areas,
        sizes: sizes.to_vec(),
    }
}

impl World {
    fn add_synapse(&mut self, s: NeuronId, d: NeuronId, w: u8) {
        self.npu.add_synapse(s, d, w, 1, EXC).unwrap();
        self.model.rows[s as usize].push((d, w));
    }
    fn pair(&mut self, r: StdpRegistration) {
        self.npu.add_stdp_pair(r.clone()).unwrap();
        self.model.register(r);
    }
    fn burst(&mut self, fire: &[NeuronId], what: &str) -> Vec<NeuronId> {
        for &id in fire {
            self.npu.stage_input(id, 5000.0).unwrap();
        }
        let fired = self.npu.process_burst(None).unwrap().fired_neurons.to_vec();
        let t = self.npu.burst_count();
        self.model.after_burst(&self.npu, t);
        let st = self.npu.plasticity_stats();
        assert_eq!(
            (st.potentiations, st.depressions),
            (self.model.pot, self.model.dep),
            "{what} t={t}: stats"
        );
        check(&self.npu, &self.model, &fired, &format!("{what} t={t}"));
        fired
    }
    fn regular(&self) -> Vec<NeuronId> {
        (3..self.npu.neuron_count() as NeuronId).collect()
    }
}

fn random_run(seed: u64, bursts: usize, mutate: bool) {
    let mut rng = SplitMix64::new(seed);
    let mut w = world(&[5, 4, 3]);
    if seed % 2 == 1 {
        // Split the row walk over the pool's threads whatever the work.
        w.npu.set_parallel(true, 0);
    }
    let ids = w.regular();
    for _ in 0..40 {
        let s = ids[rng.below(ids.len() as u64) as usize];
        let d = ids[rng.below(ids.len() as u64) as usize];
        w.add_synapse(s, d, (rng.below(256)) as u8);
    }
    let (a, b, c) = (w.areas[0], w.areas[1], w.areas[2]);
    w.pair(stdp(a, b, 1, 1, 2, 3, false));
    w.pair(stdp(c, b, 2, 2, 1, 1, false)); // shares destination B
    w.pair(stdp(a, a, 1, 1, 1, 2, true)); // A = B, bidirectional
    w.pair(stdp(b, c, 3, 1, 3, 1, true));
    for k in 0..bursts {
        let ids = w.regular();
        let fire: Vec<NeuronId> = ids
            .iter()
            .copied()
            .filter(|_| rng.below(100) < 45)
            .collect();
        w.burst(&fire, &format!("seed {seed} step {k}"));
        if !mutate {
            continue;
        }
        let ids = w.regular();
        match rng.below(12) {
            0 => {
                let s = ids[rng.below(ids.len() as u64) as usize];
                let d = ids[rng.below(ids.len() as u64) as usize];
                w.add_synapse(s, d, rng.below(256) as u8);
            }
            1 => {
                let s = ids[rng.below(ids.len() as u64) as usize];
                if let Some(&(d, _)) = w.model.rows[s as usize].first() {
                    w.npu.remove_synapse(s, d).unwrap();
                    w.model.rows[s as usize].retain(|&(t, _)| t != d);
                }
            }
            2 => {
                let s = ids[rng.below(ids.len() as u64) as usize];
                if let Some(&(d, _)) = w.model.rows[s as usize].last() {
                    let v = rng.below(256) as u8;
                    w.npu.update_synapse_weight(s, d, v).unwrap();
                    for e in w.model.rows[s as usize].iter_mut().filter(|e| e.0 == d) {
                        e.1 = v;
                    }
                }
            }
            3 => {
                let k = rng.below(w.areas.len() as u64) as usize;
                let x = rng.below(w.sizes[k] as u64) as u32;
                w.npu
                    .add_neuron(
                        w.areas[k],
                        NeuronParams {
                            threshold: 1000.0,
                            ..Default::default()
                        },
                        [x, 0, 0],
                    )
                    .unwrap();
                w.model.rows.push(Vec::new());
            }
            4 => {
                let (x, y) = (
                    w.areas[rng.below(3) as usize],
                    w.areas[rng.below(3) as usize],
                );
                let r = stdp(
                    x,
                    y,
                    1 + rng.below(3) as u32,
                    1,
                    1 + rng.below(3) as i64,
                    rng.below(3) as i64,
                    rng.below(2) == 0,
                );
                w.pair(r);
            }
            _ => {}
        }
    }
}

#[test]
fn lazy_matches_eager_no_mutation() {
    for seed in 1..40 {
        random_run(seed, 60, false);
    }
}

#[test]
fn lazy_matches_eager_with_api_mutations() {
    for seed in 1..60 {
        random_run(seed, 80, true);
    }
}

/// A plugin that, every burst t, appends s -> d (weight 100) and bumps the
/// first weight of another row by 13 (wrapping): both deterministic in t.
struct Meddler {
    ids: Vec<NeuronId>,
}

fn meddle_ops(ids: &[NeuronId], t: u64) -> (NeuronId, NeuronId, NeuronId) {
    let n = ids.len() as u64;
    (
        ids[(t % n) as usize],
        ids[((t * 7 + 3) % n) as usize],
        ids[((t * 3 + 1) % n) as usize],
    )
}

impl feagi_burst_engine::PlasticityRule for Meddler {
    fn name(&self) -> &str {
        "meddler"
    }
    fn after_burst(
        &mut self,
        ctx: &mut feagi_plasticity::PlasticityContext<'_>,
    ) -> Result<(), feagi_burst_engine::PlasticityError> {
        let (s, d, r) = meddle_ops(&self.ids, ctx.burst());
        if ctx.burst().is_multiple_of(2) {
            ctx.add_synapse(s, d, 100, 1, EXC)?;
        }
        if let Some(w) = ctx.row_weights_mut(r).first_mut() {
            *w = w.wrapping_add(13);
        }
        Ok(())
    }
}

fn plugin_run(seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let mut w = world(&[5, 4, 3]);
    if seed % 2 == 1 {
        // Split the row walk over the pool's threads whatever the work.
        w.npu.set_parallel(true, 0);
    }
    let ids = w.regular();
    for _ in 0..30 {
        let s = ids[rng.below(ids.len() as u64) as usize];
        let d = ids[rng.below(ids.len() as u64) as usize];
        w.add_synapse(s, d, (rng.below(256)) as u8);
    }
    let (a, b, c) = (w.areas[0], w.areas[1], w.areas[2]);
    w.pair(stdp(a, b, 1, 1, 2, 3, false));
    w.pair(stdp(c, b, 2, 2, 1, 1, false));
    w.pair(stdp(a, a, 1, 1, 1, 2, true));
    w.npu
        .add_plasticity_rule(Box::new(Meddler { ids: ids.clone() }))
        .unwrap();
    for k in 0..60 {
        let fire: Vec<NeuronId> = ids
            .iter()
            .copied()
            .filter(|_| rng.below(100) < 45)
            .collect();
        for &id in &fire {
            w.npu.stage_input(id, 5000.0).unwrap();
        }
        let fired = w.npu.process_burst(None).unwrap().fired_neurons.to_vec();
        let t = w.npu.burst_count();
        w.model.after_burst(&w.npu, t);
        let (s, d, r) = meddle_ops(&ids, t);
        if t.is_multiple_of(2) {
            w.model.rows[s as usize].push((d, 100));
        }
        if let Some(e) = w.model.rows[r as usize].first_mut() {
            e.1 = e.1.wrapping_add(13);
        }
        check(
            &w.npu,
            &w.model,
            &fired,
            &format!("plugin seed {seed} step {k} t={t}"),
        );
    }
}

#[test]
fn lazy_matches_eager_with_a_plugin() {
    for seed in 1..30 {
        plugin_run(seed);
    }
}

/// Registering a second pair after bursts ran, sharing the destination.
#[test]
fn second_pair_after_bursts() {
    let mut w = world(&[2, 2, 2]);
    let ids = w.regular();
    let (a0, a1, b0, b1, c0) = (ids[0], ids[1], ids[2], ids[3], ids[4]);
    w.add_synapse(a0, b0, 100);
    w.add_synapse(a1, b0, 100);
    w.add_synapse(c0, b1, 100);
    let (a, b, c) = (w.areas[0], w.areas[1], w.areas[2]);
    w.pair(stdp(a, b, 1, 1, 1, 5, false));
    w.burst(&[b0], "1");
    w.burst(&[b0], "2");
    w.pair(stdp(c, b, 1, 1, 1, 5, false));
    w.burst(&[b0, b1], "3");
    w.burst(&[a0], "4");
}

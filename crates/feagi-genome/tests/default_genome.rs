//! The embedded default genome: it loads without warnings, develops, and —
//! run through a minimal reference of the SPEC §4 burst cycle with power as
//! the only input — keeps firing with varied, non-trivial activity.

use feagi_genome::{default_genome_json, develop, Genome, Morphology};
use feagi_types::rng::excitability_random;
use feagi_types::{units, AreaKind, Connectome, SynapseArray, SynapseType};

/// A direct transcription of SPEC §4.1 to §4.4 (no staging, no fatigue, no M2),
/// only for checking the default genome's behaviour.
struct MiniNpu {
    c: Connectome,
    rows: SynapseArray,
    uniform: Vec<bool>,
    mp_driven: Vec<bool>,
    fired: Vec<(u32, f32)>,
    t: u64,
}

impl MiniNpu {
    fn new(c: Connectome) -> Self {
        let rows = SynapseArray::try_from_list(&c.synapses, c.neurons.len()).unwrap();
        let uniform = c
            .areas
            .iter()
            .map(|a| a.area.properties.psp_uniform_distribution)
            .collect();
        let mp_driven = c
            .areas
            .iter()
            .map(|a| a.area.properties.mp_driven_psp)
            .collect();
        MiniNpu {
            c,
            rows,
            uniform,
            mp_driven,
            fired: Vec::new(),
            t: 0,
        }
    }

    /// One burst; returns FQ(t) as neuron ids.
    fn burst(&mut self) -> Vec<u32> {
        self.t += 1;
        let count = self.c.neurons.len();
        // The reference works on plain columns (a copy), written back below.
        let mut n = self.c.neurons.to_columns();
        for i in 0..count {
            if !n.mp_charge_accumulation[i] {
                n.membrane_potential[i] = 0.0;
            }
        }
        let mut fcl = vec![0f32; count];
        let mut touched = vec![false; count];
        fcl[1] += 1.0;
        touched[1] = true;
        for &(s, v_fire) in &self.fired {
            let area = n.area[s as usize] as usize;
            let row = self.rows.row(s);
            let out = self.rows.outgoing_count(s) as f32;
            for k in 0..row.len() {
                let psp = if self.mp_driven[area] {
                    (v_fire.clamp(0.0, 255.0) + 0.5).floor()
                } else {
                    f32::from(row.psp[k])
                };
                let mut c = f32::from(row.weight[k]) * psp;
                if row.synapse_type[k] == SynapseType::Inhibitory {
                    c = -c;
                }
                if !self.uniform[area] {
                    c /= out;
                }
                let d = row.target[k] as usize;
                fcl[d] += c;
                touched[d] = true;
            }
        }
        let mut fired = Vec::new();
        for i in (0..count).filter(|&i| touched[i]) {
            let capped = units::is_capped(n.consecutive_fire_limit[i]);
            if n.refractory_countdown[i] > 0 {
                n.refractory_countdown[i] -= 1;
                if n.refractory_countdown[i] == 0
                    && capped
                    && n.consecutive_fire_count[i] >= n.consecutive_fire_limit[i]
                {
                    n.consecutive_fire_count[i] = 0;
                }
                continue;
            }
            n.membrane_potential[i] += fcl[i];
            let v = n.membrane_potential[i];
            if v >= n.threshold[i] && v <= n.threshold_limit[i] {
                if capped && n.consecutive_fire_count[i] >= n.consecutive_fire_limit[i] {
                    n.consecutive_fire_count[i] = 0;
                    continue;
                }
                let e = n.excitability[i];
                let excited = e >= 0.999 || (e > 0.0 && excitability_random(i as u32, self.t) < e);
                if excited {
                    n.membrane_potential[i] = 0.0;
                    n.consecutive_fire_count[i] = n.consecutive_fire_count[i].saturating_add(1);
                    n.refractory_countdown[i] =
                        if capped && n.consecutive_fire_count[i] >= n.consecutive_fire_limit[i] {
                            n.refractory_period[i].saturating_add(n.snooze_period[i])
                        } else {
                            n.refractory_period[i]
                        };
                    fired.push((i as u32, v));
                    continue;
                }
            }
            if capped {
                n.consecutive_fire_count[i] = 0;
            }
            n.membrane_potential[i] *= 1.0 - n.leak[i];
        }
        self.c.neurons = feagi_types::NeuronArray::from_columns(n).unwrap();
        self.fired = fired;
        self.fired.iter().map(|f| f.0).collect()
    }
}

#[test]
fn reference_dynamics_reproduce_the_spec_example_trace() {
    // SPEC §1.11 / item 34, as a check of the reference used below.
    let g = Genome::from_json_str(include_str!("spec_example.json")).unwrap();
    let mut npu = MiniNpu::new(develop(&g, 0).unwrap());
    let mut traces = vec![String::new(); 8];
    for _ in 0..8 {
        let fq = npu.burst();
        for (id, trace) in traces.iter_mut().enumerate() {
            trace.push(if fq.contains(&(id as u32)) { '1' } else { '_' });
        }
        let v = npu.c.neurons.membrane_potential()[7];
        assert!(v == 0.0 || v == -8.0, "V(cOutpt) {v}");
    }
    assert_eq!(traces[1], "11111111");
    for (id, trace) in traces.iter().enumerate().take(7).skip(3) {
        assert_eq!(trace, "_1_1_1_1", "neuron {id}");
    }
    assert_eq!(traces[7], "________");
    assert_eq!(npu.c.neurons.membrane_potential()[7], 0.0);
}

#[test]
fn default_genome_loads_cleanly_and_uses_several_morphology_kinds() {
    let g = Genome::try_default_genome().unwrap();
    assert!(g.warnings().is_empty(), "{:?}", g.warnings());
    assert_eq!(Genome::default_genome(), g);
    assert_eq!(Genome::from_json_str(default_genome_json()).unwrap(), g);
    let n = g.neuron_count();
    assert!((300..=3000).contains(&n), "{n} neurons");
    let power = g.area(1).unwrap();
    assert!(!power.is_added());
    assert_eq!(power.properties().firing_threshold, 0.1);
    assert_eq!(
        g.areas()
            .iter()
            .filter(|a| a.kind() == AreaKind::Ipu)
            .count(),
        1
    );
    assert_eq!(
        g.areas()
            .iter()
            .filter(|a| a.kind() == AreaKind::Opu)
            .count(),
        1
    );
    let used: Vec<&Morphology> = g
        .areas()
        .iter()
        .flat_map(|a| a.mapping_rules())
        .filter_map(|r| g.morphology(&r.morphology_id))
        .collect();
    for kind in ["functions", "vectors", "patterns"] {
        assert!(used.iter().any(|m| m.type_name() == kind), "{kind}");
    }
    assert!(g
        .areas()
        .iter()
        .flat_map(|a| a.mapping_rules())
        .any(|r| r.multiplier < 0));
    assert!(g
        .areas()
        .iter()
        .flat_map(|a| a.mapping_rules())
        .any(|r| r.morphology_id == "randomizer"));
}

#[test]
fn default_genome_sustains_varied_activity_on_power_alone() {
    let g = Genome::default_genome();
    let c = develop(&g, 0).unwrap();
    let areas: Vec<(String, u32, u32)> = c
        .areas
        .iter()
        .map(|a| {
            (
                a.area.name.clone(),
                a.first_neuron,
                a.first_neuron + a.neuron_count,
            )
        })
        .collect();
    let total = c.neurons.len();
    let mut npu = MiniNpu::new(c);
    let bursts = 300;
    let mut counts = Vec::new();
    let mut per_area = vec![0usize; areas.len()];
    let mut per_neuron = vec![0usize; total];
    for t in 1..=bursts {
        let fq = npu.burst();
        let mut line = Vec::new();
        for (i, (_, lo, hi)) in areas.iter().enumerate() {
            let k = fq.iter().filter(|&&id| id >= *lo && id < *hi).count();
            per_area[i] += k;
            line.push(k);
        }
        for &id in &fq {
            per_neuron[id as usize] += 1;
        }
        if t <= 30 || t > bursts - 10 {
            eprintln!("burst {t:3}: {line:?}");
        }
        counts.push(fq.len());
    }
    eprintln!(
        "fires per area over {bursts} bursts: {:?}",
        areas
            .iter()
            .map(|a| &a.0)
            .zip(&per_area)
            .collect::<Vec<_>>()
    );
    // Power fires every burst.
    assert_eq!(per_area[1], bursts);
    // Every non-core area takes part, and the output area fires.
    for (i, (name, _, _)) in areas.iter().enumerate().skip(3) {
        assert!(per_area[i] > 0, "area {name} never fired");
    }
    // Activity never dies out: in every window of 10 bursts some neuron of the
    // processing (CUSTOM) areas fires.
    let processing: Vec<(u32, u32)> = g
        .areas()
        .iter()
        .zip(&areas)
        .filter(|(a, _)| a.kind() == AreaKind::Custom)
        .map(|(_, r)| (r.1, r.2))
        .collect();
    assert!(processing.len() >= 3);
    let in_processing = |id: u32| processing.iter().any(|&(lo, hi)| (lo..hi).contains(&id));
    let mut quiet = 0;
    let mut npu2 = MiniNpu::new(develop(&g, 0).unwrap());
    for _ in 0..bursts {
        let fq = npu2.burst();
        if fq.iter().any(|&id| in_processing(id)) {
            quiet = 0;
        } else {
            quiet += 1;
            assert!(quiet < 10, "processing areas silent for 10 bursts");
        }
    }
    // Not everything fires every burst, and the amount of activity varies.
    let max_fraction = counts.iter().copied().max().unwrap() as f64 / total as f64;
    assert!(
        max_fraction < 0.6,
        "up to {max_fraction} of all neurons fire together"
    );
    let mut distinct = counts.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(
        distinct.len() >= 20,
        "only {} distinct burst sizes",
        distinct.len()
    );
    // No neuron of the processing areas fires in every burst.
    for &(lo, hi) in &processing {
        assert!(per_neuron[lo as usize..hi as usize]
            .iter()
            .all(|&k| k < bursts));
    }
}

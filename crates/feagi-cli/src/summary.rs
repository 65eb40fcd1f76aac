//! The end-of-run summary, as a table or as JSON.

use std::time::Duration;

use feagi_burst_engine::{PlasticityStats, RustNPU};
use feagi_types::rng::SplitMix64;

#[derive(Debug, serde::Serialize)]
pub struct AreaActivity {
    pub index: u32,
    pub cortical_id: String,
    pub name: String,
    pub neurons: usize,
    /// Firings in the area, memory neurons' included (as in `--record`).
    pub fired: u64,
    /// Firings of the area's memory neurons (SPEC §6.2), counted in `fired`.
    pub memory_fired: u64,
    /// Regular fired neurons per regular neuron per burst (memory neurons
    /// are not among `neurons`).
    pub firing_rate: f64,
}

/// The summary of `run`; with `--json`, printed as one object whose keys are
/// these field names (stable, snake_case).
#[derive(Debug, serde::Serialize)]
pub struct RunSummary {
    pub genome: String,
    pub neurons: usize,
    pub synapses: usize,
    pub areas: usize,
    pub bursts: u64,
    pub stopped_early: bool,
    pub wall_time_s: f64,
    /// Bursts started per second, from the first burst's start to the last
    /// one's (with `--hz`, the paced rate); with fewer than two bursts,
    /// bursts per second of wall time.
    pub achieved_hz: f64,
    pub median_burst_ms: f64,
    pub p99_burst_ms: f64,
    pub max_burst_ms: f64,
    pub total_fired: u64,
    pub mean_fired_per_burst: f64,
    pub per_area: Vec<AreaActivity>,
    pub plasticity: PlasticitySummary,
}

/// What learning (SPEC §6) did over a run: the `plasticity` object of
/// `run --json`. The counters are the per-burst `BurstResult::plasticity`
/// counters summed over the run; the `*_at_end` fields describe the NPU
/// after the last burst. The keys are stable.
#[derive(Debug, serde::Serialize)]
pub struct PlasticitySummary {
    /// Whether the built-in plasticity ran (false with `--no-plasticity`).
    pub enabled: bool,
    /// STDP pairs (A, B) registered (SPEC §6.1), active or not.
    pub stdp_pairs: usize,
    /// Memory areas (SPEC §6.2), active or not.
    pub memory_areas: usize,
    /// Weight updates STDP applied (potentiations + depressions), summed over the bursts.
    pub weight_updates: u64,
    /// Synapses the potentiation branch applied to (saturated or not).
    pub potentiations: u64,
    /// Synapses the depression branch applied to (saturated or not).
    pub depressions: u64,
    /// Synapses created by bidirectional (`associative_memory`) pairs.
    pub synapses_created: u64,
    /// Memory neurons created for new patterns.
    pub memory_neurons_born: u64,
    /// Known patterns seen again (their memory neuron reactivated).
    pub memory_neurons_reactivated: u64,
    /// Memory neurons that died of age.
    pub memory_neurons_died: u64,
    /// Memory neurons that became long-term during the run.
    pub memory_neurons_became_long_term: u64,
    /// Memory-neuron firings (also counted in `total_fired`).
    pub memory_neurons_fired: u64,
    /// Memory neurons alive after the last burst.
    pub memory_neurons_alive_at_end: usize,
    /// Memory neurons alive and long-term after the last burst.
    pub memory_neurons_long_term_at_end: usize,
    /// Replay injections scheduled into twin neurons.
    pub replay_injections: u64,
    /// New patterns ignored because memory ids ran out.
    pub patterns_ignored: u64,
}

impl PlasticitySummary {
    /// The summary of a run that summed `total` over its bursts and fired
    /// `memory_fired` memory neurons, read with the NPU after the last burst.
    pub fn new(npu: &RustNPU, total: &PlasticityStats, memory_fired: u64) -> PlasticitySummary {
        PlasticitySummary {
            enabled: npu.plasticity_enabled(),
            stdp_pairs: npu.stdp_registrations().len(),
            memory_areas: npu.memory_areas().len(),
            weight_updates: total.potentiations + total.depressions,
            potentiations: total.potentiations,
            depressions: total.depressions,
            synapses_created: total.synapses_created,
            memory_neurons_born: total.memory_born,
            memory_neurons_reactivated: total.memory_reactivated,
            memory_neurons_died: total.memory_died,
            memory_neurons_became_long_term: total.memory_long_term,
            memory_neurons_fired: memory_fired,
            memory_neurons_alive_at_end: npu.memory_neuron_count(),
            memory_neurons_long_term_at_end: npu
                .memory_store()
                .iter()
                .filter(|(_, n)| n.alive && n.long_term)
                .count(),
            replay_injections: total.replay_injections,
            patterns_ignored: total.patterns_ignored,
        }
    }

    /// The table lines: a block when something can learn, else one line.
    pub fn print_table(&self) {
        if !self.enabled {
            outln!("plasticity        off");
            return;
        }
        if self.stdp_pairs == 0 && self.memory_areas == 0 {
            outln!("plasticity        on (no plastic rules)");
            return;
        }
        outln!(
            "plasticity        on: {} STDP pairs, {} memory areas",
            self.stdp_pairs,
            self.memory_areas
        );
        outln!(
            "weight updates    {} (potentiations {}, depressions {})",
            self.weight_updates,
            self.potentiations,
            self.depressions
        );
        outln!("synapses created  {}", self.synapses_created);
        outln!(
            "memory neurons    born {}, alive at end {}, long-term at end {}",
            self.memory_neurons_born,
            self.memory_neurons_alive_at_end,
            self.memory_neurons_long_term_at_end
        );
        outln!("replay            {} injections", self.replay_injections);
    }
}

/// Per-burst measurements in bounded memory, whatever the number of bursts:
/// every item up to `cap`, then a uniform random sample of `cap` of them
/// (reservoir sampling with a fixed seed, so the same number of bursts
/// keeps the same positions). Quantiles over a run longer than `cap`
/// bursts are estimates from that sample; counts and maxima are kept
/// exactly by the callers.
#[derive(Debug)]
pub struct Reservoir<T> {
    kept: Vec<T>,
    seen: u64,
    cap: usize,
    rng: SplitMix64,
}

impl<T> Reservoir<T> {
    /// An empty reservoir that keeps at most `cap` items (at least 1).
    pub fn new(cap: usize) -> Self {
        Reservoir {
            kept: Vec::new(),
            seen: 0,
            cap: cap.max(1),
            rng: SplitMix64::new(0x5A3F_1E5E_12F0_17A5),
        }
    }

    /// Offers one item (Algorithm R: item n replaces a random kept one with
    /// probability cap / n).
    pub fn push(&mut self, item: T) {
        self.seen += 1;
        if self.kept.len() < self.cap {
            self.kept.push(item);
        } else {
            let j = self.rng.below(self.seen);
            if let Some(slot) = usize::try_from(j).ok().and_then(|j| self.kept.get_mut(j)) {
                *slot = item;
            }
        }
    }

    /// Items offered so far.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The items kept so far.
    pub fn kept(&self) -> &[T] {
        &self.kept
    }

    /// The kept items (all of them while `seen <= cap`).
    pub fn into_kept(self) -> Vec<T> {
        self.kept
    }
}

/// The q-quantile (nearest rank) of sorted durations, in milliseconds.
pub fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

impl RunSummary {
    pub fn print_table(&self) {
        outln!("genome            {}", self.genome);
        outln!("neurons           {}", self.neurons);
        outln!("synapses          {}", self.synapses);
        outln!("areas             {}", self.areas);
        let early = if self.stopped_early {
            " (stopped early)"
        } else {
            ""
        };
        outln!("bursts            {}{early}", self.bursts);
        outln!("wall time         {:.3} s", self.wall_time_s);
        outln!("achieved rate     {:.1} Hz", self.achieved_hz);
        outln!(
            "burst time        median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            self.median_burst_ms,
            self.p99_burst_ms,
            self.max_burst_ms
        );
        outln!(
            "fired per burst   {:.1} (total {})",
            self.mean_fired_per_burst,
            self.total_fired
        );
        self.plasticity.print_table();
        outln!();
        outln!(
            "{:>5}  {:<10} {:<28} {:>9} {:>10} {:>10}",
            "index",
            "area",
            "name",
            "neurons",
            "fired",
            "rate"
        );
        for a in &self.per_area {
            let name: String = a.name.chars().take(28).collect();
            let memory = if a.memory_fired > 0 {
                format!("  ({} by memory neurons)", a.memory_fired)
            } else {
                String::new()
            };
            outln!(
                "{:>5}  {:<10} {:<28} {:>9} {:>10} {:>9.3}%{memory}",
                a.index,
                a.cortical_id,
                name,
                a.neurons,
                a.fired,
                a.firing_rate * 100.0
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservoir_keeps_everything_up_to_its_cap_then_a_bounded_sample() {
        let mut r = Reservoir::new(100);
        for k in 0..100u64 {
            r.push(k);
        }
        assert_eq!(r.seen(), 100);
        let kept = r.into_kept();
        assert_eq!(kept, (0..100).collect::<Vec<_>>());

        let mut r = Reservoir::new(1000);
        for k in 0..100_000u64 {
            r.push(k);
        }
        assert_eq!(r.seen(), 100_000);
        let mut kept = r.into_kept();
        assert_eq!(kept.len(), 1000);
        kept.sort_unstable();
        kept.dedup();
        assert_eq!(kept.len(), 1000, "each item kept at most once");
        // A uniform sample: its median is near the middle of the stream.
        let median = kept[500];
        assert!((40_000..60_000).contains(&median), "{median}");
        assert!(kept.iter().any(|&k| k >= 90_000), "late items are kept too");
    }
}

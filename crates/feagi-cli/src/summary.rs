//! The end-of-run summary, as a table or as JSON.

use std::time::Duration;

#[derive(Debug, serde::Serialize)]
pub struct AreaActivity {
    pub index: u32,
    pub cortical_id: String,
    pub name: String,
    pub neurons: usize,
    pub fired: u64,
    /// Fired neurons per neuron per burst.
    pub firing_rate: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct RunSummary {
    pub genome: String,
    pub neurons: usize,
    pub synapses: usize,
    pub areas: usize,
    pub bursts: u64,
    pub stopped_early: bool,
    pub wall_time_s: f64,
    pub achieved_hz: f64,
    pub median_burst_ms: f64,
    pub p99_burst_ms: f64,
    pub max_burst_ms: f64,
    pub total_fired: u64,
    pub mean_fired_per_burst: f64,
    pub per_area: Vec<AreaActivity>,
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
        println!("genome            {}", self.genome);
        println!("neurons           {}", self.neurons);
        println!("synapses          {}", self.synapses);
        println!("areas             {}", self.areas);
        let early = if self.stopped_early {
            " (stopped early)"
        } else {
            ""
        };
        println!("bursts            {}{early}", self.bursts);
        println!("wall time         {:.3} s", self.wall_time_s);
        println!("achieved rate     {:.1} Hz", self.achieved_hz);
        println!(
            "burst time        median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            self.median_burst_ms, self.p99_burst_ms, self.max_burst_ms
        );
        println!(
            "fired per burst   {:.1} (total {})",
            self.mean_fired_per_burst, self.total_fired
        );
        println!();
        println!(
            "{:>5}  {:<10} {:<28} {:>9} {:>10} {:>10}",
            "index", "area", "name", "neurons", "fired", "rate"
        );
        for a in &self.per_area {
            let name: String = a.name.chars().take(28).collect();
            println!(
                "{:>5}  {:<10} {:<28} {:>9} {:>10} {:>9.3}%",
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

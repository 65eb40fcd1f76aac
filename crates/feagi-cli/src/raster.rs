//! `--raster FILE.png`: a raster plot of a run. Bursts run across; neurons
//! are stacked by area (each area a colour band, at least 3 pixels high),
//! with an area legend on the right and a per-area firing-rate panel below
//! (moving average over 2 % of the run).
//! The image is always 1200 x 800 pixels, and the time axis spans the bursts
//! actually run (a run stopped early fills the plot too).
//!
//! Memory is bounded whatever the length of the run: bursts are gathered
//! into at most [`MAX_BINS`] time bins of equal width (fewer in genomes of
//! thousands of areas); when they are all
//! used, neighbouring bins merge pairwise and the width doubles.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use font8x8::legacy::BASIC_LEGACY;

use crate::error::{CliError, Result};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 800;
const PLOT_X: u32 = 60;
const PLOT_W: u32 = 880;
const RASTER_Y: u32 = 40;
const RASTER_H: u32 = 500;
const RATE_Y: u32 = 590;
const RATE_H: u32 = 170;
const LEGEND_X: u32 = 955;
const MIN_BAND: u32 = 3;

const PALETTE: [[u8; 3]; 12] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
    [0, 0, 128],
    [128, 64, 0],
];

/// Most time bins kept; a full set merges into half as many, twice as wide.
/// At least twice the plot width, so a long run keeps full resolution.
pub const MAX_BINS: usize = 2048;
/// Per-area firing counts kept at most (32 MiB): a genome with more than
/// 2048 areas keeps fewer bins (at least 64).
const MAX_RATE_CELLS: usize = 1 << 22;

/// One area's band of rows.
pub struct Band {
    pub label: String,
    pub first_neuron: u32,
    pub neurons: u32,
    y0: u32,
    y1: u32,
}

pub struct Raster {
    bands: Vec<Band>,
    /// Per time bin, per pixel row of the raster: 0 empty, else band index + 1.
    cells: Vec<u16>,
    /// Per time bin, per area: firings.
    fired: Vec<u64>,
    /// Time bins in use.
    bins: usize,
    /// Bursts per bin.
    width: u64,
    /// Bursts in the last bin (1..=width once a burst began).
    in_last: u64,
    /// Bins kept at most (even).
    max_bins: usize,
}

impl Raster {
    /// `areas`: (label, first neuron id, neuron count) in id order.
    pub fn new(areas: Vec<(String, u32, u32)>) -> Raster {
        let total: u64 = areas.iter().map(|a| a.2 as u64).sum::<u64>().max(1);
        let count = u32::try_from(areas.len()).unwrap_or(u32::MAX);
        let spare = RASTER_H.saturating_sub(MIN_BAND.saturating_mul(count)) as u64;
        let mut y = 0u32;
        let bands = areas
            .into_iter()
            .map(|(label, first_neuron, neurons)| {
                let h = MIN_BAND + (spare * neurons as u64 / total) as u32;
                let band = Band {
                    label,
                    first_neuron,
                    neurons,
                    y0: y.min(RASTER_H),
                    y1: y.saturating_add(h).min(RASTER_H),
                };
                y = y.saturating_add(h);
                band
            })
            .collect::<Vec<_>>();
        let max_bins = (MAX_RATE_CELLS / bands.len().max(1)).clamp(64, MAX_BINS) & !1;
        Raster {
            bands,
            cells: Vec::new(),
            fired: Vec::new(),
            bins: 0,
            width: 1,
            in_last: 0,
            max_bins,
        }
    }

    /// Bursts begun so far.
    pub fn bursts(&self) -> u64 {
        match self.bins {
            0 => 0,
            b => (b as u64 - 1) * self.width + self.in_last,
        }
    }

    /// Starts a new burst.
    pub fn begin_burst(&mut self) {
        if self.bins > 0 && self.in_last < self.width {
            self.in_last += 1;
            return;
        }
        if self.bins >= self.max_bins {
            self.merge_pairs();
        }
        let rows = RASTER_H as usize;
        let areas = self.bands.len();
        self.bins += 1;
        self.cells.resize(self.bins * rows, 0);
        self.fired.resize(self.bins * areas, 0);
        self.in_last = 1;
    }

    /// Halves the bins: bin i becomes bins 2i and 2i+1 together.
    fn merge_pairs(&mut self) {
        let rows = RASTER_H as usize;
        let areas = self.bands.len();
        let half = self.bins / 2;
        for i in 0..half {
            for y in 0..rows {
                let (a, b) = (
                    self.cells[2 * i * rows + y],
                    self.cells[(2 * i + 1) * rows + y],
                );
                self.cells[i * rows + y] = a.max(b);
            }
            for k in 0..areas {
                self.fired[i * areas + k] =
                    self.fired[2 * i * areas + k] + self.fired[(2 * i + 1) * areas + k];
            }
        }
        self.bins = half;
        self.cells.truncate(half * rows);
        self.fired.truncate(half * areas);
        self.width = self.width.saturating_mul(2);
        self.in_last = self.width;
    }

    /// Marks neuron `id` of band `band` as fired in the current burst.
    pub fn mark(&mut self, band: usize, id: u32) {
        let Some(b) = self.bands.get(band) else {
            return;
        };
        let Some(bin) = self.bins.checked_sub(1) else {
            return;
        };
        // Memory neurons (ids from 50 000 000 up, SPEC §6.2) lie outside the
        // area's id range: they wrap around into its band.
        let local = (id.saturating_sub(b.first_neuron) % b.neurons.max(1)) as u64;
        let rows = b.y1.saturating_sub(b.y0) as u64;
        let y = b.y0 as u64 + local * rows / b.neurons.max(1) as u64;
        if y >= RASTER_H as u64 {
            return;
        }
        // Only the colour matters: the palette index + 1.
        self.cells[bin * RASTER_H as usize + y as usize] = (band % PALETTE.len()) as u16 + 1;
        self.fired[bin * self.bands.len() + band] += 1;
    }

    /// Plot columns x0..x1 of time bin `bin`.
    fn columns(&self, bin: usize) -> (u32, u32) {
        let n = self.bins.max(1) as u64;
        let x0 = (bin as u64 * PLOT_W as u64 / n) as u32;
        let x1 = (((bin as u64 + 1) * PLOT_W as u64 / n) as u32)
            .max(x0 + 1)
            .min(PLOT_W);
        (x0, x1)
    }

    /// Bursts in time bin `bin`.
    fn bursts_in(&self, bin: usize) -> u64 {
        if bin + 1 == self.bins {
            self.in_last
        } else {
            self.width
        }
    }

    /// Draws and writes the PNG.
    pub fn write(&self, path: &Path, title: &str) -> Result<()> {
        let mut img = Image::new();
        img.text(10, 12, title, [0, 0, 0]);
        // Raster frame, area bands and spikes.
        for (i, b) in self.bands.iter().enumerate() {
            if i % 2 == 1 {
                img.fill(
                    PLOT_X,
                    RASTER_Y + b.y0,
                    PLOT_W,
                    b.y1 - b.y0,
                    [246, 246, 246],
                );
            }
        }
        let rows = RASTER_H as usize;
        for bin in 0..self.bins {
            let (x0, x1) = self.columns(bin);
            for y in 0..rows {
                let c = self.cells[bin * rows + y];
                if c > 0 {
                    for x in x0..x1 {
                        img.set(
                            PLOT_X + x,
                            RASTER_Y + y as u32,
                            PALETTE[(c as usize - 1) % PALETTE.len()],
                        );
                    }
                }
            }
        }
        img.frame(PLOT_X, RASTER_Y, PLOT_W, RASTER_H);
        img.text(PLOT_X, RASTER_Y + RASTER_H + 8, "burst 1", [60, 60, 60]);
        let end = format!("burst {}", self.bursts().max(1));
        img.text(
            (PLOT_X + PLOT_W).saturating_sub(8 * end.len() as u32),
            RASTER_Y + RASTER_H + 8,
            &end,
            [60, 60, 60],
        );
        img.text(4, RASTER_Y + 4, "neuron", [60, 60, 60]);
        // Firing-rate panel: fraction of each area firing per burst, as a
        // moving average over ~2 % of the run so one-neuron areas do not
        // paint the panel with 0/100 % flicker.
        let window = (self.bins / 50).max(1);
        let areas = self.bands.len();
        let rates: Vec<Vec<f64>> = self
            .bands
            .iter()
            .enumerate()
            .map(|(k, b)| {
                let raw: Vec<f64> = (0..self.bins)
                    .map(|bin| {
                        self.fired[bin * areas + k] as f64
                            / (b.neurons.max(1) as f64 * self.bursts_in(bin).max(1) as f64)
                    })
                    .collect();
                moving_average(&raw, window)
            })
            .collect();
        let peak = rates
            .iter()
            .flatten()
            .cloned()
            .fold(0.0f64, f64::max)
            .max(1e-9);
        img.text(
            PLOT_X,
            RATE_Y - 14,
            &format!("firing rate per area (top = {:.1} %)", peak * 100.0),
            [60, 60, 60],
        );
        for (i, r) in rates.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let mut previous: Option<u32> = None;
            for (bin, rate) in r.iter().enumerate() {
                let (x0, x1) = self.columns(bin);
                let y = RATE_Y + RATE_H - 1 - ((rate / peak) * (RATE_H - 1) as f64).round() as u32;
                let (lo, hi) = match previous {
                    Some(p) => (p.min(y), p.max(y)),
                    None => (y, y),
                };
                for yy in lo..=hi {
                    img.set(PLOT_X + x0, yy, colour);
                }
                for x in x0..x1 {
                    img.set(PLOT_X + x, y, colour);
                }
                previous = Some(y);
            }
        }
        img.frame(PLOT_X, RATE_Y, PLOT_W, RATE_H);
        // Legend.
        img.text(LEGEND_X, RASTER_Y - 14, "areas", [0, 0, 0]);
        let count = u32::try_from(self.bands.len()).unwrap_or(u32::MAX).max(1);
        let step = ((HEIGHT - RASTER_Y - 10) / count).clamp(4, 12);
        for (i, b) in self.bands.iter().enumerate() {
            let Some(y) = u32::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(step))
                .and_then(|d| d.checked_add(RASTER_Y))
                .filter(|&y| y < HEIGHT)
            else {
                break;
            };
            img.fill(LEGEND_X, y, 8, step.min(8), PALETTE[i % PALETTE.len()]);
            if step >= 9 {
                let label: String = b.label.chars().take(29).collect();
                img.text(LEGEND_X + 12, y, &label, [0, 0, 0]);
            }
        }
        img.save(path)
    }
}

/// Mean of each value and the `window - 1` values before it.
fn moving_average(values: &[f64], window: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(values.len());
    let mut sum = 0.0;
    for (i, v) in values.iter().enumerate() {
        sum += v;
        if i >= window {
            sum -= values[i - window];
        }
        out.push(sum / (i + 1).min(window) as f64);
    }
    out
}

struct Image {
    pixels: Vec<u8>,
}

impl Image {
    fn new() -> Image {
        Image {
            pixels: vec![255; (WIDTH * HEIGHT * 3) as usize],
        }
    }

    fn set(&mut self, x: u32, y: u32, c: [u8; 3]) {
        if x < WIDTH && y < HEIGHT {
            let i = ((y * WIDTH + x) * 3) as usize;
            self.pixels[i..i + 3].copy_from_slice(&c);
        }
    }

    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, c: [u8; 3]) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    fn frame(&mut self, x: u32, y: u32, w: u32, h: u32) {
        let grey = [150, 150, 150];
        self.fill(x, y, w, 1, grey);
        self.fill(x, y + h, w, 1, grey);
        self.fill(x, y, 1, h, grey);
        self.fill(x + w, y, 1, h + 1, grey);
    }

    fn text(&mut self, x: u32, y: u32, s: &str, c: [u8; 3]) {
        for (k, ch) in s.chars().enumerate() {
            let glyph = BASIC_LEGACY
                .get(ch as usize)
                .copied()
                .unwrap_or(BASIC_LEGACY[b'?' as usize]);
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        self.set(x + k as u32 * 8 + col, y + row as u32, c);
                    }
                }
            }
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
        let file = File::create(path).map_err(|e| CliError::write(path, e))?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let io = |e: png::EncodingError| CliError::write(path, std::io::Error::other(e));
        let mut writer = encoder.write_header().map_err(io)?;
        writer.write_image_data(&self.pixels).map_err(io)?;
        writer.finish().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(areas: usize) -> Raster {
        Raster::new(
            (0..areas)
                .map(|k| (format!("area {k}"), k as u32 * 10, 10))
                .collect(),
        )
    }

    #[test]
    fn time_bins_merge_so_memory_stays_bounded() {
        let mut r = raster(3);
        for b in 0..10_000u64 {
            r.begin_burst();
            r.mark((b % 3) as usize, (b % 3) as u32 * 10 + (b % 10) as u32);
            assert!(r.bins <= MAX_BINS);
        }
        assert_eq!(r.bursts(), 10_000);
        assert!(r.bins > MAX_BINS / 2 - 1, "{}", r.bins);
        assert_eq!(r.cells.len(), r.bins * RASTER_H as usize);
        assert_eq!(r.fired.len(), r.bins * 3);
        // Every firing is still counted once.
        assert_eq!(r.fired.iter().sum::<u64>(), 10_000);
        let dir = tempfile::tempdir().unwrap();
        r.write(&dir.path().join("r.png"), "t").unwrap();
    }

    #[test]
    fn many_areas_keep_fewer_bins_and_out_of_range_marks_are_ignored() {
        let mut r = raster(70_000);
        assert!(r.max_bins >= 64 && r.max_bins * 70_000 <= MAX_RATE_CELLS.max(64 * 70_000));
        r.mark(0, 0); // before any burst
        for _ in 0..200 {
            r.begin_burst();
            r.mark(69_999, u32::MAX);
            r.mark(80_000, 0);
        }
        assert_eq!(r.bursts(), 200);
        assert!(r.bins <= r.max_bins);
        let dir = tempfile::tempdir().unwrap();
        r.write(&dir.path().join("r.png"), "t").unwrap();
    }
}

//! `--raster FILE.png`: a raster plot of a run. Bursts run across; neurons
//! are stacked by area (each area a colour band, at least 3 pixels high),
//! with an area legend on the right and a per-area firing-rate panel below
//! (moving average over 2 % of the run).
//! The image is always 1200 x 800 pixels.

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

/// One area's band of rows.
pub struct Band {
    pub label: String,
    pub first_neuron: u32,
    pub neurons: u32,
    y0: u32,
    y1: u32,
}

pub struct Raster {
    planned_bursts: u64,
    bands: Vec<Band>,
    /// Per pixel of the raster: 0 empty, else band index + 1.
    cells: Vec<u16>,
    /// Per area, fired count per burst.
    fired: Vec<Vec<u32>>,
}

impl Raster {
    /// `areas`: (label, first neuron id, neuron count) in id order.
    pub fn new(planned_bursts: u64, areas: Vec<(String, u32, u32)>) -> Raster {
        let total: u64 = areas.iter().map(|a| a.2 as u64).sum::<u64>().max(1);
        let spare = RASTER_H.saturating_sub(MIN_BAND * areas.len() as u32) as u64;
        let mut y = 0;
        let bands = areas
            .into_iter()
            .map(|(label, first_neuron, neurons)| {
                let h = MIN_BAND + (spare * neurons as u64 / total) as u32;
                let band = Band {
                    label,
                    first_neuron,
                    neurons,
                    y0: y,
                    y1: (y + h).min(RASTER_H),
                };
                y += h;
                band
            })
            .collect::<Vec<_>>();
        let fired = vec![Vec::new(); bands.len()];
        Raster {
            planned_bursts: planned_bursts.max(1),
            bands,
            cells: vec![0; (PLOT_W * RASTER_H) as usize],
            fired,
        }
    }

    fn columns(&self, burst: u64) -> (u32, u32) {
        let n = self.planned_bursts;
        let x0 = ((burst - 1) * PLOT_W as u64 / n) as u32;
        let x1 = ((burst * PLOT_W as u64 / n) as u32).max(x0 + 1).min(PLOT_W);
        (x0, x1)
    }

    /// Starts a new burst (1-based).
    pub fn begin_burst(&mut self) {
        for f in &mut self.fired {
            f.push(0);
        }
    }

    /// Marks neuron `id` of band `band` as fired in `burst`.
    pub fn mark(&mut self, burst: u64, band: usize, id: u32) {
        let Some(b) = self.bands.get(band) else {
            return;
        };
        if burst > self.planned_bursts {
            return;
        }
        // Memory neurons (ids from 50 000 000 up, SPEC §6.2) lie outside the
        // area's id range: they wrap around into its band.
        let local = (id.saturating_sub(b.first_neuron) % b.neurons.max(1)) as u64;
        let rows = b.y1.saturating_sub(b.y0) as u64;
        let y = b.y0 + (local * rows / b.neurons.max(1) as u64) as u32;
        if y >= RASTER_H {
            return;
        }
        let (x0, x1) = self.columns(burst);
        for x in x0..x1 {
            self.cells[(y * PLOT_W + x) as usize] = band as u16 + 1;
        }
        if let Some(last) = self.fired[band].last_mut() {
            *last += 1;
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
        for y in 0..RASTER_H {
            for x in 0..PLOT_W {
                let c = self.cells[(y * PLOT_W + x) as usize];
                if c > 0 {
                    img.set(
                        PLOT_X + x,
                        RASTER_Y + y,
                        PALETTE[(c as usize - 1) % PALETTE.len()],
                    );
                }
            }
        }
        img.frame(PLOT_X, RASTER_Y, PLOT_W, RASTER_H);
        img.text(PLOT_X, RASTER_Y + RASTER_H + 8, "burst 1", [60, 60, 60]);
        let end = format!("burst {}", self.planned_bursts);
        img.text(
            PLOT_X + PLOT_W - 8 * end.len() as u32,
            RASTER_Y + RASTER_H + 8,
            &end,
            [60, 60, 60],
        );
        img.text(4, RASTER_Y + 4, "neuron", [60, 60, 60]);
        // Firing-rate panel: fraction of each area firing per burst, as a
        // moving average over ~2 % of the run so one-neuron areas do not
        // paint the panel with 0/100 % flicker.
        let window = (self.planned_bursts as usize / 50).max(1);
        let rates: Vec<Vec<f64>> = self
            .bands
            .iter()
            .zip(&self.fired)
            .map(|(b, f)| {
                let raw: Vec<f64> = f
                    .iter()
                    .map(|&n| n as f64 / b.neurons.max(1) as f64)
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
            for (k, rate) in r.iter().enumerate() {
                let (x0, x1) = self.columns(k as u64 + 1);
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
        let step = ((HEIGHT - RASTER_Y - 10) / self.bands.len().max(1) as u32).clamp(4, 12);
        for (i, b) in self.bands.iter().enumerate() {
            let y = RASTER_Y + i as u32 * step;
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

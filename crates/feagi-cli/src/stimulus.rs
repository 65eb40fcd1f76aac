//! Input that `run` stages every burst: constant stimulation (`--stimulate`)
//! and generated patterns (`--pattern random:...`, `--pattern bar:...`). A
//! random pattern can be held for several bursts (`random:ID:F:HOLD`): input
//! held that long is what STDP (SPEC §6.1) potentiates.

use feagi_burst_engine::{AreaIndex, RustNPU};
use feagi_types::rng::SplitMix64;

use crate::error::{CliError, Result};

/// One source of input for an area.
#[derive(Debug)]
pub enum Stimulus {
    /// The same voxels with the same potential every burst.
    Constant {
        area: AreaIndex,
        xs: Vec<u32>,
        ys: Vec<u32>,
        zs: Vec<u32>,
        ps: Vec<f32>,
    },
    /// A fresh seeded random fraction of the area's voxels every `hold`
    /// bursts, staged again unchanged in between.
    Random {
        area: AreaIndex,
        dims: [u32; 3],
        fraction: f64,
        potential: f32,
        hold: u64,
        /// Seed of the pattern; draw k uses its own stream from it, so the
        /// input at a burst does not depend on where the run started
        /// (`--resume` continues the same input).
        seed: u64,
        /// The voxels of the current draw, and its index.
        held: Voxels,
        draw: Option<u64>,
    },
    /// A one-voxel-wide plane sweeping along x, one step per burst.
    Bar {
        area: AreaIndex,
        dims: [u32; 3],
        potential: f32,
    },
}

/// Potential used when none is given: the area's firing threshold, at least 1.
fn default_potential(npu: &RustNPU, area: AreaIndex) -> Result<f32> {
    Ok(npu.area(area)?.properties.firing_threshold.max(1.0))
}

fn resolve(npu: &RustNPU, id: &str) -> Result<AreaIndex> {
    npu.resolve_area(id).map_err(|_| {
        let known: Vec<String> = npu
            .areas()
            .map(|a| a.area.id.to_string().trim_end_matches('_').to_string())
            .collect();
        CliError::Usage(format!(
            "unknown cortical area '{id}' (this genome has: {})",
            known.join(", ")
        ))
    })
}

/// Every voxel of a grid, x outermost.
fn all_voxels(dims: [u32; 3]) -> impl Iterator<Item = (u32, u32, u32)> {
    let [w, h, d] = dims;
    (0..w).flat_map(move |x| (0..h).flat_map(move |y| (0..d).map(move |z| (x, y, z))))
}

/// `--stimulate CORTICAL_ID[@X,Y,Z][=P]`, checked for form (not yet
/// against a genome): clap parses it before anything loads.
#[derive(Clone, Debug)]
pub struct StimulateSpec {
    text: String,
    id: String,
    voxel: Option<[u32; 3]>,
    potential: Option<f32>,
}

/// `--pattern random:CORTICAL_ID:FRACTION[:HOLD]` or `bar:CORTICAL_ID`,
/// checked for form.
#[derive(Clone, Debug)]
pub enum PatternSpec {
    Random {
        id: String,
        fraction: f64,
        hold: u64,
    },
    Bar {
        id: String,
    },
}

/// A cortical id of a spec: not empty (an empty id would match nothing the
/// user meant).
fn cortical_id(id: &str, spec: &str, form: &str) -> std::result::Result<String, String> {
    if id.trim().is_empty() {
        return Err(format!("empty cortical id in '{spec}': expected {form}"));
    }
    Ok(id.to_string())
}

const STIMULATE_FORM: &str = "CORTICAL_ID[@X,Y,Z][=P]";
const PATTERN_FORM: &str = "random:CORTICAL_ID:FRACTION[:HOLD] or bar:CORTICAL_ID";

impl StimulateSpec {
    /// Parses `CORTICAL_ID[@X,Y,Z][=P]`; the error names the spec.
    pub fn parse(spec: &str) -> std::result::Result<StimulateSpec, String> {
        let (target, potential) = match spec.rsplit_once('=') {
            Some((t, p)) => match p.trim().parse::<f32>() {
                Ok(v) if v.is_finite() => (t, Some(v)),
                _ => {
                    return Err(format!(
                        "bad potential '{p}' in '{spec}': expected a finite number"
                    ))
                }
            },
            None => (spec, None),
        };
        let (id, voxel) = match target.split_once('@') {
            Some((id, coords)) => {
                let parts: Vec<&str> = coords.split(',').collect();
                let parsed: Vec<u32> = parts.iter().filter_map(|p| p.trim().parse().ok()).collect();
                match parsed[..] {
                    [x, y, z] if parts.len() == 3 => (id, Some([x, y, z])),
                    _ => {
                        return Err(format!(
                            "bad voxel '{coords}' in '{spec}': expected X,Y,Z (whole numbers)"
                        ))
                    }
                }
            }
            None => (target, None),
        };
        Ok(StimulateSpec {
            text: spec.to_string(),
            id: cortical_id(id, spec, STIMULATE_FORM)?,
            voxel,
            potential,
        })
    }
}

impl PatternSpec {
    /// Parses `random:CORTICAL_ID:FRACTION[:HOLD]` or `bar:CORTICAL_ID`; the
    /// error names the spec.
    pub fn parse(spec: &str) -> std::result::Result<PatternSpec, String> {
        let parts: Vec<&str> = spec.splitn(4, ':').collect();
        match parts.as_slice() {
            ["random", id, fraction, rest @ ..] if rest.len() <= 1 => {
                let id = cortical_id(id, spec, PATTERN_FORM)?;
                let fraction: f64 = fraction
                    .trim()
                    .parse()
                    .ok()
                    .filter(|f: &f64| (0.0..=1.0).contains(f))
                    .ok_or_else(|| {
                        format!("bad fraction '{fraction}' in '{spec}': expected 0..1")
                    })?;
                let hold = match rest.first() {
                    None => 1,
                    Some(h) => h.trim().parse::<u64>().ok().filter(|&h| h >= 1).ok_or_else(|| {
                        format!("bad hold '{h}' in '{spec}': expected a whole number of bursts >= 1")
                    })?,
                };
                Ok(PatternSpec::Random { id, fraction, hold })
            }
            ["bar", id] => Ok(PatternSpec::Bar {
                id: cortical_id(id, spec, PATTERN_FORM)?,
            }),
            _ => Err(format!("bad pattern '{spec}': expected {PATTERN_FORM}")),
        }
    }
}

impl Stimulus {
    /// Parses `CORTICAL_ID[@X,Y,Z][=P]` for `npu`.
    pub fn parse_stimulate(spec: &str, npu: &RustNPU) -> Result<Stimulus> {
        let spec = StimulateSpec::parse(spec).map_err(CliError::Usage)?;
        Self::stimulate(&spec, npu)
    }

    /// A `--stimulate` spec resolved in `npu`.
    pub fn stimulate(spec: &StimulateSpec, npu: &RustNPU) -> Result<Stimulus> {
        let area = resolve(npu, &spec.id)?;
        let dims = npu.area(area)?.dimensions;
        let p = match spec.potential {
            Some(p) => p,
            None => default_potential(npu, area)?,
        };
        let voxels: Vec<(u32, u32, u32)> = match spec.voxel {
            Some([x, y, z]) => {
                if x >= dims[0] || y >= dims[1] || z >= dims[2] {
                    return Err(CliError::Usage(format!(
                        "voxel ({x},{y},{z}) in '{}' is outside the area's {dims:?}",
                        spec.text
                    )));
                }
                vec![(x, y, z)]
            }
            None => all_voxels(dims).collect(),
        };
        Ok(Stimulus::Constant {
            area,
            xs: voxels.iter().map(|v| v.0).collect(),
            ys: voxels.iter().map(|v| v.1).collect(),
            zs: voxels.iter().map(|v| v.2).collect(),
            ps: vec![p; voxels.len()],
        })
    }

    /// A `--pattern` spec resolved in `npu`.
    pub fn pattern(spec: &PatternSpec, npu: &RustNPU, seed: u64) -> Result<Stimulus> {
        match spec {
            PatternSpec::Random { id, fraction, hold } => {
                let area = resolve(npu, id)?;
                let seed = seed ^ u64::from_le_bytes(*npu.area(area)?.id.as_bytes());
                Ok(Stimulus::Random {
                    area,
                    dims: npu.area(area)?.dimensions,
                    fraction: *fraction,
                    potential: default_potential(npu, area)?,
                    hold: *hold,
                    seed,
                    held: Voxels::default(),
                    draw: None,
                })
            }
            PatternSpec::Bar { id } => {
                let area = resolve(npu, id)?;
                Ok(Stimulus::Bar {
                    area,
                    dims: npu.area(area)?.dimensions,
                    potential: default_potential(npu, area)?,
                })
            }
        }
    }

    /// Stages this stimulus for burst `burst` (1-based), using `buf` as scratch.
    pub fn stage(&mut self, npu: &mut RustNPU, burst: u64, buf: &mut Voxels) -> Result<()> {
        match self {
            Stimulus::Constant {
                area,
                xs,
                ys,
                zs,
                ps,
            } => {
                npu.stage_sensory(*area, xs, ys, zs, ps)?;
            }
            Stimulus::Random {
                area,
                dims,
                fraction,
                potential,
                hold,
                seed,
                held,
                draw,
            } => {
                // Draw k covers bursts k*hold+1 ..= (k+1)*hold.
                let k = burst.saturating_sub(1) / *hold;
                if *draw != Some(k) {
                    *draw = Some(k);
                    let mut state = SplitMix64::new(*seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                    held.clear();
                    let threshold = (*fraction * u64::MAX as f64) as u64;
                    for (x, y, z) in all_voxels(*dims) {
                        if state.next_u64() < threshold {
                            held.push(x, y, z, *potential);
                        }
                    }
                }
                npu.stage_sensory(*area, &held.xs, &held.ys, &held.zs, &held.ps)?;
            }
            Stimulus::Bar {
                area,
                dims,
                potential,
            } => {
                buf.clear();
                let x = (burst.saturating_sub(1) % dims[0].max(1) as u64) as u32;
                for y in 0..dims[1] {
                    for z in 0..dims[2] {
                        buf.push(x, y, z, *potential);
                    }
                }
                npu.stage_sensory(*area, &buf.xs, &buf.ys, &buf.zs, &buf.ps)?;
            }
        }
        Ok(())
    }
}

/// Reused voxel arrays for staging.
#[derive(Debug, Default)]
pub struct Voxels {
    xs: Vec<u32>,
    ys: Vec<u32>,
    zs: Vec<u32>,
    ps: Vec<f32>,
}

impl Voxels {
    fn clear(&mut self) {
        self.xs.clear();
        self.ys.clear();
        self.zs.clear();
        self.ps.clear();
    }

    fn push(&mut self, x: u32, y: u32, z: u32, p: f32) {
        self.xs.push(x);
        self.ys.push(y);
        self.zs.push(z);
        self.ps.push(p);
    }
}

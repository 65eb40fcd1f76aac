//! `feagi_rust.RustNPU`: the Python face of `feagi_burst_engine::RustNPU`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use feagi_burst_engine::{
    AreaIndex, AreaKind, CorticalArea, LoadError, NeuronId, NeuronParams, NpuConfig, NpuError,
    RustNPU, SnapshotError, SynapseInfo, SynapseType,
};
use feagi_genome::{Genome, GenomeError, GenomeWarning, LoadOptions};
use feagi_runtime::{apply_parsed_updates, BurstLoop, GeneUpdate, NpuGuard, NpuHandle};
use feagi_types::{
    MemoryAreaGenes, MemoryNeuron, MemoryRelation, MemoryTwin, StdpRegistration,
    MAX_REGULAR_NEURONS,
};
use numpy::PyArray1;
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyType};

use crate::burst_loop;
use crate::convert::{
    array_copy, bounded, column_copy, coordinate, coordinate_array, finite_f32, int_tuple,
    neuron_id, same_lengths, to_i64, to_u16, to_u32, to_u8, try_vec, type_name, uint_array,
    AreaArg, Int, Real,
};
use crate::errors::{
    gene_error, genome_error, internal_panic, load_error, npu_error, runtime_error, snapshot_error,
};
use crate::params::{parse_param, properties_dict};
use crate::results::{BurstResult, KnownIds, SpikeRecord};

/// Capacity hints above these are honoured only up to them: the arrays grow
/// on demand anyway, and a huge hint must not abort the process on allocation.
const NEURON_RESERVE_CAP: usize = 1 << 20;
const SYNAPSE_RESERVE_CAP: usize = 1 << 22;
/// The largest fire ledger window accepted: the ledger reserves the whole
/// window per area up front, so an absurd value would exhaust memory.
pub const MAX_LEDGER_WINDOW: u64 = 100_000;
/// `run` gives other threads the NPU, and Ctrl-C a chance, this often.
const RUN_CHUNK: Duration = Duration::from_millis(50);
/// The most bursts one `run` call runs: it keeps each burst's fired count
/// (4 bytes), so this bounds that array at 4 GiB.
pub const RUN_MAX_BURSTS: u64 = 1 << 30;
/// Bytes `run` keeps per burst (the fired count, u32) and, with
/// `record=True`, per spike (the neuron id, u32).
const RUN_BYTES_PER_BURST: u64 = 4;
const RUN_BYTES_PER_SPIKE: u64 = 4;

/// The fired-count array of `run(n)`, allocated before any burst runs:
/// `MemoryError` naming n, the cost per burst and the limit when n is above
/// [`RUN_MAX_BURSTS`] or the memory cannot be had.
fn reserve_run(n: u64) -> PyResult<Vec<u32>> {
    let bytes = u128::from(n) * u128::from(RUN_BYTES_PER_BURST);
    let cost = format!(
        "run(n={n}) keeps every burst's result: {RUN_BYTES_PER_BURST} bytes per burst (its \
         fired count), plus {RUN_BYTES_PER_SPIKE} bytes per spike with record=True, so at least \
         {bytes} bytes"
    );
    if n > RUN_MAX_BURSTS {
        return Err(PyMemoryError::new_err(format!(
            "{cost}; one call runs at most {RUN_MAX_BURSTS} bursts ({} bytes of counts). Call \
             run() repeatedly with a smaller n, or use start_burst_loop(), which keeps nothing",
            u128::from(RUN_MAX_BURSTS) * u128::from(RUN_BYTES_PER_BURST)
        )));
    }
    let mut counts = Vec::new();
    match usize::try_from(n) {
        Ok(len) if counts.try_reserve_exact(len).is_ok() => Ok(counts),
        _ => Err(PyMemoryError::new_err(format!(
            "{cost}; {bytes} bytes cannot be allocated (out of memory; the limit is what the \
             process may allocate). Call run() with a smaller n"
        ))),
    }
}

/// Why `run` stopped early.
enum RunStep {
    /// The burst ran and was recorded.
    Ran,
    /// No memory to record up to `needed` more spikes: stopped before the burst.
    NoRoom { needed: usize },
    /// Burst `burst` ran but its `spikes` spikes found no memory.
    Lost { burst: u64, spikes: usize },
}

impl RunStep {
    /// The `MemoryError` of a run stopped after `done` of `n` bursts with
    /// `kept` spikes recorded; `burst` is the NPU's burst count now.
    fn error(&self, n: u64, done: u64, kept: usize, burst: u64) -> PyErr {
        let what = match self {
            RunStep::Ran => String::new(),
            RunStep::NoRoom { needed } => format!(
                "no memory for the up to {needed} spikes of the next burst \
                 ({RUN_BYTES_PER_SPIKE} bytes each)"
            ),
            RunStep::Lost { burst, spikes } => format!(
                "burst {burst} ran, but no memory was left for its {spikes} spikes \
                 ({RUN_BYTES_PER_SPIKE} bytes each)"
            ),
        };
        PyMemoryError::new_err(format!(
            "run(n={n}, record=True) stopped after {done} of {n} bursts: the spike record \
             outgrew memory at {kept} spikes; {what}. The {done} bursts ran (burst_count() is \
             {burst}); their record is dropped. Use record=False or a smaller n"
        ))
    }
}

/// The locked NPU (`feagi_runtime::NpuState`) with Python errors: a panic
/// (a bug, never bad input) becomes a `RuntimeError` and makes the NPU
/// refuse every later call; NPU errors map as in `errors`.
pub struct PyGuard<'a>(NpuGuard<'a>);

impl PyGuard<'_> {
    /// Runs `f` on the NPU (see `feagi_runtime::NpuState::with`).
    pub fn with<R>(&mut self, f: impl FnOnce(&mut RustNPU) -> R) -> PyResult<R> {
        self.0.with(f).map_err(runtime_error)
    }

    /// [`PyGuard::with`] for NPU calls that can fail.
    pub fn call<R>(&mut self, f: impl FnOnce(&mut RustNPU) -> Result<R, NpuError>) -> PyResult<R> {
        self.0.call(f).map_err(runtime_error)
    }

    /// The index of an area argument.
    pub fn resolve(&mut self, area: &AreaArg) -> PyResult<AreaIndex> {
        self.with(|npu| area.resolve(npu))?
    }

    /// One burst, copied out as a `BurstResult`.
    pub fn run_burst(&mut self, power: Option<&[NeuronId]>) -> PyResult<BurstResult> {
        self.0
            .run_burst(power)
            .map(BurstResult::from)
            .map_err(runtime_error)
    }

    /// The warnings of the genome load.
    pub fn warnings(&self) -> &[GenomeWarning] {
        self.0.warnings()
    }
}

/// Where a genome comes from.
enum GenomeSource {
    Path(PathBuf),
    Json(String),
    Bytes(Vec<u8>),
}

/// A genome read from its source, with the JSON text it was read from (what
/// the NPU records as its genome source, and snapshots keep).
struct ReadGenome {
    genome: Genome,
    text: String,
    /// The file, for a genome read from one.
    file: Option<String>,
}

impl GenomeSource {
    /// Reads and validates the genome with `options`' limits. A file is read
    /// once, through the loader's checks (regular files only, size cap), and
    /// errors name it.
    fn read(self, options: &LoadOptions) -> Result<ReadGenome, GenomeError> {
        let (genome, bytes, file) = match self {
            GenomeSource::Path(p) => {
                let (genome, text) = Genome::from_path_with_source(&p, options)?;
                return Ok(ReadGenome {
                    genome,
                    text,
                    file: Some(p.display().to_string()),
                });
            }
            GenomeSource::Json(text) => {
                let genome = Genome::from_json_str_with_options(&text, options)?;
                return Ok(ReadGenome {
                    genome,
                    text,
                    file: None,
                });
            }
            GenomeSource::Bytes(bytes) => (
                Genome::from_json_slice_with_options(&bytes, options)?,
                bytes,
                None,
            ),
        };
        // A genome that parsed is UTF-8 JSON.
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok(ReadGenome { genome, text, file })
    }
}

enum LoadFailure {
    Genome(GenomeError),
    Load(LoadError),
    Panic(PyErr),
}

fn parse_kind(kind: &str) -> PyResult<AreaKind> {
    match kind.to_ascii_uppercase().as_str() {
        "CORE" => Ok(AreaKind::Core),
        "IPU" => Ok(AreaKind::Ipu),
        "OPU" => Ok(AreaKind::Opu),
        "CUSTOM" => Ok(AreaKind::Custom),
        "MEMORY" => Ok(AreaKind::Memory),
        _ => Err(PyValueError::new_err(format!(
            "unknown area kind {kind:?}: expected CORE, IPU, OPU, CUSTOM or MEMORY"
        ))),
    }
}

fn synapse_type_arg(obj: &Bound<'_, PyAny>) -> PyResult<SynapseType> {
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow()?.to_ascii_lowercase().as_str() {
            "excitatory" => Ok(SynapseType::Excitatory),
            "inhibitory" => Ok(SynapseType::Inhibitory),
            other => Err(PyValueError::new_err(format!(
                "synapse_type must be 0 / 'excitatory' or 1 / 'inhibitory', got {other:?}"
            ))),
        };
    }
    let code = Int::from_object(obj).map_err(|_| {
        PyTypeError::new_err(format!(
            "synapse_type must be 0 / 'excitatory' or 1 / 'inhibitory', got {}",
            type_name(obj)
        ))
    })?;
    to_u8(&code, "synapse_type")
        .ok()
        .and_then(SynapseType::from_code)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "synapse_type must be 0 (excitatory) or 1 (inhibitory), got {code}"
            ))
        })
}

/// The error for a parameter given under both of its names.
fn both_given(name: &str, alias: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{alias} is another name for {name}: give one of them, not both"
    ))
}

fn areas_list<'py>(py: Python<'py>, npu: &RustNPU) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for info in npu.areas() {
        let a = info.area;
        let d = PyDict::new(py);
        d.set_item("index", info.index)?;
        d.set_item("cortical_id", a.id.as_string())?;
        d.set_item("name", a.name.as_str())?;
        d.set_item("kind", a.kind.as_str())?;
        d.set_item(
            "dimensions",
            (a.dimensions[0], a.dimensions[1], a.dimensions[2]),
        )?;
        d.set_item("neurons_per_voxel", a.neurons_per_voxel)?;
        d.set_item("first_neuron", info.first_neuron)?;
        d.set_item("neuron_count", info.neuron_count)?;
        d.set_item("properties", properties_dict(py, &a.properties)?)?;
        list.append(d)?;
    }
    Ok(list)
}

fn synapse_list(py: Python<'_>, synapses: Vec<SynapseInfo>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for s in synapses {
        list.append((s.peer, s.weight, s.psp, s.synapse_type.code()))?;
    }
    Ok(list)
}

/// The NPU configuration as `get_config()` and the export give it.
fn config_dict<'py>(py: Python<'py>, config: &NpuConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("seed", config.seed)?;
    d.set_item("power_amount", config.power_amount)?;
    d.set_item("fire_ledger_window", config.fire_ledger_window)?;
    d.set_item("fatigue_active", config.fatigue_active)?;
    d.set_item("plasticity", config.plasticity)?;
    Ok(d)
}

fn stdp_list<'py>(py: Python<'py>, npu: &RustNPU) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for r in npu.stdp_registrations() {
        let d = PyDict::new(py);
        d.set_item("source_area", r.source_area)?;
        d.set_item("destination_area", r.destination_area)?;
        let id = |a| npu.area_id(a).map(|i| i.as_string()).unwrap_or_default();
        d.set_item("source", id(r.source_area))?;
        d.set_item("destination", id(r.destination_area))?;
        d.set_item("plasticity_constant", r.plasticity_constant)?;
        d.set_item("ltp_multiplier", r.ltp_multiplier)?;
        d.set_item("ltd_multiplier", r.ltd_multiplier)?;
        d.set_item("window", r.window)?;
        d.set_item("bidirectional", r.bidirectional)?;
        d.set_item("psp", r.psp)?;
        d.set_item("synapse_type", r.synapse_type.code())?;
        list.append(d)?;
    }
    Ok(list)
}

fn memory_neuron_dict<'py>(
    py: Python<'py>,
    id: NeuronId,
    n: &MemoryNeuron,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", id)?;
    d.set_item("area", n.area)?;
    d.set_item("lifespan", n.lifespan)?;
    d.set_item("long_term", n.long_term)?;
    d.set_item("alive", n.alive)?;
    d.set_item("activations", n.activations)?;
    d.set_item("born", n.born)?;
    d.set_item("pattern", n.pattern)?;
    let frames = PyList::empty(py);
    for f in &n.replay {
        let voxels: Vec<(u32, u32, u32)> = f.voxels.iter().map(|v| (v[0], v[1], v[2])).collect();
        frames.append((f.upstream, f.offset, voxels))?;
    }
    d.set_item("replay", frames)?;
    Ok(d)
}

/// Registrations, memory neurons and pending injections for the export.
fn plasticity_export<'py>(py: Python<'py>, npu: &RustNPU) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("enabled", npu.plasticity_enabled())?;
    d.set_item("stdp", stdp_list(py, npu)?)?;
    let areas = PyList::empty(py);
    for g in npu.memory_areas() {
        let a = PyDict::new(py);
        a.set_item("area", g.area)?;
        a.set_item("temporal_depth", g.temporal_depth)?;
        a.set_item("longterm_mem_threshold", g.longterm_mem_threshold)?;
        a.set_item("lifespan_growth_rate", g.lifespan_growth_rate)?;
        a.set_item("init_lifespan", g.init_lifespan)?;
        areas.append(a)?;
    }
    d.set_item("memory_areas", areas)?;
    let relations: Vec<(AreaIndex, AreaIndex)> = npu
        .memory_relations()
        .iter()
        .map(|r| (r.upstream, r.memory_area))
        .collect();
    d.set_item("memory_relations", relations)?;
    let twins: Vec<(AreaIndex, AreaIndex)> =
        npu.memory_twins().iter().map(|t| (t.twin, t.of)).collect();
    d.set_item("memory_twins", twins)?;
    let neurons = PyList::empty(py);
    for (id, n) in npu.memory_store().iter() {
        neurons.append(memory_neuron_dict(py, id, n)?)?;
    }
    d.set_item("memory_neurons", neurons)?;
    d.set_item("forced", npu.pending_forced_injections().to_vec())?;
    let replay: Vec<(usize, NeuronId, f32)> = npu.pending_replay().entries().collect();
    d.set_item("replay", replay)?;
    Ok(d)
}

/// `(sources, targets, weights)` of the synapses between two areas.
type PairArrays<'py> = (
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u32>>,
    Bound<'py, PyArray1<u8>>,
);

/// `(ids, sums)` of the last FCL.
type FclArrays<'py> = (Bound<'py, PyArray1<u32>>, Bound<'py, PyArray1<f32>>);

fn frames_list<'py, 'a>(
    py: Python<'py>,
    frames: impl Iterator<Item = (u64, &'a [NeuronId])>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (t, ids) in frames {
        list.append((t, PyArray1::from_slice(py, ids)))?;
    }
    Ok(list)
}

/// The FEAGI Neural Processing Unit (SPEC sections 2 to 5).
///
/// Build one by hand (``RustNPU(neuron_count, synapse_capacity,
/// fire_ledger_window)``, then ``register_area`` / ``add_neuron`` /
/// ``add_synapse``), from a genome (``RustNPU.from_genome``) or from a
/// snapshot (``RustNPU.load``, written by ``save``; pickling uses the same
/// format). Every method is thread-safe; ``run``, the burst loop, ``save``
/// and ``load`` release the GIL while they work.
/// Bad input raises ``ValueError``, ``TypeError``, ``IndexError`` (unknown
/// neuron id or area index) or ``KeyError`` (unknown cortical id); failing
/// calls leave the NPU unchanged.
#[pyclass(frozen, name = "RustNPU", module = "feagi_rust")]
pub struct PyRustNpu {
    handle: NpuHandle,
    burst_loop: Arc<BurstLoop>,
}

impl Drop for PyRustNpu {
    fn drop(&mut self) {
        // Joining here could wait for a GIL we hold; the thread ends by itself.
        self.burst_loop.request_stop();
    }
}

impl PyRustNpu {
    fn wrap(handle: NpuHandle) -> Self {
        PyRustNpu {
            handle,
            burst_loop: Arc::new(BurstLoop::new()),
        }
    }

    /// The NPU lock and two area arguments resolved under it.
    fn lock_two_areas<'a>(
        &'a self,
        py: Python<'_>,
        first: &Bound<'_, PyAny>,
        second: &Bound<'_, PyAny>,
    ) -> PyResult<(PyGuard<'a>, AreaIndex, AreaIndex)> {
        let (first, second) = (AreaArg::extract(first)?, AreaArg::extract(second)?);
        let mut g = self.lock(py);
        let (a, b) = (g.resolve(&first)?, g.resolve(&second)?);
        Ok((g, a, b))
    }

    /// The NPU lock. When it is busy (a burst loop or `run` in another
    /// thread), the GIL is released while waiting, so nothing deadlocks and
    /// other Python threads keep running.
    fn lock<'a>(&'a self, py: Python<'_>) -> PyGuard<'a> {
        if let Some(guard) = self.handle.try_lock() {
            return PyGuard(guard);
        }
        let handle = &self.handle;
        PyGuard(py.detach(|| handle.lock()))
    }

    /// Develops a genome into a new NPU that records the genome's text.
    fn develop(
        py: Python<'_>,
        source: GenomeSource,
        config: NpuConfig,
        options: LoadOptions,
    ) -> PyResult<Self> {
        let outcome = py.detach(move || {
            catch_unwind(AssertUnwindSafe(
                move || -> Result<NpuHandle, LoadFailure> {
                    let read = source.read(&options).map_err(LoadFailure::Genome)?;
                    let plasticity = config.plasticity;
                    let mut npu = RustNPU::from_genome_with_options(&read.genome, config, &options)
                        .map_err(LoadFailure::Load)?;
                    npu.set_genome_source(Some(read.text));
                    let mut warnings = read.genome.warnings_for(plasticity);
                    if let Some(file) = &read.file {
                        warnings = warnings.into_iter().map(|w| w.with_file(file)).collect();
                    }
                    Ok(NpuHandle::with_warnings(npu, warnings))
                },
            ))
            .unwrap_or_else(|payload| Err(LoadFailure::Panic(internal_panic(payload.as_ref()))))
        });
        match outcome {
            Ok(handle) => Ok(Self::wrap(handle)),
            Err(LoadFailure::Genome(e)) => Err(genome_error(py, &e)),
            Err(LoadFailure::Load(e)) => Err(load_error(py, &e)),
            Err(LoadFailure::Panic(e)) => Err(e),
        }
    }

    fn genome_argument(genome: &Bound<'_, PyAny>) -> PyResult<GenomeSource> {
        let py = genome.py();
        if let Ok(s) = genome.cast::<PyString>() {
            let text = s.to_cow()?;
            return Ok(if text.trim_start().starts_with('{') {
                GenomeSource::Json(text.to_string())
            } else {
                GenomeSource::Path(PathBuf::from(text.as_ref()))
            });
        }
        if let Ok(b) = genome.cast::<PyBytes>() {
            return Ok(GenomeSource::Bytes(b.as_bytes().to_vec()));
        }
        if let Ok(d) = genome.cast::<PyDict>() {
            let kwargs = PyDict::new(py);
            kwargs.set_item("allow_nan", false)?;
            let text: String = py
                .import("json")?
                .call_method("dumps", (d,), Some(&kwargs))?
                .extract()?;
            return Ok(GenomeSource::Json(text));
        }
        if genome.hasattr("__fspath__")? {
            let path: PathBuf = py
                .import("os")?
                .call_method1("fspath", (genome,))?
                .extract()?;
            return Ok(GenomeSource::Path(path));
        }
        Err(PyTypeError::new_err(
            "genome must be a path (str or os.PathLike), JSON text (str starting with '{', or bytes) or a dict",
        ))
    }

    fn area_float_array<'py>(
        &self,
        py: Python<'py>,
        cortical_id: Option<&Bound<'py, PyAny>>,
        field: fn(&feagi_types::NeuronArray) -> feagi_types::Column<'_, f32>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let area = cortical_id.map(AreaArg::extract).transpose()?;
        let mut g = self.lock(py);
        let index = match &area {
            Some(a) => Some(g.resolve(a)?),
            None => None,
        };
        g.with(|npu| {
            let values = field(npu.neurons());
            Ok(match index {
                None => column_copy(py, values, "the neuron values")?,
                Some(i) => {
                    let ids = npu.neurons_in_area(i).map_err(npu_error)?;
                    PyArray1::from_iter(py, ids.iter().map(|&id| values[id as usize]))
                }
            })
        })?
    }
}

#[pymethods]
impl PyRustNpu {
    /// An empty NPU. ``neuron_count`` and ``synapse_capacity`` are capacity
    /// hints (the arrays grow as needed); ``fire_ledger_window`` is the number
    /// of frames the fire ledger keeps per area (at least 1).
    #[new]
    #[pyo3(
        signature = (neuron_count=Int::from(0), synapse_capacity=Int::from(0), fire_ledger_window=Int::from(20)),
        text_signature = "(neuron_count=0, synapse_capacity=0, fire_ledger_window=20)"
    )]
    fn new(neuron_count: Int, synapse_capacity: Int, fire_ledger_window: Int) -> PyResult<Self> {
        let neurons = bounded(&neuron_count, "neuron_count", MAX_REGULAR_NEURONS)? as usize;
        let synapses = bounded(&synapse_capacity, "synapse_capacity", u64::MAX >> 1)? as usize;
        let window =
            bounded(&fire_ledger_window, "fire_ledger_window", MAX_LEDGER_WINDOW)? as usize;
        let npu = RustNPU::new(
            neurons.min(NEURON_RESERVE_CAP),
            synapses.min(SYNAPSE_RESERVE_CAP),
            window,
        )
        .map_err(npu_error)?;
        Ok(Self::wrap(NpuHandle::new(npu)))
    }

    /// Develops a genome into a new NPU (SPEC sections 1 to 3).
    ///
    /// ``genome`` is a path (``str`` naming a file, or ``os.PathLike``), JSON
    /// text (a ``str`` whose first non-blank character is ``{``, or ``bytes``)
    /// or a ``dict`` (serialised with ``json.dumps``). ``seed`` drives
    /// synaptogenesis (attractivity below 100 and randomizer rules);
    /// ``power_amount`` is what the power neuron receives each burst. The GIL
    /// is released while the genome loads. Raises ``GenomeError`` (a
    /// ``ValueError``) with locators when the genome is invalid or unreadable
    /// (``kind == "Io"`` for a missing file). The NPU keeps the genome's JSON
    /// text as ``genome_source``, and snapshots keep it too.
    #[staticmethod]
    ///
    /// ``plasticity`` (default ``True``) runs the learning of SPEC section 6:
    /// STDP on the genome's plastic mappings and memory areas. ``False`` gives
    /// the M1 behaviour exactly (nothing learns; ``genome_warnings()`` then
    /// says so when the genome uses plasticity).
    #[pyo3(
        signature = (genome, seed=Int::from(0), power_amount=Real(1.0), fire_ledger_window=Int::from(20), fatigue_active=false, plasticity=true, memory_limit=None),
        text_signature = "(genome, seed=0, power_amount=1.0, fire_ledger_window=20, fatigue_active=False, plasticity=True, memory_limit=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn from_genome(
        py: Python<'_>,
        genome: &Bound<'_, PyAny>,
        seed: Int,
        power_amount: Real,
        fire_ledger_window: Int,
        fatigue_active: bool,
        plasticity: bool,
        memory_limit: Option<Int>,
    ) -> PyResult<Self> {
        let source = Self::genome_argument(genome)?;
        let config = NpuConfig {
            seed: bounded(&seed, "seed", u64::MAX)?,
            power_amount: finite_f32(power_amount, "power_amount")?,
            fire_ledger_window: bounded(
                &fire_ledger_window,
                "fire_ledger_window",
                MAX_LEDGER_WINDOW,
            )? as usize,
            fatigue_active,
            plasticity,
            ..NpuConfig::default()
        };
        // Bytes the developed brain may need; 0 means no limit, None the
        // memory available to the process (SPEC-independent, M2.6).
        let memory_limit = match memory_limit {
            None => None,
            Some(limit) => match bounded(&limit, "memory_limit", u64::MAX)? {
                0 => Some(u64::MAX),
                bytes => Some(bytes),
            },
        };
        let options = LoadOptions::default().with_memory_limit(memory_limit);
        Self::develop(py, source, config, options)
    }

    /// The embedded default genome as JSON text (same as ``feagi_rust.default_genome_json()``).
    #[staticmethod]
    fn default_genome() -> &'static str {
        feagi_genome::default_genome_json()
    }

    /// Warnings of the genome load (empty for a hand-built NPU): a list of
    /// dicts with ``kind``, ``message``, ``text`` (the one-line rendering) and
    /// the locators that apply.
    fn genome_warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let warnings = self.lock(py).warnings().to_vec();
        let list = PyList::empty(py);
        for w in &warnings {
            let d = PyDict::new(py);
            d.set_item("kind", w.kind.as_str())?;
            d.set_item("message", w.message.as_str())?;
            d.set_item("text", w.to_string())?;
            let l = &w.locators;
            d.set_item("file", l.file.as_deref())?;
            d.set_item("gene_key", l.gene_key.as_deref())?;
            d.set_item("cortical_id", l.cortical_id.as_deref())?;
            d.set_item("destination_id", l.destination_id.as_deref())?;
            d.set_item("rule_index", l.rule_index)?;
            d.set_item("morphology_id", l.morphology_id.as_deref())?;
            d.set_item("pattern_index", l.pattern_index)?;
            list.append(d)?;
        }
        Ok(list)
    }

    /// The NPU configuration: ``seed``, ``power_amount``, ``fire_ledger_window``,
    /// ``fatigue_active``, ``plasticity``.
    fn get_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let config = self.lock(py).with(|npu| npu.config().clone())?;
        config_dict(py, &config)
    }

    /// Sets the potential the power neuron receives each burst.
    fn set_power_amount(&self, py: Python<'_>, amount: Real) -> PyResult<()> {
        let amount = finite_f32(amount, "power amount")?;
        self.lock(py).call(|npu| npu.set_power_amount(amount))
    }

    /// Makes the fatigue neuron receive the power amount every burst (or not).
    fn set_fatigue_active(&self, py: Python<'_>, active: bool) -> PyResult<()> {
        self.lock(py).with(|npu| npu.set_fatigue_active(active))
    }

    // ----- building ---------------------------------------------------------

    /// Registers a cortical area and returns its index.
    ///
    /// ``cortical_id`` is any spelling the genome format accepts (``"cInput"``,
    /// ``"cInput__"``, base64, ``"_power"``); it is stored in its canonical
    /// 8-character form. Areas get indices in registration order; the core
    /// areas ``"___death"``, ``"___power"``, ``"___fatig"`` are ordinary ids,
    /// and the neuron of ``"___power"`` receives the power amount each burst.
    /// ``kind`` is one of CORE, IPU, OPU, CUSTOM, MEMORY (default: CORE for
    /// the three core ids, CUSTOM otherwise). Neurons are added
    /// with ``add_neuron``. Raises ``ValueError`` for a duplicate or malformed
    /// id (``GenomeError`` with kind ``MalformedCorticalId``) or a zero dimension.
    #[pyo3(
        signature = (cortical_id, dimensions=None, name=None, kind=None, neurons_per_voxel=Int::from(1)),
        text_signature = "($self, cortical_id, dimensions=(1, 1, 1), name=None, kind=None, neurons_per_voxel=1)"
    )]
    fn register_area(
        &self,
        py: Python<'_>,
        cortical_id: &str,
        dimensions: Option<&Bound<'_, PyAny>>,
        name: Option<String>,
        kind: Option<&str>,
        neurons_per_voxel: Int,
    ) -> PyResult<AreaIndex> {
        let dims = match dimensions {
            Some(d) => {
                let [w, h, d] = int_tuple::<3>(d, "dimensions")?;
                [
                    to_u32(&w, "dimension w")?,
                    to_u32(&h, "dimension h")?,
                    to_u32(&d, "dimension d")?,
                ]
            }
            None => [1, 1, 1],
        };
        let id = feagi_genome::parse_cortical_id(cortical_id).map_err(|e| genome_error(py, &e))?;
        let kind = match kind {
            Some(k) => parse_kind(k)?,
            None if id.is_core() => AreaKind::Core,
            None => AreaKind::Custom,
        };
        let mut area = CorticalArea::new(id, name.unwrap_or_else(|| id.as_string()), kind, dims);
        area.neurons_per_voxel = to_u32(&neurons_per_voxel, "neurons_per_voxel")?;
        self.lock(py).call(|npu| npu.register_area(area))
    }

    /// Adds a neuron at voxel (x, y, z) of an area and returns its id.
    ///
    /// ``area`` is a cortical id or an area index. Parameters are in internal
    /// units (SPEC section 2.3): ``threshold_limit`` 0 means no limit, ``leak``
    /// and ``excitability`` (a firing probability) lie in [0, 1],
    /// ``consecutive_fire_limit`` 0 or 65535 means unlimited.
    #[pyo3(
        signature = (
            area, x=Int::from(0), y=Int::from(0), z=Int::from(0), threshold=Real(1.0),
            threshold_limit=Real(0.0), leak=Real(0.0), excitability=Real(1.0),
            refractory_period=Int::from(0), consecutive_fire_limit=Int::from(0),
            snooze_period=Int::from(0), mp_charge_accumulation=false
        ),
        text_signature = "($self, area, x=0, y=0, z=0, threshold=1.0, threshold_limit=0.0, leak=0.0, excitability=1.0, refractory_period=0, consecutive_fire_limit=0, snooze_period=0, mp_charge_accumulation=False)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn add_neuron(
        &self,
        py: Python<'_>,
        area: &Bound<'_, PyAny>,
        x: Int,
        y: Int,
        z: Int,
        threshold: Real,
        threshold_limit: Real,
        leak: Real,
        excitability: Real,
        refractory_period: Int,
        consecutive_fire_limit: Int,
        snooze_period: Int,
        mp_charge_accumulation: bool,
    ) -> PyResult<NeuronId> {
        let area = AreaArg::extract(area)?;
        let coords = [to_u32(&x, "x")?, to_u32(&y, "y")?, to_u32(&z, "z")?];
        let params = NeuronParams {
            threshold: threshold.0 as f32,
            threshold_limit: threshold_limit.0 as f32,
            leak: leak.0 as f32,
            excitability: excitability.0 as f32,
            refractory_period: to_u16(&refractory_period, "refractory_period")?,
            consecutive_fire_limit: to_u16(&consecutive_fire_limit, "consecutive_fire_limit")?,
            snooze_period: to_u16(&snooze_period, "snooze_period")?,
            mp_charge_accumulation,
        };
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| npu.add_neuron(index, params, coords))
    }

    /// Adds a synapse ``source -> target``. ``weight`` and ``psp`` are
    /// integers 0..255; ``conductance`` is an older keyword for ``psp`` (give
    /// one of them); ``synapse_type`` is 0 / ``"excitatory"`` or 1 /
    /// ``"inhibitory"``. Unknown neurons raise ``IndexError``.
    #[pyo3(
        signature = (source, target, weight=Int::from(1), psp=None, synapse_type=None, *, conductance=None),
        text_signature = "($self, source, target, weight=1, psp=1, synapse_type=None, *, conductance=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn add_synapse(
        &self,
        py: Python<'_>,
        source: Int,
        target: Int,
        weight: Int,
        psp: Option<Int>,
        synapse_type: Option<&Bound<'_, PyAny>>,
        conductance: Option<Int>,
    ) -> PyResult<()> {
        let (psp, psp_name) = match (psp, conductance) {
            (Some(_), Some(_)) => return Err(both_given("psp", "conductance")),
            (Some(p), None) => (p, "psp"),
            (None, Some(c)) => (c, "conductance"),
            (None, None) => (Int::from(1), "psp"),
        };
        let (s, t) = (neuron_id(&source)?, neuron_id(&target)?);
        let (w, c) = (to_u8(&weight, "weight")?, to_u8(&psp, psp_name)?);
        let ty = synapse_type
            .map(synapse_type_arg)
            .transpose()?
            .unwrap_or_default();
        self.lock(py).call(|npu| npu.add_synapse(s, t, w, c, ty))
    }

    /// Adds many synapses in input order and returns how many. Arguments are
    /// parallel 1-D arrays (numpy arrays of any integer dtype, or lists):
    /// neuron ids, weights 0..255, psps 0..255 (``conductances`` is an older
    /// keyword for ``psps``; give one of them), types 0 or 1. Every entry is
    /// checked before any synapse is added.
    #[pyo3(
        signature = (sources, targets, weights, psps=None, types=None, *, conductances=None),
        text_signature = "($self, sources, targets, weights, psps, types, *, conductances=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn add_synapses_batch(
        &self,
        py: Python<'_>,
        sources: &Bound<'_, PyAny>,
        targets: &Bound<'_, PyAny>,
        weights: &Bound<'_, PyAny>,
        psps: Option<&Bound<'_, PyAny>>,
        types: Option<&Bound<'_, PyAny>>,
        conductances: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let (psps, psps_name) = match (psps, conductances) {
            (Some(_), Some(_)) => return Err(both_given("psps", "conductances")),
            (Some(p), None) => (p, "psps"),
            (None, Some(c)) => (c, "conductances"),
            (None, None) => {
                return Err(PyTypeError::new_err(
                    "add_synapses_batch() missing required argument: 'psps'",
                ))
            }
        };
        let types = types.ok_or_else(|| {
            PyTypeError::new_err("add_synapses_batch() missing required argument: 'types'")
        })?;
        let sources = uint_array::<u32>(sources, "sources", u32::MAX as u64)?;
        let targets = uint_array::<u32>(targets, "targets", u32::MAX as u64)?;
        let weights = uint_array::<u8>(weights, "weights", 255)?;
        let psps = uint_array::<u8>(psps, psps_name, 255)?;
        let types = uint_array::<u8>(types, "types", 1)?;
        same_lengths(&[
            ("sources", sources.len()),
            ("targets", targets.len()),
            ("weights", weights.len()),
            (psps_name, psps.len()),
            ("types", types.len()),
        ])?;
        let types: Vec<SynapseType> = types
            .as_slice()
            .iter()
            .map(|&c| SynapseType::from_code(c).unwrap_or_default())
            .collect();
        let mut g = self.lock(py);
        g.call(|npu| {
            npu.add_synapses_batch(
                sources.as_slice(),
                targets.as_slice(),
                weights.as_slice(),
                psps.as_slice(),
                &types,
            )
        })
    }

    /// Removes every synapse ``source -> target``; returns how many there were.
    fn remove_synapse(&self, py: Python<'_>, source: Int, target: Int) -> PyResult<usize> {
        let (s, t) = (neuron_id(&source)?, neuron_id(&target)?);
        self.lock(py).call(|npu| npu.remove_synapse(s, t))
    }

    /// Sets the weight (0..255) of every synapse ``source -> target``; returns how many changed.
    fn update_synapse_weight(
        &self,
        py: Python<'_>,
        source: Int,
        target: Int,
        weight: Int,
    ) -> PyResult<usize> {
        let (s, t) = (neuron_id(&source)?, neuron_id(&target)?);
        let w = to_u8(&weight, "weight")?;
        self.lock(py).call(|npu| npu.update_synapse_weight(s, t, w))
    }

    // ----- running ----------------------------------------------------------

    /// Runs one burst (SPEC section 4.1) and returns its ``BurstResult``.
    ///
    /// With ``power_neurons=None`` the power neuron receives the power amount;
    /// with a sequence of ids exactly those neurons do, in order.
    #[pyo3(signature = (power_neurons=None))]
    fn process_burst(
        &self,
        py: Python<'_>,
        power_neurons: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<BurstResult> {
        let power = power_neurons
            .map(|p| uint_array::<u32>(p, "power_neurons", u32::MAX as u64))
            .transpose()?;
        let mut g = self.lock(py);
        g.run_burst(power.as_ref().map(|p| p.as_slice()))
    }

    /// Runs ``n`` bursts with the GIL released and returns what fired.
    ///
    /// With ``record=True`` the result is a ``SpikeRecord`` (``bursts``,
    /// ``neuron_ids``, ``counts``); with ``record=False`` it is a numpy uint32
    /// array of the number of neurons fired in each burst. Other threads get
    /// the NPU, and Ctrl-C is honoured, every 50 ms (input staged by another
    /// thread in that gap reaches the next burst).
    ///
    /// Every burst's result is kept: 4 bytes per burst (its fired count),
    /// plus 4 bytes per spike with ``record=True``. ``n`` above 2**30 (4 GiB
    /// of counts), or a count array that cannot be allocated, raises
    /// ``MemoryError`` before any burst runs; a spike record that
    /// outgrows memory stops the run with ``MemoryError`` saying how many
    /// bursts ran. Longer runs: call ``run`` repeatedly, or use the burst loop.
    #[pyo3(signature = (n, record=true))]
    fn run(&self, py: Python<'_>, n: Int, record: bool) -> PyResult<Py<PyAny>> {
        let n = bounded(&n, "n", i64::MAX as u64)?;
        let mut counts: Vec<u32> = reserve_run(n)?;
        let mut ids: Vec<u32> = Vec::new();
        let mut segments: Vec<(usize, u64)> = Vec::new();
        let mut done = 0u64;
        while done < n {
            let handle = &self.handle;
            let (chunk_done, outcome) = py.detach(|| {
                let mut g = PyGuard(handle.lock());
                let started = Instant::now();
                let mut k = 0u64;
                while done + k < n {
                    let step = g.call(|npu| {
                        if record {
                            // Room for every neuron firing, before the burst
                            // runs: running out stops the run between bursts.
                            let most = npu.neuron_count() + npu.memory_neuron_count();
                            if ids.try_reserve(most).is_err() {
                                return Ok(RunStep::NoRoom { needed: most });
                            }
                        }
                        let r = npu.process_burst(None)?;
                        let fired = r.fired_neurons;
                        let extends = segments.last().is_some_and(|&(start, burst)| {
                            burst + (counts.len() - start) as u64 == r.burst
                        });
                        if !extends {
                            segments.push((counts.len(), r.burst));
                        }
                        counts.push(fired.len() as u32);
                        if record {
                            if ids.try_reserve(fired.len()).is_err() {
                                return Ok(RunStep::Lost {
                                    burst: r.burst,
                                    spikes: fired.len(),
                                });
                            }
                            ids.extend_from_slice(fired);
                        }
                        Ok(RunStep::Ran)
                    });
                    match step {
                        Ok(RunStep::Ran) => {}
                        Ok(stop) => return (k, Ok(Some(stop))),
                        Err(e) => return (k, Err(e)),
                    }
                    k += 1;
                    if started.elapsed() >= RUN_CHUNK {
                        break;
                    }
                }
                (k, Ok(None))
            });
            done += chunk_done;
            if let Some(stop) = outcome? {
                let spikes = ids.len();
                drop((counts, ids, segments));
                let burst = self.lock(py).with(|npu| npu.burst_count())?;
                return Err(stop.error(n, done, spikes, burst));
            }
            py.check_signals()?;
        }
        if !record {
            return Ok(PyArray1::from_vec(py, counts).into_any().unbind());
        }
        let (next, known) = self.lock(py).with(|npu| {
            let known = KnownIds {
                regular: npu.neuron_count() as u64,
                memory: npu.memory_store().created() as u64,
            };
            (npu.burst_count() + 1, known)
        })?;
        let first = segments.first().map_or(next, |s| s.1);
        let record = SpikeRecord::new(first, counts, ids, segments, known);
        Ok(Py::new(py, record)?.into_any())
    }

    /// Starts running bursts on a background thread, ``frequency_hz`` per
    /// second (at least 1e-6). It sleeps until the next deadline; a burst that
    /// ends late by at most one period starts the next at once and keeps the
    /// schedule; more than one period behind, the schedule restarts from now
    /// (it never bursts to catch up). After each burst ``callback(result)`` is called with
    /// the ``BurstResult`` and the GIL, without the NPU lock: it may stage
    /// input and read the fire queue. Returning ``False`` stops the loop; an
    /// exception stops it too and is kept (``burst_loop_error()``) and
    /// printed, never raised into another thread. ``max_bursts`` ends the
    /// loop after that many bursts. Raises ``RuntimeError`` if a loop is
    /// already running.
    #[pyo3(signature = (frequency_hz, callback=None, max_bursts=None))]
    fn start_burst_loop(
        &self,
        py: Python<'_>,
        frequency_hz: Real,
        callback: Option<Py<PyAny>>,
        max_bursts: Option<Int>,
    ) -> PyResult<()> {
        let max = max_bursts
            .map(|m| bounded(&m, "max_bursts", i64::MAX as u64))
            .transpose()?;
        burst_loop::start(
            py,
            &self.burst_loop,
            self.handle.clone(),
            frequency_hz.0,
            callback,
            max,
        )
    }

    /// Stops the burst loop and waits for its thread (the GIL is released
    /// meanwhile). Called from the loop's own callback, it stops the loop
    /// once the callback returns. Does nothing when no loop runs.
    fn stop_burst_loop(&self, py: Python<'_>) {
        burst_loop::stop(py, &self.burst_loop);
    }

    /// Whether the background burst loop is running.
    fn is_burst_loop_running(&self) -> bool {
        self.burst_loop.is_running()
    }

    /// The formatted exception (with traceback) that stopped the last burst
    /// loop, or ``None``. Cleared when a loop starts.
    fn burst_loop_error(&self) -> Option<String> {
        self.burst_loop.last_error()
    }

    // ----- input ------------------------------------------------------------

    /// Stages sensory input for the next burst (SPEC section 4.2): for each
    /// i, every neuron of voxel (xs[i], ys[i], zs[i]) of the area receives
    /// potentials[i]. ``potentials`` may be a single number for all voxels.
    /// Zero or non-finite potentials and voxels outside the area (negative
    /// coordinates included) are skipped. Returns the number of neurons
    /// staged. Unknown areas raise ``KeyError``.
    fn inject_sensory(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        xs: &Bound<'_, PyAny>,
        ys: &Bound<'_, PyAny>,
        zs: &Bound<'_, PyAny>,
        potentials: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let area = AreaArg::extract(cortical_id)?;
        let xs = coordinate_array(xs, "xs")?;
        let ys = coordinate_array(ys, "ys")?;
        let zs = coordinate_array(zs, "zs")?;
        let ps = crate::convert::f32_array(potentials, "potentials", Some(xs.len()))?;
        same_lengths(&[
            ("xs", xs.len()),
            ("ys", ys.len()),
            ("zs", zs.len()),
            ("potentials", ps.len()),
        ])?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| {
            npu.stage_sensory(
                index,
                xs.as_slice(),
                ys.as_slice(),
                zs.as_slice(),
                ps.as_slice(),
            )
        })
    }

    /// Stages potentials[i] for neuron neuron_ids[i] in the next burst;
    /// ``potentials`` may be a single number. Zero or non-finite potentials
    /// are skipped. Unknown ids raise ``IndexError`` and stage nothing.
    /// Returns the number of entries staged.
    fn inject_sensory_batch(
        &self,
        py: Python<'_>,
        neuron_ids: &Bound<'_, PyAny>,
        potentials: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let ids = uint_array::<u32>(neuron_ids, "neuron_ids", u32::MAX as u64)?;
        let ps = crate::convert::f32_array(potentials, "potentials", Some(ids.len()))?;
        same_lengths(&[("neuron_ids", ids.len()), ("potentials", ps.len())])?;
        self.lock(py)
            .call(|npu| npu.stage_inputs(ids.as_slice(), ps.as_slice()))
    }

    /// Drops everything staged since the last burst.
    fn clear_staged(&self, py: Python<'_>) -> PyResult<()> {
        self.lock(py).with(|npu| npu.clear_staged())
    }

    /// The number of (neuron, potential) entries staged for the next burst.
    fn staged_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.lock(py).with(|npu| npu.staged_count())
    }

    // ----- output and queries -----------------------------------------------

    /// The fire queue of the last burst grouped by area:
    /// ``{cortical_id: (ids, xs, ys, zs, potentials)}`` with canonical
    /// 8-character ids, uint32 ids and coordinates, float32 firing
    /// potentials, ids ascending. Areas that did not fire are absent.
    fn get_current_fire_queue<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut g = self.lock(py);
        g.with(|npu| -> PyResult<Bound<'py, PyDict>> {
            let out = PyDict::new(py);
            for (area, fired) in npu.fire_queue_by_area() {
                let id = npu.area_id(area).map_err(npu_error)?.as_string();
                let ids = PyArray1::from_iter(py, fired.iter().map(|f| f.id));
                let xs = PyArray1::from_iter(py, fired.iter().map(|f| f.coordinates[0]));
                let ys = PyArray1::from_iter(py, fired.iter().map(|f| f.coordinates[1]));
                let zs = PyArray1::from_iter(py, fired.iter().map(|f| f.coordinates[2]));
                let ps = PyArray1::from_iter(py, fired.iter().map(|f| f.potential));
                out.set_item(id, (ids, xs, ys, zs, ps))?;
            }
            Ok(out)
        })?
    }

    /// The last burst's fire candidate list as ``(ids, sums)``: uint32 ids
    /// ascending and the float32 summed input of each.
    fn get_last_fcl<'py>(&self, py: Python<'py>) -> PyResult<FclArrays<'py>> {
        let entries: Vec<(u32, f32)> = self.lock(py).with(|npu| npu.last_fcl().collect())?;
        Ok((
            PyArray1::from_iter(py, entries.iter().map(|e| e.0)),
            PyArray1::from_iter(py, entries.iter().map(|e| e.1)),
        ))
    }

    /// The most recent ledger frames of an area (at most ``lookback``, fewer
    /// when fewer are retained): a list of ``(timestep, ids)`` tuples, oldest
    /// first, ``ids`` a uint32 array of the area's neurons that fired at that
    /// timestep (empty when none did). Frames are dense (SPEC section 5.1).
    /// ``lookback`` must be at least 1; an untracked area raises ``ValueError``.
    #[pyo3(
        signature = (cortical_id, lookback=Int::from(20)),
        text_signature = "($self, cortical_id, lookback=20)"
    )]
    fn get_fire_ledger_history<'py>(
        &self,
        py: Python<'py>,
        cortical_id: &Bound<'py, PyAny>,
        lookback: Int,
    ) -> PyResult<Bound<'py, PyList>> {
        let area = AreaArg::extract(cortical_id)?;
        // Any lookback beyond the largest window returns every retained frame.
        let lookback = match lookback {
            Int::Fits(v) if v >= 1 => usize::try_from(v).unwrap_or(usize::MAX),
            Int::Huge {
                negative: false, ..
            } => usize::MAX,
            other => {
                return Err(PyValueError::new_err(format!(
                    "lookback must be at least 1, got {other}"
                )))
            }
        };
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.with(|npu| -> PyResult<Bound<'py, PyList>> {
            let frames: Vec<_> = npu
                .fire_ledger()
                .retained(index)
                .ok_or_else(|| {
                    PyValueError::new_err(format!(
                        "area {} is not tracked by the fire ledger",
                        npu.area_id(index)
                            .map(|i| i.as_string())
                            .unwrap_or_default()
                    ))
                })?
                .collect();
            let skip = frames.len().saturating_sub(lookback);
            frames_list(
                py,
                frames[skip..]
                    .iter()
                    .map(|f| (f.timestep, f.neuron_ids.as_slice())),
            )
        })?
    }

    /// Exactly ``depth`` dense ledger frames of an area for timesteps
    /// ``end - depth + 1 .. end``, oldest first, as ``(timestep, ids)``
    /// tuples (SPEC section 5.1 ``dense_window``). ``end`` defaults to the
    /// last burst. Raises ``ValueError`` for depth 0, depth above the window,
    /// ``end`` beyond the last burst, an untracked area or missing history.
    #[pyo3(signature = (cortical_id, depth, end=None))]
    fn get_fire_ledger_frames<'py>(
        &self,
        py: Python<'py>,
        cortical_id: &Bound<'py, PyAny>,
        depth: Int,
        end: Option<Int>,
    ) -> PyResult<Bound<'py, PyList>> {
        let area = AreaArg::extract(cortical_id)?;
        let depth = bounded(&depth, "depth", MAX_LEDGER_WINDOW)? as usize;
        let end = end
            .map(|e| bounded(&e, "end", i64::MAX as u64))
            .transpose()?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.with(|npu| -> PyResult<Bound<'py, PyList>> {
            let end = end.unwrap_or_else(|| npu.burst_count());
            let frames = npu.ledger_frames(index, end, depth).map_err(npu_error)?;
            frames_list(
                py,
                frames.iter().map(|f| (f.timestep, f.neuron_ids.as_slice())),
            )
        })?
    }

    /// Sets how many frames the fire ledger keeps for an area (at least 1).
    fn configure_fire_ledger_window(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        window: Int,
    ) -> PyResult<()> {
        let area = AreaArg::extract(cortical_id)?;
        let window = bounded(&window, "window", MAX_LEDGER_WINDOW)? as usize;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| npu.configure_ledger_window(index, window))
    }

    /// The fire ledger window of an area.
    fn get_fire_ledger_window_size(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        let area = AreaArg::extract(cortical_id)?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| npu.ledger_window(index))
    }

    /// Membrane potentials (float32) of an area's neurons in ascending id
    /// order, or of every neuron (indexed by id) when ``cortical_id`` is None.
    #[pyo3(signature = (cortical_id=None))]
    fn get_membrane_potentials<'py>(
        &self,
        py: Python<'py>,
        cortical_id: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        self.area_float_array(py, cortical_id, |n| n.membrane_potential())
    }

    /// Firing thresholds (float32) of an area's neurons in ascending id
    /// order, or of every neuron when ``cortical_id`` is None.
    #[pyo3(signature = (cortical_id=None))]
    fn get_thresholds<'py>(
        &self,
        py: Python<'py>,
        cortical_id: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        self.area_float_array(py, cortical_id, |n| n.threshold())
    }

    /// The ids (uint32, ascending) of an area's neurons.
    fn get_neuron_ids<'py>(
        &self,
        py: Python<'py>,
        cortical_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<u32>>> {
        let area = AreaArg::extract(cortical_id)?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        let ids = g.call(|npu| npu.neurons_in_area(index))?;
        Ok(PyArray1::from_vec(py, ids))
    }

    /// Everything the NPU holds about a neuron (SPEC section 5.2) as a dict:
    /// ``id``, ``cortical_id``, ``area`` (index), ``coordinates`` (x, y, z),
    /// ``membrane_potential``, ``threshold``, ``threshold_limit`` (None when
    /// unlimited), ``leak``, ``excitability`` (probability), ``refractory_period``,
    /// ``refractory_countdown``, ``consecutive_fire_limit``,
    /// ``consecutive_fire_count``, ``snooze_period``, ``mp_charge_accumulation``.
    /// Unknown ids raise ``IndexError``.
    fn get_neuron_state<'py>(&self, py: Python<'py>, neuron: Int) -> PyResult<Bound<'py, PyDict>> {
        let id = neuron_id(&neuron)?;
        let (s, cortical) = self.lock(py).call(|npu| {
            let s = npu.neuron_state(id)?;
            Ok((s, npu.area_id(s.area)?.as_string()))
        })?;
        let d = PyDict::new(py);
        d.set_item("id", id)?;
        d.set_item("cortical_id", cortical)?;
        d.set_item("area", s.area)?;
        d.set_item(
            "coordinates",
            (s.coordinates[0], s.coordinates[1], s.coordinates[2]),
        )?;
        d.set_item("membrane_potential", s.membrane_potential)?;
        d.set_item("threshold", s.threshold)?;
        d.set_item("threshold_limit", s.threshold_limit)?;
        d.set_item("leak", s.leak)?;
        d.set_item("excitability", s.excitability)?;
        d.set_item("refractory_period", s.refractory_period)?;
        d.set_item("refractory_countdown", s.refractory_countdown)?;
        d.set_item("consecutive_fire_limit", s.consecutive_fire_limit)?;
        d.set_item("consecutive_fire_count", s.consecutive_fire_count)?;
        d.set_item("snooze_period", s.snooze_period)?;
        d.set_item("mp_charge_accumulation", s.mp_charge_accumulation)?;
        Ok(d)
    }

    /// The lowest neuron id of voxel (x, y, z) of an area, or None when the
    /// voxel has no neuron or lies outside the area (SPEC section 2.4).
    fn get_neuron_at_coordinate(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        x: Int,
        y: Int,
        z: Int,
    ) -> PyResult<Option<NeuronId>> {
        let area = AreaArg::extract(cortical_id)?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        match (coordinate(&x), coordinate(&y), coordinate(&z)) {
            (Some(x), Some(y), Some(z)) => g.call(|npu| npu.neuron_at(index, x, y, z)),
            _ => Ok(None),
        }
    }

    /// Every neuron id of voxel (x, y, z) of an area, ascending (empty outside the area).
    fn get_neurons_at_coordinate(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        x: Int,
        y: Int,
        z: Int,
    ) -> PyResult<Vec<NeuronId>> {
        let area = AreaArg::extract(cortical_id)?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        match (coordinate(&x), coordinate(&y), coordinate(&z)) {
            (Some(x), Some(y), Some(z)) => g.call(|npu| npu.neurons_at(index, x, y, z)),
            _ => Ok(Vec::new()),
        }
    }

    /// Every area in index order, as dicts: ``index``, ``cortical_id``
    /// (canonical 8 characters), ``name``, ``kind``, ``dimensions`` (w, h, d),
    /// ``neurons_per_voxel``, ``first_neuron`` (None for an empty area),
    /// ``neuron_count`` and ``properties`` (the area genes by their names as
    /// ``update_cortical_area`` takes them, in internal units, plus ``psp``).
    fn get_cortical_areas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.lock(py).with(|npu| areas_list(py, npu))?
    }

    /// The number of neurons.
    fn neuron_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.lock(py).with(|npu| npu.neuron_count())
    }

    /// The number of synapses.
    fn synapse_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.lock(py).with(|npu| npu.synapse_count())
    }

    /// The number of cortical areas.
    fn area_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.lock(py).with(|npu| npu.area_count())
    }

    /// The number of the last completed burst (0 before the first).
    fn burst_count(&self, py: Python<'_>) -> PyResult<u64> {
        self.lock(py).with(|npu| npu.burst_count())
    }

    /// The synapses leaving a neuron in creation order, as ``(target, weight,
    /// psp, type)`` tuples (type 0 excitatory, 1 inhibitory).
    fn get_outgoing_synapses<'py>(
        &self,
        py: Python<'py>,
        neuron: Int,
    ) -> PyResult<Bound<'py, PyList>> {
        let id = neuron_id(&neuron)?;
        let synapses = self.lock(py).call(|npu| npu.outgoing(id))?;
        synapse_list(py, synapses)
    }

    /// The synapses reaching a neuron as ``(source, weight, psp, type)``
    /// tuples, sources ascending, per source in creation order.
    fn get_incoming_synapses<'py>(
        &self,
        py: Python<'py>,
        neuron: Int,
    ) -> PyResult<Bound<'py, PyList>> {
        let id = neuron_id(&neuron)?;
        let synapses = self.lock(py).call(|npu| npu.incoming(id))?;
        synapse_list(py, synapses)
    }

    // ----- runtime parameter updates (SPEC 4.6) -----------------------------

    /// Updates area genes between bursts (SPEC section 4.6), in genome units,
    /// by keyword: ``firing_threshold``, ``firing_threshold_increment`` (x, y,
    /// z) or ``firing_threshold_increment_x`` / ``_y`` / ``_z``,
    /// ``firing_threshold_limit`` (0 = none), ``leak_coefficient`` (clamped to
    /// [0, 1]), ``neuron_excitability`` (up to 1 a fraction, above a
    /// percentage), ``refractory_period``, ``consecutive_fire_cnt_max``,
    /// ``snooze_length``, ``mp_charge_accumulation``, ``postsynaptic_current``,
    /// ``psp_uniform_distribution``, ``mp_driven_psp``; every alias
    /// (``consecutive_fire_limit``, ``snooze_period``) and 6-character exon
    /// (``c_fr_c``, ``fire_t``) a genome accepts works too. Every value is checked
    /// before any is applied; they are applied in the order given. Neurons keep
    /// V, refractory countdown and consecutive count (except as 4.6 says for
    /// ``refractory_period``).
    #[pyo3(signature = (cortical_id, **params))]
    fn update_cortical_area(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let area = AreaArg::extract(cortical_id)?;
        let mut updates = Vec::new();
        if let Some(params) = params {
            for (name, value) in params.iter() {
                let name: String = name.extract()?;
                updates.push(parse_param(&name, &value)?);
            }
        }
        self.apply_updates(py, &area, updates)
    }

    /// Updates one area gene by name (see ``update_cortical_area``).
    fn update_area_parameter(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        name: &str,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let area = AreaArg::extract(cortical_id)?;
        let update = parse_param(name, value)?;
        self.apply_updates(py, &area, vec![update])
    }

    // ----- plasticity (SPEC section 6) ---------------------------------------

    /// The synapses from area ``source`` to area ``destination`` as three
    /// numpy arrays ``(sources uint32, targets uint32, weights uint8)``, in row
    /// order (sources ascending, each source's synapses in creation order):
    /// the weights STDP learns, including synapses it created.
    fn get_synapse_weights<'py>(
        &self,
        py: Python<'py>,
        source: &Bound<'py, PyAny>,
        destination: &Bound<'py, PyAny>,
    ) -> PyResult<PairArrays<'py>> {
        let (mut g, a, b) = self.lock_two_areas(py, source, destination)?;
        let pair = g.call(|npu| npu.synapse_weights_between(a, b))?;
        Ok((
            PyArray1::from_vec(py, pair.source),
            PyArray1::from_vec(py, pair.target),
            PyArray1::from_vec(py, pair.weight),
        ))
    }

    /// Every STDP pair that runs, ascending (A, B), as dicts: ``source_area``,
    /// ``destination_area`` (indices), ``source``, ``destination`` (cortical
    /// ids), ``plasticity_constant``, ``ltp_multiplier``, ``ltd_multiplier``,
    /// ``window``, ``bidirectional``, ``psp``, ``synapse_type``.
    fn get_stdp_pairs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.lock(py).with(|npu| stdp_list(py, npu))?
    }

    /// The memory neurons of memory area ``cortical_id`` (alive and dead),
    /// ascending id, as dicts: ``id``, ``lifespan``, ``long_term``, ``alive``,
    /// ``activations`` (how often its pattern was seen), ``born`` (burst),
    /// ``pattern`` (the xxHash64 of its window).
    fn get_memory_neurons<'py>(
        &self,
        py: Python<'py>,
        cortical_id: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let area = AreaArg::extract(cortical_id)?;
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| {
            let list = PyList::empty(py);
            for (id, n) in npu.memory_neurons(index)? {
                memory_neuron_dict(py, id, n)
                    .and_then(|d| list.append(d))
                    .map_err(|_| NpuError::UnknownNeuron(id))?;
            }
            Ok(list)
        })
    }

    /// The number of memory neurons alive (they are not in ``neuron_count()``).
    fn memory_neuron_count(&self, py: Python<'_>) -> PyResult<usize> {
        self.lock(py).with(|npu| npu.memory_neuron_count())
    }

    /// What plasticity did in the last burst, as a dict of counters:
    /// ``potentiations``, ``depressions``,
    /// ``synapses_created``, ``memory_born``, ``memory_reactivated``,
    /// ``memory_died``, ``memory_long_term``, ``replay_injections``,
    /// ``patterns_ignored``.
    fn get_plasticity_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.lock(py).with(|npu| npu.plasticity_stats())?;
        crate::results::stats_dict(py, &stats)
    }

    /// Registers STDP for areas ``source`` -> ``destination`` (SPEC 6.1) on a
    /// hand-built NPU, replacing an earlier registration of the pair. The
    /// ledger windows of both areas are raised to ``window`` when smaller.
    /// ``bidirectional=True`` makes it an ``associative_memory`` pair, which
    /// also creates synapses (type ``synapse_type``; their PSP is the source
    /// area's current PSP, as SPEC 6.1 says, so ``psp`` is only recorded).
    #[pyo3(
        signature = (
            source, destination, window=Int::from(1), plasticity_constant=Int::from(1),
            ltp_multiplier=Int::from(1), ltd_multiplier=Int::from(1), bidirectional=false,
            psp=Int::from(1), synapse_type=None
        ),
        text_signature = "($self, source, destination, window=1, plasticity_constant=1, ltp_multiplier=1, ltd_multiplier=1, bidirectional=False, psp=1, synapse_type=None)"
    )]
    #[allow(clippy::too_many_arguments)]
    fn add_stdp_pair(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
        window: Int,
        plasticity_constant: Int,
        ltp_multiplier: Int,
        ltd_multiplier: Int,
        bidirectional: bool,
        psp: Int,
        synapse_type: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let window = bounded(&window, "window", MAX_LEDGER_WINDOW)? as u32;
        let plasticity_constant = to_i64(&plasticity_constant, "plasticity_constant")?;
        let ltp_multiplier = to_i64(&ltp_multiplier, "ltp_multiplier")?;
        let ltd_multiplier = to_i64(&ltd_multiplier, "ltd_multiplier")?;
        let psp = to_u8(&psp, "psp")?;
        let ty = synapse_type
            .map(synapse_type_arg)
            .transpose()?
            .unwrap_or_default();
        let (mut g, a, b) = self.lock_two_areas(py, source, destination)?;
        g.call(|npu| {
            npu.add_stdp_pair(StdpRegistration {
                source_area: a,
                destination_area: b,
                plasticity_constant,
                ltp_multiplier,
                ltd_multiplier,
                window,
                bidirectional,
                psp,
                synapse_type: ty,
            })
        })
    }

    /// Makes ``cortical_id`` a memory area (SPEC 6.2) of a hand-built NPU.
    #[pyo3(
        signature = (
            cortical_id, temporal_depth=Int::from(1), longterm_mem_threshold=Int::from(100),
            lifespan_growth_rate=Int::from(1), init_lifespan=Int::from(9)
        ),
        text_signature = "($self, cortical_id, temporal_depth=1, longterm_mem_threshold=100, lifespan_growth_rate=1, init_lifespan=9)"
    )]
    fn add_memory_area(
        &self,
        py: Python<'_>,
        cortical_id: &Bound<'_, PyAny>,
        temporal_depth: Int,
        longterm_mem_threshold: Int,
        lifespan_growth_rate: Int,
        init_lifespan: Int,
    ) -> PyResult<()> {
        let area = AreaArg::extract(cortical_id)?;
        let depth = bounded(&temporal_depth, "temporal_depth", MAX_LEDGER_WINDOW)? as u32;
        let genes = (
            to_u32(&longterm_mem_threshold, "longterm_mem_threshold")?,
            to_u32(&lifespan_growth_rate, "lifespan_growth_rate")?,
            to_u32(&init_lifespan, "init_lifespan")?,
        );
        let mut g = self.lock(py);
        let index = g.resolve(&area)?;
        g.call(|npu| {
            npu.add_memory_area(MemoryAreaGenes {
                area: index,
                temporal_depth: depth,
                longterm_mem_threshold: genes.0,
                lifespan_growth_rate: genes.1,
                init_lifespan: genes.2,
            })
        })
    }

    /// Makes ``upstream`` feed memory area ``memory_area`` (an
    /// ``episodic_memory`` relation of SPEC 6.2).
    fn add_memory_relation(
        &self,
        py: Python<'_>,
        upstream: &Bound<'_, PyAny>,
        memory_area: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (mut g, u, m) = self.lock_two_areas(py, upstream, memory_area)?;
        g.call(|npu| {
            npu.add_memory_relation(MemoryRelation {
                upstream: u,
                memory_area: m,
            })
        })
    }

    /// Makes ``twin`` receive the replay of area ``of`` (``memory_twin_of``).
    fn add_memory_twin(
        &self,
        py: Python<'_>,
        twin: &Bound<'_, PyAny>,
        of: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (mut g, t, o) = self.lock_two_areas(py, twin, of)?;
        g.call(|npu| npu.add_memory_twin(MemoryTwin { twin: t, of: o }))
    }

    // ----- export -----------------------------------------------------------

    /// The whole NPU as numpy arrays (a snapshot; see docs/PYTHON.md):
    ///
    /// * ``neurons``: dict of arrays indexed by neuron id: ``membrane_potential``,
    ///   ``threshold``, ``threshold_limit`` (+inf = no limit), ``leak``,
    ///   ``excitability`` (probability) as float32; ``refractory_period``,
    ///   ``refractory_countdown``, ``consecutive_fire_limit`` (0 or 65535 =
    ///   unlimited), ``consecutive_fire_count``, ``snooze_period`` as uint16;
    ///   ``mp_charge_accumulation`` and ``valid`` as bool; ``area``, ``x``,
    ///   ``y``, ``z`` as uint32.
    /// * ``synapses``: dict of parallel arrays ``source``, ``target`` (uint32),
    ///   ``weight``, ``psp``, ``type`` (uint8, 0 excitatory / 1 inhibitory) in
    ///   per-source row order: sources ascending, each source's synapses in
    ///   creation order (the order propagation uses).
    /// * ``areas``: the list of ``get_cortical_areas()``.
    /// * ``fire_queue``: ``neuron_ids`` (uint32) and ``potentials`` (float32)
    ///   of the last burst, which the next burst propagates.
    /// * ``burst``: the last burst number; ``config``: as ``get_config()``;
    ///   ``power_neuron``: the id that receives the power amount (or None).
    fn export_connectome<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut g = self.lock(py);
        g.with(|npu| -> PyResult<Bound<'py, PyDict>> {
            // Exact weights: apply the depressions STDP applies lazily.
            npu.settled_synapses();
            let n = npu.neurons();
            let neurons = PyDict::new(py);
            neurons.set_item(
                "membrane_potential",
                column_copy(py, n.membrane_potential(), "the connectome export")?,
            )?;
            neurons.set_item(
                "threshold",
                column_copy(py, n.threshold(), "the connectome export")?,
            )?;
            neurons.set_item(
                "threshold_limit",
                column_copy(py, n.threshold_limit(), "the connectome export")?,
            )?;
            neurons.set_item("leak", column_copy(py, n.leak(), "the connectome export")?)?;
            neurons.set_item(
                "excitability",
                column_copy(py, n.excitability(), "the connectome export")?,
            )?;
            neurons.set_item(
                "refractory_period",
                column_copy(py, n.refractory_period(), "the connectome export")?,
            )?;
            neurons.set_item(
                "refractory_countdown",
                column_copy(py, n.refractory_countdown(), "the connectome export")?,
            )?;
            neurons.set_item(
                "consecutive_fire_limit",
                column_copy(py, n.consecutive_fire_limit(), "the connectome export")?,
            )?;
            neurons.set_item(
                "consecutive_fire_count",
                column_copy(py, n.consecutive_fire_count(), "the connectome export")?,
            )?;
            neurons.set_item(
                "snooze_period",
                column_copy(py, n.snooze_period(), "the connectome export")?,
            )?;
            neurons.set_item(
                "mp_charge_accumulation",
                column_copy(py, n.mp_charge_accumulation(), "the connectome export")?,
            )?;
            neurons.set_item("area", array_copy(py, n.area(), "the connectome export")?)?;
            neurons.set_item("x", array_copy(py, n.x(), "the connectome export")?)?;
            neurons.set_item("y", array_copy(py, n.y(), "the connectome export")?)?;
            neurons.set_item("z", array_copy(py, n.z(), "the connectome export")?)?;

            let s = npu.synapses();
            let total = s.len();
            let what = "the connectome export's synapses";
            let mut source = try_vec(total, what)?;
            let mut target = try_vec(total, what)?;
            let mut weight = try_vec(total, what)?;
            let mut psp = try_vec(total, what)?;
            let mut ty = try_vec(total, what)?;
            for src in 0..s.source_count() as NeuronId {
                let row = s.row(src);
                source.extend(std::iter::repeat_n(src, row.len()));
                target.extend_from_slice(row.target);
                weight.extend_from_slice(row.weight);
                psp.extend_from_slice(row.psp);
                ty.extend(row.synapse_type.iter().map(|t| t.code()));
            }
            let synapses = PyDict::new(py);
            synapses.set_item("source", PyArray1::from_vec(py, source))?;
            synapses.set_item("target", PyArray1::from_vec(py, target))?;
            synapses.set_item("weight", PyArray1::from_vec(py, weight))?;
            synapses.set_item("psp", PyArray1::from_vec(py, psp))?;
            synapses.set_item("type", PyArray1::from_vec(py, ty))?;

            let fq = npu.fire_queue();
            let fire_queue = PyDict::new(py);
            fire_queue.set_item(
                "neuron_ids",
                array_copy(py, &fq.neuron_ids, "the connectome export")?,
            )?;
            fire_queue.set_item(
                "potentials",
                array_copy(py, &fq.potentials, "the connectome export")?,
            )?;

            let power_neuron = npu.power_neuron();

            let out = PyDict::new(py);
            out.set_item("neurons", neurons)?;
            out.set_item("synapses", synapses)?;
            out.set_item("areas", areas_list(py, npu)?)?;
            out.set_item("fire_queue", fire_queue)?;
            out.set_item("burst", npu.burst_count())?;
            out.set_item("config", config_dict(py, npu.config())?)?;
            out.set_item("power_neuron", power_neuron)?;
            out.set_item("plasticity", plasticity_export(py, npu)?)?;
            Ok(out)
        })?
    }

    // ----- snapshots (SPEC section 6.3, docs/SNAPSHOT.md) ------------------

    /// Saves the whole NPU (state, learned weights, memory, staged input and
    /// the genome source) to the snapshot file ``path`` (``str`` or
    /// ``os.PathLike``), atomically: it is written to ``.NAME.tmp`` in the
    /// same folder, synced, then renamed over ``path``, so a crash leaves
    /// the old file or the new one, never a mix. The GIL is released while it
    /// is written. ``RustNPU.load(path)`` continues exactly where this NPU
    /// stands. The owed STDP depressions are applied first (which changes no
    /// exact weight). Raises ``OSError`` (``FileNotFoundError`` for a missing
    /// folder, ``PermissionError``, ...) and leaves an existing file as it was.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let handle = &self.handle;
        py.detach(|| PyGuard(handle.lock()).with(|npu| npu.save(&path)))?
            .map_err(snapshot_error)
    }

    /// Loads a snapshot written by ``save`` (``path`` a ``str`` or
    /// ``os.PathLike``) into a new NPU, with the GIL released. Raises
    /// ``OSError`` (``FileNotFoundError``, ...) when the file cannot be read
    /// and ``ValueError`` naming the file and the problem when it is no
    /// snapshot, truncated, corrupted, of an unsupported format version or
    /// invalid; a failed load builds nothing. ``genome_warnings()`` of the
    /// loaded NPU is empty.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        Self::from_snapshot(py, move || RustNPU::load(&path))
    }

    /// A new NPU from the bytes of a snapshot (what ``pickle`` calls; see
    /// ``__reduce__``).
    #[classmethod]
    fn _from_snapshot_bytes(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        data: &[u8],
    ) -> PyResult<Self> {
        Self::from_snapshot(py, move || RustNPU::load_from(data))
    }

    /// Pickling (and ``copy.copy`` / ``copy.deepcopy``) goes through the
    /// snapshot format: ``(RustNPU._from_snapshot_bytes, (snapshot,))``.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let handle = &slf.get().handle;
        let bytes = py
            .detach(|| {
                PyGuard(handle.lock()).with(|npu| {
                    let mut bytes = Vec::new();
                    npu.save_to(&mut bytes).map(|()| bytes)
                })
            })?
            .map_err(snapshot_error)?;
        let rebuild = py.get_type::<Self>().getattr("_from_snapshot_bytes")?;
        Ok((rebuild, (PyBytes::new(py, &bytes),)))
    }

    /// The JSON text of the genome this NPU was developed from (kept by
    /// snapshots), or ``None`` for a hand-built NPU.
    #[getter]
    fn genome_source(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.lock(py)
            .with(|npu| npu.genome_source().map(str::to_owned))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.lock(py).with(|npu| {
            format!(
                "RustNPU(areas={}, neurons={}, synapses={}, burst={})",
                npu.area_count(),
                npu.neuron_count(),
                npu.synapse_count(),
                npu.burst_count()
            )
        })
    }
}

impl PyRustNpu {
    /// Wraps the NPU a snapshot reader returns; the reader runs with the GIL
    /// released, and a panic (a bug) becomes a `RuntimeError`.
    fn from_snapshot(
        py: Python<'_>,
        read: impl FnOnce() -> Result<RustNPU, SnapshotError> + Send,
    ) -> PyResult<Self> {
        let outcome = py.detach(move || {
            catch_unwind(AssertUnwindSafe(read)).map_err(|p| internal_panic(p.as_ref()))
        });
        let npu = outcome?.map_err(snapshot_error)?;
        Ok(Self::wrap(NpuHandle::new(npu)))
    }

    /// Applies checked gene updates in order; an unknown area changes nothing.
    fn apply_updates(
        &self,
        py: Python<'_>,
        area: &AreaArg,
        updates: Vec<GeneUpdate>,
    ) -> PyResult<()> {
        let mut g = self.lock(py);
        let index = g.resolve(area)?;
        g.with(|npu| apply_parsed_updates(npu, index, &updates))?
            .map_err(gene_error)
    }
}

//! Result classes handed to Python: one burst (`BurstResult`) and a spike
//! record of many bursts (`SpikeRecord`). Both own plain Rust vectors and
//! hand them out as fresh numpy arrays (one memory copy, no Python object per
//! element), so callers may modify what they receive.

use feagi_runtime::BurstSnapshot;
use feagi_types::MEMORY_NEURON_ID_BASE;
use numpy::PyArray1;
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;

use crate::convert;

/// What one burst did (SPEC §4.5).
///
/// Attributes: ``burst`` (t, the first burst is 1), ``fired_neurons`` (numpy
/// uint32, ascending ids of FQ(t)), ``fired_potentials`` (numpy float32, the
/// potential of each at the moment it fired), ``fired_count`` (how many
/// fired; ``neuron_count`` is the same number under FEAGI's name),
/// ``power_injections``, ``synaptic_injections`` (contributions delivered
/// from the previous fire queue), ``neurons_processed`` (fire candidates) and
/// ``neurons_in_refractory`` (candidates whose input was dropped because they
/// were refractory).
#[pyclass(frozen, module = "feagi_rust")]
pub struct BurstResult {
    snapshot: BurstSnapshot,
}

impl From<BurstSnapshot> for BurstResult {
    fn from(snapshot: BurstSnapshot) -> Self {
        BurstResult { snapshot }
    }
}

#[pymethods]
impl BurstResult {
    #[getter]
    fn burst(&self) -> u64 {
        self.snapshot.burst
    }

    #[getter]
    fn fired_neurons<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        convert::array_copy(py, &self.snapshot.fired_neurons, "the fired neurons")
    }

    #[getter]
    fn fired_potentials<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f32>>> {
        convert::array_copy(py, &self.snapshot.fired_potentials, "the fired potentials")
    }

    /// How many neurons fired.
    #[getter]
    fn fired_count(&self) -> usize {
        self.snapshot.fired_count()
    }

    /// Alias of ``fired_count`` (the name of FEAGI's API).
    #[getter]
    fn neuron_count(&self) -> usize {
        self.snapshot.fired_count()
    }

    /// How many memory neurons fired (SPEC 6.2; included in ``fired_count``).
    #[getter]
    fn memory_fired(&self) -> usize {
        self.snapshot.memory_fired
    }

    /// What plasticity did after this burst, as a dict of counters (see
    /// ``RustNPU.get_plasticity_stats``).
    #[getter]
    fn plasticity<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        stats_dict(py, &self.snapshot.plasticity)
    }

    #[getter]
    fn power_injections(&self) -> usize {
        self.snapshot.power_injections
    }

    #[getter]
    fn synaptic_injections(&self) -> usize {
        self.snapshot.synaptic_injections
    }

    #[getter]
    fn neurons_processed(&self) -> usize {
        self.snapshot.neurons_processed
    }

    #[getter]
    fn neurons_in_refractory(&self) -> usize {
        self.snapshot.neurons_in_refractory
    }

    fn __repr__(&self) -> String {
        let s = &self.snapshot;
        format!(
            "BurstResult(burst={}, fired_count={}, neurons_processed={}, \
             neurons_in_refractory={}, power_injections={}, synaptic_injections={})",
            s.burst,
            s.fired_count(),
            s.neurons_processed,
            s.neurons_in_refractory,
            s.power_injections,
            s.synaptic_injections
        )
    }
}

/// The spikes of a ``RustNPU.run(n)`` call, like a spike monitor.
///
/// ``bursts`` (numpy uint64) and ``neuron_ids`` (numpy uint32) are parallel:
/// spike k is neuron ``neuron_ids[k]`` firing in burst ``bursts[k]``; spikes
/// are ordered by burst, then by id. ``counts`` (numpy uint32) has one entry
/// per burst run: how many neurons fired. ``first_burst`` and ``last_burst``
/// are the burst numbers run (``last_burst < first_burst`` when n was 0).
/// ``spikes_of(id)`` and ``pattern(id)`` take the ids of the NPU at the end
/// of the run; other ids raise ``IndexError``, as the NPU's methods do.
#[pyclass(frozen, module = "feagi_rust")]
pub struct SpikeRecord {
    first_burst: u64,
    /// Fired count of each burst run, in order.
    counts: Vec<u32>,
    /// The fired ids of every burst, concatenated (4 bytes per spike; the
    /// burst of each spike follows from `counts` and `segments`).
    ids: Vec<u32>,
    /// `(index into counts, burst number)` where a run of consecutive burst
    /// numbers starts. Another thread may burst while `run` lets go of the
    /// NPU, so the recorded bursts need not be consecutive.
    segments: Vec<(usize, u64)>,
    ids_known: KnownIds,
}

/// The neuron ids of the NPU when a record was made.
#[derive(Clone, Copy, Debug)]
pub struct KnownIds {
    /// Regular neurons: ids `0..regular`.
    pub regular: u64,
    /// Memory neurons ever created: ids `MEMORY_NEURON_ID_BASE..` + this.
    pub memory: u64,
}

impl KnownIds {
    fn contains(&self, id: u32) -> bool {
        let base = u64::from(MEMORY_NEURON_ID_BASE);
        let id = u64::from(id);
        id < self.regular || (base..base + self.memory).contains(&id)
    }

    fn describe(&self) -> String {
        let base = u64::from(MEMORY_NEURON_ID_BASE);
        let mut out = format!("ids 0..{} of its {} neurons", self.regular, self.regular);
        if self.memory > 0 {
            out.push_str(&format!(" and memory ids {base}..{}", base + self.memory));
        }
        out
    }
}

impl SpikeRecord {
    pub fn new(
        first_burst: u64,
        counts: Vec<u32>,
        ids: Vec<u32>,
        segments: Vec<(usize, u64)>,
        ids_known: KnownIds,
    ) -> Self {
        SpikeRecord {
            first_burst,
            counts,
            ids,
            segments,
            ids_known,
        }
    }

    /// The burst number of each recorded burst, in order.
    fn burst_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        let total = self.counts.len();
        self.segments
            .iter()
            .enumerate()
            .flat_map(move |(k, &(start, burst))| {
                let end = self.segments.get(k + 1).map_or(total, |s| s.0);
                (0..end.saturating_sub(start) as u64).map(move |i| burst + i)
            })
    }

    /// `(burst number, ids fired)` of every recorded burst.
    fn per_burst(&self) -> impl Iterator<Item = (u64, &[u32])> + '_ {
        let mut offset = 0usize;
        self.burst_numbers()
            .zip(&self.counts)
            .map(move |(burst, &count)| {
                let end = (offset + count as usize).min(self.ids.len());
                let ids = &self.ids[offset.min(end)..end];
                offset = end;
                (burst, ids)
            })
    }

    /// The id of a `spikes_of` / `pattern` argument: `IndexError` for ids
    /// the NPU did not have at the end of the run.
    fn known_id(&self, neuron_id: &convert::Int) -> PyResult<u32> {
        match neuron_id.within(0, u32::MAX.into()) {
            Some(id) if self.ids_known.contains(id as u32) => Ok(id as u32),
            _ => Err(PyIndexError::new_err(format!(
                "unknown neuron {neuron_id}: the NPU of this record had {}",
                self.ids_known.describe()
            ))),
        }
    }
}

#[pymethods]
impl SpikeRecord {
    #[getter]
    fn bursts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let mut out: Vec<u64> = Vec::new();
        out.try_reserve_exact(self.ids.len()).map_err(|_| {
            convert::out_of_memory("the burst of every spike", self.ids.len() as u128 * 8)
        })?;
        for (burst, ids) in self.per_burst() {
            out.extend(std::iter::repeat_n(burst, ids.len()));
        }
        Ok(PyArray1::from_vec(py, out))
    }

    #[getter]
    fn neuron_ids<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        convert::array_copy(py, &self.ids, "the spike record's neuron ids")
    }

    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<u32>>> {
        convert::array_copy(py, &self.counts, "the spike record's counts")
    }

    #[getter]
    fn first_burst(&self) -> u64 {
        self.first_burst
    }

    #[getter]
    fn last_burst(&self) -> u64 {
        match self.segments.last() {
            Some(&(start, burst)) => burst + (self.counts.len() - 1 - start) as u64,
            None => self.first_burst.saturating_sub(1),
        }
    }

    #[getter]
    fn num_bursts(&self) -> usize {
        self.counts.len()
    }

    /// The number of spikes recorded.
    fn __len__(&self) -> usize {
        self.ids.len()
    }

    /// The bursts (numpy uint64, ascending) in which ``neuron_id`` fired.
    /// Raises ``IndexError`` for an id the NPU did not have at the end of
    /// the run (negative and huge ids included).
    fn spikes_of<'py>(
        &self,
        py: Python<'py>,
        neuron_id: convert::Int,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let id = self.known_id(&neuron_id)?;
        let bursts: Vec<u64> = self
            .per_burst()
            .filter(|(_, ids)| ids.contains(&id))
            .map(|(b, _)| b)
            .collect();
        Ok(PyArray1::from_vec(py, bursts))
    }

    /// The firing pattern of ``neuron_id`` over the recorded bursts in the
    /// notation of the specification: ``"1"`` fired, ``"_"`` did not
    /// (``"1_1_"`` = fired in the first and third burst). Raises
    /// ``IndexError`` for an id the NPU did not have at the end of the run.
    fn pattern(&self, neuron_id: convert::Int) -> PyResult<String> {
        let id = self.known_id(&neuron_id)?;
        let mut out = String::new();
        out.try_reserve_exact(self.counts.len())
            .map_err(|_| convert::out_of_memory("the firing pattern", self.counts.len() as u128))?;
        for (_, ids) in self.per_burst() {
            out.push(if ids.contains(&id) { '1' } else { '_' });
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!(
            "SpikeRecord(bursts {}..={}, spikes={})",
            self.first_burst,
            self.last_burst(),
            self.ids.len()
        )
    }
}

/// Plasticity counters as a dict with the field names of `PlasticityStats`.
pub fn stats_dict<'py>(
    py: Python<'py>,
    s: &feagi_burst_engine::PlasticityStats,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("potentiations", s.potentiations)?;
    d.set_item("depressions", s.depressions)?;
    d.set_item("synapses_created", s.synapses_created)?;
    d.set_item("memory_born", s.memory_born)?;
    d.set_item("memory_reactivated", s.memory_reactivated)?;
    d.set_item("memory_died", s.memory_died)?;
    d.set_item("memory_long_term", s.memory_long_term)?;
    d.set_item("replay_injections", s.replay_injections)?;
    d.set_item("patterns_ignored", s.patterns_ignored)?;
    Ok(d)
}

//! Result classes handed to Python: one burst (`BurstResult`) and a spike
//! record of many bursts (`SpikeRecord`). Both own plain Rust vectors and
//! hand them out as fresh numpy arrays (one memory copy, no Python object per
//! element), so callers may modify what they receive.

use feagi_runtime::BurstSnapshot;
use numpy::PyArray1;
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
    fn fired_neurons<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, &self.snapshot.fired_neurons)
    }

    #[getter]
    fn fired_potentials<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.snapshot.fired_potentials)
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
#[pyclass(frozen, module = "feagi_rust")]
pub struct SpikeRecord {
    first_burst: u64,
    counts: Vec<u32>,
    bursts: Vec<u64>,
    ids: Vec<u32>,
}

impl SpikeRecord {
    pub fn new(first_burst: u64, counts: Vec<u32>, bursts: Vec<u64>, ids: Vec<u32>) -> Self {
        SpikeRecord {
            first_burst,
            counts,
            bursts,
            ids,
        }
    }
}

#[pymethods]
impl SpikeRecord {
    #[getter]
    fn bursts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u64>> {
        PyArray1::from_slice(py, &self.bursts)
    }

    #[getter]
    fn neuron_ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, &self.ids)
    }

    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, &self.counts)
    }

    #[getter]
    fn first_burst(&self) -> u64 {
        self.first_burst
    }

    #[getter]
    fn last_burst(&self) -> u64 {
        (self.first_burst + self.counts.len() as u64).saturating_sub(1)
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
    fn spikes_of<'py>(
        &self,
        py: Python<'py>,
        neuron_id: i64,
    ) -> PyResult<Bound<'py, PyArray1<u64>>> {
        let id = convert::neuron_id(neuron_id)?;
        let bursts: Vec<u64> = self
            .ids
            .iter()
            .zip(&self.bursts)
            .filter(|(n, _)| **n == id)
            .map(|(_, b)| *b)
            .collect();
        Ok(PyArray1::from_vec(py, bursts))
    }

    /// The firing pattern of ``neuron_id`` over the recorded bursts in the
    /// notation of the specification: ``"1"`` fired, ``"_"`` did not
    /// (``"1_1_"`` = fired in the first and third burst).
    fn pattern(&self, neuron_id: i64) -> PyResult<String> {
        let id = convert::neuron_id(neuron_id)?;
        let mut out = vec![b'_'; self.counts.len()];
        for (n, b) in self.ids.iter().zip(&self.bursts) {
            if *n != id {
                continue;
            }
            let slot = b
                .checked_sub(self.first_burst)
                .and_then(|i| out.get_mut(i as usize));
            if let Some(slot) = slot {
                *slot = b'1';
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
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

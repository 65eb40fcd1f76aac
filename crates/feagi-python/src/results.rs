//! Result classes handed to Python: one burst (`BurstResult`) and a spike
//! record of many bursts (`SpikeRecord`). Both own plain Rust vectors and
//! hand them out as fresh numpy arrays (one memory copy, no Python object per
//! element), so callers may modify what they receive.

use numpy::PyArray1;
use pyo3::prelude::*;

use crate::convert;

/// What one burst did (SPEC §4.5).
///
/// Attributes: ``burst`` (t, the first burst is 1), ``fired_neurons`` (numpy
/// uint32, ascending ids of FQ(t)), ``fired_potentials`` (numpy float32, the
/// potential of each at the moment it fired), ``neuron_count`` (how many
/// fired), ``power_injections``, ``synaptic_injections`` (contributions
/// delivered from the previous fire queue), ``neurons_processed`` (fire
/// candidates) and ``neurons_in_refractory`` (candidates whose input was
/// dropped because they were refractory).
#[pyclass(frozen, module = "feagi_rust")]
pub struct BurstResult {
    burst: u64,
    fired: Vec<u32>,
    potentials: Vec<f32>,
    power_injections: usize,
    synaptic_injections: usize,
    neurons_processed: usize,
    neurons_in_refractory: usize,
}

impl From<&feagi_burst_engine::BurstResult<'_>> for BurstResult {
    fn from(r: &feagi_burst_engine::BurstResult<'_>) -> Self {
        BurstResult {
            burst: r.burst,
            fired: r.fired_neurons.to_vec(),
            potentials: r.fired_potentials.to_vec(),
            power_injections: r.power_injections,
            synaptic_injections: r.synaptic_injections,
            neurons_processed: r.neurons_processed,
            neurons_in_refractory: r.neurons_in_refractory,
        }
    }
}

#[pymethods]
impl BurstResult {
    #[getter]
    fn burst(&self) -> u64 {
        self.burst
    }

    #[getter]
    fn fired_neurons<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u32>> {
        PyArray1::from_slice(py, &self.fired)
    }

    #[getter]
    fn fired_potentials<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_slice(py, &self.potentials)
    }

    #[getter]
    fn neuron_count(&self) -> usize {
        self.fired.len()
    }

    #[getter]
    fn power_injections(&self) -> usize {
        self.power_injections
    }

    #[getter]
    fn synaptic_injections(&self) -> usize {
        self.synaptic_injections
    }

    #[getter]
    fn neurons_processed(&self) -> usize {
        self.neurons_processed
    }

    #[getter]
    fn neurons_in_refractory(&self) -> usize {
        self.neurons_in_refractory
    }

    fn __repr__(&self) -> String {
        format!(
            "BurstResult(burst={}, neuron_count={}, neurons_processed={}, \
             neurons_in_refractory={}, power_injections={}, synaptic_injections={})",
            self.burst,
            self.fired.len(),
            self.neurons_processed,
            self.neurons_in_refractory,
            self.power_injections,
            self.synaptic_injections
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

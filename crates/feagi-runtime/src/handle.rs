//! [`NpuHandle`]: one NPU shared between threads, with panic poisoning.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use feagi_burst_engine::{LoadError, NeuronId, NpuConfig, NpuError, RustNPU};
use feagi_genome::{Genome, GenomeWarning};
use parking_lot::{Mutex, MutexGuard};

use crate::error::{panic_message, RuntimeError};
use crate::snapshot::BurstSnapshot;

/// The NPU behind an [`NpuHandle`]'s lock, with what the runtime adds to it:
/// the genome warnings and the poisoned flag.
#[derive(Debug)]
pub struct NpuState {
    npu: RustNPU,
    /// Set when a panic was caught: the NPU may be half-updated.
    poisoned: bool,
    warnings: Vec<GenomeWarning>,
}

/// The locked state of an [`NpuHandle`]; the lock is released when it drops.
pub type NpuGuard<'a> = MutexGuard<'a, NpuState>;

impl NpuState {
    /// Runs `f` on the NPU. A panic in `f` (a bug, never bad input) becomes
    /// [`RuntimeError::Panic`] and poisons the NPU: every later call returns
    /// [`RuntimeError::Poisoned`] without running.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut RustNPU) -> R) -> Result<R, RuntimeError> {
        if self.poisoned {
            return Err(RuntimeError::Poisoned);
        }
        match catch_unwind(AssertUnwindSafe(|| f(&mut self.npu))) {
            Ok(r) => Ok(r),
            Err(payload) => {
                self.poisoned = true;
                Err(RuntimeError::Panic(panic_message(payload.as_ref())))
            }
        }
    }

    /// [`NpuState::with`] for NPU calls that can fail.
    pub fn call<R>(
        &mut self,
        f: impl FnOnce(&mut RustNPU) -> Result<R, NpuError>,
    ) -> Result<R, RuntimeError> {
        Ok(self.with(f)??)
    }

    /// Runs one burst (`power` as in [`RustNPU::process_burst`]) and copies
    /// its results out.
    pub fn run_burst(&mut self, power: Option<&[NeuronId]>) -> Result<BurstSnapshot, RuntimeError> {
        self.call(|npu| npu.process_burst(power).map(|r| BurstSnapshot::from(&r)))
    }

    /// The warnings of the genome the NPU grew from (empty when hand-built).
    pub fn warnings(&self) -> &[GenomeWarning] {
        &self.warnings
    }

    /// Whether a panic was caught and the NPU refuses every call.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }
}

/// A thread-safe, cheaply cloned handle to one [`RustNPU`].
///
/// Clones share the NPU. Every call runs under one mutex and inside
/// `catch_unwind`: a panic becomes [`RuntimeError::Panic`] and poisons the
/// NPU, so later calls get [`RuntimeError::Poisoned`] instead of a possibly
/// half-updated brain. [`NpuHandle::try_lock`] lets callers that must not
/// block (a Python binding holding the GIL) do something else first.
#[derive(Clone, Debug)]
pub struct NpuHandle {
    state: Arc<Mutex<NpuState>>,
}

impl NpuHandle {
    /// Wraps an NPU (no genome warnings).
    pub fn new(npu: RustNPU) -> Self {
        Self::with_warnings(npu, Vec::new())
    }

    /// Wraps an NPU grown from a genome, keeping the genome's warnings.
    pub fn with_warnings(npu: RustNPU, warnings: Vec<GenomeWarning>) -> Self {
        NpuHandle {
            state: Arc::new(Mutex::new(NpuState {
                npu,
                poisoned: false,
                warnings,
            })),
        }
    }

    /// Grows `genome` into an NPU (see [`RustNPU::from_genome`]) and wraps it
    /// with the genome's warnings.
    pub fn from_genome(genome: &Genome, config: NpuConfig) -> Result<Self, LoadError> {
        let plasticity = config.plasticity;
        let npu = RustNPU::from_genome(genome, config)?;
        Ok(Self::with_warnings(npu, genome.warnings_for(plasticity)))
    }

    /// Locks the NPU, waiting while another thread holds it.
    pub fn lock(&self) -> NpuGuard<'_> {
        self.state.lock()
    }

    /// Locks the NPU if it is free right now.
    pub fn try_lock(&self) -> Option<NpuGuard<'_>> {
        self.state.try_lock()
    }

    /// Locks the NPU and runs `f` on it (see [`NpuState::with`]).
    pub fn with<R>(&self, f: impl FnOnce(&mut RustNPU) -> R) -> Result<R, RuntimeError> {
        self.lock().with(f)
    }

    /// Locks the NPU and runs a fallible call on it (see [`NpuState::call`]).
    pub fn call<R>(
        &self,
        f: impl FnOnce(&mut RustNPU) -> Result<R, NpuError>,
    ) -> Result<R, RuntimeError> {
        self.lock().call(f)
    }

    /// Runs one burst and copies its results out; the lock is held only
    /// while the burst runs.
    pub fn run_burst(&self, power: Option<&[NeuronId]>) -> Result<BurstSnapshot, RuntimeError> {
        self.lock().run_burst(power)
    }

    /// Whether the NPU is poisoned (see [`NpuState::is_poisoned`]).
    pub fn is_poisoned(&self) -> bool {
        self.lock().is_poisoned()
    }

    /// Whether two handles share one NPU.
    pub fn same_npu(&self, other: &NpuHandle) -> bool {
        Arc::ptr_eq(&self.state, &other.state)
    }
}

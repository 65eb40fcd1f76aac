"""Type stubs of ``feagi_rust``, the Python bindings of the feagi-rust NPU.

See docs/PYTHON.md in the repository for the full guide.
"""

import os
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str

IntArray = Union[npt.NDArray[np.integer], Sequence[int]]
FloatArray = Union[npt.NDArray[np.number], Sequence[float]]
AreaRef = Union[str, int]
"""A cortical id in any genome spelling, an area name, or an area index."""

FireQueueEntry = Tuple[
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.float32],
]
LedgerFrame = Tuple[int, npt.NDArray[np.uint32]]
Synapse = Tuple[int, int, int, int]

def default_genome_json() -> str:
    """The embedded default genome as JSON text."""

class GenomeError(ValueError):
    """A genome failed to load or develop; ``str(e)`` is the one-line message."""

    kind: str
    message: str
    file: Optional[str]
    gene_key: Optional[str]
    cortical_id: Optional[str]
    destination_id: Optional[str]
    rule_index: Optional[int]
    morphology_id: Optional[str]
    pattern_index: Optional[int]
    line: Optional[int]
    column: Optional[int]

class GenomeCapacityError(GenomeError, MemoryError):
    """A genome needs more neurons or synapses than allowed, or more memory than
    there is (``kind == "CapacityExceeded"``); both a ``GenomeError`` and a
    ``MemoryError``."""

class BurstResult:
    """What one burst did (SPEC section 4.5)."""

    @property
    def burst(self) -> int: ...
    @property
    def fired_neurons(self) -> npt.NDArray[np.uint32]: ...
    @property
    def fired_potentials(self) -> npt.NDArray[np.float32]: ...
    @property
    def fired_count(self) -> int:
        """How many neurons fired."""
    @property
    def neuron_count(self) -> int:
        """Alias of ``fired_count`` (FEAGI's name)."""
    @property
    def power_injections(self) -> int: ...
    @property
    def synaptic_injections(self) -> int: ...
    @property
    def neurons_processed(self) -> int: ...
    @property
    def neurons_in_refractory(self) -> int: ...
    @property
    def memory_fired(self) -> int:
        """Memory neurons among the fired (SPEC 6.2)."""
    @property
    def plasticity(self) -> Dict[str, int]:
        """What plasticity did after this burst (counters)."""

class SpikeRecord:
    """The spikes of ``RustNPU.run(n)``: parallel ``bursts`` / ``neuron_ids``."""

    @property
    def bursts(self) -> npt.NDArray[np.uint64]: ...
    @property
    def neuron_ids(self) -> npt.NDArray[np.uint32]: ...
    @property
    def counts(self) -> npt.NDArray[np.uint32]: ...
    @property
    def first_burst(self) -> int: ...
    @property
    def last_burst(self) -> int: ...
    @property
    def num_bursts(self) -> int: ...
    def __len__(self) -> int: ...
    def spikes_of(self, neuron_id: int) -> npt.NDArray[np.uint64]:
        """The bursts in which the neuron fired; ``IndexError`` for an id the NPU did not have."""
    def pattern(self, neuron_id: int) -> str:
        """``"1"`` where the neuron fired, ``"_"`` where it did not, one character per burst;
        ``IndexError`` for an id the NPU did not have at the end of the run."""

class RustNPU:
    """The FEAGI Neural Processing Unit."""

    def __init__(
        self,
        neuron_count: int = 0,
        synapse_capacity: int = 0,
        fire_ledger_window: int = 20,
    ) -> None: ...
    @staticmethod
    def from_genome(
        genome: Union[str, bytes, os.PathLike[str], Dict[str, Any]],
        seed: int = 0,
        power_amount: float = 1.0,
        fire_ledger_window: int = 20,
        fatigue_active: bool = False,
        plasticity: bool = True,
        memory_limit: Optional[int] = None,
    ) -> "RustNPU": ...
    @staticmethod
    def default_genome() -> str: ...
    def genome_warnings(self) -> List[Dict[str, Any]]: ...
    def get_config(self) -> Dict[str, Any]: ...
    def set_power_amount(self, amount: float) -> None: ...
    def set_fatigue_active(self, active: bool) -> None: ...

    # building
    def register_area(
        self,
        cortical_id: str,
        dimensions: Tuple[int, int, int] = (1, 1, 1),
        name: Optional[str] = None,
        kind: Optional[Literal["CORE", "IPU", "OPU", "CUSTOM", "MEMORY"]] = None,
        neurons_per_voxel: int = 1,
    ) -> int: ...
    def add_neuron(
        self,
        area: AreaRef,
        x: int = 0,
        y: int = 0,
        z: int = 0,
        threshold: float = 1.0,
        threshold_limit: float = 0.0,
        leak: float = 0.0,
        excitability: float = 1.0,
        refractory_period: int = 0,
        consecutive_fire_limit: int = 0,
        snooze_period: int = 0,
        mp_charge_accumulation: bool = False,
    ) -> int: ...
    def add_synapse(
        self,
        source: int,
        target: int,
        weight: int = 1,
        psp: int = 1,
        synapse_type: Union[int, Literal["excitatory", "inhibitory"], None] = None,
        *,
        conductance: Optional[int] = None,
    ) -> None:
        """``conductance`` is an older name for ``psp``; give one of them."""
    def add_synapses_batch(
        self,
        sources: IntArray,
        targets: IntArray,
        weights: IntArray,
        psps: Optional[IntArray] = None,
        types: Optional[IntArray] = None,
        *,
        conductances: Optional[IntArray] = None,
    ) -> int:
        """``psps`` and ``types`` are required; ``conductances`` is an older name for ``psps``."""
    def remove_synapse(self, source: int, target: int) -> int: ...
    def update_synapse_weight(self, source: int, target: int, weight: int) -> int: ...

    # running
    def process_burst(self, power_neurons: Optional[IntArray] = None) -> BurstResult: ...
    # run: n <= 2**30; 4 bytes kept per burst (+4 per spike when recording); MemoryError beyond.
    @overload
    def run(self, n: int, record: Literal[True] = True) -> SpikeRecord: ...
    @overload
    def run(self, n: int, record: Literal[False]) -> npt.NDArray[np.uint32]: ...
    @overload
    def run(self, n: int, record: bool) -> Union[SpikeRecord, npt.NDArray[np.uint32]]: ...
    def start_burst_loop(
        self,
        frequency_hz: float,
        callback: Optional[Callable[[BurstResult], Any]] = None,
        max_bursts: Optional[int] = None,
    ) -> None: ...
    def stop_burst_loop(self) -> None: ...
    def is_burst_loop_running(self) -> bool: ...
    def burst_loop_error(self) -> Optional[str]: ...

    # input
    def inject_sensory(
        self,
        cortical_id: AreaRef,
        xs: IntArray,
        ys: IntArray,
        zs: IntArray,
        potentials: Union[FloatArray, float],
    ) -> int: ...
    def inject_sensory_batch(
        self, neuron_ids: IntArray, potentials: Union[FloatArray, float]
    ) -> int: ...
    def clear_staged(self) -> None: ...
    def staged_count(self) -> int: ...

    # output and queries
    def get_current_fire_queue(self) -> Dict[str, FireQueueEntry]: ...
    def get_last_fcl(self) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.float32]]: ...
    def get_fire_ledger_history(self, cortical_id: AreaRef, lookback: int = 20) -> List[LedgerFrame]: ...
    def get_fire_ledger_frames(
        self, cortical_id: AreaRef, depth: int, end: Optional[int] = None
    ) -> List[LedgerFrame]: ...
    def configure_fire_ledger_window(self, cortical_id: AreaRef, window: int) -> None: ...
    def get_fire_ledger_window_size(self, cortical_id: AreaRef) -> int: ...
    def get_membrane_potentials(self, cortical_id: Optional[AreaRef] = None) -> npt.NDArray[np.float32]: ...
    def get_thresholds(self, cortical_id: Optional[AreaRef] = None) -> npt.NDArray[np.float32]: ...
    def get_neuron_ids(self, cortical_id: AreaRef) -> npt.NDArray[np.uint32]: ...
    def get_neuron_state(self, neuron: int) -> Dict[str, Any]: ...
    def get_neuron_at_coordinate(self, cortical_id: AreaRef, x: int, y: int, z: int) -> Optional[int]: ...
    def get_neurons_at_coordinate(self, cortical_id: AreaRef, x: int, y: int, z: int) -> List[int]: ...
    def get_cortical_areas(self) -> List[Dict[str, Any]]: ...
    def neuron_count(self) -> int: ...
    def synapse_count(self) -> int: ...
    def area_count(self) -> int: ...
    def burst_count(self) -> int: ...
    def get_outgoing_synapses(self, neuron: int) -> List[Synapse]: ...
    def get_incoming_synapses(self, neuron: int) -> List[Synapse]: ...

    # runtime parameter updates (SPEC 4.6)
    def update_cortical_area(self, cortical_id: AreaRef, **params: Any) -> None: ...
    def update_area_parameter(self, cortical_id: AreaRef, name: str, value: Any) -> None: ...

    # plasticity and memory (SPEC 6)
    def get_synapse_weights(
        self, source: AreaRef, destination: AreaRef
    ) -> Tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.uint8]]: ...
    def get_stdp_pairs(self) -> List[Dict[str, Any]]: ...
    def get_memory_neurons(self, cortical_id: AreaRef) -> List[Dict[str, Any]]: ...
    def memory_neuron_count(self) -> int: ...
    def get_plasticity_stats(self) -> Dict[str, int]: ...
    def add_stdp_pair(
        self,
        source: AreaRef,
        destination: AreaRef,
        window: int = 1,
        plasticity_constant: int = 1,
        ltp_multiplier: int = 1,
        ltd_multiplier: int = 1,
        bidirectional: bool = False,
        psp: int = 1,
        synapse_type: Optional[Union[int, str]] = None,
    ) -> None: ...
    def add_memory_area(
        self,
        cortical_id: AreaRef,
        temporal_depth: int = 1,
        longterm_mem_threshold: int = 100,
        lifespan_growth_rate: int = 1,
        init_lifespan: int = 9,
    ) -> None: ...
    def add_memory_relation(self, upstream: AreaRef, memory_area: AreaRef) -> None: ...
    def add_memory_twin(self, twin: AreaRef, of: AreaRef) -> None: ...

    # export
    def export_connectome(self) -> Dict[str, Any]: ...

    # snapshots
    def save(self, path: Union[str, os.PathLike[str]]) -> None: ...
    @staticmethod
    def load(path: Union[str, os.PathLike[str]]) -> "RustNPU": ...
    @classmethod
    def _from_snapshot_bytes(cls, data: bytes) -> "RustNPU": ...
    def __reduce__(self) -> Tuple[Callable[[bytes], "RustNPU"], Tuple[bytes]]: ...
    @property
    def genome_source(self) -> Optional[str]:
        """The JSON text of the genome this NPU was developed from, or ``None``."""

"""Reference implementations for testing feagi_rust (see docs/REFERENCE.md).

``reference.npu.ReferenceNPU`` is a numpy re-implementation of the burst
cycle of SPEC section 4, built from ``RustNPU.export_connectome()``;
``reference.harness`` drives it side by side with the Rust engine. With
plasticity enabled in the export, ``reference.plasticity.Plasticity`` adds
SPEC section 6 (STDP, memory areas, replay).
"""

from .npu import (
    F32_0_999,
    MEMORY_ID_BASE,
    ReferenceNPU,
    excitability_random,
    pcg_hash,
    round_half_away_f32,
)

__all__ = [
    "F32_0_999",
    "MEMORY_ID_BASE",
    "ReferenceNPU",
    "excitability_random",
    "pcg_hash",
    "round_half_away_f32",
]

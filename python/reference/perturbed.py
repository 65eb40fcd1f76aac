"""Deliberately wrong variants of ``ReferenceNPU``, each breaking one spec rule.

The conformance suite runs these against the Rust engine and asserts that
they DIVERGE, which shows that the lock-step comparison can fail (the Rust
engine itself is not modified). Each variant overrides one hook of
``ReferenceNPU`` and is otherwise identical.
"""

from __future__ import annotations

import numpy as np

from .npu import F32, ReferenceNPU


class NoOutgoingDivision(ReferenceNPU):
    """SPEC 4.3 broken: contributions of non-uniform sources are not divided by outgoing(s)."""

    def _divisor(self, sources):
        return np.ones(len(sources), dtype=np.float32)


class LeakWhenCapBlocked(ReferenceNPU):
    """SPEC 4.4 broken: a neuron blocked by its consecutive cap also leaks (V must be kept as is)."""

    def _dynamics(self, cand, sums, t):
        active = self.refractory_countdown[cand] == 0
        ids = cand[active]
        v = self.V[ids] + sums[active]
        blocked = (
            (v >= self.threshold[ids])
            & (v <= self.threshold_limit[ids])
            & self.capped[ids]
            & (self.consecutive_count[ids] >= self.cap[ids])
        )
        out = super()._dynamics(cand, sums, t)
        b = ids[blocked]
        self.V[b] = self.V[b] * self.retain[b]
        return out


class RefractoryKeepsInput(ReferenceNPU):
    """SPEC 4.4 broken: input reaching a neuron in refractory is added to V (it must be dropped)."""

    def _dynamics(self, cand, sums, t):
        refractory = self.refractory_countdown[cand] > 0
        ids = cand[refractory]
        out = super()._dynamics(cand, sums, t)
        self.V[ids] = self.V[ids] + sums[refractory]
        return out


class NoPhase0Reset(ReferenceNPU):
    """SPEC 4.1 phase 0 broken: non-accumulating neurons keep V between bursts."""

    def __init__(self, export, **kwargs):
        super().__init__(export, **kwargs)
        self.non_accumulating = np.zeros(0, dtype=np.int64)


class Float64Accumulation(ReferenceNPU):
    """SPEC 4.1 / D8 broken: FCL sums accumulated in float64, rounded to float32 once."""

    def _accumulate(self, fcl, idx, val):
        wide = np.zeros(len(fcl), dtype=np.float64)
        np.add.at(wide, idx, val.astype(np.float64))
        fcl[:] = wide.astype(np.float32)


class SynapticBeforeStaged(ReferenceNPU):
    """SPEC 4.1 / D8 broken: synaptic contributions are added before the staged input."""

    def _fcl_inputs(self):
        ids, vals = super()._fcl_inputs()
        return ids[-1:] + ids[:-1], vals[-1:] + vals[:-1]


class ExcitabilityNextBurst(ReferenceNPU):
    """SPEC 7.1 broken: the excitability draw uses t + 1 instead of t."""

    def _excited(self, ids, t):
        return super()._excited(ids, t + 1)


class MpPspHalfEven(ReferenceNPU):
    """SPEC 0 / 4.3 broken: mp_driven_psp rounds half to even (Python/numpy round)."""

    def _psp_from_potential(self, v_fire):
        return np.round(np.clip(v_fire, F32(0.0), F32(255.0))).astype(np.float32)


PERTURBATIONS = {
    cls.__name__: cls
    for cls in (
        NoOutgoingDivision,
        LeakWhenCapBlocked,
        RefractoryKeepsInput,
        NoPhase0Reset,
        Float64Accumulation,
        SynapticBeforeStaged,
        ExcitabilityNextBurst,
        MpPspHalfEven,
    )
}

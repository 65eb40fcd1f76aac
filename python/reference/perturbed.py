"""Deliberately wrong variants of ``ReferenceNPU``, each breaking one spec rule.

The conformance suite runs these against the Rust engine and asserts that
they DIVERGE, which shows that the lock-step comparison can fail (the Rust
engine itself is not modified). Each variant overrides one hook of
``ReferenceNPU`` (or of its ``Plasticity``) and is otherwise identical.
``PERTURBATIONS`` break SPEC 4 / 7 rules, ``PLASTICITY_PERTURBATIONS`` SPEC 6.
"""

from __future__ import annotations

import numpy as np

from .npu import F32, ReferenceNPU
from .plasticity import Plasticity


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

    def _fcl_inputs(self, t):
        ids, vals = super()._fcl_inputs(t)
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


# ----- SPEC 6 (plasticity and memory) -------------------------------------------
# Each variant swaps in a ``Plasticity`` subclass that breaks one rule (or, for
# the replay order, overrides the reference's phase-1a hook).


class _LtdWhenNeitherFired(Plasticity):
    def _classify(self, s_any, s_all, d_any, d_all):
        potentiate = s_all & d_all
        return potentiate, ~potentiate


class LtdWhenNeitherFired(ReferenceNPU):
    """SPEC 6.1 broken: a synapse whose two ends were silent over the whole
    window is depressed (it must stay unchanged)."""

    plasticity_class = _LtdWhenNeitherFired


class _WeightsWrap(Plasticity):
    def _apply(self, w, potentiate, depress, pair):
        w = w.copy()
        w[potentiate] = (w[potentiate] + pair.d_plus) % 256
        if pair.d_minus > 0:
            w[depress] = (w[depress] - pair.d_minus) % 256
        return w


class WeightsWrapAround(ReferenceNPU):
    """SPEC 6.1 broken: u8 weights wrap modulo 256 instead of saturating at 255 and 0."""

    plasticity_class = _WeightsWrap


class _HashOverDescendingIds(Plasticity):
    def _pattern_buffer(self, per_frame):
        return super()._pattern_buffer([[np.asarray(ids)[::-1] for ids in row] for row in per_frame])


class HashOverDescendingIds(ReferenceNPU):
    """SPEC 6.2 broken: the xxHash64 buffer lists each frame's ids of an
    upstream area in descending order (they must be ascending)."""

    plasticity_class = _HashOverDescendingIds


class _CreatedSynapsesUpdatedSameBurst(Plasticity):
    def _stdp_pair(self, pair, frames):
        if pair.bidirectional:
            self._create_synapses(pair, frames)
        self._update_pair(pair, frames)


class CreatedSynapsesUpdatedSameBurst(ReferenceNPU):
    """SPEC 6.1 broken: bidirectional pairs create their synapses before the
    update loop, so a new synapse is potentiated in the burst that created it."""

    plasticity_class = _CreatedSynapsesUpdatedSameBurst


class ReplayBeforeApiInput(ReferenceNPU):
    """SPEC 6.2 / 4.1 broken: replay injections due at t are added to the FCL
    before the input staged through the API (they must come after it)."""

    def _staged_inputs(self, t):
        ids, vals = super()._staged_inputs(t)
        n_api = len(self._staged_ids)
        if len(ids) > n_api:  # the last chunk is the replay
            return ids[n_api:] + ids[:n_api], vals[n_api:] + vals[:n_api]
        return ids, vals


class _LifecycleDecrementFirst(Plasticity):
    def _lifecycle(self, t):
        mortal = [m for m in self.mem.values() if m.alive and not m.long_term]
        for m in mortal:
            m.lifespan -= 1
            if m.lifespan <= 0:
                self._die(m)
        for m in mortal:
            if m.alive and m.lifespan >= self.memory_areas[m.area]["longterm_mem_threshold"]:
                m.long_term = True
                self.burst_stats["memory_long_term"] += 1


class LifecycleDecrementFirst(ReferenceNPU):
    """SPEC 6.2 broken: the lifecycle ages memory neurons before the long-term
    check (long-term conversion must come first)."""

    plasticity_class = _LifecycleDecrementFirst


class _NoWindowSkip(Plasticity):
    def _stdp_available(self, t, window):
        return len(self.frames) >= 1


class StdpBeforeWindowFilled(ReferenceNPU):
    """SPEC 6.1 / 5.1 broken: a pair runs while t < W on the frames held so far
    (it must be skipped while dense_window is unavailable)."""

    plasticity_class = _NoWindowSkip


PLASTICITY_PERTURBATIONS = {
    cls.__name__: cls
    for cls in (
        LtdWhenNeitherFired,
        WeightsWrapAround,
        HashOverDescendingIds,
        CreatedSynapsesUpdatedSameBurst,
        ReplayBeforeApiInput,
        LifecycleDecrementFirst,
        StdpBeforeWindowFilled,
    )
}

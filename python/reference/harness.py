"""Lock-step comparison of ``feagi_rust.RustNPU`` with ``ReferenceNPU``.

Used by python/tests/test_reference_*.py and python/bench/compare.py:

* ``genome_input_areas`` / ``GenomeInput``: the seeded sensory workload for a
  real genome (random 5 % to 30 % of the voxels of every input area per burst,
  potentials in [0.1, 5], some bursts without input);
* ``build_random_network`` / ``RandomInput``: random hand-built networks (built
  through the feagi_rust API) and their seeded staged input;
* ``lockstep``: stages the same input into both engines, runs them burst by
  burst and returns the first difference (``Mismatch``) or None.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Callable, List, Optional, Sequence

import numpy as np

from .npu import ReferenceNPU

CORE_IDS = ("___death", "___power", "___fatig")

# ----- staging operations ------------------------------------------------------


@dataclasses.dataclass
class StageIds:
    """Stage potentials[i] into neuron ids[i] (``inject_sensory_batch`` / ``stage``)."""

    ids: np.ndarray
    potentials: np.ndarray

    def to_rust(self, npu):
        return npu.inject_sensory_batch(self.ids, self.potentials)

    def to_reference(self, ref: ReferenceNPU):
        return ref.stage(self.ids, self.potentials)


@dataclasses.dataclass
class StageVoxels:
    """Stage potentials[i] into every neuron of voxel i of an area (``inject_sensory``)."""

    area_index: int
    xs: np.ndarray
    ys: np.ndarray
    zs: np.ndarray
    potentials: np.ndarray

    def to_rust(self, npu):
        return npu.inject_sensory(self.area_index, self.xs, self.ys, self.zs, self.potentials)

    def to_reference(self, ref: ReferenceNPU):
        return ref.stage_sensory(self.area_index, self.xs, self.ys, self.zs, self.potentials)


# ----- genome workload ----------------------------------------------------------


def genome_input_areas(areas: Sequence[dict], synapse_targets: np.ndarray, neuron_area: np.ndarray):
    """The areas that receive sensory input in the genome conformance runs.

    Every area of kind IPU; if there is none, every non-core area that no
    synapse reaches; if there is none either (the barebones genomes), the three
    core areas, so that their neurons still see staged input beside the power
    injection. Returns (list of area dicts, a short description of the choice).
    """
    with_neurons = [a for a in areas if a.get("neuron_count", 0) > 0]
    ipu = [a for a in with_neurons if a["kind"] == "IPU"]
    if ipu:
        return ipu, "IPU areas"
    reached = set(np.unique(neuron_area[synapse_targets]).tolist()) if len(synapse_targets) else set()
    unreached = [
        a for a in with_neurons if a["cortical_id"] not in CORE_IDS and a["index"] not in reached
    ]
    if unreached:
        return unreached, "non-core areas without incoming synapses"
    return [a for a in with_neurons if a["cortical_id"] in CORE_IDS], "core areas (no other candidates)"


class GenomeInput:
    """Seeded sensory input for a genome: per burst and per input area, a random
    5 % to 30 % of its voxels (in random order) with potentials uniform in
    [0.1, 5] (float32); with probability ``quiet`` a burst gets no input at all."""

    def __init__(self, areas: Sequence[dict], seed: int, quiet: float = 0.15,
                 low: float = 0.05, high: float = 0.30):
        self.areas = list(areas)
        self.rng = np.random.default_rng(seed)
        self.quiet = quiet
        self.low, self.high = low, high

    def __call__(self, burst: int) -> List[StageVoxels]:
        rng = self.rng
        if rng.random() < self.quiet:
            return []
        ops = []
        for a in self.areas:
            w, h, d = a["dimensions"]
            voxels = w * h * d
            lo = max(1, math.ceil(self.low * voxels))
            hi = max(lo, math.floor(self.high * voxels))
            k = int(rng.integers(lo, hi + 1))
            chosen = rng.choice(voxels, size=k, replace=False)
            xs, rem = np.divmod(chosen, h * d)
            ys, zs = np.divmod(rem, d)
            ps = rng.uniform(0.1, 5.0, size=k).astype(np.float32)
            ops.append(StageVoxels(int(a["index"]), xs, ys, zs, ps))
        return ops


# ----- random hand-built networks ----------------------------------------------


def _neuron_params(rng: np.random.Generator) -> dict:
    r = rng.random
    u = rng.uniform
    kind = r()
    if kind < 0.65:
        threshold = u(0.2, 6.0)
    elif kind < 0.80:
        threshold = float(rng.integers(1, 6))
    elif kind < 0.87:
        threshold = 0.0
    elif kind < 0.93:
        threshold = u(-2.0, 0.0)
    else:
        threshold = u(20.0, 400.0)
    lk = r()
    if lk < 0.55:
        limit = 0.0
    elif lk < 0.65:
        limit = threshold
    else:
        limit = threshold + u(0.0, 10.0)
        if limit == 0.0:
            limit = 0.5
    lk = r()
    leak = 0.0 if lk < 0.3 else (1.0 if lk < 0.4 else u(0.0, 1.0))
    ek = r()
    if ek < 0.35:
        excitability = 1.0
    elif ek < 0.45:
        excitability = 0.0
    elif ek < 0.52:
        excitability = float(rng.choice([0.999, 0.9989, 0.99899995, 0.9991, 1e-7]))
    else:
        excitability = u(0.0, 1.0)
    return dict(
        threshold=threshold,
        threshold_limit=limit,
        leak=leak,
        excitability=excitability,
        refractory_period=int(rng.choice([0, 0, 0, 1, 2, 3, 5])),
        consecutive_fire_limit=int(rng.choice([0, 65535, 1, 2, 3, 4, 7])),
        snooze_period=int(rng.choice([0, 0, 1, 2, 4])),
        mp_charge_accumulation=bool(r() < 0.5),
    )


@dataclasses.dataclass
class RandomNetwork:
    npu: object
    areas: List[dict]  # get_cortical_areas() after building
    neuron_count: int
    synapse_count: int


def build_random_network(seed: int, feagi_rust=None) -> RandomNetwork:
    """A random network built through the feagi_rust API (seeded).

    Three core areas (one neuron each) plus 3 to 6 areas of random dimensions
    and neurons per voxel; every neuron gets its own random parameters
    (thresholds incl. 0 and negative, limits, leak 0..1, excitability 0..1
    incl. values around f32(0.999), refractory, caps incl. 0 and 65535,
    snooze, accumulation on/off). Neurons are added in voxel order or
    shuffled, some voxels stay empty and some hold extra neurons. Synapses:
    random fan-out (0 to 40) to random targets (self-synapses and duplicates
    included), both types, random weights and PSPs, added in shuffled order by
    ``add_synapses_batch`` and ``add_synapse``. Areas get random
    ``psp_uniform_distribution`` / ``mp_driven_psp`` through
    ``update_cortical_area``; power amount and fatigue are random too.
    """
    if feagi_rust is None:
        import feagi_rust  # noqa: PLC0415
    rng = np.random.default_rng(seed)
    npu = feagi_rust.RustNPU()
    slots = []  # (area index, x, y, z)
    for cid in CORE_IDS:
        index = npu.register_area(cid)
        slots.append((index, 0, 0, 0))
    n_areas = int(rng.integers(3, 7))
    for i in range(n_areas):
        dims = tuple(int(v) for v in rng.integers(1, 6, size=3))
        per_voxel = int(rng.integers(1, 4))
        kind = str(rng.choice(["IPU", "CUSTOM", "OPU"]))
        index = npu.register_area(f"cR{i:02d}{seed % 100:02d}", dims, kind=kind,
                                  neurons_per_voxel=per_voxel)
        area_slots = []
        for x in range(dims[0]):
            for y in range(dims[1]):
                for z in range(dims[2]):
                    count = per_voxel
                    q = rng.random()
                    if q < 0.08:
                        count = 0
                    elif q < 0.15:
                        count = per_voxel + 1
                    area_slots.extend([(index, x, y, z)] * count)
        if rng.random() < 0.4:
            rng.shuffle(area_slots)
        slots.extend(area_slots)
    # Keep the core neurons first (ids 0, 1, 2); sometimes interleave the rest.
    rest = slots[3:]
    if rng.random() < 0.25:
        rng.shuffle(rest)
    for index, x, y, z in slots[:3] + rest:
        params = _neuron_params(rng)
        if index == 1 and rng.random() < 0.7:  # a power neuron that fires now and then
            params.update(threshold=float(rng.uniform(0.5, 3.0)), threshold_limit=0.0,
                          excitability=1.0)
        npu.add_neuron(index, x, y, z, **params)
    n = npu.neuron_count()

    fanout = np.where(rng.random(n) < 0.3, 0, rng.integers(1, 13, size=n))
    fanout[rng.random(n) < 0.05] = 40
    fanout[0] = 0 if rng.random() < 0.5 else fanout[0]
    sources = np.repeat(np.arange(n), fanout)
    m = len(sources)
    targets = rng.integers(0, n, size=m)
    small = rng.random(m) < 0.85
    weights = np.where(small, rng.integers(0, 9, size=m), rng.integers(0, 256, size=m))
    psps = np.where(rng.random(m) < 0.9, rng.integers(0, 7, size=m), rng.integers(0, 256, size=m))
    types = (rng.random(m) < 0.3).astype(np.uint8)
    order = rng.permutation(m)
    sources, targets, weights, psps, types = (a[order] for a in (sources, targets, weights, psps, types))
    split = int(m * 0.8)
    npu.add_synapses_batch(sources[:split], targets[:split], weights[:split], psps[:split], types[:split])
    for s, t, w, p, ty in zip(sources[split:], targets[split:], weights[split:], psps[split:], types[split:]):
        npu.add_synapse(int(s), int(t), int(w), int(p), int(ty))

    for a in npu.get_cortical_areas():
        if a["cortical_id"] == "___death":
            continue
        npu.update_cortical_area(
            a["index"],
            psp_uniform_distribution=bool(rng.random() < 0.4),
            mp_driven_psp=bool(rng.random() < 0.35),
        )
    npu.set_power_amount(float(rng.choice([1.0, 0.75, 2.5, np.float32(rng.uniform(0.1, 4.0))])))
    npu.set_fatigue_active(bool(rng.random() < 0.3))
    return RandomNetwork(npu, npu.get_cortical_areas(), n, npu.synapse_count())


class RandomInput:
    """Seeded staged input for a random network: per burst, nothing (15 %) or
    1 to 4 staging calls, each either by id (random ids with repeats, random
    order) or by voxel (coordinates from -1 to the area size, so some fall
    outside), with potentials mostly in [-1, 6] plus zeros, NaN and infinities
    (which must be skipped) and a few large values."""

    def __init__(self, network: RandomNetwork, seed: int):
        self.rng = np.random.default_rng(seed)
        self.n = network.neuron_count
        self.areas = [a for a in network.areas if a.get("neuron_count", 0) > 0]

    def _potentials(self, k: int) -> np.ndarray:
        rng = self.rng
        p = rng.uniform(-1.0, 6.0, size=k)
        q = rng.random(k)
        p[q < 0.05] = 0.0
        p[(q >= 0.05) & (q < 0.07)] = np.nan
        p[(q >= 0.07) & (q < 0.08)] = np.inf
        p[(q >= 0.08) & (q < 0.09)] = -np.inf
        p[(q >= 0.09) & (q < 0.12)] = rng.integers(1, 6, size=int(((q >= 0.09) & (q < 0.12)).sum()))
        p[(q >= 0.12) & (q < 0.13)] = rng.uniform(100.0, 1e4, size=int(((q >= 0.12) & (q < 0.13)).sum()))
        return p.astype(np.float32)

    def __call__(self, burst: int):
        rng = self.rng
        if rng.random() < 0.15:
            return []
        ops = []
        for _ in range(int(rng.integers(1, 5))):
            if rng.random() < 0.6:
                k = int(rng.integers(1, max(2, self.n // 2)))
                ids = rng.integers(0, self.n, size=k)
                ops.append(StageIds(ids.astype(np.uint32), self._potentials(k)))
            else:
                a = self.areas[int(rng.integers(0, len(self.areas)))]
                w, h, d = a["dimensions"]
                k = int(rng.integers(1, w * h * d + 3))
                xs = rng.integers(-1, w + 1, size=k)
                ys = rng.integers(-1, h + 1, size=k)
                zs = rng.integers(-1, d + 1, size=k)
                ops.append(StageVoxels(int(a["index"]), xs, ys, zs, self._potentials(k)))
        return ops


# ----- lock-step comparison ---------------------------------------------------


@dataclasses.dataclass
class Mismatch:
    burst: int
    what: str
    detail: str

    def __str__(self):
        return f"burst {self.burst}: {self.what}: {self.detail}"


@dataclasses.dataclass
class LockstepReport:
    bursts: int
    fired_total: int
    candidates_total: int
    staged_total: int
    mismatch: Optional[Mismatch]


def _bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def _first_diff_ids(a: np.ndarray, b: np.ndarray) -> str:
    only_a = np.setdiff1d(a, b)[:5].tolist()
    only_b = np.setdiff1d(b, a)[:5].tolist()
    return f"only in rust {only_a}, only in reference {only_b} (counts {len(a)} vs {len(b)})"


def _compare_values(burst, what, ids, rust_vals, ref_vals) -> Optional[Mismatch]:
    rb, fb = _bits(rust_vals), _bits(ref_vals)
    diff = np.flatnonzero(rb != fb)
    if len(diff) == 0:
        return None
    i = int(diff[0])
    return Mismatch(burst, what,
                    f"{len(diff)} differ; first neuron {int(ids[i])}: rust {float(rust_vals[i])!r} "
                    f"(0x{int(rb[i]):08x}) vs reference {float(ref_vals[i])!r} (0x{int(fb[i]):08x})")


def compare_state(burst: int, export: dict, ref: ReferenceNPU) -> Optional[Mismatch]:
    """V (bit for bit), refractory countdowns and consecutive counts of every neuron."""
    nrn = export["neurons"]
    ids = np.arange(ref.n)
    m = _compare_values(burst, "membrane potential", ids, nrn["membrane_potential"], ref.V)
    if m:
        return m
    for name, mine in (("refractory_countdown", ref.refractory_countdown),
                       ("consecutive_fire_count", ref.consecutive_count)):
        theirs = np.asarray(nrn[name])
        diff = np.flatnonzero(theirs != mine)
        if len(diff):
            i = int(diff[0])
            return Mismatch(burst, name, f"{len(diff)} differ; first neuron {i}: rust {int(theirs[i])} "
                                         f"vs reference {int(mine[i])}")
    return None


def lockstep(npu, ref: ReferenceNPU, bursts: int,
             feed: Callable[[int], Sequence] = lambda t: [],
             state_every: int = 0, check_fcl: bool = True) -> LockstepReport:
    """Runs both engines ``bursts`` bursts on the same staged input.

    Per burst it compares the fired ids, the firing potentials (bit for bit)
    and, with ``check_fcl``, the FCL (candidate ids and sums, bit for bit).
    Every ``state_every`` bursts (0: only at the end) and after the last burst
    it compares V, refractory countdowns and consecutive counts of every
    neuron. Stops at the first difference.
    """
    fired_total = candidates_total = staged_total = 0
    for i in range(bursts):
        t = ref.burst + 1
        for op in feed(t):
            a = op.to_rust(npu)
            b = op.to_reference(ref)
            staged_total += b
            if a != b:
                return LockstepReport(t, fired_total, candidates_total, staged_total,
                                      Mismatch(t, "staged count", f"rust {a} vs reference {b} for {op!r}"))
        res = npu.process_burst()
        r_ids, r_pot = ref.process_burst()
        if res.burst != t:
            return LockstepReport(t, fired_total, candidates_total, staged_total,
                                  Mismatch(t, "burst number", f"rust {res.burst} vs reference {t}"))
        f_ids = np.asarray(res.fired_neurons)
        if not np.array_equal(f_ids, r_ids):
            return LockstepReport(t, fired_total, candidates_total, staged_total,
                                  Mismatch(t, "fired set", _first_diff_ids(f_ids, r_ids)))
        m = _compare_values(t, "firing potential", f_ids, res.fired_potentials, r_pot)
        if m is None and check_fcl:
            c_ids, c_sums = npu.get_last_fcl()
            if not np.array_equal(c_ids, ref.last_fcl[0]):
                m = Mismatch(t, "FCL candidates", _first_diff_ids(c_ids, ref.last_fcl[0]))
            else:
                m = _compare_values(t, "FCL sum", c_ids, c_sums, ref.last_fcl[1])
        if m is None and ((state_every and t % state_every == 0) or i == bursts - 1):
            m = compare_state(t, npu.export_connectome(), ref)
        fired_total += len(r_ids)
        candidates_total += len(ref.last_fcl[0])
        if m is not None:
            return LockstepReport(t, fired_total, candidates_total, staged_total, m)
    return LockstepReport(bursts, fired_total, candidates_total, staged_total, None)

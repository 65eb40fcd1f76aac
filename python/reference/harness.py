"""Lock-step comparison of ``feagi_rust.RustNPU`` with ``ReferenceNPU``.

Used by python/tests/test_reference_*.py and python/bench/compare.py:

* ``genome_input_areas`` / ``GenomeInput``: the seeded sensory workload for a
  real genome (random 5 % to 30 % of the voxels of every input area per burst,
  potentials in [0.1, 5], some bursts without input);
* ``build_random_network`` / ``RandomInput``: random hand-built networks (built
  through the feagi_rust API) and their seeded staged input;
* ``build_plastic_network`` / ``HeldInput``: random hand-built networks with
  STDP pairs, memory areas and twins (SPEC 6), and input held for several
  bursts like a camera frame, so that co-activity potentiates;
* ``lockstep``: stages the same input into both engines, runs them burst by
  burst and returns the first difference (``Mismatch``) or None. With
  plasticity on it also compares every STDP pair's weights (row order, created
  synapses included), the memory neurons fired and the plasticity counters
  every burst, and the whole synapse table, the memory neurons and the pending
  injections at checkpoints.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Callable, List, Optional, Sequence

import numpy as np

from .npu import ReferenceNPU
from .plasticity import MEMORY_ID_BASE, STAT_KEYS, normalize_memory_neuron

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


@dataclasses.dataclass
class ClearStaged:
    """``clear_staged()`` in both engines (SPEC 4.2; pending replay survives it, 6.2)."""

    def to_rust(self, npu):
        npu.clear_staged()
        return 0

    def to_reference(self, ref: ReferenceNPU):
        ref.clear_staged()
        if ref.plasticity is not None:
            ref.plasticity.note_clear_staged()
        return 0


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
    """Seeded sensory input for a genome: per frame and per input area, a random
    5 % to 30 % of its voxels (in random order) with potentials uniform in
    [0.1, 5] (float32); with probability ``quiet`` a frame is empty.

    ``hold=None``: a new frame every burst. ``hold=(a, b)``: each frame is held
    (staged again, identical) for a random a..b bursts, like a camera frame;
    SPEC 6.1 potentiates only synapses whose two ends fire in every burst of
    the window, which held input produces."""

    def __init__(self, areas: Sequence[dict], seed: int, quiet: float = 0.15,
                 low: float = 0.05, high: float = 0.30, hold=None):
        self.areas = list(areas)
        self.rng = np.random.default_rng(seed)
        self.quiet = quiet
        self.low, self.high = low, high
        self.hold = hold
        self._frame: list = []
        self._left = 0

    def _new_frame(self) -> List[StageVoxels]:
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

    def __call__(self, burst: int) -> List[StageVoxels]:
        if self.hold is None:
            return self._new_frame()
        if self._left == 0:
            self._frame = self._new_frame()
            self._left = int(self.rng.integers(self.hold[0], self.hold[1] + 1))
        self._left -= 1
        return list(self._frame)


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


# ----- random hand-built networks with plasticity (SPEC 6) ----------------------


def _tame_params(rng: np.random.Generator) -> dict:
    """Neuron parameters that let held input drive steady firing (most of the
    time), with some refractory, caps, leak and excitability below 1."""
    r = rng.random
    return dict(
        threshold=(float(rng.choice([rng.uniform(0.3, 3.0), 1.0, 0.0])) if r() < 0.9
                   else float(rng.uniform(3, 12))),
        threshold_limit=0.0 if r() < 0.9 else float(rng.uniform(4.0, 20.0)),
        leak=float(rng.choice([0.0, 0.0, 0.25, 1.0])),
        excitability=1.0 if r() < 0.85 else float(rng.uniform(0.4, 1.0)),
        refractory_period=int(rng.choice([0] * 8 + [1, 2])),
        consecutive_fire_limit=int(rng.choice([0] * 8 + [3, 5])),
        snooze_period=int(rng.choice([0, 0, 1])),
        mp_charge_accumulation=bool(r() < 0.4),
    )


@dataclasses.dataclass
class PlasticNetwork:
    npu: object
    areas: List[dict]  # get_cortical_areas() after building
    neuron_count: int
    input_areas: List[dict]  # areas that receive held input (regular neurons, not core)
    description: dict  # what was built (pairs, memory areas, relations, twins)


def build_plastic_network(seed: int, feagi_rust=None) -> PlasticNetwork:
    """A random network with SPEC 6 machinery, built through the feagi_rust API.

    * 3 to 5 regular areas (dims 1..4 per axis, 1 or 2 neurons per voxel, some
      voxels empty or with an extra neuron), neurons with ``_tame_params``
      (a quarter with the wild parameters of ``build_random_network``); area 0
      is a steady sensory area (plain neurons, no incoming synapses but its
      own plastic self-pair, if drawn);
    * 1 or 2 memory areas (kind MEMORY; temporal_depth 1 to 3; lifespans,
      growth rates and long-term thresholds small enough that neurons die and
      become long-term within a run; the first one sometimes holds regular
      neurons); the first has the steady sensory area 0 upstream (alone half
      of the time, so held input repeats its patterns) and/or other regular
      areas, the second has the first memory area upstream;
    * twins: for most upstream areas (the first memory area included) one or
      two twin areas of other dimensions (so some replayed voxels fall
      outside), with a firing_threshold gene from {0, 0.4, 1, 2.5, 7.3};
    * synapses: dense random projections between the areas of every plastic
      pair (weights 0..255, PSP 1..4, some inhibitory) plus sparse background;
    * 3 to 6 STDP pairs among the areas with regular neurons: self-pairs
      (A = A), both directions of a pair, bidirectional (synapse-creating)
      pairs, W 1..4, C / Lp / Ld that saturate (C*Lp >= 255), Ld = 0 and a
      negative C (steps of 0); a bidirectional self-pair on the memory area
      that holds regular neurons; half of the areas get a postsynaptic
      current other than 1 (0.5, 2.7, 3, 300), the PSP of created synapses.
    """
    if feagi_rust is None:
        import feagi_rust  # noqa: PLC0415
    rng = np.random.default_rng(seed)
    npu = feagi_rust.RustNPU()
    for cid in CORE_IDS:
        index = npu.register_area(cid)
        npu.add_neuron(index, threshold=1.0 if cid == "___power" else 1e9)
    regular = []  # (index, dims)

    def add_area(cid, dims, kind="CUSTOM", per_voxel=1, firing_threshold=None, steady=False):
        index = npu.register_area(cid, dims, kind=kind, neurons_per_voxel=per_voxel)
        if firing_threshold is not None:
            npu.update_cortical_area(index, firing_threshold=firing_threshold)
        slots = []
        for x in range(dims[0]):
            for y in range(dims[1]):
                for z in range(dims[2]):
                    count = per_voxel
                    q = rng.random()
                    if q < 0.06:
                        count = 0
                    elif q < 0.12:
                        count = per_voxel + 1
                    slots.extend([(x, y, z)] * count)
        if rng.random() < 0.3:
            rng.shuffle(slots)
        for x, y, z in slots:
            if steady:  # fires exactly when its held input reaches the threshold
                params = dict(threshold=float(rng.uniform(0.5, 4.0)))
            else:
                params = _tame_params(rng) if rng.random() < 0.75 else _neuron_params(rng)
            npu.add_neuron(index, x, y, z, **params)
        return index

    # Area 0 is a steady sensory area: no incoming synapses, plain neurons, so
    # held input repeats its fire pattern and memory areas see it again.
    for i in range(int(rng.integers(3, 6))):
        dims = tuple(int(v) for v in rng.integers(1, 5, size=3))
        per_voxel = int(rng.choice([1, 1, 2]))
        index = add_area(f"cP{i:02d}{seed % 100:02d}", dims, kind="IPU" if i == 0 else "CUSTOM",
                         per_voxel=per_voxel, steady=i == 0)
        regular.append((index, dims))
    sensory = regular[0][0]

    # Memory areas.
    memory = []
    mem_with_neurons = None
    n_mem = int(rng.integers(1, 3))
    mem_genes = []
    for i in range(n_mem):
        with_neurons = i == 0 and rng.random() < 0.4
        index = npu.register_area(f"cM{i:02d}{seed % 100:02d}", (1, 1, 1), kind="MEMORY")
        if with_neurons:
            for _ in range(int(rng.integers(1, 3))):
                npu.add_neuron(index, **_tame_params(rng))
            mem_with_neurons = index
        genes = dict(
            temporal_depth=int(rng.integers(1, 4)),
            longterm_mem_threshold=int(rng.choice([0, 3, 6, 12, 40])),
            lifespan_growth_rate=int(rng.choice([0, 1, 2, 3])),
            init_lifespan=int(rng.choice([1, 2, 4, 8])),
        )
        npu.add_memory_area(index, **genes)
        memory.append(index)
        mem_genes.append((index, genes))
    relations = []
    for k, m in enumerate(memory):
        q = rng.random()
        if q < 0.5:
            ups = {sensory}  # steady: held input repeats the pattern
        else:
            ups = {regular[int(j)][0] for j in rng.choice(len(regular), size=int(rng.integers(1, 3)),
                                                          replace=False)}
            if q < 0.85:
                ups.add(sensory)
        if k == 1:
            ups = {memory[0]} | ({sensory} if rng.random() < 0.5 else set())
        ups = sorted(ups)
        for u in ups:
            npu.add_memory_relation(u, m)
            relations.append((u, m))

    # Twins of upstream areas, with other dimensions.
    dims_of = dict(regular)
    for m in memory:
        dims_of[m] = (1, 1, 1)
    twins = []
    twin_areas = []
    for j, u in enumerate(sorted({r[0] for r in relations})):
        if rng.random() < 0.15:
            continue  # no twin: replay of u is skipped
        for k in range(int(rng.choice([1, 1, 2]))):
            base = dims_of[u]
            while True:
                dims = tuple(int(max(1, b + rng.integers(-2, 3))) for b in base)
                if dims != base:
                    break
            t = add_area(f"cT{j:01d}{k}{seed % 100:02d}", dims, per_voxel=int(rng.choice([1, 2])),
                         firing_threshold=float(rng.choice([0.0, 0.4, 1.0, 2.5, 7.3])))
            npu.add_memory_twin(t, u)
            twins.append((t, u))
            twin_areas.append((t, dims))

    # STDP pairs among the areas that hold regular neurons.
    holders = [a for a in npu.get_cortical_areas()
               if a["neuron_count"] > 0 and a["cortical_id"] not in CORE_IDS]
    cand = [a["index"] for a in holders]
    pairs = {}
    n_pairs = int(rng.integers(3, 7))
    for k in range(n_pairs):
        a = sensory if k == 0 else int(rng.choice(cand))
        q = rng.random()
        if k == 0 or q < 0.2:
            b = a  # self-pair (the first one on the sensory area: held input makes it co-active)
        elif q < 0.35 and pairs:
            b, a = list(pairs)[int(rng.integers(0, len(pairs)))]  # the other direction
        else:
            b = int(rng.choice(cand))
        if b == sensory and a != sensory:
            continue  # keep the sensory area free of incoming synapses
        first = k == 0  # the first pair always both potentiates and depresses
        pairs[(a, b)] = dict(
            window=int(rng.integers(1, 5)),
            plasticity_constant=int(rng.choice([1, 2, 3, 10] if first else [1, 1, 2, 3, 10, 60, -1])),
            ltp_multiplier=int(rng.choice([1, 2, 5])),
            ltd_multiplier=int(rng.choice([1, 2, 3] if first else [0, 1, 1, 2, 3])),
            bidirectional=bool(k == 1 or rng.random() < 0.3),
            psp=int(rng.integers(1, 4)),
            synapse_type=int(rng.random() < 0.2),
        )

    if mem_with_neurons is not None:
        # A bidirectional self-pair on a memory area that holds regular neurons:
        # its memory neurons fire too, and must stay out of the STDP sets.
        pairs[(mem_with_neurons, mem_with_neurons)] = dict(
            window=1, plasticity_constant=2, ltp_multiplier=2, ltd_multiplier=1, bidirectional=True,
            psp=1, synapse_type=0)

    # Created synapses take A's current PSP: give some areas another PSC
    # (before any synapse exists, so no random PSP is rewritten).
    for index in cand:
        if rng.random() < 0.5:
            npu.update_cortical_area(index, postsynaptic_current=float(rng.choice([0.5, 2.7, 3.0, 300.0])))

    # Synapses: dense projections for the plastic pairs, sparse background.
    n = npu.neuron_count()
    ids_by_area = collections.defaultdict(list)
    area_of = np.asarray(npu.export_connectome()["neurons"]["area"], dtype=np.int64)
    for nid, a in enumerate(area_of.tolist()):
        ids_by_area[a].append(nid)
    sources, targets = [], []
    for (a, b) in pairs:
        src, dst = np.array(ids_by_area[a]), np.array(ids_by_area[b])
        dense = rng.uniform(0.2, 0.7)
        keep = rng.random((len(src), len(dst))) < dense
        s, d = np.nonzero(keep)
        sources.append(src[s])
        targets.append(dst[d])
    fan = rng.integers(0, 4, size=n)
    bg_src = np.repeat(np.arange(n), fan)
    not_sensory = np.flatnonzero(area_of != sensory)
    sources.append(bg_src)
    targets.append(not_sensory[rng.integers(0, len(not_sensory), size=len(bg_src))])
    sources = np.concatenate(sources)
    targets = np.concatenate(targets)
    m = len(sources)
    weights = np.where(rng.random(m) < 0.7, rng.integers(0, 12, size=m), rng.integers(0, 256, size=m))
    psps = rng.integers(1, 5, size=m)
    types = (rng.random(m) < 0.15).astype(np.uint8)
    order = rng.permutation(m)
    npu.add_synapses_batch(sources[order], targets[order], weights[order], psps[order], types[order])

    for (a, b), params in pairs.items():
        npu.add_stdp_pair(a, b, **params)
    for a in npu.get_cortical_areas():
        if a["cortical_id"] in CORE_IDS:
            continue
        npu.update_cortical_area(a["index"], psp_uniform_distribution=bool(rng.random() < 0.5),
                                 mp_driven_psp=bool(rng.random() < 0.1))
    areas = npu.get_cortical_areas()
    inputs = [a for a in areas if a["neuron_count"] > 0 and a["cortical_id"] not in CORE_IDS]
    description = dict(pairs=pairs, memory=mem_genes, relations=relations, twins=twins)
    return PlasticNetwork(npu, areas, n, inputs, description)


class HeldInput:
    """Seeded input held for several bursts (SPEC 6.1 needs co-activity over
    the window): a frame (per input area, 30 % to 80 % of its voxels with
    potentials uniform in [0.5, 6], or nothing at all with probability 0.15)
    is staged identically for a random ``hold`` (a, b) bursts. On top, with
    probability ``noise`` a burst also stages 1 to 4 random neuron ids (repeats
    allowed) with potentials in [-1, 3], and with probability ``clear`` the
    burst's staging is followed by ``clear_staged()`` (which must not drop the
    pending replay) and one more staging call."""

    def __init__(self, areas: Sequence[dict], n: int, seed: int, hold=(5, 20), noise: float = 0.2,
                 clear: float = 0.04, quiet: float = 0.15):
        self.areas = list(areas)
        self.n = n
        self.rng = np.random.default_rng(seed)
        self.hold, self.noise, self.clear, self.quiet = hold, noise, clear, quiet
        self._frame: list = []
        self._left = 0

    def _new_frame(self):
        rng = self.rng
        if rng.random() < self.quiet:
            return []
        ops = []
        for a in self.areas:
            if rng.random() < 0.2:
                continue
            w, h, d = a["dimensions"]
            voxels = w * h * d
            k = int(rng.integers(max(1, math.ceil(0.3 * voxels)), max(1, math.floor(0.8 * voxels)) + 1))
            chosen = rng.choice(voxels, size=k, replace=False)
            xs, rem = np.divmod(chosen, h * d)
            ys, zs = np.divmod(rem, d)
            ps = rng.uniform(0.5, 6.0, size=k).astype(np.float32)
            ops.append(StageVoxels(int(a["index"]), xs, ys, zs, ps))
        return ops

    def __call__(self, burst: int):
        rng = self.rng
        if self._left == 0:
            self._frame = self._new_frame()
            self._left = int(rng.integers(self.hold[0], self.hold[1] + 1))
        self._left -= 1
        ops = list(self._frame)
        if rng.random() < self.noise:
            k = int(rng.integers(1, 5))
            ops.append(StageIds(rng.integers(0, self.n, size=k).astype(np.uint32),
                                rng.uniform(-1.0, 3.0, size=k).astype(np.float32)))
        if rng.random() < self.clear:
            ops.append(ClearStaged())
            ops.append(StageIds(rng.integers(0, self.n, size=2).astype(np.uint32),
                                rng.uniform(0.5, 3.0, size=2).astype(np.float32)))
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
    # SPEC 6 counters summed over the bursts run (BurstResult.plasticity and the
    # reference's own count) and the number of memory-neuron fires.
    rust_plasticity: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    reference_plasticity: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    memory_fired_total: int = 0


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
    """V (bit for bit), refractory countdowns and consecutive counts of every
    neuron; with plasticity, also ``compare_plasticity_state``."""
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
    if ref.plasticity is not None:
        return compare_plasticity_state(burst, export, ref)
    return None


def _compare_arrays(burst, what, theirs, mine) -> Optional[Mismatch]:
    theirs, mine = np.asarray(theirs), np.asarray(mine)
    if len(theirs) != len(mine):
        return Mismatch(burst, what, f"length: rust {len(theirs)} vs reference {len(mine)}")
    diff = np.flatnonzero(theirs.astype(np.int64) != mine.astype(np.int64))
    if len(diff):
        i = int(diff[0])
        return Mismatch(burst, what, f"{len(diff)} differ; first at row position {i}: "
                                     f"rust {int(theirs[i])} vs reference {int(mine[i])}")
    return None


_MEMORY_FIELDS = ("id", "area", "lifespan", "long_term", "alive", "activations", "born", "pattern", "replay")


def _memory_diff(theirs, mine) -> str:
    if theirs is None or mine is None:
        return f"only in {'reference' if theirs is None else 'rust'}"
    return ", ".join(f"{name}: rust {a} vs reference {b}" if name != "replay" else "replay frames differ"
                     for name, a, b in zip(_MEMORY_FIELDS, theirs, mine) if a != b)


def compare_plasticity_state(burst: int, export: dict, ref: ReferenceNPU) -> Optional[Mismatch]:
    """The whole synapse table in row order (weights and created synapses
    included), the memory neurons (id, area, lifespan, long-term, alive,
    activations, birth burst, pattern hash, replay frames) and the pending
    forced and replay injections."""
    syn = export["synapses"]
    for name, mine in zip(("source", "target", "weight", "psp", "type"), ref.synapse_arrays()):
        m = _compare_arrays(burst, f"synapse {name}", syn[name], mine)
        if m:
            return m
    pl = export["plasticity"]
    theirs = {int(d["id"]): normalize_memory_neuron(d) for d in pl["memory_neurons"]}
    mine = ref.plasticity.memory_state()
    if theirs != mine:
        ids = sorted(set(theirs) | set(mine))
        first = next(i for i in ids if theirs.get(i) != mine.get(i))
        return Mismatch(burst, "memory neuron", f"{first}: {_memory_diff(theirs.get(first), mine.get(first))} "
                                                f"(counts {len(theirs)} vs {len(mine)})")
    forced = sorted((int(i), float(p)) for i, p in pl["forced"])
    if forced != ref.plasticity.pending_forced():
        return Mismatch(burst, "pending forced injections",
                        f"rust {forced[:5]} vs reference {ref.plasticity.pending_forced()[:5]}")
    replay = sorted((int(d), int(i), float(p)) for d, i, p in pl["replay"])
    mine_replay = ref.plasticity.pending_replay()
    if replay != mine_replay:
        first = next((k for k, (a, b) in enumerate(zip(replay, mine_replay)) if a != b),
                     min(len(replay), len(mine_replay)))
        return Mismatch(burst, "pending replay injections",
                        f"{len(replay)} vs {len(mine_replay)} entries; first difference at {first}: "
                        f"rust {replay[first:first + 3]} vs reference {mine_replay[first:first + 3]}")
    return None


def compare_plasticity_burst(burst: int, npu, result, ref: ReferenceNPU,
                             check_counters: bool = True) -> Optional[Mismatch]:
    """Per burst: the memory neurons fired, the synapse count, every STDP
    pair's (sources, targets, weights) in row order (``get_synapse_weights``)
    and, with ``check_counters``, the plasticity counters of the burst."""
    pl = ref.plasticity
    n_mem = int((ref.fire_queue[0] >= MEMORY_ID_BASE).sum())
    if result.memory_fired != n_mem:
        return Mismatch(burst, "memory neurons fired", f"rust {result.memory_fired} vs reference {n_mem}")
    if npu.synapse_count() != len(ref.syn_source):
        return Mismatch(burst, "synapse count",
                        f"rust {npu.synapse_count()} vs reference {len(ref.syn_source)}")
    for pair in pl.pairs:
        what = f"STDP pair ({pair.source_area}, {pair.destination_area})"
        for name, theirs, mine in zip(("sources", "targets", "weights"),
                                      npu.get_synapse_weights(pair.source_area, pair.destination_area),
                                      pl.pair_weights(pair)):
            m = _compare_arrays(burst, f"{what} {name}", theirs, mine)
            if m:
                return m
    if check_counters:
        theirs = result.plasticity
        diff = {k: (theirs[k], pl.burst_stats.get(k, 0)) for k in STAT_KEYS
                if theirs[k] != pl.burst_stats.get(k, 0)}
        if diff:
            return Mismatch(burst, "plasticity counters", f"(rust, reference): {diff}")
    return None


def plasticity_depth(export: dict) -> int:
    """The deepest ledger window SPEC 6 reads in an export (STDP W, memory depth)."""
    pl = export.get("plasticity") or {}
    return max([int(r["window"]) for r in pl.get("stdp", [])]
               + [int(g["temporal_depth"]) for g in pl.get("memory_areas", [])] + [1])


def ledger_history(npu, depth: int):
    """The engine's fire-ledger frames of its last ``depth`` bursts, all areas
    merged: [(timestep, ids ascending)], oldest first (for a reference built
    from an export taken after burst 0, ``ReferenceNPU(export, ledger=...)``)."""
    end = npu.burst_count()
    depth = min(depth, end)
    merged = {t: [] for t in range(end - depth + 1, end + 1)}
    if depth == 0:
        return []
    for a in npu.get_cortical_areas():
        cid = a["cortical_id"]
        d = min(depth, npu.get_fire_ledger_window_size(cid))
        for t, ids in npu.get_fire_ledger_frames(cid, d):
            merged[int(t)].append(np.asarray(ids, dtype=np.int64))
    return [(t, np.sort(np.concatenate(v)) if v else np.zeros(0, np.int64)) for t, v in sorted(merged.items())]


def _comparable_fcl(ref: ReferenceNPU):
    """The reference's last FCL, memory-neuron entries of phase 1e included (SPEC 4.1, 5.2)."""
    return ref.last_fcl


def lockstep(npu, ref: ReferenceNPU, bursts: int,
             feed: Callable[[int], Sequence] = lambda t: [],
             state_every: int = 0, check_fcl: bool = True,
             memory_every: int = 0, check_counters: bool = True) -> LockstepReport:
    """Runs both engines ``bursts`` bursts on the same staged input.

    Per burst it compares the fired ids, the firing potentials (bit for bit)
    and, with ``check_fcl``, the FCL (candidate ids and sums, bit for bit).
    Every ``state_every`` bursts (0: only at the end) and after the last burst
    it compares V, refractory countdowns and consecutive counts of every
    neuron. With plasticity on (SPEC 6) it also compares, every burst, the
    weights of every STDP pair (``compare_plasticity_burst``) and, at the
    state checkpoints and every ``memory_every`` bursts, the whole synapse
    table and the memory state (``compare_plasticity_state``). Stops at the
    first difference.
    """
    report = LockstepReport(0, 0, 0, 0, None)

    def stop(t, m):
        report.bursts, report.mismatch = t, m
        return report

    plastic = ref.plasticity is not None
    for i in range(bursts):
        t = ref.burst + 1
        for op in feed(t):
            a = op.to_rust(npu)
            b = op.to_reference(ref)
            report.staged_total += b
            if a != b:
                return stop(t, Mismatch(t, "staged count", f"rust {a} vs reference {b} for {op!r}"))
        res = npu.process_burst()
        r_ids, r_pot = ref.process_burst()
        if res.burst != t:
            return stop(t, Mismatch(t, "burst number", f"rust {res.burst} vs reference {t}"))
        f_ids = np.asarray(res.fired_neurons)
        if not np.array_equal(f_ids, r_ids):
            return stop(t, Mismatch(t, "fired set", _first_diff_ids(f_ids, r_ids)))
        m = _compare_values(t, "firing potential", f_ids, res.fired_potentials, r_pot)
        if m is None and check_fcl:
            c_ids, c_sums = npu.get_last_fcl()
            ref_ids, ref_sums = _comparable_fcl(ref)
            if not np.array_equal(c_ids, ref_ids):
                m = Mismatch(t, "FCL candidates", _first_diff_ids(c_ids, ref_ids))
            else:
                m = _compare_values(t, "FCL sum", c_ids, c_sums, ref_sums)
        if m is None and plastic:
            report.rust_plasticity.update({k: v for k, v in res.plasticity.items() if v})
            report.reference_plasticity.update(ref.plasticity.burst_stats)
            report.memory_fired_total += int(res.memory_fired)
            m = compare_plasticity_burst(t, npu, res, ref, check_counters)
        checkpoint = (state_every and t % state_every == 0) or i == bursts - 1
        if m is None and (checkpoint or (plastic and memory_every and t % memory_every == 0)):
            export = npu.export_connectome()
            m = compare_state(t, export, ref) if checkpoint else compare_plasticity_state(t, export, ref)
        report.fired_total += len(r_ids)
        report.candidates_total += len(ref.last_fcl[0])
        if m is not None:
            return stop(t, m)
    report.bursts = bursts
    return report

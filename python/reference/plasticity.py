"""SPEC section 6 (plasticity and memory, milestone M2) for ``ReferenceNPU``.

Written from docs/SPEC.md sections 4.1 (phase order), 5.1 (fire ledger), 6,
6.1 (STDP) and 6.2 (memory areas), not from the engine's code. The class
``Plasticity`` owns the M2 state of one ``ReferenceNPU`` and is called by it
at three points of the burst:

* phase 1a: ``replay_due(t)``: the replay injections due at t, appended to
  the API-staged input in scheduling order (memory neuron id, i, U, twin,
  voxel, neuron ascending), potentials included even when 0;
* phase 1e: ``forced_due(t)``: the forced memory-neuron injections (1.5);
* phase 3: ``after_burst(t, fired)``: archive FQ(t) in the ledger, then STDP
  for each registered pair in ascending (A, B), the memory lifecycle, pattern
  detection per memory area in ascending index, and replay scheduling.

Synapses live in the ``ReferenceNPU`` arrays (row order); STDP rewrites their
u8 weights and appends created synapses at the end of their source's row.

Every step that a perturbed variant (reference/perturbed.py) changes is a
small method: ``_classify``, ``_apply``, ``_stdp_pair``, ``_stdp_available``,
``_pattern_buffer``, ``_lifecycle``.
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Dict, List, Optional, Tuple

import numpy as np

try:  # the SPEC 6.2 pattern hash; only memory areas need it
    import xxhash
except ImportError:  # pragma: no cover - scripts/test.sh installs it
    xxhash = None

__all__ = [
    "FORCED_POTENTIAL",
    "MEMORY_ID_BASE",
    "MEMORY_ID_END",
    "STAT_KEYS",
    "MemoryNeuron",
    "Plasticity",
    "StdpPair",
]

F32 = np.float32
MEMORY_ID_BASE = 50_000_000  # first memory-neuron id (SPEC 2.2)
MEMORY_ID_END = 100_000_000  # memory ids end at 99 999 999 (SPEC 6.2)
FORCED_POTENTIAL = F32(1.5)  # forced injection of a memory neuron (SPEC 6.2)

# Counters kept per burst (same names as BurstResult.plasticity). The
# reference also counts, under names starting with "x_", how often some
# corner of the rules applied (saturation, replay outside a twin, ...).
STAT_KEYS = (
    "potentiations",
    "depressions",
    "synapses_created",
    "memory_born",
    "memory_reactivated",
    "memory_died",
    "memory_long_term",
    "replay_injections",
    "patterns_ignored",
)


def _clamp_u8(v: int) -> int:
    return min(max(int(v), 0), 255)


def _psp_from_psc(psc: float) -> int:
    """SPEC 3.2: psp = clamp(trunc(PSC), 0, 255), on the f64 value."""
    psc = float(psc)
    if psc != psc:  # NaN: no such gene value reaches an area
        raise ValueError("postsynaptic_current is NaN")
    return int(min(max(np.trunc(psc), 0.0), 255.0))


@dataclasses.dataclass
class StdpPair:
    """One STDP registration (SPEC 6.1) with its derived step sizes."""

    source_area: int
    destination_area: int
    window: int
    plasticity_constant: int
    ltp_multiplier: int
    ltd_multiplier: int
    bidirectional: bool
    psp: int
    inhibitory: bool

    @property
    def d_plus(self) -> int:
        """clamp(C * Lp, 0, 255) on integers (no overflow in Python)."""
        return _clamp_u8(self.plasticity_constant * self.ltp_multiplier)

    @property
    def d_minus(self) -> int:
        return _clamp_u8(self.plasticity_constant * self.ltd_multiplier)


@dataclasses.dataclass
class MemoryNeuron:
    """A memory neuron (SPEC 6.2). ``replay``: list of (U, i, voxels (k, 3))."""

    id: int
    area: int
    lifespan: int
    long_term: bool
    alive: bool
    activations: int
    born: int
    pattern: int
    replay: list
    replay_key: Optional[tuple] = None  # cached comparable form of ``replay``


@dataclasses.dataclass
class _Frame:
    """One archived timestep of the fire ledger (SPEC 5.1), all areas at once."""

    t: int
    regular: np.ndarray  # fired regular neuron ids, ascending (int64)
    memory: np.ndarray  # fired memory neuron ids, ascending (int64)
    mask: np.ndarray  # bool per regular neuron: fired in this frame


class Plasticity:
    """The M2 state and rules of one ``ReferenceNPU`` (see the module doc).

    Built from ``export["plasticity"]`` of ``RustNPU.export_connectome()``:
    the STDP registrations, memory areas and their genes, the upstream
    relations and twins, the memory neurons (with hashes and replay frames),
    and the pending forced and replay injections. Counters of what the rules
    did: ``burst_stats`` (the last burst) and ``totals`` (since construction).
    """

    def __init__(self, npu, export_pl: dict, areas: list, neurons: dict, ledger=None):
        self.npu = npu
        self.pairs: List[StdpPair] = sorted(
            (
                StdpPair(
                    source_area=int(r["source_area"]),
                    destination_area=int(r["destination_area"]),
                    window=int(r["window"]),
                    plasticity_constant=int(r["plasticity_constant"]),
                    ltp_multiplier=int(r["ltp_multiplier"]),
                    ltd_multiplier=int(r["ltd_multiplier"]),
                    bidirectional=bool(r["bidirectional"]),
                    psp=int(r["psp"]),
                    inhibitory=int(r["synapse_type"]) == 1,
                )
                for r in export_pl.get("stdp", [])
            ),
            key=lambda p: (p.source_area, p.destination_area),
        )
        keys = [(p.source_area, p.destination_area) for p in self.pairs]
        if len(set(keys)) != len(keys):
            raise ValueError("an STDP pair is registered twice")

        self.memory_areas: Dict[int, dict] = {
            int(g["area"]): {k: int(v) for k, v in g.items()} for g in export_pl.get("memory_areas", [])
        }
        upstream = collections.defaultdict(set)
        for u, m in export_pl.get("memory_relations", []):
            if int(m) in self.memory_areas:  # other relations register nothing
                upstream[int(m)].add(int(u))
        self.upstream: Dict[int, List[int]] = {m: sorted(us) for m, us in upstream.items()}
        twins = collections.defaultdict(set)
        for twin, of in export_pl.get("memory_twins", []):
            twins[int(of)].add(int(twin))
        self.twins: Dict[int, List[int]] = {u: sorted(ts) for u, ts in twins.items()}
        by_index = {int(a["index"]): a for a in areas}
        # Replay potential: f32(the twin's firing_threshold gene), no gradient.
        self.twin_potential = {
            t: F32(by_index[t]["properties"]["firing_threshold"]) for ts in self.twins.values() for t in ts
        }
        # Created synapses get "A's current PSP (3.2)": clamp(trunc(PSC of A), 0, 255).
        # (The reference takes no runtime updates, so the PSC of the export holds.)
        self.area_psp = {
            int(a["index"]): _psp_from_psc(a["properties"].get("postsynaptic_current", 1.0)) for a in areas
        }

        self.xyz = np.stack(
            [np.asarray(neurons[c], dtype=np.int64) for c in ("x", "y", "z")], axis=1
        ) if npu.n else np.zeros((0, 3), dtype=np.int64)
        self._area_neurons_cache: Dict[int, np.ndarray] = {}

        # Memory neurons, hash tables (per memory area, alive neurons only), next id.
        self.mem: Dict[int, MemoryNeuron] = {}
        self.table: Dict[int, Dict[int, int]] = collections.defaultdict(dict)
        for d in export_pl.get("memory_neurons", []):
            neuron = MemoryNeuron(
                id=int(d["id"]), area=int(d["area"]), lifespan=int(d["lifespan"]),
                long_term=bool(d["long_term"]), alive=bool(d["alive"]),
                activations=int(d["activations"]), born=int(d["born"]), pattern=int(d["pattern"]),
                replay=[(int(u), int(i), np.asarray(v, dtype=np.int64).reshape(-1, 3))
                        for u, i, v in d["replay"]],
            )
            self.mem[neuron.id] = neuron
            if neuron.alive:
                self.table[neuron.area][neuron.pattern] = neuron.id
        self.next_id = max(self.mem, default=MEMORY_ID_BASE - 1) + 1
        self.mem = dict(sorted(self.mem.items()))

        # Pending injections: forced (due at the next burst) and replay by burst.
        self.forced: List[Tuple[int, np.float32]] = [(int(i), F32(p)) for i, p in export_pl.get("forced", [])]
        self.replay: Dict[int, list] = collections.defaultdict(list)
        for delay, nid, p in export_pl.get("replay", []):
            # Exported entries precede anything scheduled later (key -1).
            self.replay[npu.burst + int(delay)].append(
                ((-1,), np.array([int(nid)], dtype=np.int64), np.array([p], dtype=np.float32)))

        # The fire ledger: the last `depth` frames (every area is tracked, 5.1).
        depth = max([p.window for p in self.pairs]
                    + [g["temporal_depth"] for g in self.memory_areas.values()] + [1])
        self.frames: collections.deque = collections.deque(maxlen=depth)
        history = list(ledger or [])[-depth:]
        if history and [int(t) for t, _ in history] != list(range(npu.burst - len(history) + 1, npu.burst + 1)):
            raise ValueError("ledger history must be consecutive timesteps ending at the export's burst")
        for t, ids in history:
            self._archive(int(t), np.asarray(ids, dtype=np.int64))
        # Timesteps before this one are unknown to the reference.
        self.first_known = npu.burst - len(history) + 1

        self.burst_stats = collections.Counter()
        self.totals = collections.Counter()
        self._syn_version = 0
        self._pair_cache: Dict[Tuple[int, int], Tuple[int, np.ndarray]] = {}

    # ----- phase 1 -----------------------------------------------------------

    def replay_due(self, t: int):
        """Phase 1a: (ids, potentials) of the replay injections due at t, in
        scheduling order (memory neuron id, i, U, twin, voxel, neuron)."""
        entries = self.replay.pop(t, [])
        if not entries:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        entries.sort(key=lambda e: e[0])  # stable: voxel / neuron order kept inside an entry
        return (np.concatenate([e[1] for e in entries]),
                np.concatenate([e[2] for e in entries]).astype(np.float32))

    def forced_due(self, t: int):
        """Phase 1e: (memory ids ascending, FCL sums) of the forced injections due at t."""
        forced, self.forced = self.forced, []
        sums: Dict[int, np.float32] = {}
        for nid, p in forced:
            sums[nid] = F32(sums.get(nid, F32(0.0)) + F32(p))
        ids = np.array(sorted(sums), dtype=np.int64)
        return ids, np.array([sums[i] for i in ids.tolist()], dtype=np.float32)

    # ----- phase 3 -----------------------------------------------------------

    def after_burst(self, t: int, fired: np.ndarray) -> None:
        """Phase 3 of burst t (SPEC 4.1, 6): archive, STDP, lifecycle, patterns, replay."""
        self.burst_stats = collections.Counter()
        if not self.pairs and not self.memory_areas:
            return  # nothing reads the ledger or schedules anything
        fired = np.asarray(fired, dtype=np.int64)
        self._archive(t, fired)
        self._stdp(t)
        self._lifecycle(t)
        self._detect_patterns(t)
        self._schedule_replay(t, fired[fired >= MEMORY_ID_BASE])
        self.totals.update(self.burst_stats)

    def _archive(self, t: int, fired: np.ndarray) -> None:
        n = self.npu.n
        regular = fired[fired < n]
        mask = np.zeros(n, dtype=bool)
        mask[regular] = True
        self.frames.append(_Frame(t, regular, fired[fired >= MEMORY_ID_BASE], mask))

    def _available(self, t: int, depth: int) -> bool:
        """dense_window(area, t, depth) is available (SPEC 5.1): timesteps
        t-depth+1 .. t are all >= 1 and held. Registrations raise every window
        they read to at least their depth, so depth never exceeds it."""
        return t - depth + 1 >= max(1, self.first_known) and depth <= len(self.frames)

    def _stdp_available(self, t: int, window: int) -> bool:
        """A pair is skipped while dense_window(A or B, t, W) is unavailable (t < W)."""
        return self._available(t, window)

    def _window(self, depth: int) -> List[_Frame]:
        return list(self.frames)[-depth:]

    # ----- STDP (SPEC 6.1) ---------------------------------------------------

    def _area_neurons(self, area: int) -> np.ndarray:
        ids = self._area_neurons_cache.get(area)
        if ids is None:
            ids = np.flatnonzero(self.npu.area == area)
            self._area_neurons_cache[area] = ids
        return ids

    def _pair_synapses(self, pair: StdpPair) -> np.ndarray:
        """Indices (row order) of every synapse s->d with s in A and d in B."""
        key = (pair.source_area, pair.destination_area)
        cached = self._pair_cache.get(key)
        if cached is not None and cached[0] == self._syn_version:
            return cached[1]
        npu = self.npu
        area = npu.area
        idx = np.flatnonzero((area[npu.syn_source] == pair.source_area)
                             & (area[npu.syn_target] == pair.destination_area))
        self._pair_cache[key] = (self._syn_version, idx)
        return idx

    def pair_weights(self, pair: StdpPair):
        """(sources, targets, weights) of the pair, row order (as get_synapse_weights)."""
        npu = self.npu
        idx = self._pair_synapses(pair)
        return (npu.syn_source[idx].astype(np.uint32), npu.syn_target[idx].astype(np.uint32),
                npu.syn_w[idx].astype(np.uint8))

    @staticmethod
    def _any_all(frames: List[_Frame], ids: np.ndarray):
        """Per id: fired in any frame of the window (union), in every frame (intersection).

        Only regular neurons are in the masks: memory neurons are dropped from
        the four sets of SPEC 6.1.
        """
        fired = np.stack([f.mask[ids] for f in frames]) if len(ids) else np.zeros((len(frames), 0), bool)
        return fired.any(axis=0), fired.all(axis=0)

    def _classify(self, s_any, s_all, d_any, d_all):
        """(potentiate, depress) masks of the SPEC 6.1 update loop:
        neither end fired in the window -> unchanged; both fired in every
        burst of it -> potentiate; otherwise depress."""
        untouched = ~s_any & ~d_any
        potentiate = s_all & d_all
        depress = ~untouched & ~potentiate
        return potentiate, depress

    def _apply(self, w: np.ndarray, potentiate, depress, pair: StdpPair) -> np.ndarray:
        """weight := min(w + d_plus, 255) / max(w - d_minus, 0) (u8, saturating)."""
        w = w.copy()
        w[potentiate] = np.minimum(w[potentiate] + pair.d_plus, 255)
        if pair.d_minus > 0:
            w[depress] = np.maximum(w[depress] - pair.d_minus, 0)
        return w

    def _stdp(self, t: int) -> None:
        changed = False
        for pair in self.pairs:
            if not self._stdp_available(t, pair.window):
                self.burst_stats["x_pairs_skipped_window"] += 1
                continue
            frames = self._window(pair.window)
            self._stdp_pair(pair, frames)
            changed = True
        if changed:
            self.npu._weights_changed()

    def _stdp_pair(self, pair: StdpPair, frames: List[_Frame]) -> None:
        """The update loop over the pair's synapses, then (bidirectional) the
        created synapses, appended after the loop so not updated this burst."""
        ends = (pair.source_area, pair.destination_area)
        self.burst_stats["x_memory_neurons_dropped"] += sum(
            self.mem[i].area in ends for f in frames for i in f.memory.tolist())
        self._update_pair(pair, frames)
        if pair.bidirectional:
            self._create_synapses(pair, frames)

    def _update_pair(self, pair: StdpPair, frames: List[_Frame]) -> None:
        npu = self.npu
        idx = self._pair_synapses(pair)
        if len(idx) == 0:
            return
        s_any, s_all = self._any_all(frames, npu.syn_source[idx])
        d_any, d_all = self._any_all(frames, npu.syn_target[idx])
        potentiate, depress = self._classify(s_any, s_all, d_any, d_all)
        old = npu.syn_w[idx]
        new = self._apply(old, potentiate, depress, pair)
        npu.syn_w[idx] = new
        st = self.burst_stats
        st["potentiations"] += int(potentiate.sum())
        if pair.d_minus > 0:
            st["depressions"] += int(depress.sum())
        # Coverage counters (x_ prefix; not compared with the engine).
        st["x_ltp_saturated"] += int((potentiate & (old + pair.d_plus > 255)).sum())
        if pair.d_minus > 0:
            st["x_ltd_saturated"] += int((depress & (old - pair.d_minus < 0)).sum())
        st["x_unchanged_neither_fired"] += int((~s_any & ~d_any).sum())

    def _all_fired(self, area: int, frames: List[_Frame]) -> np.ndarray:
        """Regular neurons of an area that fired in every frame, ascending."""
        ids = self._area_neurons(area)
        _, every = self._any_all(frames, ids)
        return ids[every]

    def _create_synapses(self, pair: StdpPair, frames: List[_Frame]) -> None:
        """For s in allA ascending, d in allB ascending (s = d allowed when
        A = B): append s->d (weight d_plus, A's current PSP, the winning
        rule's type) when no valid synapse s->d exists."""
        npu = self.npu
        all_a = self._all_fired(pair.source_area, frames)
        all_b = self._all_fired(pair.destination_area, frames)
        if len(all_a) == 0 or len(all_b) == 0:
            return
        n = np.int64(max(npu.n, 1))
        s = np.repeat(all_a, len(all_b))
        d = np.tile(all_b, len(all_a))
        idx = self._pair_synapses(pair)
        existing = npu.syn_source[idx] * n + npu.syn_target[idx]
        missing = ~np.isin(s * n + d, existing)
        s, d = s[missing], d[missing]
        k = len(s)
        if k == 0:
            return
        # Each new synapse goes to the end of its source's row; np.insert keeps
        # the given order among insertions at the same position.
        pos = npu.row_start[s + 1]
        npu._set_synapses(
            np.insert(npu.syn_source, pos, s),
            np.insert(npu.syn_target, pos, d),
            np.insert(npu.syn_w, pos, np.full(k, pair.d_plus, dtype=np.int64)),
            np.insert(npu.syn_psp, pos, np.full(k, self.area_psp[pair.source_area], dtype=np.int64)),
            np.insert(npu.syn_inhibitory, pos, np.full(k, pair.inhibitory, dtype=bool)),
        )
        self._syn_version += 1
        self.burst_stats["synapses_created"] += k

    # ----- memory (SPEC 6.2) ---------------------------------------------------

    def _lifecycle(self, t: int) -> None:
        """First every non-long-term neuron with lifespan >= its area's
        longterm_mem_threshold becomes long-term; then every non-long-term
        neuron loses 1 lifespan and dies at <= 0 (its hash entry removed)."""
        mortal = [m for m in self.mem.values() if m.alive and not m.long_term]
        st = self.burst_stats
        for m in mortal:
            if m.lifespan >= self.memory_areas[m.area]["longterm_mem_threshold"]:
                m.long_term = True
                st["memory_long_term"] += 1
        for m in mortal:
            if m.long_term:
                continue
            m.lifespan -= 1
            if m.lifespan <= 0:
                self._die(m)

    def _die(self, m: MemoryNeuron) -> None:
        m.alive = False
        del self.table[m.area][m.pattern]
        self.burst_stats["memory_died"] += 1

    def _ids_in_area(self, frame: _Frame, area: int) -> np.ndarray:
        """The ids of `area` in a frame, ascending: regular, then memory neurons."""
        reg = frame.regular[self.npu.area[frame.regular] == area]
        if len(frame.memory):
            mem = np.array([i for i in frame.memory.tolist() if self.mem[i].area == area], dtype=np.int64)
            return np.concatenate([reg, mem])
        return reg

    def _pattern_buffer(self, per_frame: List[List[np.ndarray]]) -> bytes:
        """Frames oldest to newest; in each, upstream areas ascending: the
        number of ids (u32 LE), then the ids ascending (u32 LE each)."""
        parts = []
        for row in per_frame:
            for ids in row:
                parts.append(np.array([len(ids)], dtype="<u4").tobytes())
                parts.append(np.asarray(ids, dtype="<u4").tobytes())
        return b"".join(parts)

    def _pattern_hash(self, per_frame: List[List[np.ndarray]]) -> int:
        """h = xxHash64(buffer, seed 0) (the ``xxhash`` package)."""
        if xxhash is None:
            raise ImportError("memory areas (SPEC 6.2) need the xxhash package: pip install xxhash")
        return xxhash.xxh64_intdigest(self._pattern_buffer(per_frame), seed=0)

    def _voxels(self, ids: np.ndarray) -> np.ndarray:
        """Distinct voxels of ids, ascending; a memory neuron counts as (0,0,0)."""
        ids = np.asarray(ids, dtype=np.int64)
        regular = ids[ids < self.npu.n]
        vox = self.xyz[regular]
        if len(regular) < len(ids):
            vox = np.concatenate([vox, np.zeros((1, 3), dtype=np.int64)])
        if len(vox) == 0:
            return np.zeros((0, 3), dtype=np.int64)
        return np.unique(vox, axis=0)

    def _detect_patterns(self, t: int) -> None:
        st = self.burst_stats
        forced = []
        for area in sorted(self.memory_areas):
            ups = self.upstream.get(area)
            if not ups:
                continue
            genes = self.memory_areas[area]
            depth = genes["temporal_depth"]
            if not self._available(t, depth):
                continue
            frames = self._window(depth)
            per_frame = [[self._ids_in_area(f, u) for u in ups] for f in frames]
            if sum(len(ids) for row in per_frame for ids in row) == 0:
                continue
            h = self._pattern_hash(per_frame)
            table = self.table[area]
            nid = table.get(h)
            if nid is None:
                if self.next_id >= MEMORY_ID_END:
                    st["patterns_ignored"] += 1
                    continue
                nid = self.next_id
                self.next_id += 1
                neuron = MemoryNeuron(nid, area, genes["init_lifespan"], False, True, 1, t, h, [])
                self.mem[nid] = neuron
                table[h] = nid
                st["memory_born"] += 1
            else:
                neuron = self.mem[nid]
                neuron.lifespan += genes["lifespan_growth_rate"]
                neuron.activations += 1
                st["memory_reactivated"] += 1
            forced.append((nid, FORCED_POTENTIAL))
            neuron.replay = [(u, i, self._voxels(per_frame[i][j]))
                             for j, u in enumerate(ups) for i in range(depth)]
            neuron.replay_key = None
        self.forced = forced

    def _schedule_replay(self, t: int, fired_memory: np.ndarray) -> None:
        """A memory neuron that fired at t (even one that died in this burst's
        lifecycle): each replay frame (U, i, voxels) goes into every twin of U
        at burst t + i + 1, voxels inside the twin only, every neuron of each."""
        npu = self.npu
        for mid in fired_memory.tolist():
            neuron = self.mem[mid]
            if not neuron.alive:
                self.burst_stats["x_replay_from_dead"] += 1
            for u, i, vox in sorted(neuron.replay, key=lambda f: (f[1], f[0])):
                if len(vox) == 0:
                    continue
                for twin in self.twins.get(u, ()):
                    ids, _ = npu.voxel_neurons(twin, vox[:, 0], vox[:, 1], vox[:, 2])
                    w, h, d = npu._dims[twin]
                    self.burst_stats["x_replay_voxels_outside"] += int(
                        ((vox[:, 0] >= w) | (vox[:, 1] >= h) | (vox[:, 2] >= d)).sum())
                    if len(ids) == 0:
                        continue
                    p = self.twin_potential[twin]
                    if p == 0:
                        self.burst_stats["x_replay_zero_potential"] += len(ids)
                    self.replay[t + i + 1].append(
                        ((mid, i, u, twin), ids.astype(np.int64), np.full(len(ids), p, dtype=np.float32)))
                    self.burst_stats["replay_injections"] += len(ids)

    # ----- state, for comparisons -----------------------------------------------

    def memory_state(self) -> dict:
        """id -> normalized memory neuron (the form of ``normalize_memory_neuron``)."""
        out = {}
        for nid, m in self.mem.items():
            if m.replay_key is None:
                m.replay_key = _replay_key((u, i, vox.tolist()) for u, i, vox in m.replay)
            out[nid] = (m.id, m.area, m.lifespan, m.long_term, m.alive, m.activations, m.born,
                        m.pattern, m.replay_key)
        return out

    def note_clear_staged(self) -> None:
        """clear_staged() was called: it leaves the pending replay alone (6.2)."""
        if self.replay.get(self.npu.burst + 1):
            self.totals["x_clear_with_replay_due"] += 1

    def pending_forced(self) -> list:
        return sorted((int(i), float(p)) for i, p in self.forced)

    def pending_replay(self) -> list:
        """Sorted (delay, neuron id, potential) of every pending replay injection."""
        now = self.npu.burst
        out = []
        for v, entries in self.replay.items():
            for _, ids, ps in entries:
                out.extend((v - now, int(i), float(p)) for i, p in zip(ids.tolist(), ps.tolist()))
        return sorted(out)


def _replay_key(frames) -> tuple:
    """Replay frames (U, i, voxels) as a sorted tuple, empty voxel lists left out."""
    return tuple(sorted((int(u), int(i), tuple(map(tuple, vox))) for u, i, vox in frames if len(vox)))


def normalize_memory_neuron(d: dict) -> tuple:
    """A comparable form of a memory-neuron dict of the engine's export:
    (id, area, lifespan, long_term, alive, activations, born, pattern, replay)
    with the replay frames as ``_replay_key`` gives them."""
    return (int(d["id"]), int(d["area"]), int(d["lifespan"]), bool(d["long_term"]), bool(d["alive"]),
            int(d["activations"]), int(d["born"]), int(d["pattern"]), _replay_key(d["replay"]))

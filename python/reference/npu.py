"""A numpy reference of the FEAGI NPU burst cycle (SPEC sections 4, 6 and 7.1).

``ReferenceNPU`` is built from ``feagi_rust.RustNPU.export_connectome()`` and
then runs bursts on its own, without calling the Rust burst code. It is
written from the spec, vectorised with numpy (no Python loop per neuron or
per synapse), and keeps the spec's float32 semantics bit for bit:

* every arithmetic step on potentials is a float32 operation (numpy float32
  arrays and scalars; no float64 intermediate except where it is exact);
* the fire candidate list (FCL) of a burst is summed in the order SPEC 4.1
  fixes (D8): each sum starts at +0.0 and adds, one at a time, the staged
  inputs in staging order, the power amount, the fatigue amount, then the
  synaptic contributions of the previous fire queue by ascending source and,
  per source, in synapse row order. ``np.add.at`` on a float32 array applies
  its updates unbuffered and in index order, which is exactly that.

When the export says plasticity is enabled (``export["plasticity"]["enabled"]``)
the reference also runs SPEC section 6 (STDP, memory areas, replay), see
``reference.plasticity``: replay input due at t is appended to the staged
input (phase 1a), forced memory-neuron injections are added in phase 1e, and
phase 3 archives FQ(t) and runs STDP, the memory lifecycle, pattern detection
and replay scheduling. Synapses are then mutable: STDP changes weights and
appends created synapses to the end of their source's row.
"""

from __future__ import annotations

import collections

import numpy as np

from .plasticity import MEMORY_ID_BASE, Plasticity

__all__ = [
    "MEMORY_ID_BASE",
    "ReferenceNPU",
    "pcg_hash",
    "excitability_random",
    "round_half_away_f32",
    "F32_0_999",
]

F32_MAX = float(np.finfo(np.float32).max)
F32 = np.float32
U16_MAX = 65535
# f32(0.999): the excitability at and above which a neuron always fires (0x3f7fbe77).
F32_0_999 = F32(0.999)

_PCG_MUL = np.uint32(747796405)
_PCG_INC = np.uint32(2891336453)
_PCG_OUT = np.uint32(277803737)
_KEY_ID = np.uint32(2654435761)
_KEY_T = np.uint32(1597334677)
_TWO_POW_32 = F32(4294967296.0)


def pcg_hash(x) -> np.ndarray:
    """SPEC 7.1 ``pcg_hash`` on uint32 arrays, all arithmetic wrapping mod 2**32."""
    x = np.asarray(x, dtype=np.uint32)
    state = x * _PCG_MUL + _PCG_INC
    shift = (state >> np.uint32(28)) + np.uint32(4)
    word = ((state >> shift) ^ state) * _PCG_OUT
    return (word >> np.uint32(22)) ^ word


def excitability_random(ids, t: int) -> np.ndarray:
    """SPEC 7.1 ``excitability_random(id, t)`` as float32, for an array of ids.

    The uint32 -> float32 step rounds to nearest even: uint32 -> float64 is
    exact and float64 -> float32 is one correctly rounded step. Dividing by
    2**32 is exact in float32.
    """
    ids = np.asarray(ids, dtype=np.uint32)
    t32 = np.uint32(int(t) & 0xFFFFFFFF)
    key = ids * _KEY_ID + np.full(ids.shape, t32, dtype=np.uint32) * _KEY_T
    h = pcg_hash(key)
    return h.astype(np.float64).astype(np.float32) / _TWO_POW_32


def round_half_away_f32(v: np.ndarray) -> np.ndarray:
    """round_half_away(x) = floor(f32(x + 0.5)) for x >= 0, in float32 (SPEC 0 and 4.3)."""
    v = np.asarray(v, dtype=np.float32)
    return np.floor(v + F32(0.5))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(starts[i], starts[i] + lengths[i]) over i, in order."""
    lengths = lengths.astype(np.int64, copy=False)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    # Position p of the output belongs to range i = number of ends <= p; its
    # value is starts[i] + (p - (ends[i] - lengths[i])).
    offsets = np.repeat(starts.astype(np.int64) - (ends - lengths), lengths)
    return offsets + np.arange(total, dtype=np.int64)


class ReferenceNPU:
    """The burst cycle of SPEC 4 over an exported connectome (numpy, float32).

    Parameters
    ----------
    export:
        The dict of ``feagi_rust.RustNPU.export_connectome()``. Arrays are
        copied; the reference never shares state with the exporting NPU.
    track_stats:
        Count, in ``self.stats``, how often each rule of SPEC 4.3 / 4.4 applied
        (refractory drops, cap blocks, limit rejections, excitability draws,
        mp-driven and divided contributions, ...). Tests use it to show that a
        workload exercises every rule; it costs a little time, so it is off by
        default.
    ledger:
        Only for an export taken after burst 0 with plasticity on: the fire
        ledger frames before the export, a list of (timestep, fired ids)
        oldest first (``harness.ledger_history``), which STDP windows and
        memory patterns of the next bursts read.

    State after each burst: ``V`` (float32), ``refractory_countdown`` and
    ``consecutive_count`` (uint16), ``burst`` (the last burst number),
    ``fire_queue`` (ids, potentials; memory neurons last) and ``last_fcl``
    (ids, sums; the FCL of phase 1 including forced memory-neuron entries);
    with plasticity, ``plasticity`` (a ``reference.plasticity.Plasticity``)
    and the mutable synapse arrays ``syn_source``, ``syn_target``,
    ``syn_w``, ``syn_psp``, ``syn_inhibitory`` in row order.
    """

    def __init__(self, export: dict, track_stats: bool = False, ledger=None):
        self.stats = collections.Counter() if track_stats else None
        nrn = export["neurons"]
        self.n = int(len(nrn["membrane_potential"]))
        n = self.n

        def f32(name):
            return np.array(nrn[name], dtype=np.float32, copy=True)

        def u16(name):
            return np.array(nrn[name], dtype=np.uint16, copy=True)

        # Mutable state.
        self.V = f32("membrane_potential")
        self.refractory_countdown = u16("refractory_countdown")
        self.consecutive_count = u16("consecutive_fire_count")

        # Parameters.
        self.threshold = f32("threshold")
        limit = f32("threshold_limit")
        # "No limit" is exported as +inf; a limit of 0 also means none (SPEC 2.3).
        limit[limit == 0] = np.inf
        self.threshold_limit = limit
        self.leak = f32("leak")
        self.excitability = f32("excitability")
        self.refractory_period = u16("refractory_period")
        self.cap = u16("consecutive_fire_limit")
        self.snooze = u16("snooze_period")
        self.accumulates = np.array(nrn["mp_charge_accumulation"], dtype=bool, copy=True)
        self.area = np.array(nrn["area"], dtype=np.int64, copy=True)
        xs = np.array(nrn["x"], dtype=np.int64)
        ys = np.array(nrn["y"], dtype=np.int64)
        zs = np.array(nrn["z"], dtype=np.int64)

        # Derived per-neuron constants (each a single float32 / integer op).
        self.retain = F32(1.0) - self.leak  # f32(1 - leak), SPEC 4.4
        self.capped = (self.cap != 0) & (self.cap != U16_MAX)
        self.snooze_countdown = np.minimum(
            self.refractory_period.astype(np.uint32) + self.snooze.astype(np.uint32), U16_MAX
        ).astype(np.uint16)
        self.non_accumulating = np.flatnonzero(~self.accumulates)
        # Excitability classes of EXCITED (SPEC 4.4).
        self.always_excited = self.excitability >= F32_0_999
        self.never_excited = self.excitability <= F32(0.0)

        # Areas: propagation flags and the voxel -> neurons map (D3).
        self.areas = {int(a["index"]): a for a in export["areas"]}
        n_area_idx = (max(self.areas) + 1) if self.areas else 1
        uniform = np.zeros(n_area_idx, dtype=bool)
        mp_driven = np.zeros(n_area_idx, dtype=bool)
        for index, a in self.areas.items():
            props = a.get("properties", {})
            uniform[index] = bool(props.get("psp_uniform_distribution", False))
            mp_driven[index] = bool(props.get("mp_driven_psp", False))
        self._build_voxel_map(xs, ys, zs)

        # Synapses: CSR rows in export order (sources ascending, row order kept).
        syn = export["synapses"]
        src = np.asarray(syn["source"], dtype=np.int64)
        if len(src) and np.any(np.diff(src) < 0):
            raise ValueError("export synapses are not grouped by ascending source")
        self.src_uniform = uniform[self.area]
        self.src_mp_driven = mp_driven[self.area]
        self._set_synapses(
            src,
            np.array(syn["target"], dtype=np.int64, copy=True),
            np.asarray(syn["weight"], dtype=np.int64),
            np.asarray(syn["psp"], dtype=np.int64),
            np.asarray(syn["type"], dtype=np.uint8) == 1,
        )

        # Injection.
        cfg = export.get("config", {})
        self.power_amount = F32(cfg.get("power_amount", 1.0))
        self.fatigue_active = bool(cfg.get("fatigue_active", False))
        self.power_neuron = export.get("power_neuron")
        self.fatigue_neuron = None
        for a in export["areas"]:
            if a["cortical_id"] == "___fatig" and a.get("first_neuron") is not None:
                self.fatigue_neuron = int(a["first_neuron"])

        fq = export.get("fire_queue", {})
        self.fire_queue = (
            np.array(fq.get("neuron_ids", []), dtype=np.uint32),
            np.array(fq.get("potentials", []), dtype=np.float32),
        )
        self.burst = int(export.get("burst", 0))
        self.last_fcl = (np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.float32))

        self._staged_ids: list = []
        self._staged_p: list = []
        # FCL scratch: sums and "is a candidate" flags, reset after each burst.
        self._fcl = np.zeros(n, dtype=np.float32)
        self._touched = np.zeros(n, dtype=bool)

        # SPEC 6 (M2): plasticity and memory, when the exporting NPU runs it.
        # ``ledger``: the fire-ledger frames before the export, as a list of
        # (timestep, fired ids) oldest first (see harness.ledger_history);
        # needed only for an export taken after burst 0.
        pl = export.get("plasticity") or {}
        self.plasticity = (
            self.plasticity_class(self, pl, export["areas"], nrn, ledger) if pl.get("enabled") else None
        )

    # The class that runs SPEC 6 (a hook so tests can perturb it).
    plasticity_class = Plasticity

    # ----- synapse storage (SPEC 3.4; mutable under SPEC 6.1) ----------------

    def _set_synapses(self, source, target, weight, psp, inhibitory) -> None:
        """Installs the synapse arrays (row order) and every derived array."""
        n = self.n
        self.syn_source = np.asarray(source, dtype=np.int64)
        self.syn_target = np.asarray(target, dtype=np.int64)
        self.syn_w = np.asarray(weight, dtype=np.int64)  # the u8 weight, 0..255
        self.syn_psp = np.asarray(psp, dtype=np.int64)
        self.syn_inhibitory = np.asarray(inhibitory, dtype=bool)
        src = self.syn_source
        counts = np.bincount(src, minlength=n)[:n] if len(src) else np.zeros(n, dtype=np.int64)
        self.row_start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=self.row_start[1:])
        self.outgoing = counts.astype(np.int64)
        # f32(outgoing(s)): exact for counts below 2**24.
        self.outgoing_f32 = counts.astype(np.float32)
        self._weights_changed()

    def _weights_changed(self) -> None:
        """Recomputes the propagation constants after weights changed."""
        self.syn_weight = self.syn_w.astype(np.float32)  # exact: 0..255
        # c = f32(w * psp): the integer product 0..65025 is exact in float32.
        self.syn_fixed_c = (self.syn_w * self.syn_psp).astype(np.float32)

    def synapse_arrays(self):
        """(source, target, weight, psp, type) in row order, as the export gives them."""
        return (self.syn_source.astype(np.uint32), self.syn_target.astype(np.uint32),
                self.syn_w.astype(np.uint8), self.syn_psp.astype(np.uint8),
                self.syn_inhibitory.astype(np.uint8))

    # ----- voxel lookup (SPEC 2.4, D3) --------------------------------------

    def _build_voxel_map(self, xs, ys, zs):
        n = self.n
        dims = {}
        base = {}
        total = 0
        for index in sorted(self.areas):
            w, h, d = (int(v) for v in self.areas[index]["dimensions"])
            dims[index] = (w, h, d)
            base[index] = total
            total += w * h * d
        n_idx = (max(self.areas) + 1) if self.areas else 1
        area_h = np.ones(n_idx, dtype=np.int64)
        area_d = np.ones(n_idx, dtype=np.int64)
        area_base = np.zeros(n_idx, dtype=np.int64)
        for index, (w, h, d) in dims.items():
            area_h[index], area_d[index], area_base[index] = h, d, base[index]
        self._dims = dims
        self._area_base = base
        if n == 0:
            self._voxel_keys = np.zeros(0, dtype=np.int64)
            self._voxel_order = np.zeros(0, dtype=np.int64)
            return
        a = self.area
        key = area_base[a] + (xs * area_h[a] + ys) * area_d[a] + zs
        # Stable sort: within a voxel, ids stay ascending.
        order = np.argsort(key, kind="stable")
        self._voxel_keys = key[order]
        self._voxel_order = order

    def voxel_neurons(self, area_index: int, xs, ys, zs):
        """For each voxel i, every neuron id of it, ascending; returns (ids, owner index i)."""
        if area_index not in self._dims:
            raise KeyError(f"unknown area index {area_index}")
        w, h, d = self._dims[area_index]
        xs = np.asarray(xs, dtype=np.int64)
        ys = np.asarray(ys, dtype=np.int64)
        zs = np.asarray(zs, dtype=np.int64)
        inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h) & (zs >= 0) & (zs < d)
        key = self._area_base[area_index] + (xs * h + ys) * d + zs
        key = np.where(inside, key, -1)
        lo = np.searchsorted(self._voxel_keys, key, side="left")
        hi = np.searchsorted(self._voxel_keys, key, side="right")
        lengths = np.where(inside, hi - lo, 0)
        pos = _ranges(lo, lengths)
        owner = np.repeat(np.arange(len(xs), dtype=np.int64), lengths)
        return self._voxel_order[pos], owner

    # ----- injection (SPEC 4.2) ---------------------------------------------

    def stage(self, ids, potentials) -> int:
        """Stages potentials[i] for neuron ids[i], in order; zero or non-finite skipped."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        p = np.asarray(potentials)
        p = (np.full(ids.shape, p) if p.ndim == 0 else p.ravel()).astype(np.float32)
        if ids.shape != p.shape:
            raise ValueError("ids and potentials differ in length")
        if len(ids) and (ids.min() < 0 or ids.max() >= self.n):
            raise IndexError("neuron id out of range")
        keep = np.isfinite(p) & (p != 0)
        # SPEC 4.2: staged potentials are clamped to [-1e30, 1e30].
        p = np.clip(p, F32(-1e30), F32(1e30)).astype(np.float32)
        if self.stats is not None:
            self.stats["staged"] += int(keep.sum())
            self.stats["staged_skipped"] += int((~keep).sum())
        self._staged_ids.append(ids[keep])
        self._staged_p.append(p[keep])
        return int(keep.sum())

    def stage_sensory(self, area_index: int, xs, ys, zs, potentials) -> int:
        """Stages potentials[i] for every neuron of voxel i of an area (ascending id).

        Voxels outside the area and zero or non-finite potentials are skipped.
        """
        xs = np.asarray(xs, dtype=np.int64).ravel()
        p = np.asarray(potentials)
        p = (np.full(xs.shape, p) if p.ndim == 0 else p.ravel()).astype(np.float32)
        ids, owner = self.voxel_neurons(area_index, xs, ys, zs)
        return self.stage(ids, p[owner])

    def clear_staged(self) -> None:
        """Drops the input staged through the API (pending replay stays, SPEC 6.2)."""
        self._staged_ids.clear()
        self._staged_p.clear()

    def staged_count(self) -> int:
        return int(sum(len(a) for a in self._staged_ids))

    # ----- propagation (SPEC 4.3) -------------------------------------------

    def _divisor(self, sources: np.ndarray) -> np.ndarray:
        """f32(outgoing(s)) per synapse source (a hook so tests can perturb it)."""
        return self.outgoing_f32[sources]

    def _psp_from_potential(self, v_fire: np.ndarray) -> np.ndarray:
        """mp_driven_psp: round_half_away(clamp(V_fire, 0, 255)) in float32 (a hook)."""
        return round_half_away_f32(np.clip(v_fire, F32(0.0), F32(255.0)))

    def synaptic_contributions(self, fq_ids: np.ndarray, fq_pot: np.ndarray):
        """(targets, contributions) of FQ(t-1), by ascending source then row order."""
        fq_ids = np.asarray(fq_ids, dtype=np.int64)
        fq_pot = np.asarray(fq_pot, dtype=np.float32)
        regular = fq_ids < self.n  # memory neurons (SPEC 6.2) have no synapses
        fq_ids, fq_pot = fq_ids[regular], fq_pot[regular]
        if len(fq_ids) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        order = np.argsort(fq_ids, kind="stable")  # already ascending; keep it so
        fq_ids = fq_ids[order]
        fq_pot = fq_pot[order]
        lengths = self.outgoing[fq_ids]
        syn = _ranges(self.row_start[fq_ids], lengths)
        src = np.repeat(fq_ids, lengths)
        c = self.syn_fixed_c[syn]
        mp = self.src_mp_driven[src]
        if mp.any():
            v_fire = np.repeat(fq_pot, lengths)[mp]
            psp_used = self._psp_from_potential(v_fire)
            c[mp] = self.syn_weight[syn[mp]] * psp_used  # exact: at most 255 * 255
        c = np.where(self.syn_inhibitory[syn], -c, c)
        divide = ~self.src_uniform[src]
        if divide.any():
            c[divide] = c[divide] / self._divisor(src[divide])
        if self.stats is not None:
            st = self.stats
            st["synaptic"] += len(syn)
            st["synaptic_mp_driven"] += int(mp.sum())
            st["synaptic_inhibitory"] += int(self.syn_inhibitory[syn].sum())
            st["synaptic_divided"] += int((divide & (self.outgoing[src] > 1)).sum())
            st["synaptic_uniform_multi"] += int((~divide & (self.outgoing[src] > 1)).sum())
        return self.syn_target[syn], c.astype(np.float32, copy=False)

    # ----- the burst (SPEC 4.1) ---------------------------------------------

    def _staged_inputs(self, t: int):
        """Phase 1a: the API-staged input in staging order, then the replay
        injections due at t (SPEC 6.2), as lists of (ids, values) chunks."""
        ids = list(self._staged_ids)
        vals = list(self._staged_p)
        if self.plasticity is not None:
            r_ids, r_vals = self.plasticity.replay_due(t)
            if len(r_ids):
                ids.append(r_ids)
                vals.append(r_vals)
        return ids, vals

    def _fcl_inputs(self, t: int):
        """Phase 1a-1d: (ids, values) in the exact order they are added."""
        ids, vals = self._staged_inputs(t)
        if self.power_neuron is not None:
            ids.append(np.array([self.power_neuron], dtype=np.int64))
            vals.append(np.array([self.power_amount], dtype=np.float32))
        if self.fatigue_active and self.fatigue_neuron is not None:
            ids.append(np.array([self.fatigue_neuron], dtype=np.int64))
            vals.append(np.array([self.power_amount], dtype=np.float32))
        targets, contributions = self.synaptic_contributions(*self.fire_queue)
        ids.append(targets)
        vals.append(contributions)
        return ids, vals

    def process_burst(self):
        """Runs one burst; returns (fired ids ascending as uint32, firing potentials float32)."""
        t = self.burst + 1
        # Phase 0: reset every non-accumulating neuron.
        self.V[self.non_accumulating] = F32(0.0)
        # Phase 1: the FCL, summed in order, each sum starting at +0.0.
        ids, vals = self._fcl_inputs(t)
        self.clear_staged()
        idx = np.concatenate(ids).astype(np.intp, copy=False) if ids else np.zeros(0, np.intp)
        val = np.concatenate(vals).astype(np.float32, copy=False) if vals else np.zeros(0, np.float32)
        fcl, touched = self._fcl, self._touched
        self._accumulate(fcl, idx, val)
        touched[idx] = True
        cand = np.flatnonzero(touched)
        sums = fcl[cand].copy()
        fcl[cand] = F32(0.0)
        touched[cand] = False
        # Phase 1e (M2): forced memory-neuron injections due at t. Memory
        # neurons get no other input (no synapses; staging rejects their ids).
        if self.plasticity is not None:
            m_ids, m_sums = self.plasticity.forced_due(t)
        else:
            m_ids, m_sums = np.zeros(0, np.int64), np.zeros(0, np.float32)
        # Phase 2: dynamics. A memory neuron fires iff a forced injection is
        # due, with V_fire = its FCL sum (SPEC 6.2), after the regular ids.
        fired, v_fire = self._dynamics(cand, sums, t)
        fired = np.concatenate([fired.astype(np.int64), m_ids]).astype(np.uint32)
        v_fire = np.concatenate([v_fire, m_sums]).astype(np.float32)
        self.burst = t
        self.fire_queue = (fired, v_fire)
        self.last_fcl = (np.concatenate([cand, m_ids]).astype(np.uint32),
                         np.concatenate([sums, m_sums]).astype(np.float32))
        # Phase 3: archive FQ(t), STDP, memory lifecycle, pattern detection,
        # replay scheduling (SPEC 4.1, 6).
        if self.plasticity is not None:
            self.plasticity.after_burst(t, fired)
        return self.fire_queue

    def _accumulate(self, fcl: np.ndarray, idx: np.ndarray, val: np.ndarray) -> None:
        """fcl[idx[i]] += val[i] for i in order, each add a float32 add (D8).

        ``np.add.at`` is unbuffered: repeated indices accumulate, one update
        at a time in index order, in the array's dtype (float32).
        """
        np.add.at(fcl, idx, val)

    def run(self, bursts: int):
        """Runs bursts without input; returns the list of (fired, potentials)."""
        return [self.process_burst() for _ in range(bursts)]

    # ----- dynamics (SPEC 4.4) ----------------------------------------------

    def _excited(self, ids: np.ndarray, t: int) -> np.ndarray:
        exc = self.excitability[ids]
        out = self.always_excited[ids].copy()
        draw = ~out & ~self.never_excited[ids]
        if draw.any():
            out[draw] = excitability_random(ids[draw], t) < exc[draw]
        return out

    def _dynamics(self, cand: np.ndarray, sums: np.ndarray, t: int):
        V = self.V
        rc_all = self.refractory_countdown
        cnt_all = self.consecutive_count

        rc = rc_all[cand]
        refractory = rc > 0

        # Refractory candidates: tick the countdown, drop the input, no leak.
        r_ids = cand[refractory]
        if len(r_ids):
            new_rc = rc[refractory] - np.uint16(1)
            rc_all[r_ids] = new_rc
            release = (new_rc == 0) & self.capped[r_ids] & (cnt_all[r_ids] >= self.cap[r_ids])
            cnt_all[r_ids[release]] = 0

        active = ~refractory
        a_ids = cand[active]
        v = V[a_ids] + sums[active]  # float32 + float32
        # SPEC 4.4: V saturates at the finite f32 range.
        v = np.clip(v, F32(-F32_MAX), F32(F32_MAX)).astype(np.float32)
        above = (v >= self.threshold[a_ids]) & (v <= self.threshold_limit[a_ids])
        capped = self.capped[a_ids]
        cnt = cnt_all[a_ids]
        blocked = above & capped & (cnt >= self.cap[a_ids])
        trying = above & ~blocked
        fire = np.zeros(len(a_ids), dtype=bool)
        if trying.any():
            fire[trying] = self._excited(a_ids[trying], t)
        rest = ~fire & ~blocked

        # Blocked by the consecutive cap: count reset, V kept (input included), no leak.
        new_v = v.copy()
        new_cnt = cnt.copy()
        new_cnt[blocked] = 0
        # Not fired (below threshold, above the limit, or excitability miss): leak.
        new_cnt[rest & capped] = 0
        new_v[rest] = self._leak(v[rest], a_ids[rest])
        # Fired: V_fire reported, V := 0, count saturating, refractory countdown.
        f_ids = a_ids[fire]
        v_fire = v[fire]
        new_v[fire] = F32(0.0)
        f_cnt = np.minimum(cnt[fire].astype(np.uint32) + 1, U16_MAX).astype(np.uint16)
        new_cnt[fire] = f_cnt
        hit_cap = self.capped[f_ids] & (f_cnt >= self.cap[f_ids])
        rc_all[f_ids] = np.where(hit_cap, self.snooze_countdown[f_ids], self.refractory_period[f_ids])

        V[a_ids] = new_v
        cnt_all[a_ids] = new_cnt
        if self.stats is not None:
            st = self.stats
            st["candidates"] += len(cand)
            st["refractory_dropped"] += len(r_ids)
            st["refractory_cap_release"] += int(release.sum()) if len(r_ids) else 0
            st["limit_rejected"] += int(((v >= self.threshold[a_ids]) & ~above).sum())
            st["cap_blocked"] += int(blocked.sum())
            st["excitability_draws"] += int(
                (trying & ~self.always_excited[a_ids] & ~self.never_excited[a_ids]).sum())
            st["excitability_missed"] += int((trying & ~fire).sum())
            st["fired"] += len(f_ids)
            st["fired_hit_cap_snooze"] += int((hit_cap & (self.snooze[f_ids] > 0)).sum())
            st["leaked"] += int((rest & (self.retain[a_ids] != 1)).sum())
            st["negative_v"] += int((new_v < 0).sum())
            st["count_saturated"] += int((f_cnt == U16_MAX).sum())
        return f_ids, v_fire.astype(np.float32, copy=False)

    def _leak(self, v: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """V * f32(1 - leak) (a hook so tests can perturb it)."""
        return v * self.retain[ids]

    # ----- convenience -------------------------------------------------------

    def state(self):
        """Copies of (V, refractory countdowns, consecutive counts)."""
        return self.V.copy(), self.refractory_countdown.copy(), self.consecutive_count.copy()

"""Conformance of the Rust engine's plasticity and memory (SPEC 6) with the numpy reference.

The reference (python/reference/plasticity.py) implements SPEC 6, 6.1, 6.2
and the phase order of 4.1 from the spec alone. Both engines run burst by
burst on the same input, with plasticity on, and ``harness.lockstep``
compares every burst: the fired ids and firing potentials (memory neurons
included, bit for bit), the FCL of the regular neurons, the memory neurons
fired, the synapse count, every STDP pair's (sources, targets, weights) in
row order (created synapses included) and the plasticity counters
(``BurstResult.plasticity`` against the reference's own count); and at
checkpoints the whole synapse table, the memory neurons (lifespan, long-term
flag, hash, replay frames, ...) and the pending forced and replay injections.

Workloads (SPEC 6.1 is a co-activity rule, so input is HELD for 5 to 20
bursts like a camera frame):

* random hand-built networks with STDP pairs (self-pairs, both directions,
  bidirectional, W 1..4, saturating steps, Ld = 0, C < 0), memory areas
  (temporal_depth 1..3, one of them upstream of another) and twins of other
  dimensions, 20 networks of 250 bursts;
* a plastic variant of community_gesture_recognition.json built here from the
  JSON (easier thresholds, larger multipliers, an associative_memory pair,
  a memory area with depth 2 and short lifespans, three twins), 300 bursts;
* every genome of $FEAGI_GENOMES is run with plasticity on by
  test_reference_conformance.py (held input, the same comparisons).

Then each deliberately wrong variant of reference/perturbed.py
(``PLASTICITY_PERTURBATIONS``) must diverge from the engine on these
workloads, with the engine's counters left out of the comparison so that the
divergence shows in behaviour or state.
"""

import collections
import functools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import feagi_rust

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import MEMORY_ID_BASE, ReferenceNPU  # noqa: E402
from reference.harness import (  # noqa: E402
    GenomeInput,
    HeldInput,
    build_plastic_network,
    genome_input_areas,
    ledger_history,
    lockstep,
    plasticity_depth,
)
from reference.perturbed import PLASTICITY_PERTURBATIONS  # noqa: E402
from reference.plasticity import STAT_KEYS  # noqa: E402

NETWORK_SEEDS = range(20)
NETWORK_BURSTS = 250
VARIANT_BURSTS = 300
VARIANT_BASE = "community_gesture_recognition.json"


# ----- workloads ------------------------------------------------------------------


def _network_run(seed, reference_class=ReferenceNPU, check_counters=True, memory_every=5):
    net = build_plastic_network(seed, feagi_rust)
    ref = reference_class(net.npu.export_connectome())
    feed = HeldInput(net.input_areas, net.neuron_count, 30_000 + seed)
    report = lockstep(net.npu, ref, NETWORK_BURSTS, feed, state_every=20,
                      memory_every=memory_every, check_counters=check_counters)
    return report, net, ref


@functools.lru_cache(maxsize=None)
def _network_control(seed):
    """The conforming run of a network (cached: several tests read it)."""
    report, net, ref = _network_run(seed)
    return report, net.description, dict(ref.plasticity.totals)


def plastic_genome_variant(genomes_dir) -> str:
    """community_gesture_recognition.json made to learn, as a JSON string.

    * iv00_C__ (64x64 camera input): threshold 102 -> 2, no consecutive cap, no
      accumulation, so a held frame fires the same voxels every burst;
    * i___id__ -> o___id__ block_to_block becomes plastic (C 3, Lp 2, Ld 1,
      W 2); i___id__ also drives the memory area's regular neuron MLIcom__, so
      the genome's own plastic MLIcom__ -> o___id__ rule (Lp 100) potentiates
      and saturates;
    * CUQges__ -> CM9ges__ gets an associative_memory rule (C 2, Lp 3, Ld 1,
      W 3): a bidirectional pair both ways (the loader mirrors it) that
      creates synapses;
    * memory area MLIcom__: temporal_depth 2, init_lifespan 5, growth 2,
      long-term at 12; upstream only CQUdow__ (16x16) and CYIdow__ (8x8),
      which a held frame drives steadily (their episodic_memory rules stay;
      those of C76ges__ and COEges__ are removed), so patterns recur;
    * twins: o__loc__ (32x32) and iv00BL__ (8x8x3, an input area, so replay
      meets API input) of CQUdow__, ov_enh__ (3x1x10) of CYIdow__; parts of
      the replayed voxels fall outside the smaller twins.
    """
    g = json.loads((genomes_dir / VARIANT_BASE).read_text())
    bp = g["blueprint"]
    p = "_____10c-"
    bp[p + "iv00_C-nx-fire_t-f"] = 2.0
    bp[p + "iv00_C-nx-c_fr_c-i"] = 0
    bp[p + "iv00_C-nx-mp_acc-b"] = False
    bp[p + "i___id-cx-dstmap-d"]["o___id"][0] = ["block_to_block", [1, 1, 1], 55, True, 3, 2, 1, 2]
    bp[p + "i___id-cx-dstmap-d"]["MLIcom"] = [["block_to_block", [1, 1, 1], 4, False]]
    bp[p + "CUQges-cx-dstmap-d"]["CM9ges"] = [["associative_memory", [1, 1, 1], 1, False, 2, 3, 1, 3]]
    del bp[p + "C76ges-cx-dstmap-d"]["MLIcom"]
    del bp[p + "COEges-cx-dstmap-d"]["MLIcom"]
    bp[p + "MLIcom-cx-tmpdpt-i"] = 2
    bp[p + "MLIcom-cx-mem__t-i"] = 12
    bp[p + "MLIcom-cx-mem_gr-i"] = 2
    bp[p + "MLIcom-cx-mem_ls-i"] = 5
    bp[p + "o__loc-cx-twinrf-t"] = "CQUdow"
    bp[p + "iv00BL-cx-twinrf-t"] = "CQUdow"
    bp[p + "ov_enh-cx-twinrf-t"] = "CYIdow"
    return json.dumps(g)


def _variant_run(genomes_dir, reference_class=ReferenceNPU, check_counters=True, memory_every=10):
    npu = feagi_rust.RustNPU.from_genome(plastic_genome_variant(genomes_dir))
    export = npu.export_connectome()
    ref = reference_class(export)
    areas, _ = genome_input_areas(
        export["areas"], export["synapses"]["target"].astype(np.int64), export["neurons"]["area"]
    )
    report = lockstep(npu, ref, VARIANT_BURSTS, GenomeInput(areas, 7, hold=(5, 20)), state_every=50,
                      memory_every=memory_every, check_counters=check_counters)
    return report, npu, ref


# ----- random networks -------------------------------------------------------------


@pytest.mark.parametrize("seed", NETWORK_SEEDS)
def test_plastic_network_conformance(seed):
    report, _, totals = _network_control(seed)
    assert report.mismatch is None, f"plastic network seed {seed}: {report.mismatch}"
    assert report.bursts == NETWORK_BURSTS
    # The engine's counters equal the reference's (checked every burst by lockstep).
    assert {k: report.rust_plasticity[k] for k in STAT_KEYS} == {k: totals.get(k, 0) for k in STAT_KEYS}
    # Held input really potentiates, and depresses, in every network.
    assert report.rust_plasticity["potentiations"] > 0, dict(report.rust_plasticity)
    assert report.rust_plasticity["depressions"] > 0, dict(report.rust_plasticity)
    assert report.rust_plasticity["memory_born"] > 0 and report.memory_fired_total > 0


def test_plastic_networks_cover_section_6():
    """Over all networks: every rule of SPEC 6.1 / 6.2 applied and every kind
    of registration occurs (counted by the engine and by the reference)."""
    rust, ref = collections.Counter(), collections.Counter()
    pairs, depths, relations, twins = [], set(), [], []
    for seed in NETWORK_SEEDS:
        report, description, totals = _network_control(seed)
        assert report.mismatch is None, f"plastic network seed {seed}: {report.mismatch}"
        rust.update(report.rust_plasticity)
        ref.update(totals)
        pairs.extend(description["pairs"].items())
        depths |= {genes["temporal_depth"] for _, genes in description["memory"]}
        relations.extend(description["relations"])
        twins.extend(description["twins"])
    for key in ("potentiations", "depressions", "synapses_created", "memory_born",
                "memory_reactivated", "memory_died", "memory_long_term", "replay_injections"):
        assert rust[key] > 0, f"the networks never produced {key}: {dict(rust)}"
    for key in ("x_ltp_saturated", "x_ltd_saturated", "x_unchanged_neither_fired", "x_pairs_skipped_window",
                "x_replay_voxels_outside", "x_replay_zero_potential", "x_replay_from_dead",
                "x_memory_neurons_dropped", "x_clear_with_replay_due"):
        assert ref[key] > 0, f"the networks never exercised {key}: {dict(ref)}"
    keys = {ab for ab, _ in pairs}
    assert any(a == b for a, b in keys), "no self-pair"
    assert any((b, a) in keys for a, b in keys if a != b), "no pair registered in both directions"
    assert any(p["bidirectional"] for _, p in pairs), "no bidirectional pair"
    assert {p["window"] for _, p in pairs} == {1, 2, 3, 4}
    assert any(p["ltd_multiplier"] == 0 for _, p in pairs), "no Ld = 0"
    assert any(p["plasticity_constant"] * p["ltp_multiplier"] >= 255 for _, p in pairs), "no saturating step"
    assert any(p["plasticity_constant"] < 0 for _, p in pairs), "no negative C"
    assert depths == {1, 2, 3}
    memory_areas = {m for _, m in relations}
    assert any(u in memory_areas for u, _ in relations), "no memory area upstream of another"
    assert any(of in memory_areas for _, of in twins), "no twin of a memory area"


@pytest.mark.parametrize("seed", [1, 4, 8])
def test_plastic_export_taken_mid_run(seed):
    """A reference built from an export after 40 bursts (changed and created
    synapses, memory neurons alive and dead, pending forced and replay
    injections) plus the engine's ledger frames continues exactly like the
    engine (SPEC 6.3)."""
    net = build_plastic_network(seed, feagi_rust)
    feed = HeldInput(net.input_areas, net.neuron_count, 40_000 + seed)
    for t in range(1, 41):
        for op in feed(t):
            op.to_rust(net.npu)
        net.npu.process_burst()
    export = net.npu.export_connectome()
    pl = export["plasticity"]
    assert export["burst"] == 40 and pl["enabled"]
    assert pl["memory_neurons"] and (pl["forced"] or pl["replay"])
    ref = ReferenceNPU(export, ledger=ledger_history(net.npu, plasticity_depth(export)))
    report = lockstep(net.npu, ref, 60, feed, state_every=10, memory_every=1)
    assert report.mismatch is None, f"plastic network seed {seed}: {report.mismatch}"


# ----- the genome variant ------------------------------------------------------------


def test_plastic_genome_variant_conformance(genomes_dir):
    npu = feagi_rust.RustNPU.from_genome(plastic_genome_variant(genomes_dir))
    pairs = npu.get_stdp_pairs()
    assert [(p["source"], p["destination"], p["bidirectional"]) for p in pairs] == [
        ("CM9ges__", "CUQges__", True), ("CUQges__", "CM9ges__", True),
        ("MLIcom__", "o___id__", False), ("i___id__", "o___id__", False)]
    pl = npu.export_connectome()["plasticity"]
    assert [(g["temporal_depth"], g["init_lifespan"]) for g in pl["memory_areas"]] == [(2, 5)]
    assert len(pl["memory_twins"]) == 3

    report, npu, ref = _variant_run(genomes_dir)
    assert report.mismatch is None, str(report.mismatch)
    counts = report.rust_plasticity
    for key in ("potentiations", "depressions", "synapses_created", "memory_born", "memory_reactivated",
                "memory_died", "memory_long_term", "replay_injections"):
        assert counts[key] > 0, f"the genome variant never produced {key}: {dict(counts)}"
    totals = ref.plasticity.totals
    assert totals["x_ltp_saturated"] > 0 and totals["x_replay_voxels_outside"] > 0
    assert report.memory_fired_total > 0
    # Memory neurons are reported apart from the regular ones.
    memory = npu.get_memory_neurons("MLIcom")
    assert memory and all(m["id"] >= MEMORY_ID_BASE for m in memory)
    assert npu.memory_neuron_count() == sum(m["alive"] for m in memory)
    assert npu.get_plasticity_stats() == dict.fromkeys(STAT_KEYS, 0) | {
        k: v for k, v in ref.plasticity.burst_stats.items() if k in STAT_KEYS}


# ----- the comparison catches wrong rules -----------------------------------------------


@pytest.mark.parametrize("name", sorted(PLASTICITY_PERTURBATIONS))
def test_perturbed_plasticity_diverges_on_random_networks(name):
    """Same networks, same input: the reference conforms (above), the perturbed
    variant does not. The engine's counters are not compared here."""
    cls = PLASTICITY_PERTURBATIONS[name]
    diverged = []
    for seed in NETWORK_SEEDS:
        report, _, _ = _network_run(seed, cls, check_counters=False, memory_every=1)
        if report.mismatch is not None:
            diverged.append(seed)
            if len(diverged) == 2:
                break
    assert diverged, f"{name} was not detected on any of the plastic networks"


@pytest.mark.parametrize("name", sorted(PLASTICITY_PERTURBATIONS))
def test_perturbed_plasticity_diverges_on_the_genome_variant(genomes_dir, name):
    report, _, _ = _variant_run(genomes_dir, PLASTICITY_PERTURBATIONS[name], check_counters=False,
                                memory_every=1)
    assert report.mismatch is not None, f"{name} was not detected on the genome variant"


def test_hand_built_registrations_are_exported():
    """add_stdp_pair / add_memory_area / add_memory_relation / add_memory_twin
    show up in get_stdp_pairs() and the export the reference is built from."""
    npu = feagi_rust.RustNPU()
    for cid in ("___death", "___power", "___fatig"):
        npu.add_neuron(npu.register_area(cid))
    a = npu.register_area("cA____", (2, 1, 1))
    m = npu.register_area("cMem__", (1, 1, 1), kind="MEMORY")
    t = npu.register_area("cTwin_", (1, 1, 1))
    for x in range(2):
        npu.add_neuron(a, x)
    npu.add_neuron(t)
    npu.add_synapse(3, 4, 7, 2, 0)
    npu.add_stdp_pair(a, a, window=2, plasticity_constant=3, ltp_multiplier=2, ltd_multiplier=0,
                      bidirectional=True)
    npu.add_memory_area(m, temporal_depth=3, longterm_mem_threshold=4, lifespan_growth_rate=0,
                        init_lifespan=2)
    npu.add_memory_relation(a, m)
    npu.add_memory_twin(t, a)
    (pair,) = npu.get_stdp_pairs()
    got = [pair[k] for k in ("source_area", "destination_area", "window", "bidirectional",
                             "plasticity_constant", "ltp_multiplier", "ltd_multiplier")]
    assert got == [a, a, 2, True, 3, 2, 0]
    pl = npu.export_connectome()["plasticity"]
    assert pl["memory_areas"] == [dict(area=m, temporal_depth=3, longterm_mem_threshold=4,
                                       lifespan_growth_rate=0, init_lifespan=2)]
    assert pl["memory_relations"] == [(a, m)] and pl["memory_twins"] == [(t, a)]
    src, dst, w = npu.get_synapse_weights(a, a)
    assert src.tolist() == [3] and dst.tolist() == [4] and w.tolist() == [7]
    ref = ReferenceNPU(npu.export_connectome())
    # Both neurons of A fire in bursts 1 and 2: at t = 2 (W = 2) 3->4 gains
    # d_plus = 6, then the missing 3->3, 4->3, 4->4 are appended with weight 6
    # and A's PSP (1), not updated in the burst that created them.
    feed = lambda t: [_StageIds([3, 4], [1.0, 1.0])] if t <= 2 else []  # noqa: E731
    report = lockstep(npu, ref, 2, feed, state_every=1, memory_every=1)
    assert report.mismatch is None, str(report.mismatch)
    src, dst, w = npu.get_synapse_weights(a, a)
    assert list(zip(src.tolist(), dst.tolist(), w.tolist())) == [(3, 4, 13), (3, 3, 6), (4, 3, 6), (4, 4, 6)]
    assert report.rust_plasticity["synapses_created"] == 3
    # Then the memory area (depth 3) learns A's pattern at t = 3; its neuron fires at t = 4.
    report = lockstep(npu, ref, 4, feed, state_every=1, memory_every=1)
    assert report.mismatch is None, str(report.mismatch)
    assert report.memory_fired_total >= 1 and report.rust_plasticity["memory_born"] >= 1
    # BurstResult reports the memory neurons fired and the burst's counters.
    result = npu.process_burst()
    fired, _ = ref.process_burst()
    assert result.memory_fired == int((fired >= MEMORY_ID_BASE).sum())
    assert result.plasticity == npu.get_plasticity_stats()
    assert result.plasticity == {k: ref.plasticity.burst_stats.get(k, 0) for k in STAT_KEYS}


class _StageIds:
    def __init__(self, ids, potentials):
        self.ids = np.asarray(ids, dtype=np.uint32)
        self.potentials = np.asarray(potentials, dtype=np.float32)

    def to_rust(self, npu):
        return npu.inject_sensory_batch(self.ids, self.potentials)

    def to_reference(self, ref):
        return ref.stage(self.ids, self.potentials)

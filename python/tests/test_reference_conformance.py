"""Conformance of the Rust engine with the numpy reference NPU (docs/REFERENCE.md).

Both engines start from the same connectome (the reference is built from
``RustNPU.export_connectome()``), receive the same seeded input and run burst
by burst; every burst the fired ids, the firing potentials and the FCL
(candidates and sums) must be identical, float32 values bit for bit, and the
membrane potentials, refractory countdowns and consecutive counts of every
neuron must match at checkpoints and at the end.

Genomes load with plasticity on (the default of ``from_genome``): the
reference then runs SPEC 6 too, and every burst the weights of every STDP
pair (created synapses included, row order) and the plasticity counters are
compared as well, and the whole synapse table and the memory state at the
checkpoints (see test_reference_plasticity.py for the plastic workloads).

* every genome of $FEAGI_GENOMES that loads (the one that must fail is checked
  to fail), 300 bursts of random sensory input, each frame held for 5 to 20
  bursts (SPEC 6.1 potentiates only co-activity over the whole window);
* 60 random hand-built networks, 60 bursts each, state compared every burst;
* targeted cases: mp_driven_psp rounding corners, an export taken mid-run,
  the saturating consecutive count;
* deliberately perturbed references, each of which must DIVERGE (so the
  comparison provably can fail).
"""

import collections
import os
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

import feagi_rust

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import ReferenceNPU  # noqa: E402
from reference.harness import (  # noqa: E402
    CORE_IDS,
    GenomeInput,
    RandomInput,
    build_random_network,
    genome_input_areas,
    lockstep,
)
from reference.perturbed import PERTURBATIONS  # noqa: E402

MUST_FAIL = "py_brightness_change_detection.json"
GENOME_BURSTS = 300
NETWORK_SEEDS = range(60)
NETWORK_BURSTS = 60


def _corpus_names():
    value = os.environ.get("FEAGI_GENOMES")
    if value and Path(value).is_dir():
        return sorted(p.name for p in Path(value).glob("*.json"))
    # The genomes_dir fixture fails (under CI) or skips with the reason.
    return ["<FEAGI_GENOMES corpus unavailable>"]


def _genome_run(path, seed, reference_class=ReferenceNPU, bursts=GENOME_BURSTS, hold=None, **kwargs):
    npu = feagi_rust.RustNPU.from_genome(str(path))
    export = npu.export_connectome()
    ref = reference_class(export, **kwargs)
    areas, _ = genome_input_areas(
        export["areas"], export["synapses"]["target"].astype(np.int64), export["neurons"]["area"]
    )
    report = lockstep(npu, ref, bursts, GenomeInput(areas, seed, hold=hold), state_every=50)
    return report, areas, npu


def _network_run(seed, reference_class=ReferenceNPU, bursts=NETWORK_BURSTS, **kwargs):
    net = build_random_network(seed, feagi_rust)
    ref = reference_class(net.npu.export_connectome(), **kwargs)
    report = lockstep(net.npu, ref, bursts, RandomInput(net, 10_000 + seed), state_every=1)
    return report, net, ref


# ----- real genomes -------------------------------------------------------------


@pytest.mark.parametrize("name", _corpus_names())
def test_genome_conformance(genomes_dir, name):
    path = genomes_dir / name
    assert path.is_file(), f"{name} is missing from {genomes_dir}"
    if name == MUST_FAIL:
        with pytest.raises(feagi_rust.GenomeError):
            feagi_rust.RustNPU.from_genome(str(path))
        return
    seed = zlib.crc32(name.encode())
    report, areas, npu = _genome_run(path, seed, hold=(5, 20))
    assert report.mismatch is None, f"{name}: {report.mismatch}"
    assert report.bursts == GENOME_BURSTS and npu.burst_count() == GENOME_BURSTS
    assert areas and report.staged_total > 0
    # More than the power neuron fired: the input reached the network.
    assert report.fired_total > GENOME_BURSTS
    # Plasticity ran: every genome with STDP pairs changed weights (the
    # shipped ones mostly depress: their plastic targets rarely fire for a
    # whole window; the variant of test_reference_plasticity.py potentiates).
    if npu.get_stdp_pairs():
        learned = report.rust_plasticity
        assert learned["potentiations"] + learned["depressions"] > 0, dict(learned)


def test_genome_input_area_choice(genomes_dir):
    """IPU areas when present; the barebones genomes (no IPU, no other area) use the core areas."""
    for name, expected in (("core_vision_genome.json", "IPU areas"),
                           ("py_barebones_genome.json", "core areas (no other candidates)")):
        export = feagi_rust.RustNPU.from_genome(str(genomes_dir / name)).export_connectome()
        areas, why = genome_input_areas(
            export["areas"], export["synapses"]["target"].astype(np.int64), export["neurons"]["area"]
        )
        assert why == expected
        if why == "IPU areas":
            assert all(a["kind"] == "IPU" for a in areas) and len(areas) == 9
        else:
            assert [a["cortical_id"] for a in areas] == list(CORE_IDS)


# ----- random hand-built networks ----------------------------------------------


@pytest.mark.parametrize("seed", NETWORK_SEEDS)
def test_random_network_conformance(seed):
    report, net, _ = _network_run(seed)
    assert report.mismatch is None, f"network seed {seed}: {report.mismatch}"
    assert report.bursts == NETWORK_BURSTS
    assert report.fired_total > NETWORK_BURSTS and report.staged_total > 0


def test_random_networks_exercise_every_rule():
    """The random workload reaches every branch of SPEC 4.3 / 4.4 (counted by the reference)."""
    stats = collections.Counter()
    for seed in list(NETWORK_SEEDS)[:20]:
        report, _, ref = _network_run(seed, track_stats=True)
        assert report.mismatch is None, f"network seed {seed}: {report.mismatch}"
        stats.update(ref.stats)
    for rule in ("staged_skipped", "refractory_dropped", "refractory_cap_release", "limit_rejected",
                 "cap_blocked", "excitability_draws", "excitability_missed", "fired_hit_cap_snooze",
                 "leaked", "negative_v", "synaptic_mp_driven", "synaptic_inhibitory",
                 "synaptic_divided", "synaptic_uniform_multi"):
        assert stats[rule] > 0, f"the random networks never exercised {rule}: {dict(stats)}"


# ----- targeted cases ----------------------------------------------------------


def _core_npu():
    npu = feagi_rust.RustNPU()
    for cid in CORE_IDS:
        npu.add_neuron(npu.register_area(cid))
    return npu


def test_mp_driven_psp_rounding_corners():
    """round_half_away in f32: 0.49999997 + 0.5 rounds to 1.0, so it drives PSP 1 (SPEC 0, 4.3)."""
    v = np.array([0.49999997, 0.49999994, 0.5, 1.4999999, 2.5, 254.5, 254.49998, 300.7, 7.4, 7.5,
                  -3.0], dtype=np.float32)
    npu = _core_npu()
    src = npu.register_area("cSrc__", (len(v), 1, 1))
    dst = npu.register_area("cDst__", (len(v), 1, 1))
    first_src = npu.add_neuron(src, 0, threshold=-10.0)
    for i in range(1, len(v)):
        npu.add_neuron(src, i, threshold=-10.0)
    first_dst = npu.add_neuron(dst, 0, threshold=1e9)
    for i in range(1, len(v)):
        npu.add_neuron(dst, i, threshold=1e9)
    for i in range(len(v)):
        npu.add_synapse(first_src + i, first_dst + i, 2, 9, 0)
    npu.update_cortical_area(src, mp_driven_psp=True, psp_uniform_distribution=True)
    ref = ReferenceNPU(npu.export_connectome())
    ids = np.arange(first_src, first_src + len(v))
    feed = iter([[_Stage(ids, v)], []])
    report = lockstep(npu, ref, 2, lambda t: next(feed))
    assert report.mismatch is None, str(report.mismatch)
    sums = dict(zip(ref.last_fcl[0].tolist(), ref.last_fcl[1].tolist()))
    got = [sums[first_dst + i] for i in range(len(v))]
    assert got == [2.0, 0.0, 2.0, 2.0, 6.0, 510.0, 508.0, 510.0, 14.0, 16.0, 0.0]


class _Stage:
    def __init__(self, ids, potentials):
        self.ids, self.potentials = ids, potentials

    def to_rust(self, npu):
        return npu.inject_sensory_batch(self.ids, self.potentials)

    def to_reference(self, ref):
        return ref.stage(self.ids, self.potentials)


@pytest.mark.parametrize("seed", [3, 11, 27])
def test_export_taken_mid_run(seed):
    """A reference built from an export after 30 bursts (non-empty fire queue, charged neurons,
    running countdowns) continues exactly like the engine."""
    net = build_random_network(seed, feagi_rust)
    feed = RandomInput(net, 20_000 + seed)
    for t in range(1, 31):
        for op in feed(t):
            op.to_rust(net.npu)
        net.npu.process_burst()
    export = net.npu.export_connectome()
    assert export["burst"] == 30
    ref = ReferenceNPU(export)
    report = lockstep(net.npu, ref, 40, feed, state_every=1)
    assert report.mismatch is None, f"network seed {seed}: {report.mismatch}"


def test_export_taken_mid_run_genome(genome_path):
    npu = feagi_rust.RustNPU.from_genome(str(genome_path("core_essential_genome.json")))
    export = npu.export_connectome()
    areas, _ = genome_input_areas(
        export["areas"], export["synapses"]["target"].astype(np.int64), export["neurons"]["area"]
    )
    feed = GenomeInput(areas, 5)
    for t in range(1, 51):
        for op in feed(t):
            op.to_rust(npu)
        npu.process_burst()
    ref = ReferenceNPU(npu.export_connectome())
    assert len(ref.fire_queue[0]) > 0
    report = lockstep(npu, ref, 50, feed, state_every=10)
    assert report.mismatch is None, str(report.mismatch)


@pytest.mark.parametrize("cap", [0, 65535])
def test_saturating_consecutive_count(cap):
    """A self-exciting unlimited neuron fires 65,540 times in the engine; the reference built
    from that state agrees that the count saturates at 65535 and never blocks."""
    npu = _core_npu()
    area = npu.register_area("cSelf_", (1, 1, 1))
    n = npu.add_neuron(area, threshold=0.5, consecutive_fire_limit=cap)
    npu.add_synapse(n, n, 1, 1, 0)
    npu.inject_sensory_batch([n], [1.0])
    counts = npu.run(65540, record=False)
    assert counts.min() >= 1
    export = npu.export_connectome()
    assert int(export["neurons"]["consecutive_fire_count"][n]) == 65535
    ref = ReferenceNPU(export)
    report = lockstep(npu, ref, 20, state_every=1)
    assert report.mismatch is None, str(report.mismatch)
    assert report.fired_total == 40  # the power neuron and this one, every burst


# ----- the comparison can fail ---------------------------------------------------

# A genome on which each perturbation shows (the rest need excitability below 1
# or mp_driven_psp, which no shipped genome uses; the random networks cover them).
GENOME_WITNESS = {
    "NoOutgoingDivision": "py_motor_babble_genome.json",
    "LeakWhenCapBlocked": "py_motor_babble_genome.json",
    "RefractoryKeepsInput": "py_motor_babble_genome.json",
    "NoPhase0Reset": "py_motor_babble_genome.json",
    "Float64Accumulation": "py_motor_babble_genome.json",
    "SynapticBeforeStaged": "py_motor_babble_genome.json",
}


@pytest.mark.parametrize("name", sorted(PERTURBATIONS))
def test_perturbed_reference_diverges_on_random_networks(name):
    """Same networks, same input: the reference conforms, the perturbed variant does not."""
    diverged = []
    for seed in range(8):
        control, _, _ = _network_run(seed)
        assert control.mismatch is None, f"network seed {seed}: {control.mismatch}"
        report, _, _ = _network_run(seed, PERTURBATIONS[name])
        if report.mismatch is not None:
            diverged.append(seed)
    assert diverged, f"{name} was not detected on any of the random networks"


@pytest.mark.parametrize("name", sorted(GENOME_WITNESS))
def test_perturbed_reference_diverges_on_a_genome(genome_path, name):
    path = genome_path(GENOME_WITNESS[name])
    control, _, _ = _genome_run(path, 99, bursts=100)
    assert control.mismatch is None, str(control.mismatch)
    report, _, _ = _genome_run(path, 99, PERTURBATIONS[name], bursts=100)
    assert report.mismatch is not None, f"{name} was not detected on {path.name}"

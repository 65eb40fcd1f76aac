"""The numpy reference NPU (python/reference) against the spec's own examples.

These tests need no Rust: they build export dicts by hand and check the
reference against SPEC 7.1 (pcg hash, excitability), 4.1 (FCL order), 4.3
(propagation) and 4.4 / section 8 (dynamics patterns), so the reference is
pinned to the spec independently of the engine it is compared with in
test_reference_conformance.py.
"""

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference import (  # noqa: E402
    F32_0_999,
    ReferenceNPU,
    excitability_random,
    pcg_hash,
    round_half_away_f32,
)

M32 = 0xFFFFFFFF


def f32_bits(x):
    return int(np.array([x], dtype=np.float32).view(np.uint32)[0])


def make_export(n, *, synapses=(), power_neuron=None, power_amount=1.0, fatigue=False,
                uniform=False, mp_driven=False, dims=None, coords=None, **params):
    """A minimal export dict: one area (index 0) holding neurons 0..n-1."""
    defaults = dict(
        membrane_potential=0.0, threshold=1.0, threshold_limit=np.inf, leak=0.0, excitability=1.0,
        refractory_period=0, refractory_countdown=0, consecutive_fire_limit=0,
        consecutive_fire_count=0, snooze_period=0, mp_charge_accumulation=True,
    )
    dtypes = dict(
        membrane_potential=np.float32, threshold=np.float32, threshold_limit=np.float32,
        leak=np.float32, excitability=np.float32, refractory_period=np.uint16,
        refractory_countdown=np.uint16, consecutive_fire_limit=np.uint16,
        consecutive_fire_count=np.uint16, snooze_period=np.uint16, mp_charge_accumulation=bool,
    )
    defaults.update(params)
    neurons = {k: np.broadcast_to(np.asarray(v, dtype=dtypes[k]), (n,)).copy() for k, v in defaults.items()}
    if coords is None:
        coords = (np.arange(n), np.zeros(n), np.zeros(n))
    neurons["x"], neurons["y"], neurons["z"] = (np.asarray(c, dtype=np.uint32) for c in coords)
    neurons["area"] = np.zeros(n, dtype=np.uint32)
    syn = sorted(synapses, key=lambda s: s[0])  # stable: row order per source kept
    cols = list(zip(*syn)) if syn else [(), (), (), (), ()]
    synapse_dict = {
        "source": np.array(cols[0], dtype=np.uint32),
        "target": np.array(cols[1], dtype=np.uint32),
        "weight": np.array(cols[2], dtype=np.uint8),
        "psp": np.array(cols[3], dtype=np.uint8),
        "type": np.array(cols[4], dtype=np.uint8),
    }
    area = {
        "index": 0, "cortical_id": "cTest___", "kind": "CUSTOM",
        "dimensions": dims or (n, 1, 1), "neurons_per_voxel": 1, "first_neuron": 0,
        "neuron_count": n,
        "properties": {"psp_uniform_distribution": uniform, "mp_driven_psp": mp_driven},
    }
    return {
        "neurons": neurons, "synapses": synapse_dict, "areas": [area],
        "fire_queue": {"neuron_ids": np.zeros(0, np.uint32), "potentials": np.zeros(0, np.float32)},
        "burst": 0,
        "config": {"power_amount": power_amount, "fatigue_active": fatigue},
        "power_neuron": power_neuron,
    }


def run_pattern(ref, neuron, inputs):
    """Stages inputs[t] (None = nothing) into ``neuron`` before burst t+1; returns the '1_' pattern."""
    out = []
    for p in inputs:
        if p is not None:
            ref.stage([neuron], [p])
        fired, _ = ref.process_burst()
        out.append("1" if neuron in fired.tolist() else "_")
    return "".join(out)


# ----- SPEC 7.1 -------------------------------------------------------------


def test_pcg_hash_vectors():
    assert pcg_hash([0, 1, 42]).tolist() == [129708002, 2831084092, 1223963391]


@pytest.mark.parametrize(
    "neuron, t, h, r_bits",
    [
        (0, 1, 2155229494, 0x3F007631),
        (1, 1, 3993518367, 0x3F6E0841),
        (42, 100, 3180583298, 0x3F3D93DA),
        (42, 101, 1886292942, 0x3EE0DD18),
        (7, 3, 1327727909, 0x3E9E470A),
        (1000, 12345, 2583288933, 0x3F19F9DC),
    ],
)
def test_excitability_random_vectors(neuron, t, h, r_bits):
    key = (neuron * 2654435761 + t * 1597334677) & M32
    assert int(pcg_hash([key])[0]) == h
    r = excitability_random(np.array([neuron]), t)
    assert r.dtype == np.float32
    assert f32_bits(r[0]) == r_bits


def _scalar_excitability_random(neuron, t):
    """SPEC 7.1 written with Python integers and struct, one value at a time."""
    key = (neuron * 2654435761 + (t % 2**32) * 1597334677) & M32
    state = (key * 747796405 + 2891336453) & M32
    word = (((state >> ((state >> 28) + 4)) ^ state) * 277803737) & M32
    h = ((word >> 22) ^ word) & M32
    return struct.unpack("<f", struct.pack("<f", float(h)))[0] / 4294967296.0


def test_vectorised_hash_matches_scalar_rendering():
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 2**32, size=300, dtype=np.uint64)
    for t in (1, 2, 99, 2**31 + 5, 2**32 + 3, 2**40 + 17):
        fast = excitability_random(ids.astype(np.uint32), t)
        slow = np.array([_scalar_excitability_random(int(i), t) for i in ids], dtype=np.float32)
        assert np.array_equal(fast.view(np.uint32), slow.view(np.uint32))


def test_f32_constants():
    assert f32_bits(F32_0_999) == 0x3F7FBE77
    assert f32_bits(np.float32(0.01)) == 0x3C23D70A


def test_firing_patterns_at_half_excitability():
    ref = ReferenceNPU(make_export(4, excitability=0.5, mp_charge_accumulation=False))
    bits = {0: [], 3: []}
    for _ in range(20):
        ref.stage([0, 3], [1.0, 1.0])
        fired, _ = ref.process_burst()
        for n in bits:
            bits[n].append("1" if n in fired.tolist() else "_")
    assert "".join(bits[0]) == "_111___1_1_111_1_1__"
    assert "".join(bits[3]) == "________1_1__11__11_"


# ----- SPEC 0, 4.1, 4.3 -----------------------------------------------------


def test_round_half_away_in_f32():
    v = np.array([0.0, 0.5, 1.5, 2.5, 7.4, 7.5, 254.5, 0.49999994, 0.49999997], dtype=np.float32)
    # 0.49999997 + 0.5 rounds to 1.0 in f32 (SPEC 0: every f32 operation rounds).
    assert round_half_away_f32(v).tolist() == [0, 1, 2, 3, 7, 8, 255, 0, 1]


def test_fcl_summation_order():
    ref = ReferenceNPU(make_export(1, threshold=0.5))
    ref.stage([0, 0, 0], [16777216.0, 1.0, -16777216.0])
    assert ref.process_burst()[0].tolist() == []
    assert ref.last_fcl[1].tolist() == [0.0]
    ref = ReferenceNPU(make_export(1, threshold=0.5, mp_charge_accumulation=False))
    ref.stage([0, 0, 0], [16777216.0, -16777216.0, 1.0])
    assert ref.process_burst()[0].tolist() == [0]


def test_zero_and_non_finite_staging_skipped_but_zero_sum_is_a_candidate():
    ref = ReferenceNPU(make_export(3, threshold=0.0))
    assert ref.stage([0, 1, 2, 2], [0.0, np.nan, 5.0, -5.0]) == 2
    fired, _ = ref.process_burst()
    assert ref.last_fcl[0].tolist() == [2]
    assert fired.tolist() == [2]  # threshold 0: net input 0 fires (SPEC 8 item 28)


def _propagate(weight, psp, inhibitory, *, fanout=1, uniform=False, mp_driven=False, v_fire=None):
    n = 1 + fanout
    syn = [(0, 1 + k, weight, psp, int(inhibitory)) for k in range(fanout)]
    ref = ReferenceNPU(make_export(n, synapses=syn, uniform=uniform, mp_driven=mp_driven,
                                   threshold=[0.1] + [1e9] * fanout))
    ref.stage([0], [v_fire if v_fire is not None else 1.0])
    ref.process_burst()
    ref.process_burst()
    return ref.last_fcl


def test_propagation_examples():
    assert _propagate(2, 3, True)[1].tolist() == [-6.0]
    assert _propagate(255, 255, False)[1].tolist() == [65025.0]
    ids, sums = _propagate(10, 10, False, fanout=3)
    assert ids.tolist() == [1, 2, 3]
    assert [f32_bits(s) for s in sums] == [f32_bits(np.float32(100) / np.float32(3))] * 3
    assert np.float32(sums[0]) == np.float32(33.333332)
    assert _propagate(10, 10, False, fanout=3, uniform=True)[1].tolist() == [100.0] * 3
    for v, c in ((300.7, 510.0), (7.4, 14.0), (7.5, 16.0), (2.5, 6.0)):
        assert _propagate(2, 0, False, mp_driven=True, uniform=True, v_fire=v)[1].tolist() == [c]


def test_power_and_fatigue():
    ref = ReferenceNPU(make_export(3, power_neuron=1, power_amount=2.5))
    ref.fatigue_neuron = 2
    ref.process_burst()
    assert ref.last_fcl[0].tolist() == [1]
    assert ref.last_fcl[1].tolist() == [2.5]
    ref.fatigue_active = True
    ref.process_burst()
    assert ref.last_fcl[0].tolist() == [1, 2]


# ----- SPEC 4.4 and section 8 -------------------------------------------------


def test_threshold_limit_and_leak():
    ref = ReferenceNPU(make_export(1, threshold=1.0, threshold_limit=5.0))
    assert run_pattern(ref, 0, [5.0]) == "1"
    ref = ReferenceNPU(make_export(1, threshold=1.0, threshold_limit=5.0))
    assert run_pattern(ref, 0, [5.5]) == "_"
    assert ref.V[0] == np.float32(5.5)
    ref = ReferenceNPU(make_export(1, threshold=100.0, leak=0.5))
    run_pattern(ref, 0, [10.0, None, None, None])
    assert ref.V[0] == 5.0
    run_pattern(ref, 0, [1.0])
    assert ref.V[0] == 3.0


@pytest.mark.parametrize(
    "params, inputs, expected",
    [
        (dict(refractory_period=2), [1.0] * 8, "1__1__1_"),
        (dict(refractory_period=2), [1.0, None, None, None, 1.0, 1.0, 1.0], "1_____1"),
        (dict(refractory_period=1), [1.0] * 8, "1_1_1_1_"),
        (dict(refractory_period=5), [1.0] * 12, "1_____1_____"),
        (dict(threshold=10.0, consecutive_fire_limit=3), [10.0] * 12, "111_111_111_"),
        (dict(consecutive_fire_limit=3, refractory_period=1, snooze_period=2), [1.0] * 16,
         "1_1_1___1_1_1___"),
        (dict(consecutive_fire_limit=2, snooze_period=3), [1.0] * 10, "11___11___"),
        (dict(consecutive_fire_limit=1), [1.0] * 8, "1_1_1_1_"),
        (dict(threshold=15.0), [10.0] * 4, "_1_1"),
        (dict(threshold=15.0, mp_charge_accumulation=False), [10.0] * 4, "____"),
    ],
)
def test_dynamics_patterns(params, inputs, expected):
    ref = ReferenceNPU(make_export(1, **params))
    assert run_pattern(ref, 0, inputs) == expected


def test_cap_block_keeps_v_and_zero_sum_ticks_refractory():
    ref = ReferenceNPU(make_export(1, threshold=10.0, consecutive_fire_limit=3))
    run_pattern(ref, 0, [10.0] * 4)
    assert ref.V[0] == 10.0 and ref.consecutive_count[0] == 0
    ref = ReferenceNPU(make_export(1, refractory_period=2))
    out = []
    for t in range(7):
        ref.stage([0, 0], [5.0, -5.0] if t in (1, 2) else [1.0, 0.0])
        out.append("1" if ref.process_burst()[0].size else "_")
    assert "".join(out) == "1__1__1"


@pytest.mark.parametrize("cap", [0, 65535])
def test_unlimited_cap_saturates_the_count_and_never_blocks(cap):
    ref = ReferenceNPU(make_export(1, consecutive_fire_limit=cap, consecutive_fire_count=65533))
    assert run_pattern(ref, 0, [1.0] * 5) == "11111"
    assert ref.consecutive_count[0] == 65535


def test_snooze_countdown_saturates():
    ref = ReferenceNPU(make_export(1, consecutive_fire_limit=1, refractory_period=65000, snooze_period=1000))
    run_pattern(ref, 0, [1.0])
    assert ref.refractory_countdown[0] == 65535


def test_stage_sensory_addresses_every_neuron_of_a_voxel():
    # Neurons 0..5 in a 2x2x1 area, added out of voxel order; voxel (1,1,0) holds 0, 3, 5.
    coords = ([1, 0, 1, 1, 0, 1], [1, 0, 0, 1, 1, 1], [0, 0, 0, 0, 0, 0])
    ref = ReferenceNPU(make_export(6, dims=(2, 2, 1), coords=coords, threshold=1e9))
    staged = ref.stage_sensory(0, [1, -1, 2, 0, 1, 0], [1, 0, 0, 0, 0, 1], [0, 0, 0, 1, 0, 0],
                               np.array([2.0, 9.0, 9.0, 9.0, 0.0, 3.0], dtype=np.float32))
    assert staged == 4
    ids = np.concatenate(ref._staged_ids).tolist()
    assert ids == [0, 3, 5, 4]
    ref.process_burst()
    assert ref.last_fcl[0].tolist() == [0, 3, 4, 5]
    assert ref.last_fcl[1].tolist() == [2.0, 2.0, 3.0, 2.0]
    with pytest.raises(KeyError):
        ref.stage_sensory(7, [0], [0], [0], [1.0])
    with pytest.raises(IndexError):
        ref.stage([6], [1.0])

"""SPEC section 8 items 24, 34 and 35 read back through the Python API: fire
queues, ledgers and neuron states must equal what the Rust tests expect."""

import json

import numpy as np
import pytest

import feagi_rust
from helpers import SPEC_EXAMPLE_GENOME, core_npu, fired, pattern

# ----- item 24: consecutive fire cap, refractory period and snooze ----------


def single_neuron(**params):
    """Neuron id 3 after the three core areas, threshold 10, accumulation on."""
    npu = core_npu()
    area = npu.register_area("cTest___", (1, 1, 1))
    defaults = dict(threshold=10.0, mp_charge_accumulation=True)
    defaults.update(params)
    assert npu.add_neuron(area, 0, 0, 0, **defaults) == 3
    return npu


def drive(npu, bursts, potential=10.0, stage=None):
    """Stages `potential` for neuron 3 before every burst; returns the pattern
    and V of neuron 3 after each burst."""
    bits, potentials = [], []
    for _ in range(bursts):
        if stage is None:
            assert npu.inject_sensory_batch([3], [potential]) == 1
        else:
            stage(npu)
        result = npu.process_burst()
        bits.append(fired(result, 3))
        potentials.append(npu.get_neuron_state(3)["membrane_potential"])
    return pattern(bits), potentials


@pytest.mark.parametrize(
    "params, bursts, expected",
    [
        (dict(consecutive_fire_limit=3, refractory_period=0, snooze_period=0), 12, "111_111_111_"),
        (dict(consecutive_fire_limit=3, refractory_period=1, snooze_period=2), 16, "1_1_1___1_1_1___"),
        (dict(consecutive_fire_limit=2, snooze_period=3), 10, "11___11___"),
        (dict(consecutive_fire_limit=1), 8, "1_1_1_1_"),
        (dict(consecutive_fire_limit=0), 8, "11111111"),
        (dict(consecutive_fire_limit=65535), 8, "11111111"),
    ],
)
def test_item_24_consecutive_fire_limit(params, bursts, expected):
    npu = single_neuron(**params)
    got, _ = drive(npu, bursts)
    assert got == expected


def test_item_24_blocked_bursts_keep_v_and_ledger_agrees():
    npu = single_neuron(consecutive_fire_limit=3)
    got, potentials = drive(npu, 12)
    assert got == "111_111_111_"
    for t, bit in enumerate(got):
        # A blocked burst keeps V = 10 (no reset, no leak); a firing burst resets to 0.
        assert potentials[t] == (0.0 if bit == "1" else 10.0)
    # The fire ledger holds the same pattern, one dense frame per burst.
    frames = npu.get_fire_ledger_history("cTest___", 12)
    assert [t for t, _ in frames] == list(range(1, 13))
    assert pattern([3 in ids for _, ids in frames]) == "111_111_111_"
    assert all(ids.dtype == np.uint32 for _, ids in frames)
    # Same frames through the strict dense-window query.
    strict = npu.get_fire_ledger_frames("cTest___", depth=12, end=12)
    assert [(t, ids.tolist()) for t, ids in strict] == [(t, ids.tolist()) for t, ids in frames]
    state = npu.get_neuron_state(3)
    assert state["consecutive_fire_limit"] == 3
    assert state["membrane_potential"] == 10.0


def test_item_24_unlimited_cap_after_70000_bursts():
    """Cap 0 and 65535: the neuron fires every burst, still after 70 000 bursts.
    Input comes from the power neuron (fires every burst) through one synapse."""
    for cap in (0, 65535):
        npu = single_neuron(consecutive_fire_limit=cap)
        npu.add_synapse(1, 3, weight=10, conductance=1, synapse_type=0)
        record = npu.run(70_000)
        assert record.pattern(3) == "_" + "1" * 69_999
        assert record.counts.tolist() == [1] + [2] * 69_999
        assert npu.get_neuron_state(3)["consecutive_fire_count"] == 65535


# ----- item 34: the SPEC 1.11 example genome ----------------------------------


def test_item_34_example_genome_structure():
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    areas = npu.get_cortical_areas()
    assert [a["cortical_id"] for a in areas] == ["___death", "___power", "___fatig", "cInput__", "cOutpt__"]
    assert [a["index"] for a in areas] == [0, 1, 2, 3, 4]
    assert [(a["first_neuron"], a["neuron_count"]) for a in areas] == [(0, 1), (1, 1), (2, 1), (3, 4), (7, 1)]
    assert npu.neuron_count() == 8 and npu.synapse_count() == 11
    assert [npu.get_neuron_at_coordinate("cInput", x, 0, 0) for x in range(4)] == [3, 4, 5, 6]
    assert npu.get_neuron_at_coordinate("cInput", 4, 0, 0) is None
    assert npu.get_outgoing_synapses(1) == [(3, 1, 5, 0), (4, 1, 5, 0), (5, 1, 5, 0), (6, 1, 5, 0)]
    assert npu.get_outgoing_synapses(3) == [(4, 1, 2, 0), (7, 1, 2, 1)]
    assert npu.get_outgoing_synapses(6) == [(7, 1, 2, 1)]
    assert npu.get_incoming_synapses(7) == [(s, 1, 2, 1) for s in (3, 4, 5, 6)]
    assert npu.get_incoming_synapses(4) == [(1, 1, 5, 0), (3, 1, 2, 0)]


@pytest.mark.parametrize("form", ["dict", "json", "bytes", "file"])
def test_item_34_example_genome_trace(form, tmp_path):
    if form == "dict":
        source = SPEC_EXAMPLE_GENOME
    elif form == "json":
        source = "  \n" + json.dumps(SPEC_EXAMPLE_GENOME)
    elif form == "bytes":
        source = json.dumps(SPEC_EXAMPLE_GENOME).encode()
    else:
        source = tmp_path / "spec_example.json"
        source.write_text(json.dumps(SPEC_EXAMPLE_GENOME))
    npu = feagi_rust.RustNPU.from_genome(source, seed=12345)
    power, inputs, output = [], {n: [] for n in range(3, 7)}, []
    v_out = []
    for t in range(1, 9):
        result = npu.process_burst()
        assert result.burst == t
        queue = npu.get_current_fire_queue()
        power.append("___power" in queue and 1 in queue["___power"][0])
        in_ids = queue["cInput__"][0] if "cInput__" in queue else np.array([], dtype=np.uint32)
        for n in inputs:
            inputs[n].append(n in in_ids)
        output.append("cOutpt__" in queue)
        v_out.append(float(npu.get_membrane_potentials("cOutpt")[0]))
    assert pattern(power) == "11111111"
    for n in inputs:
        assert pattern(inputs[n]) == "_1_1_1_1", n
    assert pattern(output) == "________"
    for t in (3, 5, 7):
        assert v_out[t - 1] == -8.0
    for t in (2, 4, 6, 8):
        assert v_out[t - 1] == 0.0
    # Burst 8: each cInput neuron fires with V = 1.25, power's 1 * 5 / 4 (the
    # input of the refractory burst 7 was dropped, lateral input included).
    queue = npu.get_current_fire_queue()
    ids, xs, ys, zs, ps = queue["cInput__"]
    assert ids.tolist() == [3, 4, 5, 6] and xs.tolist() == [0, 1, 2, 3]
    assert ys.tolist() == [0] * 4 and zs.tolist() == [0] * 4
    assert ps.dtype == np.float32 and ps.tolist() == [1.25] * 4
    assert ids.dtype == np.uint32 and xs.dtype == np.uint32


# ----- item 35: the Rust essential genome with input at iic700 -----------------


ITEM_35 = {
    "power": "111111111111",
    "iic700": "111_111_111_",
    "c__for": "_111__11_1_1",
    "motor": "__111__11_1_",
    "omot_even": "___111__11_1",
    "omot_odd": "____________",
}
ITEM_35_COUNTS = [2, 3, 7, 10, 10, 6, 3, 6, 10, 7, 6, 6]


def test_item_35_essential_genome(genome_path):
    npu = feagi_rust.RustNPU.from_genome(genome_path("core_essential_genome.json"))
    ids = {
        "power": 1,
        "iic700": npu.get_neuron_at_coordinate("iic700", 0, 0, 0),
        "c__for": npu.get_neuron_at_coordinate("c__for", 0, 0, 0),
    }
    motors = {m: npu.get_neuron_at_coordinate(m, 0, 0, 0) for m in ("cRSMot", "cKQM2_", "cO4M3_", "cTGM4_")}
    omot = [npu.get_neuron_at_coordinate("omot00", x, 0, 0) for x in range(8)]
    assert None not in ids.values() and None not in motors.values() and None not in omot
    history = {n: [] for n in list(ids.values()) + list(motors.values()) + omot}
    counts = []
    for t in range(1, 13):
        assert npu.inject_sensory("iic700", [0], [0], [0], [1.0]) == 1
        result = npu.process_burst()
        assert result.burst == t
        counts.append(result.neuron_count)
        queue = npu.get_current_fire_queue()
        fired_now = set()
        for cortical_id, (q_ids, xs, ys, zs, ps) in queue.items():
            fired_now.update(q_ids.tolist())
            for i, x, y, z in zip(q_ids.tolist(), xs.tolist(), ys.tolist(), zs.tolist()):
                assert npu.get_neuron_at_coordinate(cortical_id, x, y, z) == i
        assert fired_now == set(result.fired_neurons.tolist())
        for n in history:
            history[n].append(n in fired_now)
    assert counts == ITEM_35_COUNTS
    assert pattern(history[ids["power"]]) == ITEM_35["power"]
    assert pattern(history[ids["iic700"]]) == ITEM_35["iic700"]
    assert pattern(history[ids["c__for"]]) == ITEM_35["c__for"]
    for m, n in motors.items():
        assert pattern(history[n]) == ITEM_35["motor"], m
    for x, n in enumerate(omot):
        assert pattern(history[n]) == ITEM_35["omot_even" if x % 2 == 0 else "omot_odd"], x
    # The fire ledger (window 20) holds the same 12 bursts.
    frames = npu.get_fire_ledger_history("omot00", 20)
    assert [t for t, _ in frames] == list(range(1, 13))
    for x, n in enumerate(omot):
        expected = ITEM_35["omot_even" if x % 2 == 0 else "omot_odd"]
        assert pattern([n in f.tolist() for _, f in frames]) == expected
    frames = npu.get_fire_ledger_history("c__for", 5)
    assert [t for t, _ in frames] == [8, 9, 10, 11, 12]
    assert pattern([ids["c__for"] in f.tolist() for _, f in frames]) == ITEM_35["c__for"][7:]

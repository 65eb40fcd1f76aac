"""The RustNPU API on hand-built networks: building, input, output, queries,
runtime parameter updates, export, and the exceptions bad input raises."""

import math

import numpy as np
import pytest

import feagi_rust
from helpers import SPEC_EXAMPLE_GENOME, core_npu, fired, pattern

# ----- construction -----------------------------------------------------------


def test_constructor_keyword_and_positional():
    a = feagi_rust.RustNPU(neuron_count=100, synapse_capacity=1000, fire_ledger_window=5)
    b = feagi_rust.RustNPU(100, 1000, 5)
    c = feagi_rust.RustNPU()
    for npu in (a, b, c):
        assert npu.neuron_count() == 0 and npu.synapse_count() == 0
        assert npu.area_count() == 0 and npu.burst_count() == 0
    assert a.get_config()["fire_ledger_window"] == 5
    assert c.get_config() == {"seed": 0, "power_amount": 1.0, "fire_ledger_window": 20, "fatigue_active": False,
                              "plasticity": True}
    assert repr(a) == "RustNPU(areas=0, neurons=0, synapses=0, burst=0)"


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(neuron_count=-1), ValueError),
        (dict(neuron_count=50_000_001), ValueError),
        (dict(synapse_capacity=-5), ValueError),
        (dict(fire_ledger_window=0), ValueError),
        (dict(fire_ledger_window=-3), ValueError),
        (dict(neuron_count="many"), TypeError),
    ],
)
def test_constructor_rejects_bad_values(kwargs, exc):
    with pytest.raises(exc):
        feagi_rust.RustNPU(**kwargs)


def test_huge_capacity_hint_is_only_a_hint():
    npu = feagi_rust.RustNPU(neuron_count=50_000_000, synapse_capacity=10**12)
    area = npu.register_area("cA____", (2, 1, 1))
    assert npu.add_neuron(area, 1, 0, 0) == 0


def test_default_genome_json():
    text = feagi_rust.default_genome_json()
    assert text == feagi_rust.RustNPU.default_genome()
    assert text.lstrip().startswith("{")
    npu = feagi_rust.RustNPU.from_genome(text)
    ids = [a["cortical_id"] for a in npu.get_cortical_areas()]
    assert ids[:3] == ["___death", "___power", "___fatig"]
    assert npu.neuron_count() >= 3


# ----- building by hand ---------------------------------------------------------


def test_register_area_and_add_neuron():
    npu = feagi_rust.RustNPU()
    assert npu.register_area("___death") == 0
    assert npu.register_area("_power") == 1  # legacy spelling of ___power
    assert npu.register_area("___fatig", dimensions=(1, 1, 1), name="fatigue") == 2
    idx = npu.register_area("iv00_C", (4, 3, 2), name="vision", kind="ipu", neurons_per_voxel=2)
    assert idx == 3
    areas = npu.get_cortical_areas()
    assert [a["cortical_id"] for a in areas] == ["___death", "___power", "___fatig", "iv00_C__"]
    assert [a["kind"] for a in areas] == ["CORE", "CORE", "CORE", "IPU"]
    assert areas[2]["name"] == "fatigue" and areas[0]["name"] == "___death"
    vision = areas[3]
    assert vision["dimensions"] == (4, 3, 2) and vision["neurons_per_voxel"] == 2
    assert vision["first_neuron"] is None and vision["neuron_count"] == 0
    ids = [npu.add_neuron("iv00_C", 1, 2, 1, threshold=2.5) for _ in range(2)]
    ids.append(npu.add_neuron(3, x=0, y=0, z=0))
    assert ids == [0, 1, 2]
    assert npu.get_neuron_at_coordinate("iv00_C__", 1, 2, 1) == 0
    assert npu.get_neurons_at_coordinate("iv00_C", 1, 2, 1) == [0, 1]
    assert npu.get_neuron_at_coordinate("iv00_C", 0, 1, 0) is None
    assert npu.get_neuron_at_coordinate("iv00_C", -1, 0, 0) is None
    assert npu.get_neurons_at_coordinate("iv00_C", 9, 0, 0) == []
    assert npu.get_neuron_ids("iv00_C").tolist() == [0, 1, 2]
    assert npu.get_neuron_ids(3).dtype == np.uint32
    assert npu.get_thresholds("iv00_C").tolist() == [2.5, 2.5, 1.0]
    # Areas are also found by name.
    assert npu.get_neuron_ids("vision").tolist() == [0, 1, 2]
    state = npu.get_neuron_state(1)
    assert state["cortical_id"] == "iv00_C__" and state["area"] == 3
    assert state["coordinates"] == (1, 2, 1)


def test_add_neuron_parameters_round_trip():
    npu = core_npu()
    area = npu.register_area("cA____", (2, 2, 2))
    nid = npu.add_neuron(
        area, 1, 1, 0,
        threshold=3.5, threshold_limit=9.0, leak=0.25, excitability=0.5,
        refractory_period=2, consecutive_fire_limit=4, snooze_period=3,
        mp_charge_accumulation=True,
    )
    s = npu.get_neuron_state(nid)
    assert s == {
        "id": nid, "cortical_id": "cA______", "area": area, "coordinates": (1, 1, 0),
        "membrane_potential": 0.0, "threshold": 3.5, "threshold_limit": 9.0,
        "leak": 0.25, "excitability": 0.5, "refractory_period": 2,
        "refractory_countdown": 0, "consecutive_fire_limit": 4,
        "consecutive_fire_count": 0, "snooze_period": 3, "mp_charge_accumulation": True,
    }
    assert npu.get_neuron_state(0)["threshold_limit"] is None


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda n: n.register_area("cA____"), ValueError),  # duplicate
        (lambda n: n.register_area("c_avoid"), feagi_rust.GenomeError),  # 7 characters
        (lambda n: n.register_area("cB____", (0, 1, 1)), ValueError),
        (lambda n: n.register_area("cB____", (-1, 1, 1)), ValueError),
        (lambda n: n.register_area("cB____", (1, 1)), ValueError),
        (lambda n: n.register_area("cB____", "abc"), TypeError),
        (lambda n: n.register_area("cB____", kind="SENSOR"), ValueError),
        (lambda n: n.register_area("cB____", neurons_per_voxel=0), ValueError),
        (lambda n: n.add_neuron("cA____", 2, 0, 0), ValueError),  # outside the area
        (lambda n: n.add_neuron("cA____", -1, 0, 0), ValueError),
        (lambda n: n.add_neuron("nope__"), KeyError),
        (lambda n: n.add_neuron(99), IndexError),
        (lambda n: n.add_neuron(-1), IndexError),
        (lambda n: n.add_neuron(1.5), TypeError),
        (lambda n: n.add_neuron("cA____", leak=1.5), ValueError),
        (lambda n: n.add_neuron("cA____", excitability=2.0), ValueError),
        (lambda n: n.add_neuron("cA____", threshold=math.nan), ValueError),
        (lambda n: n.add_neuron("cA____", refractory_period=70_000), ValueError),
        (lambda n: n.add_neuron("cA____", snooze_period=-1), ValueError),
    ],
)
def test_building_errors(call, exc):
    npu = core_npu()
    npu.register_area("cA____", (2, 1, 1))
    before = (npu.area_count(), npu.neuron_count())
    with pytest.raises(exc):
        call(npu)
    assert (npu.area_count(), npu.neuron_count()) == before


def two_area_npu():
    npu = core_npu()
    npu.register_area("cA____", (4, 1, 1))
    for x in range(4):
        npu.add_neuron("cA____", x, 0, 0)  # ids 3..6
    return npu


def test_synapses_add_remove_update():
    npu = two_area_npu()
    npu.add_synapse(3, 4, 2, 3, 0)
    npu.add_synapse(3, 5, weight=4, conductance=5, synapse_type="inhibitory")
    npu.add_synapse(3, 4, 6, 7, 1)
    npu.add_synapse(5, 4)  # defaults: weight 1, conductance 1, excitatory
    assert npu.synapse_count() == 4
    assert npu.get_outgoing_synapses(3) == [(4, 2, 3, 0), (5, 4, 5, 1), (4, 6, 7, 1)]
    assert npu.get_incoming_synapses(4) == [(3, 2, 3, 0), (3, 6, 7, 1), (5, 1, 1, 0)]
    assert npu.update_synapse_weight(3, 4, 9) == 2
    assert npu.get_outgoing_synapses(3) == [(4, 9, 3, 0), (5, 4, 5, 1), (4, 9, 7, 1)]
    assert npu.update_synapse_weight(3, 6, 1) == 0
    assert npu.remove_synapse(3, 4) == 2
    assert npu.remove_synapse(3, 4) == 0
    assert npu.get_outgoing_synapses(3) == [(5, 4, 5, 1)]
    assert npu.synapse_count() == 2
    assert npu.get_outgoing_synapses(6) == [] and npu.get_incoming_synapses(6) == []


def test_psp_and_its_conductance_alias():
    npu = two_area_npu()
    npu.add_synapse(3, 4, weight=2, psp=9)
    npu.add_synapse(3, 5, weight=2, conductance=8)  # the older keyword
    npu.add_synapse(3, 6, 2, 7, "inhibitory")  # positional: psp is the fourth argument
    assert npu.get_outgoing_synapses(3) == [(4, 2, 9, 0), (5, 2, 8, 0), (6, 2, 7, 1)]
    with pytest.raises(TypeError, match="conductance"):
        npu.add_synapse(3, 4, psp=1, conductance=1)
    with pytest.raises(ValueError, match="conductance"):
        npu.add_synapse(3, 4, conductance=256)
    assert npu.add_synapses_batch([4], [5], [1], psps=[6], types=[0]) == 1
    assert npu.add_synapses_batch([4], [6], [1], conductances=[5], types=[1]) == 1
    assert npu.get_outgoing_synapses(4) == [(5, 1, 6, 0), (6, 1, 5, 1)]
    with pytest.raises(TypeError):
        npu.add_synapses_batch([4], [5], [1], [1], [0], conductances=[1])
    with pytest.raises(TypeError):
        npu.add_synapses_batch([4], [5], [1], types=[0])  # no psps
    with pytest.raises(TypeError):
        npu.add_synapses_batch([4], [5], [1], [1])  # no types
    with pytest.raises(ValueError, match="conductances"):
        npu.add_synapses_batch([4], [5], [1], conductances=[1, 2], types=[0])
    assert npu.synapse_count() == 5


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda n: n.add_synapse(3, 99), IndexError),
        (lambda n: n.add_synapse(-1, 3), IndexError),
        (lambda n: n.add_synapse(3, 4, 256, 1, 0), ValueError),
        (lambda n: n.add_synapse(3, 4, -1, 1, 0), ValueError),
        (lambda n: n.add_synapse(3, 4, 1, 300, 0), ValueError),
        (lambda n: n.add_synapse(3, 4, 1, 1, 2), ValueError),
        (lambda n: n.add_synapse(3, 4, 1, 1, "lateral"), ValueError),
        (lambda n: n.add_synapse(3, 4, 1, 1, 0.5), TypeError),
        (lambda n: n.remove_synapse(3, 10**12), IndexError),
        (lambda n: n.update_synapse_weight(3, 4, 256), ValueError),
        (lambda n: n.update_synapse_weight(42, 4, 1), IndexError),
        (lambda n: n.get_outgoing_synapses(7), IndexError),
        (lambda n: n.get_incoming_synapses(-2), IndexError),
        (lambda n: n.get_neuron_state(7), IndexError),
    ],
)
def test_synapse_errors_change_nothing(call, exc):
    npu = two_area_npu()
    npu.add_synapse(3, 4, 1, 1, 0)
    with pytest.raises(exc):
        call(npu)
    assert npu.get_outgoing_synapses(3) == [(4, 1, 1, 0)]


def test_add_synapses_batch_numpy_and_lists():
    npu = two_area_npu()
    n = npu.add_synapses_batch(
        np.array([3, 3, 4], dtype=np.uint32),
        np.array([4, 5, 6], dtype=np.int64),
        np.array([1, 2, 3], dtype=np.uint8),
        [4, 5, 6],
        np.array([0, 1, 0], dtype=np.int8),
    )
    assert n == 3
    n = npu.add_synapses_batch((5,), [6], [7], [8], [1])
    assert n == 1
    # Bools are not integers here (M2.6): neither bool values nor bool arrays.
    with pytest.raises(TypeError, match="bool"):
        npu.add_synapses_batch((5,), [6], [7], [8], [True])
    with pytest.raises(TypeError, match="bool"):
        npu.add_synapses_batch(np.array([True]), [6], [7], [8], [1])
    assert npu.add_synapses_batch([], [], [], [], []) == 0
    assert npu.get_outgoing_synapses(3) == [(4, 1, 4, 0), (5, 2, 5, 1)]
    assert npu.get_outgoing_synapses(4) == [(6, 3, 6, 0)]
    assert npu.get_outgoing_synapses(5) == [(6, 7, 8, 1)]
    # Non-contiguous views are read correctly too.
    big = np.array([3, 0, 4, 0, 5, 0], dtype=np.uint32)
    npu.add_synapses_batch(big[::2], np.array([6, 6, 6]), [1, 1, 1], [1, 1, 1], [0, 0, 0])
    assert npu.get_incoming_synapses(6) == [(3, 1, 1, 0), (4, 3, 6, 0), (4, 1, 1, 0), (5, 7, 8, 1), (5, 1, 1, 0)]


@pytest.mark.parametrize(
    "args, exc",
    [
        (([3, 3], [4], [1, 1], [1, 1], [0, 0]), ValueError),  # lengths differ
        (([3], [99], [1], [1], [0]), IndexError),  # unknown target: nothing added
        (([3, -1], [4, 4], [1, 1], [1, 1], [0, 0]), ValueError),
        (([3], [4], [256], [1], [0]), ValueError),
        (([3], [4], [1], [1], [2]), ValueError),
        (([3.0], [4], [1], [1], [0]), TypeError),
        ((np.array([[3]]), [4], [1], [1], [0]), ValueError),
        ((["a"], [4], [1], [1], [0]), TypeError),
        ((3, [4], [1], [1], [0]), ValueError),
        ((None, [4], [1], [1], [0]), TypeError),
    ],
)
def test_add_synapses_batch_errors_add_nothing(args, exc):
    npu = two_area_npu()
    with pytest.raises(exc):
        npu.add_synapses_batch(*args)
    assert npu.synapse_count() == 0


# ----- running ----------------------------------------------------------------------


def chain_npu():
    """Power -> A -> B -> C, weight 1 PSP 1 each (each source has one synapse)."""
    npu = core_npu()
    npu.register_area("cChain", (3, 1, 1))
    a, b, c = (npu.add_neuron("cChain", x, 0, 0) for x in range(3))
    npu.add_synapse(1, a)
    npu.add_synapse(a, b)
    npu.add_synapse(b, c)
    return npu, (a, b, c)


def test_process_burst_result_and_latency():
    npu, (a, b, c) = chain_npu()
    r1 = npu.process_burst()
    assert isinstance(r1, feagi_rust.BurstResult)
    assert r1.burst == 1 and r1.fired_neurons.tolist() == [1] and r1.neuron_count == 1
    assert r1.fired_count == 1  # neuron_count is FEAGI's name for it
    assert r1.fired_neurons.dtype == np.uint32 and r1.fired_potentials.dtype == np.float32
    assert r1.fired_potentials.tolist() == [1.0]
    assert r1.power_injections == 1 and r1.synaptic_injections == 0
    assert r1.neurons_processed == 1 and r1.neurons_in_refractory == 0
    r2 = npu.process_burst()
    assert r2.fired_neurons.tolist() == [1, a] and r2.synaptic_injections == 1
    r3 = npu.process_burst()
    assert r3.fired_neurons.tolist() == [1, a, b] and r3.synaptic_injections == 2
    r4 = npu.process_burst()
    assert r4.fired_neurons.tolist() == [1, a, b, c] and r4.neurons_processed == 4
    assert r4.fired_count == r4.neuron_count == 4
    assert "burst=4" in repr(r4)
    # The returned arrays are copies: changing them changes nothing.
    r4.fired_neurons[:] = 0
    assert r4.fired_neurons.tolist() == [1, a, b, c]
    # Explicit power neurons: only those receive the power amount.
    r5 = npu.process_burst(power_neurons=[c])
    assert r5.power_injections == 1
    assert 1 not in r5.fired_neurons.tolist() and c in r5.fired_neurons.tolist()
    with pytest.raises(IndexError):
        npu.process_burst(power_neurons=[99])
    with pytest.raises(ValueError):
        npu.process_burst(power_neurons=[-1])
    assert npu.burst_count() == 5


def test_run_records_spikes():
    npu, (a, b, c) = chain_npu()
    rec = npu.run(6)
    assert isinstance(rec, feagi_rust.SpikeRecord)
    assert (rec.first_burst, rec.last_burst, rec.num_bursts) == (1, 6, 6)
    assert rec.counts.tolist() == [1, 2, 3, 4, 4, 4]
    assert len(rec) == 18 and rec.bursts.dtype == np.uint64 and rec.neuron_ids.dtype == np.uint32
    assert rec.bursts.tolist()[:6] == [1, 2, 2, 3, 3, 3]
    assert rec.neuron_ids.tolist()[:6] == [1, 1, a, 1, a, b]
    assert rec.pattern(c) == "___111" and rec.pattern(0) == "______"
    assert rec.spikes_of(b).tolist() == [3, 4, 5, 6]
    counts = npu.run(3, record=False)
    assert isinstance(counts, np.ndarray) and counts.dtype == np.uint32
    assert counts.tolist() == [4, 4, 4]
    empty = npu.run(0)
    assert (empty.first_burst, empty.num_bursts, len(empty)) == (10, 0, 0)
    assert npu.burst_count() == 9
    with pytest.raises(ValueError):
        npu.run(-1)
    with pytest.raises(IndexError):
        rec.pattern(-1)


# ----- input and output -------------------------------------------------------------


def grid_npu(n_per_voxel=1):
    npu = core_npu()
    npu.register_area("iGrid_", (3, 2, 1), kind="IPU", neurons_per_voxel=n_per_voxel)
    for x in range(3):
        for y in range(2):
            for _ in range(n_per_voxel):
                npu.add_neuron("iGrid_", x, y, 0, threshold=1.0)
    return npu


def test_inject_sensory_coordinates_and_skips():
    npu = grid_npu()
    # Voxel (2, 1) -> id 3 + 2*2 + 1 = 8, (0, 0) -> 3; p = 0, NaN and outside voxels are skipped.
    staged = npu.inject_sensory(
        "iGrid_",
        np.array([2, 0, 1, 5, -1], dtype=np.int64),
        [1, 0, 1, 0, 0],
        [0, 0, 0, 0, 0],
        np.array([1.5, 2.0, 0.0, 1.0, 1.0], dtype=np.float64),
    )
    assert staged == 2 and npu.staged_count() == 2
    assert npu.inject_sensory("iGrid_", [1], [1], [0], math.nan) == 0
    assert npu.inject_sensory(3, [1], [0], [0], [0.5]) == 1  # by area index; below threshold
    r = npu.process_burst()
    assert sorted(r.fired_neurons.tolist()) == [1, 3, 8]
    queue = npu.get_current_fire_queue()
    ids, xs, ys, zs, ps = queue["iGrid___"]
    assert ids.tolist() == [3, 8] and xs.tolist() == [0, 2] and ys.tolist() == [0, 1]
    assert zs.tolist() == [0, 0] and ps.tolist() == [2.0, 1.5]
    assert npu.staged_count() == 0  # nothing staged survives the burst
    # The sub-threshold neuron kept nothing (accumulation off) but was a candidate.
    fcl_ids, fcl_sums = npu.get_last_fcl()
    assert fcl_ids.tolist() == [1, 3, 5, 8] and fcl_sums.tolist() == [1.0, 2.0, 0.5, 1.5]
    # A scalar potential is used for every voxel; numpy uint32 / float32 are read in place.
    xs = np.arange(3, dtype=np.uint32)
    assert npu.inject_sensory("iGrid_", xs, np.zeros(3, np.uint32), np.zeros(3, np.uint32), np.float32(1)) == 3
    npu.clear_staged()
    assert npu.staged_count() == 0
    assert npu.process_burst().fired_neurons.tolist() == [1]


def test_inject_sensory_reaches_every_neuron_of_a_voxel():
    npu = grid_npu(n_per_voxel=2)
    assert npu.get_neuron_at_coordinate("iGrid_", 1, 1, 0) == 9
    assert npu.inject_sensory("iGrid_", [1], [1], [0], [3.0]) == 2
    assert npu.process_burst().fired_neurons.tolist() == [1, 9, 10]


@pytest.mark.parametrize(
    "args, exc",
    [
        (("nope__", [0], [0], [0], [1.0]), KeyError),
        ((17, [0], [0], [0], [1.0]), IndexError),
        ((2.5, [0], [0], [0], [1.0]), TypeError),
        (("iGrid_", [0, 1], [0], [0], [1.0, 1.0]), ValueError),
        (("iGrid_", [0], [0], [0], [1.0, 2.0]), ValueError),
        (("iGrid_", [0.5], [0], [0], [1.0]), TypeError),
        (("iGrid_", [0], [0], [0], ["x"]), TypeError),
        (("iGrid_", np.zeros((2, 2), np.uint32), [0], [0], [1.0]), ValueError),
    ],
)
def test_inject_sensory_errors_stage_nothing(args, exc):
    npu = grid_npu()
    with pytest.raises(exc):
        npu.inject_sensory(*args)
    assert npu.staged_count() == 0


def test_inject_sensory_batch():
    npu = grid_npu()
    assert npu.inject_sensory_batch(np.array([3, 4, 4], np.uint32), np.array([0.5, 0.6, 0.0], np.float32)) == 2
    assert npu.inject_sensory_batch([3], 0.5) == 1  # several stagings add up: 0.5 + 0.5
    r = npu.process_burst()
    assert r.fired_neurons.tolist() == [1, 3]
    with pytest.raises(IndexError):
        npu.inject_sensory_batch([3, 99], [1.0, 1.0])
    with pytest.raises(ValueError):
        npu.inject_sensory_batch([3, 4], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError):
        npu.inject_sensory_batch([-3], [1.0])
    assert npu.staged_count() == 0


def test_fire_queue_is_empty_before_the_first_burst_and_keys_are_canonical():
    npu = grid_npu()
    assert npu.get_current_fire_queue() == {}
    npu.inject_sensory("iGrid_", [0], [1], [0], [5.0])
    npu.process_burst()
    queue = npu.get_current_fire_queue()
    assert sorted(queue) == ["___power", "iGrid___"]
    assert all(len(k) == 8 for k in queue)


def test_fire_ledger_history_and_window():
    npu = grid_npu()
    for t in range(1, 8):
        if t % 2:
            npu.inject_sensory("iGrid_", [0], [0], [0], [1.0])
        npu.process_burst()
    history = npu.get_fire_ledger_history("iGrid_", 3)
    assert [(t, ids.tolist()) for t, ids in history] == [(5, [3]), (6, []), (7, [3])]
    assert len(npu.get_fire_ledger_history("iGrid_", 100)) == 7  # only what is retained
    assert len(npu.get_fire_ledger_history("iGrid_")) == 7
    assert npu.get_fire_ledger_window_size("iGrid_") == 20
    npu.configure_fire_ledger_window("iGrid_", 2)
    assert npu.get_fire_ledger_window_size("iGrid_") == 2
    assert [t for t, _ in npu.get_fire_ledger_history("iGrid_", 5)] == [6, 7]
    assert [t for t, _ in npu.get_fire_ledger_frames("___power", depth=3, end=5)] == [3, 4, 5]
    for call in (
        lambda: npu.get_fire_ledger_history("iGrid_", 0),
        lambda: npu.get_fire_ledger_frames("iGrid_", depth=0),
        lambda: npu.get_fire_ledger_frames("iGrid_", depth=3),  # above the window
        lambda: npu.get_fire_ledger_frames("iGrid_", depth=1, end=8),  # beyond the last burst
        lambda: npu.get_fire_ledger_frames("___power", depth=8, end=7),  # before burst 1
        lambda: npu.configure_fire_ledger_window("iGrid_", 0),
    ):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(KeyError):
        npu.get_fire_ledger_history("nope__", 1)


def test_membrane_potentials_and_thresholds():
    npu = grid_npu()
    npu.update_cortical_area("iGrid_", mp_charge_accumulation=True, firing_threshold=10.0)
    npu.inject_sensory("iGrid_", [1, 2], [0, 1], [0, 0], [2.0, 3.0])
    npu.process_burst()
    v = npu.get_membrane_potentials("iGrid_")
    assert v.dtype == np.float32 and v.tolist() == [0, 0, 2.0, 0, 0, 3.0]
    everything = npu.get_membrane_potentials()
    assert everything.shape == (9,) and everything[5] == 2.0 and everything[8] == 3.0
    assert npu.get_thresholds("iGrid_").tolist() == [10.0] * 6
    assert npu.get_thresholds().tolist() == [1.0] * 3 + [10.0] * 6
    with pytest.raises(KeyError):
        npu.get_membrane_potentials("missing")


# ----- runtime parameter updates (SPEC 4.6) --------------------------------------------


def test_update_cortical_area_rederives_neurons():
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    npu.update_cortical_area("cInput", firing_threshold=2.0, firing_threshold_increment=(0.5, 0, 0))
    assert npu.get_thresholds("cInput").tolist() == [2.0, 2.5, 3.0, 3.5]
    npu.update_area_parameter("cInput", "firing_threshold_increment_x", 1.0)
    assert npu.get_thresholds("cInput").tolist() == [2.0, 3.0, 4.0, 5.0]
    npu.update_cortical_area(
        "cInput__",
        leak_coefficient=10,  # clamped to 1
        neuron_excitability=50,  # a percentage: 0.5
        firing_threshold_limit=7.5,
        consecutive_fire_cnt_max=4,
        snooze_length=2.0,  # integral floats are accepted, as genomes allow
    )
    s = npu.get_neuron_state(4)
    assert (s["leak"], s["excitability"], s["threshold_limit"]) == (1.0, 0.5, 7.5)
    assert (s["consecutive_fire_limit"], s["snooze_period"]) == (4, 2)
    props = npu.get_cortical_areas()[3]["properties"]
    assert props["leak_coefficient"] == 1.0 and props["neuron_excitability"] == 0.5
    npu.update_cortical_area("cInput", postsynaptic_current=3.9, psp_uniform_distribution=False, mp_driven_psp=True)
    assert npu.get_outgoing_synapses(3) == [(4, 1, 3, 0), (7, 1, 3, 1)]
    props = npu.get_cortical_areas()[3]["properties"]
    assert (props["psp"], props["psp_uniform_distribution"], props["mp_driven_psp"]) == (3, False, True)
    npu.update_cortical_area("cInput", firing_threshold_limit=0)
    assert npu.get_neuron_state(4)["threshold_limit"] is None


def test_update_refractory_period_resets_counts_and_keeps_v():
    npu = core_npu()
    npu.register_area("cTest__1", (1, 1, 1))
    npu.add_neuron("cTest__1", threshold=10, refractory_period=3, consecutive_fire_limit=5,
                   mp_charge_accumulation=True)
    npu.inject_sensory_batch([3], [10.0])
    npu.process_burst()
    npu.inject_sensory_batch([3], [4.0])
    npu.process_burst()  # refractory: input dropped
    s = npu.get_neuron_state(3)
    assert (s["refractory_countdown"], s["consecutive_fire_count"]) == (2, 1)
    npu.update_area_parameter("cTest__1", "refractory_period", 0)
    s = npu.get_neuron_state(3)
    assert (s["refractory_period"], s["refractory_countdown"], s["consecutive_fire_count"]) == (0, 0, 0)
    npu.inject_sensory_batch([3], [4.0])
    npu.process_burst()
    assert npu.get_neuron_state(3)["membrane_potential"] == 4.0
    npu.update_cortical_area("cTest__1", mp_charge_accumulation=False)
    npu.process_burst()  # not a candidate, but accumulation off resets V
    assert npu.get_neuron_state(3)["membrane_potential"] == 0.0


@pytest.mark.parametrize(
    "params, exc",
    [
        (dict(firing_treshold=1.0), ValueError),  # misspelt
        (dict(firing_threshold="high"), TypeError),
        (dict(firing_threshold=math.inf), ValueError),
        (dict(leak_coefficient=math.nan), ValueError),
        (dict(refractory_period=70_000), ValueError),
        (dict(refractory_period=-1), ValueError),
        (dict(refractory_period=1.5), ValueError),
        (dict(snooze_length="2"), TypeError),
        (dict(mp_charge_accumulation=1), TypeError),
        (dict(firing_threshold_increment=(1, 2)), ValueError),
        (dict(firing_threshold_increment=5), TypeError),
        (dict(firing_threshold=5.0, consecutive_fire_cnt_max=-1), ValueError),
    ],
)
def test_update_errors_change_nothing(params, exc):
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    before = npu.export_connectome()
    with pytest.raises(exc):
        npu.update_cortical_area("cInput", **params)
    after = npu.export_connectome()
    for key in before["neurons"]:
        assert np.array_equal(before["neurons"][key], after["neurons"][key]), key
    assert before["areas"] == after["areas"]


def test_update_by_alias_and_exon():
    """Every spelling a genome accepts names the same gene at runtime."""
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    npu.update_cortical_area("cInput__", consecutive_fire_limit=4, snooze_period=2, leak_c=0.25)
    s = npu.get_neuron_state(4)
    assert (s["consecutive_fire_limit"], s["snooze_period"], s["leak"]) == (4, 2, 0.25)
    npu.update_area_parameter("cInput__", "c_fr_c", 6)
    npu.update_area_parameter("cInput__", "fire_t", 3.0)
    npu.update_area_parameter("cInput__", "snooze", 5.0)
    s = npu.get_neuron_state(4)
    assert (s["consecutive_fire_limit"], s["threshold"], s["snooze_period"]) == (6, 3.0, 5)
    with pytest.raises(ValueError, match="consecutive_fire_cnt_max"):
        npu.update_area_parameter("cInput__", "bogus", 1)  # the message lists the names
    with pytest.raises(TypeError):
        npu.update_area_parameter("cInput__", "mp_acc", 1)
    with pytest.raises(ValueError):
        npu.update_area_parameter("cInput__", "refrac", 1.5)


def test_update_unknown_area():
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    with pytest.raises(KeyError):
        npu.update_cortical_area("cNope_", firing_threshold=1.0)
    with pytest.raises(IndexError):
        npu.update_area_parameter(12, "firing_threshold", 1.0)
    npu.update_cortical_area("cInput")  # no parameters: nothing to do


def test_power_amount_and_fatigue():
    npu = core_npu()
    npu.set_power_amount(0.5)
    assert npu.process_burst().fired_neurons.tolist() == []  # threshold 1, no accumulation
    npu.set_power_amount(2.0)
    npu.set_fatigue_active(True)
    r = npu.process_burst()
    assert r.fired_neurons.tolist() == [1, 2] and r.fired_potentials.tolist() == [2.0, 2.0]
    assert npu.get_config()["power_amount"] == 2.0 and npu.get_config()["fatigue_active"]
    with pytest.raises(ValueError):
        npu.set_power_amount(math.inf)


# ----- export -----------------------------------------------------------------------


def test_export_connectome():
    npu = feagi_rust.RustNPU.from_genome(SPEC_EXAMPLE_GENOME)
    npu.run(3)
    ex = npu.export_connectome()
    neurons = ex["neurons"]
    expected_dtypes = {
        "membrane_potential": np.float32, "threshold": np.float32, "threshold_limit": np.float32,
        "leak": np.float32, "excitability": np.float32, "refractory_period": np.uint16,
        "refractory_countdown": np.uint16, "consecutive_fire_limit": np.uint16,
        "consecutive_fire_count": np.uint16, "snooze_period": np.uint16,
        "mp_charge_accumulation": np.bool_, "area": np.uint32, "x": np.uint32, "y": np.uint32,
        "z": np.uint32,
    }
    assert set(neurons) == set(expected_dtypes)
    for name, dtype in expected_dtypes.items():
        assert neurons[name].dtype == dtype and neurons[name].shape == (8,), name
    assert neurons["area"].tolist() == [0, 1, 2, 3, 3, 3, 3, 4]
    assert neurons["x"].tolist() == [0, 0, 0, 0, 1, 2, 3, 0]
    assert np.array_equal(neurons["threshold"], np.array([1, 0.1, 1, 1, 1, 1, 1, 3], np.float32))
    assert np.isinf(neurons["threshold_limit"]).all()
    assert neurons["leak"].tolist()[3:7] == [0.25] * 4
    assert neurons["refractory_period"].tolist() == [0, 0, 0, 1, 1, 1, 1, 0]
    assert neurons["consecutive_fire_limit"][7] == 3 and neurons["snooze_period"][7] == 2
    assert neurons["mp_charge_accumulation"].tolist() == [False] * 3 + [True] * 4 + [False]
    assert np.array_equal(neurons["membrane_potential"], npu.get_membrane_potentials())
    assert neurons["membrane_potential"][7] == -8.0
    syn = ex["synapses"]
    assert syn["source"].tolist() == [1, 1, 1, 1, 3, 3, 4, 4, 5, 5, 6]
    assert syn["target"].tolist() == [3, 4, 5, 6, 4, 7, 5, 7, 6, 7, 7]
    assert syn["weight"].tolist() == [1] * 11
    assert syn["psp"].tolist() == [5] * 4 + [2] * 7
    assert syn["type"].tolist() == [0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1]
    assert syn["source"].dtype == np.uint32 and syn["type"].dtype == np.uint8
    # Per-source rows agree with get_outgoing_synapses.
    for n in range(8):
        rows = [
            (int(t), int(w), int(p), int(ty))
            for s, t, w, p, ty in zip(syn["source"], syn["target"], syn["weight"], syn["psp"], syn["type"])
            if s == n
        ]
        assert rows == npu.get_outgoing_synapses(n)
    assert ex["areas"] == npu.get_cortical_areas()
    assert ex["areas"][3]["properties"]["psp_uniform_distribution"] is True
    assert ex["burst"] == 3 and ex["power_neuron"] == 1
    assert ex["fire_queue"]["neuron_ids"].tolist() == [1]
    assert ex["config"]["fire_ledger_window"] == 20
    # Hand-built NPU without a power area.
    bare = feagi_rust.RustNPU()
    assert bare.export_connectome()["power_neuron"] is None


# ----- no panic ever reaches Python ----------------------------------------------------


WEIRD = [None, -1, 2**40, -(2**70), 1.5, math.nan, "", "x" * 300, b"\xff", [], [[1]], {}, object()]


def test_bad_arguments_raise_ordinary_exceptions():
    """Every method, every weird argument: only ordinary exceptions, the NPU still works."""
    npu = grid_npu()
    methods = {
        "add_neuron": 1, "add_synapse": 2, "remove_synapse": 2, "update_synapse_weight": 3,
        "process_burst": 1, "inject_sensory": 5, "inject_sensory_batch": 2,
        "get_fire_ledger_history": 2, "get_fire_ledger_frames": 2,
        "configure_fire_ledger_window": 2, "get_fire_ledger_window_size": 1,
        "get_membrane_potentials": 1, "get_thresholds": 1, "get_neuron_ids": 1,
        "get_neuron_state": 1, "get_neuron_at_coordinate": 4, "get_neurons_at_coordinate": 4,
        "get_outgoing_synapses": 1, "get_incoming_synapses": 1, "update_area_parameter": 3,
        "register_area": 1, "set_power_amount": 1, "add_synapses_batch": 5,
        "start_burst_loop": 1,
    }
    for name, arity in methods.items():
        for weird in WEIRD:
            for position in range(arity):
                args = ["iGrid_" if name not in ("add_synapse",) else 3] * arity
                args[position] = weird
                try:
                    getattr(npu, name)(*args)
                except (ValueError, TypeError, KeyError, IndexError, RuntimeError):  # never OverflowError
                    pass
                finally:
                    npu.stop_burst_loop()
    npu.clear_staged()
    npu.set_power_amount(1.0)
    assert fired(npu.process_burst(), 1)
    assert pattern([True, False]) == "1_"

"""Reliability of the Python API (M2.6): what cannot fit is refused with a
MemoryError that names it, capacity errors are MemoryErrors, integer
arguments of any size give the documented exception, bools and masked arrays
are refused where integers are expected, and SpikeRecord lookups treat
unknown ids like the NPU does. After every refusal the NPU is unchanged and
keeps working."""

import copy
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import feagi_rust
from helpers import SPEC_EXAMPLE_GENOME, core_npu, fired

RUN_MAX_BURSTS = 2**30  # docs/PYTHON.md: one run() call runs at most 2**30 bursts


def small_npu():
    """Core neurons 0-2, a 3x2x1 IPU area (ids 3-8) and a custom area (ids 9-10)."""
    npu = core_npu()
    npu.register_area("iGrid_", (3, 2, 1), kind="IPU")
    for y in range(2):
        for x in range(3):
            npu.add_neuron("iGrid_", x, y, 0)
    npu.register_area("cOut__", (2, 1, 1))
    for x in range(2):
        npu.add_neuron("cOut__", x, 0, 0)
    npu.add_synapse(1, 9, 1, 1)
    npu.add_synapse(3, 10, 200, 5)
    return npu


def state(npu):
    ex = npu.export_connectome()
    return (
        npu.burst_count(), npu.neuron_count(), npu.synapse_count(), npu.area_count(),
        npu.staged_count(), npu.get_config(),
        ex["neurons"]["membrane_potential"].tobytes(), ex["synapses"]["weight"].tobytes(),
        ex["synapses"]["target"].tobytes(), repr(ex["areas"]),
    )


# ----- run(n): what cannot fit is refused up front -------------------------------------


@pytest.mark.parametrize("n", [RUN_MAX_BURSTS + 1, 2**31, 2**62, 2**63 - 1])
@pytest.mark.parametrize("record", [True, False])
def test_run_refuses_more_bursts_than_it_can_keep(n, record):
    npu = feagi_rust.RustNPU.from_genome(feagi_rust.default_genome_json())
    before = state(npu)
    with pytest.raises(MemoryError) as info:
        npu.run(n, record=record)
    message = str(info.value)
    assert f"n={n}" in message
    assert "4 bytes per burst" in message and "4 bytes per spike" in message
    assert str(RUN_MAX_BURSTS) in message
    assert state(npu) == before
    assert npu.run(3).num_bursts == 3 and npu.burst_count() == 3


def test_run_n_outside_its_range_is_a_value_error():
    npu = small_npu()
    for n in (-1, -(2**70), 2**63, 2**64, 10**400):
        with pytest.raises(ValueError, match="n must lie in"):
            npu.run(n)
    with pytest.raises(TypeError):
        npu.run(True)
    with pytest.raises(TypeError):
        npu.run(2.0)
    assert npu.burst_count() == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_run_under_a_two_gigabyte_address_space():
    """`ulimit -v 2000000`: run(2**62) used to abort the process. Now every
    refusal is a MemoryError and the NPU keeps running."""
    script = textwrap.dedent(
        """
        import resource
        import feagi_rust
        npu = feagi_rust.RustNPU.from_genome(feagi_rust.default_genome_json())
        resource.setrlimit(resource.RLIMIT_AS, (2_000_000 * 1024, 2_000_000 * 1024))
        refused = []
        for n in (2**62, 2**31, 2**30):
            for record in (True, False):
                try:
                    npu.run(n, record=record)
                except MemoryError as e:
                    refused.append(n)
        assert refused == [2**62, 2**62, 2**31, 2**31, 2**30, 2**30], refused
        assert npu.burst_count() == 0
        record = npu.run(200)
        assert record.num_bursts == 200 and npu.burst_count() == 200
        assert npu.run(100, record=False).shape == (100,)
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stderr[-3000:])


def test_spike_record_with_bursts_run_by_another_thread():
    """run() lets go of the NPU every 50 ms: bursts run by another thread in
    the gaps are not part of the record, and the record stays consistent."""
    npu = core_npu()
    npu.register_area("cWide_", (2000, 1, 1))
    ids = np.array([npu.add_neuron("cWide_", x) for x in range(2000)], dtype=np.uint32)
    ones = np.ones(len(ids), np.uint8)
    npu.add_synapses_batch(np.full(len(ids), 1, np.uint32), ids, ones, ones, np.zeros(len(ids), np.uint8))
    npu.update_cortical_area("cWide_", firing_threshold=0.0)
    others = []
    stop = threading.Event()

    def other():
        while not stop.is_set():
            others.append(npu.process_burst().burst)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        record = npu.run(8_000)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert others, "the other thread must have burst during the run"
    mine = np.unique(record.bursts)  # the power neuron fires every burst
    assert len(mine) == record.num_bursts == 8_000
    assert record.first_burst == mine[0] and record.last_burst == mine[-1]
    assert not set(mine.tolist()) & set(others)
    assert sorted(mine.tolist() + others) == list(range(1, npu.burst_count() + 1))
    assert record.pattern(1) == "1" * 8_000
    assert record.spikes_of(1).tolist() == mine.tolist()
    assert int(record.counts.sum()) == len(record) == len(record.neuron_ids)


# ----- capacity errors are MemoryErrors ------------------------------------------------


def test_staged_input_beyond_the_limit_is_a_memory_error():
    npu = small_npu()
    npu.inject_sensory_batch([3, 4], 1.0)
    before = state(npu)
    # Zero potentials: calloc'd pages, so the 2**27 + 1 entries cost no memory here.
    ids = np.zeros(2**27 + 1, np.uint32)
    with pytest.raises(MemoryError) as info:
        npu.inject_sensory_batch(ids, np.zeros(len(ids), np.float32))
    assert "134217731" in str(info.value) and "134217728" in str(info.value)
    del ids
    assert state(npu) == before
    assert fired(npu.process_burst(), 3)


def test_genome_capacity_error_is_a_memory_error_and_a_genome_error():
    genome = copy.deepcopy(SPEC_EXAMPLE_GENOME)
    genome["blueprint"]["_____10c-cInput-cx-___bbx-i"] = 10_000
    genome["blueprint"]["_____10c-cInput-cx-___bby-i"] = 10_000
    with pytest.raises(MemoryError) as info:
        feagi_rust.RustNPU.from_genome(genome)
    e = info.value
    assert isinstance(e, feagi_rust.GenomeCapacityError)
    assert isinstance(e, feagi_rust.GenomeError) and isinstance(e, ValueError)
    assert e.kind == "CapacityExceeded" and e.cortical_id == "cInput"
    assert "100000000" in str(e) and "50000000" in str(e)
    genome["blueprint"]["_____10c-cInput-cx-___bbx-i"] = 2**40
    with pytest.raises(feagi_rust.GenomeCapacityError, match="4294967295"):
        feagi_rust.RustNPU.from_genome(genome)


def test_genome_file_beyond_the_size_limit(tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(256 * 1024 * 1024 + 1)  # sparse: costs no disk
    with pytest.raises(feagi_rust.GenomeCapacityError) as info:
        feagi_rust.RustNPU.from_genome(big)
    assert "268435457" in str(info.value) and "268435456" in str(info.value)
    assert info.value.file == str(big)


# ----- bools, masked arrays ------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda n: n.get_neuron_state(True),
        lambda n: n.get_outgoing_synapses(False),
        lambda n: n.add_synapse(True, 3),
        lambda n: n.add_synapse(3, 4, weight=True),
        lambda n: n.add_synapse(3, 4, synapse_type=True),
        lambda n: n.remove_synapse(1, True),
        lambda n: n.add_neuron("iGrid_", True),
        lambda n: n.get_neuron_ids(True),
        lambda n: n.register_area("cNew__", (True, 1, 1)),
        lambda n: n.inject_sensory_batch([True, 3], 1.0),
        lambda n: n.inject_sensory_batch(np.array([True, False]), 1.0),
        lambda n: n.inject_sensory_batch([np.True_], 1.0),
        lambda n: n.inject_sensory("iGrid_", np.array([True]), [0], [0], 1.0),
        lambda n: n.process_burst(power_neurons=[True]),
        lambda n: n.process_burst(power_neurons=np.ones(2, bool)),
        lambda n: n.add_synapses_batch([3], [4], [True], [1], [0]),
        lambda n: n.add_synapses_batch(np.array([True]), [4], [1], [1], [0]),
        lambda n: n.run(False),
        lambda n: n.configure_fire_ledger_window("iGrid_", True),
    ],
)
def test_bools_are_not_integers(call):
    npu = small_npu()
    before = state(npu)
    with pytest.raises(TypeError, match="bool"):
        call(npu)
    assert state(npu) == before


def test_bools_as_potentials_are_zero_and_one():
    npu = small_npu()
    assert npu.inject_sensory_batch([3, 4], np.array([True, False])) == 1
    assert npu.inject_sensory("iGrid_", [0, 1], [0, 0], [0, 0], [False, True]) == 1
    assert npu.staged_count() == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda n, m: n.inject_sensory_batch(m, 1.0),
        lambda n, m: n.inject_sensory_batch([3, 4], m.astype(np.float32)),
        lambda n, m: n.inject_sensory("iGrid_", m - 3, [0, 0], [0, 0], 1.0),
        lambda n, m: n.process_burst(power_neurons=m),
        lambda n, m: n.add_synapses_batch(m, [9, 10], [1, 1], [1, 1], [0, 0]),
    ],
)
@pytest.mark.parametrize("mask", [[False, True], [False, False]])
def test_masked_arrays_are_refused(call, mask):
    npu = small_npu()
    before = state(npu)
    masked = np.ma.masked_array(np.array([3, 4], dtype=np.uint32), mask=mask)
    with pytest.raises(TypeError, match="masked array"):
        call(npu, masked)
    assert state(npu) == before
    # The remedies the message names work.
    assert npu.inject_sensory_batch(masked.compressed(), 1.0) == 2 - sum(mask)
    assert npu.inject_sensory_batch(masked.filled(5), 1.0) == 2


# ----- integers of any size -------------------------------------------------------------

HUGE = [2**63, 2**64, -(2**63) - 1, -(2**64), 10**30, -(10**30), 10**400]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda n, v: n.get_neuron_state(v), IndexError),
        (lambda n, v: n.get_outgoing_synapses(v), IndexError),
        (lambda n, v: n.get_incoming_synapses(v), IndexError),
        (lambda n, v: n.add_synapse(v, 3), IndexError),
        (lambda n, v: n.add_synapse(3, v), IndexError),
        (lambda n, v: n.remove_synapse(3, v), IndexError),
        (lambda n, v: n.update_synapse_weight(v, 3, 1), IndexError),
        (lambda n, v: n.get_neuron_ids(v), IndexError),
        (lambda n, v: n.add_neuron(v), IndexError),
        (lambda n, v: n.add_synapse(3, 4, v), ValueError),
        (lambda n, v: n.add_synapse(3, 4, psp=v), ValueError),
        (lambda n, v: n.add_synapse(3, 4, conductance=v), ValueError),
        (lambda n, v: n.add_synapse(3, 4, synapse_type=v), ValueError),
        (lambda n, v: n.update_synapse_weight(3, 10, v), ValueError),
        (lambda n, v: n.add_neuron("iGrid_", v), ValueError),
        (lambda n, v: n.add_neuron("iGrid_", 0, 0, 0, refractory_period=v), ValueError),
        (lambda n, v: n.register_area("cNew__", (v, 1, 1)), ValueError),
        (lambda n, v: n.register_area("cNew__", neurons_per_voxel=v), ValueError),
        (lambda n, v: n.run(v), ValueError),
        (lambda n, v: n.start_burst_loop(10, max_bursts=v), ValueError),
        (lambda n, v: n.get_fire_ledger_frames("iGrid_", v), ValueError),
        (lambda n, v: n.get_fire_ledger_frames("iGrid_", 1, end=v), ValueError),
        (lambda n, v: n.configure_fire_ledger_window("iGrid_", v), ValueError),
        (lambda n, v: n.update_area_parameter("iGrid_", "refractory_period", v), ValueError),
        (lambda n, v: n.add_stdp_pair("iGrid_", "cOut__", window=v), ValueError),
        (lambda n, v: n.add_stdp_pair("iGrid_", "cOut__", plasticity_constant=v), ValueError),
        (lambda n, v: n.add_memory_area("cOut__", init_lifespan=v), ValueError),
        (lambda n, v: n.inject_sensory_batch([3, v], 1.0), ValueError),
        (lambda n, v: n.inject_sensory_batch(np.array([3, v], dtype=object), 1.0), ValueError),
        (lambda n, v: n.process_burst(power_neurons=[v]), ValueError),
        (lambda n, v: n.add_synapses_batch([3], [4], [v], [1], [0]), ValueError),
        (lambda n, v: feagi_rust.RustNPU(v), ValueError),
        (lambda n, v: feagi_rust.RustNPU(fire_ledger_window=v), ValueError),
        # Seeds are u64: 2**63 is one, so only the negative side is out of range here.
        (lambda n, v: feagi_rust.RustNPU.from_genome(feagi_rust.default_genome_json(), seed=-abs(v)),
         ValueError),
    ],
)
def test_integers_of_any_size_give_the_documented_exception(call, exc, value):
    npu = small_npu()
    before = state(npu)
    with pytest.raises(exc) as info:
        call(npu, value)
    assert type(info.value) is not OverflowError
    npu.stop_burst_loop()
    assert state(npu) == before


# Real-valued parameters take ints too; beyond the f32 range they are infinite,
# which every one of them refuses.
REAL_HUGE = [10**39, -(10**39), 10**400, -(10**400)]


@pytest.mark.parametrize("value", REAL_HUGE)
@pytest.mark.parametrize(
    "call",
    [
        lambda n, v: n.add_neuron("iGrid_", threshold=v),
        lambda n, v: n.add_neuron("iGrid_", threshold_limit=v),
        lambda n, v: n.add_neuron("iGrid_", leak=v),
        lambda n, v: n.add_neuron("iGrid_", excitability=v),
        # A frequency of 1e39 Hz is finite (the loop runs flat out): beyond the float range only.
        lambda n, v: n.start_burst_loop(v * 10**400),
        lambda n, v: n.set_power_amount(v),
        lambda n, v: n.update_area_parameter("iGrid_", "firing_threshold", v),
        lambda n, v: n.update_cortical_area("iGrid_", firing_threshold_increment=[v, 0, 0]),
        lambda n, v: n.update_cortical_area("iGrid_", leak_coefficient=v, firing_threshold=v),
        lambda n, v: feagi_rust.RustNPU.from_genome(feagi_rust.default_genome_json(), power_amount=v),
    ],
)
def test_reals_beyond_f32_are_value_errors(call, value):
    npu = small_npu()
    before = state(npu)
    with pytest.raises(ValueError):
        call(npu, value)
    npu.stop_burst_loop()
    assert state(npu) == before


@pytest.mark.parametrize("value", HUGE + [-1, 2**32])
def test_out_of_range_coordinates_and_lookbacks_are_answered(value):
    npu = small_npu()
    assert npu.get_neuron_at_coordinate("iGrid_", value, 0, 0) is None
    assert npu.get_neurons_at_coordinate("iGrid_", 0, value, 0) == []
    # Voxels outside the area are skipped, as documented for negative coordinates.
    assert npu.inject_sensory("iGrid_", [0, value], [0, 0], [0, 0], 1.0) == 1
    assert npu.inject_sensory("iGrid_", np.array([value], dtype=object), [0], [0], 1.0) == 0
    # Huge potentials are infinite and skipped like any non-finite potential.
    assert npu.inject_sensory_batch([3], [10**400]) == 0
    npu.process_burst()
    frames = npu.get_fire_ledger_history("iGrid_", lookback=2**64 if value > 0 else 1)
    assert len(frames) == 1


# ----- SpikeRecord lookups --------------------------------------------------------------


def test_spike_record_lookups_treat_unknown_ids_like_the_npu():
    npu = small_npu()
    record = npu.run(4)
    assert record.pattern(1) == "1111" and record.spikes_of(1).tolist() == [1, 2, 3, 4]
    # A neuron of the NPU that never fired: an answer, not an error.
    assert record.pattern(10) == "____" and record.spikes_of(10).tolist() == []
    # Ids the NPU does not have, of any size: IndexError from both, like npu.get_neuron_state.
    for neuron in (11, 10**6, 2**32 - 1, 2**32, 2**40, -1, 2**64, 10**400):
        with pytest.raises(IndexError):
            npu.get_neuron_state(neuron)
        with pytest.raises(IndexError, match="unknown neuron"):
            record.pattern(neuron)
        with pytest.raises(IndexError, match="unknown neuron"):
            record.spikes_of(neuron)
    for bad in (True, 1.0, "1", None):
        with pytest.raises(TypeError):
            record.pattern(bad)
        with pytest.raises(TypeError):
            record.spikes_of(bad)
    # The record keeps the ids of the NPU at the end of the run.
    late = npu.add_neuron("cOut__", 1, 0, 0)
    with pytest.raises(IndexError):
        record.pattern(late)
    assert npu.run(2).pattern(late) == "__"


def test_objects_stay_usable_after_memory_errors():
    npu = small_npu()
    with pytest.raises(MemoryError):
        npu.run(2**40)
    with pytest.raises(MemoryError):
        npu.inject_sensory_batch(np.zeros(2**27 + 1, np.uint32), np.zeros(2**27 + 1, np.float32))
    with pytest.raises(MemoryError):
        npu.inject_sensory_batch(range(10**18), 1.0)
    assert npu.run(5, record=False).shape == (5,)
    assert npu.export_connectome()["burst"] == 5
    clone = npu.__reduce__()[0](*npu.__reduce__()[1])
    assert clone.burst_count() == 5


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"] + sys.argv[1:]))


# ----- genome files and the memory budget (issue M2.6 items 2 and 4) ---------------


def test_memory_limit_refuses_before_developing():
    genome = feagi_rust.RustNPU.default_genome()
    with pytest.raises(MemoryError) as info:
        feagi_rust.RustNPU.from_genome(genome, memory_limit=1000)
    assert isinstance(info.value, feagi_rust.GenomeError)
    assert "memory" in str(info.value) and "1000" in str(info.value)
    # 0 means no limit; a generous one fits; a negative one is a ValueError.
    for limit in (0, 1 << 34):
        npu = feagi_rust.RustNPU.from_genome(genome, memory_limit=limit)
        assert npu.neuron_count() > 0
    with pytest.raises(ValueError):
        feagi_rust.RustNPU.from_genome(genome, memory_limit=-1)


def test_genome_paths_must_be_regular_files(tmp_path):
    # A folder, a device and a FIFO are refused at once (a FIFO used to block
    # for ever, /dev/zero to read until memory ran out).
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (tmp_path, "/dev/zero", fifo):
        with pytest.raises(feagi_rust.GenomeError) as info:
            feagi_rust.RustNPU.from_genome(os.fspath(path))
        assert os.fspath(path)[:150] in str(info.value)
    # A genome file with a byte order mark loads.
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + feagi_rust.RustNPU.default_genome().encode())
    npu = feagi_rust.RustNPU.from_genome(os.fspath(bom))
    assert npu.genome_source is not None and npu.neuron_count() > 0


def generated_genome(neurons_per_area, fanout):
    """A chain of four areas (IPU -> two hidden -> OPU -> IPU), `fanout`
    randomizer rules per area: neurons_per_area x fanout synapses per area."""
    areas = [("i_gen0", "IPU", "c_gen1"), ("c_gen1", "CUSTOM", "c_gen2"),
             ("c_gen2", "CUSTOM", "o_gen3"), ("o_gen3", "OPU", "i_gen0")]
    bp = {}
    for cid, group, dst in areas:
        key = f"_____10c-{cid}-cx-"
        bp.update({key + "___bbx-i": neurons_per_area, key + "___bby-i": 1, key + "___bbz-i": 1,
                   key + "__name-t": cid, key + "_group-t": group, key + "_n_cnt-i": 1,
                   key + "dstmap-d": {dst: [["randomizer", [1, 1, 1], 1, False]] * fanout}})
    return {"genome_id": "generated", "version": "2.1", "blueprint": bp,
            "neuron_morphologies": {"randomizer": {"type": "functions", "parameters": {}}},
            "physiology": {"simulation_timestep": 0.025}}


def test_a_genome_beyond_an_address_space_cap_is_a_memory_error(tmp_path):
    # Item 2: 4.4 M neurons x 100 synapses (about 8.2 GB) under `ulimit -v 8000000`
    # used to take the interpreter down; the default limit counts the cap.
    import json
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generated_genome(1_100_000, 100)))
    code = textwrap.dedent(f"""
        import resource, sys, feagi_rust
        resource.setrlimit(resource.RLIMIT_AS, (8_000_000 * 1024, resource.RLIM_INFINITY))
        try:
            feagi_rust.RustNPU.from_genome({os.fspath(path)!r})
        except MemoryError as e:
            assert "memory" in str(e), e
            npu = feagi_rust.RustNPU.from_genome(feagi_rust.RustNPU.default_genome())
            npu.run(5)
            print("refused")
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "refused" in out.stdout, out.stderr[-2000:]

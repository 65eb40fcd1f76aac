"""Snapshots through Python (SPEC 6.3, item 45): ``save`` / ``RustNPU.load``
and pickling. A brain saved after burst k and loaded again (or pickled)
continues exactly as the run that never stopped: every later burst's fired
ids and firing potentials, the membrane potentials, the learned weights of
every plastic pair and the memory neurons. Bad files raise ``OSError`` or
``ValueError`` naming the file, never a panic; a failed save leaves nothing
behind; file I/O runs with the GIL released."""

import copy
import json
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import feagi_rust
from helpers import core_npu

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference.harness import build_plastic_network  # noqa: E402

RustNPU = feagi_rust.RustNPU
LEARNING_GENOMES = ["community_learning_v1_1b.json", "community_gesture_recognition.json"]


# ----- running twins --------------------------------------------------------


def stage(npu, burst, seed, potentials=(50.0, 50.0)):
    """Seeded random input held for 10 bursts, as a camera frame would be: a
    fifth of the regular neurons (ids from 3, past the core neurons) get a
    potential drawn from ``potentials``."""
    rng = np.random.default_rng([seed, burst // 10])
    n = npu.neuron_count()
    ids = (3 + np.flatnonzero(rng.random(n - 3) < 0.2)).astype(np.uint32)
    npu.inject_sensory_batch(ids, rng.uniform(*potentials, size=len(ids)).astype(np.float32))


def run(npu, first, last, seed, staged_first=False, **input_kwargs):
    """Bursts ``first`` .. ``last - 1`` (0-based input frames) with held
    input: per burst the number, fired ids and the bits of the firing
    potentials. ``staged_first``: the first burst's input is staged already."""
    trace = []
    for t in range(first, last):
        if t > first or not staged_first:
            stage(npu, t, seed, **input_kwargs)
        r = npu.process_burst()
        trace.append((r.burst, r.fired_neurons.tolist(), r.fired_potentials.view(np.uint32).tolist()))
    return trace


def plastic_weights(npu):
    """Every STDP pair's (sources, targets, weights) in row order."""
    return [
        tuple(a.tolist() for a in npu.get_synapse_weights(p["source_area"], p["destination_area"]))
        for p in npu.get_stdp_pairs()
    ]


def memory_neurons(npu):
    return [npu.get_memory_neurons(a["index"]) for a in npu.get_cortical_areas() if a["kind"] == "MEMORY"]


def assert_equal_exports(x, y, where="export"):
    """Two ``export_connectome()`` values are equal, floats bit for bit."""
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), where
        for key in x:
            assert_equal_exports(x[key], y[key], f"{where}[{key!r}]")
    elif isinstance(x, (list, tuple)):
        assert isinstance(y, (list, tuple)) and len(x) == len(y), where
        for i, (a, b) in enumerate(zip(x, y)):
            assert_equal_exports(a, b, f"{where}[{i}]")
    elif isinstance(x, np.ndarray):
        assert isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape, where
        assert x.tobytes() == y.tobytes(), where
    elif isinstance(x, float):
        assert np.float64(x).tobytes() == np.float64(y).tobytes(), where
    else:
        assert x == y, where


def assert_resumes(make, resume, k=45, m=75, seed=7, learns=False, **input_kwargs):
    """Runs twins ``make()`` for ``k`` bursts, stages burst k+1's input in
    both, resumes one through ``resume`` (save and load, pickle, ...) and
    checks that the next ``m`` bursts and the final state equal those of the
    twin that never stopped, and that the saved original was not changed."""
    original, never_stopped = make(), make()
    first_weights = plastic_weights(original)
    assert run(original, 0, k, seed, **input_kwargs) == run(never_stopped, 0, k, seed, **input_kwargs)
    # Input staged before the save belongs to the snapshot.
    stage(original, k, seed, **input_kwargs)
    stage(never_stopped, k, seed, **input_kwargs)

    resumed = resume(original)
    assert resumed is not original
    assert resumed.burst_count() == k
    assert resumed.staged_count() == never_stopped.staged_count() > 0
    assert resumed.get_config() == never_stopped.get_config()
    assert resumed.genome_source == never_stopped.genome_source
    assert resumed.memory_neuron_count() == never_stopped.memory_neuron_count()

    expected = run(never_stopped, k, k + m, seed, staged_first=True, **input_kwargs)
    got = run(resumed, k, k + m, seed, staged_first=True, **input_kwargs)
    for burst, (a, b) in enumerate(zip(got, expected), start=k + 1):
        assert a == b, f"burst {burst}: the resumed brain fired differently"
    assert len(got) == len(expected) == m
    v = never_stopped.get_membrane_potentials()
    assert resumed.get_membrane_potentials().view(np.uint32).tolist() == v.view(np.uint32).tolist()
    assert plastic_weights(resumed) == plastic_weights(never_stopped)
    assert memory_neurons(resumed) == memory_neurons(never_stopped)
    # Saving changed nothing in the original either.
    assert run(original, k, k + m, seed, staged_first=True, **input_kwargs) == expected
    assert_equal_exports(resumed.export_connectome(), never_stopped.export_connectome())
    if learns:
        assert plastic_weights(never_stopped) != first_weights, "nothing learned: the test proves little"
    return resumed


def through_file(tmp_path, as_path=False):
    def resume(npu):
        path = tmp_path / "brain.snap"
        npu.save(path if as_path else str(path))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["brain.snap"]
        return RustNPU.load(path if as_path else str(path))

    return resume


def through_pickle(protocol):
    return lambda npu: pickle.loads(pickle.dumps(npu, protocol=protocol))


# ----- resuming -------------------------------------------------------------


@pytest.mark.parametrize("name", LEARNING_GENOMES)
def test_learning_genome_resumes_exactly(genome_path, tmp_path, name):
    path = genome_path(name)

    def make():
        return RustNPU.from_genome(path, seed=3, plasticity=True)

    resumed = assert_resumes(make, through_file(tmp_path), learns=True)
    assert resumed.genome_source == path.read_text()
    assert resumed.get_stdp_pairs() and resumed.get_config()["plasticity"] is True


def test_default_genome_resumes_exactly(tmp_path):
    def make():
        return RustNPU.from_genome(RustNPU.default_genome(), seed=5, fatigue_active=True)

    resumed = assert_resumes(make, through_file(tmp_path, as_path=True), k=30, m=60)
    assert resumed.genome_source == feagi_rust.default_genome_json()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_built_plastic_network_resumes_exactly(tmp_path, seed):
    """STDP pairs (synapse-creating ones too), memory areas, twins and replay
    without the genome corpus."""

    def make():
        return build_plastic_network(seed).npu

    resumed = assert_resumes(make, through_file(tmp_path), k=40 + seed, m=80, seed=seed,
                             learns=True, potentials=(0.5, 6.0))
    assert resumed.genome_source is None


@pytest.mark.parametrize("protocol", range(2, pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip_resumes_exactly(protocol):
    assert_resumes(lambda: build_plastic_network(1).npu, through_pickle(protocol), k=33, m=50,
                   seed=1, learns=True, potentials=(0.5, 6.0))


def test_pickle_of_a_genome_brain_keeps_its_source():
    assert_resumes(lambda: RustNPU.from_genome(RustNPU.default_genome()), through_pickle(None), k=12, m=30)


@pytest.mark.parametrize("duplicate", [copy.deepcopy, copy.copy])
def test_copies_are_independent_brains(duplicate):
    npu = build_plastic_network(2).npu
    run(npu, 0, 25, seed=2, potentials=(0.5, 6.0))
    twin = duplicate(npu)
    assert type(twin) is RustNPU and twin is not npu
    # Running the copy leaves the original where it was, and both continue alike.
    copied = run(twin, 25, 60, seed=2, potentials=(0.5, 6.0))
    assert npu.burst_count() == 25 and twin.burst_count() == 60
    assert run(npu, 25, 60, seed=2, potentials=(0.5, 6.0)) == copied
    assert plastic_weights(npu) == plastic_weights(twin)


def test_reduce_goes_through_the_snapshot_format(tmp_path):
    npu = core_npu()
    npu.process_burst()
    rebuild, (data,) = npu.__reduce__()
    assert rebuild == RustNPU._from_snapshot_bytes
    path = tmp_path / "n.snap"
    npu.save(path)
    assert data == path.read_bytes() and data.startswith(b"FEAGISNP")
    assert RustNPU._from_snapshot_bytes(data).burst_count() == 1


def test_a_snapshot_of_a_loaded_brain_is_the_same_file(tmp_path):
    npu = build_plastic_network(3).npu
    run(npu, 0, 30, seed=3, potentials=(0.5, 6.0))
    first, second = tmp_path / "first.snap", tmp_path / "second.snap"
    npu.save(first)
    RustNPU.load(first).save(second)
    assert first.read_bytes() == second.read_bytes()
    # Saving again replaces the file, and leaves no temporary file behind.
    run(npu, 30, 31, seed=3, potentials=(0.5, 6.0))
    npu.save(first)
    assert first.read_bytes() != second.read_bytes()
    assert RustNPU.load(first).burst_count() == 31
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.snap", "second.snap"]


def test_genome_source_records_every_genome_form(tmp_path):
    text = RustNPU.default_genome()
    path = tmp_path / "default genome.json"
    path.write_text(text)
    assert RustNPU.from_genome(path).genome_source == text
    assert RustNPU.from_genome(str(path)).genome_source == text
    assert RustNPU.from_genome(text).genome_source == text
    assert RustNPU.from_genome(text.encode()).genome_source == text
    as_dict = json.loads(text)
    from_dict = RustNPU.from_genome(as_dict).genome_source
    assert json.loads(from_dict) == as_dict
    # Kept by snapshots, with the warnings of the load left behind.
    npu = RustNPU.from_genome(path, plasticity=False)
    npu.save(tmp_path / "b.snap")
    loaded = RustNPU.load(tmp_path / "b.snap")
    assert loaded.genome_source == text
    assert loaded.genome_warnings() == []
    assert loaded.get_config() == npu.get_config()


def test_hand_built_brains_have_no_genome_source(tmp_path):
    npu = core_npu()
    assert npu.genome_source is None
    npu.save(tmp_path / "c.snap")
    assert RustNPU.load(tmp_path / "c.snap").genome_source is None
    with pytest.raises(AttributeError):
        npu.genome_source = "{}"


# ----- bad files --------------------------------------------------------------


@pytest.fixture
def snapshot_bytes():
    npu = build_plastic_network(4).npu
    run(npu, 0, 20, seed=4, potentials=(0.5, 6.0))
    return pickle.loads(pickle.dumps(npu)).__reduce__()[1][0]


def test_load_missing_file(tmp_path):
    missing = tmp_path / "missing.snap"
    with pytest.raises(FileNotFoundError) as info:
        RustNPU.load(missing)
    assert info.value.filename == str(missing)
    assert "missing.snap" in str(info.value)


def future_version(data):
    return data[:8] + (99).to_bytes(4, "little") + data[12:]


@pytest.mark.parametrize(
    "name, content, problem",
    [
        ("folder.snap", None, "it is a folder"),
        ("empty.snap", b"", "it is empty"),
        ("genome.json", "genome", "starts like JSON"),
        ("truncated.snap", lambda d: d[: len(d) - 100], "truncated"),
        ("header_only.snap", lambda d: d[:20], "truncated"),
        ("flipped.snap", lambda d: d[: len(d) // 2] + bytes([d[len(d) // 2] ^ 0x10]) + d[len(d) // 2 + 1:],
         "corrupted"),
        ("future.snap", future_version, "cannot be read by feagi-rust"),
        ("joined.snap", lambda d: d + d, "bytes follow the checksum"),
        ("other.bin", b"\x89PNG\r\n\x1a\n" + bytes(100), "not a feagi-rust snapshot"),
    ],
)
def test_load_bad_files(tmp_path, snapshot_bytes, name, content, problem):
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif content == "genome":
        path.write_text(RustNPU.default_genome())
    else:
        path.write_bytes(content(snapshot_bytes) if callable(content) else content)
    with pytest.raises(ValueError) as info:
        RustNPU.load(path)
    message = str(info.value)
    assert name in message and problem in message, message
    assert not isinstance(info.value, feagi_rust.GenomeError)


def test_damaged_snapshots_never_panic(tmp_path, snapshot_bytes):
    """Every cut and many flipped bytes, from a file and from bytes: always
    a ValueError (a panic would raise pyo3's PanicException, no ValueError)."""
    data = snapshot_bytes
    rng = np.random.default_rng(0)
    cuts = sorted(set(range(0, 64)) | set(rng.integers(0, len(data), size=150).tolist()))
    path = tmp_path / "damaged.snap"
    for cut in cuts:
        with pytest.raises(ValueError):
            RustNPU._from_snapshot_bytes(data[:cut])
    for position in sorted(set(range(0, 64)) | set(rng.integers(0, len(data), size=150).tolist())):
        flipped = bytearray(data)
        flipped[position] ^= 1 << int(rng.integers(0, 8))
        path.write_bytes(bytes(flipped))
        with pytest.raises(ValueError) as info:
            RustNPU.load(path)
        assert "damaged.snap" in str(info.value)
        with pytest.raises(ValueError):
            RustNPU._from_snapshot_bytes(bytes(flipped))


def test_unpickling_damaged_data_raises_value_error(snapshot_bytes):
    pickled = pickle.dumps(RustNPU._from_snapshot_bytes(snapshot_bytes))
    assert snapshot_bytes in pickled
    at = pickled.index(snapshot_bytes) + len(snapshot_bytes) // 2
    damaged = pickled[:at] + bytes([pickled[at] ^ 0xFF]) + pickled[at + 1:]
    with pytest.raises(ValueError, match="corrupted"):
        pickle.loads(damaged)


def test_save_into_a_missing_folder_leaves_nothing(tmp_path):
    npu = core_npu()
    target = tmp_path / "no" / "such" / "folder" / "x.snap"
    with pytest.raises(OSError) as info:
        npu.save(target)
    assert isinstance(info.value, FileNotFoundError)
    assert "x.snap" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_existing_file(tmp_path):
    npu = core_npu()
    path = tmp_path / "kept.snap"
    npu.save(path)
    before = path.read_bytes()
    npu.process_burst()
    # The temporary file cannot be created: a folder is in its place.
    (tmp_path / ".kept.snap.tmp").mkdir()
    with pytest.raises(OSError) as info:
        npu.save(path)
    assert "kept.snap" in str(info.value)
    assert path.read_bytes() == before
    assert RustNPU.load(path).burst_count() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".kept.snap.tmp", "kept.snap"]


def test_saving_over_a_folder_fails(tmp_path):
    npu = core_npu()
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        npu.save(tmp_path / "taken")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert list((tmp_path / "taken").iterdir()) == []


@pytest.mark.parametrize("call", [
    lambda npu: npu.save(3),
    lambda npu: npu.save(None),
    lambda npu: RustNPU.load(1.5),
    lambda npu: RustNPU._from_snapshot_bytes("FEAGISNP"),
])
def test_bad_argument_types(call):
    with pytest.raises(TypeError):
        call(core_npu())


# ----- the GIL ------------------------------------------------------------------


def big_npu(sources=1_000, fan_out=2_000):
    """Two million synapses (a snapshot of about 14 MB)."""
    npu = core_npu()
    npu.register_area("cBig__", (sources, 1, 1))
    for x in range(sources):
        npu.add_neuron("cBig__", x)
    rng = np.random.default_rng(0)
    src = np.repeat(np.arange(3, 3 + sources, dtype=np.uint32), fan_out)
    tgt = rng.integers(3, 3 + sources, size=len(src), dtype=np.uint32)
    weights = rng.integers(0, 256, size=len(src), dtype=np.uint8)
    npu.add_synapses_batch(src, tgt, weights, np.ones(len(src), np.uint8), np.zeros(len(src), np.uint8))
    return npu


def test_save_releases_the_gil(tmp_path):
    """The temporary file exists only while ``save`` runs (between creating
    it and renaming it). This thread sees it at least twice during one save
    only if the saving thread let go of the GIL: with the GIL held, at most
    one look (a stat already under way when the save began) could find it."""
    npu = big_npu()
    path, temp = tmp_path / "big.snap", tmp_path / ".big.snap.tmp"
    best = 0
    for _ in range(10):
        saver = threading.Thread(target=npu.save, args=(path,))
        seen = 0
        saver.start()
        while saver.is_alive():
            if temp.exists():
                seen += 1
        saver.join()
        best = max(best, seen)
        if best >= 2:
            break
    assert best >= 2, "no other Python thread ran while save wrote the file"
    assert not temp.exists() and RustNPU.load(path).synapse_count() == 2_000_000


LOAD_FROM_FIFO = """
import os, sys, threading
import feagi_rust
snapshot, fifo = sys.argv[1:3]
data = open(snapshot, "rb").read()

def writer():
    # Needs the GIL for every write: RustNPU.load, reading the other end,
    # can only finish if it released the GIL.
    with open(fifo, "wb") as f:
        for i in range(0, len(data), 4096):
            f.write(data[i:i + 4096])

t = threading.Thread(target=writer)
t.start()
npu = feagi_rust.RustNPU.load(fifo)
t.join()
print(npu.burst_count(), npu.synapse_count())
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_releases_the_gil(tmp_path):
    """``load`` reads a named pipe fed by a Python thread of the same process:
    with the GIL held it would wait forever (the subprocess times out)."""
    npu = big_npu(200, 100)
    for _ in range(3):
        npu.process_burst()
    snapshot, fifo = tmp_path / "small.snap", tmp_path / "pipe"
    npu.save(snapshot)
    os.mkfifo(fifo)
    out = subprocess.run([sys.executable, "-c", LOAD_FROM_FIFO, str(snapshot), str(fifo)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "20000"]

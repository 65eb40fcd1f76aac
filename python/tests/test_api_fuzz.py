"""Random-call fuzz test of the Python API (M2.6).

Every public method of ``feagi_rust.RustNPU`` (enumerated from the class, with
its parameters read from the signature) is called with a mix of plausible and
hostile arguments: wrong types, None, bools, huge and negative ints, 2**64,
NaN and infinities, empty and giant lists, numpy arrays of odd dtypes (bool,
float16, complex, object, strings, datetimes), masked, non-contiguous, 0-d and
2-D arrays, strings, bytes, dicts, nested sequences and objects whose
``__index__``, ``__float__`` or ``__len__`` misbehave.

Two phases, each in a subprocess so that a crash of the interpreter (an
abort, a segfault) is a failed test rather than a dead test runner:

* sequential: a few thousand seeded calls. Every call either succeeds or
  raises an ordinary exception (TypeError, ValueError, IndexError, KeyError,
  MemoryError; RuntimeError only from ``start_burst_loop`` while a loop runs,
  OSError only from ``save`` / ``load``), and a call that raised leaves the
  NPU's observable state exactly as it was (burst, neuron, synapse, area,
  staged and memory counts, configuration, ledger windows and a hash of
  ``export_connectome()``).
* threads: three threads call random methods on two shared NPUs while their
  burst loops run with callbacks that call back into the NPU (stage input,
  read the fire queue, update parameters, stop or restart the loop), and a
  fourth thread calls ``run``. Same exception rule; afterwards every NPU
  still answers and runs bursts (nothing deadlocked or was poisoned).

``FEAGI_FUZZ_CALLS`` (default 4000), ``FEAGI_FUZZ_SEED`` (default 2606) and
``FEAGI_FUZZ_THREAD_SECONDS`` (default 4) scale it up locally, for example
``FEAGI_FUZZ_CALLS=200000 FEAGI_FUZZ_THREAD_SECONDS=120 pytest -s
python/tests/test_api_fuzz.py``. Run directly (``python test_api_fuzz.py
sequential``) it prints the statistics as JSON.
"""

import argparse
import collections
import hashlib
import inspect
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np

import feagi_rust

CALLS = int(os.environ.get("FEAGI_FUZZ_CALLS", "4000"))
SEED = int(os.environ.get("FEAGI_FUZZ_SEED", "2606"))
THREAD_SECONDS = float(os.environ.get("FEAGI_FUZZ_THREAD_SECONDS", "4"))

RustNPU = feagi_rust.RustNPU
ORDINARY = (TypeError, ValueError, IndexError, KeyError, MemoryError)


def public_members(cls):
    return sorted(name for name in dir(cls) if not name.startswith("_"))


def is_property(cls, name):
    return not callable(getattr(cls, name)) or inspect.isdatadescriptor(inspect.getattr_static(cls, name))


def parameters(function):
    """The parameters of a method or static method, without self."""
    params = list(inspect.signature(function).parameters.values())
    return [p for p in params if p.name not in ("self", "$self", "cls", "$cls")]


# ----- parameter kinds ---------------------------------------------------------------------

# Every parameter of every public method must have a kind here: a new parameter
# without one fails the test, so the fuzzer keeps up with the API.
KIND_BY_NAME = {
    "cortical_id": "area", "area": "area", "upstream": "area", "memory_area": "area",
    "twin": "area", "of": "area", "destination": "area",
    "source": "neuron", "target": "neuron", "neuron": "neuron",
    "x": "coord", "y": "coord", "z": "coord",
    "weight": "u8", "psp": "u8", "conductance": "u8", "synapse_type": "synapse_type",
    "sources": "ids", "targets": "ids", "neuron_ids": "ids", "power_neurons": "ids",
    "weights": "u8s", "psps": "u8s", "conductances": "u8s", "types": "types",
    "xs": "coords", "ys": "coords", "zs": "coords", "potentials": "potentials",
    "threshold": "real", "threshold_limit": "real", "leak": "unit", "excitability": "unit",
    "amount": "real", "power_amount": "real", "frequency_hz": "frequency",
    "n": "bursts", "max_bursts": "count", "lookback": "count", "end": "count",
    "depth": "window", "window": "window", "fire_ledger_window": "window", "temporal_depth": "window",
    "neuron_count": "count", "synapse_capacity": "count", "seed": "count", "memory_limit": "count",
    "longterm_mem_threshold": "count", "lifespan_growth_rate": "count", "init_lifespan": "count",
    "refractory_period": "u16", "consecutive_fire_limit": "u16", "snooze_period": "u16",
    "neurons_per_voxel": "small", "plasticity_constant": "int", "ltp_multiplier": "int",
    "ltd_multiplier": "int", "dimensions": "dims", "name": "text", "kind": "area_kind",
    "mp_charge_accumulation": "bool", "fatigue_active": "bool", "plasticity": "bool",
    "record": "bool", "bidirectional": "bool", "active": "bool",
    "callback": "callback", "genome": "genome", "path": "path",
    "value": "gene_value", "params": "gene_kwargs",
}
KIND_OVERRIDES = {
    ("add_stdp_pair", "source"): "area",
    ("get_synapse_weights", "source"): "area",
    ("update_area_parameter", "name"): "gene_name",
}
GENE_NAMES = [
    "firing_threshold", "firing_threshold_increment", "firing_threshold_increment_x",
    "firing_threshold_limit", "leak_coefficient", "neuron_excitability", "refractory_period",
    "consecutive_fire_cnt_max", "snooze_length", "mp_charge_accumulation", "postsynaptic_current",
    "psp_uniform_distribution", "mp_driven_psp", "c_fr_c", "fire_t", "snooze_period", "no_such_gene",
]


def kind_of(method, param):
    return KIND_OVERRIDES.get((method, param), KIND_BY_NAME.get(param))


# ----- hostile values -----------------------------------------------------------------------


class HugeIndex:
    def __index__(self):
        return 2**100


class NegativeIndex:
    def __index__(self):
        return -5


class FloatNaN:
    def __float__(self):
        return math.nan


class LyingLength:
    """Claims 2**70 elements (len() itself raises OverflowError) and has none."""

    def __len__(self):
        return 2**70

    def __getitem__(self, i):
        raise IndexError(i)


class NegativeLength:
    def __len__(self):
        return -1


class BadPath:
    def __fspath__(self):
        return 42


def numpy_values():
    values = []
    for dtype in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                  np.uint64, np.float16, np.float32, np.float64, np.complex64):
        values.append(np.array([0, 1, 3], dtype=dtype))
        values.append(np.array([], dtype=dtype))
    values += [
        np.array([1, 2**64 - 1], dtype=np.uint64),
        np.array([-1, -(2**63)], dtype=np.int64),
        np.array([math.nan, math.inf, -math.inf], dtype=np.float32),
        np.array([3, None, "x"], dtype=object),
        np.array([3, 2**70], dtype=object),
        np.array(["a", "bc"]),
        np.array([b"a", b"bc"]),
        np.array(["2024-01-01"], dtype="datetime64[D]"),
        np.array([5], dtype="timedelta64[s]"),
        np.ma.masked_array([3, 4, 5], mask=[0, 1, 0]),
        np.ma.masked_array(np.array([3, 4], dtype=np.uint32), mask=[0, 0]),
        np.arange(12, dtype=np.uint32)[::3],  # non-contiguous
        np.arange(12, dtype=np.float32)[::-2],
        np.ones((2, 2), dtype=np.uint32),  # 2-D
        np.ones((1, 3), dtype=np.float32),
        np.array(3, dtype=np.uint32),  # 0-d
        np.array(2.5),
        np.broadcast_to(np.uint32(3), (1000,)),  # stride 0, read-only
        np.int64(3), np.uint64(2**64 - 1), np.float32(math.nan), np.bool_(True),
        np.zeros(3, dtype=[("a", np.int32), ("b", np.float32)]),  # structured
    ]
    readonly = np.array([3, 4], dtype=np.uint32)
    readonly.flags.writeable = False
    values.append(readonly)
    return values


def hostile_values():
    return [
        None, True, False, 0, 1, -1, 2, 255, 256, 65535, 65536, 2**31 - 1, 2**31, 2**32 - 1, 2**32,
        2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, -(2**64), 10**30, 10**400, -(10**400),
        0.0, -0.0, 1.5, -2.5, 1e39, math.nan, math.inf, -math.inf, 1e-320,
        "", "x", "x" * 10_000, "\x00", "\udcff", "iGrid_", "___power", "cOut__", "{", "{}",
        "{" * 5000, "iGrid_\x00", "3", "1e400", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
        b"", b"\xff" * 64, b"{}", bytearray(b"{"),
        {}, {"a": 1}, {1: 2}, {"version": "2.0", "blueprint": {"x": float("nan")}},
        (2**32 - 1, 2**32 - 1, 2**32 - 1), [], [[]], [[1, 2]], [None], [1.5], [2**64], [-1], [True, False], [3, "x"], [3, [4]],
        [math.nan], [10**400], (), (3,), (3, 4, 5), (1, 1), (1, 1, 1, 1), {3, 4}, frozenset(),
        range(3), range(10**18), iter([1, 2]), (i for i in range(3)),
        object(), HugeIndex(), NegativeIndex(), FloatNaN(), LyingLength(), NegativeLength(), BadPath(),
        lambda *a: None, print, complex(1, 2), memoryview(b"ab"), slice(1, 2), Ellipsis, NotImplemented,
    ] + numpy_values()


_GIANT = {}


def giant(kind):
    """Giant arguments, built once."""
    if kind not in _GIANT:
        _GIANT[kind] = {
            "ids": [3] * 100_000,
            "array": np.full(200_000, 3, dtype=np.int64),
            "floats": np.full(200_000, 0.5, dtype=np.float64),
            "strings": ["x"] * 100_000,
            "nested": [[3]] * 50_000,
        }[kind]
    return _GIANT[kind]


# ----- good values --------------------------------------------------------------------------


class World:
    """Shared knowledge for the generators: a temporary folder and the genome texts."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.default = feagi_rust.default_genome_json()
        self.genome_file = self.folder / "default_genome.json"
        self.genome_file.write_text(self.default)
        self.snapshot = self.folder / "good.snapshot"
        RustNPU.from_genome(self.default).save(self.snapshot)


def areas_of(npu):
    try:
        return npu.get_cortical_areas()
    except Exception:
        return []


def good_value(kind, rng, npu, world):
    areas = areas_of(npu) if npu is not None else []
    neurons = npu.neuron_count() if npu is not None else 0
    neuron = rng.randrange(max(neurons, 1) + 2)
    if kind == "area":
        if areas and rng.random() < 0.9:
            a = rng.choice(areas)
            return rng.choice([a["cortical_id"], a["index"], a["name"]])
        return rng.choice(["___power", "cNope_", 99])
    if kind == "neuron":
        return neuron
    if kind == "coord":
        return rng.randrange(4)
    if kind in ("u8", "u16"):
        return rng.randrange(256)
    if kind == "synapse_type":
        return rng.choice([0, 1, "excitatory", "inhibitory", None])
    if kind == "ids":
        return rng.choice([[neuron], np.array([neuron, 0], np.uint32), [], (neuron, neuron)])
    if kind == "u8s":
        return rng.choice([[1], np.array([1, 2], np.uint8), [], (7,)])
    if kind == "types":
        return rng.choice([[0], np.array([1, 0], np.int8), []])
    if kind == "coords":
        return rng.choice([[0], np.array([0, 1], np.uint32), [], [1]])
    if kind == "potentials":
        return rng.choice([1.0, 0.5, [1.0], np.array([2.0, 0.0], np.float32), [], -1.0])
    if kind == "real":
        return rng.choice([0.0, 1.0, 0.5, 3.0, 100.0])
    if kind == "unit":
        return rng.choice([0.0, 0.5, 1.0])
    if kind == "frequency":
        return rng.choice([200.0, 1000.0, 5000.0])
    if kind == "bursts":
        return rng.randrange(30)
    if kind == "count":
        return rng.randrange(1, 30)
    if kind == "window":
        return rng.randrange(1, 30)
    if kind == "small":
        return rng.randrange(1, 4)
    if kind == "int":
        return rng.randrange(-5, 6)
    if kind == "dims":
        return rng.choice([(1, 1, 1), (2, 3, 1), [3, 1, 2], np.array([2, 2, 2])])
    if kind == "text":
        return rng.choice([None, "area", "name with spaces"])
    if kind == "area_kind":
        return rng.choice([None, "CORE", "IPU", "OPU", "CUSTOM", "MEMORY", "custom"])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "callback":
        return rng.choice(list(callbacks(npu).values()) + [None])
    if kind == "genome":
        return rng.choice([world.default, world.default.encode(), json.loads(world.default),
                           world.genome_file, str(world.genome_file)])
    if kind == "path":
        return rng.choice([world.folder / f"s{rng.randrange(3)}.snapshot", str(world.snapshot),
                           world.snapshot])
    if kind == "gene_name":
        return rng.choice(GENE_NAMES)
    if kind == "gene_value":
        return rng.choice([0, 1, 2, 0.5, 1.0, True, False, (1.0, 0.0, 0.0), [0, 0, 1]])
    raise AssertionError(f"no generator for kind {kind}")


def callbacks(npu):
    """Burst loop callbacks, several of which call back into the NPU."""

    def stage(result):
        n = npu.neuron_count()
        if n:
            npu.inject_sensory_batch(np.arange(min(n, 5), dtype=np.uint32), 1.0)

    def read(result):
        npu.get_current_fire_queue()
        npu.get_last_fcl()
        result.fired_neurons, result.fired_potentials, result.plasticity  # noqa: B018

    def update(result):
        areas = npu.get_cortical_areas()
        if areas:
            npu.update_area_parameter(areas[-1]["index"], "firing_threshold", 1.0)

    def stop_self(result):
        npu.stop_burst_loop()

    def restart(result):
        npu.start_burst_loop(100.0)  # RuntimeError: already running -> stops the loop

    def raises(result):
        raise ValueError("callback failed on purpose")

    def false(result):
        return False

    def run_inside(result):
        npu.run(1)

    return {"stage": stage, "read": read, "update": update, "stop_self": stop_self,
            "restart": restart, "raises": raises, "false": false, "run_inside": run_inside}


# ----- one call -----------------------------------------------------------------------------


class Fuzzer:
    def __init__(self, rng, world, hostile_rate=0.35):
        self.rng = rng
        self.world = world
        self.hostile = hostile_values()
        self.hostile_rate = hostile_rate
        self.methods = public_members(RustNPU)
        self.signatures = {}
        for name in self.methods:
            if not is_property(RustNPU, name):
                self.signatures[name] = parameters(getattr(RustNPU, name))
        self.signatures["__init__"] = [
            p for p in inspect.signature(RustNPU).parameters.values()
        ]
        missing = sorted(
            (name, p.name)
            for name, params in self.signatures.items()
            for p in params
            if kind_of(name, p.name) is None
        )
        assert not missing, f"parameters without a generator kind: {missing}"

    def value(self, method, param, npu):
        kind = kind_of(method, param)
        rng = self.rng
        if rng.random() < self.hostile_rate:
            if rng.random() < 0.01:
                return giant(rng.choice(["ids", "array", "floats", "strings", "nested"]))
            value = rng.choice(self.hostile)
            if kind == "bursts" and isinstance(value, int) and 255 <= value <= 2**30:
                value = -value  # keep run() short: refused, not run
            if kind == "path" and isinstance(value, str) and value.startswith("/"):
                value = "rel" + value
            return value
        return good_value(kind, rng, npu, self.world)

    def arguments(self, method, npu):
        args, kwargs = [], {}
        positional = True  # until a parameter is skipped or given by keyword
        for p in self.signatures[method]:
            if p.kind == p.VAR_KEYWORD:
                for _ in range(self.rng.randrange(3)):
                    name = self.rng.choice(GENE_NAMES + ["", "x" * 100])
                    kwargs[name] = self.value("update_area_parameter", "value", npu)
                continue
            if p.default is not p.empty and self.rng.random() < 0.5:
                positional = False
                continue
            value = self.value(method, p.name, npu)
            positional = positional and p.kind != p.KEYWORD_ONLY and self.rng.random() < 0.6
            if positional:
                args.append(value)
            else:
                kwargs[p.name] = value
        if self.rng.random() < 0.02:
            args.append(self.rng.choice(self.hostile))  # one too many
        return args, kwargs

    def call(self, npu, method):
        """(outcome, value or exception) of one random call."""
        # Some calls are all plausible (to reach deep into the NPU), others mostly hostile.
        self.hostile_rate = self.rng.choice([0.0, 0.1, 0.25, 0.5, 0.9])
        args, kwargs = self.arguments(method, npu)
        target = RustNPU if method == "__init__" else npu
        function = RustNPU if method == "__init__" else getattr(target, method)
        try:
            return "ok", function(*args, **kwargs), (args, kwargs)
        except BaseException as e:  # noqa: BLE001 - everything is judged below
            return "raised", e, (args, kwargs)


def expected(method, error):
    """Whether `error` is an exception the documentation allows for `method`."""
    if isinstance(error, OverflowError):
        return False
    if isinstance(error, RuntimeError):
        # Only start_burst_loop while a loop runs (a callback re-entering it included).
        return method == "start_burst_loop" and "already running" in str(error)
    if isinstance(error, OSError):
        return method in ("save", "load")
    return isinstance(error, ORDINARY)


def format_error(e):
    return "".join(traceback.format_exception(type(e), e, e.__traceback__))


def describe(value):
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def fingerprint(npu):
    """The observable state, cheaply: counts, configuration, windows and a hash of the export."""
    ex = npu.export_connectome()
    h = hashlib.blake2b(digest_size=16)
    for group in ("neurons", "synapses", "fire_queue"):
        for key in sorted(ex[group]):
            h.update(key.encode())
            h.update(np.ascontiguousarray(ex[group][key]).tobytes())
    h.update(repr((ex["areas"], ex["burst"], ex["config"], ex["power_neuron"], ex["plasticity"])).encode())
    windows = tuple(npu.get_fire_ledger_window_size(i) for i in range(npu.area_count()))
    return (
        npu.burst_count(), npu.neuron_count(), npu.synapse_count(), npu.area_count(),
        npu.staged_count(), npu.memory_neuron_count(), npu.is_burst_loop_running(),
        windows, len(npu.genome_warnings()), hash(npu.genome_source), h.hexdigest(),
    )


def exercise_result(fuzzer, result, stats, problems):
    """Reads a returned BurstResult or SpikeRecord and calls its methods with random ids."""
    if isinstance(result, feagi_rust.BurstResult):
        for name in public_members(feagi_rust.BurstResult):
            getattr(result, name)
    if isinstance(result, feagi_rust.SpikeRecord):
        for name in ("bursts", "neuron_ids", "counts", "first_burst", "last_burst", "num_bursts"):
            getattr(result, name)
        len(result)
        for method in ("pattern", "spikes_of"):
            value = fuzzer.rng.choice(fuzzer.hostile + [0, 1, 3, 2, 10**6])
            try:
                getattr(result, method)(value)
                stats["record." + method + ":ok"] += 1
            except BaseException as e:  # noqa: BLE001
                stats["record." + method + ":" + type(e).__name__] += 1
                if not isinstance(e, (TypeError, IndexError)):
                    problems.append(f"SpikeRecord.{method}({describe(value)}) raised {e!r}")


# ----- the NPUs -----------------------------------------------------------------------------


def hand_built():
    """Core areas, a 3x2x1 IPU, a plastic pair and a memory area."""
    npu = RustNPU()
    for core in ("___death", "___power", "___fatig"):
        npu.add_neuron(npu.register_area(core))
    npu.register_area("iGrid_", (3, 2, 1), kind="IPU")
    for y in range(2):
        for x in range(3):
            npu.add_neuron("iGrid_", x, y, 0)
    npu.register_area("cOut__", (2, 1, 1))
    npu.add_neuron("cOut__", 0, 0, 0)
    npu.add_neuron("cOut__", 1, 0, 0)
    npu.register_area("mMem__", (1, 1, 1), kind="MEMORY")
    npu.add_synapse(1, 3, 1, 1)
    npu.add_synapse(3, 9, 200, 5)
    npu.add_stdp_pair("iGrid_", "cOut__", window=3, bidirectional=True)
    npu.add_memory_area("mMem__", temporal_depth=2)
    npu.add_memory_relation("iGrid_", "mMem__")
    return npu


def make_npus(world):
    return [hand_built(), RustNPU.from_genome(world.default), RustNPU()]


# ----- phase 1: sequential ------------------------------------------------------------------


def sequential(calls, seed, folder):
    rng = random.Random(seed)
    world = World(folder)
    fuzzer = Fuzzer(rng, world)
    npus = make_npus(world)
    prints = {id(n): fingerprint(n) for n in npus}
    stats = collections.Counter()
    problems = []
    started = time.perf_counter()
    methods = fuzzer.methods + ["__init__"]
    for i in range(calls):
        npu = rng.choice(npus)
        method = rng.choice(methods)
        if is_property(RustNPU, method):
            getattr(npu, method)
            stats[method + ":ok"] += 1
            continue
        outcome, value, (args, kwargs) = fuzzer.call(npu, method)
        stopped = npu.is_burst_loop_running()
        npu.stop_burst_loop()
        key = f"{method}:{'ok' if outcome == 'ok' else type(value).__name__}"
        stats[key] += 1
        call_text = f"#{i} {method}(*{describe(args)}, **{describe(kwargs)})"
        if outcome == "raised":
            if not expected(method, value):
                problems.append(f"{call_text} raised {value!r}\n{format_error(value)}")
            after = fingerprint(npu)
            if after != prints[id(npu)] and not stopped:
                problems.append(f"{call_text} raised {value!r} and changed the NPU: "
                                f"{prints[id(npu)]} -> {after}")
            prints[id(npu)] = after
        else:
            exercise_result(fuzzer, value, stats, problems)
            if isinstance(value, RustNPU) and rng.random() < 0.3:
                npus[rng.randrange(len(npus))] = value  # fuzz fresh NPUs too
                prints[id(value)] = fingerprint(value)
            prints[id(npu)] = fingerprint(npu)
        if len(problems) > 50:
            break
    # Nothing is poisoned: every NPU still answers and runs.
    for npu in npus:
        npu.stop_burst_loop()
        npu.clear_staged()
        npu.process_burst()
        npu.run(3)
        fingerprint(npu)
    return {
        "phase": "sequential", "seed": seed, "calls": sum(stats.values()),
        "seconds": round(time.perf_counter() - started, 2),
        "methods": len(methods), "stats": dict(sorted(stats.items())), "problems": problems,
    }


# ----- phase 2: threads ---------------------------------------------------------------------


def threads(seconds, seed, folder):
    world = World(folder)
    shared = [hand_built(), RustNPU.from_genome(world.default)]
    stats = collections.Counter()
    problems = []
    lock = threading.Lock()
    stop = threading.Event()

    slowest = collections.Counter()

    def record(method, outcome, value, args, seconds=0.0):
        with lock:
            slowest[method] = max(slowest[method], round(seconds, 3))
            stats[f"{method}:{'ok' if outcome == 'ok' else type(value).__name__}"] += 1
            if outcome == "raised" and not expected(method, value):
                problems.append(f"{method}(*{describe(args[0])}, **{describe(args[1])}) raised "
                                f"{value!r}\n{format_error(value)}")

    def loop_callback(npu, rng):
        table = callbacks(npu)
        names = ["stage", "read", "update", "stage", "read", "stop_self", "restart", "raises",
                 "run_inside"]

        def callback(result):
            with lock:
                stats["callback"] += 1
            return table[rng.choice(names) if rng.random() < 0.3 else "stage"](result)

        return callback

    def keep_loops_running(rng):
        while not stop.is_set():
            for npu in shared:
                if not npu.is_burst_loop_running():
                    try:
                        npu.start_burst_loop(rng.choice([300.0, 1000.0, 3000.0]), loop_callback(npu, rng))
                        with lock:
                            stats["loop started"] += 1
                    except RuntimeError:
                        pass  # another thread started it meanwhile
            time.sleep(0.02)

    def worker(k):
        rng = random.Random(seed * 100 + k)
        fuzzer = Fuzzer(rng, world)
        methods = [m for m in fuzzer.methods if not is_property(RustNPU, m)]
        while not stop.is_set():
            npu = rng.choice(shared)
            method = rng.choice(methods)
            began = time.perf_counter()
            outcome, value, args = fuzzer.call(npu, method)
            record(method, outcome, value, args, time.perf_counter() - began)
            if outcome == "ok":
                try:
                    exercise_result(fuzzer, value, stats, problems)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        problems.append(f"reading the result of {method} raised {e!r}")

    def runner():
        rng = random.Random(seed + 7)
        while not stop.is_set():
            npu = rng.choice(shared)
            n, rec = rng.randrange(50), rng.random() < 0.5
            try:
                out = npu.run(n, record=rec)
                assert (out.num_bursts if rec else len(out)) == n
                record("run", "ok", out, ((n,), {}))
            except BaseException as e:  # noqa: BLE001
                record("run", "raised", e, ((n,), {}))

    started = time.perf_counter()
    pool = [threading.Thread(target=keep_loops_running, args=(random.Random(seed),), daemon=True),
            threading.Thread(target=runner, daemon=True)]
    pool += [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(3)]
    for t in pool:
        t.start()
    time.sleep(seconds)
    stop.set()
    hung = []
    for t in pool:
        t.join(timeout=60)
        if t.is_alive():
            hung.append(t.name)
    if hung:
        problems.append(f"threads did not finish (deadlock?): {hung}")
    loop_errors = []
    for npu in shared:
        npu.stop_burst_loop()
        error = npu.burst_loop_error()
        if error is not None:
            loop_errors.append(error.strip().splitlines()[-1])
            if not any(s in error for s in ("on purpose", "already running", "Error")):
                problems.append(f"unexpected burst loop error: {error}")
        # Not poisoned, not deadlocked: it answers and runs.
        npu.clear_staged()
        before = npu.burst_count()
        npu.run(5)
        assert npu.burst_count() == before + 5
        fingerprint(npu)
    return {
        "phase": "threads", "seed": seed, "calls": sum(v for k, v in stats.items() if ":" in k),
        "callbacks": stats["callback"], "loops started": stats["loop started"],
        "seconds": round(time.perf_counter() - started, 2),
        "last loop errors": collections.Counter(loop_errors),
        "slowest calls (s)": dict(slowest.most_common(12)),
        "stats": dict(sorted(stats.items())), "problems": problems,
    }


# ----- pytest -------------------------------------------------------------------------------


def run_phase(phase, tmp_path, *extra):
    """Runs a phase in a fresh interpreter; a crash fails the test with its output."""
    out = subprocess.run(
        [sys.executable, __file__, phase, "--folder", str(tmp_path), *extra],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
    )
    tail = out.stderr[-5000:]
    assert out.returncode == 0, f"the {phase} fuzz process died (exit code {out.returncode}):\n{tail}"
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({k: v for k, v in summary.items() if k != "problems"}, indent=1))
    assert not summary["problems"], "\n\n".join(summary["problems"][:10])
    return summary


def by_exception(stats):
    totals = collections.Counter()
    for key, count in stats.items():
        if ":" in key:
            totals[key.rsplit(":", 1)[1]] += count
    return totals


def test_fuzz_sequential_calls(tmp_path):
    summary = run_phase("sequential", tmp_path, "--calls", str(CALLS), "--seed", str(SEED))
    assert summary["calls"] >= CALLS
    called = {key.split(":")[0] for key in summary["stats"]}
    uncalled = set(public_members(RustNPU)) - called
    assert not uncalled, f"never called: {uncalled}"
    totals = by_exception(summary["stats"])
    print("outcomes:", dict(totals))
    assert totals["ok"] > CALLS // 10 and totals["TypeError"] > 0 and totals["ValueError"] > 0


def test_fuzz_threads_with_burst_loops(tmp_path):
    summary = run_phase("threads", tmp_path, "--seconds", str(THREAD_SECONDS), "--seed", str(SEED))
    print("outcomes:", dict(by_exception(summary["stats"])))
    assert summary["calls"] > 100 and summary["callbacks"] > 10


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=["sequential", "threads"])
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--seconds", type=float, default=THREAD_SECONDS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--folder", default=".")
    options = parser.parse_args()
    if options.phase == "sequential":
        result = sequential(options.calls, options.seed, options.folder)
    else:
        result = threads(options.seconds, options.seed, options.folder)
    print(json.dumps(result, default=str))

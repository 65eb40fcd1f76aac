"""Threads: `run` releases the GIL, the background burst loop keeps a steady
rate, its callback can stage input and read output without deadlocking, and
callback errors stop the loop without killing anything."""

import threading
import time

import numpy as np
import pytest

import feagi_rust
from helpers import core_npu


def busy_npu(width=20_000):
    """The power neuron drives `width` neurons that fire every burst, so each
    burst does real work (about `width` candidates)."""
    npu = core_npu()
    npu.register_area("cBusy_", (width, 1, 1))
    ids = np.array([npu.add_neuron("cBusy_", x, 0, 0) for x in range(width)], dtype=np.uint32)
    ones = np.ones(width, np.uint8)
    npu.add_synapses_batch(np.full(width, 1, np.uint32), ids, ones, ones, np.zeros(width, np.uint8))
    # The power area is not uniform, so each target gets 1/width: threshold 0 fires.
    npu.update_cortical_area("cBusy_", firing_threshold=0.0)
    return npu, ids


class Counter(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.value = 0
        self.stop = False

    def run(self):
        while not self.stop:
            self.value += 1


def test_run_releases_the_gil():
    npu, ids = busy_npu()
    npu.run(20)  # warm up
    counter = Counter()
    counter.start()
    while counter.value == 0:
        time.sleep(0.001)
    started = time.perf_counter()
    before = counter.value
    record = npu.run(400, record=False)
    after = counter.value
    elapsed = time.perf_counter() - started
    counter.stop = True
    counter.join()
    assert record.tolist() == [1 + len(ids)] * 400
    assert elapsed > 0.05, "the run must be long enough to measure"
    # With the GIL held for the whole call the counter could not move at all.
    assert after - before > 1000, (after - before, elapsed)


def test_run_from_two_threads_is_serialised():
    npu, ids = busy_npu(2_000)
    results = []

    def worker():
        results.append(npu.run(200, record=False))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert npu.burst_count() == 600
    # Burst 1 is the only one without synaptic input, whichever thread ran it.
    assert sorted(int(r[0]) for r in results)[0] == 1
    assert sum(int(r.sum()) for r in results) == 1 + 599 * (1 + len(ids))


def test_burst_loop_steady_rate_with_callback_staging_input():
    npu = core_npu()
    npu.register_area("iIn___", (4, 1, 1), kind="IPU")
    for x in range(4):
        npu.add_neuron("iIn___", x, 0, 0)  # ids 3..6
    seen = []

    def callback(result):
        # Runs on the loop thread with the GIL and without the NPU lock.
        seen.append((result.burst, result.fired_neurons.tolist(), time.perf_counter()))
        queue = npu.get_current_fire_queue()
        assert sorted(queue) == sorted({"___power"} | ({"iIn_____"} if len(result.fired_neurons) > 1 else set()))
        x = result.burst % 4
        npu.inject_sensory("iIn___", [x], [0], [0], [1.0])

    counter = Counter()
    counter.start()
    npu.start_burst_loop(100.0, callback)
    assert npu.is_burst_loop_running()
    with pytest.raises(RuntimeError):
        npu.start_burst_loop(100.0)
    before = counter.value
    time.sleep(0.6)
    during = counter.value - before
    npu.stop_burst_loop()
    counter.stop = True
    counter.join()
    assert not npu.is_burst_loop_running()
    assert npu.burst_loop_error() is None
    assert during > 1000, "the main thread and others keep running"
    n = len(seen)
    assert 25 <= n <= 70, n  # 100 Hz for 0.6 s, with slack for a loaded machine
    assert [b for b, _, _ in seen] == list(range(1, n + 1))
    assert npu.burst_count() == n
    # Input staged after burst t reaches burst t+1: neuron 3 + (t % 4) fires then.
    for burst, fired, _ in seen[1:]:
        assert fired == [1, 3 + (burst - 1) % 4], (burst, fired)
    intervals = np.diff([t for _, _, t in seen])
    assert 0.007 < float(np.median(intervals)) < 0.02
    # After stopping, the NPU is usable from this thread again.
    assert npu.process_burst().burst == n + 1


def test_burst_loop_without_callback_and_max_bursts():
    npu, ids = busy_npu(1_000)
    npu.start_burst_loop(1000.0, max_bursts=25)
    deadline = time.time() + 10
    while npu.is_burst_loop_running() and time.time() < deadline:
        time.sleep(0.01)
    assert not npu.is_burst_loop_running()
    assert npu.burst_count() == 25
    npu.stop_burst_loop()  # harmless when already finished
    npu.start_burst_loop(1000.0, max_bursts=5)  # a finished loop can be restarted
    npu.stop_burst_loop()
    assert npu.burst_count() <= 30


def test_callback_exception_stops_the_loop_and_is_reported(capsys):
    npu = core_npu()
    calls = []

    def callback(result):
        calls.append(result.burst)
        if result.burst == 3:
            raise ValueError("sensor disconnected")

    npu.start_burst_loop(200.0, callback)
    deadline = time.time() + 10
    while npu.is_burst_loop_running() and time.time() < deadline:
        time.sleep(0.01)
    assert not npu.is_burst_loop_running()
    assert calls == [1, 2, 3]
    error = npu.burst_loop_error()
    assert error is not None and "ValueError: sensor disconnected" in error
    assert "Traceback" in error and "callback" in error
    assert "sensor disconnected" in capsys.readouterr().err
    npu.stop_burst_loop()
    # The process and the NPU are fine; a new loop clears the error.
    assert npu.process_burst().burst == 4
    npu.start_burst_loop(200.0, lambda r: False)
    deadline = time.time() + 10
    while npu.is_burst_loop_running() and time.time() < deadline:
        time.sleep(0.01)
    assert npu.burst_loop_error() is None
    assert npu.burst_count() == 5  # returning False stops after that burst


def test_stop_from_inside_the_callback():
    npu = core_npu()
    bursts = []

    def callback(result):
        bursts.append(result.burst)
        if result.burst == 4:
            npu.stop_burst_loop()

    npu.start_burst_loop(500.0, callback)
    deadline = time.time() + 10
    while npu.is_burst_loop_running() and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    assert bursts == [1, 2, 3, 4]
    assert npu.burst_count() == 4


def test_no_deadlock_under_concurrent_use():
    """The loop at full speed with a callback that calls into the NPU, while two
    other threads stage input, run bursts and read state."""
    npu, ids = busy_npu(500)
    stop = threading.Event()
    errors = []
    progress = {"reader": 0, "runner": 0, "callback": 0}

    def callback(result):
        progress["callback"] += 1
        npu.inject_sensory_batch(ids[:10], 1.0)
        npu.get_membrane_potentials("cBusy_")

    def reader():
        try:
            while not stop.is_set():
                npu.get_current_fire_queue()
                npu.get_fire_ledger_history("cBusy_", 5)
                npu.inject_sensory("cBusy_", [1, 2], [0, 0], [0, 0], 0.5)
                npu.export_connectome()
                progress["reader"] += 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def runner():
        try:
            while not stop.is_set():
                npu.run(3)
                npu.process_burst()
                progress["runner"] += 1
        except Exception as e:  # pragma: no cover
            errors.append(e)

    npu.start_burst_loop(5000.0, callback)
    threads = [threading.Thread(target=f, daemon=True) for f in (reader, runner)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=20)
        assert not t.is_alive(), "deadlock"
    done = threading.Event()
    stopper = threading.Thread(target=lambda: (npu.stop_burst_loop(), done.set()), daemon=True)
    stopper.start()
    assert done.wait(20), "stop_burst_loop deadlocked"
    assert not errors, errors
    assert npu.burst_loop_error() is None
    assert min(progress.values()) > 0, progress


def test_dropping_the_npu_stops_its_loop():
    npu = core_npu()
    npu.start_burst_loop(200.0)
    del npu  # the loop thread is told to stop; nothing hangs or crashes
    time.sleep(0.05)
    fresh = feagi_rust.RustNPU()
    assert fresh.burst_count() == 0


@pytest.mark.parametrize(
    "args, exc",
    [((0.0,), ValueError), ((-5.0,), ValueError), ((float("nan"),), ValueError),
     ((float("inf"),), ValueError), ((1e-9,), ValueError), ((10.0, 42), TypeError), ((10.0, None, -1), ValueError)],
)
def test_burst_loop_bad_arguments(args, exc):
    npu = core_npu()
    with pytest.raises(exc):
        npu.start_burst_loop(*args)
    assert not npu.is_burst_loop_running()

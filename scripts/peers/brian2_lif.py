"""Brian2 (C++ standalone, one thread) on a LIF network shaped like
`feagi-npu bench synthetic`: N neurons, K outgoing synapses each to uniformly
random targets (drawn with repetition), weights 1..255 scaled so that synaptic
input never reaches the threshold, and exactly round(F*N) neurons driven to
fire every time step (1 ms = one burst) by a spike generator, one synapse each
with a weight above the threshold. The driven sets come from numpy's
generator with the same seed (Brian2 cannot run feagi-rust's driver); the
size, fan-out and firing fraction are the same.

Each time step is timed inside the generated C++ program (a steady clock read
at the start of every step), so the medians are per step, like the engines'
per-burst medians. The fired count of every step is checked.

Usage: python brian2_lif.py --neurons N --fanout K --firing F [--seed S]
       [--bursts B] [--warmup W] [--dir DIR]
Prints one JSON object.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=100_000)
    ap.add_argument("--fanout", type=int, default=100)
    ap.add_argument("--firing", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bursts", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--dir", default="brian2_standalone")
    a = ap.parse_args()

    import brian2 as b2
    from brian2 import ms

    out = os.path.abspath(a.dir)
    b2.set_device("cpp_standalone", directory=out, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one thread
    # Peak memory of the simulation process alone (not the compiler).
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [
        "/usr/bin/time", "-o", "maxrss_kib.txt", "-f", "%M", "./main"
    ]
    b2.seed(a.seed)
    b2.defaultclock.dt = 1 * ms

    n, k = a.neurons, a.fanout
    steps = a.warmup + a.bursts
    per_step = int(round(n * a.firing))

    # Driven neurons: per_step distinct neurons per step (partial shuffle).
    rng = np.random.default_rng(a.seed ^ 0x5EED)
    order = np.arange(n, dtype=np.int32)
    indices = np.empty(per_step * steps, dtype=np.int32)
    for s in range(steps):
        j = rng.integers(np.arange(per_step), n)  # partial Fisher-Yates
        for m in range(per_step):
            order[m], order[j[m]] = order[j[m]], order[m]
        indices[s * per_step:(s + 1) * per_step] = order[:per_step]
    times = np.repeat(np.arange(steps), per_step) * b2.defaultclock.dt

    lif = b2.NeuronGroup(
        n,
        "dv/dt = -v / (20*ms) : 1",
        threshold="v > 1",
        reset="v = 0",
        method="exact",
        name="lif",
    )
    # Recurrent synapses: K per neuron, random targets, weights 1..255 scaled
    # far below the threshold (at most 255e-9 per event).
    rec = b2.Synapses(lif, lif, "w : 1", on_pre="v_post += w", name="rec")
    rec.connect(j="int(rand() * N_post) for _ in range(%d)" % k, skip_if_invalid=True)
    rec.w = "(1 + int(rand() * 255)) * 1e-9"
    drive = b2.SpikeGeneratorGroup(n, indices, times, name="drive")
    kick = b2.Synapses(drive, lif, on_pre="v_post += 2", name="kick")
    kick.connect(j="i")
    # The kick lands after the step's reset, so a neuron driven in two
    # consecutive steps fires in both (it fires one step after its drive).
    kick.pre.when = "after_resets"
    rate = b2.PopulationRateMonitor(lif, name="rate")

    # A steady-clock timestamp at the start of every time step.
    def stamp(step):
        return 0.0

    stamp = b2.Function(
        stamp,
        arg_units=[1],
        return_unit=1,
        arg_types=["integer"],
        return_type="float",
    )
    stamp.implementations.add_implementation(
        "cpp",
        compiler_kwds={"headers": ["<chrono>", "<cstdio>", "<vector>"]},
        code=r"""
        double stamp(int step) {
            static std::vector<double> at;
            at.push_back(std::chrono::duration<double>(
                std::chrono::steady_clock::now().time_since_epoch()).count());
            if (step == %d) {
                FILE* f = std::fopen("step_stamps.txt", "w");
                for (double x : at) std::fprintf(f, "%%.9f\n", x);
                std::fclose(f);
            }
            return 0.0;
        }
        """ % steps,
    )
    clock_group = b2.NeuronGroup(1, "x : 1", name="clock")
    clock_group.run_regularly("x = stamp(int(t / dt + 0.5))", when="start")

    b2.run((steps + 1) * b2.defaultclock.dt)
    t0 = time.time()
    b2.device.build(directory=out, compile=True, run=True, debug=False)
    wall = time.time() - t0

    stamps = np.loadtxt(os.path.join(out, "step_stamps.txt"))
    durations = np.diff(stamps)[a.warmup:a.warmup + a.bursts] * 1e3
    counts = np.rint(np.asarray(rate.rate / b2.Hz) * n * 1e-3).astype(np.int64)
    # A neuron driven at step s fires at step s + 1: every step after the
    # first fires exactly the driven count.
    measured = counts[a.warmup + 1:a.warmup + 1 + a.bursts]
    with open(os.path.join(out, "maxrss_kib.txt")) as f:
        rss_kib = float(f.read().split()[-1])
    durations.sort()
    q = lambda p: float(durations[min(len(durations) - 1, max(0, int(np.ceil(p * len(durations))) - 1))])
    print(json.dumps({
        "engine": "brian2 %s cpp_standalone, 1 thread" % b2.__version__,
        "workload": "LIF neurons=%d fanout=%d firing=%g seed=%d" % (n, k, a.firing, a.seed),
        "neurons": n,
        "synapses": n * k,
        "bursts": a.bursts,
        "median_ms": q(0.5),
        "p99_ms": q(0.99),
        "mean_ms": float(durations.mean()),
        "fired_per_burst_min": int(measured.min()),
        "fired_per_burst_max": int(measured.max()),
        "driven_per_burst": per_step,
        "peak_rss_mib": rss_kib / 1024.0,
        "compile_and_run_s": wall,
    }, indent=2))


if __name__ == "__main__":
    sys.exit(main())

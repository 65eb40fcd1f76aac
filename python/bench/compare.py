#!/usr/bin/env python3
"""Side-by-side burst timing: the Rust engine (feagi_rust) vs the numpy reference.

Two workloads, each run on both engines in the same process with the same
input (and the results checked identical burst by burst, outside the timing):

  vision     core_vision_genome.json; every burst a full frame is staged on its
             largest IPU area (iic400, 256x256x3 = 196,608 voxels) with seeded
             random potentials in [0.1, 5].
  synthetic  100,000 neurons with 100 random synapses each (10 million), built
             through the feagi_rust API; thresholds 1e9 are out of reach of
             synaptic input, and each burst 1 % of the neurons (random) are
             staged 2e9 so that they, and only they, fire.

Timed: one ``process_burst()`` call per engine and burst (the FCL build from
the staged input, propagation of the previous burst's fire queue, dynamics,
and for Rust also the fire ledger and the copy of the result into Python).
Not timed: building / loading, the export and the reference construction, and
the staging calls (``inject_sensory`` / ``stage_sensory``,
``inject_sensory_batch`` / ``stage``). Reported: median, 10th and 90th
percentile over the timed bursts (after warm-up bursts), and the ratio of the
medians.

Usage (from the repository root):

    FEAGI_GENOMES=/path/to/genomes .venv/bin/python python/bench/compare.py
    .venv/bin/python python/bench/compare.py --only synthetic --bursts 300
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import feagi_rust  # noqa: E402

from reference import ReferenceNPU  # noqa: E402


def _check_same(t, rust_result, ref_fired, ref_pot):
    if not (np.array_equal(rust_result.fired_neurons, ref_fired)
            and np.array_equal(np.asarray(rust_result.fired_potentials).view(np.uint32),
                               ref_pot.view(np.uint32))):
        raise SystemExit(f"burst {t}: the engines disagree (run the conformance suite)")


def _time_bursts(npu, ref, bursts, warmup, stage):
    """stage(npu, ref, t) stages the same input in both; returns (rust times, reference times, fired)."""
    rust_t, ref_t, fired = [], [], []
    for i in range(warmup + bursts):
        stage(npu, ref, i)
        t0 = time.perf_counter()
        res = npu.process_burst()
        t1 = time.perf_counter()
        f_ids, f_pot = ref.process_burst()
        t2 = time.perf_counter()
        _check_same(res.burst, res, f_ids, f_pot)
        if i >= warmup:
            rust_t.append(t1 - t0)
            ref_t.append(t2 - t1)
            fired.append(len(f_ids))
    return np.array(rust_t), np.array(ref_t), np.array(fired)


def vision(genomes: Path, bursts: int, warmup: int, seed: int):
    path = genomes / "core_vision_genome.json"
    npu = feagi_rust.RustNPU.from_genome(str(path))
    areas = [a for a in npu.get_cortical_areas() if a["kind"] == "IPU"]
    big = [a for a in areas if tuple(a["dimensions"]) == (256, 256, 3)]
    area = big[0] if big else max(areas, key=lambda a: a["neuron_count"])
    w, h, d = area["dimensions"]
    xs, ys, zs = (c.ravel() for c in np.meshgrid(np.arange(w), np.arange(h), np.arange(d), indexing="ij"))
    ref = ReferenceNPU(npu.export_connectome())
    rng = np.random.default_rng(seed)

    def stage(npu, ref, i):
        ps = rng.uniform(0.1, 5.0, size=len(xs)).astype(np.float32)
        npu.inject_sensory(area["index"], xs, ys, zs, ps)
        ref.stage_sensory(area["index"], xs, ys, zs, ps)

    label = (f"vision: core_vision_genome.json ({npu.neuron_count():,} neurons, "
             f"{npu.synapse_count():,} synapses), full frame on {area['cortical_id']} "
             f"{w}x{h}x{d} every burst")
    return label, _time_bursts(npu, ref, bursts, warmup, stage)


def synthetic(bursts: int, warmup: int, seed: int, neurons=100_000, fanout=100, drive=0.01):
    rng = np.random.default_rng(seed)
    npu = feagi_rust.RustNPU(neuron_count=neurons, synapse_capacity=neurons * fanout)
    area = npu.register_area("cSynth", (100, 100, neurons // 10_000))
    for x in range(100):
        for y in range(100):
            for z in range(neurons // 10_000):
                npu.add_neuron(area, x, y, z, threshold=1e9, leak=0.0, excitability=1.0)
    n = npu.neuron_count()
    m = n * fanout
    sources = np.repeat(np.arange(n, dtype=np.uint32), fanout)
    targets = rng.integers(0, n, size=m, dtype=np.uint32)
    weights = rng.integers(1, 256, size=m, dtype=np.uint8)
    psps = rng.integers(1, 256, size=m, dtype=np.uint8)
    types = (rng.random(m) < 0.2).astype(np.uint8)
    npu.add_synapses_batch(sources, targets, weights, psps, types)
    del sources, targets, weights, psps, types
    ref = ReferenceNPU(npu.export_connectome())
    k = int(n * drive)
    big = np.float32(2e9)

    def stage(npu, ref, i):
        ids = rng.choice(n, size=k, replace=False).astype(np.uint32)
        npu.inject_sensory_batch(ids, big)
        ref.stage(ids, big)

    label = (f"synthetic: {n:,} neurons x {fanout} synapses ({npu.synapse_count():,}), "
             f"{k:,} random neurons driven per burst")
    return label, _time_bursts(npu, ref, bursts, warmup, stage)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--genomes", type=Path, default=os.environ.get("FEAGI_GENOMES"),
                   help="genome folder (default: $FEAGI_GENOMES)")
    p.add_argument("--bursts", type=int, default=200, help="timed bursts per workload (default 200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed bursts first (default 10)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", choices=("vision", "synthetic"))
    args = p.parse_args(argv)

    print(f"feagi_rust {feagi_rust.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs")
    rows = []
    if args.only in (None, "vision"):
        if args.genomes is None or not Path(args.genomes).is_dir():
            raise SystemExit("vision needs the genome folder: --genomes or FEAGI_GENOMES")
        rows.append(vision(Path(args.genomes), args.bursts, args.warmup, args.seed))
    if args.only in (None, "synthetic"):
        rows.append(synthetic(args.bursts, args.warmup, args.seed))

    for label, (rust_t, ref_t, fired) in rows:
        print(f"\n{label}")
        print(f"  {len(rust_t)} timed bursts after {args.warmup} warm-up; fired per burst: "
              f"median {int(np.median(fired)):,}; results identical in every burst")
        for name, t in (("rust (feagi_rust)", rust_t), ("reference (numpy)", ref_t)):
            p10, p50, p90 = np.percentile(t, [10, 50, 90]) * 1e3
            print(f"  {name:<18} median {p50:9.3f} ms   (p10 {p10:.3f}, p90 {p90:.3f})")
        print(f"  ratio reference / rust (medians): {np.median(ref_t) / np.median(rust_t):.1f}x")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Streams a moving bar into an input (IPU) area of a FEAGI brain and prints
how much every cortical area fired.

    python examples/moving_bar.py                       # the embedded default genome
    python examples/moving_bar.py genome.json           # any FEAGI genome
    python examples/moving_bar.py genome.json --bursts 200 --area iic400 --potential 5

Each burst, a vertical bar (one x column, every y and z) is staged at full
potential into the input area; it moves one column per burst and wraps
around. By default the input area is the IPU area with the most voxels.
Requires the feagi_rust extension (see docs/PYTHON.md).
"""

import argparse
import sys
import time

import numpy as np

import feagi_rust


def pick_input_area(areas, wanted):
    if wanted is not None:
        for a in areas:
            if wanted in (a["cortical_id"], a["cortical_id"].rstrip("_"), a["name"]):
                return a
        raise SystemExit(f"no cortical area {wanted!r} in this genome")
    ipus = [a for a in areas if a["kind"] == "IPU" and a["neuron_count"] > 0]
    if not ipus:
        raise SystemExit("this genome has no IPU area to stream into; pick one with --area")
    return max(ipus, key=lambda a: (np.prod(a["dimensions"]), a["neuron_count"]))


def bar_voxels(dimensions):
    """For each x, the (xs, ys, zs) of the vertical bar at that column."""
    w, h, d = dimensions
    ys, zs = (a.astype(np.uint32).ravel() for a in np.indices((h, d)))
    return [(np.full(ys.size, x, np.uint32), ys, zs) for x in range(w)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("genome", nargs="?", help="genome file (default: the embedded default genome)")
    parser.add_argument("--bursts", type=int, default=1000, help="bursts to run (default 1000)")
    parser.add_argument("--area", help="input area (cortical id or name; default: the largest IPU area)")
    parser.add_argument(
        "--potential", type=float, default=None,
        help="potential staged per bar voxel (default: the area's highest threshold, at least 1)",
    )
    parser.add_argument("--seed", type=int, default=0, help="synaptogenesis seed (default 0)")
    args = parser.parse_args(argv)
    if args.bursts < 0:
        parser.error("--bursts must not be negative")

    source = args.genome if args.genome else feagi_rust.default_genome_json()
    try:
        npu = feagi_rust.RustNPU.from_genome(source, seed=args.seed)
    except feagi_rust.GenomeError as e:
        print(f"cannot load the genome: {e}", file=sys.stderr)
        return 1
    areas = npu.get_cortical_areas()
    target = pick_input_area(areas, args.area)
    cid = target["cortical_id"]
    potential = args.potential
    if potential is None:
        potential = max(1.0, float(npu.get_thresholds(cid).max()))
    bars = bar_voxels(target["dimensions"])
    print(
        f"{npu!r}\nstreaming a moving bar into {cid} ({target['name'] or 'unnamed'}, "
        f"{'x'.join(map(str, target['dimensions']))}) at potential {potential:g} "
        f"for {args.bursts} bursts"
    )

    fires = {a["cortical_id"]: 0 for a in areas}
    active_bursts = {a["cortical_id"]: 0 for a in areas}
    started = time.perf_counter()
    for t in range(args.bursts):
        xs, ys, zs = bars[t % len(bars)]
        npu.inject_sensory(cid, xs, ys, zs, potential)
        npu.process_burst()
        for area_id, (ids, _xs, _ys, _zs, _ps) in npu.get_current_fire_queue().items():
            fires[area_id] += len(ids)
            active_bursts[area_id] += 1
    elapsed = time.perf_counter() - started

    print(f"\n{'area':<10} {'name':<28} {'kind':<6} {'neurons':>8} {'fired':>10} {'per burst':>10} {'active':>8}")
    for a in areas:
        area_id = a["cortical_id"]
        per_burst = fires[area_id] / args.bursts if args.bursts else 0.0
        print(
            f"{area_id:<10} {a['name'][:28]:<28} {a['kind']:<6} {a['neuron_count']:>8} "
            f"{fires[area_id]:>10} {per_burst:>10.2f} {active_bursts[area_id]:>8}"
        )
    rate = args.bursts / elapsed if elapsed > 0 else float("inf")
    print(f"\n{args.bursts} bursts in {elapsed:.2f} s ({rate:.0f} bursts/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

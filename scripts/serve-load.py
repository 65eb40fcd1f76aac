#!/usr/bin/env python3
"""Load test of `feagi-npu serve`: many visualization clients, stalled
clients and a brain kept at about 1 % activity, measured from outside.

    .venv/bin/python scripts/serve-load.py [--neurons 1000000] [--clients 50] [--stalled 1] [--seconds 60] [--hz 20]

What it does:

1. writes a genome with `feagi-npu gen-genome --neurons N --fanout F`
   (four areas of N/4 neurons in a ring, F random synapses per neuron, each
   delivering 1), raises the input area's firing threshold from 1 to the
   other areas' 5, so that activity does not spread around the ring, and
   sets refractory periods to 0 (see the comment in run());
2. starts `feagi-npu serve GENOME --hz HZ --json` on free ports (the binary
   from FEAGI_NPU_BIN, else target/release/feagi-npu);
3. keeps about ACTIVITY (default 1 %) of every area's neurons firing: a
   stimulator process pushes sensory frames (FeagiByteContainer v4 with an
   XYZP struct, as agents send them, over the WebSocket sensory port) that
   give a random ACTIVITY share of every area's voxels a potential of 100,
   far above the thresholds; it pushes at twice the burst rate, so every
   burst takes one frame (latest wins: a frame replaces the one still
   waiting); the frames cycle through 32 precomputed random voxel sets;
4. connects CLIENTS visualization WebSocket clients (one asyncio process with
   the `websockets` package; each counts its frames and bytes and checks each
   is a v4 container) and STALLED raw clients that complete the WebSocket
   handshake and then never read (4 KiB receive buffer);
5. after WARMUP seconds measures for SECONDS: `health_check` every 0.1 s
   (the latency of a request on a fresh connection, `burst_count`,
   `fired_neuron_count`), the server's VmRSS and CPU time from /proc and its
   own counters (`/debug/stats`: burst work time, late bursts, frames
   published, clients connected) every second;
6. stops the server with SIGTERM (its stop line repeats its counters) and
   prints one JSON summary on stdout (progress goes to stderr).

Exit status 0 when the run completed (whatever the figures), 1 when it could
not run. python/tests/test_serve_load.py runs a smaller version and asserts on
the summary; docs/SERVER.md ("Load and faults") gives measured figures.
"""

import argparse
import asyncio
import base64
import json
import math
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALL_PORTS_FREE = [
    "--rest-port", "0", "--ws-registration-port", "0", "--viz-port", "0",
    "--ws-sensory-port", "0", "--ws-motor-port", "0", "--zmq-registration-port", "0",
    "--zmq-sensory-port", "0", "--zmq-motor-port", "0", "--zmq-viz-port", "0",
]
CORE = {"X19fcG93ZXI=", "X19fZGVhdGg=", "X19fZmF0aWc="}  # ___power, ___death, ___fatig


def log(*parts):
    print("serve-load:", *parts, file=sys.stderr, flush=True)


def quantile(values, q):
    """Nearest-rank quantile of a non-empty list."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(q * len(s)) - 1))]


def get_json(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


# ----- role: stimulator ------------------------------------------------------

def xyzp_container(areas):
    """A FeagiByteContainer v4 with one XYZP struct: areas = [(id8, xs, ys, zs, ps)]."""
    header = bytearray([0x0B, 0x01]) + struct.pack("<H", len(areas))
    data = bytearray()
    offset = 4 + 16 * len(areas)
    for wire_id, xs, ys, zs, ps in areas:
        n = len(xs)
        header += wire_id + struct.pack("<II", offset + len(data), 16 * n)
        data += struct.pack(f"<{n}I", *xs) + struct.pack(f"<{n}I", *ys)
        data += struct.pack(f"<{n}I", *zs) + struct.pack(f"<{n}f", *ps)
    body = bytes(header + data)
    return (bytes([4]) + struct.pack("<H", 0) + bytes([1]) + bytes(48)
            + struct.pack("<I", len(body)) + body)


def role_stimulate(spec):
    """Pushes a precomputed frame every half burst period until stdin closes."""
    from websockets.sync.client import connect

    rng = random.Random(spec["seed"])
    frames = []
    for _ in range(32):
        areas = []
        for key, (dx, dy, dz) in spec["areas"].items():
            voxels = dx * dy * dz
            k = max(1, round(voxels * spec["activity"]))
            picks = rng.sample(range(voxels), k)
            xs = [v % dx for v in picks]
            ys = [(v // dx) % dy for v in picks]
            zs = [v // (dx * dy) for v in picks]
            areas.append((base64.b64decode(key), xs, ys, zs, [100.0] * k))
        frames.append(xyzp_container(areas))
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    period = spec["period"] / 2
    sent = 0
    with connect(spec["url"], max_size=None, compression=None, ping_interval=None) as ws:
        print(json.dumps({"event": "stimulating", "frame_bytes": len(frames[0])}), flush=True)
        next_t = time.monotonic()
        while not stop.is_set():
            ws.send(frames[sent % len(frames)])
            sent += 1
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()


# ----- role: visualization clients ------------------------------------------

def role_clients(spec):
    """N clients; prints `connected`, then waits for `measure START END` on
    stdin (time.time() seconds) and prints per-client counts in that window."""
    from websockets.asyncio.client import connect

    n = spec["clients"]
    stats = [{"frames": 0, "bytes": 0, "bad": 0, "window_frames": 0, "window_bytes": 0,
              "max_gap_s": 0.0, "closed": None} for _ in range(n)]
    window = [None, None]

    async def client(i, connected):
        st = stats[i]
        released = False
        try:
            async with connect(spec["url"], max_size=None, compression=None,
                               ping_interval=None, open_timeout=60) as ws:
                connected.release()
                released = True
                last = None
                async for message in ws:
                    now = time.time()
                    st["frames"] += 1
                    st["bytes"] += len(message)
                    if not isinstance(message, bytes) or len(message) < 60 or message[0] != 4:
                        st["bad"] += 1
                    if window[0] is not None and window[0] <= now <= window[1]:
                        st["window_frames"] += 1
                        st["window_bytes"] += len(message)
                        if last is not None and last >= window[0]:
                            st["max_gap_s"] = max(st["max_gap_s"], now - last)
                    last = now
                    if window[1] is not None and now > window[1]:
                        break
            if window[1] is None or time.time() < window[1]:
                st["closed"] = "closed by the server"
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001: reported, not raised
            st["closed"] = f"{type(e).__name__}: {e}"
        finally:
            if not released:
                connected.release()

    async def main():
        connected = asyncio.Semaphore(0)
        tasks = [asyncio.create_task(client(i, connected)) for i in range(n)]
        for _ in range(n):
            await connected.acquire()
        errors = [s["closed"] for s in stats if s["closed"]]
        print(json.dumps({"event": "connected", "errors": errors}), flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        _, start, end = line.split()
        window[0], window[1] = float(start), float(end)
        await asyncio.sleep(max(0.0, window[1] - time.time()) + 0.5)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        print(json.dumps({"event": "done", "clients": stats}), flush=True)

    asyncio.run(main())


# ----- the stalled client ----------------------------------------------------

def stalled_client(host, port):
    """Completes a WebSocket handshake, then never reads (4 KiB receive buffer)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    # Read the 101 answer only, byte by byte: nothing of the stream after it.
    answer = b""
    while not answer.endswith(b"\r\n\r\n"):
        b = s.recv(1)
        if not b:
            raise RuntimeError("the stalled client's handshake was refused")
        answer += b
    if b" 101 " not in answer.split(b"\r\n")[0]:
        raise RuntimeError(f"handshake answered {answer[:80]!r}")
    return s


# ----- the server ------------------------------------------------------------

def proc_figures(pid):
    """(VmRSS in MiB, CPU seconds) of a process."""
    rss = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def spawn_role(role, spec):
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--role", role, "--spec", json.dumps(spec)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )


def read_event(proc, what, timeout):
    """The next JSON line of a role process, within `timeout` seconds."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("line", proc.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    line = box.get("line")
    if not line:
        raise RuntimeError(f"{what}: no answer within {timeout} s (exit {proc.poll()})")
    return json.loads(line)


def stop_proc(proc, seconds=10):
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def run(args):
    npu = os.environ.get("FEAGI_NPU_BIN") or str(ROOT / "target" / "release" / "feagi-npu")
    if not Path(npu).is_file():
        raise RuntimeError(f"no feagi-npu binary at {npu} (set FEAGI_NPU_BIN or build --release)")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="serve-load-"))
    work.mkdir(parents=True, exist_ok=True)
    genome = work / f"genome-{args.neurons}-{args.fanout}.json"
    subprocess.run([npu, "gen-genome", "--neurons", str(args.neurons), "--fanout", str(args.fanout),
                    "--targets", "random", "-o", str(genome)], check=True)
    # gen-genome's input area fires on one synaptic input (threshold 1), so the
    # ring would double the activity: thresholds of 5 everywhere keep it at
    # the stimulated share. Refractory periods of 0: a refractory period counts
    # the bursts in which a neuron is a candidate (SPEC 4.4), so with 1 a
    # neuron stimulated again before any other input reached it would be
    # blocked, and the frames repeat every 16 bursts.
    g = json.loads(genome.read_text())
    for key in g["blueprint"]:
        if key.endswith("-fire_t-f"):
            g["blueprint"][key] = 5.0
        if key.endswith("-refrac-i"):
            g["blueprint"][key] = 0
    genome.write_text(json.dumps(g))
    command = ([npu, "serve", str(genome), "--hz", str(args.hz), "--viz-hz", str(args.viz_hz),
                "--json"] + ALL_PORTS_FREE)
    summary = {
        "config": {"neurons": args.neurons, "fanout": args.fanout, "clients": args.clients,
                   "stalled": args.stalled, "seconds": args.seconds, "warmup_s": args.warmup,
                   "target_hz": args.hz, "viz_hz": args.viz_hz, "activity": args.activity,
                   "cpus": os.cpu_count(), "serve_command": " ".join(command)},
        "loadavg_before": loadavg(),
    }
    err_path = work / "serve.err"
    err = open(err_path, "w")
    t_launch = time.monotonic()
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
    stimulator = clients = None
    stalled = []
    try:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(f"serve did not start: {err_path.read_text()[-2000:]}")
        ready = json.loads(line)
        summary["ready_s"] = round(time.monotonic() - t_launch, 2)
        summary["brain"] = {k: ready[k] for k in ("cortical_areas", "neurons", "synapses")}
        rest = ready["rest"]
        summary["rss_mib_ready"] = round(proc_figures(server.pid)[0], 1)
        log(f"serve ready in {summary['ready_s']} s: {ready['neurons']} neurons, "
            f"{ready['synapses']} synapses, RSS {summary['rss_mib_ready']} MiB")

        geometry = get_json(rest + "/v1/cortical_area/cortical_area/geometry")
        areas = {k: v["cortical_dimensions"] for k, v in geometry.items() if k not in CORE}
        stimulator = spawn_role("stimulate", {
            "url": ready["ws_sensory"], "areas": areas, "activity": args.activity,
            "period": 1.0 / args.hz, "seed": 13})
        read_event(stimulator, "stimulator", 120)
        clients = spawn_role("clients", {"url": ready["ws_visualization"], "clients": args.clients})
        connected = read_event(clients, "visualization clients", 120)
        if connected["errors"]:
            raise RuntimeError(f"clients failed to connect: {connected['errors'][:3]}")
        host = ready["ws_visualization"].split("//")[1].rsplit(":", 1)[0]
        stalled = [stalled_client(host, ready["ws_visualization_port"]) for _ in range(args.stalled)]
        summary["rss_mib_connected"] = round(proc_figures(server.pid)[0], 1)
        log(f"{args.clients} clients and {args.stalled} stalled connected; "
            f"warming up {args.warmup} s, then measuring {args.seconds} s")
        time.sleep(args.warmup)

        start = time.time() + 0.2
        end = start + args.seconds
        clients.stdin.write(f"measure {start} {end}\n")
        clients.stdin.flush()
        while time.time() < start:
            time.sleep(0.01)
        stats_before = get_json(rest + "/debug/stats")
        cpu_before = proc_figures(server.pid)[1]
        samples, rss, failures, debug = [], [], [], []
        next_poll = next_second = time.monotonic()
        while time.time() < end:
            t0 = time.monotonic()
            try:
                h = get_json(rest + "/v1/system/health_check", timeout=5)
                samples.append((time.time(), time.monotonic() - t0, h["burst_count"],
                                h["fired_neuron_count"]))
            except Exception as e:  # noqa: BLE001: counted as failures
                failures.append(f"{type(e).__name__}: {e}")
            if t0 >= next_second:
                rss.append((round(time.time() - start, 1), round(proc_figures(server.pid)[0], 1)))
                debug.append(get_json(rest + "/debug/stats"))
                next_second += 1.0
            next_poll += 0.1
            time.sleep(max(0.0, next_poll - time.monotonic()))
        cpu_after = proc_figures(server.pid)[1]
        stats_after = get_json(rest + "/debug/stats")
        done = read_event(clients, "visualization clients' counts", 60)
        summary["loadavg_after"] = loadavg()

        (ta, _, ba, _), (tb, _, bb, _) = samples[0], samples[-1]
        rates = []  # over sliding 5 s windows of health samples
        for i, s in enumerate(samples):
            j = next((j for j in range(i, len(samples)) if samples[j][0] - s[0] >= 5.0), None)
            if j is None:
                break
            rates.append((samples[j][2] - s[2]) / (samples[j][0] - s[0]))
        latencies = [s[1] * 1000 for s in samples]
        fired = [s[3] for s in samples]
        neurons = ready["neurons"]
        window_s = stats_after["uptime_s"] - stats_before["uptime_s"]
        bursts = stats_after["bursts"] - stats_before["bursts"]
        summary["burst_rate"] = {
            "target_hz": args.hz,
            "health_hz": round((bb - ba) / (tb - ta), 3),
            "min_5s_window_hz": round(min(rates), 3) if rates else None,
            "max_5s_window_hz": round(max(rates), 3) if rates else None,
            "server_hz": round(bursts / window_s, 3),
            "server_bursts": bursts,
            "server_late_bursts": stats_after["late_bursts"] - stats_before["late_bursts"],
            "server_schedule_restarts": (stats_after["schedule_restarts"]
                                         - stats_before["schedule_restarts"]),
            "server_burst_work_mean_ms": stats_after["burst_work_mean_ms"],
            "server_burst_work_max_ms": stats_after["burst_work_max_ms"],
        }
        summary["activity"] = {
            "fired_per_burst_median": statistics.median(fired),
            "fired_fraction_median": round(statistics.median(fired) / neurons, 5),
            "fired_fraction_min": round(min(fired) / neurons, 5),
            "fired_fraction_max": round(max(fired) / neurons, 5),
            "sensory_entries_staged_per_burst": round(
                (stats_after["sensory_entries_staged"] - stats_before["sensory_entries_staged"])
                / max(1, bursts), 1),
        }
        summary["health_ms"] = {
            "count": len(latencies), "failures": len(failures), "failure_examples": failures[:3],
            "p50": round(quantile(latencies, 0.5), 2), "p90": round(quantile(latencies, 0.9), 2),
            "p99": round(quantile(latencies, 0.99), 2), "max": round(max(latencies), 2),
        }
        values = [r for _, r in rss]
        summary["rss_mib"] = {
            "first": values[0], "last": values[-1], "min": min(values), "max": max(values),
            "growth_pct": round(100 * (values[-1] - values[0]) / values[0], 2),
            "max_over_first_pct": round(100 * (max(values) - values[0]) / values[0], 2),
            "series": rss,
        }
        summary["server_cpu_pct"] = round(100 * (cpu_after - cpu_before) / window_s, 1)
        per = [c["window_frames"] for c in done["clients"]]
        published = stats_after["visualization_frames"] - stats_before["visualization_frames"]
        summary["clients"] = {
            "frames_published": published,
            "frames_published_hz": round(published / window_s, 2),
            "frames_per_client_min": min(per),
            "frames_per_client_median": statistics.median(per),
            "frames_per_client_max": max(per),
            "frame_bytes_median": round(statistics.median(
                c["window_bytes"] / max(1, c["window_frames"]) for c in done["clients"])),
            "max_gap_s": round(max(c["max_gap_s"] for c in done["clients"]), 3),
            "bad_frames": sum(c["bad"] for c in done["clients"]),
            "closed": [c["closed"] for c in done["clients"] if c["closed"]][:3],
            "connected_by_server": [d["visualization_clients"] for d in debug],
        }
    finally:
        for s in stalled:
            s.close()
        for p in (stimulator, clients):
            if p is not None:
                try:
                    p.stdin.close()
                except OSError:
                    pass
                stop_proc(p)
        code = stop_proc(server, 30)
        err.close()
    log_text = err_path.read_text()
    summary["server_exit"] = code
    summary["server_stop_line"] = next(
        (line for line in log_text.splitlines() if "stopped after" in line), None)
    summary["stalled_dropped_by_server"] = log_text.count("took no frame for")
    summary["server_log"] = str(err_path)
    return summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--neurons", type=int, default=1_000_000)
    p.add_argument("--fanout", type=int, default=10, help="synapses per neuron (random targets)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--stalled", type=int, default=1)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--hz", type=float, default=20, help="target burst rate")
    p.add_argument("--viz-hz", type=float, default=20)
    p.add_argument("--activity", type=float, default=0.01,
                   help="share of each area's neurons made to fire each burst")
    p.add_argument("--workdir", help="where the genome and the server log go (default: a new temporary folder)")
    p.add_argument("--role", choices=["stimulate", "clients"], help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.role == "stimulate":
        return role_stimulate(json.loads(args.spec))
    if args.role == "clients":
        return role_clients(json.loads(args.spec))
    try:
        summary = run(args)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        log(f"failed: {e}")
        return 1
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

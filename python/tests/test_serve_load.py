"""`feagi-npu serve` under load: a small run of scripts/serve-load.py.

A 100,000-neuron genome (10 random synapses per neuron) kept at 1 % activity
by sensory frames, 50 visualization WebSocket clients and one client that
completes the handshake and never reads, 15 s of measurement at 20 bursts per
second. The bounds are generous for a noisy 2-core CI machine but check what
issue 13 asks: the loop keeps its rate (within 10 %), health_check answers in
under 100 ms at p99, memory stays flat, every reading client gets the stream
although one client is stalled. docs/SERVER.md gives the full-size figures
(1,000,000 neurons, 60 s).

Needs FEAGI_NPU_BIN (scripts/test.sh sets it) and the `websockets` package;
without them the test is skipped, except under CI, where it fails.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from serve_helpers import missing, npu_binary

WHAT = "serve load test"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "serve-load.py"
HZ = 20.0
CLIENTS = 50


def test_fifty_viewers_and_a_stalled_one_keep_the_loop_rate_and_health_fast(tmp_path):
    npu = npu_binary(WHAT)
    try:
        import websockets  # noqa: F401
    except ImportError:
        missing("the websockets package is not installed", WHAT)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--neurons", "100000", "--fanout", "10",
         "--clients", str(CLIENTS), "--stalled", "1", "--seconds", "15", "--warmup", "2",
         "--hz", str(HZ), "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=180,
        env={**os.environ, "FEAGI_NPU_BIN": npu},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    s = json.loads(done.stdout)
    rate, health, rss, clients = s["burst_rate"], s["health_ms"], s["rss_mib"], s["clients"]
    figures = {k: s[k] for k in ("burst_rate", "activity", "health_ms", "server_cpu_pct",
                                 "loadavg_before", "loadavg_after")}
    figures["rss_mib"] = {k: v for k, v in rss.items() if k != "series"}
    figures["clients"] = {k: v for k, v in clients.items() if k != "connected_by_server"}
    print(f"serve under load: {json.dumps(figures)}", file=sys.stderr)
    (tmp_path / "summary.json").write_text(done.stdout)

    assert s["server_exit"] == 0, s["server_stop_line"]
    assert s["brain"]["neurons"] >= 100_000
    # The loop keeps its rate, by health_check's burst_count and by its own count.
    assert abs(rate["health_hz"] - HZ) <= 0.1 * HZ, rate
    assert abs(rate["server_hz"] - HZ) <= 0.1 * HZ, rate
    assert rate["min_5s_window_hz"] >= 0.8 * HZ, rate
    # About 1 % of the neurons fire each burst.
    assert 0.005 <= s["activity"]["fired_fraction_median"] <= 0.02, s["activity"]
    # health_check answers fast throughout, and always.
    assert health["failures"] == 0, health
    assert health["count"] >= 100, health
    assert health["p99"] < 100, health
    # Memory stays flat.
    assert rss["max_over_first_pct"] < 20, rss
    # Every reading client gets the stream, stalled client or not.
    assert clients["connected_by_server"][0] == CLIENTS + 1, clients["connected_by_server"]
    assert clients["frames_published_hz"] >= 0.8 * HZ, clients
    assert clients["frames_per_client_min"] >= 0.8 * clients["frames_published"], clients
    assert clients["bad_frames"] == 0 and not clients["closed"], clients

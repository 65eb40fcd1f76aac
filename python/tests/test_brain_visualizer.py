"""The real Brain Visualizer against `feagi-npu serve`.

Brain Visualizer 2.9.0 (PyPI `feagi-bv-linux==2.9.0`, installed into the test
environment by scripts/test.sh) runs headless, pointed at a server on free
ports by its environment variables only. The test asserts, from BV's own log,
that it loaded the genome and connected its visualization link, and, from the
server's request log, that every REST call BV made was answered 2xx.

Needs FEAGI_NPU_BIN (the feagi-npu binary; scripts/test.sh sets it) and the
BV package. Without them the test is skipped, except under CI, where it fails.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CONNECTED = "visualization link NO_CONNECTION → CONNECTED"
LOADED = "FEAGI CACHE: Added input cortical area"
# The calls BV 2.9.0 makes at startup (research note, section 6).
STARTUP_CALLS = [
    "/v1/system/health_check",
    "/v1/burst_engine/simulation_timestep",
    "/v1/network/connection_info",
    "/v1/cortical_area/cortical_area/geometry",
    "/v1/morphology/morphologies",
    "/v1/cortical_area/cortical_map_detailed",
    "/v1/region/regions_members",
    "/v1/cortical_area/ipu/types",
    "/v1/cortical_area/opu/types",
    "/v1/system/cortical_area_visualization_suppression_threshold",
    "/v1/system/cortical_area_visualization_skip_rate",
    "/v1/neuroplasticity/plasticity_queue_depth",
]


def _missing(reason):
    if "CI" in os.environ:
        pytest.fail(f"{reason}; CI is set, so the Brain Visualizer test must run")
    pytest.skip(reason)


def _bv_binary():
    try:
        import feagi_bv_linux  # noqa: F401 (only its folder is used)
    except ImportError:
        return None
    path = Path(feagi_bv_linux.__file__).parent / "bin" / "BrainVisualizer-Remote.x86_64"
    return path if path.is_file() else None


def _wait(what, predicate, seconds, procs):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for name, proc in procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode} while waiting for {what}")
        time.sleep(0.25)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _stop(proc, seconds=10):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def test_brain_visualizer_renders_our_brain(tmp_path):
    npu = os.environ.get("FEAGI_NPU_BIN")
    if not npu or not Path(npu).is_file():
        _missing(f"FEAGI_NPU_BIN={npu!r} is not the feagi-npu binary")
    bv = _bv_binary()
    if bv is None:
        _missing("feagi-bv-linux (Brain Visualizer) is not installed")

    server_err = open(tmp_path / "serve.err", "w")
    server = subprocess.Popen(
        [npu, "serve", "--rest-port", "0", "--ws-registration-port", "0",
         "--viz-port", "0", "--ws-sensory-port", "0", "--ws-motor-port", "0",
         "--zmq-registration-port", "0", "--zmq-sensory-port", "0",
         "--zmq-motor-port", "0", "--zmq-viz-port", "0", "--hz", "20", "--json"],
        stdout=subprocess.PIPE, stderr=server_err, text=True,
    )
    procs = {"feagi-npu serve": server}
    bv_proc = None
    try:
        ready = json.loads(server.stdout.readline())
        assert ready["event"] == "ready", ready
        rest = ready["rest"]

        home = tmp_path / "home"
        for d in ("data", "config", "cache"):
            (home / d).mkdir(parents=True)
        env = dict(os.environ)
        env.update({
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "FEAGI_MODE": "remote",
            "FEAGI_API_URL": rest,
            "FEAGI_WS_HOST": "127.0.0.1",
            "FEAGI_WS_PORT": str(ready["ws_visualization_port"]),
        })
        bv_out = open(tmp_path / "bv.out", "w")
        bv_proc = subprocess.Popen(
            [str(bv), "--headless", "--max-fps", "10", "--audio-driver", "Dummy"],
            env=env, stdout=bv_out, stderr=subprocess.STDOUT,
        )
        procs["Brain Visualizer"] = bv_proc
        log = home / "data" / "godot" / "app_userdata" / "Brain Visualizer" / "logs" / "godot.log"

        def log_text():
            return log.read_text(errors="replace") if log.is_file() else ""

        def requests():
            with urllib.request.urlopen(f"{rest}/debug/request_log", timeout=5) as r:
                return json.load(r)

        _wait("BV to connect its visualization link", lambda: CONNECTED in log_text(), 120, procs)
        _wait("BV to load the genome", lambda: LOADED in log_text(), 60, procs)
        # The whole startup sequence, then one steady-state health check.
        _wait("BV's startup calls", lambda: (lambda paths: all(
            any(p.split("?")[0] == c for p in paths) for c in STARTUP_CALLS))(
            [r["path"] for r in requests()]), 60, procs)
        time.sleep(4)

        calls = requests()
        report = "\n".join(f"{r['method']} {r['path']} {r['status']}" for r in calls)
        (tmp_path / "bv_requests.txt").write_text(report)
        print(f"REST calls Brain Visualizer made ({len(calls)}):\n{report}", file=sys.stderr)
        bad = [r for r in calls if not 200 <= r["status"] < 300]
        assert not bad, f"calls not answered 2xx: {bad}\n{report}"
        # BV registered over WebSocket and opened the stream.
        server_log = (tmp_path / "serve.err").read_text()
        assert "registered over WebSocket" in server_log, server_log
        assert "visualization client connected" in server_log, server_log
    finally:
        if bv_proc is not None:
            _stop(bv_proc)
        code = _stop(server)
        server_err.close()
    assert code == 0, (tmp_path / "serve.err").read_text()
    assert "stopped after" in (tmp_path / "serve.err").read_text()

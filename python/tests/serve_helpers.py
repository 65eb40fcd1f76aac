"""Helpers of the tests that run `feagi-npu serve` with real FEAGI clients
(Brain Visualizer 2.9.0, FEAGI's Python SDK): the server process, BV
headless, the SDK agent process, the genome that wires the SDK camera to the
rotary motor.

Every process a test starts here is stopped by the test (`stop()`, also on
failure: use try/finally). Missing clients skip a test, except under CI
(the CI variable set), where they fail it.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# serve's port options and the ready-line keys that name the ports.
PORT_OPTIONS = {
    "--rest-port": "rest_port",
    "--ws-registration-port": "ws_registration_port",
    "--viz-port": "ws_visualization_port",
    "--ws-sensory-port": "ws_sensory_port",
    "--ws-motor-port": "ws_motor_port",
    "--zmq-registration-port": "zmq_registration_port",
    "--zmq-sensory-port": "zmq_sensory_port",
    "--zmq-motor-port": "zmq_motor_port",
    "--zmq-viz-port": "zmq_visualization_port",
}
ALL_PORTS_FREE = [arg for option in PORT_OPTIONS for arg in (option, "0")]
# Brain Visualizer's log lines: its visualization link connected, the genome loaded.
BV_CONNECTED = "visualization link NO_CONNECTION → CONNECTED"
BV_LOADED = "FEAGI CACHE: Added input cortical area"


def missing(reason, what):
    """Skips the test, or fails it under CI (where `what` must run)."""
    if "CI" in os.environ:
        pytest.fail(f"{reason}; CI is set, so the {what} must run")
    pytest.skip(reason)


def npu_binary(what):
    npu = os.environ.get("FEAGI_NPU_BIN")
    if not npu or not Path(npu).is_file():
        missing(f"FEAGI_NPU_BIN={npu!r} is not the feagi-npu binary", what)
    return npu


def bv_binary(what):
    try:
        import feagi_bv_linux
    except ImportError:
        missing("feagi-bv-linux (Brain Visualizer) is not installed", what)
    path = Path(feagi_bv_linux.__file__).parent / "bin" / "BrainVisualizer-Remote.x86_64"
    if not path.is_file():
        missing(f"{path} is missing", what)
    return path


def require_sdk(what):
    try:
        import feagi.pns  # noqa: F401
        import feagi_rust_py_libs  # noqa: F401
    except ImportError as e:
        missing(f"FEAGI's Python SDK (feagi-core==2.6.10) is not installed: {e}", what)


def stop(proc, seconds=10):
    """SIGTERM, then SIGKILL after `seconds`; the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def wait(what, predicate, seconds, procs=None, interval=0.25):
    """Polls `predicate` every `interval` s until it returns a true value;
    fails the test after `seconds` or when one of `procs` ({name: process})
    exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for name, proc in (procs or {}).items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode} while waiting for {what}")
        time.sleep(interval)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


class Server:
    """`feagi-npu serve --json` on free ports, or on the ports of an earlier
    ready line (`ports`), with its stderr in `tmp_path/<name>.err`."""

    def __init__(self, npu, tmp_path, genome=None, hz=30.0, ports=None, name="serve", extra=()):
        self.err_path = tmp_path / f"{name}.err"
        self.err = open(self.err_path, "w")
        args = [npu, "serve"] + ([str(genome)] if genome else [])
        if ports is None:
            args += ALL_PORTS_FREE
        else:
            args += [a for option, key in PORT_OPTIONS.items() for a in (option, str(ports[key]))]
        self.proc = subprocess.Popen(
            args + ["--hz", str(hz), "--json", *extra],
            stdout=subprocess.PIPE, stderr=self.err, text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            pytest.fail(f"serve did not start: {self.err_path.read_text()[-3000:]}")
        self.ready = json.loads(line)
        assert self.ready["event"] == "ready", self.ready

    @property
    def rest(self):
        return self.ready["rest"]

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.rest + path, timeout=timeout) as r:
            return json.load(r)

    def requests(self):
        """Every HTTP request answered so far (method, path, status)."""
        return self.get("/debug/request_log")

    def kill(self):
        """SIGKILL: no close frames, no deregistration, sockets reset by the kernel."""
        self.proc.kill()
        self.proc.wait(10)
        self.err.close()

    def stop(self, seconds=10):
        code = stop(self.proc, seconds)
        self.err.close()
        return code

    def log(self):
        return self.err_path.read_text()


class BrainVisualizer:
    """BV 2.9.0 headless, pointed at a server by its environment only, with
    its own HOME under `tmp_path/bv-home` (its log is godot.log there)."""

    def __init__(self, bv, tmp_path, ready):
        home = tmp_path / "bv-home"
        for d in ("data", "config", "cache"):
            (home / d).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update({
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "FEAGI_MODE": "remote",
            "FEAGI_API_URL": ready["rest"],
            "FEAGI_WS_HOST": "127.0.0.1",
            "FEAGI_WS_PORT": str(ready["ws_visualization_port"]),
        })
        self.out = open(tmp_path / "bv.out", "w")
        self.log_path = home / "data" / "godot" / "app_userdata" / "Brain Visualizer" / "logs" / "godot.log"
        self.proc = subprocess.Popen(
            [str(bv), "--headless", "--max-fps", "10", "--audio-driver", "Dummy"],
            env=env, stdout=self.out, stderr=subprocess.STDOUT,
        )

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""

    def stop(self):
        code = stop(self.proc)
        self.out.close()
        return code


def wired_genome(path):
    """The default genome plus a 4 x 4 x 3 camera tile (`iv00_C`) wired to the
    rotary motor (`omot00`, 1 x 1 x 9): a bright frame fires the motor at z = 1."""
    import feagi_rust

    g = json.loads(feagi_rust.default_genome_json())
    blueprint = g["blueprint"]

    def area(cid, name, group, dims, dstmap):
        genes = {
            "cx-__name-t": name, "cx-_group-t": group, "cx-___bbx-i": dims[0],
            "cx-___bby-i": dims[1], "cx-___bbz-i": dims[2], "cx-_n_cnt-i": 1,
            "cx-pstcr_-f": 1.0, "nx-fire_t-f": 1.0, "nx-excite-f": 100,
            "nx-leak_c-f": 0.0, "nx-refrac-i": 0, "cx-dstmap-d": dstmap,
        }
        for k, v in genes.items():
            blueprint[f"_____10c-{cid}-{k}"] = v

    area("iv00_C", "camera_centre", "IPU", [4, 4, 3],
         {"omot00": [["all_to_0-0-1", [1, 1, 1], 1, False, 1, 1, 1]]})
    area("omot00", "rotary_motor", "OPU", [1, 1, 9], {})
    g["neuron_morphologies"]["all_to_0-0-1"] = {
        "type": "patterns", "class": "custom",
        "parameters": {"patterns": [[["*", "*", "*"], [0, 0, 1]]]},
    }
    path.write_text(json.dumps(g))
    return path


def run_agent(mode, ready, tmp_path, timeout):
    """Runs sdk_agent.py MODE to its end: (its JSON records, its stderr)."""
    err = tmp_path / f"agent-{mode}.err"
    with open(err, "w") as err_file:
        done = subprocess.run(
            [sys.executable, str(HERE / "sdk_agent.py"), mode, json.dumps(ready)],
            stdout=subprocess.PIPE, stderr=err_file, text=True, timeout=timeout,
        )
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"agent exited {done.returncode}:\n{err.read_text()[-4000:]}"
    return records, err.read_text()


class Agent:
    """sdk_agent.py MODE in the background; its records gather in `records`.
    Closing its stdin (`stop()`) ends its loop."""

    def __init__(self, mode, ready, tmp_path):
        self.mode = mode
        self.err_path = tmp_path / f"agent-{mode}.err"
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "sdk_agent.py"), mode, json.dumps(ready)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err, text=True,
        )
        self.records = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.records.append(json.loads(line))

    def events(self, kind, after=0.0):
        return [r for r in list(self.records) if r["event"] == kind and r.get("t", after) >= after]

    def stop(self):
        """Ends the loop and the process; its records go to agent-MODE.jsonl."""
        try:
            self.proc.stdin.close()
            self.proc.wait(15)
        except (OSError, subprocess.TimeoutExpired):
            pass
        code = stop(self.proc)
        self.err.close()
        self.err_path.with_suffix(".jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in self.records))
        return code

    def log(self):
        return self.err_path.read_text()

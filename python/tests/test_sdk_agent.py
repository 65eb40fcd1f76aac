"""FEAGI's Python SDK against `feagi-npu serve`.

An agent written with feagi-core 2.6.10 (PyPI; it brings feagi-rust-py-libs
0.0.120, the SDK's Rust core; scripts/test.sh installs both) speaks ZMQ to a
server on free ports: see sdk_agent.py. The genome wires the SDK camera's
centre tile (`iv00_C`) to the rotary motor (`omot00`), so a bright frame makes
the motor neuron at z = 1 fire one burst after the camera neurons: the SDK
decodes it as speed 0.75. The round-trip test measures push -> motor frame
over 20 trials at 30 bursts per second and prints the figures.

Needs FEAGI_NPU_BIN (scripts/test.sh sets it) and the SDK; without them the
tests are skipped, except under CI, where they fail.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).parent
HZ = 30.0
ALL_PORTS_FREE = [
    "--rest-port", "0", "--ws-registration-port", "0", "--viz-port", "0",
    "--ws-sensory-port", "0", "--ws-motor-port", "0", "--zmq-registration-port", "0",
    "--zmq-sensory-port", "0", "--zmq-motor-port", "0", "--zmq-viz-port", "0",
]
MOTOR = "b21vdAUAAAA="  # the rotary motor, group 0, as FEAGI names it


def _missing(reason):
    if "CI" in os.environ:
        pytest.fail(f"{reason}; CI is set, so the SDK agent test must run")
    pytest.skip(reason)


def _requirements():
    npu = os.environ.get("FEAGI_NPU_BIN")
    if not npu or not Path(npu).is_file():
        _missing(f"FEAGI_NPU_BIN={npu!r} is not the feagi-npu binary")
    try:
        import feagi.pns  # noqa: F401
        import feagi_rust_py_libs  # noqa: F401
    except ImportError as e:
        _missing(f"FEAGI's Python SDK (feagi-core==2.6.10) is not installed: {e}")
    return npu


def _wired_genome(path):
    """The default genome plus a 4 x 4 x 3 camera tile wired to the rotary motor."""
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


class Server:
    def __init__(self, npu, tmp_path, genome=None):
        self.err_path = tmp_path / "serve.err"
        self.err = open(self.err_path, "w")
        args = [npu, "serve"] + ([str(genome)] if genome else [])
        self.proc = subprocess.Popen(
            args + ALL_PORTS_FREE + ["--hz", str(HZ), "--json"],
            stdout=subprocess.PIPE, stderr=self.err, text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            pytest.fail(f"serve did not start: {self.err_path.read_text()}")
        self.ready = json.loads(line)

    def get(self, path):
        with urllib.request.urlopen(self.ready["rest"] + path, timeout=5) as r:
            return json.load(r)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.err.close()
        return self.proc.returncode

    def log(self):
        return self.err_path.read_text()


def _run_agent(mode, ready, tmp_path, timeout):
    err = tmp_path / f"agent-{mode}.err"
    with open(err, "w") as err_file:
        done = subprocess.run(
            [sys.executable, str(HERE / "sdk_agent.py"), mode, json.dumps(ready)],
            stdout=subprocess.PIPE, stderr=err_file, text=True, timeout=timeout,
        )
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, f"agent exited {done.returncode}:\n{err.read_text()[-4000:]}"
    return records, err.read_text()


def test_sdk_agent_camera_drives_the_motor_and_round_trip_latency(tmp_path):
    npu = _requirements()
    server = Server(npu, tmp_path, _wired_genome(tmp_path / "wired.json"))
    try:
        records, agent_log = _run_agent("round-trip", server.ready, tmp_path, timeout=120)
        health = server.get("/v1/system/health_check")
    finally:
        code = server.stop()
    log = server.log()
    assert code == 0, log
    assert records and records[0]["event"] == "connected", (records, agent_log[-3000:])
    trials = [r for r in records if r["event"] == "trial"]
    assert len(trials) >= 10, records
    # The motor value changes: 0 before, 0.75 (z = 1 of 9) once the camera sees light.
    assert trials[0]["before"] == 0.0, trials[0]
    missed = [t for t in trials if t["latency"] is None]
    assert not missed, f"frames that never reached the motor: {missed}"
    for t in trials:
        assert t["speed"] == pytest.approx(0.75), t
        assert list(t["motor_data"].values()) == [pytest.approx(0.75)], t
    period = 1.0 / HZ
    latencies = sorted(t["latency"] for t in trials)
    median = statistics.median(latencies)
    p90 = latencies[int(0.9 * (len(latencies) - 1))]
    worst = latencies[-1]
    report = (
        f"SDK round trip push -> motor frame at {HZ:g} Hz ({len(latencies)} trials): "
        f"median {median * 1000:.1f} ms ({median / period:.2f} bursts), "
        f"p90 {p90 * 1000:.1f} ms, max {worst * 1000:.1f} ms ({worst / period:.2f} bursts), "
        f"min {latencies[0] * 1000:.1f} ms"
    )
    print(report, file=sys.stderr)
    (tmp_path / "sdk_latency.txt").write_text(report + "\n")
    # The input fires in the first burst after the push, the motor in the
    # next: between 1 and 2 periods, plus transport and decoding.
    assert median <= 2 * period, report
    assert worst <= 3 * period, report
    # The server saw the SDK's sequence: two registrations with the same
    # descriptor over ZMQ, a device configuration, sensory frames.
    assert log.count("registered over Zmq") >= 2, log
    assert "sent its device configuration" in log, log
    assert health["brain_readiness"] is True


def test_sdk_device_configuration_creates_the_missing_motor_area(tmp_path):
    npu = _requirements()
    server = Server(npu, tmp_path)  # the default genome: no rotary motor
    try:
        before = server.get("/v1/system/health_check")
        assert MOTOR not in server.get("/v1/cortical_area/cortical_area/geometry")
        # connect() sends the device configuration and checks over REST
        # (POST /v1/cortical_area/multi/cortical_area_properties) that the
        # area exists, retrying; it raises when the area never appears.
        records, agent_log = _run_agent("configure", server.ready, tmp_path, timeout=60)
        assert records and records[0]["event"] == "connected", agent_log[-3000:]
        after = server.get("/v1/system/health_check")
        geometry = server.get("/v1/cortical_area/cortical_area/geometry")
        regions = server.get("/v1/region/regions_members")
    finally:
        code = server.stop()
    assert code == 0, server.log()
    assert after["genome_num"] == before["genome_num"] + 1
    assert after["cortical_area_count"] == before["cortical_area_count"] + 1
    assert after["cortical_areas_hash"] != before["cortical_areas_hash"]
    motor = geometry[MOTOR]
    assert motor["cortical_type"] == "motor"
    assert motor["cortical_dimensions"] == [1, 1, 9]
    assert motor["cortical_name"] == "Rotary Motor-0-0"
    assert MOTOR in regions["root"]["outputs"]
    assert "created output area b21vdAUAAAA=" in server.log()

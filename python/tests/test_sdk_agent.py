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

import statistics
import sys

import pytest

from serve_helpers import Server, npu_binary, require_sdk, run_agent, wired_genome

WHAT = "SDK agent test"
HZ = 30.0
MOTOR = "b21vdAUAAAA="  # the rotary motor, group 0, as FEAGI names it


def _requirements():
    npu = npu_binary(WHAT)
    require_sdk(WHAT)
    return npu


def test_sdk_agent_camera_drives_the_motor_and_round_trip_latency(tmp_path):
    npu = _requirements()
    server = Server(npu, tmp_path, wired_genome(tmp_path / "wired.json"), hz=HZ)
    try:
        records, agent_log = run_agent("round-trip", server.ready, tmp_path, timeout=120)
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
    server = Server(npu, tmp_path, hz=HZ)  # the default genome: no rotary motor
    try:
        before = server.get("/v1/system/health_check")
        assert MOTOR not in server.get("/v1/cortical_area/cortical_area/geometry")
        # connect() sends the device configuration and checks over REST
        # (POST /v1/cortical_area/multi/cortical_area_properties) that the
        # area exists, retrying; it raises when the area never appears.
        records, agent_log = run_agent("configure", server.ready, tmp_path, timeout=60)
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

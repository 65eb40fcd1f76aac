"""Kill and restart `feagi-npu serve` under its real clients.

Brain Visualizer 2.9.0 (headless) and an agent written with FEAGI's Python
SDK (feagi-core 2.6.10, sdk_agent.py) run against a server on free ports; the
server is killed with SIGKILL (no close frames, no goodbye) and a new one is
started on the same ports. Both clients must find the new server by
themselves (it has a new `feagi_session`):

* BV: its log shows the visualization link connected again and the genome
  loaded again, and the new server saw BV's startup calls, its WebSocket
  registration and its visualization client;
* the agent: its motor values (the camera's bright frames drive the rotary
  motor, 0.75) arrive again after the restart. The SDK does not reconnect on
  its own: recovery is the controller's job, with the SDK's FeagiHealthMonitor
  deciding when to call reconnect() (feagi.pns.health_monitor). The agent
  runs that loop (`loop-monitor`); the test asserts it re-registered with the
  new server and that motor frames flow again.

`RESTART_AGENT_MODE=loop` runs the agent without the SDK's recovery: it is then
registered nowhere after the restart, but its ZMQ sockets reconnect by
themselves and serve does not tie sensory and motor to a registration, so the
motor values come back all the same (docs/SERVER.md, "Load and faults").

Needs FEAGI_NPU_BIN (scripts/test.sh sets it), BV and the SDK; without them
the test is skipped, except under CI, where it fails.
"""

import os
import re
import sys
import time

from serve_helpers import (
    BV_CONNECTED,
    BV_LOADED,
    Agent,
    BrainVisualizer,
    Server,
    bv_binary,
    npu_binary,
    require_sdk,
    wait,
    wired_genome,
)

WHAT = "serve restart test"
HZ = 30.0
# BV's visualization link coming up: NO_CONNECTION → CONNECTED at start,
# RETRYING → CONNECTED after a loss.
LINK_UP = re.compile(r"visualization link \w+ → CONNECTED")


def test_clients_reconnect_after_the_server_is_killed_and_restarted(tmp_path):
    npu = npu_binary(WHAT)
    bv = bv_binary(WHAT)
    require_sdk(WHAT)
    genome = wired_genome(tmp_path / "wired.json")
    first = Server(npu, tmp_path, genome, hz=HZ, name="serve-1")
    second = viewer = agent = None
    report = {}
    try:
        viewer = BrainVisualizer(bv, tmp_path, first.ready)
        agent = Agent(os.environ.get("RESTART_AGENT_MODE", "loop-monitor"), first.ready, tmp_path)
        procs = {"serve": first.proc, "Brain Visualizer": viewer.proc, "SDK agent": agent.proc}
        wait("BV to connect and load the genome",
             lambda: BV_CONNECTED in viewer.log() and BV_LOADED in viewer.log(), 120, procs)
        wait("the agent's motor values", lambda: agent.events("motor"), 60, procs)
        session = first.get("/v1/system/health_check")["feagi_session"]
        bv_log = viewer.log()
        connected_before = len(LINK_UP.findall(bv_log))
        loaded_before = bv_log.count(BV_LOADED)

        first.kill()
        killed = time.time()
        time.sleep(1.0)
        second = Server(npu, tmp_path, genome, hz=HZ, ports=first.ready, name="serve-2")
        restarted = time.time()
        procs = {"serve": second.proc, "Brain Visualizer": viewer.proc, "SDK agent": agent.proc}
        assert second.ready["rest_port"] == first.ready["rest_port"]
        health = second.get("/v1/system/health_check")
        assert health["feagi_session"] != session

        if agent.mode == "loop-monitor":
            wait("the agent to reconnect", lambda: agent.events("reconnected", restarted), 60, procs)
        motor = wait("motor values after the restart",
                     lambda: agent.events("motor", restarted), 60, procs)
        report["agent_motor_after_s"] = round(motor[0]["t"] - restarted, 2)
        if agent.mode == "loop-monitor":
            report["agent_reconnected_after_s"] = round(
                agent.events("reconnected", restarted)[0]["t"] - restarted, 2)
        assert motor[-1]["speed"] == 0.75, motor

        wait("BV to see the new session",
             lambda: f"FEAGI session changed (old: {session} -> new: {health['feagi_session']})"
             in viewer.log(), 60, procs)
        wait("BV to connect its visualization link again",
             lambda: len(LINK_UP.findall(viewer.log())) > connected_before, 60, procs)
        report["bv_connected_after_s"] = round(time.time() - restarted, 1)
        wait("BV to load the genome again",
             lambda: viewer.log().count(BV_LOADED) > loaded_before, 60, procs)
        wait("the new server to see BV's visualization client",
             lambda: "visualization client connected" in second.log(), 30, procs)
        calls = second.requests()
        paths = {r["path"].split("?")[0] for r in calls}
        for call in ("/v1/system/health_check", "/v1/cortical_area/cortical_area/geometry",
                     "/v1/cortical_area/cortical_map_detailed"):
            assert call in paths, (call, sorted(paths))
        bad = [r for r in calls if not 200 <= r["status"] < 300]
        assert not bad, bad
        log = second.log()
        assert "registered over WebSocket" in log, log  # BV
        if agent.mode == "loop-monitor":
            assert "registered over Zmq" in log, log  # the agent
        report["killed_to_restarted_s"] = round(restarted - killed, 2)
        print(f"after SIGKILL and restart: {report}", file=sys.stderr)
    finally:
        if agent is not None:
            agent.stop()
        if viewer is not None:
            viewer.stop()
        if second is not None:
            code = second.stop()
        if first.proc.poll() is None:
            first.stop()
    assert code == 0, second.log()

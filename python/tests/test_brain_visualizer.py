"""The real Brain Visualizer against `feagi-npu serve`.

Brain Visualizer 2.9.0 (PyPI `feagi-bv-linux==2.9.0`, installed into the test
environment by scripts/test.sh) runs headless, pointed at a server on free
ports by its environment variables only. The test asserts, from BV's own log,
that it loaded the genome and connected its visualization link, and, from the
server's request log, that every REST call BV made was answered 2xx.

Needs FEAGI_NPU_BIN (the feagi-npu binary; scripts/test.sh sets it) and the
BV package. Without them the test is skipped, except under CI, where it fails.
"""

import sys
import time

from serve_helpers import BV_CONNECTED, BV_LOADED, BrainVisualizer, Server, bv_binary, npu_binary, wait

WHAT = "Brain Visualizer test"

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



def test_brain_visualizer_renders_our_brain(tmp_path):
    npu = npu_binary(WHAT)
    bv = bv_binary(WHAT)
    server = Server(npu, tmp_path, hz=20)
    viewer = None
    try:
        viewer = BrainVisualizer(bv, tmp_path, server.ready)
        procs = {"feagi-npu serve": server.proc, "Brain Visualizer": viewer.proc}

        def paths():
            return [r["path"].split("?")[0] for r in server.requests()]

        wait("BV to connect its visualization link", lambda: BV_CONNECTED in viewer.log(), 120, procs)
        wait("BV to load the genome", lambda: BV_LOADED in viewer.log(), 60, procs)
        # The whole startup sequence, then one steady-state health check.
        wait("BV's startup calls", lambda: all(c in paths() for c in STARTUP_CALLS), 60, procs)
        time.sleep(4)

        calls = server.requests()
        report = "\n".join(f"{r['method']} {r['path']} {r['status']}" for r in calls)
        (tmp_path / "bv_requests.txt").write_text(report)
        print(f"REST calls Brain Visualizer made ({len(calls)}):\n{report}", file=sys.stderr)
        bad = [r for r in calls if not 200 <= r["status"] < 300]
        assert not bad, f"calls not answered 2xx: {bad}\n{report}"
        # BV registered over WebSocket and opened the stream.
        server_log = server.log()
        assert "registered over WebSocket" in server_log, server_log
        assert "visualization client connected" in server_log, server_log
    finally:
        if viewer is not None:
            viewer.stop()
        code = server.stop()
    assert code == 0, server.log()
    assert "stopped after" in server.log()

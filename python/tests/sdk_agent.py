"""A minimal robot written with FEAGI's Python SDK (feagi-core 2.6.10), run by
test_sdk_agent.py in a process of its own (the SDK keeps its devices in
module-level singletons).

    python sdk_agent.py MODE READY_JSON

READY_JSON is `feagi-npu serve --json`'s ready line (the ports). MODE:

* ``round-trip``: a camera (SDK `Camera`, segmented vision: the centre tile is
  the genome's `iv00_C`) and a rotary motor (`RotaryMotor`). It registers
  (brain_input, then brain_output with the same descriptor, which sends the
  device configuration and checks its areas over REST), then measures, trial
  after trial, the time from pushing a bright frame to receiving the motor
  frame it causes, after dark frames let the motor fall silent.
* ``configure``: a rotary motor only; the brain lacks its area, so connect()
  succeeds only once the server has created it.
* ``loop`` and ``loop-monitor``: the camera and the motor of ``round-trip``,
  then, until stdin closes, bright and dark frames in turn (0.3 s each, a
  frame every 50 ms, motor frames read in between),
  printing a ``motor`` record at most every 0.2 s while motor data arrives
  and an ``error`` record for each failing SDK call (the loop goes on).
  ``loop-monitor`` also runs the SDK's own recovery: a FeagiHealthMonitor
  (feagi.pns.health_monitor) ticked every 0.5 s; when it decides
  ``attempt_now`` (a new ``feagi_session``, the server back online) the
  agent reconnects brain_output (``reconnect()``) and brain_input
  (disconnect, connect) and prints a ``reconnected`` record.

Every result is one JSON line on stdout; the SDK's own logging goes to stderr.
"""

import base64
import json
import logging
import os
import random
import struct
import sys
import time


def out(**record):
    print(json.dumps(record), flush=True)


def main():
    mode, ready = sys.argv[1], json.loads(sys.argv[2])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    descriptor = (struct.pack("<I", 1) + b"feagi-rust".ljust(20, b"\0")
                  + b"sdk-test-robot".ljust(20, b"\0") + struct.pack("<I", 1))
    agent_id = base64.b64encode(descriptor).decode()
    token = base64.b64encode(bytes(32)).decode()
    os.environ["FEAGI_AGENT_DESCRIPTOR_B64"] = agent_id

    import numpy as np
    from feagi.pns import brain_input, brain_output
    from feagi.pns.inputs import Camera
    from feagi.pns.outputs import RotaryMotor

    host = "127.0.0.1"
    ports = dict(
        registration=ready["zmq_registration_port"], sensory=ready["zmq_sensory_port"],
        motor=ready["zmq_motor_port"], api=ready["rest_port"],
    )
    camera = None
    if mode != "configure":
        # A 4 x 4 centre tile (the genome's iv00_C is 4 x 4 x 3).
        camera = Camera.register(resolution=(4, 4), central_resolution=(4, 4),
                                 peripheral_resolution=(2, 2))
    motor = RotaryMotor.register()
    if camera is not None:
        brain_input.configure(
            feagi_host=host, feagi_port=ports["sensory"], motor_port=ports["motor"],
            registration_port=ports["registration"], transport="zmq", api_port=ports["api"],
            feagi_http_timeout_s=5.0, heartbeat_interval_s=0.5, heartbeat_join_timeout_s=1.0,
            connection_timeout_ms=3000, registration_retries=5, auth_token_b64=token,
        )
    brain_output.configure(
        agent_id, feagi_host=host, feagi_registration_port=ports["registration"],
        feagi_sensory_port=ports["sensory"], feagi_motor_port=ports["motor"], transport="zmq",
        feagi_connection_timeout_ms=3000, feagi_registration_retries=5,
        feagi_heartbeat_interval_s=0.5, feagi_api_port=ports["api"], feagi_http_timeout_s=5.0,
        auth_token_b64=token,
    )
    t = time.perf_counter()
    if camera is not None:
        brain_input.register_agent(agent_id)
        brain_input.connect()
    brain_output.connect()
    out(event="connected", seconds=time.perf_counter() - t)

    if mode == "configure":
        brain_output.disconnect()
        return

    period = float(ready["simulation_timestep"])
    dark = np.zeros((4, 4, 3), dtype=np.uint8)
    bright = np.full((4, 4, 3), 200, dtype=np.uint8)
    if mode.startswith("loop"):
        loop(mode, camera, motor, brain_input, brain_output, dark, bright, host, ports["api"])
        return

    def poll_until(predicate, seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            brain_output.receive()
            if predicate():
                return time.perf_counter()
            time.sleep(0.0005)
        return None

    def quiet(bursts):
        # Dark frames, until no motor data arrived for `bursts` burst periods.
        camera.set_frame(dark)
        brain_input.send()
        last = time.perf_counter()
        while time.perf_counter() - last < bursts * period:
            brain_output.receive()
            if brain_output._motor_data:
                last = time.perf_counter()
            time.sleep(0.0005)

    quiet(4)
    before = motor.get_speed()
    trials = int(os.environ.get("SDK_TRIALS", "20"))
    rng = random.Random(13)
    for trial in range(trials):
        quiet(3)
        # A random phase against the burst clock.
        time.sleep(rng.uniform(0, period))
        camera.set_frame(bright)
        t0 = time.perf_counter()
        brain_input.send()
        t1 = poll_until(lambda: bool(brain_output._motor_data), 2.0)
        out(event="trial", trial=trial, latency=None if t1 is None else t1 - t0,
            speed=motor.get_speed(), motor_data=brain_output._motor_data, before=before)
    brain_input.disconnect()
    brain_output.disconnect()


def loop(mode, camera, motor, brain_input, brain_output, dark, bright, host, api_port):
    """Runs until stdin closes; every SDK failure is reported and survived."""
    import threading

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    monitor = None
    if mode == "loop-monitor":
        from feagi.pns.health_monitor import FeagiHealthMonitor

        # Re-registers the agent when the server's session changes (a restarted server).
        monitor = FeagiHealthMonitor(
            feagi_api_host=host, feagi_api_port=api_port, fetch_timeout_ms=1000,
            cooldown_ms=1000, max_consecutive_failures=10, trigger_on_session_changed=True,
            trigger_on_genome_changed=False, trigger_on_genome_load_completed=False,
            trigger_on_back_online=True, trigger_on_brain_ready=False,
            trigger_on_transport_send_failed=False,
        )
    errors = {}

    def attempt(what, call):
        try:
            return call()
        except Exception as e:  # noqa: BLE001: reported, the loop goes on
            key = f"{what}: {type(e).__name__}"
            errors[key] = errors.get(key, 0) + 1
            if errors[key] == 1 or errors[key] % 100 == 0:
                out(event="error", t=time.time(), what=what, error=str(e)[:300], count=errors[key])
            return None

    last_motor = last_tick = last_send = 0.0
    phase_start = time.monotonic()
    while not stop.is_set():
        now = time.monotonic()
        if now - last_send >= 0.05:
            # A frame every 50 ms; in between, motor frames are taken as they
            # come (the SDK queues them: an agent that reads slower than the
            # bursts falls behind).
            last_send = now
            bright_phase = int((now - phase_start) / 0.3) % 2 == 0
            camera.set_frame(bright if bright_phase else dark)
            attempt("brain_input.send", brain_input.send)
        attempt("brain_output.receive", brain_output.receive)
        if brain_output._motor_data and time.time() - last_motor >= 0.2:
            last_motor = time.time()
            out(event="motor", t=last_motor, speed=motor.get_speed())
        if monitor is not None and now - last_tick >= 0.5:
            last_tick = now
            tick = monitor.tick(now_ms=int(now * 1000))
            for e in tick.events:
                out(event="health", t=time.time(), kind=str(e.kind))
            if tick.decision.is_attempt_now():
                t0 = time.time()
                ok = attempt("brain_output.reconnect",
                             lambda: brain_output.reconnect("feagi restarted") or True)
                if ok:
                    attempt("brain_input.disconnect", brain_input.disconnect)
                    ok = attempt("brain_input.connect", lambda: brain_input.connect() or True)
                if ok:
                    monitor.record_attempt_succeeded()
                    out(event="reconnected", t=time.time(), seconds=time.time() - t0,
                        reason=str(tick.decision.reason))
                else:
                    monitor.record_attempt_failed()
        time.sleep(0.001)
    attempt("brain_input.disconnect", brain_input.disconnect)
    attempt("brain_output.disconnect", brain_output.disconnect)


if __name__ == "__main__":
    main()

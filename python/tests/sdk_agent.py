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
    if mode == "round-trip":
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


if __name__ == "__main__":
    main()

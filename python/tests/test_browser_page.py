"""The brain page of `feagi-npu serve` (GET /) in a real browser.

Debian's Chromium and ChromeDriver (`chromium`, `chromium-driver`, installed
by scripts/test.sh), headless, driven by Selenium (pip, in the test
environment). Each test starts serve on free ports (FEAGI_NPU_BIN, set by
scripts/test.sh) and opens the page, as a user would:

* the page's decoder reads the golden frames of docs/SERVER.md and refuses
  broken ones;
* the page loads without console errors; its area table matches the genome
  (as `feagi-npu inspect --json` describes it); the stream is live;
* a click on a quiet voxel stimulates it and its cell lights up in the next
  frames; the rate plot moves; a screenshot goes to target/browser-page.png;
* a broken genome uploaded through the page shows the server's located error
  and the old brain keeps streaming; a good one replaces the area list;
* Pause / Resume pause and resume the server's bursts;
* a learning genome shows its plastic pairs and memory areas;
* with core_vision (about 200,000 neurons) fed full frames at 20 Hz, the
  time the page takes to decode and draw a frame (performance.now(), read
  from window.__feagiStats) is measured and printed.

Without chromium, chromedriver, selenium or the binary the tests are skipped,
except under CI (the CI variable is set), where they fail.
"""

import base64
import contextlib
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from serve_helpers import Server, missing, npu_binary, wait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "target"
# Debian's paths; FEAGI_CHROMIUM / FEAGI_CHROMEDRIVER point elsewhere.
CHROMIUM = os.environ.get("FEAGI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FEAGI_CHROMEDRIVER", "/usr/bin/chromedriver")
KINDS = {"CORE": "core", "IPU": "sensory", "OPU": "motor", "CUSTOM": "custom", "MEMORY": "memory"}


WHAT = "browser tests"


def _missing(reason):
    missing(reason, WHAT)


def _wait(what, predicate, seconds, server=None):
    """`serve_helpers.wait`, polling every 0.1 s; fails when `server` exits."""
    procs = {"serve": server} if server is not None else None
    return wait(what, predicate, seconds, procs, interval=0.1)


class Serve(Server):
    """`feagi-npu serve` on free ports at `hz`, stopped with SIGTERM (20 s to stop)."""

    def __init__(self, tmp_path, genome=None, hz=20):
        super().__init__(npu_binary(WHAT), tmp_path, genome=genome, hz=hz)

    def stop(self):
        return super().stop(20)


@contextlib.contextmanager
def serving(tmp_path, **options):
    """A `Serve` for the `with` block, stopped after it; it must exit with 0."""
    serve = Serve(tmp_path, **options)
    try:
        yield serve
    finally:
        code = serve.stop()
    assert code == 0, serve.err_path.read_text()


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        _missing(f"{CHROMIUM} or {CHROMEDRIVER} is missing (Debian packages chromium, chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1400,1100", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _console_errors(driver, allowed=()):
    """Browser log entries at SEVERE level, except those naming an allowed text."""
    entries = driver.get_log("browser")
    return [e for e in entries if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)], entries


def _stats(driver):
    return driver.execute_script("return window.__feagiStats")


def _open(driver, serve, min_frames=5):
    driver.get(f"{serve.rest}/")
    _wait("the page to show areas and frames", lambda: (_stats(driver) or {}).get("frames", 0) >= min_frames,
          30, serve.proc)


def _inspect(genome=None):
    args = [npu_binary(WHAT), "inspect"] + ([str(genome)] if genome else []) + ["--json"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def _table(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll('#area-table tbody tr')].map(tr => ({
            key: tr.dataset.key, cells: [...tr.cells].map(td => td.textContent)}));""")


def _quiet_cells(driver, seconds=2.0):
    """Voxel columns (area key, x, y) of non-memory areas that did not fire
    for `seconds`: their heat stayed 0 in every sample."""
    return driver.execute_async_script("""
        const [seconds, done] = arguments;
        const keys = window.__feagiPage.areaKeys();
        const geometry = {};
        fetch('/v1/cortical_area/cortical_area/geometry').then(r => r.json()).then(g => {
          const quiet = {};
          for (const k of keys) {
            const a = g[k];
            if (!a || a.cortical_type === 'memory') continue;
            const [w, h] = a.cortical_dimensions;
            quiet[k] = new Set();
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) quiet[k].add(`${x},${y}`);
            geometry[k] = a;
          }
          const t0 = performance.now();
          const timer = setInterval(() => {
            for (const k of Object.keys(quiet)) {
              for (const c of [...quiet[k]]) {
                const [x, y] = c.split(',').map(Number);
                if (window.__feagiPage.cell(k, x, y) !== 0) quiet[k].delete(c);
              }
            }
            if (performance.now() - t0 > seconds * 1000) {
              clearInterval(timer);
              const out = [];
              for (const k of Object.keys(quiet)) for (const c of quiet[k]) {
                const [x, y] = c.split(',').map(Number);
                out.push({key: k, x, y, kind: geometry[k].cortical_type, name: geometry[k].cortical_name});
              }
              done(out);
            }
          }, 20);
        });""", seconds)


def test_page_shows_the_live_brain_and_stimulates_a_clicked_voxel(tmp_path, browser):
    from selenium.webdriver.common.action_chains import ActionChains

    with serving(tmp_path, hz=20) as serve:
        _open(browser, serve)
        # The area table is the genome's, as inspect describes it.
        genome = _inspect()
        rows = _table(browser)
        expected = {a["cortical_id"]: a for a in genome["areas"]}
        assert len(rows) == len(expected), (rows, list(expected))
        for row in rows:
            internal, name, kind, dims, neurons, _firing = row["cells"]
            area = expected.get(internal)
            assert area is not None, f"the page lists {internal}, which the genome lacks"
            assert kind == KINDS[area["kind"]], (row, area)
            assert dims == " × ".join(str(d) for d in area["dimensions"]), (row, area)
            assert int(neurons.replace(",", "")) == area["neurons"], (row, area)
            if area["name"]:
                assert name == area["name"], (row, area)
        stats = _stats(browser)
        assert stats["wsState"] == "live" and stats["badFrames"] == 0, stats
        assert stats["areas"] == len(expected)

        # Click a voxel that stayed quiet: its cell lights up in the next frames.
        quiet = _quiet_cells(browser)
        assert quiet, "every voxel of the brain fired within 2 s; no quiet voxel to stimulate"
        quiet.sort(key=lambda c: (c["kind"] == "core", c["kind"] == "sensory", c["key"], c["y"], c["x"]))
        cell = quiet[0]
        watch = browser.execute_script("return window.__feagiPage.watch(arguments[0], arguments[1], arguments[2])",
                                       cell["key"], cell["x"], cell["y"])
        frames_before = _stats(browser)["frames"]
        canvas = browser.find_element("css selector", f'canvas[data-key="{cell["key"]}"]')
        centre = browser.execute_script("return window.__feagiPage.cellCenter(arguments[0], arguments[1], arguments[2])",
                                        cell["key"], cell["x"], cell["y"])
        rect = browser.execute_script("const r = arguments[0].getBoundingClientRect(); return {x: r.left, y: r.top, w: r.width, h: r.height}", canvas)
        ActionChains(browser).move_to_element_with_offset(
            canvas, int(centre["x"] - rect["x"] - rect["w"] / 2), int(centre["y"] - rect["y"] - rect["h"] / 2)).click().perform()
        hits = _wait("the stimulated cell to light up",
                     lambda: browser.execute_script("return window.__feagiPage.hits(arguments[0])", watch), 5)
        first = hits[0]
        assert first["frame"] <= frames_before + 10, (first, frames_before)
        r, g, b = first["rgb"]
        assert r > 150, f"the lit cell is painted {first['rgb']}, not bright"
        notice = browser.find_element("id", "notice").text
        assert "stimulated" in notice, notice
        print(f"clicked {cell['name']} ({cell['x']}, {cell['y']}): lit in frame {first['frame']} "
              f"({first['frame'] - frames_before} frames after the click), colour {first['rgb']}", file=sys.stderr)

        # The rate plot moves: new points every second, the picture changes.
        plot = browser.find_element("id", "rate-plot")
        before = (_stats(browser)["ratePoints"], browser.execute_script("return arguments[0].toDataURL()", plot))
        time.sleep(3.2)
        after = (_stats(browser)["ratePoints"], browser.execute_script("return arguments[0].toDataURL()", plot))
        assert after[0] >= before[0] + 2, (before[0], after[0])
        assert after[1] != before[1], "the rate plot did not change in 3 s"
        stats = _stats(browser)
        assert stats["achievedHz"] and 15 <= stats["achievedHz"] <= 25, stats["achievedHz"]
        assert stats["burstTimeMs"] is not None and stats["burstTimeMs"] >= 0

        # The burst rate control changes the server's timestep.
        field = browser.find_element("id", "rate-input")
        from selenium.webdriver.common.keys import Keys
        field.click()
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys("10")
        browser.find_element("css selector", "#rate-form button").click()
        try:
            _wait("the timestep to become 0.1 s",
                  lambda: abs(serve.get("/v1/burst_engine/simulation_timestep") - 0.1) < 1e-9, 5)
        except BaseException:
            print("notice:", browser.find_element("id", "notice").text, "errors:", _stats(browser)["errors"],
                  "field:", field.get_attribute("value"), file=sys.stderr)
            raise

        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "browser-page.png"))
        errors, entries = _console_errors(browser)
        assert not errors, f"console errors: {errors}"
        assert not _stats(browser)["errors"], _stats(browser)["errors"]


def _golden_frame():
    """The golden vector of docs/SERVER.md: three neurons of iv00_C,
    (1,2,0,1.0), (3,4,0,1.0), (5,6,1,0.5), in 124 bytes."""
    header = bytes([4, 0, 0, 1]) + bytes(48) + bytes.fromhex("44000000")
    area = bytes.fromhex("0b010100" "6973766949000000" "14000000" "30000000")
    columns = struct.pack("<3I", 1, 3, 5) + struct.pack("<3I", 2, 4, 6) + struct.pack("<3I", 0, 0, 1) \
        + struct.pack("<3f", 1.0, 1.0, 0.5)
    frame = header + area + columns
    assert len(frame) == 124
    return frame


def test_the_page_decoder_reads_the_golden_frames_and_refuses_bad_ones(tmp_path, browser):
    with serving(tmp_path, hz=20) as serve:
        browser.get(f"{serve.rest}/")
        golden = list(_golden_frame())
        empty = list(bytes([4, 0, 0, 1]) + bytes(48) + bytes.fromhex("04000000" "0b010000"))
        assert len(empty) == 60
        result = browser.execute_async_script("""
            const [golden, empty, done] = arguments;
            const buf = (bytes) => new Uint8Array(bytes).buffer;
            const plain = (f) => ({counter: f.counter, areas: f.areas.map(a => ({id: a.id, n: a.n,
                x: [...a.x], y: [...a.y], z: [...a.z], p: [...a.p]}))});
            import('/assets/fbc.js').then(({decodeFrame}) => {
                const out = {golden: plain(decodeFrame(buf(golden))), empty: plain(decodeFrame(buf(empty))), errors: []};
                // Unaligned columns decode the same (a copy instead of a view).
                const shifted = new Uint8Array(golden.length + 1);
                shifted.set(golden, 1);
                out.unaligned = plain(decodeFrame(shifted.buffer.slice(1)));
                const bad = {
                    truncated: golden.slice(0, 100),
                    version: [5, ...golden.slice(1)],
                    trailing: [...golden, 0],
                    short_header: golden.slice(0, 20),
                    area_past_end: golden.map((b, i) => i === 68 ? 0xff : b),
                };
                for (const [name, bytes] of Object.entries(bad)) {
                    try { decodeFrame(buf(bytes)); out.errors.push([name, null]); }
                    catch (e) { out.errors.push([name, e.message]); }
                }
                done(out);
            }).catch(e => done({failed: String(e)}));""", golden, empty)
        assert "failed" not in result, result
        area = {"id": "aXN2aUkAAAA=", "n": 3, "x": [1, 3, 5], "y": [2, 4, 6], "z": [0, 0, 1], "p": [1.0, 1.0, 0.5]}
        assert result["golden"] == {"counter": 0, "areas": [area]}, result["golden"]
        assert result["unaligned"] == result["golden"]
        assert result["empty"] == {"counter": 0, "areas": []}, result["empty"]
        for name, message in result["errors"]:
            assert message, f"{name}: decoded without an error"
        print("decoder errors:", result["errors"], file=sys.stderr)


def _default_genome():
    return json.loads((ROOT / "crates" / "feagi-genome" / "genomes" / "default_genome.json").read_text())


def _upload(driver, path):
    driver.find_element("id", "genome-file").send_keys(str(path))
    driver.find_element("id", "upload-button").click()


def test_genome_upload_from_the_page_broken_then_good(tmp_path, browser):
    with serving(tmp_path, hz=20) as serve:
        _open(browser, serve)
        rows_before = _table(browser)
        genome_num = serve.get("/v1/system/health_check")["genome_num"]

        # A broken genome: the server's located error shows, the brain goes on.
        broken = _default_genome()
        broken["blueprint"]["_____10c-c_feat-nx-fire_t-f"] = "hot"
        broken_path = tmp_path / "broken_genome.json"
        broken_path.write_text(json.dumps(broken))
        _upload(browser, broken_path)
        box = browser.find_element("id", "errors")
        _wait("the page to show the upload error",
              lambda: box.is_displayed() and "loading broken_genome.json failed" in box.text, 20)
        assert "400" in box.text and "c_feat" in box.text, f"not the located error: {box.text}"
        frames = _stats(browser)["frames"]
        time.sleep(1.5)
        assert _stats(browser)["frames"] >= frames + 10, "the stream stopped after the broken upload"
        assert serve.get("/v1/system/health_check")["genome_num"] == genome_num
        assert [r["cells"][:5] for r in _table(browser)] == [r["cells"][:5] for r in rows_before]
        print(f"upload error shown: {box.text}", file=sys.stderr)

        # A good genome (an area renamed): the page reloads its area list.
        good = _default_genome()
        good["blueprint"]["_____10c-c_feat-cx-__name-t"] = "renamed_feature_layer"
        good_path = tmp_path / "good_genome.json"
        good_path.write_text(json.dumps(good))
        _upload(browser, good_path)
        _wait("the page to list the new genome's areas",
              lambda: any(r["cells"][1] == "renamed_feature_layer" for r in _table(browser)), 30)
        assert serve.get("/v1/system/health_check")["genome_num"] > genome_num
        assert "loaded" in browser.find_element("id", "notice").text
        frames = _stats(browser)["frames"]
        _wait("frames of the new brain", lambda: _stats(browser)["frames"] >= frames + 10, 10)
        errors, _ = _console_errors(browser, allowed=("/v1/genome/upload",))
        assert not errors, f"console errors: {errors}"
        # Only the broken upload's error was shown.
        assert len(_stats(browser)["errors"]) == 1, _stats(browser)["errors"]


def test_pause_and_resume_from_the_page(tmp_path, browser):
    with serving(tmp_path, hz=20) as serve:
        _open(browser, serve)
        button = browser.find_element("id", "pause-button")
        assert button.text == "Pause"
        button.click()
        _wait("the server to pause", lambda: serve.get("/v1/burst_engine/status")["paused"], 5)
        _wait("the button to offer Resume", lambda: button.text == "Resume", 5)
        bursts = serve.get("/v1/burst_engine/status")["burst_count"]
        time.sleep(1.0)
        assert serve.get("/v1/burst_engine/status")["burst_count"] <= bursts + 1
        button.click()
        _wait("the server to resume", lambda: not serve.get("/v1/burst_engine/status")["paused"], 5)
        _wait("bursts again", lambda: serve.get("/v1/burst_engine/status")["burst_count"] >= bursts + 10, 5)
        assert button.text == "Pause"
        errors, _ = _console_errors(browser)
        assert not errors, f"console errors: {errors}"
        assert not _stats(browser)["errors"], _stats(browser)["errors"]


def test_learning_is_shown_for_a_learning_genome(tmp_path, browser, genome_path):
    genome = genome_path("community_gesture_recognition.json")
    described = _inspect(genome)
    with serving(tmp_path, genome=genome, hz=20) as serve:
        _open(browser, serve)
        _wait("two learning polls", lambda: _stats(browser)["learningPolls"] >= 2, 10)
        text = browser.find_element("id", "learning-state").text
        assert text.startswith("plasticity on"), text
        pairs = browser.find_elements("css selector", "#pairs .pair")
        memory = browser.find_elements("css selector", "#memory .mem")
        assert len(pairs) == len(described["stdp_pairs"]), (text, len(pairs))
        assert len(memory) == len(described["memory_areas"]), (text, len(memory))
        synapses = sum(p["synapses"] for p in described["stdp_pairs"])
        shown = sum(int(p.text.split(": ")[1].split(" synapses")[0]) for p in pairs)
        assert shown == synapses, [p.text for p in pairs]
        assert all(" alive, " in m.text and "long-term" in m.text for m in memory), [m.text for m in memory]
        # Activity upstream of the memory area: memory neurons are born and the
        # page counts them (the server's own count is the reference).
        import random
        import urllib.request
        rng = random.Random(1)
        upstream = described["memory_areas"][0]["upstream"]
        dims = {a["cortical_id"]: a["dimensions"] for a in described["areas"]}
        keys = {g["feagi_rust_id"]: key for key, g in serve.get("/v1/cortical_area/cortical_area/geometry").items()}
        for _ in range(30):
            payload = {}
            for area in upstream:
                w, h, d = dims[area]
                voxels = [[x, y, z] for x in range(w) for y in range(h) for z in range(d)]
                payload[keys[area]] = rng.sample(voxels, max(1, len(voxels) // 3))
            request = urllib.request.Request(f"{serve.rest}/v1/agent/manual_stimulation",
                                             data=json.dumps({"stimulation_payload": payload}).encode(),
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).read()
            time.sleep(0.05)
        report = serve.get("/v1/feagi_rust/plasticity")
        born = report["memory_areas"][0]["alive"]
        assert born > 0, report

        def page_alive():
            text = browser.find_element("css selector", "#memory .mem h3").text
            return int(text.split(": ")[1].split(" alive")[0])
        _wait("the page to count the memory neurons", lambda: page_alive() > 0, 10)
        print(f"memory neurons alive: server {born}, page {page_alive()}", file=sys.stderr)
        # The memory area's map counts its memory neurons instead of drawing voxels.
        memory_key = keys[described["memory_areas"][0]["cortical_id"]]
        _wait("the memory area's map to be a count",
              lambda: browser.find_elements("css selector", f'#maps .map.memory[data-key="{memory_key}"]'), 5)
        time.sleep(2)  # a few more columns of the weight histograms for the screenshot
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "browser-page-learning.png"))
        errors, _ = _console_errors(browser)
        assert not errors, f"console errors: {errors}"
        assert not _stats(browser)["errors"], _stats(browser)["errors"]


# ----- the page keeps up with a big brain ------------------------------------

def _ws_connect(url):
    """A minimal WebSocket client (RFC 6455) for binary messages: the test
    environment needs no WebSocket package."""
    assert url.startswith("ws://"), url
    host, port = url[5:].split("/")[0].rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        assert chunk, f"no WebSocket handshake answer: {answer!r}"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def _ws_send_binary(sock, payload):
    # Client frames must be masked; a zero mask leaves the payload as it is.
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x82, 0x80 | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x82, 0x80 | 126, n)
    else:
        header = struct.pack("!BBQ", 0x82, 0x80 | 127, n)
    sock.sendall(header + b"\0\0\0\0" + payload)


def _xyzp_container(wire_id, dims, potential):
    """A FeagiByteContainer v4 with one XYZP struct: every voxel of an area."""
    import numpy as np
    w, h, d = dims
    xs, ys, zs = np.meshgrid(np.arange(w, dtype="<u4"), np.arange(h, dtype="<u4"), np.arange(d, dtype="<u4"),
                             indexing="ij")
    n = w * h * d
    data = b"".join([xs.ravel().tobytes(), ys.ravel().tobytes(), zs.ravel().tobytes(),
                     np.full(n, potential, dtype="<f4").tobytes()])
    struct_bytes = bytes([11, 1]) + struct.pack("<H", 1) + wire_id + struct.pack("<II", 20, 16 * n) + data
    return bytes([4]) + struct.pack("<HB", 0, 1) + bytes(48) + struct.pack("<I", len(struct_bytes)) + struct_bytes


def test_the_page_keeps_up_with_a_200k_neuron_brain(tmp_path, browser, genome_path):
    genome = genome_path("core_vision_genome.json")
    serve = Serve(tmp_path, genome=genome, hz=20)
    stop = threading.Event()
    sender_error = []
    try:
        geometry = serve.get("/v1/cortical_area/cortical_area/geometry")
        total = sum(a["neuron_count"] for a in geometry.values())
        key, area = max(geometry.items(), key=lambda kv: kv[1]["neuron_count"] if kv[1]["cortical_type"] == "sensory" else 0)
        frame = _xyzp_container(base64.b64decode(key), area["cortical_dimensions"], 100.0)

        def feed():
            try:
                sock = _ws_connect(serve.ready["ws_sensory"])
                next_at = time.monotonic()
                while not stop.is_set():
                    _ws_send_binary(sock, frame)
                    next_at += 0.05
                    time.sleep(max(0.0, next_at - time.monotonic()))
                sock.close()
            except Exception as e:  # reported by the test
                sender_error.append(repr(e))

        sender = threading.Thread(target=feed, daemon=True)
        sender.start()
        _open(browser, serve, min_frames=3)
        # Settle, then measure over 10 s of the stream.
        time.sleep(3)
        s0 = _stats(browser)
        time.sleep(10)
        s1 = _stats(browser)
        assert not sender_error, sender_error
        frames = s1["frames"] - s0["frames"]
        assert frames >= 150, f"only {frames} frames reached the page in 10 s (20 Hz: 200)"
        window = list(zip(s1["frameMs"], s1["frameNeurons"]))[-frames:]
        # The input area's neurons may fire 3 bursts in a row, then rest one
        # (its consecutive-fire limit): the full frames are the ones measured.
        big = [ms for ms, n in window if n >= 150_000]
        assert len(big) >= frames // 2, f"too few full frames: {[n for _, n in window][:40]}"
        big_neurons = max(n for _, n in window)
        median = statistics.median(big)
        p95 = sorted(big)[int(0.95 * (len(big) - 1))]
        worst = max(big)
        all_median = statistics.median(ms for ms, _ in window)
        paint = s1["paintDelayMs"][-frames:]
        paint_median = statistics.median(paint)
        paint_p95 = sorted(paint)[int(0.95 * (len(paint) - 1))]
        lag = s1["lagMs"][-10:]
        long_tasks = s1["longTasks"] - s0["longTasks"]
        report = (f"core_vision ({total:,} neurons; {area['cortical_name']} {area['cortical_dimensions']} fed every burst), "
                  f"20 Hz: {frames} frames in 10 s, {len(big)} of them full ({big_neurons:,} neurons, "
                  f"{16 * big_neurons + 80:,} bytes); page frame handling (decode + draw) of the full frames: "
                  f"median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms (all frames: median {all_median:.1f} ms); "
                  f"message to next animation frame: median {paint_median:.1f} ms, p95 {paint_p95:.1f} ms; "
                  f"main-thread lag of a 100 ms timer: worst {max(lag):.1f} ms; long tasks (> 50 ms): {long_tasks}; "
                  f"achieved burst rate {s1['achievedHz']:.1f} Hz, burst time {s1['burstTimeMs']:.1f} ms")
        print(report, file=sys.stderr)
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "browser-page-perf.txt").write_text(report + "\n")
        browser.save_screenshot(str(ARTIFACTS / "browser-page-big.png"))
        # Keeping up: a frame is handled well within the 50 ms between frames.
        assert p95 < 25, report
        assert paint_p95 < 50 and max(lag) < 100, report
        errors, _ = _console_errors(browser)
        assert not errors, f"console errors: {errors}"
    finally:
        stop.set()
        code = serve.stop()
    assert code == 0, serve.err_path.read_text()

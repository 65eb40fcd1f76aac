"""Real FEAGI genomes (from $FEAGI_GENOMES): loading, totals, errors with
locators, and 1 000 bursts of the vision genome fed with full numpy frames."""

import json
import time

import numpy as np
import pytest

import feagi_rust

# SPEC section 3.5: areas, neurons, synapses (seed 0).
TOTALS = {
    "core_essential_genome.json": (26, 55_359, 1_552),
    "core_vision_genome.json": (26, 204_863, 2_064),
    "py_essential_genome.json": (25, 13_847, 400),
    "core_barebones_genome.json": (3, 3, 0),
    "py_barebones_genome.json": (3, 3, 0),
    "core_test_genome.json": (4, 12_291, 0),
    "py_motor_babble_genome.json": (15, 3_023, 6_277),
    "community_gesture_recognition.json": (39, 8_354, 14_758),
    "community_learning_v1_1b.json": (67, 47_315, 33_946),
    "community_mujoco_essential_2.json": (31, 18_665, 400),
    "community_taffy_bot.json": (30, 69_050, 1_552),
    "community_webots_salamander.json": (7, 283, 40),
}


@pytest.mark.parametrize("name", sorted(TOTALS))
def test_genome_totals(genome_path, name):
    npu = feagi_rust.RustNPU.from_genome(str(genome_path(name)))
    areas = npu.get_cortical_areas()
    assert (len(areas), npu.neuron_count(), npu.synapse_count()) == TOTALS[name]
    assert npu.area_count() == len(areas)
    assert [a["cortical_id"] for a in areas[:3]] == ["___death", "___power", "___fatig"]
    assert sum(a["neuron_count"] for a in areas) == npu.neuron_count()
    assert all(len(a["cortical_id"]) == 8 for a in areas)


def test_load_forms_agree(genome_path):
    path = genome_path("py_essential_genome.json")
    text = path.read_text()
    loaded = [
        feagi_rust.RustNPU.from_genome(path),
        feagi_rust.RustNPU.from_genome(str(path)),
        feagi_rust.RustNPU.from_genome(text),
        feagi_rust.RustNPU.from_genome(json.loads(text)),
        feagi_rust.RustNPU.from_genome(text.encode()),
    ]
    exports = [n.export_connectome() for n in loaded]
    for ex in exports[1:]:
        for key in ("source", "target", "weight", "psp", "type"):
            assert np.array_equal(ex["synapses"][key], exports[0]["synapses"][key])
        assert ex["areas"] == exports[0]["areas"]


def test_rust_essential_area_indices(genome_path):
    """SPEC 2.1 and item 9: indices by sorted id, iic400__ is index 19 from id 3 087."""
    npu = feagi_rust.RustNPU.from_genome(genome_path("core_essential_genome.json"))
    areas = {a["cortical_id"]: a for a in npu.get_cortical_areas()}
    assert areas["cIHMot__"]["index"] == 3 and areas["cJWM3___"]["index"] == 4
    assert areas["c__bac__"]["index"] == 11 and areas["c__for__"]["index"] == 12
    assert areas["iic400__"]["index"] == 19 and areas["iic400__"]["first_neuron"] == 3087
    assert areas["omot00__"]["index"] == 25 and areas["omot00__"]["kind"] == "OPU"
    assert areas["iic400__"]["dimensions"] == (128, 128, 3)
    assert npu.get_neuron_ids("iic400").tolist() == list(range(3087, 3087 + 49152))
    assert npu.genome_warnings(), "the essential genome has f16 precision and clamped leaks"
    kinds = {w["kind"] for w in npu.genome_warnings()}
    assert "UnsupportedPrecision" in kinds


def test_seed_changes_nothing_at_attractivity_100(genome_path):
    path = genome_path("core_essential_genome.json")
    a = feagi_rust.RustNPU.from_genome(path, seed=0).export_connectome()["synapses"]
    b = feagi_rust.RustNPU.from_genome(path, seed=987654321).export_connectome()["synapses"]
    for key in a:
        assert np.array_equal(a[key], b[key])


def test_brightness_genome_error_locators(genome_path):
    path = genome_path("py_brightness_change_detection.json")
    with pytest.raises(feagi_rust.GenomeError) as info:
        feagi_rust.RustNPU.from_genome(path)
    e = info.value
    assert isinstance(e, ValueError)
    assert e.kind == "InvalidMorphology"
    assert e.morphology_id == "steering_to_forward" and e.pattern_index == 7
    assert e.file == str(path)
    assert e.line is None and e.column is None and e.rule_index is None
    assert "\n" not in str(e) and "steering_to_forward" in str(e)
    assert e.message in str(e)


@pytest.mark.parametrize(
    "genome, kind, attrs",
    [
        ('{"version": "2.0",\n "blueprint": }', "InvalidJson", {"line": 2, "column": 15}),
        (
            {
                "version": "2.0",
                "blueprint": {
                    "_____10c-cA____-cx-___bbx-i": -2,
                    "_____10c-cA____-cx-___bby-i": 1,
                    "_____10c-cA____-cx-___bbz-i": 1,
                },
            },
            "InvalidDimension",
            {"gene_key": "_____10c-cA____-cx-___bbx-i"},
        ),
        (
            {
                "version": "2.0",
                "blueprint": {
                    "_____10c-cA____-cx-dstmap-d": {"cB____": [["no_such_morphology", [1, 1, 1], 1, False]]},
                    "_____10c-cB____-cx-___bbx-i": 1,
                },
            },
            "UnknownMorphology",
            {"morphology_id": "no_such_morphology", "destination_id": "cB____", "rule_index": 0},
        ),
        (
            {
                "version": "2.0",
                "blueprint": {"_____10c-cA____-cx-dstmap-d": {"cZ____": [["projector", [1, 1, 1], 1, False]]}},
            },
            "MissingDestinationArea",
            {"destination_id": "cZ____"},
        ),
        ("/no/such/genome.json", "Io", {"file": "/no/such/genome.json"}),
    ],
)
def test_genome_errors(genome, kind, attrs):
    with pytest.raises(feagi_rust.GenomeError) as info:
        feagi_rust.RustNPU.from_genome(genome)
    e = info.value
    assert e.kind == kind, str(e)
    for name, value in attrs.items():
        assert getattr(e, name) == value, (name, str(e))
    for name in ("file", "gene_key", "cortical_id", "destination_id", "rule_index",
                 "morphology_id", "pattern_index", "line", "column", "message"):
        assert hasattr(e, name)


@pytest.mark.parametrize(
    "genome, exc",
    [
        (42, TypeError),
        ([1, 2], TypeError),
        ({"version": float("nan")}, ValueError),
        ({"version": "2.0", "blueprint": {}, "bad": object()}, TypeError),
    ],
)
def test_from_genome_rejects_other_inputs(genome, exc):
    with pytest.raises(exc):
        feagi_rust.RustNPU.from_genome(genome)


def test_from_genome_rejects_bad_config():
    genome = feagi_rust.default_genome_json()
    for kwargs, exc in [
        (dict(seed=-1), ValueError),
        (dict(seed=2**64), ValueError),
        (dict(seed=True), TypeError),
        (dict(power_amount=float("inf")), ValueError),
        (dict(fire_ledger_window=0), ValueError),
        (dict(fire_ledger_window=10**9), ValueError),
    ]:
        with pytest.raises(exc):
            feagi_rust.RustNPU.from_genome(genome, **kwargs)
    npu = feagi_rust.RustNPU.from_genome(genome, seed=7, power_amount=2.5, fire_ledger_window=5, fatigue_active=True)
    assert npu.get_config() == {"seed": 7, "power_amount": 2.5, "fire_ledger_window": 5, "fatigue_active": True,
                                "plasticity": True}
    assert npu.get_fire_ledger_window_size("___power") == 5
    off = feagi_rust.RustNPU.from_genome(genome, plasticity=False)
    assert off.get_config()["plasticity"] is False and off.export_connectome()["plasticity"]["enabled"] is False


def reference_ipu_step(v, count, p, threshold, cap):
    """SPEC 4.4 for an area with accumulation on, no leak, refractory 0, snooze 0,
    excitability 1 and consecutive cap `cap`, given staged input p (0 = not a
    candidate). Returns the fired mask; updates v and count in place."""
    cand = p != 0
    v[cand] += p[cand]
    over = cand & (v >= threshold)
    blocked = over & (count >= cap)
    fire = over & ~blocked
    count[blocked] = 0
    v[fire] = 0
    count[fire] += 1
    count[cand & ~over] = 0
    return fire


def test_vision_genome_1000_bursts_of_full_frames(genome_path):
    npu = feagi_rust.RustNPU.from_genome(genome_path("core_vision_genome.json"))
    frame_areas = [a for a in npu.get_cortical_areas() if a["kind"] == "IPU" and a["dimensions"] == (256, 256, 3)]
    assert len(frame_areas) == 1
    area = frame_areas[0]
    cid, first, count_n = area["cortical_id"], area["first_neuron"], area["neuron_count"]
    assert count_n == 256 * 256 * 3
    props = area["properties"]
    threshold = np.float32(props["firing_threshold"])
    cap = props["consecutive_fire_cnt_max"]
    assert props["mp_charge_accumulation"] and props["leak_coefficient"] == 0
    assert props["refractory_period"] == 0 and props["snooze_length"] == 0 and cap > 0

    xs, ys, zs = (a.astype(np.uint32).ravel() for a in np.indices((256, 256, 3)))
    rng = np.random.default_rng(0)
    # Frames: a bright bar moving along x over dim noise; some pixels exactly 0.
    noise = (rng.integers(0, 4, size=(256, 256, 3)) * np.float32(0.04)).astype(np.float32)
    v = np.zeros(count_n, np.float32)
    cnt = np.zeros(count_n, np.int64)
    started = time.perf_counter()
    total_fired = 0
    for t in range(1, 1001):
        frame = noise.copy()
        frame[(t * 3) % 256 : (t * 3) % 256 + 8, :, :] = 1.0
        potentials = frame.ravel()
        staged = npu.inject_sensory(cid, xs, ys, zs, potentials)
        assert staged == int(np.count_nonzero(potentials))
        result = npu.process_burst()
        assert result.burst == t
        assert result.neurons_processed >= staged
        expected = reference_ipu_step(v, cnt, potentials, threshold, cap)
        fired = result.fired_neurons
        in_area = fired[(fired >= first) & (fired < first + count_n)] - first
        assert np.array_equal(in_area, np.flatnonzero(expected)), f"burst {t}"
        total_fired += len(in_area)
        if t % 250 == 0:
            ids, qx, qy, qz, qp = npu.get_current_fire_queue()[cid]
            assert np.array_equal(ids - first, in_area)
            assert np.array_equal(qx, xs[in_area]) and np.array_equal(qy, ys[in_area])
            assert np.array_equal(qz, zs[in_area])
            assert np.array_equal(npu.get_membrane_potentials(cid), v)
    elapsed = time.perf_counter() - started
    assert total_fired > 1000 * 256 * 3 * 8 // 2  # the bar fires most bursts
    print(f"vision genome: 1000 bursts with full frames in {elapsed:.1f} s")

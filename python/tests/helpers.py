"""Helpers shared by the tests: hand-built networks and the SPEC 1.11 genome."""

import feagi_rust

CORE_AREAS = ("___death", "___power", "___fatig")


def core_npu(**kwargs):
    """A hand-built NPU holding the three core areas, one neuron each (ids 0, 1, 2)."""
    npu = feagi_rust.RustNPU(**kwargs)
    for cortical_id in CORE_AREAS:
        area = npu.register_area(cortical_id)
        npu.add_neuron(area)
    return npu


def fired(result, neuron_id):
    return bool((result.fired_neurons == neuron_id).any())


def pattern(bits):
    """'1_1_' from a list of booleans."""
    return "".join("1" if b else "_" for b in bits)


# The example genome of SPEC section 1.11, written out as the spec gives it.
SPEC_EXAMPLE_GENOME = {
    "genome_id": "spec_example",
    "genome_title": "spec example",
    "version": "2.0",
    "physiology": {"simulation_timestep": 0.05, "quantization_precision": "fp32"},
    "neuron_morphologies": {
        "projector": {"type": "functions", "parameters": {}, "class": "core"},
        "lateral_+x": {"type": "vectors", "parameters": {"vectors": [[1, 0, 0]]}, "class": "core"},
        "all_to_0-0-0": {
            "type": "patterns",
            "parameters": {"patterns": [[["*", "*", "*"], [0, 0, 0]]]},
            "class": "core",
        },
    },
    "blueprint": {
        "_____10c-_power-cx-__name-t": "Brain_Power",
        "_____10c-_power-cx-_group-t": "CORE",
        "_____10c-_power-cx-___bbx-i": 1,
        "_____10c-_power-cx-___bby-i": 1,
        "_____10c-_power-cx-___bbz-i": 1,
        "_____10c-_power-nx-fire_t-f": 0.1,
        "_____10c-_power-nx-pstcr_-f": 5,
        "_____10c-_power-cx-dstmap-d": {"cInput": [["projector", [1, 1, 1], 1, False, 1, 1, 1, 1]]},
        "_____10c-cInput-cx-__name-t": "input",
        "_____10c-cInput-cx-_group-t": "CUSTOM",
        "_____10c-cInput-cx-___bbx-i": 4,
        "_____10c-cInput-cx-___bby-i": 1,
        "_____10c-cInput-cx-___bbz-i": 1,
        "_____10c-cInput-cx-_n_cnt-i": 1,
        "_____10c-cInput-nx-fire_t-f": 1.0,
        "_____10c-cInput-nx-refrac-i": 1,
        "_____10c-cInput-nx-leak_c-f": 0.25,
        "_____10c-cInput-nx-mp_acc-b": True,
        "_____10c-cInput-nx-pstcr_-f": 2,
        "_____10c-cInput-cx-pspuni-b": True,
        "_____10c-cInput-cx-dstmap-d": {
            "cInput": [["lateral_+x", [1, 1, 1], 1, False, 1, 1, 1]],
            "cOutpt": [["all_to_0-0-0", [1, 1, 1], -1, False]],
        },
        "_____10c-cOutpt-cx-__name-t": "output",
        "_____10c-cOutpt-cx-_group-t": "CUSTOM",
        "_____10c-cOutpt-cx-___bbx-i": 1,
        "_____10c-cOutpt-cx-___bby-i": 1,
        "_____10c-cOutpt-cx-___bbz-i": 1,
        "_____10c-cOutpt-nx-fire_t-f": 3.0,
        "_____10c-cOutpt-nx-c_fr_c-i": 3,
        "_____10c-cOutpt-nx-snooze-i": 2,
        "_____10c-cOutpt-nx-excite-f": 100,
        "_____10c-cOutpt-cx-dstmap-d": {},
    },
}

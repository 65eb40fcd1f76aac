"""Packaging: type stubs and py.typed ship with the module and describe
exactly the runtime API; the moving-bar example runs."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import feagi_rust

REPO = Path(__file__).resolve().parents[2]


def stub_tree():
    package = Path(feagi_rust.__file__).parent
    stub = package / "__init__.pyi"
    assert stub.is_file(), "the wheel must ship the type stub"
    assert (package / "py.typed").is_file(), "the wheel must ship py.typed"
    return ast.parse(stub.read_text())


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_matches_runtime():
    tree = stub_tree()
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    # `feagi_rust.feagi_rust` is the compiled module the package re-exports.
    assert public(dir(feagi_rust)) - {"feagi_rust"} == public(set(classes) | functions)
    for name in ("RustNPU", "BurstResult", "SpikeRecord"):
        stub_members = {
            node.name for node in classes[name].body if isinstance(node, ast.FunctionDef)
        }
        runtime_members = public(dir(getattr(feagi_rust, name)))
        assert public(stub_members) == runtime_members, name
    assert issubclass(feagi_rust.GenomeError, ValueError)


def test_docstrings_everywhere():
    assert feagi_rust.__doc__ and "RustNPU" in feagi_rust.__doc__
    for cls in (feagi_rust.RustNPU, feagi_rust.BurstResult, feagi_rust.SpikeRecord, feagi_rust.GenomeError):
        assert cls.__doc__, cls
    for name in public(dir(feagi_rust.RustNPU)):
        assert getattr(feagi_rust.RustNPU, name).__doc__, name
    assert re.match(r"\d+\.\d+\.\d+", feagi_rust.__version__)


def run_example(*args):
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "moving_bar.py"), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def area_row(stdout, cortical_id):
    for line in stdout.splitlines():
        if line.startswith(cortical_id):
            parts = line.split()
            return int(parts[-4]), int(parts[-3]), int(parts[-1])  # neurons, fired, active bursts
    raise AssertionError(f"{cortical_id} missing from\n{stdout}")


def test_moving_bar_example_default_genome():
    stdout = run_example()
    assert "1000 bursts in" in stdout
    header = stdout.splitlines()[1]
    input_area = re.search(r"into (\S+)", header).group(1)
    neurons, fired, active = area_row(stdout, input_area)
    assert fired > 0 and active > 0
    assert area_row(stdout, "___power")[1:] == (1000, 1000)


def test_moving_bar_example_with_a_genome_file(genome_path):
    stdout = run_example(str(genome_path("core_essential_genome.json")), "--bursts", "256")
    assert "streaming a moving bar into iic400__" in stdout
    # The bar is one column of 128 x 3 voxels; threshold 0.1 -> each fires once per burst.
    assert area_row(stdout, "iic400__") == (49152, 256 * 384, 256)


def test_moving_bar_example_errors():
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "moving_bar.py"), "/no/such/genome.json"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 1 and "cannot load the genome" in out.stderr


def test_every_public_method_is_exercised_by_the_tests():
    sources = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    for cls in (feagi_rust.RustNPU, feagi_rust.BurstResult, feagi_rust.SpikeRecord):
        for name in public(dir(cls)):
            assert re.search(rf"\.{name}\b", sources), f"{cls.__name__}.{name} is never called"

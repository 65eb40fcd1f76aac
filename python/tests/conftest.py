"""Shared fixtures of the feagi_rust Python tests.

Real-genome tests read the genome corpus from the folder named by the
FEAGI_GENOMES environment variable. When it is unset or missing they are
skipped with the reason, except under CI (the CI variable is set), where a
missing corpus is a failure: CI must run them.
"""

import os
from pathlib import Path

import pytest


def _genomes_dir():
    value = os.environ.get("FEAGI_GENOMES")
    if value and Path(value).is_dir():
        return Path(value), None
    if value:
        return None, f"FEAGI_GENOMES={value!r} is not a directory"
    return None, "FEAGI_GENOMES is not set"


@pytest.fixture(scope="session")
def genomes_dir():
    path, reason = _genomes_dir()
    if path is None:
        if "CI" in os.environ:
            pytest.fail(f"{reason}; CI is set, so the real-genome tests must run")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def genome_path(genomes_dir):
    """genome_path(name) -> the path of a genome of the corpus (must exist)."""

    def get(name):
        path = genomes_dir / name
        assert path.is_file(), f"{name} is missing from {genomes_dir}"
        return path

    return get

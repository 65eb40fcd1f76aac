#!/usr/bin/env bash
# Runs every test of the project, Rust and Python, on a fresh machine that has
# only the Rust toolchain and Python 3 with pip. Real-genome tests read
# FEAGI_GENOMES (default: ../shared/genomes beside the checkout, when present).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FEAGI_GENOMES:-}" ] && [ -d ../shared/genomes ]; then
  FEAGI_GENOMES=../shared/genomes
fi
# Tests run with the crate folder as working directory: make the path absolute.
if [ -n "${FEAGI_GENOMES:-}" ] && [ -d "$FEAGI_GENOMES" ]; then
  FEAGI_GENOMES="$(cd "$FEAGI_GENOMES" && pwd)"
fi
export FEAGI_GENOMES="${FEAGI_GENOMES:-}"

# Open MPI and libclang for crates/feagi-distributed (installed when missing).
scripts/install-mpi.sh

# With feagi-cli's `mpi` feature, so that feagi-npu's `run --distributed` and
# its mpirun tests (crates/feagi-cli/tests/mpi.rs: 2, 3 and 4 ranks against one
# process) build and run in the same pass as everything else.
echo "== Rust tests (profile: test, optimised; FEAGI_GENOMES=${FEAGI_GENOMES:-unset})"
cargo test --workspace --locked --features feagi-cli/mpi

# ----- System packages of the browser test -----------------------------------
# python/tests/test_browser_page.py drives Debian's Chromium through its
# ChromeDriver (headless). Installed through apt when missing (root, or sudo
# without a password); where neither works the test says what is missing (and
# fails under CI).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "== installing chromium and chromium-driver (apt-get) for the browser test"
  apt_get() {
    if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get "$@";
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo DEBIAN_FRONTEND=noninteractive apt-get "$@";
    else echo "cannot run apt-get (not root, no sudo): install chromium and chromium-driver" >&2; return 1; fi
  }
  apt_get update -qq && apt_get install -y -qq chromium chromium-driver ||
    echo "warning: chromium and chromium-driver could not be installed" >&2
fi

# ----- Python bindings (crates/feagi-python, module feagi_rust) ---------------
# A virtual environment at .venv (created when missing) gets maturin, numpy,
# pytest, xxhash (the reference NPU's pattern hash), Brain Visualizer 2.9.0
# (feagi-bv-linux) and FEAGI's Python SDK (feagi-core 2.6.10, which brings
# feagi-rust-py-libs), the real clients of `feagi-npu serve`'s tests, selenium (it drives
# Chromium in the brain page's test) and websockets (the clients of the serve load test);
# `maturin develop --release` builds the extension into it (release
# profile, in the workspace target/ unless CARGO_TARGET_DIR says otherwise, so
# the 1,000-burst tests run optimised code); pytest then runs python/tests.
# PYTHON selects the interpreter that creates the environment (default python3).
echo "== Python tests: environment .venv"
python_started=$SECONDS
venv_dir="$PWD/.venv"
if [ ! -x "$venv_dir/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv_dir"
fi
venv_python="$venv_dir/bin/python"
"$venv_python" -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4,<2" numpy pytest xxhash \
  "feagi-bv-linux==2.9.0" "feagi-core==2.6.10" "selenium>=4.20,<5" "websockets>=13"

echo "== Python tests: build and install feagi_rust (maturin develop --release)"
# maturin installs into the active environment: make .venv the active one.
env -u CONDA_PREFIX VIRTUAL_ENV="$venv_dir" PATH="$venv_dir/bin:$PATH" \
  "$venv_dir/bin/maturin" develop --release --locked --quiet -m crates/feagi-python/Cargo.toml
build_seconds=$((SECONDS - python_started))

# The Brain Visualizer and browser-page tests run the feagi-npu binary `cargo test` built above.
target_dir="$(cargo metadata --format-version 1 --no-deps --locked | "$venv_python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export FEAGI_NPU_BIN="$target_dir/debug/feagi-npu"

echo "== Python tests: pytest python/tests (FEAGI_GENOMES=${FEAGI_GENOMES:-unset}, FEAGI_NPU_BIN=$FEAGI_NPU_BIN)"
"$venv_python" -m pytest -q -p no:cacheprovider python/tests
echo "== Python part took $((SECONDS - python_started)) s (environment and build ${build_seconds} s)"

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

echo "== Rust tests (profile: test, optimised; FEAGI_GENOMES=${FEAGI_GENOMES:-unset})"
cargo test --workspace --locked

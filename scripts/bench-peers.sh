#!/usr/bin/env bash
# The peer race of docs/PERFORMANCE.md: feagi-rust against FEAGI's own burst
# engine (feagi-npu-burst-engine from crates.io, pinned in
# scripts/peers/feagi-harness/Cargo.toml) and Brian2 (C++ standalone, one
# thread, pinned below), on the synthetic networks of `feagi-npu bench
# synthetic`, run alternately (ours, FEAGI, Brian2, then again), two runs each.
# Not part of the workspace or of CI. Needs network access the first time
# (crates.io, PyPI), a C++ compiler, about 5 to 10 minutes and up to ~5 GiB.
#
# Usage: scripts/bench-peers.sh [OUT_DIR]     (default target/peers/results)
# Writes one JSON report per run into OUT_DIR and prints the table
# (OUT_DIR/table.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out="${1:-target/peers/results}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
genomes="${FEAGI_GENOMES:-../shared/genomes}"
BRIAN2_VERSION=2.9.0
NUMPY_FOR_BRIAN2=2.3.5 # Brian2 2.9.0 does not run on numpy 2.4

echo "== building feagi-npu (release)" >&2
cargo build --release -p feagi-cli --locked >&2
ours=$root/target/release/feagi-npu

echo "== building the FEAGI harness (feagi-npu-burst-engine, pinned)" >&2
(cd scripts/peers/feagi-harness &&
  CARGO_TARGET_DIR="$root/target/peers" cargo build --release --locked >&2)
feagi=$root/target/peers/release/feagi-peer-harness

echo "== Brian2 $BRIAN2_VERSION in target/peers/brian2-venv" >&2
venv=$root/target/peers/brian2-venv
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "brian2==$BRIAN2_VERSION" "numpy==$NUMPY_FOR_BRIAN2" >&2
brian2() { "$venv/bin/python" "$root/scripts/peers/brian2_lif.py" "$@"; }

# name neurons fanout firing bursts warmup
workloads=(
  "100k-k100-f1 100000 100 0.01 500 50"
  "100k-k100-f10 100000 100 0.10 300 30"
  "1m-k10-f1 1000000 10 0.01 300 30"
  "1m-k100-f1 1000000 100 0.01 100 10"
)
# PEER_WORKLOADS="name n k f bursts warmup;..." replaces the list (a quick check).
if [ -n "${PEER_WORKLOADS:-}" ]; then
  IFS=';' read -ra workloads <<<"$PEER_WORKLOADS"
fi

for w in "${workloads[@]}"; do
  read -r name n k f bursts warmup <<<"$w"
  net=(--neurons "$n" --fanout "$k" --firing "$f")
  for run in 1 2; do
    echo "== $name run $run: feagi-rust" >&2
    "$ours" bench synthetic "${net[@]}" --bursts "$bursts" --warmup "$warmup" \
      --no-ideal --json >"$out/$name.ours.$run.json"
    echo "== $name run $run: FEAGI" >&2
    "$feagi" "${net[@]}" --bursts "$bursts" --warmup "$warmup" >"$out/$name.feagi.$run.json"
    echo "== $name run $run: Brian2" >&2
    brian2 "${net[@]}" --bursts "$bursts" --warmup "$warmup" \
      --dir "$root/target/peers/brian2-$name" >"$out/$name.brian2.$run.json"
  done
done

if [ -z "${PEER_WORKLOADS:-}" ] && [ -f "$genomes/core_vision_genome.json" ]; then
  for run in 1 2; do
    echo "== core_vision, 10 % random input, run $run: feagi-rust only" >&2
    "$ours" bench genome "$genomes/core_vision_genome.json" --pattern random:0.1 \
      --bursts 1000 --warmup 100 --json >"$out/vision-random.ours.$run.json"
  done
fi

{
  echo "feagi-rust $(git rev-parse --short HEAD), $(date -u +%Y-%m-%d), $(nproc) cores"
  python3 "$root/scripts/peers/table.py" "$out"
} | tee "$out/table.md"

#!/usr/bin/env bash
# Reproduces every figure of docs/PERFORMANCE.md's target table and scaling
# series (release build; about 10 minutes and up to ~5 GiB of memory).
# Usage: scripts/bench-all.sh [OUT_DIR]   (JSON reports land in OUT_DIR, default target/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/bench}"
mkdir -p "$out"
genomes="${FEAGI_GENOMES:-../shared/genomes}"
cargo build --release -p feagi-cli --locked
npu=target/release/feagi-npu

bench() { # name, args...
  local name=$1; shift
  echo "== $name: feagi-npu bench $*" >&2
  "$npu" bench "$@" --json > "$out/$name.json"
}

bench synth-1m-k100-f1 synthetic --neurons 1000000 --fanout 100 --firing 0.01
bench synth-1m-k100-f3 synthetic --neurons 1000000 --fanout 100 --firing 0.03
bench synth-100k-k100-f1 synthetic --neurons 100000 --fanout 100 --firing 0.01
bench synth-100k-k100-f10 synthetic --neurons 100000 --fanout 100 --firing 0.10
bench synth-10k-k100-f1 synthetic --neurons 10000 --fanout 100 --firing 0.01
bench synth-10m-k10-f1 synthetic --neurons 10000000 --fanout 10 --firing 0.01 --warmup 20
bench synth-1m-k100-f1-local synthetic --neurons 1000000 --fanout 100 --firing 0.01 --targets local
bench synth-1m-k100-f1-sequential synthetic --neurons 1000000 --fanout 100 --firing 0.01 --sequential
bench vision-frame genome "$genomes/core_vision_genome.json" --pattern frame
bench vision-random genome "$genomes/core_vision_genome.json" --pattern random:0.1

echo "== gen-genome 1.2M x 100, then load + develop (validate) and a paced run" >&2
"$npu" gen-genome --neurons 1200000 --fanout 100 --targets random -o "$out/gen-1.2m.json"
/usr/bin/env time -f '%e s wall, %M KiB peak' "$npu" validate "$out/gen-1.2m.json" 2> "$out/gen-1.2m-validate.txt" || true
"$npu" run "$out/gen-1.2m.json" --bursts 300 --hz 30 --pattern random:i_gen0:0.01 --json > "$out/gen-1.2m-run30.json"
echo "reports in $out" >&2

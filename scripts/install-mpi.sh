#!/usr/bin/env bash
# Installs, when missing, what the MPI part of the project needs
# (crates/feagi-distributed, `feagi-npu run --distributed`, tests/mpi.rs):
# Open MPI's headers and libraries (libopenmpi-dev), mpirun (openmpi-bin) and
# libclang for rsmpi's bindgen (libclang-dev, clang). Debian/Ubuntu packages
# through apt-get, as root or with sudo; does nothing when they are there.
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libclang-dev clang)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ] && command -v mpirun >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-mpi.sh: missing ${missing[*]:-mpirun} and no apt-get: install Open MPI (headers, mpirun) and libclang by hand" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
echo "== installing ${missing[*]:-openmpi-bin} (apt-get)"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]:-openmpi-bin}" >/dev/null

#!/usr/bin/env bash
# Makes OpenMPI 4 (mpirun and libmpi.so.40) present for the data-parallel tests (docs/distributed.md) on a Debian machine:
# Debian's openmpi-bin and libopenmpi-dev (4.1.4 on bookworm). The project binds libmpi.so.40 itself (P/Invoke), so only
# the runtime matters; libopenmpi-dev provides the unversioned library link and mpicc for anyone checking the ABI.
# Idempotent: exits at once when mpirun and libmpi.so.40 are already there.
# Prints the path of the mpirun to use on its last line.
set -euo pipefail

has_library() { ldconfig -p 2>/dev/null | grep -q 'libmpi\.so\.40 ' || [ -e /usr/lib/x86_64-linux-gnu/libmpi.so.40 ] || [ -e /usr/lib/aarch64-linux-gnu/libmpi.so.40 ]; }

if found="$(command -v mpirun 2>/dev/null)" && "$found" --version 2>/dev/null | grep -q 'Open MPI' && has_library; then
  echo "$found"; exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-openmpi: error: no apt-get here; install OpenMPI 4 (mpirun, libmpi.so.40) and put mpirun on PATH" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if ! apt-cache show openmpi-bin >/dev/null 2>&1; then $sudo apt-get update -qq >&2; fi
if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openmpi-bin libopenmpi-dev >&2; then
  # A stale package list (versions gone from the mirror) fails the install: refresh once and retry.
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openmpi-bin libopenmpi-dev >&2
fi
found="$(command -v mpirun)"
if ! has_library; then echo "install-openmpi: error: libmpi.so.40 is missing after the install" >&2; exit 1; fi
"$found" --version | head -n 1 >&2
echo "$found"

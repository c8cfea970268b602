#!/usr/bin/env bash
# Makes NVIDIA's ptxas present for the PTX check (docs/gpu.md) on a Debian machine without a GPU or CUDA.
# ptxas from Debian's non-free nvidia-cuda-toolkit (11.8, assembles sm_70..sm_90) links only libc, so the one
# .deb is downloaded and ptxas extracted from it, without the package's multi-GB dependencies.
# Idempotent: exits at once when ptxas is already on PATH or at the install location.
# Prints the path of the ptxas to use on its last line. Install location: $PTXAS_HOME (default /opt/ptxas).
set -euo pipefail

home="${PTXAS_HOME:-/opt/ptxas}"
target="$home/bin/ptxas"

if found="$(command -v ptxas 2>/dev/null)" && "$found" --version >/dev/null 2>&1; then echo "$found"; exit 0; fi
if [ -x "$target" ] && "$target" --version >/dev/null 2>&1; then echo "$target"; exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-ptxas: error: no apt-get here; put ptxas (CUDA 11.8 or later) on PATH instead" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# The non-free component holds nvidia-cuda-toolkit: add contrib and non-free (as whole words: bookworm's default
# "non-free-firmware" is another component) to every Components line of the deb822 sources, or to the deb lines of
# the one-line format, where missing.
has_word() { grep -Eq "(^|[[:space:]])$1([[:space:]]|\$)" <<< "$2"; }
changed=0
sources=/etc/apt/sources.list.d/debian.sources
if [ -f "$sources" ]; then
  while IFS= read -r line; do
    for component in contrib non-free; do
      if ! has_word "$component" "$line"; then
        $sudo sed -i "s|^$line\$|$line $component|" "$sources"; line="$line $component"; changed=1
      fi
    done
  done < <(grep '^Components:' "$sources")
elif [ -f /etc/apt/sources.list ]; then
  while IFS= read -r line; do
    if ! has_word non-free "$line"; then
      $sudo sed -i "s|^$line\$|$line contrib non-free|" /etc/apt/sources.list; changed=1
    fi
  done < <(grep -E '^deb[[:space:]].*[[:space:]]main([[:space:]]|$)' /etc/apt/sources.list)
fi
if [ "$changed" -eq 1 ] || ! apt-cache show nvidia-cuda-toolkit >/dev/null 2>&1; then
  $sudo apt-get update -qq >&2
fi

work="$(mktemp -d)"
chmod 755 "$work"   # apt-get download runs as _apt when root and must be able to write here
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq nvidia-cuda-toolkit >&2)
deb="$(ls "$work"/nvidia-cuda-toolkit_*.deb | head -n 1)"
dpkg-deb -x "$deb" "$work/x"
found="$(find "$work/x" -type f -name ptxas | head -n 1)"
if [ -z "$found" ]; then echo "install-ptxas: error: no ptxas inside $deb" >&2; exit 1; fi
$sudo mkdir -p "$home/bin"
$sudo install -m 0755 "$found" "$target"
"$target" --version >&2
echo "$target"

#!/usr/bin/env bash
# FastWeights against PyTorch on this machine's CPU, side by side (issue 12): the layer grid, then the main job.
#
#   bench/cpu/run.sh                          # layer grid (7 interleaved rounds) + both main jobs to 95 %
#   bench/cpu/run.sh --quick --skip-main-job  # a smoke: 3 rounds of 1 call per side, no main job
#   ROUNDS=11 REPEAT=5 bench/cpu/run.sh --out runs/peer
#
# Options: --quick (3 rounds x 1 call; main jobs capped at 500 steps), --skip-main-job, --rounds N (or ROUNDS),
# --repeat N (or REPEAT: timed calls per side per round), --threads N (or TORCH_THREADS: PyTorch's threads,
# default 2), --main-steps N (step cap of both main jobs, default 20000), --seed N (weights and data order of both
# main jobs, default 1), --out DIR (default runs/cpu-peer-<UTC>).
# Progress goes to stderr; the markdown tables to stdout and to DIR/layer.md, DIR/main-job.md.
#
# Needs the .NET SDK and Debian's python3-torch for /usr/bin/python3 (installed here when missing: a dependency of
# this benchmark only, never of the library or its tests). What is measured, and how: the headers of
# bench/cpu/layer_peer.py, bench/cpu/main_job.py and bench/cpu/retrieval_peer.py, and docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${ROUNDS:-7}
repeat=${REPEAT:-3}
threads=${TORCH_THREADS:-2}
main_steps=20000
seed=1
quick=0
skip_main=0
out=""
die() { echo "bench/cpu/run.sh: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --skip-main-job) skip_main=1 ;;
        --rounds) [ $# -ge 2 ] || die "--rounds needs a value"; rounds=$2; shift ;;
        --repeat) [ $# -ge 2 ] || die "--repeat needs a value"; repeat=$2; shift ;;
        --threads) [ $# -ge 2 ] || die "--threads needs a value"; threads=$2; shift ;;
        --main-steps) [ $# -ge 2 ] || die "--main-steps needs a value"; main_steps=$2; shift ;;
        --seed) [ $# -ge 2 ] || die "--seed needs a value"; seed=$2; shift ;;
        --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    rounds=3
    repeat=1
    main_steps=500
fi
out=${out:-runs/cpu-peer-$(date -u +%Y%m%d-%H%M%S)}

# Debian's interpreter, not the first python3 on PATH: python3-torch is installed for it.
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2>/dev/null; then
    echo "bench/cpu/run.sh: PyTorch is missing for $PY: installing Debian's python3-torch (apt-get), a dependency of this benchmark only" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update >&2
    $sudo apt-get install -y python3-torch >&2
    "$PY" -c 'import torch' || die "python3-torch installed but '$PY -c \"import torch\"' still fails"
fi

echo "bench/cpu/run.sh: building FastWeights.Bench (Release)" >&2
dotnet build -c Release FastWeights.Bench -nologo -v quiet >&2
bench=FastWeights.Bench/bin/Release/net10.0/FastWeights.Bench.dll
[ -f "$bench" ] || die "$bench not found after the build"

mkdir -p "$out"
echo "bench/cpu/run.sh: results in $out" >&2
"$PY" bench/cpu/layer_peer.py --bench "$bench" --rounds "$rounds" --repeat "$repeat" --threads "$threads" --out "$out"
if [ "$skip_main" = 0 ]; then
    "$PY" bench/cpu/main_job.py --bench "$bench" --out "$out" --steps "$main_steps" --threads "$threads" --seed "$seed"
fi

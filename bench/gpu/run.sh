#!/usr/bin/env bash
# GPU benchmark and check of FastWeights on a Linux machine with an NVIDIA GPU, PyTorch, and no .NET.
# Runs from a self-contained publish made beforehand (bench/gpu/README.md). Unvalidated: written
# without a GPU at hand.
#
#   bench/gpu/run.sh [OUT_DIR]
#
# Environment (all optional):
#   BENCH   the published FastWeights.Bench binary   (default: publish/bench/FastWeights.Bench)
#   PYTHON  a python3 with torch and numpy          (default: python3)
#   STEPS   which steps, in order, space-separated  (default: "env ptx gpu-check float64 ours floor torch report")
#   GRID    shapes "B,T,I,H,S" separated by spaces  (default: below)
#   DECAY   lambda for the timing grid              (default: 0.95)
#   REPEAT  timed repetitions per shape             (default: 5)
#   MODES   PyTorch peers                           (default: eager,compile)
#   PTXAS   ptxas for the ptx step                  (default: PATH, else PTX only)
#
# Writes into OUT_DIR (default: runs/gpu-<UTC time>): env.txt, ptx.txt, gpu-check.txt, float64-check.txt,
# ours.txt, ours.err, floor.txt, torch.jsonl, table.md. Exit status: 0 when every step ran and every check
# passed, 1 otherwise (the later steps still run after a failed check).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
BENCH="${BENCH:-$repo/publish/bench/FastWeights.Bench}"
PYTHON="${PYTHON:-python3}"
STEPS="${STEPS:-env ptx gpu-check float64 ours floor torch report}"
DECAY="${DECAY:-0.95}"
REPEAT="${REPEAT:-5}"
MODES="${MODES:-eager,compile}"
DEFAULT_GRID="16,64,32,64,1 64,64,32,64,1 64,64,32,64,2 16,256,32,64,1 16,64,32,128,1 64,256,32,128,1 64,64,32,256,1 16,256,32,256,1 64,256,32,256,1 64,1024,64,128,1"
GRID="${GRID:-$DEFAULT_GRID}"
OUT="${1:-$repo/runs/gpu-$(date -u +%Y%m%dT%H%M%SZ)}"

mkdir -p "$OUT" || exit 1
status=0

note() { printf '== %s\n' "$*" >&2; }

if [[ ! -e "$BENCH" ]]; then
    echo "run.sh: no binary at $BENCH; publish it first (bench/gpu/README.md) or set BENCH." >&2
    exit 1
fi
# A copy that lost its mode bits (an archive, a carried folder) is made runnable again.
[[ -x "$BENCH" ]] || chmod +x "$BENCH" || exit 1

read -r -a shapes <<< "$GRID"
read -r -a steps <<< "$STEPS"

for step in "${steps[@]}"; do
    case "$step" in
        env)
            note "environment -> $OUT/env.txt"
            {
                echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
                echo "bench: $BENCH ($(stat -c %s "$BENCH") bytes)"
                nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
                "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")' 2>&1
            } > "$OUT/env.txt"
            cat "$OUT/env.txt"
            ;;
        ptx)
            # Every kernel compiled to PTX by the published binary for sm_70/80/90 (docs/gpu.md §1), assembled by ptxas -v
            # when the machine has one (a CUDA toolkit on PATH, or PTXAS=...): the register table next to the measured times.
            note "ptx: every kernel compiled for sm_70,sm_80,sm_90 -> $OUT/ptx.txt"
            ptx_args=()
            [[ -n "${PTXAS:-}" ]] && ptx_args+=(--ptxas "$PTXAS")
            "$BENCH" ptx "${ptx_args[@]}" 2>&1 | tee "$OUT/ptx.txt"
            rc=${PIPESTATUS[0]}
            [[ $rc -eq 0 ]] || { note "ptx exited $rc"; status=1; }
            ;;
        gpu-check)
            note "gpu-check: CUDA (group and thread schedules) vs the ILGPU CPU accelerator -> $OUT/gpu-check.txt"
            "$BENCH" gpu-check --accelerator cuda 2>&1 | tee "$OUT/gpu-check.txt"
            rc=${PIPESTATUS[0]}
            [[ $rc -eq 0 ]] || { note "gpu-check exited $rc"; status=1; }
            ;;
        float64)
            note "float64 check: 'layer' on CUDA vs PyTorch float64 autograd -> $OUT/float64-check.txt"
            "$PYTHON" "$here/torch_peer.py" check --bench "$BENCH" 2>&1 | tee "$OUT/float64-check.txt"
            rc=${PIPESTATUS[0]}
            [[ $rc -eq 0 ]] || { note "float64 check exited $rc"; status=1; }
            ;;
        ours)
            note "FastWeights time over ${#shapes[@]} shapes -> $OUT/ours.txt"
            : > "$OUT/ours.txt"
            : > "$OUT/ours.err"
            for shape in "${shapes[@]}"; do
                IFS=, read -r B T I H S <<< "$shape"
                if line="$("$BENCH" time --batch "$B" --time "$T" --input "$I" --hidden "$H" --inner "$S" \
                        --decay "$DECAY" --accelerator cuda --repeat "$REPEAT" 2>> "$OUT/ours.err")"; then
                    printf '%s\n' "$line" | tee -a "$OUT/ours.txt"
                else
                    note "time failed for $shape (see ours.err)"
                    status=1
                fi
            done
            ;;
        torch)
            note "PyTorch peers ($MODES) over ${#shapes[@]} shapes -> $OUT/torch.jsonl"
            args=()
            for shape in "${shapes[@]}"; do args+=(--shape "$shape"); done
            : > "$OUT/torch.jsonl"
            if ! "$PYTHON" "$here/torch_peer.py" time "${args[@]}" --decay "$DECAY" --modes "$MODES" \
                    --repeat "$REPEAT" --out "$OUT/torch.jsonl"; then
                note "torch_peer time failed"
                status=1
            fi
            ;;
        floor)
            # The counted work and the measured time at the issue's target shape, for the derived floor in
            # docs/benchmarks.md ("Latency floor", H100 derivation).
            note "floor: counts and measured time at B=64 T=1024 I=64 H=128 S=1 -> $OUT/floor.txt"
            if ! "$BENCH" floor --batch 64 --time 1024 --input 64 --hidden 128 --inner 1 --accelerator cuda \
                    --repeat "$REPEAT" 2>&1 | tee "$OUT/floor.txt"; then
                note "floor failed"
                status=1
            fi
            ;;
        report)
            note "table -> $OUT/table.md"
            if ! "$PYTHON" "$here/torch_peer.py" report --ours "$OUT/ours.txt" --torch "$OUT/torch.jsonl" --out "$OUT/table.md"; then
                status=1
            fi
            ;;
        *)
            echo "run.sh: unknown step '$step' (known: env gpu-check float64 ours floor torch report)" >&2
            exit 1
            ;;
    esac
done

note "done: $OUT (status $status)"
exit "$status"

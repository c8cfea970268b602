#!/usr/bin/env bash
# 1 process against mpirun -np 1 and -np 2 (bound to cores, and unbound) for the main job's model, interleaved rounds;
# prints the median and best steps/s of the 50-step windows of metrics.csv (the first window dropped: start-up).
# docs/distributed.md §5 holds the results. Usage: bench/mpi/scaling.sh [rounds] [steps]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-3}"; steps="${2:-600}"
dotnet build -c Release FastWeights.Bench >/dev/null
bench=FastWeights.Bench/bin/Release/net10.0/FastWeights.Bench.dll
mpirun="mpirun --allow-run-as-root --oversubscribe"
options=(retrieval --steps "$steps" --eval-every "$steps" --target-accuracy none --val-size 1000 --test-size 1000 --accelerator cpu)
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
stats() { tail -n +3 "$1/metrics.csv" | head -n -1 | cut -d, -f9 | sort -g | awk '{a[NR]=$1} END{printf "median %.1f best %.1f", a[int((NR+1)/2)], a[NR]}'; }
run() { # name, launcher...
  local name="$1"; shift
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  rm -rf "${work:?}/$name"
  "$@" dotnet "$bench" "${options[@]}" --out "$work/$name" >/dev/null 2>&1
  echo "round $round: $name (load $load): $(stats "$work/$name") steps/s"
}
for round in $(seq 1 "$rounds"); do
  run one-process env
  run mpirun-np1 $mpirun -np 1
  run mpirun-np2 $mpirun -np 2
  run mpirun-np2-unbound $mpirun -np 2 --bind-to none
done

#!/usr/bin/env python3
"""The fast-weight RNN layer on the CPU: FastWeights (ILGPU CPU accelerator) against PyTorch, side by side.

What is measured, per shape of the grid (issue 12; I = 64, S = 1, lambda = 0.95, eta = 0.5 unless the shape says):
  one training call of the layer, forward then backward, from a zero initial state (h0 = 0, A0 = 0), with the
  gradient of the input x and of every parameter (W, C, b, LN gain, LN shift) and none for h0/A0, driven by a
  given dy on y only (no dhT, dAT). This is exactly what `FastWeights.Bench time` does (LayerTimer: Forward with no
  h0/A0, Backward with dx and the parameter gradients, dy only); the PyTorch side does the same work.

  - ours:     `dotnet FastWeights.Bench.dll time ... --accelerator cpu --repeat R`, a fresh process each round;
              it warms up (one forward + backward, kernels compiled) and prints the medians of R timed forwards
              and R timed backwards (each waited for). Process start-up and kernel compilation are not timed.
  - eager:    bench/gpu/torch_peer.py's make_step/run_layer (Python loop over t, plain autograd).
  - scripted: the same layer as one torch.jit.script function (bench/cpu/fw_layer.py), checked against eager
              (outputs and gradients within 1e-4 relative L2) before timing. torch 1.13 has no torch.compile.
  PyTorch runs with torch.set_num_threads(2) in this process; the tensors and the scripted graph are built and
  warmed up once per shape, then each round times R forward+backward calls and keeps the medians.

  Rounds are interleaved: ours, eager, scripted, ours, eager, scripted, ... so that load on a shared machine hits
  every side alike. A round's forward and backward are the medians of its R calls; the table gives, per side, the
  round with the median forward+backward over all rounds (its two parts shown beside it).

  Memory: ours is `workspace_bytes` of the layer's workspace plan (what the layer allocates for the call: the tape,
  the checkpoints of A, the backward's scratch); PyTorch's is the bytes of the tensors autograd saved for the
  backward during one forward (torch.autograd.graph.saved_tensors_hooks, unique storages, the inputs and parameters
  themselves excluded), measured in an extra untimed call. Neither counts x, y, dy or the parameters.

  Machine: lscpu's model name; load: /proc/loadavg before and after each shape and the whole grid.

Run through bench/cpu/run.sh (it builds the C# bench first); alone:
  /usr/bin/python3 bench/cpu/layer_peer.py --bench FastWeights.Bench/bin/Release/net10.0/FastWeights.Bench.dll
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

import torch

from fw_layer import check_scripted_matches_eager, layer_function
from machine import cpu_model, load1, loadavg, median

DECAY = 0.95
FAST_LR = 0.5  # `time` uses FastWeightRnnOptions' default eta, 0.5

# B, T, I, H, S: the grid of issue 12.
GRID = [
    (32, 64, 64, 64, 1),
    (32, 64, 64, 128, 1),
    (32, 256, 64, 64, 1),
    (8, 1024, 64, 64, 1),
    (128, 11, 100, 50, 1),   # the retrieval model's layer (embedding 100 -> R = 50, 2K+3 = 11 tokens)
    (32, 64, 64, 64, 3),
]

VARIANTS = ["eager", "script"]
_KV = re.compile(r'(\w+)=("[^"]*"|\S+)')


class TorchCase:
    """One shape, one PyTorch variant: tensors, the layer, a timer and a saved-tensor meter."""

    def __init__(self, B, T, I, H, S, variant):
        gen = torch.Generator().manual_seed(1)

        def U(*shape, scale=1.0, offset=0.0):
            return offset + scale * (torch.rand(*shape, generator=gen) * 2 - 1)

        self.x = U(B, T, I).requires_grad_(True)
        self.params = [U(H, H, scale=H ** -0.5), U(H, I, scale=I ** -0.5), U(H, scale=0.1),
                       U(H, scale=0.1, offset=1.0), U(H, scale=0.1)]
        for p in self.params:
            p.requires_grad_(True)
        self.h0, self.A0 = torch.zeros(B, H), torch.zeros(B, H, H)  # zero state, as `time` passes none
        self.dy = U(B, T, H)
        self.layer = layer_function(variant, H, S, DECAY, FAST_LR)
        # One warm-up call. The scripted graph has already run 3 times at this shape (and with these requires_grad
        # flags) in check_scripted_matches_eager, so the profiling executor has specialised it before this.
        self._clear()
        self._forward()[0].backward(self.dy)

    def _clear(self):
        self.x.grad = None
        for p in self.params:
            p.grad = None

    def _forward(self):
        return self.layer(self.x, *self.params, self.h0, self.A0)

    def time_round(self, repeat):
        """Medians (ms) of `repeat` forwards and of their backwards."""
        fwd, bwd = [], []
        for _ in range(repeat):
            self._clear()
            s = time.perf_counter()
            out = self._forward()
            m = time.perf_counter()
            out[0].backward(self.dy)
            e = time.perf_counter()
            fwd.append((m - s) * 1e3)
            bwd.append((e - m) * 1e3)
            del out
        return median(fwd), median(bwd)

    def saved_bytes(self):
        """Bytes of the unique storages autograd saves during one forward, inputs and parameters excluded."""
        own = {t.storage().data_ptr() for t in [self.x, self.dy, self.h0, self.A0] + self.params}
        seen = {}

        def pack(t):
            s = t.storage()
            if s.data_ptr() not in own:
                seen[s.data_ptr()] = s.nbytes()
            return t

        self._clear()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = self._forward()
        out[0].backward(self.dy)
        return sum(seen.values())


def run_ours(bench, B, T, I, H, S, repeat):
    """One `FastWeights.Bench time` process: {forward_ms, backward_ms, workspace_bytes, form, schedule} or {error}."""
    cmd = ["dotnet", bench, "time", "--batch", str(B), "--time", str(T), "--input", str(I), "--hidden", str(H),
           "--inner", str(S), "--decay", str(DECAY), "--accelerator", "cpu", "--repeat", str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        kv = {k: v.strip('"') for k, v in _KV.findall(line)}
        if "forward_ms" in kv:
            return {"forward_ms": float(kv["forward_ms"]), "backward_ms": float(kv["backward_ms"]),
                    "workspace_bytes": int(kv["workspace_bytes"]), "form": kv.get("form", "?"),
                    "schedule": kv.get("schedule", "?")}
    msg = (proc.stderr or proc.stdout).strip().splitlines()
    return {"error": f"exit {proc.returncode}: {msg[-1] if msg else 'no output'}"}


def summarise(rounds):
    """The median round by forward+backward (the upper one of an even count): its forward, backward and total ms,
    so that the printed parts add up to the printed total. None when every round failed."""
    ok = sorted((r for r in rounds if "error" not in r), key=lambda r: r["forward_ms"] + r["backward_ms"])
    if not ok:
        return None
    mid = ok[len(ok) // 2]
    return {"forward_ms": mid["forward_ms"], "backward_ms": mid["backward_ms"],
            "total_ms": mid["forward_ms"] + mid["backward_ms"], "rounds": len(ok)}


def fmt_time(s):
    return "failed" if s is None else f"{s['total_ms']:.1f} ({s['forward_ms']:.1f} + {s['backward_ms']:.1f})"


def fmt_ratio(peer, ours):
    if peer is None or ours is None:
        return "-"
    r = peer["total_ms"] / ours["total_ms"]
    return f"{r:.2f}×"


def mib(n):
    return "-" if n is None else f"{n / 2 ** 20:.1f}"


def shape_label(B, T, I, H, S):
    return f"B={B}, T={T}, I={I}, H={H}" + (f", S={S}" if S != 1 else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="path of FastWeights.Bench.dll (Release build)")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds per shape (default 7)")
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per side per round (default 3)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--shape", action="append", help="B,T,I,H,S instead of the grid (repeatable)")
    ap.add_argument("--out", help="folder for layer.md and rounds.jsonl")
    args = ap.parse_args()
    if args.rounds < 1 or args.repeat < 1:
        sys.exit("layer_peer: error: --rounds and --repeat must be >= 1")
    grid = [tuple(int(v) for v in s.split(",")) for s in args.shape] if args.shape else GRID
    torch.set_num_threads(args.threads)

    raw = open(os.path.join(args.out, "rounds.jsonl"), "w") if args.out else None
    load_start = loadavg()
    rows = []
    for (B, T, I, H, S) in grid:
        label = shape_label(B, T, I, H, S)
        load_before = load1()
        print(f"layer_peer: {label}: checking the scripted layer against eager, warming up", file=sys.stderr, flush=True)
        check_scripted_matches_eager(B, T, I, H, S, DECAY, FAST_LR)  # also warms the scripted graph up
        cases = {v: TorchCase(B, T, I, H, S, v) for v in VARIANTS}
        saved = {v: cases[v].saved_bytes() for v in VARIANTS}
        rounds = {"ours": [], "eager": [], "script": []}
        for r in range(args.rounds):
            ours = run_ours(args.bench, B, T, I, H, S, args.repeat)
            rounds["ours"].append(ours)
            for v in VARIANTS:
                f, b = cases[v].time_round(args.repeat)
                rounds[v].append({"forward_ms": f, "backward_ms": b})
            line = {"B": B, "T": T, "I": I, "H": H, "S": S, "round": r, "load1": load1(),
                    **{k: v[-1] for k, v in rounds.items()}}
            if raw:
                raw.write(json.dumps(line) + "\n")
                raw.flush()
            o = "error" if "error" in ours else f"{ours['forward_ms'] + ours['backward_ms']:.1f}"
            print(f"layer_peer: {label} round {r + 1}/{args.rounds}: ours {o} ms, eager "
                  f"{sum(rounds['eager'][-1].values()):.1f} ms, scripted {sum(rounds['script'][-1].values()):.1f} ms",
                  file=sys.stderr, flush=True)
        del cases
        ours_ok = [o for o in rounds["ours"] if "error" not in o]
        rows.append({
            "label": label, "ours": summarise(rounds["ours"]), "eager": summarise(rounds["eager"]),
            "script": summarise(rounds["script"]),
            "ours_error": next((o["error"] for o in rounds["ours"] if "error" in o), None),
            "form": f"{ours_ok[-1]['form']}, {ours_ok[-1]['schedule']}" if ours_ok else "-",
            "ours_bytes": ours_ok[-1]["workspace_bytes"] if ours_ok else None,
            "eager_bytes": saved["eager"], "script_bytes": saved["script"],
            "load": f"{load_before:.1f} → {load1():.1f}",
        })
    load_end = loadavg()
    if raw:
        raw.close()

    head = ["shape", "ours fwd+bwd ms (fwd + bwd)", "ours form, schedule", "PyTorch eager", "PyTorch scripted",
            "eager ÷ ours", "best PyTorch ÷ ours", "ours MiB (workspace)", "eager MiB (saved)",
            "scripted MiB (saved)", "load 1-min"]
    lines = ["| " + " | ".join(head) + " |", "|---|---:|---|" + "---:|" * (len(head) - 3)]
    for row in rows:
        ours, eager, script = row["ours"], row["eager"], row["script"]
        best = min((p for p in (eager, script) if p), key=lambda p: p["total_ms"], default=None)
        lines.append("| " + " | ".join([
            row["label"], fmt_time(ours) if ours else f"failed: {row['ours_error']}", row["form"],
            fmt_time(eager), fmt_time(script), fmt_ratio(eager, ours), fmt_ratio(best, ours),
            mib(row["ours_bytes"]), mib(row["eager_bytes"]), mib(row["script_bytes"]), row["load"]]) + " |")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = "\n".join([
        f"## The layer on the CPU: FastWeights vs PyTorch ({when})",
        "",
        f"Machine: {cpu_model()}. PyTorch {torch.__version__}, torch.set_num_threads({args.threads}); "
        f"torch.compile: not available in torch {torch.__version__.split('+')[0]} (it came with 2.0), so the "
        "scripted variant is `torch.jit.script` of the whole layer (TorchScript fusion on the CPU: "
        f"{'possible (built with LLVM)' if torch._C._llvm_enabled() else 'none, this torch is built without LLVM'}).",
        f"Load (/proc/loadavg 1/5/15 min): {load_start} before, {load_end} after.",
        "",
        *lines,
        "",
        f"Forward + backward of one training call (zero initial state, gradients of x and every parameter), ms: "
        f"the median over {args.rounds} interleaved rounds (ours, eager, scripted, ...) of each round's "
        f"forward+backward, where a round's forward and backward are the medians of {args.repeat} calls. Ratios above 1: ours is faster. Memory: ours is the workspace plan "
        "(`workspace_bytes`); PyTorch's is the tensors autograd saved for the backward (unique storages, inputs "
        "and parameters excluded).",
        "",
    ])
    if args.out:
        with open(os.path.join(args.out, "layer.md"), "w") as f:
            f.write(text)
    print(text, flush=True)


if __name__ == "__main__":
    main()

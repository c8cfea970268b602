#!/usr/bin/env python3
"""PyTorch peer of the FastWeights layer, for bench/gpu/run.sh.

The same fast-weight RNN layer (docs/design.md section 2) written the plain autograd way: a Python loop
over t and the inner steps, A kept as a [B,H,H] tensor that autograd saves at every step.

Subcommands
  time    time forward and backward (eager, and torch.compile) over a grid; one JSON line per run
  check   float64 check of the C# layer: writes safetensors case files, runs `FastWeights.Bench layer`
          on CUDA for each, compares every output and gradient with float64 autograd; PASS/FAIL lines
  report  join `FastWeights.Bench time` lines and the `time` JSON lines into one markdown table

Needs torch and numpy (both on the lent GPU machines). Written without a GPU at hand: unvalidated.
"""
import argparse
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
except ImportError:  # `report` needs neither numpy, torch nor a GPU
    np = None
try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
    F = None


# ---------------------------------------------------------------------------------------------
# The layer
# ---------------------------------------------------------------------------------------------

def _act(name):
    return torch.tanh if name == "tanh" else torch.relu


def make_step(hidden, inner_steps, decay, fast_lr, eps, activation):
    """One time step: (h, A, u_t, W, g, beta) -> (h, A). Shapes h [B,H], A [B,H,H], u_t [B,H]."""
    f = _act(activation)

    def step(h, A, u_t, W, g, beta):
        z = h @ W.t() + u_t                                   # z = W h + C x_t + b
        hs = f(z)                                             # h_0 = f(z), no layer norm
        for _ in range(inner_steps):
            v = z + torch.bmm(A, hs.unsqueeze(-1)).squeeze(-1)  # v_s = z + A h_s
            hs = f(F.layer_norm(v, (hidden,), g, beta, eps))     # h_{s+1} = f(LN(v_s))
        A = decay * A + fast_lr * hs.unsqueeze(2) * hs.unsqueeze(1)  # A <- lambda A + eta h h^T
        return hs, A

    return step


def run_layer(step, x, W, C, b, g, beta, h0, A0):
    """x [B,T,I] -> y [B,T,H], hT [B,H], AT [B,H,H]."""
    u = x @ C.t() + b
    h, A = h0, A0
    ys = []
    for t in range(x.shape[1]):
        h, A = step(h, A, u[:, t], W, g, beta)
        ys.append(h)
    return torch.stack(ys, 1), h, A


def make_tensors(B, T, I, H, dtype, device, seed):
    gen = torch.Generator(device="cpu").manual_seed(seed)

    def U(shape, scale, offset=0.0):
        return (offset + scale * (2 * torch.rand(shape, generator=gen, dtype=torch.float64) - 1)).to(dtype=dtype, device=device)

    return {
        "x": U((B, T, I), 1.0), "h0": U((B, H), 0.5), "A0": U((B, H, H), 0.05),
        "W": U((H, H), 1 / math.sqrt(H)), "C": U((H, I), 1 / math.sqrt(I)), "b": U((H,), 0.1),
        "ln_gain": U((H,), 0.1, 1.0), "ln_bias": U((H,), 0.1),
        "dy": U((B, T, H), 1.0), "dhT": U((B, H), 1.0), "dAT": U((B, H, H), 0.1),
    }


# ---------------------------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------------------------

def _median(v):
    v = sorted(v)
    return v[len(v) // 2]


def time_one(B, T, I, H, S, decay, mode, repeat, warmup, scope):
    dev = torch.device("cuda")
    torch.manual_seed(0)
    step = make_step(H, S, decay, 0.5, 1e-5, "tanh")
    if mode == "compile":
        torch._dynamo.reset()  # a fresh cache per shape: no silent fall-back to eager at the recompile limit
        if scope == "step":
            step = torch.compile(step, dynamic=False, fullgraph=True)
    t = make_tensors(B, T, I, H, torch.float32, dev, seed=1)
    params = [t[k].requires_grad_(True) for k in ("W", "C", "b", "ln_gain", "ln_bias")]
    x = t["x"].requires_grad_(True)
    dy = t["dy"]
    # Zero initial state, as `FastWeights.Bench time` passes none.
    h0 = torch.zeros(B, H, device=dev)
    A0 = torch.zeros(B, H, H, device=dev)

    layer = run_layer
    if mode == "compile" and scope == "layer":
        layer = torch.compile(run_layer, dynamic=False)

    def forward():
        return layer(step, x, *params, h0, A0)

    def backward(out):
        out[0].backward(dy)

    def clear():
        x.grad = None
        for p in params:
            p.grad = None

    for _ in range(warmup):  # the compile happens here
        clear()
        backward(forward())
    torch.cuda.synchronize()

    clear()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    backward(forward())
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()

    fwd, bwd = [], []
    for _ in range(repeat):
        clear()
        torch.cuda.synchronize()
        s = time.perf_counter()
        out = forward()
        torch.cuda.synchronize()
        fwd.append((time.perf_counter() - s) * 1e3)
        s = time.perf_counter()
        backward(out)
        torch.cuda.synchronize()
        bwd.append((time.perf_counter() - s) * 1e3)
        del out
    return {"forward_ms": _median(fwd), "backward_ms": _median(bwd), "peak_bytes": peak}


def cmd_time(args):
    if torch is None or not torch.cuda.is_available():
        sys.exit("torch_peer time: torch sees no CUDA device")
    modes = args.modes.split(",")
    with open(args.out, "a") as out:
        for shape in args.shape:
            B, T, I, H, S = (int(v) for v in shape.split(","))
            for mode in modes:
                rec = {"B": B, "T": T, "I": I, "H": H, "S": S, "decay": args.decay, "peer": mode,
                       "compile_scope": args.compile_scope if mode == "compile" else None,
                       "device": torch.cuda.get_device_name(0), "torch": torch.__version__}
                try:
                    rec.update(time_one(B, T, I, H, S, args.decay, mode, args.repeat, args.warmup, args.compile_scope))
                except torch.cuda.OutOfMemoryError:
                    rec["error"] = "out of memory"
                except Exception as e:  # a compile failure must not stop the grid
                    rec["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                finally:
                    torch.cuda.empty_cache()
                line = json.dumps(rec)
                print(line, flush=True)
                out.write(line + "\n")
                out.flush()


# ---------------------------------------------------------------------------------------------
# check (float64)
# ---------------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)  # pad the header to 8 bytes, as the format recommends
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}, expected F32")
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(body[begin:end], dtype="<f4").reshape(info["shape"])
    return out, header.get("__metadata__", {})


CHECK_SHAPES = [
    # B, T, I, H, S, decay, activation, why
    (2, 8, 3, 16, 2, 0.9, "tanh", "small, 2 inner steps"),
    (2, 16, 8, 64, 1, 0.95, "relu", "A and A-bar on chip within 48 KiB"),
    (2, 12, 8, 128, 1, 0.95, "tanh", "on chip only with the shared-memory opt-in"),
    (2, 8, 8, 200, 1, 0.95, "tanh", "forward on chip with opt-in, reverse in global memory"),
    (2, 8, 8, 256, 1, 0.95, "tanh", "both in global memory"),
    (2, 300, 3, 8, 1, 0.9, "tanh", "long: re-anchoring"),
]

OUTPUT_NAMES = ["y", "hT", "AT", "grad_x", "grad_h0", "grad_A0", "grad_W", "grad_C", "grad_b", "grad_ln_gain", "grad_ln_bias"]


def reference64(c, S, decay, fast_lr, eps, activation):
    """Float64 outputs and gradients of L = <y,dy> + <hT,dhT> + <AT,dAT> by autograd."""
    dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    t = {k: torch.tensor(np.asarray(v, dtype=np.float64), device=dev) for k, v in c.items()}
    leaves = ["x", "h0", "A0", "W", "C", "b", "ln_gain", "ln_bias"]
    for k in leaves:
        t[k].requires_grad_(True)
    H = t["W"].shape[0]
    step = make_step(H, S, decay, fast_lr, eps, activation)
    y, hT, AT = run_layer(step, t["x"], t["W"], t["C"], t["b"], t["ln_gain"], t["ln_bias"], t["h0"], t["A0"])
    loss = (y * t["dy"]).sum() + (hT * t["dhT"]).sum() + (AT * t["dAT"]).sum()
    loss.backward()
    out = {"y": y, "hT": hT, "AT": AT}
    for k in leaves:
        out["grad_" + k] = t[k].grad
    return {k: v.detach().cpu().numpy() for k, v in out.items()}


def rel_l2(a, e):
    a = np.asarray(a, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    r = np.linalg.norm(a - e) / max(np.linalg.norm(e), 1e-30)
    return float(r) if np.isfinite(r) else float("inf")


def cmd_check(args):
    if torch is None or np is None:
        sys.exit("torch_peer check: needs torch and numpy")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="fw-check-") as tmp:
        for (B, T, I, H, S, decay, activation, why) in CHECK_SHAPES:
            c = make_tensors(B, T, I, H, torch.float32, torch.device("cpu"), seed=H * 1000 + T)
            c = {k: v.numpy() for k, v in c.items()}
            meta = {"decay": repr(decay), "fast_lr": "0.5", "inner_steps": str(S), "ln_eps": "1e-05", "activation": activation}
            case_path = os.path.join(tmp, f"case_H{H}_T{T}.safetensors")
            write_safetensors(case_path, c, meta)
            expected = reference64(c, S, decay, 0.5, 1e-5, activation)
            fwd_tol, grad_tol = 1e-4, (3e-3 if T > 100 else 1e-3)
            for schedule in args.schedules.split(","):
                label = f"cuda {schedule} B={B} T={T} I={I} H={H} S={S} decay={decay} {activation} ({why})"
                out_path = os.path.join(tmp, f"out_H{H}_T{T}_{schedule}.safetensors")
                proc = subprocess.run([args.bench, "layer", "--case", case_path, "--out", out_path,
                                       "--accelerator", args.accelerator, "--schedule", schedule],
                                      capture_output=True, text=True)
                if proc.returncode != 0:
                    print(f"FAIL {label} layer exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()}", flush=True)
                    failed += 1
                    continue
                actual, _ = read_safetensors(out_path)
                ok, parts = True, []
                for name in OUTPUT_NAMES:
                    err = rel_l2(actual[name], expected[name]) if name in actual else float("inf")
                    tol = fwd_tol if name in ("y", "hT", "AT") else grad_tol
                    ok = ok and err <= tol
                    parts.append(f"{name}={err:.1e}")
                print(f"{'PASS' if ok else 'FAIL'} {label} rel_l2 vs float64: {' '.join(parts)} "
                      f"(tol fwd {fwd_tol:.0e}, grad {grad_tol:.0e})", flush=True)
                failed += 0 if ok else 1
    print(f"torch_peer check: {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

_KV = re.compile(r'(\w+)=("[^"]*"|\S+)')


def parse_ours(path):
    """`FastWeights.Bench time` lines -> {(B,T,I,H,S): record}."""
    rows = {}
    with open(path) as f:
        for line in f:
            kv = {k: v.strip('"') for k, v in _KV.findall(line)}
            if "forward_ms" not in kv:
                continue
            B, T, I, H, S = (int(kv[k]) for k in ("B", "T", "I", "H", "S"))
            # What `time` holds on the device: the workspace plus its own buffers
            # (W,C,b,g,beta and their gradients; x, dx; y, dy; hT; AT).
            io = 4 * (2 * (H * H + H * I + 3 * H) + 2 * B * T * I + 2 * B * T * H + B * H + B * H * H)
            rows[(B, T, I, H, S)] = {
                "forward_ms": float(kv["forward_ms"]), "backward_ms": float(kv["backward_ms"]),
                "peak_bytes": int(kv["workspace_bytes"]) + io, "schedule": kv.get("schedule", "?"),
                "name": kv.get("name", "?"),
            }
    return rows


def parse_peers(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            rows[(r["B"], r["T"], r["I"], r["H"], r["S"], r["peer"])] = r
    return rows


def cmd_report(args):
    ours = parse_ours(args.ours)
    peers = parse_peers(args.torch)
    names = ["eager", "compile"]
    mib = lambda b: f"{b / 2**20:.1f}"
    head = ["B", "T", "I", "H", "S", "ours ms", "ours MiB"]
    for p in names:
        head += [f"{p} ms", f"{p}/ours time", f"{p} MiB", f"{p}/ours mem"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(set(ours) | {k[:5] for k in peers}):
        o = ours.get(key)
        cells = [str(v) for v in key]
        if o:
            ot = o["forward_ms"] + o["backward_ms"]
            cells += [f"{ot:.2f} ({o['forward_ms']:.2f}+{o['backward_ms']:.2f})", mib(o["peak_bytes"])]
        else:
            ot = None
            cells += ["-", "-"]
        for p in names:
            r = peers.get(key + (p,))
            if r is None:
                cells += ["-", "-", "-", "-"]
            elif "error" in r:
                cells += [r["error"], "-", "-", "-"]
            else:
                pt = r["forward_ms"] + r["backward_ms"]
                cells += [f"{pt:.2f} ({r['forward_ms']:.2f}+{r['backward_ms']:.2f})",
                          f"{pt / ot:.2f}x" if ot else "-", mib(r["peak_bytes"]),
                          f"{r['peak_bytes'] / o['peak_bytes']:.2f}x" if o else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    device = next((r.get("device") for r in peers.values() if r.get("device")), None) \
        or next((o["name"] for o in ours.values()), "?")
    text = "\n".join([
        f"# FastWeights vs PyTorch on {device}",
        "",
        "Time: median wall time of one forward plus one backward (forward+backward in brackets), ms, each phase "
        "ended by a device synchronisation. Memory: ours is the workspace plus the buffers `time` allocates "
        "(parameters, gradients, x, dx, y, dy, hT, AT); PyTorch's is torch.cuda.max_memory_allocated over one "
        "forward and backward, with the same tensors resident. Ratios above 1 mean ours is faster or smaller.",
        "",
        *lines,
        "",
    ])
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("time", help="time the PyTorch peers over a grid")
    t.add_argument("--shape", action="append", required=True, help="B,T,I,H,S (repeatable)")
    t.add_argument("--decay", type=float, default=0.95)
    t.add_argument("--modes", default="eager,compile", help="comma list of eager, compile")
    t.add_argument("--compile-scope", choices=["step", "layer"], default="step",
                   help="compile one time step (default) or the whole unrolled layer (compile time grows with T)")
    t.add_argument("--repeat", type=int, default=5)
    t.add_argument("--warmup", type=int, default=2)
    t.add_argument("--out", required=True, help="JSON lines are appended here")
    t.set_defaults(func=cmd_time)

    c = sub.add_parser("check", help="float64 check of `FastWeights.Bench layer`")
    c.add_argument("--bench", required=True, help="path of the published FastWeights.Bench binary")
    c.add_argument("--schedules", default="group,thread")
    c.add_argument("--accelerator", default="cuda", choices=["cuda", "cpu"])
    c.set_defaults(func=cmd_check)

    r = sub.add_parser("report", help="one markdown table: ours vs the peers")
    r.add_argument("--ours", required=True, help="stdout of `FastWeights.Bench time` runs")
    r.add_argument("--torch", required=True, help="JSON lines of `torch_peer.py time`")
    r.add_argument("--out", required=True)
    r.set_defaults(func=cmd_report)

    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

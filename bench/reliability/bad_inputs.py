#!/usr/bin/env python3
"""Feeds the CLI bad inputs by category and checks that each is rejected cleanly (docs/reliability.md):
exit code 1, stderr exactly one line `COMMAND: error: …` with no stack trace or exception type, stdout
without a result, and no output file or folder left behind (run folders and checkpoints unchanged).

Usage: python3 bench/reliability/bad_inputs.py [path/to/FastWeights.Bench.dll]
(default: the Release build, else the Debug build). Standard library only."""
import json, os, shutil, struct, subprocess, sys, tempfile, hashlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DLL = sys.argv[1] if len(sys.argv) > 1 else next(
    p for p in (os.path.join(ROOT, f"FastWeights.Bench/bin/{c}/net10.0/FastWeights.Bench.dll") for c in ("Release", "Debug")) if os.path.exists(p))
TMP = tempfile.mkdtemp(prefix="fw-bad-inputs-")
TINY_OPTIONS = {"--hidden": "8", "--batch": "16", "--train-size": "800", "--val-size": "100", "--test-size": "100", "--eval-every": "5", "--accelerator": "cpu"}
def tiny(*overrides):
    """The tiny run's options with some replaced: tiny("--hidden", "12")."""
    o = dict(TINY_OPTIONS); o.update(dict(zip(overrides[::2], overrides[1::2])))
    return [x for kv in o.items() for x in kv]
TINY = tiny()

def run(args, timeout=120):
    p = subprocess.run(["dotnet", DLL, *args], capture_output=True, text=True, timeout=timeout, cwd=TMP)
    return p.returncode, p.stdout, p.stderr

def tree(path):
    """Names and contents' hashes of everything under path (None if it does not exist)."""
    if not os.path.exists(path): return None
    if os.path.isfile(path): return hashlib.sha256(open(path, "rb").read()).hexdigest()
    out = {}
    for d, _, files in os.walk(path):
        for f in files:
            full = os.path.join(d, f)
            out[os.path.relpath(full, path)] = hashlib.sha256(open(full, "rb").read()).hexdigest()
    return out

results = {}  # category -> list of (name, ok, detail)

def expect(category, name, args, command, watch=(), fragment=None):
    before = {w: tree(w) for w in watch}
    code, out, err = run(args)
    lines = [l for l in err.splitlines() if l.strip()]
    problems = []
    if code != 1: problems.append(f"exit {code}")
    if len(lines) != 1: problems.append(f"{len(lines)} stderr lines")
    elif not lines[0].startswith(f"{command}: error: "): problems.append("not 'COMMAND: error:'")
    if "Exception" in err or "   at " in err: problems.append("stack trace / exception type")
    if fragment and fragment not in err: problems.append(f"message lacks '{fragment}'")
    for w in watch:
        if tree(w) != before[w]: problems.append(f"{w} changed")
    results.setdefault(category, []).append((name, not problems, "; ".join(problems) or (lines[0] if lines else "")))

def safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, (shape, values) in tensors.items():
        data = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data); offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f: f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

def n(count, v=0.1): return [v * (1 + (i % 3)) for i in range(count)]

# --- 1. command-line parsing (System.CommandLine's own errors) ---
P = "parse errors"
expect(P, "int option given text", ["retrieval", "--hidden", "abc"], "retrieval")
expect(P, "double option given text", ["retrieval", "--lr", "fast"], "retrieval")
expect(P, "long option given text", ["retrieval", "--steps", "1e3"], "retrieval")
expect(P, "unknown option", ["retrieval", "train", "--hiden", "8"], "retrieval")
expect(P, "option without value", ["retrieval", "--hidden"], "retrieval")
expect(P, "unknown command", ["retreival"], "FastWeights.Bench")
expect(P, "missing required options", ["layer"], "layer")
expect(P, "value outside the allowed list", ["layer", "--case", "a", "--out", "b", "--kind", "lstm"], "layer")
expect(P, "int overflow", ["retrieval", "--hidden", "99999999999"], "retrieval")
expect(P, "eval without --checkpoint", ["retrieval", "eval"], "retrieval")

# --- 2. retrieval option values: rejected before the run folder is made ---
V = "retrieval option values"
for name, extra, frag in [
    ("--val-size 0", ["--val-size", "0"], "--val-size"), ("--test-size 0", ["--test-size", "0"], "--test-size"),
    ("--train-size below a batch", ["--train-size", "8"], "--train-size"), ("--train-size 2e9 (host memory)", ["--train-size", "2000000000"], "bytes"),
    ("--pairs 0", ["--pairs", "0"], "--pairs"), ("--pairs 27", ["--pairs", "27"], "--pairs"), ("--lr -1", ["--lr", "-1"], "LearningRate"),
    ("--lr NaN", ["--lr", "NaN"], "LearningRate"), ("--steps 0", ["--steps", "0"], "--steps"), ("--eval-every 0", ["--eval-every", "0"], "--eval-every"),
    ("--target-accuracy 1.5", ["--target-accuracy", "1.5"], "--target-accuracy"), ("--time-budget soon", ["--time-budget", "soon"], "--time-budget"),
    ("--model lstm", ["--model", "lstm"], "--model"), ("--layers 0", ["--layers", "0"], None), ("--heads 3 (dpfp, R=8)", ["--model", "dpfp-sum", "--heads", "3"], "Heads"),
    ("--feature-map dpfp9", ["--feature-map", "dpfp9"], "--feature-map"), ("--lr-decay sometimes", ["--lr-decay", "sometimes"], "--lr-decay"),
    ("--weight-decay -1", ["--weight-decay", "-1"], "WeightDecay"), ("--batch 0", ["--batch", "0"], "BatchSize"),
    ("--hidden 0", ["--hidden", "0"], None), ("--decay 2", ["--decay", "2"], None), ("--accelerator tpu", ["--accelerator", "tpu"], None),
]:
    out = os.path.join(TMP, "never-" + str(len(results.get(V, []))))
    expect(V, name, ["retrieval", "--out", out, *tiny(*extra)], "retrieval", watch=[out], fragment=frag)

# --- 3. damaged checkpoints and metrics on resume and eval ---
C = "damaged checkpoints"
good = os.path.join(TMP, "good"); other = os.path.join(TMP, "other")
assert run(["retrieval", "--out", good, "--steps", "5", *TINY])[0] == 0
assert run(["retrieval", "--out", other, "--steps", "5", *tiny("--hidden", "12")])[0] == 0
assert run(["retrieval", "--out", other + "-same", "--steps", "5", *TINY])[0] == 0
ck = os.path.join(good, "checkpoint"); model = os.path.join(ck, "model.safetensors"); opt = os.path.join(ck, "optimizer.safetensors")
pristine = {p: open(p, "rb").read() for p in (model, opt, os.path.join(good, "metrics.csv"))}
def damage(name, fn, commands=("resume", "eval")):
    for p, b in pristine.items(): open(p, "wb").write(b)
    if os.path.isdir(ck + ".prev"): shutil.rmtree(ck + ".prev")
    fn()
    if "resume" in commands: expect(C, name + " (resume)", ["retrieval", "--resume", good], "retrieval", watch=[ck])
    if "eval" in commands: expect(C, name + " (eval)", ["retrieval", "eval", "--checkpoint", good, "--accelerator", "cpu"], "retrieval")
def flip(path, where):
    b = bytearray(open(path, "rb").read()); b[int(where * (len(b) - 1))] ^= 0x10; open(path, "wb").write(bytes(b))
damage("optimizer missing", lambda: os.remove(opt), ("resume",))
damage("model missing", lambda: os.remove(model))
damage("optimizer truncated", lambda: open(opt, "wb").write(pristine[opt][: len(pristine[opt]) // 2]), ("resume",))
damage("model truncated", lambda: open(model, "wb").write(pristine[model][:100]))
damage("bit flipped in model data", lambda: flip(model, 0.9))
damage("bit flipped in model header", lambda: flip(model, 0.01))
damage("bit flipped in optimizer data", lambda: flip(opt, 0.7), ("resume",))
damage("optimizer of another run (same shapes)", lambda: shutil.copy(os.path.join(other + "-same", "checkpoint", "optimizer.safetensors"), opt), ("resume",))
damage("model of another --hidden", lambda: shutil.copy(os.path.join(other, "checkpoint", "model.safetensors"), model))
damage("model and optimizer swapped", lambda: (open(model, "wb").write(pristine[opt]), open(opt, "wb").write(pristine[model])))
damage("empty model file", lambda: open(model, "wb").close())
damage("metrics.csv with a short row", lambda: open(os.path.join(good, "metrics.csv"), "a").write("8,1,2\n"), ("resume",))
damage("metrics.csv not a metrics log", lambda: open(os.path.join(good, "metrics.csv"), "w").write("hello\nworld\n"), ("resume",))
for p, b in pristine.items(): open(p, "wb").write(b)
expect(C, "folder without a checkpoint (resume)", ["retrieval", "--resume", os.path.join(TMP, "nothing")], "retrieval")
expect(C, "folder without a checkpoint (eval)", ["retrieval", "eval", "--checkpoint", os.path.join(TMP, "nothing"), "--accelerator", "cpu"], "retrieval")

# --- 4. resume with options that contradict the checkpoint ---
R = "resume contradictions"
for flag, value in [("--hidden", "16"), ("--layers", "2"), ("--lr", "0.1"), ("--train-size", "100000"), ("--lr-decay", "cosine"),
                    ("--clip", "1"), ("--seed", "7"), ("--model", "control"), ("--out", os.path.join(TMP, "elsewhere"))]:
    expect(R, f"{flag} {value}", ["retrieval", "--resume", good, flag, value], "retrieval", watch=[good], fragment=flag)
cos = os.path.join(TMP, "cosine")
assert run(["retrieval", "--out", cos, "--steps", "5", "--lr-decay", "cosine", *TINY])[0] == 0
expect(R, "--steps beyond a cosine schedule", ["retrieval", "--resume", cos, "--steps", "10"], "retrieval", watch=[cos], fragment="cannot be extended")

# --- 5. run folders ---
F = "run folders"
expect(F, "fresh run into a folder holding a run", ["retrieval", "--out", good, "--steps", "5", *TINY], "retrieval", watch=[good], fragment="already holds a run")
locked = os.path.join(TMP, "locked"); os.makedirs(locked)
# The holder: a second `retrieval` training in the folder.
busy = subprocess.Popen(["dotnet", DLL, "retrieval", "--out", os.path.join(TMP, "busy"), "--steps", "100000", "--target-accuracy", "none", *TINY],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=TMP)
import time
while not os.path.exists(os.path.join(TMP, "busy", "checkpoint", "optimizer.safetensors")): time.sleep(0.05)
expect(F, "resume of a run another process is training", ["retrieval", "--resume", os.path.join(TMP, "busy")], "retrieval", fragment="another run")
busy.kill(); busy.wait()
expect(F, "rejected compare leaves no folder", ["retrieval", "compare", "--out", os.path.join(TMP, "cmp"), "--val-size", "0"], "retrieval",
       watch=[os.path.join(TMP, "cmp")])
dv = os.path.join(TMP, "diverge")
expect(F, "divergence (--lr 1e30) keeps the step-0 checkpoint", ["retrieval", "--out", dv, "--lr", "1e30", "--steps", "50", *TINY], "retrieval",
       fragment="last good checkpoint (step 0)")

# --- 6. layer case files ---
L = "layer inputs"
rnn = {"x": ([1, 2, 2], n(4)), "h0": ([1, 2], n(2)), "A0": ([1, 2, 2], n(4)), "W": ([2, 2], n(4)), "C": ([2, 2], n(4)), "b": ([2], n(2)),
       "ln_gain": ([2], [1, 1]), "ln_bias": ([2], [0, 0]), "dy": ([1, 2, 2], n(4))}
rmeta = {"decay": "0.9", "fast_lr": "0.5", "inner_steps": "1", "ln_eps": "1e-5", "activation": "tanh"}
dp = {"q": ([1, 2, 1, 2], n(4)), "k": ([1, 2, 1, 2], n(4)), "v": ([1, 2, 1, 2], n(4)), "beta": ([1, 2, 1], n(2)), "dy": ([1, 2, 1, 2], n(4))}
dmeta = {"feature_map": "dpfp1", "rule": "delta", "normalize": "true"}
def case(name, tensors, meta):
    p = os.path.join(TMP, name + ".safetensors"); safetensors(p, tensors, meta); return p
ok_rnn, ok_dp = case("rnn", rnn, rmeta), case("dpfp", dp, dmeta)
assert run(["layer", "--case", ok_rnn, "--out", os.path.join(TMP, "ok.out"), "--accelerator", "cpu"])[0] == 0
assert run(["layer", "--kind", "dpfp", "--case", ok_dp, "--out", os.path.join(TMP, "ok2.out"), "--accelerator", "cpu"])[0] == 0
fifo = os.path.join(TMP, "fifo"); os.mkfifo(fifo)
def layer(name, path, kind="rnn", frag=None, out=None):
    out = out or os.path.join(TMP, "out-" + name.replace(" ", "_") + ".safetensors")
    expect(L, name, ["layer", "--kind", kind, "--case", path, "--out", out, "--accelerator", "cpu"], "layer", watch=[out] + ([path] if os.path.isfile(path) else []), fragment=frag)
layer("named pipe as --case", fifo, frag="not a regular file")
layer("/dev/zero as --case", "/dev/zero", frag="not a regular file")
layer("folder as --case", TMP, frag="folder")
layer("missing --case", os.path.join(TMP, "missing"), frag="not found")
layer("--out equal to --case", ok_rnn, out=ok_rnn, frag="--case file itself")
layer("rnn: NaN in x", case("nan_x", {**rnn, "x": ([1, 2, 2], [float("nan")] + n(3))}, rmeta))
layer("rnn: unknown tensor", case("extra_rnn", {**rnn, "x_typo": ([1], [0.0])}, rmeta), frag="not an input")
layer("rnn: missing tensor", case("miss_rnn", {k: v for k, v in rnn.items() if k != "C"}, rmeta), frag="'C'")
layer("rnn: wrong shape", case("shape_rnn", {**rnn, "b": ([3], n(3))}, rmeta), frag="'b'")
layer("rnn: decay 0", case("decay_rnn", rnn, {**rmeta, "decay": "0"}), frag="decay")
layer("dpfp: NaN in q", case("nan_q", {**dp, "q": ([1, 2, 1, 2], [0.1, float("nan"), 0.2, 0.3])}, dmeta), "dpfp", frag="'q' holds NaN")
layer("dpfp: Inf in beta", case("inf_beta", {**dp, "beta": ([1, 2, 1], [float("inf"), 0.1])}, dmeta), "dpfp", frag="'beta'")
layer("dpfp: unknown tensor", case("extra_dp", {**dp, "qq": ([1], [0.0])}, dmeta), "dpfp", frag="not an input")
layer("dpfp: beta with the sum rule", case("sum_beta", dp, {**dmeta, "rule": "sum"}), "dpfp", frag="'beta'")
layer("truncated case file", (lambda p: (open(p, "wb").write(open(ok_rnn, "rb").read()[:50]), p)[1])(os.path.join(TMP, "trunc.safetensors")))

# --- 7. sizes that cannot fit ---
S = "sizes"
expect(S, "time --inner 2147483647", ["time", "--batch", "1", "--time", "2", "--input", "2", "--hidden", "2", "--inner", "2147483647", "--accelerator", "cpu"], "time", fragment="bytes")
expect(S, "time --hidden 1000000", ["time", "--batch", "1", "--time", "2", "--input", "2", "--hidden", "1000000", "--accelerator", "cpu"], "time")
expect(S, "retrieval --hidden 46000 --layers 64 (lstm-ln)", ["retrieval", "--out", os.path.join(TMP, "huge"), *tiny("--hidden", "46000", "--layers", "64", "--model", "lstm-ln")],
       "retrieval", watch=[os.path.join(TMP, "huge")], fragment="bytes")
expect(S, "time B·T·H over 2^31", ["time", "--batch", "100000", "--time", "100000", "--input", "2", "--hidden", "2", "--accelerator", "cpu"], "time")

total = ok = 0
for category, rows in results.items():
    good_rows = sum(1 for _, passed, _ in rows if passed)
    total += len(rows); ok += good_rows
    print(f"{category}: {good_rows}/{len(rows)} rejected cleanly")
    for name, passed, detail in rows:
        print(f"  {'ok ' if passed else 'BAD'} {name}: {detail}")
print(f"total: {ok}/{total} rejected cleanly")
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(0 if ok == total else 1)

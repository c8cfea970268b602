#!/usr/bin/env python3
"""The main job in PyTorch: the associative-retrieval model of `FastWeights.Bench retrieval`, trained the same way.

Same as the C# main job (docs/retrieval.md, docs/model.md, FastWeights.Model, FastWeights.Bench/Retrieval):
  task     K = 4 letter-digit pairs (letters a-z without replacement, digits 0-9 with replacement), `??`, a query
           letter chosen uniformly among the K; target: its digit. Token ids a-z 0..25, 0-9 26..35, ? 36; 11 tokens.
  data     100 000 / 10 000 / 20 000 examples drawn from one seeded generator in the order test, validation, train,
           a draw whose token sequence was already produced (in any split) drawn again: no sequence twice.
           Same rules and sizes as RetrievalDataset, but Python's random.Random, not .NET's System.Random: the
           examples are not bit-identical to the C# ones, only drawn from the same distribution.
  model    embedding 37 -> 100 (uniform +-1) -> fast-weight RNN layer R = 50, S = 1, lambda = 0.95, eta = 0.5, tanh,
           layer norm (W = 0.05 I; C, b uniform +-1/sqrt(100); gain 1, shift 0), zero initial state -> last step ->
           dense 50 -> 100 ReLU -> dense 100 -> 10 (weights and biases uniform +-1/sqrt(fan_in)) -> softmax
           cross-entropy, mean over the batch. The layer is bench/cpu/fw_layer.py's (eager or scripted).
  training batch 128; each epoch a fresh permutation (seeded by seed and epoch), the last partial batch dropped;
           Adam with bias correction (lr 1e-3, betas 0.9/0.999, eps 1e-8, no weight decay); global gradient-norm
           clipping at 5 (scale min(1, 5/(norm + 1e-6)), as GradientNorm.ClipScale); learning rate constant after a
           linear warm-up of --warmup steps (default 0, as `retrieval`); validation every 500 steps on the whole
           validation split in batches of 128; stop at --steps or, with --target-accuracy, at the first validation
           that reaches it.
Output, in --out DIR (the same layout as the C# run folder where it matters):
  metrics.csv   the C# header (step,elapsed_s,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,
                grad_norm,steps_per_s), a row every 50 steps and at every validation; elapsed_s counts from the start
                of main(), before the data are generated (as TrainRun's stopwatch, which starts before its data).
  checkpoint.pt model and Adam state, written at every validation (the C# run writes a checkpoint there too).
  summary.json  steps, the step and elapsed_s at which the target was reached, the final validation and test
                accuracy (the test split evaluated once, at the end, on the model of the last step).
stdout: `step N: validation loss L, accuracy A% (S s)` at each validation and a final summary line.

  /usr/bin/python3 bench/cpu/retrieval_peer.py --target-accuracy 0.95 --out runs/torch-main-job
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

from fw_layer import check_scripted_matches_eager, layer_function

LETTERS, DIGITS, FIRST_DIGIT, QUERY_MARK, VOCABULARY = 26, 10, 26, 36, 37
REPORT_EVERY = 50  # metrics rows, as TrainRun


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------

def sample_example(rng, pairs):
    """One example: (tokens tuple of length 2K+3, target digit 0..9)."""
    letters = rng.sample(range(LETTERS), pairs)
    digits = [rng.randrange(DIGITS) for _ in range(pairs)]
    query = rng.randrange(pairs)
    tokens = []
    for letter, digit in zip(letters, digits):
        tokens += [letter, FIRST_DIGIT + digit]
    tokens += [QUERY_MARK, QUERY_MARK, letters[query]]
    return tuple(tokens), digits[query]


def make_splits(pairs, train, validation, test, seed):
    """{'train'|'validation'|'test': (tokens LongTensor [n, 2K+3], targets LongTensor [n])}, disjoint."""
    distinct = math.perm(LETTERS, pairs) * DIGITS ** pairs * pairs  # ordered letters, digits, query position
    if train + validation + test > distinct:
        sys.exit(f"retrieval_peer: error: {train + validation + test} distinct sequences requested but only "
                 f"{distinct} exist with {pairs} pair(s)")
    rng = random.Random(seed)
    seen = set()

    def split(count):
        rows, targets = [], []
        while len(rows) < count:
            tokens, target = sample_example(rng, pairs)
            if tokens in seen:
                continue
            seen.add(tokens)
            rows.append(tokens)
            targets.append(target)
        return torch.tensor(rows, dtype=torch.long).reshape(count, 2 * pairs + 3), torch.tensor(targets, dtype=torch.long)

    test_split = split(test)
    validation_split = split(validation)
    return {"train": split(train), "validation": validation_split, "test": test_split}


# ---------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------

class RetrievalModel:
    """Parameters named as the C# checkpoint's, and the forward pass to logits."""

    def __init__(self, hidden, inner_steps, decay, fast_lr, variant, seed, embedding=100, dense=100):
        gen = torch.Generator().manual_seed(seed)

        def uniform(*shape, bound):
            return ((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound).float()

        self.hidden = hidden
        self.p = {
            "embedding.weight": uniform(VOCABULARY, embedding, bound=1.0),
            "recurrent.W": 0.05 * torch.eye(hidden),
            "recurrent.C": uniform(hidden, embedding, bound=embedding ** -0.5),
            "recurrent.b": uniform(hidden, bound=embedding ** -0.5),
            "recurrent.ln_gain": torch.ones(hidden),
            "recurrent.ln_bias": torch.zeros(hidden),
            "hidden.weight": uniform(dense, hidden, bound=hidden ** -0.5),
            "hidden.bias": uniform(dense, bound=hidden ** -0.5),
            "output.weight": uniform(DIGITS, dense, bound=dense ** -0.5),
            "output.bias": uniform(DIGITS, bound=dense ** -0.5),
        }
        for t in self.p.values():
            t.requires_grad_(True)
        self.layer = layer_function(variant, hidden, inner_steps, decay, fast_lr)

    def parameters(self):
        return list(self.p.values())

    def logits(self, tokens):
        p, n, H = self.p, tokens.shape[0], self.hidden
        x = F.embedding(tokens, p["embedding.weight"])                       # [n, T, 100]
        y, _, _ = self.layer(x, p["recurrent.W"], p["recurrent.C"], p["recurrent.b"], p["recurrent.ln_gain"],
                             p["recurrent.ln_bias"], torch.zeros(n, H), torch.zeros(n, H, H))
        d = torch.relu(F.linear(y[:, -1], p["hidden.weight"], p["hidden.bias"]))
        return F.linear(d, p["output.weight"], p["output.bias"])


def evaluate(model, split, batch):
    """(mean loss, accuracy) over the whole split, in stored order, batches of `batch`."""
    tokens, targets = split
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, tokens.shape[0], batch):
            z = model.logits(tokens[s:s + batch])
            t = targets[s:s + batch]
            loss += float(F.cross_entropy(z, t, reduction="sum"))
            correct += int((z.argmax(1) == t).sum())
    return loss / tokens.shape[0], correct / tokens.shape[0]


# ---------------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------------

def main():
    start = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=["eager", "script"], default="script",
                    help="the layer: eager autograd or torch.jit.script of the whole layer (default script)")
    ap.add_argument("--hidden", type=int, default=50)
    ap.add_argument("--inner", type=int, default=1)
    ap.add_argument("--decay", type=float, default=0.95)
    ap.add_argument("--fast-lr", type=float, default=0.5)
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=0, help="linear warm-up steps (default 0, as `retrieval`)")
    ap.add_argument("--clip", type=float, default=5.0, help="global gradient-norm clip (<= 0: off)")
    ap.add_argument("--steps", type=int, default=20_000, help="step cap")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval-batch", type=int, default=128, help="validation/test batch (default 128, as the C# trainer)")
    ap.add_argument("--target-accuracy", type=float, default=None, help="stop at the first validation reaching this")
    ap.add_argument("--seed", type=int, default=1, help="weights and data order")
    ap.add_argument("--data-seed", type=int, default=1)
    ap.add_argument("--train-size", type=int, default=100_000)
    ap.add_argument("--val-size", type=int, default=10_000)
    ap.add_argument("--test-size", type=int, default=20_000)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--out", required=True, help="run folder (created)")
    args = ap.parse_args()
    if not 1 <= args.pairs <= LETTERS:
        sys.exit(f"retrieval_peer: error: --pairs must be in 1..{LETTERS}, got {args.pairs}")
    for name in ("batch", "steps", "eval_every", "eval_batch", "threads", "hidden", "inner"):
        if getattr(args, name) < 1:
            sys.exit(f"retrieval_peer: error: --{name.replace('_', '-')} must be >= 1")
    if args.train_size < args.batch:
        sys.exit(f"retrieval_peer: error: --train-size {args.train_size} is smaller than one batch ({args.batch})")
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    if args.variant == "script":  # the scripted layer must compute what the eager one does
        check_scripted_matches_eager(4, 2 * args.pairs + 3, 100, args.hidden, args.inner, args.decay, args.fast_lr)
    data = make_splits(args.pairs, args.train_size, args.val_size, args.test_size, args.data_seed)
    model = RetrievalModel(args.hidden, args.inner, args.decay, args.fast_lr, args.variant, args.seed)
    params = model.parameters()
    opt = torch.optim.Adam(params, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    train_tokens, train_targets = data["train"]
    per_epoch = train_tokens.shape[0] // args.batch
    print(f"retrieval_peer: fw R={args.hidden} S={args.inner} λ={args.decay} η={args.fast_lr} K={args.pairs}, "
          f"PyTorch {torch.__version__} {args.variant}, {args.threads} threads; batch {args.batch}, lr {args.lr}; "
          f"data {train_tokens.shape[0]}/{data['validation'][0].shape[0]}/{data['test'][0].shape[0]}; "
          f"run folder {args.out}", flush=True)

    metrics = open(os.path.join(args.out, "metrics.csv"), "w")
    metrics.write("step,elapsed_s,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,grad_norm,steps_per_s\n")
    step, order, reached = 0, None, None
    loss_sum = acc_sum = 0.0
    count = 0
    window_start, window_step = time.perf_counter(), 0
    val_loss = val_acc = float("nan")
    while step < args.steps:
        epoch, position = divmod(step, per_epoch)
        if order is None or position == 0:
            order = torch.randperm(train_tokens.shape[0],
                                   generator=torch.Generator().manual_seed(args.seed * 1_000_003 + epoch * 7_919 + 17))
        idx = order[position * args.batch:(position + 1) * args.batch]
        tokens, targets = train_tokens[idx], train_targets[idx]

        logits = model.logits(tokens)
        loss = F.cross_entropy(logits, targets)
        for p in params:
            p.grad = None
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(params, args.clip if args.clip > 0 else math.inf))
        if not math.isfinite(norm):
            sys.exit(f"retrieval_peer: error: the gradient norm is {norm} at step {step + 1}: training diverged")
        lr = args.lr * step / args.warmup if step < args.warmup else args.lr
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        step += 1
        loss_sum += float(loss)
        acc_sum += float((logits.detach().argmax(1) == targets).float().mean())
        count += 1

        evaluating = step % args.eval_every == 0
        if step % REPORT_EVERY == 0 or evaluating or step == args.steps:
            now = time.perf_counter()
            rate = (step - window_step) / max(now - window_start, 1e-9)
            row_val = ("", "")
            if evaluating:
                val_loss, val_acc = evaluate(model, data["validation"], args.eval_batch)
                torch.save({"model": {k: v.detach() for k, v in model.p.items()}, "adam": opt.state_dict(),
                            "step": step}, os.path.join(args.out, "checkpoint.pt"))
                row_val = (repr(val_loss), repr(val_acc))
            elapsed = time.perf_counter() - start
            metrics.write(",".join([str(step), repr(elapsed), repr(loss_sum / count), repr(acc_sum / count), *row_val,
                                    repr(lr), repr(norm), repr(rate)]) + "\n")
            metrics.flush()
            if evaluating:
                print(f"step {step}: validation loss {val_loss:.4f}, accuracy {val_acc * 100:.2f}% ({elapsed:.0f} s)",
                      flush=True)
            loss_sum = acc_sum = 0.0
            count = 0
            window_start, window_step = time.perf_counter(), step
            if evaluating and args.target_accuracy is not None and val_acc >= args.target_accuracy:
                reached = {"step": step, "elapsed_s": elapsed, "val_accuracy": val_acc}
                print(f"validation accuracy {val_acc * 100:.2f}% reached the target "
                      f"{args.target_accuracy * 100:.1f}%: stopping.", flush=True)
                break
    metrics.close()

    if step % args.eval_every != 0:  # the last step was not validated
        val_loss, val_acc = evaluate(model, data["validation"], args.eval_batch)
    test_loss, test_acc = evaluate(model, data["test"], args.eval_batch)
    wall = time.perf_counter() - start
    summary = {"steps": step, "reached": reached, "target_accuracy": args.target_accuracy,
               "val_accuracy": val_acc, "test_accuracy": test_acc, "test_loss": test_loss, "wall_s": wall,
               "variant": args.variant, "torch": torch.__version__, "threads": args.threads, "seed": args.seed,
               "data_seed": args.data_seed}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"validation accuracy {val_acc * 100:.2f}%  test accuracy {test_acc * 100:.2f}%  (loss {test_loss:.4f})  "
          f"after {step} steps, wall time {wall:.0f} s", flush=True)


if __name__ == "__main__":
    main()

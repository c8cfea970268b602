"""The fast-weight RNN layer in PyTorch, in the two forms the CPU peer runs.

- eager:    `make_step` / `run_layer` of bench/gpu/torch_peer.py, imported from there (one definition of the
            eager layer in the repository): a Python loop over t and the inner steps, plain autograd.
- scripted: `scripted_layer` below, the same arithmetic as one `torch.jit.script` function (the whole layer,
            loop over t included), so the loop runs in the TorchScript interpreter instead of Python.
            torch 1.13 (Debian's python3-torch) has no torch.compile, so this is PyTorch's best CPU variant here.

Math (docs/design.md, shared/notes layer-math): per time step z = W h + C x_t + b, h_0 = tanh(z),
h_{s+1} = tanh(LN(z + A h_s)) for s < S, h = h_S, A <- lambda A + eta h h^T. Layer norm with gain g, shift beta,
epsilon 1e-5, biased variance (torch's layer_norm).

`check_scripted_matches_eager` runs both on the same inputs and compares outputs and gradients; the drivers call
it before timing or training so that a drift between the two forms cannot go unnoticed.
"""
import os
import sys
from typing import List, Tuple

import torch
import torch.nn.functional as F

_GPU_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "gpu")
sys.path.insert(0, os.path.normpath(_GPU_DIR))
from torch_peer import make_step, run_layer  # noqa: E402  (the eager layer, shared with the GPU peer)

LN_EPS = 1e-5


@torch.jit.script
def scripted_layer(x: torch.Tensor, W: torch.Tensor, C: torch.Tensor, b: torch.Tensor, g: torch.Tensor,
                   beta: torch.Tensor, h0: torch.Tensor, A0: torch.Tensor, inner_steps: int, decay: float,
                   fast_lr: float, eps: float) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x [B,T,I] -> y [B,T,H], hT [B,H], AT [B,H,H]; tanh; the same steps as torch_peer.make_step."""
    hidden = W.shape[0]
    u = x @ C.t() + b                                          # C x_t + b for every t at once
    h = h0
    A = A0
    ys: List[torch.Tensor] = []
    for t in range(x.shape[1]):
        z = h @ W.t() + u[:, t]
        hs = torch.tanh(z)
        for _ in range(inner_steps):
            v = z + torch.bmm(A, hs.unsqueeze(-1)).squeeze(-1)
            hs = torch.tanh(F.layer_norm(v, [hidden], g, beta, eps))
        A = decay * A + fast_lr * hs.unsqueeze(2) * hs.unsqueeze(1)
        h = hs
        ys.append(h)
    return torch.stack(ys, 1), h, A


def layer_function(variant, hidden, inner_steps, decay, fast_lr):
    """A callable (x, W, C, b, g, beta, h0, A0) -> (y, hT, AT) for variant 'eager' or 'script'."""
    if variant == "eager":
        step = make_step(hidden, inner_steps, decay, fast_lr, LN_EPS, "tanh")
        return lambda x, W, C, b, g, beta, h0, A0: run_layer(step, x, W, C, b, g, beta, h0, A0)
    if variant == "script":
        return lambda x, W, C, b, g, beta, h0, A0: scripted_layer(
            x, W, C, b, g, beta, h0, A0, inner_steps, decay, fast_lr, LN_EPS)
    raise ValueError(f"unknown layer variant '{variant}' (eager | script)")


def check_scripted_matches_eager(B, T, I, H, S, decay, fast_lr, runs=3):
    """Raises if the scripted layer's y or any gradient differs from eager's by more than float32 rounding.

    Both run on the same random float32 inputs from a zero state; the scripted one `runs` times, because the
    profiling executor optimises the graph after the first calls and the optimised graph is the one timed.
    Tolerance: 1e-4 relative L2 (the two forms may order float32 sums differently; measured ~1e-7).
    """
    gen = torch.Generator().manual_seed(7)
    x = torch.rand(B, T, I, generator=gen) * 2 - 1
    params = [(torch.rand(H, H, generator=gen) * 2 - 1) / H ** 0.5, (torch.rand(H, I, generator=gen) * 2 - 1) / I ** 0.5,
              (torch.rand(H, generator=gen) * 2 - 1) * 0.1, 1 + (torch.rand(H, generator=gen) * 2 - 1) * 0.1,
              (torch.rand(H, generator=gen) * 2 - 1) * 0.1]
    dy = torch.rand(B, T, H, generator=gen) * 2 - 1
    h0, A0 = torch.zeros(B, H), torch.zeros(B, H, H)

    def run(variant):
        leaves = [t.clone().requires_grad_(True) for t in [x] + params]
        y, _, _ = layer_function(variant, H, S, decay, fast_lr)(*leaves, h0, A0)
        y.backward(dy)
        return [y.detach()] + [t.grad for t in leaves]

    expected = run("eager")
    names = ["y", "dx", "dW", "dC", "db", "dg", "dbeta"]
    for _ in range(runs):
        actual = run("script")
        for name, a, e in zip(names, actual, expected):
            err = float((a - e).norm() / e.norm().clamp_min(1e-30))
            if not err <= 1e-4:
                raise RuntimeError(f"scripted layer differs from eager at B={B} T={T} I={I} H={H} S={S}: "
                                   f"{name} relative L2 {err:.2e} > 1e-4")

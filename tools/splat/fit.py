#!/usr/bin/python3
"""fit.py — a small 3DGS optimiser (issue 23): fits Gaussians to rendered views of a procedural object and writes
them as a 3DGS .ply the engine reads. CPU, PyTorch (Debian python3-torch), no downloads.

The object: a procedural Gaussian scene (default tests/fixtures/splat/ring-sh3.ply, a torus of 300 splats, SH degree
3), rendered by ref_render.py (the independent reference renderer, float64) from VIEWS training views around it and
one held-out view between them. The fit starts from N random Gaussians in the object's bounding box (SH degree 0 or 1)
and optimises positions, log scales, quaternions, opacity logits and SH coefficients with Adam on the mean squared
error of the training views, through ref_render.render (differentiable: the compositing is cumulative products over
pixels x splats). Prints the PSNR of the training and held-out views before and after; writes OUT.ply (the 3DGS
layout: f_dc / f_rest, logit opacity, log scale, rot w x y z).
Usage: fit.py OUT.ply [--scene PLY] [--n 300] [--steps 300] [--size 48x36] [--views 8] [--degree 1] [--seed 0]
Does not: densify or prune (a fixed number of Gaussians), use the GPU, read captured photographs.
"""
import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_render  # noqa: E402
from make_fixtures import write_ply  # noqa: E402

C0 = 0.28209479177387814


def psnr(a, b):
    mse = torch.mean((a - b) ** 2).item()
    return 10 * math.log10(1.0 / mse) if mse > 0 else 200.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--scene", default=os.path.join(os.path.dirname(__file__), "../../tests/fixtures/splat/ring-sh3.ply"))
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--size", default="48x36")
    ap.add_argument("--views", type=int, default=8)
    ap.add_argument("--degree", type=int, default=1, choices=[0, 1])
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    W, H = map(int, a.size.split("x"))
    torch.manual_seed(a.seed)
    gt = ref_render.load(a.scene)
    target = gt[0].mean(0).tolist()
    radius = 3.0 * (gt[0] - gt[0].mean(0)).norm(dim=1).max().item()
    train = [(360.0 * k / a.views, 25.0 if k % 2 else -10.0, radius, 50.0) for k in range(a.views)]
    held = (180.0 / a.views, 8.0, radius, 50.0)  # between the first two training views
    with torch.no_grad():
        want = [ref_render.render(gt, v, target, W, H) for v in train]
        want_held = ref_render.render(gt, held, target, W, H)

    lo, hi = gt[0].min(0).values, gt[0].max(0).values
    n = a.n
    pos = (lo + (hi - lo) * torch.rand(n, 3, dtype=torch.float64)).requires_grad_()
    log_scale = torch.full((n, 3), math.log(0.05 * (hi - lo).max().item()), dtype=torch.float64).requires_grad_()
    quat = torch.randn(n, 4, dtype=torch.float64).requires_grad_()
    logit = torch.zeros(n, dtype=torch.float64).requires_grad_()
    k_sh = 1 if a.degree == 0 else 4
    sh = torch.zeros(n, k_sh, 3, dtype=torch.float64).requires_grad_()

    def scene():
        full = torch.cat([sh, torch.zeros(n, 16 - k_sh, 3, dtype=torch.float64)], 1)
        return pos, torch.exp(log_scale), quat / quat.norm(dim=1, keepdim=True), torch.sigmoid(logit), full, a.degree

    def report(tag):
        with torch.no_grad():
            s = scene()
            tr = sum(psnr(ref_render.render(s, v, target, W, H), w) for v, w in zip(train, want)) / len(train)
            he = psnr(ref_render.render(s, held, target, W, H), want_held)
        print(f"{tag}: training views {tr:.1f} dB (mean), held-out view {he:.1f} dB", flush=True)

    report("start")
    opt = torch.optim.Adam([{"params": [pos], "lr": 0.01}, {"params": [log_scale], "lr": 0.02},
                            {"params": [quat], "lr": 0.02}, {"params": [logit], "lr": 0.05},
                            {"params": [sh], "lr": 0.05}])
    for step in range(a.steps):
        opt.zero_grad()
        s = scene()
        loss = sum(torch.mean((ref_render.render(s, v, target, W, H) - w) ** 2) for v, w in zip(train, want)) / len(train)
        loss.backward()
        opt.step()
        if (step + 1) % 100 == 0:
            print(f"step {step + 1}: loss {loss.item():.5f}", flush=True)
    report("end")
    with torch.no_grad():
        f_rest = sh[:, 1:, :].permute(0, 2, 1).reshape(n, -1)  # channel-major, as 3DGS writes f_rest
        write_ply(a.out, pos.numpy(), log_scale.numpy(), quat.numpy(), logit.numpy(), sh[:, 0, :].numpy(),
                  f_rest.numpy() if a.degree else np.zeros((n, 0)))
    print(f"{a.out}: {n} splats, SH degree {a.degree}; held-out view: az {held[0]:g} el {held[1]:g} radius "
          f"{radius:.4f} fov 50 target {','.join(f'{t:.6f}' for t in target)} at {W}x{H}")


if __name__ == "__main__":
    main()

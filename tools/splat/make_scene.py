#!/usr/bin/python3
"""make_scene.py — a procedural 3DGS .ply of N splats (a torus, SH degree 3, random sizes, rotations, opacities and
colours; fixed seed) for timing and for trying the renderers on larger scenes. No downloads.

Usage: make_scene.py N OUT.ply [--seed S]
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import random_quats, write_ply  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    n = a.n
    u, v = rng.uniform(0, 2 * math.pi, n), rng.uniform(0, 2 * math.pi, n)
    r = 0.35 * np.sqrt(rng.uniform(0, 1, n))
    pos = np.stack([(1 + r * np.cos(v)) * np.cos(u), r * np.sin(v), (1 + r * np.cos(v)) * np.sin(u)], 1)
    size = 0.1 / max(1.0, (n / 1000) ** (1 / 3))  # denser scenes, smaller splats
    write_ply(a.out, pos, np.log(rng.uniform(0.3, 1.0, (n, 3)) * size), random_quats(rng, n),
              rng.uniform(-1.5, 4.0, n), rng.normal(0, 1.0, (n, 3)), rng.normal(0, 0.3, (n, 45)), normals=True)


if __name__ == "__main__":
    main()

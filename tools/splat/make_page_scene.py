#!/usr/bin/python3
"""make_page_scene.py — the small procedural scene bundled with the splat page (web/splat/scene.splat, the 32-byte
.splat layout, SH degree 0; fixed seed, no downloads): a still life on a checkered disc: a torus, a sphere, a
column and a ring of small blobs, 6000 splats (192 KB). Usage: make_page_scene.py [OUT] (default web/splat/scene.splat).
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_splat  # noqa: E402


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../web/splat/scene.splat")
    rng = np.random.default_rng(23)
    parts = []  # (pos [n, 3], scale [n, 3], rgb [n, 3] in 0..1, alpha [n])

    n = 2200  # the floor: a disc of radius 1.6 at y = -0.6, checkered, flat splats
    r, a = 1.6 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0, 2 * math.pi, n)
    x, z = r * np.cos(a), r * np.sin(a)
    check = ((np.floor(x / 0.4) + np.floor(z / 0.4)) % 2)[:, None]
    rgb = check * np.array([0.85, 0.82, 0.75]) + (1 - check) * np.array([0.25, 0.28, 0.32])
    parts.append((np.stack([x, np.full(n, -0.6), z], 1), np.tile([0.05, 0.008, 0.05], (n, 1)), rgb, np.full(n, 0.9)))

    n = 1600  # a torus standing up, red to orange around it
    u, v = rng.uniform(0, 2 * math.pi, n), rng.uniform(0, 2 * math.pi, n)
    pos = np.stack([(0.45 + 0.15 * np.cos(v)) * np.cos(u) - 0.55, (0.45 + 0.15 * np.cos(v)) * np.sin(u),
                    0.15 * np.sin(v) + 0.2], 1)
    t = (np.sin(u) + 1) / 2
    rgb = np.stack([np.full(n, 0.9), 0.15 + 0.5 * t, np.full(n, 0.1)], 1)
    parts.append((pos, np.full((n, 3), 0.035), rgb, np.full(n, 0.85)))

    n = 1400  # a sphere, blue below to white above
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    pos = d * 0.35 + np.array([0.55, -0.2, -0.1])
    t = (d[:, 1:2] + 1) / 2
    rgb = (1 - t) * np.array([0.1, 0.25, 0.8]) + t * np.array([0.9, 0.95, 1.0])
    parts.append((pos, np.full((n, 3), 0.04), rgb, np.full(n, 0.9)))

    n = 600  # a green column
    h, a = rng.uniform(-0.6, 0.5, n), rng.uniform(0, 2 * math.pi, n)
    pos = np.stack([0.12 * np.cos(a) + 0.1, h, 0.12 * np.sin(a) - 0.8], 1)
    rgb = np.stack([np.full(n, 0.15), 0.45 + 0.4 * (h + 0.6) / 1.1, np.full(n, 0.2)], 1)
    parts.append((pos, np.full((n, 3), 0.03), rgb, np.full(n, 0.95)))

    n = 200  # small blobs in a ring, random colours, half transparent
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    pos = np.stack([1.3 * np.cos(a), -0.45 + 0.05 * np.sin(5 * a), 1.3 * np.sin(a)], 1)
    parts.append((pos, rng.uniform(0.02, 0.06, (n, 3)), rng.uniform(0, 1, (n, 3)), np.full(n, 0.5)))

    pos, scale, rgb, alpha = (np.concatenate([p[k] for p in parts]) for k in range(4))
    rgba = np.concatenate([np.clip(np.round(rgb * 255), 0, 255), np.round(alpha[:, None] * 255)], 1).astype(np.uint8)
    m = len(pos)
    quat = np.tile([1.0, 0.0, 0.0, 0.0], (m, 1))
    write_splat(out, pos, scale, rgba, quat)
    print(f"{out}: {m} splats, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""make_fixtures.py — writes the procedural splat fixtures of tests/fixtures/splat (no downloads) and their
reference renders by ref_render.py (the independent PyTorch renderer).

Scenes (fixed seeds): ring-sh3.ply (a torus of 300 splats, SH degree 3, with nx ny nz as 3DGS writes them),
cloud-sh1.ply (200 splats of mixed, some long and thin, sizes around the origin, SH degree 1, so views from inside
put splats behind the camera and at the near plane), blobs.splat (250 splats in the 32-byte layout).
refs.txt: one reference per line, "scene az el radius fov tx ty tz width height bg_r bg_g bg_b file"; each file is
[height, width, 3] float32 little-endian. Usage: make_fixtures.py [OUT_DIR] (default tests/fixtures/splat).
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_render  # noqa: E402


def random_quats(rng, n):
    q = rng.normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True) * rng.uniform(0.5, 2.0, size=(n, 1))  # unnormalised on disk


def write_ply(path, pos, log_scale, quat, logit, f_dc, f_rest, normals=False):
    n = len(pos)
    cols = [("x", pos[:, 0]), ("y", pos[:, 1]), ("z", pos[:, 2])]
    if normals:
        cols += [("nx", np.zeros(n)), ("ny", np.zeros(n)), ("nz", np.zeros(n))]
    cols += [(f"f_dc_{k}", f_dc[:, k]) for k in range(3)]
    cols += [(f"f_rest_{k}", f_rest[:, k]) for k in range(f_rest.shape[1])]
    cols += [("opacity", logit)]
    cols += [(f"scale_{k}", log_scale[:, k]) for k in range(3)]
    cols += [(f"rot_{k}", quat[:, k]) for k in range(4)]
    header = "ply\nformat binary_little_endian 1.0\ncomment sotto tools/splat/make_fixtures.py\n"
    header += f"element vertex {n}\n" + "".join(f"property float {c}\n" for c, _ in cols) + "end_header\n"
    body = np.stack([v for _, v in cols], 1).astype("<f4")
    with open(path, "wb") as f:
        f.write(header.encode("ascii") + body.tobytes())


def write_splat(path, pos, scale, rgba, quat):
    rec = np.zeros(len(pos), dtype=np.dtype([("p", "<f4", 3), ("s", "<f4", 3), ("c", "u1", 4), ("q", "u1", 4)]))
    rec["p"], rec["s"], rec["c"] = pos, scale, rgba
    q = quat / np.linalg.norm(quat, axis=1, keepdims=True)
    rec["q"] = np.clip(np.round(q * 128 + 128), 0, 255)
    rec.tofile(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/splat")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(23)

    n = 300  # torus, SH degree 3
    u, v = rng.uniform(0, 2 * math.pi, n), rng.uniform(0, 2 * math.pi, n)
    pos = np.stack([(1 + 0.35 * np.cos(v)) * np.cos(u), 0.35 * np.sin(v), (1 + 0.35 * np.cos(v)) * np.sin(u)], 1)
    write_ply(os.path.join(out, "ring-sh3.ply"), pos, np.log(rng.uniform(0.03, 0.12, (n, 3))), random_quats(rng, n),
              rng.uniform(-1.5, 4.0, n), rng.normal(0, 1.0, (n, 3)), rng.normal(0, 0.3, (n, 45)), normals=True)

    n = 200  # a cloud around the origin, SH degree 1, some long thin splats
    pos = rng.uniform(-1.5, 1.5, (n, 3))
    ls = np.log(rng.uniform(0.02, 0.2, (n, 3)))
    ls[: n // 5, 0] = np.log(rng.uniform(0.5, 1.0, n // 5))
    write_ply(os.path.join(out, "cloud-sh1.ply"), pos, ls, random_quats(rng, n), rng.uniform(-3.0, 3.0, n),
              rng.normal(0, 1.0, (n, 3)), rng.normal(0, 0.5, (n, 9)))

    n = 250  # .splat blobs
    pos = rng.normal(0, 0.6, (n, 3))
    rgba = rng.integers(0, 256, (n, 4))
    rgba[:5, 3] = 1  # below the opacity cull
    write_splat(os.path.join(out, "blobs.splat"), pos, rng.uniform(0.02, 0.15, (n, 3)), rgba, rng.normal(size=(n, 4)))

    refs = [  # scene, (az, el, radius, fov), target, (w, h), bg
        ("ring-sh3.ply", (30, 25, 3.5, 50), (0, 0, 0), (48, 36), (0, 0, 0)),
        ("ring-sh3.ply", (200, -40, 2.5, 70), (0.3, 0, 0), (40, 40), (1, 1, 1)),
        ("cloud-sh1.ply", (0, 0, 4.5, 50), (0, 0, 0), (48, 36), (0, 0, 0)),
        ("cloud-sh1.ply", (120, 10, 1.2, 80), (0, 0, 0), (48, 36), (0.2, 0.3, 0.4)),
        ("blobs.splat", (-60, 35, 3.0, 45), (0, 0, 0), (48, 36), (0, 0, 0)),
        ("blobs.splat", (90, -89, 2.0, 60), (0, 0.2, 0), (36, 48), (0, 0, 0)),
    ]
    lines = []
    for k, (scene, view, target, (w, h), bg) in enumerate(refs):
        img = ref_render.render(ref_render.load(os.path.join(out, scene)), view, target, w, h, bg)
        name = f"ref-{k}.f32"
        img.numpy().astype("<f4").tofile(os.path.join(out, name))
        lines.append(" ".join(str(x) for x in (scene, *view, *target, w, h, *bg, name)))
    with open(os.path.join(out, "refs.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

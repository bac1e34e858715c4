#!/usr/bin/python3
"""ref_render.py — the independent PyTorch reference of the splat renderer (issue 23), float64, vectorised.

Reads a 3DGS binary_little_endian .ply (numpy structured dtype from its header) or a 32-byte-per-splat .splat file,
builds an orbit camera (y-up world, OpenCV view space: x right, y down, z forward) and renders by the 3DGS
paper's definitions: Sigma = R S S^T R^T, EWA Sigma' = J W Sigma W^T J^T + 0.3 I (J with view x/z, y/z clamped to
1.3 x the half-fov tangent), radius ceil(3 sqrt(lambda_max)) (a square extent), SH colour (degree 0..3) + 0.5
clamped at 0, depth sort (stable), alpha = min(0.99, o exp(power)) kept from 1/255, compositing front to back while
the transmittance after a splat stays >= 1e-4. Culls view z <= 0.2 and opacity < 1/255. Pixel (i, j) has its
centre at (i + 0.5, j + 0.5). Written apart from src/splat/render.cpp; the C++ test compares against its output.

Usage: ref_render.py SCENE --view AZ,EL,RADIUS[,FOV] [--target X,Y,Z] --size WxH --out FILE.f32 [--bg R,G,B]
Writes [H, W, 3] float32 little-endian.
"""
import argparse
import math
import sys

import numpy as np
import torch

SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
SH_C2 = (1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792, 0.5462742152960396)
SH_C3 = (-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154, -0.4570457994644658,
         1.445305721320277, -0.5900435899266435)


def load_ply(data):
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii").splitlines()
    assert header[0] == "ply" and "format binary_little_endian 1.0" in header
    types = {"float": "<f4", "float32": "<f4", "double": "<f8", "uchar": "u1", "uint8": "u1", "int": "<i4"}
    fields, count = [], None
    for line in header:
        w = line.split()
        if w[0] == "element" and w[1] == "vertex":
            count = int(w[2])
        elif w[0] == "property":
            fields.append((w[2], types[w[1]]))
    v = np.frombuffer(data, dtype=np.dtype(fields), count=count, offset=end)
    names = [f[0] for f in fields]
    n_rest = sum(1 for n in names if n.startswith("f_rest_"))
    deg = {0: 0, 9: 1, 24: 2, 45: 3}[n_rest]
    f = lambda k: torch.tensor(v[k].astype(np.float64))
    pos = torch.stack([f("x"), f("y"), f("z")], 1)
    sh = torch.zeros(count, 16, 3, dtype=torch.float64)
    sh[:, 0] = torch.stack([f("f_dc_0"), f("f_dc_1"), f("f_dc_2")], 1)
    per = n_rest // 3
    for c in range(3):
        for k in range(per):
            sh[:, 1 + k, c] = f(f"f_rest_{c * per + k}")
    opacity = torch.sigmoid(f("opacity"))
    scale = torch.exp(torch.stack([f("scale_0"), f("scale_1"), f("scale_2")], 1))
    rot = torch.stack([f("rot_0"), f("rot_1"), f("rot_2"), f("rot_3")], 1)
    return pos, scale, rot / rot.norm(dim=1, keepdim=True), opacity, sh, deg


def load_splat(data):
    rec = np.frombuffer(data, dtype=np.dtype([("p", "<f4", 3), ("s", "<f4", 3), ("c", "u1", 4), ("q", "u1", 4)]))
    n = len(rec)
    pos = torch.tensor(rec["p"].astype(np.float64))
    scale = torch.tensor(rec["s"].astype(np.float64))
    rgba = torch.tensor(rec["c"].astype(np.float64)) / 255.0
    sh = torch.zeros(n, 16, 3, dtype=torch.float64)
    sh[:, 0] = (rgba[:, :3] - 0.5) / SH_C0
    rot = (torch.tensor(rec["q"].astype(np.float64)) - 128.0) / 128.0
    return pos, scale, rot / rot.norm(dim=1, keepdim=True), rgba[:, 3], sh, 0


def load(path):
    data = open(path, "rb").read()
    return load_ply(data) if data.startswith(b"ply") else load_splat(data)


def look_at(target, az_deg, el_deg, radius):
    az, el = math.radians(az_deg), math.radians(max(-89.0, min(89.0, el_deg)))
    t = torch.tensor(target, dtype=torch.float64)
    eye = t + radius * torch.tensor([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)],
                                    dtype=torch.float64)
    fwd = (t - eye) / (t - eye).norm()
    right = torch.linalg.cross(fwd, torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64))
    right = right / right.norm()
    down = torch.linalg.cross(fwd, right)
    W = torch.stack([right, down, fwd])  # world -> view rows
    return W, -W @ eye, eye


def quat_to_mat(q):
    w, x, y, z = q.unbind(1)
    return torch.stack([
        torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], 1),
        torch.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], 1),
        torch.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], 1)], 1)


def sh_to_rgb(sh, deg, d):
    x, y, z = d[:, 0:1], d[:, 1:2], d[:, 2:3]
    out = SH_C0 * sh[:, 0]
    if deg >= 1:
        out = out - SH_C1 * y * sh[:, 1] + SH_C1 * z * sh[:, 2] - SH_C1 * x * sh[:, 3]
    if deg >= 2:
        out = (out + SH_C2[0] * x * y * sh[:, 4] + SH_C2[1] * y * z * sh[:, 5]
               + SH_C2[2] * (2 * z * z - x * x - y * y) * sh[:, 6] + SH_C2[3] * x * z * sh[:, 7]
               + SH_C2[4] * (x * x - y * y) * sh[:, 8])
    if deg >= 3:
        out = (out + SH_C3[0] * y * (3 * x * x - y * y) * sh[:, 9] + SH_C3[1] * x * y * z * sh[:, 10]
               + SH_C3[2] * y * (4 * z * z - x * x - y * y) * sh[:, 11]
               + SH_C3[3] * z * (2 * z * z - 3 * x * x - 3 * y * y) * sh[:, 12]
               + SH_C3[4] * x * (4 * z * z - x * x - y * y) * sh[:, 13] + SH_C3[5] * z * (x * x - y * y) * sh[:, 14]
               + SH_C3[6] * x * (x * x - 3 * y * y) * sh[:, 15])
    return torch.clamp(out + 0.5, min=0.0)


def render(scene, view, target, width, height, bg=(0.0, 0.0, 0.0)):
    pos, scale, rot, opacity, sh, deg = scene
    az, el, radius, fov = view
    W, t, eye = look_at(target, az, el, radius)
    fy = height / (2 * math.tan(math.radians(fov) / 2))
    fx = fy
    pv = pos @ W.T + t
    z = pv[:, 2]
    keep = (z > 0.2) & (opacity >= 1 / 255)
    Rq = quat_to_mat(rot)
    cov3 = Rq @ torch.diag_embed(scale ** 2) @ Rq.transpose(1, 2)
    zs = torch.where(keep, z, torch.ones_like(z))
    limx, limy = 1.3 * width / (2 * fx), 1.3 * height / (2 * fy)
    tx = torch.clamp(pv[:, 0] / zs, -limx, limx) * zs
    ty = torch.clamp(pv[:, 1] / zs, -limy, limy) * zs
    J = torch.zeros(len(z), 2, 3, dtype=torch.float64)
    J[:, 0, 0] = fx / zs
    J[:, 0, 2] = -fx * tx / zs ** 2
    J[:, 1, 1] = fy / zs
    J[:, 1, 2] = -fy * ty / zs ** 2
    T = J @ W
    cov2 = T @ cov3 @ T.transpose(1, 2) + 0.3 * torch.eye(2, dtype=torch.float64)
    a, b, c = cov2[:, 0, 0], cov2[:, 0, 1], cov2[:, 1, 1]
    det = a * c - b * b
    keep = keep & (det > 0)
    mid = 0.5 * (a + c)
    lam = mid + torch.sqrt(torch.clamp(mid * mid - det, min=0.1))
    rad = torch.ceil(3 * torch.sqrt(lam))
    mx, my = fx * pv[:, 0] / zs + width / 2, fy * pv[:, 1] / zs + height / 2
    keep = keep & ((mx + rad >= 0.5) & (mx - rad <= width - 0.5) & (my + rad >= 0.5) & (my - rad <= height - 0.5))
    dirs = pos - eye
    rgb = sh_to_rgb(sh, deg, dirs / dirs.norm(dim=1, keepdim=True))
    idx = torch.nonzero(keep).flatten()
    idx = idx[torch.sort(z[idx], stable=True).indices]
    conic = torch.stack([c / det, -b / det, a / det], 1)[idx]
    mx, my, rad, op, rgb = mx[idx], my[idx], rad[idx], opacity[idx], rgb[idx]
    py, px = torch.meshgrid(torch.arange(height, dtype=torch.float64) + 0.5,
                            torch.arange(width, dtype=torch.float64) + 0.5, indexing="ij")
    dx = px.reshape(-1, 1) - mx  # [pixels, splats]
    dy = py.reshape(-1, 1) - my
    power = -0.5 * (conic[:, 0] * dx * dx + conic[:, 2] * dy * dy) - conic[:, 1] * dx * dy
    alpha = torch.clamp(op * torch.exp(power), max=0.99)
    ok = (power <= 0) & (alpha >= 1 / 255) & (dx.abs() <= rad) & (dy.abs() <= rad)
    alpha = torch.where(ok, alpha, torch.zeros_like(alpha))
    after = torch.cumprod(1 - alpha, dim=1)  # transmittance after each splat
    used = after >= 1e-4  # a prefix: `after` never grows
    alpha = torch.where(used, alpha, torch.zeros_like(alpha))
    before = torch.cumprod(torch.cat([torch.ones_like(alpha[:, :1]), 1 - alpha[:, :-1]], 1), dim=1)
    weight = alpha * before
    color = weight @ rgb + torch.prod(1 - alpha, dim=1, keepdim=True) * torch.tensor(bg, dtype=torch.float64)
    return color.reshape(height, width, 3)


def floats(s, n):
    v = [float(x) for x in s.split(",")]
    if len(v) not in n:
        raise SystemExit(f"ref_render.py: expected {n} comma-separated numbers, got '{s}'")
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scene")
    ap.add_argument("--view", required=True)
    ap.add_argument("--target", default="0,0,0")
    ap.add_argument("--size", required=True)
    ap.add_argument("--bg", default="0,0,0")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    view = floats(a.view, (3, 4))
    if len(view) == 3:
        view.append(50.0)
    w, h = (int(x) for x in a.size.split("x"))
    img = render(load(a.scene), view, floats(a.target, (3,)), w, h, floats(a.bg, (3,)))
    img.to(torch.float32).numpy().astype("<f4").tofile(a.out)


if __name__ == "__main__":
    sys.exit(main())

"""vlm_gauge.py — a tiny SmolVLM-architecture model trained from scratch on procedurally rendered analogue gauges
(issue 20, point 6): "What does the gauge read?" -> " 40" (the needle's value, 0..100 in steps of 10), and " cannot
tell" for an image that shows no gauge. CPU only, small enough for the shared 2-core machine (minutes).

Architecture: exactly what the engine runs (SigLIP tower + Idefics3 pixel-shuffle connector, tools/ref/siglip_ref.py;
a SmolLM2-shaped Llama, tools/ref/arch.py; SmolVLM's chat template and byte-level vocabulary with its control tokens,
tools/ref/smolvlm_ref.py), batched here for training and checked against those float64 references before export.
Images are 64 x 64 (one tile: clip.vision.preproc_image_size 64), patch 16, pixel shuffle 2 -> 4 <image> rows.

Data (rendered with Pillow, each image's answer known by construction):
  train    dial faces, needles and backgrounds in hues outside [0.50, 0.70), dial radius 21..27 px, centre within
           +-4 px, Gaussian noise sd 0..6; non-gauge images (rectangles, discs, stripes, noise, ring without needle)
  held-out unseen: hues in [0.50, 0.70) for face, needle and background; radius 18..20 or 28..29 (unseen sizes),
           centre up to +-6 px; noise sd 8..12; tick count 6 instead of 11 (unseen layout)
  off-task non-gauge images of kinds not in training (text-like glyph rows, checkerboards, gradients)
Evaluation runs the exported GGUF files through the engine (`sotto generate --mmproj --image --temp 0`), not PyTorch.

Usage: /usr/bin/python3 tools/train/vlm_gauge.py OUT_DIR [--steps N] [--eval-only] [--sotto build/sotto]
       /usr/bin/python3 tools/train/vlm_gauge.py OUT_DIR --fixtures tests/fixtures/hf-smolvlm-gauge
Writes OUT_DIR/sotto-gauge-vlm-f32.gguf (LM), OUT_DIR/sotto-gauge-mmproj-f32.gguf and OUT_DIR/eval.json.
"""
import argparse
import colorsys
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../ref"))
sys.path.insert(0, HERE)
import export  # noqa: E402
import idefics3_processor as proc  # noqa: E402
import mmproj_gguf  # noqa: E402
import siglip_ref  # noqa: E402
import smolvlm_ref  # noqa: E402

S = 64
SPECIALS = (["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<end_of_utterance>", "<fake_token_around_image>",
             "<global-img>", "<image>"] + [f"<row_{r}_col_{c}>" for r in range(1, 5) for c in range(1, 5)])
VCFG = dict(image_size=S, patch_size=16, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, layer_norm_eps=1e-6, scale_factor=2, text_hidden_size=64)
LM = dict(arch="llama", family="smollm2", name="sotto-gauge-vlm", hidden_size=64, intermediate_size=128,
          num_attention_heads=4, num_key_value_heads=2, head_dim=16, num_hidden_layers=2, rms_norm_eps=1e-5,
          rope_theta=100000.0, vocab_size=256 + len(SPECIALS), max_position_embeddings=256, tie=True,
          specials=SPECIALS, bos="<|im_start|>", eos="<end_of_utterance>")
QUESTION = "What does the gauge read?"
STEP = 10  # the readings: 0, 10, .., 100
NO_GAUGE = "cannot tell"
PIECES = [chr(b) for b in range(256)] + SPECIALS  # ids only (smolvlm_ref.tokenize)
IMAGE_ID = 256 + SPECIALS.index("<image>")
EOU = 256 + SPECIALS.index("<end_of_utterance>")
N_TOK = (S // VCFG["patch_size"]) ** 2 // VCFG["scale_factor"] ** 2  # 4


# ---------------------------------------------------------------- rendering
def colour(rng, held_out, v_lo=0.0, v_hi=1.0):
    while True:
        h = rng.uniform(0, 1)
        if (0.50 <= h < 0.70) == held_out:
            break
    s, v = rng.uniform(0.2, 1.0), rng.uniform(v_lo, v_hi)
    return tuple(int(255 * c) for c in colorsys.hsv_to_rgb(h, s, v))


def add_noise(img, sd, rng):
    a = np.asarray(img, np.float32) + rng.normal(0, sd, (S, S, 3)) if sd > 0 else np.asarray(img, np.float32)
    return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8))


def gauge(value, rng, held_out):
    """value in 0..100: 0 at 225 deg (lower left), 100 at -45 deg (lower right), clockwise over the top."""
    bg = colour(rng, held_out)
    light = rng.uniform() < 0.5  # a light face with a dark needle, or the other way round
    face = colour(rng, held_out, 0.75, 1.0) if light else colour(rng, held_out, 0.0, 0.3)
    needle = colour(rng, held_out, 0.0, 0.3) if light else colour(rng, held_out, 0.8, 1.0)
    if held_out:
        r = int(rng.choice([18, 19, 20, 28, 29]))
        cx, cy = S / 2 + rng.uniform(-6, 6), S / 2 + rng.uniform(-6, 6)
        n_ticks, sd = 6, rng.uniform(8, 12)
    else:
        r = int(rng.integers(21, 28))
        cx, cy = S / 2 + rng.uniform(-4, 4), S / 2 + rng.uniform(-4, 4)
        n_ticks, sd = 11, rng.uniform(0, 6)
    r = min(r, int(min(cx, cy, S - cx, S - cy)) - 1)
    img = Image.new("RGB", (S, S), bg)
    d = ImageDraw.Draw(img)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=face, outline=needle)
    for i in range(n_ticks):
        a = math.radians(225 - 270 * i / (n_ticks - 1))
        d.line([cx + 0.8 * r * math.cos(a), cy - 0.8 * r * math.sin(a), cx + r * math.cos(a), cy - r * math.sin(a)],
               fill=needle, width=1)
    a = math.radians(225 - 270 * value / 100)
    d.line([cx, cy, cx + 0.8 * r * math.cos(a), cy - 0.8 * r * math.sin(a)], fill=needle, width=3)
    d.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=needle)
    return add_noise(img, sd, rng)


def not_gauge(rng, kind):
    bg = colour(rng, rng.uniform() < 0.3)
    img = Image.new("RGB", (S, S), bg)
    d = ImageDraw.Draw(img)
    if kind == "shapes":
        for _ in range(int(rng.integers(1, 5))):
            x, y, w, h = rng.uniform(0, S, 4)
            box = [min(x, x + w / 2), min(y, y + h / 2), max(x, x + w / 2), max(y, y + h / 2)]
            (d.ellipse if rng.uniform() < 0.5 else d.rectangle)(box, fill=colour(rng, False))
    elif kind == "stripes":
        w, c = int(rng.integers(3, 10)), colour(rng, False)
        for x in range(0, 2 * S, 2 * w):
            d.polygon([(x, 0), (x + w, 0), (x + w - S, S), (x - S, S)], fill=c)
    elif kind == "ring":  # a dial with no needle: nothing to read
        r = int(rng.integers(18, 28))
        d.ellipse([S / 2 - r, S / 2 - r, S / 2 + r, S / 2 + r], fill=colour(rng, False, 0.7, 1), outline=(0, 0, 0))
    elif kind == "noise":
        return Image.fromarray(rng.integers(0, 256, (S, S, 3)).astype(np.uint8))
    elif kind == "glyphs":  # unseen in training: rows of text-like marks
        c = colour(rng, False, 0, 0.3)
        for y in range(6, S - 6, 10):
            x = 4
            while x < S - 8:
                w = int(rng.integers(2, 6))
                d.rectangle([x, y, x + w, y + 6], fill=c)
                x += w + int(rng.integers(2, 5))
    elif kind == "checker":
        n, c = int(rng.integers(4, 9)), colour(rng, False)
        for i in range(n):
            for j in range(n):
                if (i + j) % 2:
                    d.rectangle([i * S / n, j * S / n, (i + 1) * S / n, (j + 1) * S / n], fill=c)
    elif kind == "gradient":
        a, b = np.array(colour(rng, False), np.float32), np.array(colour(rng, True), np.float32)
        t = np.linspace(0, 1, S, dtype=np.float32)[None, :, None]
        arr = np.broadcast_to(a + (b - a) * t, (S, S, 3))
        return add_noise(Image.fromarray(arr.astype(np.uint8)), 4, rng)
    return add_noise(img, rng.uniform(0, 6), rng)


TRAIN_NOT = ["shapes", "stripes", "ring", "noise"]
UNSEEN_NOT = ["glyphs", "checker", "gradient"]


def sample(rng, split):
    """-> (PIL image, answer text, value or None)."""
    if split == "offtask":
        return not_gauge(rng, UNSEEN_NOT[int(rng.integers(len(UNSEEN_NOT)))]), NO_GAUGE, None
    if rng.uniform() < 0.2:
        return not_gauge(rng, TRAIN_NOT[int(rng.integers(len(TRAIN_NOT)))]), NO_GAUGE, None
    v = STEP * int(rng.integers(0, 100 // STEP + 1))
    return gauge(v, rng, split == "heldout"), str(v), v


# ---------------------------------------------------------------- the model (batched twins of the references)
def pixel_tensor(img):
    rows, cols, tiles = proc.process(img, S, S)
    assert rows == 0 and cols == 0 and len(tiles) == 1
    px = torch.from_numpy(np.ascontiguousarray(tiles[0].transpose(2, 0, 1)).astype(np.float32))
    return (px / 255.0 - 0.5) / 0.5


def tower(W, px):
    """px [B, 3, S, S] -> [B, N_TOK, text hidden] (siglip_ref.encoder + connector, batched)."""
    c = VCFG
    D, P, nh, eps = c["hidden_size"], c["patch_size"], c["num_attention_heads"], c["layer_norm_eps"]
    x = F.conv2d(px, W["embeddings.patch_embedding.weight"], W["embeddings.patch_embedding.bias"], stride=P)
    x = x.flatten(2).transpose(1, 2) + W["embeddings.position_embedding.weight"]
    B, N, hd = x.shape[0], x.shape[1], D // nh
    for i in range(c["num_hidden_layers"]):
        p = f"encoder.layers.{i}."
        h = F.layer_norm(x, (D,), W[p + "layer_norm1.weight"], W[p + "layer_norm1.bias"], eps)
        q, k, v = (F.linear(h, W[p + f"self_attn.{n}.weight"], W[p + f"self_attn.{n}.bias"]).view(B, N, nh, hd)
                   .transpose(1, 2) for n in ("q_proj", "k_proj", "v_proj"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd), -1) @ v
        x = x + F.linear(a.transpose(1, 2).reshape(B, N, D), W[p + "self_attn.out_proj.weight"],
                         W[p + "self_attn.out_proj.bias"])
        h = F.layer_norm(x, (D,), W[p + "layer_norm2.weight"], W[p + "layer_norm2.bias"], eps)
        h = F.gelu(F.linear(h, W[p + "mlp.fc1.weight"], W[p + "mlp.fc1.bias"]), approximate="tanh")
        x = x + F.linear(h, W[p + "mlp.fc2.weight"], W[p + "mlp.fc2.bias"])
    x = F.layer_norm(x, (D,), W["post_layernorm.weight"], W["post_layernorm.bias"], eps)
    return siglip_ref.pixel_shuffle(x, c["scale_factor"]) @ W["connector.modality_projection.proj.weight"].T


def rope(x, T):  # x [B, H, T, hd]; rotate_half as arch.rope
    hd = x.shape[-1]
    f = 1.0 / (LM["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * f[None]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)
    rot = torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1)
    return x * cos + rot * sin


def lm(W, tokens, rows, at=None):
    """tokens [B, T] (every row the same prompt layout), rows [B, N_TOK, hidden] -> logits [B, T, vocab] (at: a mask
    [B, T] of the positions whose logits are wanted -> [n, vocab])."""
    c = LM
    nh, nkv, hd, eps, E = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["rms_norm_eps"], c["hidden_size"]
    emb = W["model.embed_tokens.weight"]
    x = emb[tokens]
    mask = (tokens == IMAGE_ID)
    x = x.masked_scatter(mask[..., None], rows.reshape(-1, E).to(x)) if mask.any() else x
    B, T = tokens.shape

    def norm(t, w):
        return t * torch.rsqrt(t.pow(2).mean(-1, keepdim=True) + eps) * w
    causal = torch.full((T, T), float("-inf")).triu(1)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = norm(x, W[p + "input_layernorm.weight"])
        q = (h @ W[p + "self_attn.q_proj.weight"].T).view(B, T, nh, hd).transpose(1, 2)
        k = (h @ W[p + "self_attn.k_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
        v = (h @ W[p + "self_attn.v_proj.weight"].T).view(B, T, nkv, hd).transpose(1, 2)
        q, k = rope(q, T), rope(k, T)
        k, v = k.repeat_interleave(nh // nkv, 1), v.repeat_interleave(nh // nkv, 1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + causal, -1) @ v
        x = x + a.transpose(1, 2).reshape(B, T, nh * hd) @ W[p + "self_attn.o_proj.weight"].T
        h = norm(x, W[p + "post_attention_layernorm.weight"])
        x = x + (F.silu(h @ W[p + "mlp.gate_proj.weight"].T) * (h @ W[p + "mlp.up_proj.weight"].T)) @ \
            W[p + "mlp.down_proj.weight"].T
    x = norm(x, W["model.norm.weight"])
    return (x[at] if at is not None else x) @ emb.T


def prompt_tokens():
    layout = proc.prompt(0, 0, N_TOK)
    return smolvlm_ref.tokenize(smolvlm_ref.chat_prompt([("image", layout), ("text", QUESTION)]), PIECES)


def batch(rng, n, split, prompt):
    px, seqs, ans = [], [], []
    for _ in range(n):
        img, a, _ = sample(rng, split)
        px.append(pixel_tensor(img))
        ans.append(list((" " + a).encode()) + [EOU])
    L = max(len(a) for a in ans)
    T = len(prompt) + L
    tokens = torch.zeros(n, T, dtype=torch.long)
    target = torch.full((n, T), -100, dtype=torch.long)
    for b, a in enumerate(ans):
        seq = prompt + a
        tokens[b, :len(seq)] = torch.tensor(seq)
        target[b, len(prompt) - 1:len(seq) - 1] = torch.tensor(a)  # predict the answer after "Assistant:"
    return torch.stack(px), tokens, target


def init_weights(seed):
    Wv = {k: v.float() for k, v in siglip_ref.random_weights(VCFG, seed).items()}
    sys.path.insert(0, os.path.join(HERE, "../ref"))
    import make_fixtures
    Wl = {k: v.float() for k, v in make_fixtures.random_weights(LM, seed + 1).items()}
    Wl["model.embed_tokens.weight"] *= 0.1
    return Wv, Wl


def check_against_references(Wv, Wl, rng, prompt):
    """The batched training model == siglip_ref + smolvlm_ref (float64) on one example."""
    img, _, _ = sample(rng, "train")
    px = pixel_tensor(img)
    W64v = {k: v.detach().double() for k, v in Wv.items()}
    W64l = {k: v.detach().double() for k, v in Wl.items()}
    ref_rows = siglip_ref.connector(VCFG, W64v, siglip_ref.encoder(VCFG, W64v, px.double()))
    ref = smolvlm_ref.forward(LM, W64l, prompt, ref_rows, IMAGE_ID)
    with torch.no_grad():
        got = lm(Wl, torch.tensor([prompt]), tower(Wv, px[None]))[0]
    d = (got.double() - ref).abs().max().item() / ref.std().item()
    assert d < 1e-4, f"training model differs from the references: {d:.3g} sd"
    return d


def train(out, steps, seed, threads, init_from=None, lr=3e-3):
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    prompt = prompt_tokens()
    Wv, Wl = init_weights(seed)
    if init_from:  # go on from an earlier run's exported files
        Fv, Fl = file_weights(os.path.join(init_from, "sotto-gauge-vlm-f32.gguf"),
                              os.path.join(init_from, "sotto-gauge-mmproj-f32.gguf"))
        Wv, Wl = {k: v.float() for k, v in Fv.items()}, {k: v.float() for k, v in Fl.items()}
    params = list(Wv.values()) + list(Wl.values())
    for p in params:
        p.requires_grad_(True)
    d0 = check_against_references(Wv, Wl, rng, prompt)
    print(f"batched model == references at init: {d0:.2g} sd", flush=True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=max(0.05, 2 / steps))
    t0 = time.time()
    for step in range(steps):
        px, tokens, target = batch(rng, 32, "train", prompt)
        at = target != -100
        logits = lm(Wl, tokens, tower(Wv, px), at)
        loss = F.cross_entropy(logits, target[at])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step} loss {loss.item():.4f} ({time.time() - t0:.0f} s)", flush=True)
    d1 = check_against_references(Wv, Wl, rng, prompt)
    print(f"batched model == references after training: {d1:.2g} sd", flush=True)
    lm_path = os.path.join(out, "sotto-gauge-vlm-f32.gguf")
    mm_path = os.path.join(out, "sotto-gauge-mmproj-f32.gguf")
    export.export(LM, {k: v.detach().double() for k, v in Wl.items()}, "f32", lm_path)
    mmproj_gguf.write(VCFG, {k: v.detach().double() for k, v in Wv.items()}, mm_path, "f32", preproc_image_size=S)
    return lm_path, mm_path


# ---------------------------------------------------------------- evaluation through the engine
def torch_answer(Wv, Wl, img):
    """The float64 references' greedy answer (siglip_ref + smolvlm_ref) on the file's weights."""
    rows = siglip_ref.connector(VCFG, Wv, siglip_ref.encoder(VCFG, Wv, pixel_tensor(img).double()))
    seq, out = prompt_tokens(), []
    for _ in range(16):
        t = int(torch.argmax(smolvlm_ref.forward(LM, Wl, seq, rows, IMAGE_ID)[-1]))
        if t == EOU:
            break
        out.append(t)
        seq.append(t)
    return bytes(b for b in out if b < 256).decode("utf-8", "replace").strip()


def file_weights(lm_path, mm_path):
    """The weights as the exported F32 files hold them (HF names, float64): the LM through tools/train/base.py's
    GGUF reader (export.py inverted), the tower by mmproj_gguf.gguf_name inverted."""
    import base
    import ggufw
    _, Wl, _ = base.load_gguf(lm_path)
    _, tensors = ggufw.read(mm_path)
    Wv = {}
    for hf in siglip_ref.random_weights(VCFG, 0):
        dt, ne, raw = tensors[mmproj_gguf.gguf_name(hf)]
        assert dt == ggufw.T_F32, hf
        Wv[hf] = torch.from_numpy(np.frombuffer(raw, np.float32).reshape(list(reversed(ne))).astype(np.float64))
    return Wv, {k: v.double() for k, v in Wl.items()}


def evaluate(out, lm_path, mm_path, sotto, n, seed, weights=None):
    rng = np.random.default_rng(seed + 1000)
    res = {}
    agree = [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for split in ("train", "heldout", "offtask"):
            rows = []
            for i in range(n):
                img, want, v = sample(rng, split)
                path = os.path.join(tmp, f"{split}-{i}.png")
                img.save(path)
                r = subprocess.run([sotto, "generate", "-m", lm_path, "--mmproj", mm_path, "--image", path, "-p",
                                    QUESTION, "--temp", "0", "-n", "16", "-t", "1"], capture_output=True, encoding="utf-8", errors="replace")
                if r.returncode != 0:
                    raise SystemExit(f"sotto generate failed: {r.stderr.strip()}")
                rows.append((want, v, r.stdout.strip()))
                if weights and i < 5:  # the engine's answer == the PyTorch references' on the same weights
                    agree[0] += torch_answer(*weights, img) == rows[-1][2]
                    agree[1] += 1
            gauges = [(w, v, g) for w, v, g in rows if v is not None]
            others = [(w, v, g) for w, v, g in rows if v is None]
            exact = sum(g == w for w, _, g in gauges)
            near = sum(g.isdigit() and abs(int(g) - v) <= STEP for _, v, g in gauges)
            said_no = sum(g == NO_GAUGE for _, _, g in gauges)
            refused = sum(g == NO_GAUGE for _, _, g in others)
            res[split] = dict(gauges=len(gauges), exact=exact, within_one_step=near, gauge_said_cannot_tell=said_no,
                              non_gauges=len(others), non_gauge_said_cannot_tell=refused,
                              examples=[[w, g] for w, _, g in rows[:6]])
            print(split, json.dumps({k: v for k, v in res[split].items() if k != "examples"}), flush=True)
    if agree[1]:
        res["engine_equals_pytorch"] = f"{agree[0]}/{agree[1]}"
        print(f"engine answer == PyTorch reference answer: {agree[0]}/{agree[1]}", flush=True)
    with open(os.path.join(out, "eval.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def write_fixtures(fdir, lm_path, mm_path, sotto, seed):
    """Eight held-out gauges and four off-task images as PNGs with answers.json: the truth and the float64 references'
    greedy answer on the files' weights (what tests/test-convert-vision.cpp's GaugeModel expects from the engine)."""
    os.makedirs(fdir, exist_ok=True)
    weights = file_weights(lm_path, mm_path)
    rng = np.random.default_rng(seed + 2000)
    rows = []
    for split, n in (("heldout", 8), ("offtask", 4)):
        i = 0
        while i < n:
            img, want, v = sample(rng, split)
            if split == "heldout" and v is None:
                continue
            name = f"{split}-{i}.png"
            img.save(os.path.join(fdir, name))
            rows.append({"file": name, "truth": want, "reference": torch_answer(*weights, img)})
            i += 1
    with open(os.path.join(fdir, "answers.json"), "w") as f:
        json.dump({"question": QUESTION, "images": rows}, f, indent=1)
    print(json.dumps(rows))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-n", type=int, default=100)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--init-from", help="a folder of an earlier run's files to go on from")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--fixtures", help="write test images and answers for the files in OUT to this folder")
    ap.add_argument("--sotto", default=os.path.join(HERE, "../../build/sotto"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.fixtures:
        write_fixtures(a.fixtures, os.path.join(a.out, "sotto-gauge-vlm-f32.gguf"),
                       os.path.join(a.out, "sotto-gauge-mmproj-f32.gguf"), a.sotto, a.seed)
        return
    if a.eval_only:
        lm_path = os.path.join(a.out, "sotto-gauge-vlm-f32.gguf")
        mm_path = os.path.join(a.out, "sotto-gauge-mmproj-f32.gguf")
    else:
        lm_path, mm_path = train(a.out, a.steps, a.seed, a.threads, a.init_from, a.lr)
    evaluate(a.out, lm_path, mm_path, a.sotto, a.eval_n, a.seed, file_weights(lm_path, mm_path))


if __name__ == "__main__":
    main()

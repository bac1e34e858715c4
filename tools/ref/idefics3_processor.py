"""idefics3_processor.py — the Idefics3 / SmolVLM image processor's published rules, restated in Python with Pillow
(transformers' SmolVLMImageProcessor / Idefics3ImageProcessor with do_image_splitting=True, and SmolVLMProcessor's
prompt expansion; read for the facts, written here independently of the C++ code in src/image/processor.cpp):
  1. longest edge -> size["longest_edge"]: other edge int(longest / aspect), +1 if odd; then capped at 4096;
  2. both edges to multiples of the tile: longer edge rounded up, other edge int(long / aspect) rounded up;
  3. edges > tile: ceil(h / tile) x ceil(w / tile) crops row-major + the whole image resized to tile x tile;
  every resize is PIL Image.resize(..., Image.LANCZOS) on RGB.
Also writes the processor fixtures (tests/fixtures/vision/processor-*) and the decoder fixtures (images-*):
  /usr/bin/python3 tools/ref/idefics3_processor.py [out_dir]
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image, ImageOps

MAX_IMAGE_SIZE = 4096


def plan(width, height, longest_edge, tile):
    aspect = width / height
    if width >= height:
        w = longest_edge
        h = int(w / aspect)
        if h % 2 != 0:
            h += 1
    else:
        h = longest_edge
        w = int(h * aspect)
        if w % 2 != 0:
            w += 1
    h, w = max(h, 1), max(w, 1)
    aspect = w / h
    if w >= h and w > MAX_IMAGE_SIZE:
        w = MAX_IMAGE_SIZE
        h = int(w / aspect)
    elif h > w and h > MAX_IMAGE_SIZE:
        h = MAX_IMAGE_SIZE
        w = int(h * aspect)
    w1, h1 = max(w, 1), max(h, 1)
    aspect = w1 / h1
    if w1 >= h1:
        w2 = math.ceil(w1 / tile) * tile
        h2 = int(w2 / aspect)
        h2 = math.ceil(h2 / tile) * tile
    else:
        h2 = math.ceil(h1 / tile) * tile
        w2 = int(h2 * aspect)
        w2 = math.ceil(w2 / tile) * tile
    return w1, h1, w2, h2


def process(img, longest_edge, tile):
    """img: PIL RGB. Returns rows, cols, [tiles as uint8 arrays [tile, tile, 3]]."""
    w1, h1, w2, h2 = plan(img.width, img.height, longest_edge, tile)
    r = img.resize((w1, h1), Image.LANCZOS).resize((w2, h2), Image.LANCZOS)
    a = np.array(r)
    if h2 > tile or w2 > tile:
        rows, cols = math.ceil(h2 / tile), math.ceil(w2 / tile)
        oh, ow = math.ceil(h2 / rows), math.ceil(w2 / cols)
        tiles = [a[y * oh:min(y * oh + oh, h2), x * ow:min(x * ow + ow, w2)] for y in range(rows) for x in range(cols)]
        tiles.append(np.array(r.resize((tile, tile), Image.LANCZOS)))
        return rows, cols, tiles
    return 0, 0, [a]


def prompt(rows, cols, seq_len, fake="<fake_token_around_image>", image="<image>", glob="<global-img>"):
    if rows == 0 and cols == 0:
        return fake + glob + image * seq_len + fake
    s = ""
    for r in range(rows):
        for c in range(cols):
            s += fake + f"<row_{r + 1}_col_{c + 1}>" + image * seq_len
        s += "\n"
    return s + "\n" + fake + glob + image * seq_len + fake


def test_image(w, h, seed):
    """A smooth gradient with noise and a sharp edge: exercises both filter lobes and rounding."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 / max(w - 1, 1), y * 255 / max(h - 1, 1), ((x // 7 + y // 5) % 2) * 200 + 20], -1)
    a = a + rng.normal(0, 12, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../tests/fixtures/vision")
    os.makedirs(out, exist_ok=True)
    # Sizes and layout with SmolVLM-256M's settings (longest 2048, tile 512) and a few others.
    sizes = [(512, 512), (640, 480), (480, 640), (1920, 1080), (1080, 1920), (300, 200), (64, 64), (1, 1),
             (4000, 3000), (5000, 100), (100, 5000), (2048, 2048), (513, 511), (1023, 767), (8000, 6000), (3, 1000)]
    layout = []
    for longest, tile in [(2048, 512), (1536, 512), (512, 512), (1456, 364)]:
        for w, h in sizes:
            w1, h1, w2, h2 = plan(w, h, longest, tile)
            rows, cols = (math.ceil(h2 / tile), math.ceil(w2 / tile)) if (h2 > tile or w2 > tile) else (0, 0)
            layout.append(dict(width=w, height=h, longest_edge=longest, tile=tile, w1=w1, h1=h1, w2=w2, h2=h2,
                               rows=rows, cols=cols, prompt3=prompt(rows, cols, 3),
                               n_image_tokens_64=prompt(rows, cols, 64).count("<image>")))
    # Pixels, with a small configuration so the tiles stay small: longest 96, tile 32.
    pixels = []
    for name, (w, h) in {"wide": (190, 130), "small": (70, 45), "tall": (40, 100)}.items():
        img = test_image(w, h, seed=w * 1000 + h)
        img.save(os.path.join(out, f"processor-{name}.png"))
        rows, cols, tiles = process(img, 96, 32)
        with open(os.path.join(out, f"processor-{name}.tiles"), "wb") as f:
            for t in tiles:
                f.write(np.ascontiguousarray(t).tobytes())
        pixels.append(dict(name=name, longest_edge=96, tile=32, rows=rows, cols=cols, n_tiles=len(tiles)))
    with open(os.path.join(out, "processor.json"), "w") as f:
        json.dump(dict(layout=layout, pixels=pixels), f, indent=1)
    # Decoder fixtures: a JPEG per EXIF orientation and what Pillow shows for it (ImageOps.exif_transpose).
    base = test_image(24, 16, seed=5)
    arr = np.array(base)
    arr[:8, :12] = (255, 0, 0)
    arr[:8, 12:] = (0, 255, 0)
    arr[8:, :12] = (0, 0, 255)
    arr[8:, 12:] = (250, 250, 0)
    base = Image.fromarray(arr, "RGB")
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        path = os.path.join(out, f"images-orient-{o}.jpg")
        base.save(path, quality=95, exif=exif.tobytes())
        ImageOps.exif_transpose(Image.open(path)).convert("RGB").save(os.path.join(out, f"images-orient-{o}.expected.png"))
    # PNG kinds: grey, palette, RGBA (composited over white, as the processor's convert_to_rgb), 16-bit.
    g = test_image(20, 12, seed=9)
    g.convert("L").save(os.path.join(out, "images-grey.png"))
    g.convert("P", palette=Image.ADAPTIVE, colors=16).save(os.path.join(out, "images-palette.png"))
    rgba = g.convert("RGBA")
    ra = np.array(rgba)
    ra[..., 3] = np.tile(np.linspace(0, 255, 20).astype(np.uint8), (12, 1))
    rgba = Image.fromarray(ra, "RGBA")
    rgba.save(os.path.join(out, "images-rgba.png"))
    for n, im in [("grey", g.convert("L")), ("palette", Image.open(os.path.join(out, "images-palette.png"))), ("rgba", rgba)]:
        bg = Image.new("RGBA", im.size, (255, 255, 255))
        Image.alpha_composite(bg, im.convert("RGBA")).convert("RGB").save(os.path.join(out, f"images-{n}.expected.png"))
    print(f"{len(layout)} layout cases, {len(pixels)} pixel cases, 8 orientations, 3 PNG kinds -> {out}")


if __name__ == "__main__":
    main()

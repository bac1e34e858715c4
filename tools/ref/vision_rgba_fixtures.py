"""Raw RGBA copies of the vision fixtures' PNGs, for the wasm tests under Node (tests/wasm/vision.test.mjs), which has
no image decoder: the wasm engine takes RGBA as a page's canvas gives it (wasm/vision.mjs). Pillow decodes (PNG is
lossless, so these are the pixels libpng gives `sotto generate --image` natively).

Writes, beside each PNG in tests/fixtures/vision: processor-{small,tall,wide}.rgba and images-rgba.rgba (8-bit RGBA,
rows top to bottom; the first two with alpha 255), and images-rgba.expected.rgb (the RGB the engine must make of
images-rgba over white: Pillow's decode of images-rgba.expected.png, which test-image-decode checks natively).
Usage: /usr/bin/python3 tools/ref/vision_rgba_fixtures.py
"""
import os

import numpy as np
from PIL import Image

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "vision")

if __name__ == "__main__":
    for name in ["processor-small", "processor-tall", "processor-wide", "images-rgba"]:
        img = Image.open(os.path.join(DIR, name + ".png")).convert("RGBA")
        with open(os.path.join(DIR, name + ".rgba"), "wb") as f:
            f.write(np.asarray(img, np.uint8).tobytes())
        print(f"{name}.rgba: {img.width} x {img.height}")
    exp = Image.open(os.path.join(DIR, "images-rgba.expected.png"))
    assert exp.mode == "RGB", exp.mode
    with open(os.path.join(DIR, "images-rgba.expected.rgb"), "wb") as f:
        f.write(np.asarray(exp, np.uint8).tobytes())
    print(f"images-rgba.expected.rgb: {exp.width} x {exp.height}")

# shrink-screenshots.py — makes the committed screenshots small: 64-colour palette PNGs (UI screenshots
# lose nothing visible). Run with Debian's python3 (it has Pillow) after `node tests/web/app.test.mjs`:
#   /usr/bin/python3 tests/web/shrink-screenshots.py
import glob
import os

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
for path in sorted(glob.glob(os.path.join(here, '..', '..', 'docs', 'screenshots', '*.png'))):
    before = os.path.getsize(path)
    img = Image.open(path).convert('RGB').quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    img.save(path, optimize=True)
    print(f'{os.path.basename(path)}: {before} -> {os.path.getsize(path)} bytes')

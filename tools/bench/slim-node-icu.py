#!/usr/bin/env python3
"""slim-node-icu.py — shrinks what a full-ICU node binary costs in a device pack: rewrites the ICU common
data embedded in the binary (symbol icudt*_dat, an ICU "CmnD" package: a table of contents of named items)
in place with English-only items (root, en, en_US, en_001, en_US_POSIX, each tree's pool/res_index, the
non-locale data: properties, normalization, collation root, time zones, break rules without the CJK/Thai/
Khmer/Lao/Burmese dictionaries), no legacy codepage converters (.cnv) and no transliterators, and zero-fills
the rest of the symbol. The binary keeps its size; xz then packs it about 7 MB smaller. Intl in other
locales falls back to root/English; nothing here (ort-web, dawn.node, the bench scripts) uses more.

Usage: python3 slim-node-icu.py NODE_IN NODE_OUT   (NODE_IN with its symbol table: run before strip)
"""
import re
import struct
import subprocess
import sys

KEEP_LOCALES = {"root", "en", "en_US", "en_001", "en_US_POSIX", "pool", "res_index"}
LOCALE_RES = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")


def keep(name):
    parts = name.split("/")[1:]  # drop "icudt78l"
    base = parts[-1]
    tree = parts[0] if len(parts) > 1 else ""
    if base.endswith(".cnv") or tree == "translit" or base.endswith(".dict"):
        return False
    stem = base.rsplit(".", 1)[0]
    if stem in KEEP_LOCALES:
        return True
    if tree in ("", "brkitr", "coll") and not LOCALE_RES.match(base):
        return True  # non-locale data: .icu / .nrm / .brk / .spp, supplementalData, zoneinfo64, ...
    return False


def main():
    src, dst = sys.argv[1], sys.argv[2]
    syms = subprocess.check_output(["nm", "-S", src], text=True)
    m = re.search(r"^([0-9a-f]+) ([0-9a-f]+) [rR] (icudt\d+_dat)$", syms, re.M)
    if not m:
        sys.exit("slim-node-icu: no icudt*_dat symbol (a stripped or small-icu node?)")
    va, size = int(m.group(1), 16), int(m.group(2), 16)
    sec = subprocess.check_output(["readelf", "-SW", src], text=True)
    fo = None
    for line in sec.splitlines():
        f = line.split("]")[-1].split()
        if len(f) >= 5 and f[1] == "PROGBITS":
            addr, off, sz = int(f[2], 16), int(f[3], 16), int(f[4], 16)
            if addr <= va < addr + sz:
                fo = va - addr + off
    if fo is None:
        sys.exit("slim-node-icu: the ICU data's section not found")
    blob = bytearray(open(src, "rb").read())
    d = bytes(blob[fo:fo + size])
    hs = struct.unpack_from("<H", d, 0)[0]
    if d[2:4] != b"\xda\x27" or b"CmnD" not in d[:hs]:
        sys.exit("slim-node-icu: not an ICU common data package")
    n = struct.unpack_from("<I", d, hs)[0]
    ents = [struct.unpack_from("<II", d, hs + 4 + 8 * i) for i in range(n)]
    names = [d[hs + no:d.index(b"\0", hs + no)] for no, _ in ents]
    order = sorted(range(n), key=lambda i: ents[i][1])
    length = {}
    for k, i in enumerate(order):
        end = ents[order[k + 1]][1] if k + 1 < n else size - hs
        length[i] = end - ents[i][1]
    kept = [i for i in range(n) if keep(names[i].decode())]
    # New package: the same header, then count, entries, names, items (16-aligned), in name order.
    m_ = len(kept)
    names_off = 4 + 8 * m_
    name_pos, nb = [], bytearray()
    for i in kept:
        name_pos.append(names_off + len(nb))
        nb += names[i] + b"\0"
    data_off = (names_off + len(nb) + 15) // 16 * 16
    items, item_pos = bytearray(), []
    for i in kept:
        item_pos.append(data_off + len(items))
        items += d[hs + ents[i][1]:hs + ents[i][1] + length[i]]
        items += b"\0" * (-len(items) % 16)
    toc = bytearray(struct.pack("<I", m_))
    for np_, ip in zip(name_pos, item_pos):
        toc += struct.pack("<II", np_, ip)
    toc += nb
    toc += b"\0" * (data_off - len(toc))
    new = d[:hs] + bytes(toc) + bytes(items)
    if len(new) > size:
        sys.exit("slim-node-icu: the reduced data does not fit")
    blob[fo:fo + size] = new + b"\0" * (size - len(new))
    open(dst, "wb").write(blob)
    print(f"slim-node-icu: ICU items {n} -> {m_}, {size / 2**20:.1f} -> {len(new) / 2**20:.1f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""gguf-weight-bytes.py — bytes of weights a decoder reads per generated token, from a GGUF's tensor table.

Definition used for the memory-bandwidth floor: every tensor is read once per token, except token_embd.weight,
of which one row is read (the embedding lookup) — unless the file has no output.weight (tied embeddings), in
which case token_embd.weight is also the output projection and is read whole. KV-cache and activation traffic
are not counted. Only the header and tensor table are parsed (no tensor data is read).

Usage: /usr/bin/python3 tools/bench/gguf-weight-bytes.py MODEL.gguf [--json]
Prints "<bytes> <dtype of the largest share> <n_params>" or, with --json, an object with those fields.
"""
import json
import struct
import sys

# ggml type id -> (name, block size in elements, bytes per block)
GGML_TYPES = {
    0: ("f32", 1, 4), 1: ("f16", 1, 2), 2: ("q4_0", 32, 18), 3: ("q4_1", 32, 20), 6: ("q5_0", 32, 22),
    7: ("q5_1", 32, 24), 8: ("q8_0", 32, 34), 10: ("q2_k", 256, 84), 11: ("q3_k", 256, 110),
    12: ("q4_k", 256, 144), 13: ("q5_k", 256, 176), 14: ("q6_k", 256, 210), 30: ("bf16", 1, 2),
}
# metadata value type -> fixed size in bytes (8 string and 9 array are variable)
SCALAR_SIZE = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


class Fail(Exception):
    pass


class Reader:
    def __init__(self, f, path):
        self.f, self.path = f, path

    def take(self, n):
        b = self.f.read(n)
        if len(b) != n:
            raise Fail("%s: truncated header" % self.path)
        return b

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def u64(self):
        return struct.unpack("<Q", self.take(8))[0]

    def string(self):
        n = self.u64()
        if n > 1 << 24:
            raise Fail("%s: implausible string length %d in header" % (self.path, n))
        return self.take(n).decode("utf-8", "replace")

    def skip_value(self, ty):
        if ty in SCALAR_SIZE:
            self.take(SCALAR_SIZE[ty])
        elif ty == 8:
            self.string()
        elif ty == 9:
            et, n = self.u32(), self.u64()
            if et in SCALAR_SIZE:
                self.f.seek(SCALAR_SIZE[et] * n, 1)
            else:
                for _ in range(n):
                    self.skip_value(et)
        else:
            raise Fail("%s: unknown metadata type %d" % (self.path, ty))


def tensor_table(path):
    with open(path, "rb") as f:
        r = Reader(f, path)
        if r.take(4) != b"GGUF":
            raise Fail("%s: not a GGUF file" % path)
        version = r.u32()
        if version not in (2, 3):
            raise Fail("%s: unsupported GGUF version %d" % (path, version))
        n_tensors, n_kv = r.u64(), r.u64()
        for _ in range(n_kv):
            r.string()
            r.skip_value(r.u32())
        out = []
        for _ in range(n_tensors):
            name = r.string()
            ne = [r.u64() for _ in range(r.u32())]
            ty = r.u32()
            r.u64()  # offset
            if ty not in GGML_TYPES:
                raise Fail("%s: tensor %s has ggml type %d this script does not know" % (path, name, ty))
            out.append((name, ne, ty))
        return out


def weight_bytes(path):
    tensors = tensor_table(path)
    names = {t[0] for t in tensors}
    tied = "output.weight" not in names
    total, params, by_type = 0, 0, {}
    for name, ne, ty in tensors:
        tname, blk, bsz = GGML_TYPES[ty]
        n = 1
        for d in ne:
            n *= d
        nbytes = n // blk * bsz
        params += n
        if name == "token_embd.weight" and not tied:
            nbytes = ne[0] // blk * bsz  # one row
        total += nbytes
        by_type[tname] = by_type.get(tname, 0) + nbytes
    main_type = max(by_type, key=by_type.get)
    return {"bytes": total, "dtype": main_type, "n_params": params, "tied_embeddings": tied}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gguf-weight-bytes.py MODEL.gguf [--json]")
    try:
        w = weight_bytes(sys.argv[1])
    except (Fail, OSError) as e:
        sys.exit("gguf-weight-bytes.py: %s" % e)
    if "--json" in sys.argv[2:]:
        print(json.dumps(w))
    else:
        print(w["bytes"], w["dtype"], w["n_params"])


if __name__ == "__main__":
    main()

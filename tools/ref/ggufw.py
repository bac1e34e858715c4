"""ggufw.py — a minimal GGUF v3 writer and reader in Python + NumPy, written from the format description
(magic "GGUF", version, tensor and metadata counts, key/value pairs, tensor infos, aligned data).

Used by the reference scripts to write model fixtures and reference logits. Independent of the C++ code.
"""
import struct

import numpy as np

GGUF_MAGIC = 0x46554747
ALIGN = 32

# metadata value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
# tensor dtypes (GGML ids)
T_F32, T_F16, T_Q4_0, T_Q8_0, T_Q4_K, T_I32, T_BF16 = 0, 1, 2, 8, 12, 26, 30
BLOCK = {T_F32: (1, 4), T_F16: (1, 2), T_BF16: (1, 2), T_I32: (1, 4), T_Q4_0: (32, 18), T_Q8_0: (32, 34),
         T_Q4_K: (256, 144)}


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


_SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f", BOOL: "<?", U64: "<Q",
           I64: "<q", F64: "<d"}


class Writer:
    def __init__(self):
        self.kv = []  # (key, bytes)
        self.tensors = []  # (name, dtype, shape ne[] innermost first, bytes)

    def add(self, key, vtype, value):
        out = _str(key) + struct.pack("<I", vtype)
        if vtype == STRING:
            out += _str(value)
        elif vtype == ARRAY:
            etype, items = value
            out += struct.pack("<IQ", etype, len(items))
            for it in items:
                out += _str(it) if etype == STRING else struct.pack(_SCALAR[etype], it)
        else:
            out += struct.pack(_SCALAR[vtype], value)
        self.kv.append((key, out))

    def u32(self, k, v): self.add(k, U32, int(v))
    def f32(self, k, v): self.add(k, F32, float(v))
    def string(self, k, v): self.add(k, STRING, v)
    def boolean(self, k, v): self.add(k, BOOL, bool(v))
    def strings(self, k, v): self.add(k, ARRAY, (STRING, list(v)))
    def f32s(self, k, v): self.add(k, ARRAY, (F32, [float(x) for x in v]))
    def i32s(self, k, v): self.add(k, ARRAY, (I32, [int(x) for x in v]))

    def tensor(self, name, dtype, ne, data: bytes):
        bs, bb = BLOCK[dtype]
        assert ne[0] % bs == 0, (name, ne)
        n_rows = int(np.prod(ne[1:])) if len(ne) > 1 else 1
        assert len(data) == ne[0] // bs * bb * n_rows, (name, len(data))
        self.tensors.append((name, dtype, list(ne), data))

    def write(self, path):
        head = struct.pack("<IIQQ", GGUF_MAGIC, 3, len(self.tensors), len(self.kv))
        head += b"".join(b for _, b in self.kv)
        off = 0
        for name, dtype, ne, data in self.tensors:
            head += _str(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
            head += struct.pack("<IQ", dtype, off)
            off += (len(data) + ALIGN - 1) // ALIGN * ALIGN
        head += b"\0" * ((-len(head)) % ALIGN)
        with open(path, "wb") as f:
            f.write(head)
            for _, _, _, data in self.tensors:
                f.write(data)
                f.write(b"\0" * ((-len(data)) % ALIGN))


def read(path, raw_kv=None):
    """Reads a GGUF file: returns (metadata dict, {name: (dtype id, ne list, raw bytes)}). A dict passed as
    raw_kv receives every key's whole encoded entry (key, type, value), which Writer.kv takes as is (copying
    metadata without re-typing it)."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = data[pos:pos + n].decode("utf-8", errors="surrogateescape")
        pos += n
        return s

    def value(t):
        if t == STRING:
            return string()
        if t == ARRAY:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(_SCALAR[t])

    magic, version, n_t, n_kv = take("<I"), take("<I"), take("<Q"), take("<Q")
    assert magic == GGUF_MAGIC and version in (2, 3), path
    kv = {}
    for _ in range(n_kv):
        start = pos
        k = string()
        kv[k] = value(take("<I"))
        if raw_kv is not None:
            raw_kv[k] = data[start:pos]
    infos = []
    for _ in range(n_t):
        name = string()
        nd = take("<I")
        ne = [take("<Q") for _ in range(nd)]
        infos.append((name, ne, take("<I"), take("<Q")))
    align = kv.get("general.alignment", ALIGN)
    start = (pos + align - 1) // align * align
    tensors = {}
    for name, ne, dt, off in infos:
        bs, bb = BLOCK[dt]
        n_bytes = ne[0] // bs * bb * (int(np.prod(ne[1:])) if len(ne) > 1 else 1)
        tensors[name] = (dt, ne, data[start + off:start + off + n_bytes])
    return kv, tensors

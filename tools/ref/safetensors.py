"""safetensors.py — a small reader and writer of the safetensors format, written from its description: an 8-byte
little-endian header length N, N bytes of JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}, optional
"__metadata__"}, then the raw little-endian tensor bytes (offsets relative to the end of the header).
Torch 1.13 has no safetensors support, and PyPI is not reachable here. Dtypes: F32, F16, BF16 (read as float32),
F64, I64, I32.
"""
import json
import struct

import numpy as np

_NP = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read(path):
    """Returns {name: numpy array}; BF16 comes back as float32 (exact)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors header")
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        if not (0 <= b <= e <= len(data) - base):
            raise ValueError(f"{path}: tensor {name} data [{b}, {e}) outside the file")
        raw = data[base + b:base + e]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "BF16":
            u = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif dt in _NP:
            arr = np.frombuffer(raw, np.dtype(_NP[dt]).newbyteorder("<"))
        else:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dt}")
        if arr.size != int(np.prod(shape)):
            raise ValueError(f"{path}: tensor {name} has {arr.size} elements for shape {shape}")
        out[name] = arr.reshape(shape)
    return out


def write(path, tensors, bf16=()):
    """tensors: {name: numpy array}; names in `bf16` are stored as BF16 (rounded to nearest even)."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        if name in bf16:
            u = np.ascontiguousarray(arr, np.float32).view(np.uint32)
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
            raw, dt = u.tobytes(), "BF16"
        else:
            dt = {np.dtype(v): k for k, v in _NP.items()}[arr.dtype]
            raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode("utf-8")
    h += b" " * ((-len(h)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)

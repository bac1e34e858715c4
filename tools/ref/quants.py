"""quants.py — NumPy quantize/dequantize of the GGML block formats Q8_0, Q4_0 and Q4_K, plus F16/BF16.

Written from the published block layouts; the independent twin of src/core/quant.cpp. Rows are 1-D float
arrays whose length is a multiple of the block size; results are the raw block bytes.
"""
import numpy as np


def f16_bytes(x):
    return np.asarray(x, np.float32).astype(np.float16).tobytes()


def bf16_bits(x):
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16  # round to nearest even (no NaNs here)
    return u.astype(np.uint16)


def bf16_dequant(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


# ---- Q8_0: 32 values; fp16 d = amax / 127; int8 q = round(x / d)
def q8_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0)
    q = np.round(b * inv[:, None]).astype(np.int8)
    dh = d.astype(np.float16)
    out = np.zeros(len(b), dtype=[("d", "<f2"), ("qs", "i1", 32)])
    out["d"], out["qs"] = dh, q
    return out.tobytes()


def dq8_0(raw, n):
    a = np.frombuffer(raw, dtype=[("d", "<f2"), ("qs", "i1", 32)], count=n // 32)
    return (a["d"].astype(np.float32)[:, None] * a["qs"].astype(np.float32)).reshape(-1)


# ---- Q4_0: 32 values; d = (value of largest magnitude) / -8; q = clamp(trunc(x/d + 8.5), 0, 15);
# byte j holds value j in its low nibble and value j + 16 in its high nibble; value = (q - 8) * d
def q4_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(len(b)), idx]
    d = mx / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0)
    q = np.clip(np.trunc(b * inv[:, None] + 8.5), 0, 15).astype(np.uint8)
    out = np.zeros(len(b), dtype=[("d", "<f2"), ("qs", "u1", 16)])
    out["d"] = d.astype(np.float16)
    out["qs"] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def dq4_0(raw, n):
    a = np.frombuffer(raw, dtype=[("d", "<f2"), ("qs", "u1", 16)], count=n // 32)
    lo = (a["qs"] & 0xF).astype(np.float32) - 8
    hi = (a["qs"] >> 4).astype(np.float32) - 8
    return (a["d"].astype(np.float32)[:, None] * np.concatenate([lo, hi], axis=1)).reshape(-1)


# ---- Q4_K: 256-value super-blocks of 8 sub-blocks of 32. fp16 d, fp16 dmin, 12 bytes holding eight 6-bit
# scales sc[i] and mins m[i], 128 bytes of nibbles. value = d * sc[i] * q - dmin * m[i].
# Packing: for j < 4: byte j = sc[j] | (sc[j+4] >> 4) << 6; byte j+4 = m[j] | (m[j+4] >> 4) << 6;
# byte j+8 = (sc[j+4] & 15) | (m[j+4] & 15) << 4. Nibbles: each 64-value chunk c uses bytes 32c..32c+31,
# low nibbles for sub-block 2c, high nibbles for sub-block 2c+1.
QK4K = np.dtype([("d", "<f2"), ("dmin", "<f2"), ("scales", "u1", 12), ("qs", "u1", 128)])


def _unpack_scales(s):
    sc = np.zeros(s.shape[:-1] + (8,), np.uint8)
    m = np.zeros_like(sc)
    sc[..., :4] = s[..., 0:4] & 63
    m[..., :4] = s[..., 4:8] & 63
    sc[..., 4:] = (s[..., 8:12] & 0xF) | ((s[..., 0:4] >> 6) << 4)
    m[..., 4:] = (s[..., 8:12] >> 4) | ((s[..., 4:8] >> 6) << 4)
    return sc, m


def q4_k(x):
    b = x.reshape(-1, 8, 32).astype(np.float32)
    mn = np.minimum(b.min(axis=2), 0)            # sub-block minimum (<= 0)
    mx = b.max(axis=2)
    scale = (mx - mn) / 15.0                      # per sub-block step
    d = scale.max(axis=1) / 63.0
    dmin = (-mn).max(axis=1) / 63.0
    d16, dmin16 = d.astype(np.float16), dmin.astype(np.float16)
    df, dminf = d16.astype(np.float32), dmin16.astype(np.float32)
    sc = np.clip(np.round(scale / np.where(df > 0, df, 1)[:, None]), 0, 63).astype(np.uint8)
    m = np.clip(np.round(-mn / np.where(dminf > 0, dminf, 1)[:, None]), 0, 63).astype(np.uint8)
    step = df[:, None] * sc
    off = dminf[:, None] * m
    q = np.clip(np.round((b + off[..., None]) / np.where(step > 0, step, 1)[..., None]), 0, 15).astype(np.uint8)
    q = np.where((step > 0)[..., None], q, 0).astype(np.uint8)
    out = np.zeros(len(b), dtype=QK4K)
    out["d"], out["dmin"] = d16, dmin16
    s = np.zeros((len(b), 12), np.uint8)
    s[:, 0:4] = sc[:, 0:4] | ((sc[:, 4:8] >> 4) << 6)
    s[:, 4:8] = m[:, 0:4] | ((m[:, 4:8] >> 4) << 6)
    s[:, 8:12] = (sc[:, 4:8] & 0xF) | ((m[:, 4:8] & 0xF) << 4)
    out["scales"] = s
    qs = np.zeros((len(b), 4, 32), np.uint8)
    for c in range(4):
        qs[:, c, :] = q[:, 2 * c, :] | (q[:, 2 * c + 1, :] << 4)
    out["qs"] = qs.reshape(-1, 128)
    return out.tobytes()


def dq4_k(raw, n):
    a = np.frombuffer(raw, dtype=QK4K, count=n // 256)
    sc, m = _unpack_scales(a["scales"])
    d = a["d"].astype(np.float32)[:, None] * sc
    mm = a["dmin"].astype(np.float32)[:, None] * m
    qs = a["qs"].reshape(-1, 4, 32)
    q = np.zeros((len(a), 8, 32), np.float32)
    for c in range(4):
        q[:, 2 * c, :] = qs[:, c, :] & 0xF
        q[:, 2 * c + 1, :] = qs[:, c, :] >> 4
    return (d[..., None] * q - mm[..., None]).reshape(-1)


QUANT = {"q8_0": (q8_0, dq8_0), "q4_0": (q4_0, dq4_0), "q4_k": (q4_k, dq4_k)}


def encode(x, dtype):
    """Returns (raw bytes, dequantized float32 values of the same shape) for one 2-D weight."""
    x = np.asarray(x, np.float32)
    if dtype == "f32":
        return x.tobytes(), x.copy()
    if dtype == "f16":
        h = x.astype(np.float16)
        return h.tobytes(), h.astype(np.float32)
    if dtype == "bf16":
        bits = bf16_bits(x)
        return bits.tobytes(), bf16_dequant(bits).reshape(x.shape)
    qf, dqf = QUANT[dtype]
    raw = qf(x.reshape(-1))
    return raw, dqf(raw, x.size).reshape(x.shape)

// gguf-write.mjs — a GGUF v3 file in memory, for the tools/bench scripts that build random-weight models
// (webgpu-bench.mjs: decoder LMs; webgpu-asr-bench.mjs: Moonshine). It lays out the header, the metadata, the
// tensor table and a zeroed data section (every tensor at a 32-byte aligned offset); the caller fills the
// tensors' bytes. It does not quantize, check names or shapes, or read GGUF (src/gguf does).
//   const kvs = [['general.architecture', 'str', 'llama'], ['llama.block_count', 'u32', 16],
//                ['tokenizer.ggml.tokens', 'strs', ['a', 'b']], ...];
//   const tensors = [{ name: 'blk.0.attn_q.weight', ne: [n_in, n_out], type: GGML.q4_0[0], bytes }, ...];
//   const { bytes, dataStart } = ggufBytes(kvs, tensors);  // tensor t's data: bytes[dataStart + t.offset ...]
// Value types: 'u32', 'f32', 'str', and the arrays 'strs', 'i32s', 'f32s'.

export const GGML = { f32: [0, 1, 4], f16: [1, 1, 2], q4_0: [2, 32, 18], q8_0: [8, 32, 34] };  // type id, block, bytes per block

const VALUE = { u32: 4, i32: 5, f32: 6, str: 8, array: 9 };  // GGUF metadata value type ids
const ALIGN = 32;

// xorshift32 from `seed`: each call returns the next 32-bit value (unsigned).
export function xorshift32(seed = 0x9e3779b9) {
  return () => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return seed >>> 0;
  };
}

// kvs: [key, value type, value]; tensors: {name, ne, type (ggml id), bytes}. Sets each tensor's `offset`
// (from dataStart). Returns {bytes: Uint8Array of the whole file, data zeroed, dataStart}.
export function ggufBytes(kvs, tensors) {
  const enc = new TextEncoder();
  const parts = [];
  let hsize = 0;
  const push = (u8) => { parts.push(u8); hsize += u8.length; };
  const num = (n, set) => { const b = new Uint8Array(n); set(new DataView(b.buffer)); push(b); };
  const u32b = (v) => num(4, (d) => d.setUint32(0, v, true));
  const u64b = (v) => num(8, (d) => d.setBigUint64(0, BigInt(v), true));
  const strb = (s) => { const u = enc.encode(s); u64b(u.length); push(u); };
  push(enc.encode('GGUF'));
  u32b(3);
  u64b(tensors.length);
  u64b(kvs.length);
  for (const [k, t, v] of kvs) {
    strb(k);
    if (t === 'u32' || t === 'f32' || t === 'str') {
      u32b(VALUE[t]);
      if (t === 'str') strb(v);
      else num(4, (d) => (t === 'u32' ? d.setUint32(0, v, true) : d.setFloat32(0, v, true)));
    } else if (t === 'strs') {
      u32b(VALUE.array);
      u32b(VALUE.str);
      u64b(v.length);
      for (const s of v) strb(s);
    } else if (t === 'i32s' || t === 'f32s') {
      u32b(VALUE.array);
      u32b(t === 'i32s' ? VALUE.i32 : VALUE.f32);
      u64b(v.length);
      const b = new Uint8Array(4 * v.length), d = new DataView(b.buffer);
      v.forEach((x, i) => (t === 'i32s' ? d.setInt32(4 * i, x, true) : d.setFloat32(4 * i, x, true)));
      push(b);
    } else {
      throw new Error(`gguf-write: ${k}: unknown value type ${t}`);
    }
  }
  let off = 0;
  for (const t of tensors) {
    strb(t.name);
    u32b(t.ne.length);
    for (const d of t.ne) u64b(d);
    u32b(t.type);
    t.offset = off;
    u64b(off);
    off += Math.ceil(t.bytes / ALIGN) * ALIGN;
  }
  const dataStart = Math.ceil(hsize / ALIGN) * ALIGN;
  const bytes = new Uint8Array(dataStart + off);
  let p = 0;
  for (const u of parts) { bytes.set(u, p); p += u.length; }
  return { bytes, dataStart };
}

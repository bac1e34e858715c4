// gguf-size.mjs — how many bytes a GGUF file says it holds, read from its first bytes (the header and tensor table),
// so that a download can refuse a model over the browser's budget before it is held, where the response gives no
// length (fetch-cache.mjs readBody) or its header claims more than its length (docs/browsers.md, "Memory budget").
//   ggufSize(prefix: Uint8Array) -> {total, tensors}  total: the end of the last tensor's data (data start, aligned
//       to general.alignment, + the largest offset + that tensor's bytes); a lower bound where a tensor's type is
//       not one of the GGML types below (its bytes counted as 0)
//     -> null: the prefix ends inside the header (read more and ask again)
//     -> {unknown: why}: not a GGUF v2/v3 header (no size can be told; the engine reports what is wrong with it)
// Does not: check the tensors' names, shapes or data (the engine's GGUF reader, src/core/gguf.cpp, does), read v1 files.

// GGML type -> [bytes per block, values per block] (ggml's type traits; the types sotto reads and their neighbours).
const TYPES = {
  0: [4, 1], 1: [2, 1], 2: [18, 32], 3: [20, 32], 6: [22, 32], 7: [24, 32], 8: [34, 32], 9: [36, 32],
  10: [84, 256], 11: [110, 256], 12: [144, 256], 13: [176, 256], 14: [210, 256], 15: [292, 256],
  24: [1, 1], 25: [2, 1], 26: [4, 1], 27: [8, 1], 28: [8, 1], 30: [2, 1],
};
// Value types of metadata: fixed sizes (8: string, 9: array are read apart).
const FIXED = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

class Short extends Error {}

export function ggufSize(prefix) {
  const dv = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let p = 0;
  const need = (n) => { if (p + n > prefix.byteLength) throw new Short(); };
  const u32 = () => { need(4); const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { need(8); const v = dv.getBigUint64(p, true); p += 8; return v; };
  const count = (what) => {
    const v = u64();
    if (v > 0xffffffffn) throw new Error(`a ${what} count of ${v}`);
    return Number(v);
  };
  const skip = (n) => { need(n); p += n; };
  const str = () => { const n = count('string length'); need(n); const s = prefix.subarray(p, p + n); p += n; return s; };
  const skipValue = (type) => {
    if (type === 8) { str(); return; }
    if (type === 9) {
      const t = u32(), n = count('array');
      if (FIXED[t]) skip(FIXED[t] * n);
      else for (let i = 0; i < n; i++) skipValue(t);
      return;
    }
    if (!FIXED[type]) throw new Error(`a metadata value of type ${type}`);
    skip(FIXED[type]);
  };
  try {
    if (u32() !== 0x46554747) return { unknown: 'not a GGUF file' };
    const version = u32();
    if (version !== 2 && version !== 3) return { unknown: `GGUF version ${version}` };
    const nTensors = count('tensor'), nKv = count('metadata');
    let alignment = 32;
    for (let i = 0; i < nKv; i++) {
      const key = new TextDecoder().decode(str());
      const type = u32();
      if (key === 'general.alignment' && type === 4) alignment = u32() || 32;
      else skipValue(type);
    }
    let end = 0n;
    for (let i = 0; i < nTensors; i++) {
      str();
      const nDims = u32();
      if (nDims > 8) return { unknown: `a tensor of ${nDims} dimensions` };
      let values = 1n;
      for (let d = 0; d < nDims; d++) values *= u64();
      const [size, block] = TYPES[u32()] ?? [0, 1];
      const bytes = (values / BigInt(block)) * BigInt(size);
      const offset = u64();
      if (offset + bytes > end) end = offset + bytes;
    }
    const a = BigInt(alignment);
    const dataStart = ((BigInt(p) + a - 1n) / a) * a;
    return { total: Number(dataStart + end), tensors: nTensors };
  } catch (e) {
    if (e instanceof Short) return null;
    return { unknown: e.message };
  }
}

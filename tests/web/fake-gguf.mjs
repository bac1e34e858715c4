// fake-gguf.mjs — a GGUF header (v3) whose one tensor claims `bytes` of F32 data, with no data after it: a model over
// a browser's budget that takes no memory or disk in a test (fetch-cache.mjs refuses it from its header,
// web/gguf-size.mjs). claimsHuge(3 * 2 ** 30) -> Buffer of about 100 bytes.
export function claimsHuge(bytes) {
  const str = (s) => { const b = Buffer.from(s); const n = Buffer.alloc(8); n.writeBigUInt64LE(BigInt(b.length)); return Buffer.concat([n, b]); };
  const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; };
  const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; };
  const values = Math.ceil(bytes / 4), cols = 4096;
  return Buffer.concat([Buffer.from('GGUF'), u32(3), u64(1), u64(1),
                        str('general.architecture'), u32(8), str('llama'),
                        str('token_embd.weight'), u32(2), u64(cols), u64(Math.ceil(values / cols)), u32(0), u64(0)]);
}

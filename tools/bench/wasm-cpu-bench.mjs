// wasm-cpu-bench.mjs — prefill and decode speed of our wasm CPU backend (the browser fallback when there is
// no WebGPU adapter: wasm/sotto.mjs Sotto.create(wasmBytes) without a GpuHost, SIMD128 kernels; one thread
// on sotto.wasm, or --threads N > 1 on the threaded build sotto-mt.wasm, N - 1 Workers)
// on a GGUF file, e.g. one written by tools/bench/webgpu-bench.mjs --save (the bytes ORT's converter reads).
// Decodes greedily with the low-level calls: start(ids, {temperature: 0}) prefills (chunks of 256), each
// step() takes the argmax of the last logits and runs that token through the model — the same work per
// token as one session.run + argmax in tools/bench/ort-web/bench.mjs.
// Measures (best of --reps, after a warm-up of 16 prompt ids + 4 tokens): prefill tok/s (the --prompt ids of
// webgpu-bench.mjs and ort-web/bench.mjs, the same pseudo-random sequence, one start()), decode tok/s (--gen
// step() calls), each also per CPU second of the process (*_cpu_tok_s: steadier on a shared machine). One JSON line with the field names of ort-web/bench.mjs (those that apply), a summary on
// stderr. first_tokens: the first 8 greedy ids of the last rep (compare with ort-web/bench.mjs).
// Usage: node tools/bench/wasm-cpu-bench.mjs --gguf m.gguf [--arch qwen25] [--type q4_0] [--prompt 512]
//        [--gen 128] [--reps 3] [--threads 1] [--wasm build-wasm/sotto.wasm (threads > 1: sotto-mt.wasm)]
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ gguf: '', arch: '', type: '', prompt: 512, gen: 128, reps: 3, threads: 1, wasm: '' });
opt.wasm ||= join(root, 'build-wasm', opt.threads > 1 ? 'sotto-mt.wasm' : 'sotto.wasm');
if (!opt.gguf) throw new Error('wasm-cpu-bench.mjs: --gguf is required');
if (!(opt.prompt >= 16 && opt.gen >= 1 && opt.reps >= 1 && opt.threads >= 1)) throw new Error('wasm-cpu-bench.mjs: --prompt >= 16, --gen >= 1, --reps >= 1, --threads >= 1');

// The few header fields the result names (architecture, block count, vocabulary), read from the GGUF.
function ggufInfo(u8) {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.length);
  const dec = new TextDecoder();
  let p = 0;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = () => { const n = u64(); const s = dec.decode(u8.subarray(p, p + n)); p += n; return s; };
  const size = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const scalar = (t) => {
    if (t === 4) return u32();
    if (t === 10) return u64();
    if (t === 8) return str();
    if (size[t] === undefined) throw new Error(`${opt.gguf}: unknown metadata type ${t}`);
    p += size[t];
    return null;
  };
  if (u32() !== 0x46554747) throw new Error(`${opt.gguf}: not a GGUF file`);
  u32();
  const nTensors = u64(), nKv = u64();
  const kv = {};
  for (let i = 0; i < nKv; i++) {
    const key = str(), t = u32();
    if (t === 9) {
      const et = u32(), n = u64();
      for (let j = 0; j < n; j++) { if (et === 8) str(); else if (size[et] !== undefined) p += size[et]; else throw new Error(`${opt.gguf}: bad array`); }
      kv[key] = n;  // arrays: their length (tokenizer.ggml.tokens -> the vocabulary)
    } else {
      kv[key] = scalar(t);
    }
  }
  return { kv, nTensors };
}

const bytes = readFileSync(opt.gguf);
const { kv } = ggufInfo(bytes);
const a = kv['general.architecture'];
const nVocab = kv['tokenizer.ggml.tokens'];

const e = await Sotto.create(readFileSync(opt.wasm), { threads: opt.threads });
let t = performance.now();
await e.load(bytes, { name: opt.gguf, nCtx: opt.prompt + opt.gen + 8 });
const loadS = (performance.now() - t) / 1000;
const threads = e.threadsOf();
if (threads !== opt.threads) throw new Error(`wasm-cpu-bench.mjs: --threads ${opt.threads}, the session runs on ${threads} (${opt.wasm})`);
const wasmBytes = e.memory.buffer.byteLength;

let rng = 12345;  // the prompt of webgpu-bench.mjs and ort-web/bench.mjs
const ids = Array.from({ length: opt.prompt }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (nVocab - 256)); });
const greedy = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, seed: 0 };
e.start(ids.slice(0, 16), greedy);
for (let i = 0; i < 4; i++) e.step();
let prefill = 0, decode = 0, prefillCpu = 0, decodeCpu = 0;
// CPU seconds of this process (all its threads) since c: on a loaded machine a rate per CPU second moves less
// than one per wall second (a descheduled thread is not counted); with threads > 1 it is not comparable.
const cpuSince = (c) => { const u = process.cpuUsage(c); return (u.user + u.system) / 1e6; };
const tokens = [];
for (let r = 0; r < opt.reps; r++) {
  t = performance.now();
  let c = process.cpuUsage();
  e.start(ids, greedy);
  prefill = Math.max(prefill, opt.prompt / ((performance.now() - t) / 1000));
  prefillCpu = Math.max(prefillCpu, opt.prompt / cpuSince(c));
  tokens.length = 0;
  t = performance.now();
  c = process.cpuUsage();
  for (let i = 0; i < opt.gen; i++) {
    const id = e.step();
    if (id < 0) throw new Error('wasm-cpu-bench.mjs: context full');
    if (e.isEog(id)) throw new Error(`wasm-cpu-bench.mjs: end-of-generation token ${id} after ${i} tokens (a model with no EOG is expected)`);
    tokens.push(id);
  }
  decode = Math.max(decode, opt.gen / ((performance.now() - t) / 1000));
  decodeCpu = Math.max(decodeCpu, opt.gen / cpuSince(c));
}
const result = {
  arch: opt.arch || a, type: opt.type, layers: kv[`${a}.block_count`], vocab: nVocab, adapter: 'cpu (wasm)',
  runtime: `sotto wasm cpu (${/relaxed/.test(opt.wasm) ? 'relaxed SIMD' : 'SIMD128'}, ${threads} thread${threads > 1 ? 's' : ''})`, threads, dtype: 'float32',
  prompt: opt.prompt, gen: opt.gen, prefill_tok_s: +prefill.toFixed(2), decode_tok_s: +decode.toFixed(2),
  prefill_cpu_tok_s: +prefillCpu.toFixed(2), decode_cpu_tok_s: +decodeCpu.toFixed(2),
  gguf_bytes: statSync(opt.gguf).size, wasm_memory_bytes: wasmBytes, load_s: +loadS.toFixed(2),
  first_tokens: tokens.slice(0, 8),
};
console.log(JSON.stringify(result));
console.error(`${result.arch} ${opt.type} (${result.runtime}): prefill ${result.prefill_tok_s} tok/s, ` +
              `decode ${result.decode_tok_s} tok/s, load ${result.load_s} s`);
e.dispose();

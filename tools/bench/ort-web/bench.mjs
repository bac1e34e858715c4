// bench.mjs — prefill and decode speed of onnxruntime-web (WebGPU EP on Dawn for Node, or its wasm EP) on
// a gguf-to-onnx.py model made from the same GGUF bytes as tools/bench/webgpu-bench.mjs (--save), decoding
// the way Transformers.js does: one session.run per token with the KV cache kept on the GPU
// (preferredOutputLocation 'gpu-buffer' for present.*, fed back as past_key_values.*), the last position's
// logits (float32, n_vocab) read back every step and the argmax taken in JS.
// Measures (best of --reps, after a warm-up of 16 prompt ids + 4 tokens): prefill tok/s (the --prompt ids
// of webgpu-bench.mjs, the same pseudo-random sequence, in one run, + the first token's logits), decode
// tok/s (--gen tokens), peak GPU memory of the device's buffers. One JSON line per run (the fields of
// webgpu-bench.mjs where they apply), a summary on stderr.
// Usage: node tools/bench/ort-web/bench.mjs --gguf m.gguf --onnx m.onnx [--arch qwen25] [--type q4_0]
//        [--prompt 512] [--gen 128] [--reps 3] [--ort native|jsep] [--ep webgpu|wasm] [--threads 1] [--ort-dir D] [--webgpu M]
import { statSync } from 'node:fs';
import { loadOrt, OrtLm, argmax, readBig, readGguf } from './ort-lm.mjs';
import { parseOptions } from '../options.mjs';

const opt = parseOptions({ gguf: '', onnx: '', arch: '', type: '', prompt: 512, gen: 128, reps: 3, ort: 'native', ep: 'webgpu',
              'ort-dir': '', webgpu: '', fallback: false, dtype: '', threads: 1 });
if (!opt.gguf || !opt.onnx) throw new Error('bench.mjs: --gguf and --onnx are required');

const { kv, tensors } = readGguf(readBig(opt.gguf, 64 * 2 ** 20));  // the header (metadata, tensor shapes)
const a = kv['general.architecture'];
const nVocab = tensors['token_embd.weight'].ne[1];
const nKv = kv[`${a}.attention.head_count_kv`], headDim = kv[`${a}.attention.key_length`];

const rt = await loadOrt({ build: opt.ort, ep: opt.ep, ortDir: opt['ort-dir'] || undefined,
                           webgpuModule: opt.webgpu || undefined, fallback: opt.fallback, trackMemory: true,
                           threads: opt.threads });
const lm = await OrtLm.create(rt, opt.onnx);

let rng = 12345;  // the prompt of webgpu-bench.mjs
const ids = Array.from({ length: opt.prompt }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (nVocab - 256)); });
lm.reset(nKv, headDim);
let out = await lm.forward(ids.slice(0, Math.min(16, opt.prompt)));
for (let i = 0; i < 4; i++) out = await lm.forward([argmax(out)]);
let prefill = 0, decode = 0, prefillCpu = 0, decodeCpu = 0;
// CPU seconds of this process since c (as wasm-cpu-bench.mjs: comparable for one thread of the wasm EP only)
const cpuSince = (c) => { const u = process.cpuUsage(c); return (u.user + u.system) / 1e6; };
const tokens = [];
for (let r = 0; r < opt.reps; r++) {
  lm.reset(nKv, headDim);
  let t = performance.now();
  let c = process.cpuUsage();
  out = await lm.forward(ids);
  let tok = argmax(out);
  prefill = Math.max(prefill, opt.prompt / ((performance.now() - t) / 1000));
  prefillCpu = Math.max(prefillCpu, opt.prompt / cpuSince(c));
  t = performance.now();
  c = process.cpuUsage();
  tokens.length = 0;
  for (let i = 0; i < opt.gen; i++) {
    out = await lm.forward([tok]);
    tokens.push(tok);
    tok = argmax(out);
  }
  decode = Math.max(decode, opt.gen / ((performance.now() - t) / 1000));
  decodeCpu = Math.max(decodeCpu, opt.gen / cpuSince(c));
}
const result = {
  arch: opt.arch || a, type: opt.type, layers: kv[`${a}.block_count`], vocab: nVocab, adapter: rt.adapterInfo,
  runtime: `onnxruntime-web ${rt.ort.env.versions?.web ?? ''} ${opt.ort} ${opt.ep}`.trim(), threads: opt.threads, dtype: lm.kvType,
  prompt: opt.prompt, gen: opt.gen, prefill_tok_s: +prefill.toFixed(1), decode_tok_s: +decode.toFixed(1),
  prefill_cpu_tok_s: +prefillCpu.toFixed(2), decode_cpu_tok_s: +decodeCpu.toFixed(2),
  submits_per_token: 'session.run', readback_bytes_per_token: 4 * nVocab,
  peak_gpu_bytes: rt.memory ? rt.memory.peak : 0, features: rt.features,
  gguf_bytes: statSync(opt.gguf).size, onnx_bytes: lm.modelBytes, load_s: +lm.loadS.toFixed(2),
  first_tokens: tokens.slice(0, 8),
};
console.log(JSON.stringify(result));
console.error(`${result.arch} ${opt.type} (${result.runtime}, ${lm.kvType}): prefill ${result.prefill_tok_s} tok/s, ` +
              `decode ${result.decode_tok_s} tok/s, peak GPU ${(result.peak_gpu_bytes / 2 ** 20).toFixed(0)} MiB`);
await lm.dispose();
process.exit(0);

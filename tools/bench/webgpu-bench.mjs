// webgpu-bench.mjs — decode and prefill speed of the WebGPU backend (wasm build + wasm/gpu-host.mjs on
// Dawn, npm `webgpu`) for real model shapes with random weights, built here in memory as GGUF:
//   qwen25  Qwen2.5-0.5B  (896 x 24 layers, 14/2 heads, ff 4864, vocab 151936, QKV bias, tied)
//   llama32 Llama-3.2-1B  (2048 x 16 layers, 32/8 heads, ff 8192, vocab 128256, llama3 RoPE factors, tied)
//   gemma3  Gemma-3-270M  (640 x 18 layers, 4/1 heads of 256, ff 2048, vocab 262144, 5:1 sliding window)
// Weights: the matrices in --type (q4_0, q8_0, f16), norms F32 = 1, biases 0; quantized blocks get random
// quants with scale 0.01 (speed does not depend on the values). The tokenizer is a placeholder (byte
// tokens + "[PAD<id>]"), with no end-of-generation token, so decoding never stops early.
// Measures (best of --reps): prefill tok/s (a prompt of --prompt random ids, one gpuStart: prefill in
// forward passes of --chunk tokens (default: the engine's, 512) + the first token), decode tok/s (--gen tokens, one submit + a 4-byte read-back each),
// dispatches per decoded token, weight bytes per token and the bandwidth floor at --bw bytes/s
// (tok/s if every weight byte were read once at that bandwidth), peak GPU memory of the engine's buffers,
// the wasm memory after load (weights are streamed into GPU buffers, never copied into wasm memory).
// Prints one JSON line per run (and a readable summary to stderr).
// Usage: node tools/bench/webgpu-bench.mjs --arch qwen25 --type q4_0 [--prompt 512] [--gen 128] [--reps 3]
//        [--layers N] [--vocab N] [--wasm build-wasm/sotto.wasm] [--fallback] [--bw 2.4e12] [--webgpu <module path>]
//        [--limits adapter|default] (default: WebGPU's default limits, 128 MiB bindings, as a browser tab)
//        [--features on|off] (off: no subgroups / shader-f16, the fallback kernels)
//        [--dawn-toggles allow_unsafe_apis,vulkan_enable_f16_on_nvidia] (Dawn features to enable; default
//        $SOTTO_DAWN_TOGGLES: on NVIDIA's Vulkan these two expose shader-f16 and subgroup matrices, which
//        matmul-sgmat.wgsl uses) [--sgmat on|off] (off: keep subgroup matrices unused where offered)
//        [--prompts 512,2048] (each length in turn) [--tiles -1,0,1,2,3] (prefill with each forced matmul tile)
//        [--chunk N] (prompt tokens per forward pass)
//        [--save PATH] (write that GGUF to PATH and exit, no GPU: llama.cpp, ORT and the engine read the same bytes)
//        [--split-attention] (also decode after each prompt with attention-split.wgsl instead of attention-decode.wgsl:
//        "decode_split_tok_s" in the runs)
//        [--submit-every 0,24,48] (prefill and decode of the first prompt with each sotto_gpu_submit_every value:
//        a submit at a layer boundary once that many dispatches wait; "submit_every" in the JSON)
//        [--pipeline 0,1] (prefill and decode of the first prompt with greedy pipelining off (0) and on (1, the
//        default of every other run): "pipeline" in the JSON)
//        [--dp4a-kb 1,2,4] (prefill of the first prompt with matmul-dp4a.wgsl's K loop taking that many blocks a
//        stage: "dp4a_kb" in the JSON)
//        [--profile] (after the runs, where the adapter has timestamp-query: per-kernel GPU time of a prefill (with
//        the last of --tiles) and of
//        decode steps after the first and the longest prompt, each dispatch in a pass of its own with timestamps,
//        and the CPU side of a decode step (from gpuNext to its submit) and its wall time, measured without
//        timestamps; into the JSON line's "profile" and as Markdown tables on stderr)
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GGML, ggufBytes, xorshift32 } from './gguf-write.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ arch: 'qwen25', type: 'q4_0', prompt: 512, gen: 128, reps: 3, layers: 0, vocab: 0, bw: 2.4e12,
              wasm: join(root, 'build-wasm', 'sotto.wasm'), fallback: false, limits: 'adapter', features: 'on', save: '',
              prompts: '', tiles: '', chunk: 0, profile: false, 'split-attention': false, 'submit-every': '', pipeline: '', 'dp4a-kb': '',
              'dawn-toggles': process.env.SOTTO_DAWN_TOGGLES ?? '', sgmat: 'on',
              webgpu: join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js') });

const ARCHS = {
  qwen25: { arch: 'qwen2', n_embd: 896, n_layer: 24, n_head: 14, n_head_kv: 2, head_dim: 64, n_ff: 4864,
            n_vocab: 151936, rope_base: 1e6, eps: 1e-6, bias: true },
  llama32: { arch: 'llama', n_embd: 2048, n_layer: 16, n_head: 32, n_head_kv: 8, head_dim: 64, n_ff: 8192,
             n_vocab: 128256, rope_base: 500000, eps: 1e-5, llama3_rope: true },
  gemma3: { arch: 'gemma3', n_embd: 640, n_layer: 18, n_head: 4, n_head_kv: 1, head_dim: 256, n_ff: 2048,
            n_vocab: 262144, rope_base: 1e6, eps: 1e-6, gemma: true },
};

// ---- a GGUF v3 file in memory (gguf-write.mjs)
function buildGguf(cfg, type) {
  const kvs = [], tensors = [];
  const a = cfg.arch;
  const str = (k, v) => kvs.push([k, 'str', v]);
  const u32 = (k, v) => kvs.push([k, 'u32', v]);
  const f32 = (k, v) => kvs.push([k, 'f32', v]);
  str('general.architecture', a);
  str('general.name', `${a}-random-${type}`);
  u32(`${a}.context_length`, 8192);
  u32(`${a}.embedding_length`, cfg.n_embd);
  u32(`${a}.block_count`, cfg.n_layer);
  u32(`${a}.feed_forward_length`, cfg.n_ff);
  u32(`${a}.attention.head_count`, cfg.n_head);
  u32(`${a}.attention.head_count_kv`, cfg.n_head_kv);
  u32(`${a}.attention.key_length`, cfg.head_dim);
  u32(`${a}.attention.value_length`, cfg.head_dim);
  f32(`${a}.attention.layer_norm_rms_epsilon`, cfg.eps);
  f32(`${a}.rope.freq_base`, cfg.rope_base);
  u32(`${a}.rope.dimension_count`, cfg.head_dim);
  if (cfg.gemma) {
    u32(`${a}.attention.sliding_window`, 512);
    f32(`${a}.rope.freq_base_swa`, 10000);
  }
  const toks = [];
  for (let i = 0; i < cfg.n_vocab; i++) toks.push(i < 256 ? String.fromCharCode(0x100 + i) : `[PAD${i}]`);
  str('tokenizer.ggml.model', 'gpt2');
  str('tokenizer.ggml.pre', 'default');
  kvs.push(['tokenizer.ggml.tokens', 'strs', toks]);
  kvs.push(['tokenizer.ggml.merges', 'strs', []]);

  const [tid, blk, bb] = GGML[type];
  const mat = (name, n_in, n_out) => tensors.push({ name, ne: [n_in, n_out], type: tid, bytes: n_in / blk * bb * n_out, kind: type });
  const vec = (name, n, fill) => tensors.push({ name, ne: [n], type: 0, bytes: 4 * n, kind: 'f32', fill });
  const e = cfg.n_embd, q = cfg.n_head * cfg.head_dim, kv = cfg.n_head_kv * cfg.head_dim;
  mat('token_embd.weight', e, cfg.n_vocab);
  vec('output_norm.weight', e, 1);
  if (cfg.llama3_rope) {
    const f = new Float32Array(cfg.head_dim / 2);
    for (let i = 0; i < f.length; i++) {
      const wavelen = 2 * Math.PI / Math.pow(cfg.rope_base, 2 * i / cfg.head_dim);
      if (wavelen < 8192 / 4) f[i] = 1;
      else if (wavelen > 8192) f[i] = 32;
      else { const s = (8192 / wavelen - 1) / 3; f[i] = 1 / ((1 - s) / 32 + s); }
    }
    tensors.push({ name: 'rope_freqs.weight', ne: [f.length], type: 0, bytes: 4 * f.length, kind: 'raw', raw: f });
  }
  for (let l = 0; l < cfg.n_layer; l++) {
    const b = `blk.${l}.`;
    vec(b + 'attn_norm.weight', e, 1);
    mat(b + 'attn_q.weight', e, q);
    mat(b + 'attn_k.weight', e, kv);
    mat(b + 'attn_v.weight', e, kv);
    mat(b + 'attn_output.weight', q, e);
    if (cfg.bias) for (const [n, d] of [['q', q], ['k', kv], ['v', kv]]) vec(`${b}attn_${n}.bias`, d, 0);
    if (cfg.gemma) {
      vec(b + 'attn_q_norm.weight', cfg.head_dim, 1);
      vec(b + 'attn_k_norm.weight', cfg.head_dim, 1);
      vec(b + 'post_attention_norm.weight', e, 1);
      vec(b + 'post_ffw_norm.weight', e, 1);
    }
    vec(b + 'ffn_norm.weight', e, 1);
    mat(b + 'ffn_gate.weight', e, cfg.n_ff);
    mat(b + 'ffn_up.weight', e, cfg.n_ff);
    mat(b + 'ffn_down.weight', cfg.n_ff, e);
  }

  const { bytes: out, dataStart } = ggufBytes(kvs, tensors);
  // Tensor data.
  const rnd = xorshift32();
  const h01 = 0x211f;  // f16 0.01
  for (const t of tensors) {
    const base = dataStart + t.offset;
    const dv = new DataView(out.buffer, base, t.bytes);
    if (t.kind === 'raw') out.set(new Uint8Array(t.raw.buffer), base);
    else if (t.kind === 'f32') for (let i = 0; i < t.bytes / 4; i++) dv.setFloat32(4 * i, t.fill, true);
    else {
      const w = new Uint32Array(out.buffer, base, Math.floor(t.bytes / 4));
      for (let i = 0; i < w.length; i++) w[i] = rnd();
      if (t.kind === 'f16') for (let i = 0; i < t.bytes / 2; i++) dv.setUint16(2 * i, (dv.getUint16(2 * i, true) & 0x83ff) | 0x2000, true);
      else for (let i = 0; i < t.bytes; i += bb) dv.setUint16(i, h01, true);
    }
  }
  return { bytes: out, tensors };
}

// ---- run
const cfg = { ...ARCHS[opt.arch] };
if (!cfg.arch) throw new Error(`--arch: one of ${Object.keys(ARCHS).join(', ')}`);
if (!GGML[opt.type] || opt.type === 'f32') throw new Error('--type: q4_0, q8_0 or f16');
if (opt.layers > 0) cfg.n_layer = opt.layers;
if (opt.vocab > 0) cfg.n_vocab = opt.vocab;  // smoke tests only: the real vocabulary is the default
if (opt.save) {
  const b = buildGguf(cfg, opt.type).bytes, fd = openSync(opt.save, 'w');
  for (let o = 0; o < b.length;) o += writeSync(fd, b, o, Math.min(2 ** 30, b.length - o));  // > 2 GiB in pieces
  closeSync(fd);
  process.exit(0);
}
const { create, globals } = await import(pathToFileURL(resolve(opt.webgpu)).href);
Object.assign(globalThis, globals);
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');

const tBuild = performance.now();
const { bytes } = buildGguf(cfg, opt.type);
const buildS = (performance.now() - tBuild) / 1000;
// Profiling: Dawn's timestamps unquantized (its default rounds them, as a browser does, to limit timing attacks).
const dawn = [...(opt.profile ? ['disable-dawn-features=timestamp_quantization'] : []),
              ...(opt['dawn-toggles'] ? [`enable-dawn-features=${opt['dawn-toggles']}`] : [])];
const host = await GpuHost.create(create(dawn),
                                  { forceFallbackAdapter: opt.fallback, limits: opt.limits,
                                    features: opt.features !== 'off', profile: opt.profile,
                                    subgroupMatrix: opt.sgmat !== 'off' });
const info = host.adapter.info ?? {};
const engine = await Sotto.create(readFileSync(opt.wasm), { gpu: host });
const tLoad = performance.now();
// Streamed: the engine gets the header and the small tensors; the weights go from `bytes` to GPU buffers.
// --prompts 512,2048: prefill and decode after each prompt length (the first is the headline result);
// --tiles -1,0,3: prefill with each forced matmul tile (sotto_gpu_matmul_tile; -1 chooses by shape, decode uses it).
const prompts = String(opt.prompts || opt.prompt).split(',').map(Number);
const tiles = String(opt.tiles || '-1').split(',').map(Number);
opt.prompt = prompts[0];
const maxPrompt = Math.max(...prompts);
await engine.loadStream(Sotto.bytesSource(bytes), { name: `${opt.arch}-${opt.type}.gguf`, nCtx: maxPrompt + opt.gen + 8 });
const loadS = (performance.now() - tLoad) / 1000;
const wasmBytes = engine.memory.buffer.byteLength;
const weightBytes = engine.call('sotto_weight_bytes', engine.session);

let rng = 12345;
const ids = Int32Array.from({ length: maxPrompt }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (cfg.n_vocab - 256)); });
// Warm-up (pipeline compilation, bind groups): a short prompt and a few tokens, and each tile once; a tile that
// fails here (a kernel the adapter does not compile) is reported and left out of the runs.
for (const tile of [...tiles]) {
  engine.call('sotto_gpu_matmul_tile', tile);
  try {
    await engine.gpuStart(ids.subarray(0, Math.min(64, maxPrompt)));
  } catch (e) {
    console.error(`  tile ${tile}: failed (${String(e.message ?? e).split('\n')[0]}); left out`);
    tiles.splice(tiles.indexOf(tile), 1);
    if (!tiles.length) throw e;
  }
}
engine.call('sotto_gpu_matmul_tile', -1);
await engine.gpuStart(ids.subarray(0, Math.min(16, maxPrompt)));
for (let i = 0; i < 4; i++) await engine.gpuNext();
const chunk = engine.call('sotto_gpu_prefill_chunk', engine.session, opt.chunk);
const runs = [];
for (const p of prompts) {
  for (const tile of tiles) {
    engine.call('sotto_gpu_matmul_tile', tile);
    let prefill = 0, decode = 0, dispatches = 0, prefillDispatches = 0;
    for (let r = 0; r < opt.reps; r++) {
      let t = performance.now();
      await engine.gpuStart(ids.subarray(0, p));
      prefill = Math.max(prefill, p / ((performance.now() - t) / 1000));
      prefillDispatches = engine.gpuDispatches();
      if (tile !== tiles[0]) continue;  // decode once per prompt length
      t = performance.now();
      for (let i = 0; i < opt.gen; i++) {
        const id = await engine.gpuNext();
        if (id < 0) throw new Error('context full');
        if (i === 0) dispatches = engine.gpuDispatches();
      }
      decode = Math.max(decode, opt.gen / ((performance.now() - t) / 1000));
    }
    let decodeSplit;
    if (opt['split-attention'] && tile === tiles[0]) {
      engine.call('sotto_gpu_attention_decode', 0);
      decodeSplit = 0;
      for (let r = 0; r < opt.reps; r++) {
        await engine.gpuStart(ids.subarray(0, p));
        const t = performance.now();
        for (let i = 0; i < opt.gen; i++) await engine.gpuNext();
        decodeSplit = Math.max(decodeSplit, opt.gen / ((performance.now() - t) / 1000));
      }
      engine.call('sotto_gpu_attention_decode', 1);
    }
    runs.push({ prompt: p, tile, prefill_tok_s: +prefill.toFixed(1), prefill_dispatches: prefillDispatches,
                ...(tile === tiles[0] ? { decode_tok_s: +decode.toFixed(1), dispatches_per_token: dispatches } : {}),
                ...(decodeSplit !== undefined ? { decode_split_tok_s: +decodeSplit.toFixed(1) } : {}) });
    console.error(`  prompt ${p} tile ${tile}: prefill ${prefill.toFixed(1)} tok/s` + (tile === tiles[0] ? `, decode ${decode.toFixed(1)} tok/s` : '') +
                (decodeSplit !== undefined ? ` (attention-split.wgsl: ${decodeSplit.toFixed(1)})` : ''));
  }
}
engine.call('sotto_gpu_matmul_tile', -1);
// Best of opt.reps on the first prompt: its prefill tok/s and, with decode, the tok/s of opt.gen tokens after it.
async function bestOfReps(decodeToo) {
  let prefill = 0, decode = 0;
  for (let r = 0; r < opt.reps; r++) {
    let t = performance.now();
    await engine.gpuStart(ids.subarray(0, prompts[0]));
    prefill = Math.max(prefill, prompts[0] / ((performance.now() - t) / 1000));
    if (!decodeToo) continue;
    t = performance.now();
    for (let i = 0; i < opt.gen; i++) await engine.gpuNext();
    decode = Math.max(decode, opt.gen / ((performance.now() - t) / 1000));
  }
  return { prefill, decode };
}
// For each value of the comma-separated option: await set(value), then bestOfReps; rows {[key]: value, prompt,
// prefill_tok_s[, decode_tok_s]}, and a line on stderr.
async function sweep(option, key, set, decodeToo) {
  const rows = [];
  for (const k of String(option).split(',').filter((x) => x !== '').map(Number)) {
    await set(k);
    const { prefill, decode } = await bestOfReps(decodeToo);
    rows.push({ [key]: k, prompt: prompts[0], prefill_tok_s: +prefill.toFixed(1),
                ...(decodeToo ? { decode_tok_s: +decode.toFixed(1) } : {}) });
    console.error(`  ${key.replace(/_/g, ' ')} ${k}: prefill ${prefill.toFixed(1)} tok/s` +
                  (decodeToo ? `, decode ${decode.toFixed(1)} tok/s` : ''));
  }
  return rows;
}
const everyDefault = engine.call('sotto_gpu_submit_every', -1);
const submitEvery = await sweep(opt['submit-every'], 'submit_every', (k) => engine.call('sotto_gpu_submit_every', k), true);
engine.call('sotto_gpu_submit_every', everyDefault);
// Greedy pipelining off and on (sotto_gpu_pipeline: step n + 1 recorded from the GPU's argmax before step n's
// token is read back), same prompt.
const pipeline = await sweep(opt.pipeline, 'pipeline', (k) => engine.gpuPipeline(k === 1), true);
engine.gpuPipeline(true);
// matmul-dp4a.wgsl's blocks a stage of its K loop, prefill of the first prompt (Q8_0 / Q4_0 weights).
const kbDefault = engine.call('sotto_gpu_dp4a_kb', 0);
const dp4aKb = await sweep(opt['dp4a-kb'], 'dp4a_kb', async (k) => {
  engine.call('sotto_gpu_dp4a_kb', k);
  await engine.gpuStart(ids.subarray(0, Math.min(64, prompts[0])));  // compiles the variant
}, false);
engine.call('sotto_gpu_dp4a_kb', kbDefault);
const profile = opt.profile ? await profileRuns() : undefined;
const head = runs[0];
const prefill = head.prefill_tok_s, decode = head.decode_tok_s, dispatches = head.dispatches_per_token;
const prefillDispatches = head.prefill_dispatches;
const result = {
  arch: opt.arch, type: opt.type, layers: cfg.n_layer, vocab: cfg.n_vocab, adapter: `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim(),
  prompt: opt.prompt, gen: opt.gen, prefill_tok_s: +prefill.toFixed(1), decode_tok_s: +decode.toFixed(1),
  dispatches_per_token: dispatches, prefill_dispatches: prefillDispatches, submits_per_token: 1, readback_bytes_per_token: 4,
  weight_bytes_per_token: weightBytes, floor_tok_s: +(opt.bw / weightBytes).toFixed(1),
  pct_of_floor: +(100 * decode / (opt.bw / weightBytes)).toFixed(1),
  peak_gpu_bytes: host.peakBytes, wasm_memory_bytes: wasmBytes, binding_limit: host.bindingLimit(),
  features: [...host.device.features].filter((f) => f === 'subgroups' || f === 'shader-f16').concat(host.sgmat ? ['sgmat'] : [])
    .join('+') || 'none',
  gguf_bytes: bytes.length, build_s: +buildS.toFixed(1), load_s: +loadS.toFixed(2), prefill_chunk: chunk, runs,
  ...(profile ? { profile } : {}),
  ...(submitEvery.length ? { submit_every: submitEvery } : {}),
  ...(pipeline.length ? { pipeline } : {}),
  ...(dp4aKb.length ? { dp4a_kb: dp4aKb } : {}),
};
console.log(JSON.stringify(result));
console.error(`${opt.arch} ${opt.type}: prefill ${result.prefill_tok_s} tok/s, decode ${result.decode_tok_s} tok/s ` +
              `(${dispatches} dispatches/token; floor ${result.floor_tok_s} tok/s at ${opt.bw / 1e12} TB/s = ` +
              `${result.pct_of_floor}%), peak GPU ${(host.peakBytes / 2 ** 20).toFixed(0)} MiB`);
engine.dispose();
process.exit(0);

// --profile: see the usage above. Per prompt length: the CPU side and wall time of a decode step without
// timestamps, then one timed prefill and `n` timed decode steps (GPU us per token by kernel).
async function profileRuns() {
  if (!host.canProfile) {
    console.error('profile: the adapter has no timestamp-query');
    return { error: 'no timestamp-query' };
  }
  const out = [];
  const n = Math.min(opt.gen, 32);
  for (const p of [...new Set([prompts[0], maxPrompt])]) {
    await engine.gpuStart(ids.subarray(0, p));
    let cpu = 0, wall = 0;
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await engine.gpuNext();
      cpu += host.submitAt - t;
      wall += performance.now() - t;
    }
    host.profiling = true;
    host.profileReset();
    engine.call('sotto_gpu_matmul_tile', tiles[tiles.length - 1]);
    await engine.gpuStart(ids.subarray(0, p));
    engine.call('sotto_gpu_matmul_tile', -1);
    const prefill = host.profileTable();
    host.profileReset();
    for (let i = 0; i < n; i++) await engine.gpuNext();
    const decode = host.profileTable().map((r) => ({ ...r, n: r.n / n, gpu_us: r.gpu_us / n, js_us: r.js_us / n }));
    host.profiling = false;
    const sum = (rows, k) => rows.reduce((a, r) => a + r[k], 0);
    const r = { prompt: p, decode_steps: n, cpu_us_per_token: +(1000 * cpu / n).toFixed(1),
                wall_us_per_token: +(1000 * wall / n).toFixed(1), decode_gpu_us_per_token: +sum(decode, 'gpu_us').toFixed(1),
                decode_dispatches_per_token: sum(decode, 'n'), prefill_gpu_us: +sum(prefill, 'gpu_us').toFixed(1),
                decode, prefill };
    out.push(r);
    const fmt = (rows, per) => rows.map((x) => `| ${x.kernel} | ${+x.n.toFixed(2)} | ${x.gpu_us.toFixed(1)} | ` +
      `${(x.gpu_us / x.n).toFixed(2)} | ${(x.js_us / x.n).toFixed(2)} |`).join('\n');
    console.error(`\n${opt.arch} ${opt.type}, decode after ${p} tokens: wall ${r.wall_us_per_token} us/token, CPU side ` +
                  `(gpuNext to submit) ${r.cpu_us_per_token} us, GPU kernels ${r.decode_gpu_us_per_token} us in ` +
                  `${r.decode_dispatches_per_token} dispatches\n| kernel | dispatches/token | GPU us/token | GPU us/dispatch | ` +
                  `JS us/dispatch |\n| --- | --: | --: | --: | --: |\n${fmt(decode)}`);
    console.error(`\n${opt.arch} ${opt.type}, prefill of ${p} tokens: GPU kernels ${r.prefill_gpu_us} us\n| kernel | ` +
                  `dispatches | GPU us | GPU us/dispatch | JS us/dispatch |\n| --- | --: | --: | --: | --: |\n${fmt(prefill)}`);
  }
  return out;
}

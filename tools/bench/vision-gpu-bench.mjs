// vision-gpu-bench.mjs — SmolVLM on the WebGPU engine (wasm build + wasm/gpu-host.mjs on Dawn, npm `webgpu`) with
// random weights of the real shapes, built here in memory as GGUF (speed does not depend on the values):
//   256m  SmolVLM-256M: SigLIP base patch-16/512 tower (768 x 12 layers, 12 heads, ff 3072, pixel shuffle 4,
//         projection to 576) + SmolLM2-135M (llama, 576 x 30 layers, 9/3 heads of 64, ff 1536, tied)
//   500m  SmolVLM-500M: the same tower projecting to 960 + SmolLM2-360M (960 x 32 layers, 15/5 heads of 64, ff 2560)
// Vocabulary 49280 (SmolVLM's text_config): 256 byte tokens (GPT-2's byte map), SmolVLM's control tokens, then
// placeholders. The tower's matrices in --tower (f16 or q8_0: as mmproj_gguf.py writes them, the patch convolution
// f16), the LM's in --type; norms 1, biases 0, position table small.
// The image: a 512 x 512 RGBA photo of random pixels, with the file's clip.vision.preproc_image_size = --longest:
// 512 gives one 512 x 512 tile (the bar's "one 512 x 512 image"), 2048 (SmolVLM's default) 4 x 4 crops + the global
// image = 17 tiles.
// Measures (best of --reps, after a warm-up run that compiles the pipelines):
//   tower_s            every tile through the tower on the GPU and its rows read back (addImage + settle)
//   prefill_s          the prompt (the image rows written over the <image> embeddings on the device) + the first
//                      token (greedy: argmax on the device, one read-back)
//   image_to_first_token_s = tower_s + prefill_s;  decode_tok_s over --gen greedy tokens (pipelined)
//   peak_gpu_bytes     the most bytes of the engine's GPU buffers live at once (weights, KV cache, activations;
//                      GpuHost.peakBytes), plus staging_bytes / arena_bytes held at the end; wasm_memory_bytes
// --limits default asks for WebGPU's default limits (128 MiB bindings, as a browser tab gets), adapter the largest.
// Prints one JSON line (and a summary on stderr).
// Usage: node tools/bench/vision-gpu-bench.mjs [--model 256m|500m] [--tower f16|q8_0] [--type q8_0|q4_0|f16]
//        [--longest 512|2048] [--gen 64] [--reps 3] [--limits adapter|default] [--layers N (tower and LM; smoke
//        tests)] [--vocab N] [--image-size 512 (the tower's tile; smaller for smoke tests)] [--fallback] [--wasm build-wasm/sotto.wasm] [--webgpu <module path>]
//        [--save DIR (write lm.gguf and mmproj.gguf there and exit, no GPU)]
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GGML, ggufBytes, xorshift32 } from './gguf-write.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ model: '256m', tower: 'f16', type: 'q8_0', longest: 512, gen: 64, reps: 3, layers: 0, vocab: 0, 'image-size': 512,
                           limits: 'adapter', fallback: false, save: '', wasm: join(root, 'build-wasm', 'sotto.wasm'),
                           webgpu: join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js') });

const TOWER = { image_size: 512, patch: 16, n_embd: 768, n_ff: 3072, n_layer: 12, n_head: 12, scale: 4 };
const LMS = {
  '256m': { n_embd: 576, n_layer: 30, n_head: 9, n_head_kv: 3, head_dim: 64, n_ff: 1536 },
  '500m': { n_embd: 960, n_layer: 32, n_head: 15, n_head_kv: 5, head_dim: 64, n_ff: 2560 },
};
const N_VOCAB = 49280;
const SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<end_of_utterance>', '<fake_token_around_image>',
                  '<global-img>', '<image>'];
for (let r = 1; r <= 6; r++) for (let c = 1; c <= 6; c++) SPECIALS.push(`<row_${r}_col_${c}>`);

// GPT-2's byte-to-character map (byte-level BPE vocabularies spell byte b as this character).
function gpt2Bytes() {
  const keep = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const map = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCharCode(keep.includes(b) ? b : 256 + n++);
  return map;
}

// Random tensor data: f16 values of magnitude ~2^-7 with random signs and mantissas; Q8_0 blocks of random quants with
// d = 0.01 / 127 (values within 0.01); F32 vectors a constant.
function fill(out, dataStart, tensors, seed) {
  const rnd = xorshift32(seed);
  for (const t of tensors) {
    const base = dataStart + t.offset;
    const dv = new DataView(out.buffer, out.byteOffset + base, t.bytes);
    if (t.kind === 'f32') {
      for (let i = 0; i < t.bytes / 4; i++) dv.setFloat32(4 * i, t.fill === 'rand' ? ((rnd() >>> 8) / 2 ** 24 - 0.5) * 0.02 : t.fill, true);
      continue;
    }
    const w = new Uint32Array(out.buffer, out.byteOffset + base, Math.floor(t.bytes / 4));
    for (let i = 0; i < w.length; i++) w[i] = rnd();
    if (t.kind === 'f16') {
      for (let i = 0; i < t.bytes / 2; i++) dv.setUint16(2 * i, (dv.getUint16(2 * i, true) & 0x83ff) | 0x2000, true);
    } else {
      const bb = GGML[t.kind][2];
      for (let i = 0; i < t.bytes; i += bb) dv.setUint16(i, 0x1c06, true);  // f16 ~0.01/127 (7.9e-5)
    }
  }
}

function lmGguf(c, type, nLayer, nVocab) {
  const kvs = [], tensors = [];
  const a = 'llama';
  kvs.push(['general.architecture', 'str', a], ['general.name', 'str', `smolvlm-${opt.model}-random-lm`],
           [`${a}.context_length`, 'u32', 8192], [`${a}.embedding_length`, 'u32', c.n_embd],
           [`${a}.block_count`, 'u32', nLayer], [`${a}.feed_forward_length`, 'u32', c.n_ff],
           [`${a}.attention.head_count`, 'u32', c.n_head], [`${a}.attention.head_count_kv`, 'u32', c.n_head_kv],
           [`${a}.attention.key_length`, 'u32', c.head_dim], [`${a}.attention.value_length`, 'u32', c.head_dim],
           [`${a}.attention.layer_norm_rms_epsilon`, 'f32', 1e-5], [`${a}.rope.freq_base`, 'f32', 100000],
           [`${a}.rope.dimension_count`, 'u32', c.head_dim], [`${a}.vocab_size`, 'u32', nVocab]);
  const toks = [...gpt2Bytes(), ...SPECIALS];
  while (toks.length < nVocab) toks.push(`<|unused_${toks.length}|>`);
  const types = toks.map((_, i) => (i < 256 ? 1 : 3));
  kvs.push(['tokenizer.ggml.model', 'str', 'gpt2'], ['tokenizer.ggml.pre', 'str', 'smollm'],
           ['tokenizer.ggml.tokens', 'strs', toks], ['tokenizer.ggml.token_type', 'i32s', types],
           ['tokenizer.ggml.merges', 'strs', []], ['tokenizer.ggml.bos_token_id', 'u32', toks.indexOf('<|im_start|>')],
           ['tokenizer.ggml.eos_token_id', 'u32', toks.indexOf('<end_of_utterance>')]);
  const [tid, blk, bb] = GGML[type];
  const mat = (name, nIn, nOut) => tensors.push({ name, ne: [nIn, nOut], type: tid, bytes: nIn / blk * bb * nOut, kind: type });
  const vec = (name, n, v) => tensors.push({ name, ne: [n], type: 0, bytes: 4 * n, kind: 'f32', fill: v });
  const e = c.n_embd, q = c.n_head * c.head_dim, kv = c.n_head_kv * c.head_dim;
  mat('token_embd.weight', e, nVocab);
  vec('output_norm.weight', e, 1);
  for (let l = 0; l < nLayer; l++) {
    const b = `blk.${l}.`;
    vec(b + 'attn_norm.weight', e, 1);
    mat(b + 'attn_q.weight', e, q);
    mat(b + 'attn_k.weight', e, kv);
    mat(b + 'attn_v.weight', e, kv);
    mat(b + 'attn_output.weight', q, e);
    vec(b + 'ffn_norm.weight', e, 1);
    mat(b + 'ffn_gate.weight', e, c.n_ff);
    mat(b + 'ffn_up.weight', e, c.n_ff);
    mat(b + 'ffn_down.weight', c.n_ff, e);
  }
  const { bytes, dataStart } = ggufBytes(kvs, tensors);
  fill(bytes, dataStart, tensors, 0x5eed1);
  return bytes;
}

function mmprojGguf(t, type, nLayer, projDim, longest) {
  // (clip.has_vision_encoder, a bool, is left out: gguf-write.mjs has no bool type, and the loader's default is true)
  const kvs = [['general.architecture', 'str', 'clip'], ['clip.projector_type', 'str', 'idefics3'], ['clip.vision.image_size', 'u32', t.image_size],
               ['clip.vision.patch_size', 'u32', t.patch], ['clip.vision.embedding_length', 'u32', t.n_embd],
               ['clip.vision.feed_forward_length', 'u32', t.n_ff], ['clip.vision.block_count', 'u32', nLayer],
               ['clip.vision.projection_dim', 'u32', projDim], ['clip.vision.attention.head_count', 'u32', t.n_head],
               ['clip.vision.attention.layer_norm_epsilon', 'f32', 1e-6],
               ['clip.vision.projector.scale_factor', 'u32', t.scale],
               ['clip.vision.preproc_image_size', 'u32', longest],
               ['clip.vision.image_mean', 'f32s', [0.5, 0.5, 0.5]], ['clip.vision.image_std', 'f32s', [0.5, 0.5, 0.5]]];
  const tensors = [];
  const d = t.n_embd, n = (t.image_size / t.patch) ** 2, P = t.patch;
  const mat = (name, ne, ty) => {
    const [tid, blk, bb] = GGML[ty];
    tensors.push({ name, ne, type: tid, bytes: ne.reduce((x, y) => x * y, 1) / blk * bb, kind: ty });
  };
  const vec = (name, ne, v) => tensors.push({ name, ne, type: 0, bytes: 4 * ne.reduce((x, y) => x * y, 1), kind: 'f32', fill: v });
  mat('v.patch_embd.weight', [P, P, 3, d], 'f16');  // rows of P values: no Q8_0 blocks (mmproj_gguf.py's rule)
  vec('v.patch_embd.bias', [d], 0);
  vec('v.position_embd.weight', [d, n], 'rand');
  vec('v.post_ln.weight', [d], 1);
  vec('v.post_ln.bias', [d], 0);
  mat('mm.model.fc.weight', [d * t.scale * t.scale, projDim], type);
  for (let l = 0; l < nLayer; l++) {
    const b = `v.blk.${l}.`;
    for (const ln of ['ln1', 'ln2']) { vec(`${b}${ln}.weight`, [d], 1); vec(`${b}${ln}.bias`, [d], 0); }
    for (const m of ['attn_q', 'attn_k', 'attn_v', 'attn_out']) { mat(`${b}${m}.weight`, [d, d], type); vec(`${b}${m}.bias`, [d], 0); }
    mat(`${b}ffn_up.weight`, [d, t.n_ff], type);
    vec(`${b}ffn_up.bias`, [t.n_ff], 0);
    mat(`${b}ffn_down.weight`, [t.n_ff, d], type);
    vec(`${b}ffn_down.bias`, [d], 0);
  }
  const { bytes, dataStart } = ggufBytes(kvs, tensors);
  fill(bytes, dataStart, tensors, 0x5eed2);
  return bytes;
}

// ---- build
const lmc = LMS[opt.model];
TOWER.image_size = opt['image-size'];  // smoke tests only (SwiftShader): 128 -> 64 patches, 4 <image> tokens a tile
if (opt.longest % TOWER.image_size) throw new Error('--longest: a multiple of --image-size');
if (!lmc) throw new Error(`--model: one of ${Object.keys(LMS).join(', ')}`);
if (!['f16', 'q8_0'].includes(opt.tower)) throw new Error('--tower: f16 or q8_0');
if (!GGML[opt.type] || opt.type === 'f32') throw new Error('--type: q4_0, q8_0 or f16');
const lmLayers = opt.layers > 0 ? opt.layers : lmc.n_layer, towerLayers = opt.layers > 0 ? opt.layers : TOWER.n_layer;
const nVocab = opt.vocab > 0 ? opt.vocab : N_VOCAB;
const tBuild = performance.now();
const lm = lmGguf(lmc, opt.type, lmLayers, nVocab);
const mm = mmprojGguf(TOWER, opt.tower, towerLayers, lmc.n_embd, opt.longest);
const buildS = (performance.now() - tBuild) / 1000;
if (opt.save) {
  mkdirSync(opt.save, { recursive: true });
  for (const [name, b] of [['lm.gguf', lm], ['mmproj.gguf', mm]]) {
    const fd = openSync(join(opt.save, name), 'w');
    for (let o = 0; o < b.length;) o += writeSync(fd, b, o, Math.min(2 ** 30, b.length - o));
    closeSync(fd);
  }
  process.exit(0);
}

// ---- run
const { create, globals } = await import(pathToFileURL(resolve(opt.webgpu)).href);
Object.assign(globalThis, globals);
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { SottoVision } = await import('../../wasm/vision.mjs');

const host = await GpuHost.create(create([]), { forceFallbackAdapter: opt.fallback, limits: opt.limits });
const info = host.adapter.info ?? {};
const e = await Sotto.create(readFileSync(opt.wasm), { gpu: host, log: () => {} });
const nTiles = opt.longest > TOWER.image_size ? (opt.longest / TOWER.image_size) ** 2 + 1 : 1;
const tLoad = performance.now();
await e.loadStream(Sotto.bytesSource(lm), { name: 'lm.gguf', nCtx: nTiles * 80 + opt.gen + 64 });
const v = SottoVision.on(e);
await v.load(mm, { name: 'mmproj.gguf' });
const loadS = (performance.now() - tLoad) / 1000;

const S = 512, px = new Uint8Array(S * S * 4), rnd = xorshift32(7);
for (let i = 0; i < px.length; i++) px[i] = i % 4 === 3 ? 255 : rnd() & 255;
const image = { width: S, height: S, data: px, name: 'photo' };
const PROMPT = 'What is in this picture?';

async function once() {
  await e.drain();
  const s = v.session();
  e.call('sotto_vision_clear', s);
  const t0 = performance.now();
  const tiles = v.addImage(s, image, 0);
  await e.settle();
  const t1 = performance.now();
  const text = e.encoder.encode(PROMPT);
  const nPrompt = e.withBuffer(text, (tp) => e.call('sotto_vision_start', s, tp, text.length, 0, 0, 0, 40, 0.95, 0.05, 1, 1, 0));
  if (nPrompt < 0) throw new Error('sotto_vision_start failed');
  await e.settle({ oldest: true });
  const t2 = performance.now();
  for (let i = 0; i < opt.gen; i++) {
    if (await v.gpuNext() < 0) throw new Error('context full');
  }
  const t3 = performance.now();
  return { tiles, nPrompt, tower: (t1 - t0) / 1000, prefill: (t2 - t1) / 1000, decode: opt.gen / ((t3 - t2) / 1000) };
}

await once();  // warm-up: pipelines, bind groups
let best = null;
for (let r = 0; r < opt.reps; r++) {
  const x = await once();
  best = !best ? x : { ...x, tower: Math.min(best.tower, x.tower), prefill: Math.min(best.prefill, x.prefill),
                       decode: Math.max(best.decode, x.decode) };
}
await e.drain();
let staging = 0;
for (const [size, list] of host.staging) staging += size * list.length;
const result = {
  model: `smolvlm-${opt.model}`, tower: opt.tower, type: opt.type, tower_layers: towerLayers, lm_layers: lmLayers, vocab: nVocab,
  adapter: `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim(), limits: opt.limits,
  longest: opt.longest, tiles: best.tiles, prompt_tokens: best.nPrompt, gen: opt.gen, reps: opt.reps,
  image_size: TOWER.image_size, tower_s: +best.tower.toFixed(4), tower_s_per_tile: +(best.tower / best.tiles).toFixed(4), prefill_s: +best.prefill.toFixed(4),
  image_to_first_token_s: +(best.tower + best.prefill).toFixed(4), decode_tok_s: +best.decode.toFixed(1),
  peak_gpu_bytes: host.peakBytes, staging_bytes: staging, wasm_memory_bytes: e.memory.buffer.byteLength,
  lm_gguf_bytes: lm.length, mmproj_gguf_bytes: mm.length, build_s: +buildS.toFixed(1), load_s: +loadS.toFixed(2),
};
console.log(JSON.stringify(result));
console.error(`smolvlm-${opt.model} (LM ${opt.type}, tower ${opt.tower}), ${best.tiles} tile(s), ${best.nPrompt} prompt tokens on ` +
              `${result.adapter}: tower ${result.tower_s} s (${result.tower_s_per_tile} s/tile), prefill + first token ` +
              `${result.prefill_s} s, image to first token ${result.image_to_first_token_s} s, decode ${result.decode_tok_s} tok/s, ` +
              `peak GPU ${(host.peakBytes / 2 ** 20).toFixed(0)} MiB (limits ${opt.limits})`);
e.dispose();
process.exit(0);

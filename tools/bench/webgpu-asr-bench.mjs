// webgpu-asr-bench.mjs — streaming speech-to-text speed of the wasm build on WebGPU (wasm/asr.mjs + gpu-host.mjs on
// Dawn, npm `webgpu`) or on the wasm CPU backend (--cpu), for a Moonshine-shaped model with random weights built
// here in memory as GGUF:
//   tiny  hidden 288, ffn 1152, 6 + 6 layers, 8 heads (head_dim 36, 32 rotated), vocab 32768
//   base  hidden 416, ffn 1664, 8 + 8 layers, 8 heads (head_dim 52, 46 rotated), vocab 32768
// Weights: matrices in --type (f16, f32 or q8_0; the 127-tap conv1 stays f16 for q8_0, as the exporter does), small
// random values; norms 1, biases 0. Random weights rarely emit eos, so every phrase decodes to the 6.5 tokens/s
// cap: an upper bound on decode time (as tools/bench/asr-latency.sh on the CPU).
// Audio: 16 kHz s16le PCM (--pcm; tools/bench/webgpu-asr-bench.sh --prepare makes the espeak-ng speech of
// asr-latency.sh), streamed in --chunk-ms chunks through feed() as fast as it is consumed, then finish().
// Measures, per phrase: latency as docs/asr.md defines it (Moonshine's): from the start of the feed() call whose
// samples let the VAD close the phrase to its final text in JS (GPU work and read-backs included; the VAD's
// 400 ms hangover comes on top), the engine's encode/decode split, tokens, GPU dispatches. Overall: median and max
// latency, RTF = wall time inside feed()/finish() / audio duration. A warm-up pass over the first phrase compiles
// the pipelines first; --reps passes are measured and the best (lowest median latency) is reported.
// Prints one JSON line (and a readable summary on stderr).
// Usage: node tools/bench/webgpu-asr-bench.mjs --pcm speech.raw [--shape tiny] [--type f16] [--chunk-ms 20]
//        [--reps 3] [--wasm build-wasm/sotto.wasm] [--webgpu <module path>] [--fallback] [--cpu]
//        [--layers N] [--seconds S]   (smoke tests only: N encoder and decoder layers; the first S seconds of audio)
//        [--save PATH]  (write that GGUF to PATH and exit, no audio or GPU)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GGML, ggufBytes, xorshift32 } from './gguf-write.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ pcm: '', shape: 'tiny', type: 'f16', 'chunk-ms': 20, reps: 3, wasm: join(root, 'build-wasm', 'sotto.wasm'),
              webgpu: join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js'), fallback: false, cpu: false,
              layers: 0, seconds: 0, save: '' });
if (!opt.pcm && !opt.save) throw new Error('--pcm FILE (16 kHz s16le mono) is required');

const SHAPES = {
  tiny: { e: 288, ff: 1152, enc: 6, dec: 6, heads: 8 },
  base: { e: 416, ff: 1664, enc: 8, dec: 8, heads: 8 },
};
const TYPES = ['f32', 'f16', 'q8_0'];  // --type (GGML in gguf-write.mjs)
const N_VOCAB = 32768;

// ---- a Moonshine GGUF v3 in memory (layout: docs/asr.md; gguf-write.mjs)
function buildMoonshine(shape, type, layers) {
  const { e, ff, heads } = SHAPES[shape];
  const enc = layers || SHAPES[shape].enc, dec = layers || SHAPES[shape].dec;
  const hd = e / heads, rot = Math.floor(hd * 0.9);
  const kvs = [], tensors = [];
  const a = 'moonshine';
  kvs.push(['general.architecture', 'str', a], ['general.name', 'str', `moonshine-${shape}-random-${type}`]);
  for (const [k, v] of [['embedding_length', e], ['feed_forward_length', ff], ['encoder.block_count', enc],
                        ['decoder.block_count', dec], ['encoder.attention.head_count', heads],
                        ['decoder.attention.head_count', heads], ['encoder.rope.dimension_count', rot - rot % 2],
                        ['decoder.rope.dimension_count', rot - rot % 2], ['context_length', 512],
                        ['decoder_start_token_id', 1]]) kvs.push([`${a}.${k}`, 'u32', v]);
  kvs.push([`${a}.rope.freq_base`, 'f32', 10000], [`${a}.attention.layer_norm_epsilon`, 'f32', 1e-5],
           [`${a}.max_tokens_per_second`, 'f32', 6.5]);
  const toks = ['<unk>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) toks.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  while (toks.length < N_VOCAB) toks.push(`\u2581w${toks.length}`);
  const types = toks.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
  const scores = toks.map((_, i) => (i < 259 ? 0 : -(i - 259)));
  kvs.push(['tokenizer.ggml.model', 'str', 'llama'], ['tokenizer.ggml.pre', 'str', 'default'],
           ['tokenizer.ggml.tokens', 'strs', toks], ['tokenizer.ggml.token_type', 'i32s', types],
           ['tokenizer.ggml.scores', 'f32s', scores], ['tokenizer.ggml.bos_token_id', 'u32', 1],
           ['tokenizer.ggml.eos_token_id', 'u32', 2], ['tokenizer.ggml.unknown_token_id', 'u32', 0]);

  const mat = (name, nIn, nOut, t = type) => {
    const kind = t === 'q8_0' && nIn % 32 !== 0 ? 'f16' : t;
    const [tid, blk, bb] = GGML[kind];
    tensors.push({ name, ne: [nIn, nOut], type: tid, bytes: (nIn / blk) * bb * nOut, kind, bb });
  };
  const vec = (name, n, fill) => tensors.push({ name, ne: [n], type: 0, bytes: 4 * n, kind: 'fill', fill });
  mat('enc.conv1.weight', 127, e);
  vec('enc.groupnorm.weight', e, 1);
  vec('enc.groupnorm.bias', e, 0);
  mat('enc.conv2.weight', 7 * e, 2 * e);
  vec('enc.conv2.bias', 2 * e, 0);
  mat('enc.conv3.weight', 6 * e, e);
  vec('enc.conv3.bias', e, 0);
  const attn = (p) => { for (const n of ['q', 'k', 'v', 'output']) mat(`${p}_${n}.weight`, e, e); };
  for (let l = 0; l < enc; l++) {
    const p = `enc.blk.${l}.`;
    vec(p + 'attn_norm.weight', e, 1);
    attn(p + 'attn');
    vec(p + 'ffn_norm.weight', e, 1);
    mat(p + 'ffn_up.weight', e, ff);
    vec(p + 'ffn_up.bias', ff, 0);
    mat(p + 'ffn_down.weight', ff, e);
    vec(p + 'ffn_down.bias', e, 0);
  }
  vec('enc.output_norm.weight', e, 1);
  mat('dec.token_embd.weight', e, N_VOCAB);
  for (let l = 0; l < dec; l++) {
    const p = `dec.blk.${l}.`;
    vec(p + 'attn_norm.weight', e, 1);
    attn(p + 'attn');
    vec(p + 'cross_attn_norm.weight', e, 1);
    attn(p + 'cross_attn');
    vec(p + 'ffn_norm.weight', e, 1);
    for (const n of ['up', 'gate']) {
      mat(`${p}ffn_${n}.weight`, e, ff);
      vec(`${p}ffn_${n}.bias`, ff, 0);
    }
    mat(p + 'ffn_down.weight', ff, e);
    vec(p + 'ffn_down.bias', e, 0);
  }
  vec('dec.output_norm.weight', e, 1);

  const { bytes: out, dataStart } = ggufBytes(kvs, tensors);
  const rnd = xorshift32();
  for (const t of tensors) {
    const dv = new DataView(out.buffer, dataStart + t.offset, t.bytes);
    if (t.kind === 'fill') {
      for (let i = 0; i < t.bytes / 4; i++) dv.setFloat32(4 * i, t.fill, true);
    } else if (t.kind === 'f32') {
      for (let i = 0; i < t.bytes / 4; i++) dv.setFloat32(4 * i, (rnd() / 2 ** 32 - 0.5) * 0.06, true);
    } else if (t.kind === 'f16') {  // |w| in [2^-7, 2^-6), random sign and mantissa
      for (let i = 0; i < t.bytes / 2; i++) dv.setUint16(2 * i, (rnd() & 0x83ff) | 0x2000, true);
    } else {  // q8_0: scale 0.0002 (f16 0x0a8e), random int8 quants
      for (let b = 0; b < t.bytes; b += t.bb) {
        dv.setUint16(b, 0x0a8e, true);
        for (let j = 2; j < t.bb; j++) dv.setUint8(b + j, rnd() & 0xff);
      }
    }
  }
  return out;
}

// ---- run
if (!SHAPES[opt.shape]) throw new Error(`--shape: ${Object.keys(SHAPES).join(' or ')}`);
if (!TYPES.includes(opt.type)) throw new Error(`--type: ${TYPES.join(', ')}`);
if (opt.save) {
  writeFileSync(opt.save, buildMoonshine(opt.shape, opt.type, opt.layers));
  process.exit(0);
}
const raw = readFileSync(opt.pcm);
const pcm = new Float32Array(opt.seconds > 0 ? Math.min(raw.length >> 1, Math.round(opt.seconds * 16000)) : raw.length >> 1);
for (let i = 0; i < pcm.length; i++) pcm[i] = raw.readInt16LE(2 * i) / 32768;
const audioS = pcm.length / 16000;
const gguf = buildMoonshine(opt.shape, opt.type, opt.layers);

let host = null, info = {};
const swiftshader = '/usr/lib/chromium/vk_swiftshader_icd.json';  // --fallback on a GPU-less machine
if (opt.fallback && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(swiftshader)) {
  process.env.VK_ICD_FILENAMES = swiftshader;
}
if (!opt.cpu) {
  const { create, globals } = await import(pathToFileURL(resolve(opt.webgpu)).href);
  Object.assign(globalThis, globals);
  const { GpuHost } = await import('../../wasm/gpu-host.mjs');
  host = await GpuHost.create(create([]), { forceFallbackAdapter: opt.fallback });
  info = host.adapter.info ?? {};
}
const { SottoAsr } = await import('../../wasm/asr.mjs');
const asr = await SottoAsr.create(readFileSync(opt.wasm), { gpu: host });
const tLoad = performance.now();
await asr.load(gguf, { name: `moonshine-${opt.shape}-${opt.type}.gguf` });
const loadS = (performance.now() - tLoad) / 1000;
const chunk = Math.round(16 * opt['chunk-ms']);

// One pass over the audio: per phrase {latency_ms (JS, from the closing feed() call), engine fields, dispatches}.
async function pass(samples) {
  await asr.reset();
  asr.gpuDispatches();
  const phrases = [];
  let busy = 0;
  const take = (segs, t0) => {
    const t = performance.now() - t0;
    const d = asr.gpuDispatches();
    for (const s of segs) phrases.push({ start: s.start, end: s.end, tokens: s.tokens, latency_ms: t, encode_ms: s.encode_ms,
                                         decode_ms: s.decode_ms, engine_latency_ms: s.latency_ms, dispatches: d / segs.length });
  };
  for (let i = 0; i < samples.length; i += chunk) {
    const t0 = performance.now();
    const segs = await asr.feed(samples.subarray(i, i + chunk));
    busy += performance.now() - t0;
    if (segs.length) take(segs, t0); else asr.gpuDispatches();
  }
  const t0 = performance.now();
  const segs = await asr.finish();
  busy += performance.now() - t0;
  if (segs.length) take(segs, t0);
  return { phrases, busy_ms: busy };
}

const first = await pass(pcm);  // warm-up: pipelines compiled, bind groups made
const firstPhrase = first.phrases[0];
let best = null;
for (let r = 0; r < opt.reps; r++) {
  const p = await pass(pcm);
  const lat = p.phrases.map((x) => x.latency_ms).sort((x, y) => x - y);
  p.median = lat[lat.length >> 1];
  p.max = lat[lat.length - 1];
  if (!best || p.median < best.median) best = p;
}
const r2 = (x) => +x.toFixed(2);
const result = {
  model: `moonshine-${opt.shape}${opt.layers ? ` (${opt.layers}+${opt.layers} layers)` : ''}`, type: opt.type, backend: opt.cpu ? 'wasm-cpu' : 'webgpu',
  adapter: `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.trim(),
  audio_s: r2(audioS), chunk_ms: opt['chunk-ms'], phrases: best.phrases.length,
  latency_median_ms: r2(best.median), latency_max_ms: r2(best.max),
  rtf: +(best.busy_ms / 1000 / audioS).toFixed(4),
  rtf_engine_compute: +(best.phrases.reduce((a, x) => a + x.encode_ms + x.decode_ms, 0) / 1000 / audioS).toFixed(4),
  first_pass_first_phrase_latency_ms: firstPhrase ? r2(firstPhrase.latency_ms) : null,
  per_phrase: best.phrases.map((x) => ({ s: `${x.start.toFixed(2)}-${x.end.toFixed(2)}`, tokens: x.tokens,
                                         latency_ms: r2(x.latency_ms), encode_ms: r2(x.encode_ms), decode_ms: r2(x.decode_ms),
                                         dispatches: x.dispatches })),
  gguf_bytes: gguf.length, load_s: r2(loadS), peak_gpu_bytes: host ? host.peakBytes : 0,
};
console.log(JSON.stringify(result));
console.error(`moonshine-${opt.shape} ${opt.type} on ${result.backend}: ${result.phrases} phrases, latency median ` +
              `${result.latency_median_ms} ms, max ${result.latency_max_ms} ms (end of phrase -> text; + 400 ms VAD ` +
              `hangover), RTF ${result.rtf} (engine compute ${result.rtf_engine_compute}), audio ${result.audio_s} s`);
for (const x of result.per_phrase) {
  console.error(`  phrase ${x.s} s  ${x.tokens} tokens  encode ${x.encode_ms} ms  decode ${x.decode_ms} ms  ` +
                `latency ${x.latency_ms} ms  ${x.dispatches} dispatches`);
}
asr.dispose();
process.exit(0);

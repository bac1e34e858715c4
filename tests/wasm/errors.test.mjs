// errors.test.mjs — bad input must not cost the page its engine (issue 15): through the JS host (wasm/sotto.mjs,
// wasm/asr.mjs), each of these rejects (or throws) an Error whose message is the engine's one line, never the
// trap's ("unreachable", "RuntimeError"), and the same engine object goes on working:
//   * a truncated GGUF, a GGUF whose tensors overlap, junk bytes (load);
//   * a JSON Schema nested 300 levels deep, a $ref chain as long, an invalid GBNF grammar (generate), JSON
//     nested 600 levels (setGrammar, synchronous: the next sync call runs on a revived instance);
//   * a WAV of garbage and a non-speech GGUF (SottoAsr); Moonshine and Whisper GGUFs whose decoder context is 1;
// after each, the engine still holds its last good model and generates, greedily, the very tokens a fresh
// engine generates; a good model loaded afterwards does too; the speech engine transcribes as a fresh one.
// On the threaded build (sotto-mt.wasm) a sync call after a trap needs `await engine.ready()` first.
// Usage: node tests/wasm/errors.test.mjs [path/to/sotto.wasm or sotto-mt.wasm]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoAsr } from '../../wasm/asr.mjs';
import { Sotto } from '../../wasm/sotto.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const models = join(root, 'tests', 'fixtures', 'models');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

const GOOD = 'llama32-q8_0.gguf', OTHER = 'qwen25-q8_0.gguf';
const good = readFileSync(join(models, GOOD)), other = readFileSync(join(models, OTHER));
const PROMPT = 'Once upon a time';

// Greedy token ids of generate() (12 tokens), optionally under a schema or grammar.
async function greedy(e, opts = {}) {
  const ids = [];
  for await (const _ of e.generate(PROMPT, { maxTokens: 12, temperature: 0, onToken: (id) => ids.push(id), ...opts }));
  return ids.join(' ');
}
async function fresh(bytes, name, opts) {
  const e = await Sotto.create(wasmModule, { log: () => {} });
  await e.load(bytes, { name });
  const ids = await greedy(e, opts);
  e.dispose();
  return ids;
}
const want = await fresh(good, GOOD);
const wantOther = await fresh(other, OTHER);

// The message of the Error that fn() throws or rejects with ('' if none).
async function errorOf(fn) {
  try { await fn(); } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
  return '';
}
function oneEngineLine(msg, re) {
  check(re.test(msg), `unexpected message ${JSON.stringify(msg)}`);
  check(!msg.includes('\n'), `message of several lines ${JSON.stringify(msg)}`);
  check(!/unreachable|RuntimeError/.test(msg), `the trap's message ${JSON.stringify(msg)}`);
}

// The offsets (byte positions) of the tensor-info offset fields of a GGUF file, in table order.
function tensorOffsetFields(u8) {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.length);
  const scalar = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  let p = 8;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = () => { const n = u64(); p += n; };
  const nTensors = u64(), nKv = u64();
  for (let i = 0; i < nKv; i++) {
    str();
    const t = u32();
    if (t === 8) str();
    else if (t === 9) {
      const et = u32(), n = u64();
      if (et === 8) for (let j = 0; j < n; j++) str(); else p += n * scalar[et];
    } else p += scalar[t];
  }
  const fields = [];
  for (let i = 0; i < nTensors; i++) {
    str();
    const nDims = u32();
    p += 8 * nDims + 4;
    fields.push(p);
    p += 8;
  }
  return fields;
}

const e = await Sotto.create(wasmModule, { log: () => {} });
await e.load(good, { name: GOOD });

await test('truncated GGUF: one-line rejection; the last good model still generates as a fresh engine', async () => {
  const msg = await errorOf(() => e.load(good.subarray(0, good.length - 100), { name: 'cut.gguf' }));
  oneEngineLine(msg, /^cut\.gguf: .*(past the end|truncated)/);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('overlapping tensors: one-line rejection naming both; the engine goes on', async () => {
  const bad = new Uint8Array(good);
  const [f0, f1] = tensorOffsetFields(bad);
  bad.set(bad.subarray(f0, f0 + 8), f1);  // the second tensor starts where the first does
  const msg = await errorOf(() => e.load(bad, { name: 'overlap.gguf' }));
  oneEngineLine(msg, /^overlap\.gguf: tensors .* overlap$/);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('junk bytes: one-line rejection; the engine goes on', async () => {
  const msg = await errorOf(() => e.load(new Uint8Array(64).fill(7), { name: 'junk.gguf' }));
  oneEngineLine(msg, /^junk\.gguf: not a GGUF file/);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('JSON Schema nested 300 levels: one-line rejection; the engine goes on', async () => {
  let schema = { type: 'string' };
  for (let i = 0; i < 300; i++) schema = { type: 'array', items: schema };
  const msg = await errorOf(() => greedy(e, { schema }));
  oneEngineLine(msg, /nested deeper than 256 levels/);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('$ref chain of 300: one-line rejection; the engine goes on', async () => {
  const defs = {};
  for (let i = 0; i < 300; i++) defs[`d${i}`] = { $ref: `#/$defs/d${i + 1}` };
  defs.d300 = { type: 'integer' };
  const msg = await errorOf(() => greedy(e, { schema: { $defs: defs, $ref: '#/$defs/d0' } }));
  oneEngineLine(msg, /deeper than 256 levels/);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('invalid GBNF: one-line rejection with line and column; the engine goes on', async () => {
  const msg = await errorOf(() => greedy(e, { grammar: 'root ::= "a" (' }));
  oneEngineLine(msg, /^grammar:\d+:\d+: /);
  check(await greedy(e) === want, 'tokens after the error differ from a fresh engine\'s');
});

await test('sync calls after a trap (setGrammar, then tokenize) work on the revived instance', async () => {
  let schema = { type: 'string' };
  for (let i = 0; i < 300; i++) schema = { type: 'object', properties: { a: schema } };
  const msg = await errorOf(() => e.setGrammar({ schema }));  // 600 levels of JSON: the parser's limit
  oneEngineLine(msg, /^schema:1:\d+: nesting deeper than 512 levels$/);
  if (e.threaded) await e.ready();  // the threaded build revives asynchronously (new Workers)
  const ids = e.tokenize(PROMPT);
  check(ids.length > 1, 'tokenize after the error gave nothing');
  check(e.detokenize(ids).endsWith(PROMPT), 'detokenize after the error');
});

await test('a good model loaded after the errors generates as a fresh engine; a grammar still applies', async () => {
  await e.load(other, { name: OTHER });
  check(await greedy(e) === wantOther, 'tokens of the second model differ from a fresh engine\'s');
  const g = 'root ::= "yes" | "no"';
  check(await greedy(e, { grammar: g }) === await fresh(other, OTHER, { grammar: g }), 'grammar output differs');
});

await test('speech: garbage WAV and a non-speech GGUF reject with one line; the model still transcribes', async () => {
  const asrDir = join(root, 'tests', 'fixtures', 'asr');
  const speech = readFileSync(join(asrDir, 'moonshine-f32.gguf'));
  const samples = new Float32Array(16000).map((_, i) => 0.3 * Math.sin(i / 7) * Math.sin(i / 900));
  const a = await SottoAsr.create(wasmModule, { log: () => {} });
  await a.load(speech, { name: 'm.gguf', sampleRate: 16000 });
  const ref = JSON.stringify((await a.transcribe(samples)).map((s) => s.ids));
  let msg = await errorOf(() => a.decodeWav(new Uint8Array(300).map((_, i) => (i * 97) & 255), 'noise.wav'));
  oneEngineLine(msg, /^noise\.wav: /);
  if (a.engine.threaded) await a.engine.ready();
  msg = await errorOf(() => a.decodeWav(Buffer.from('RIFF\x10\0\0\0WAVEjunkjunk'), 'bad.wav'));
  oneEngineLine(msg, /^bad\.wav: /);
  check(JSON.stringify((await a.transcribe(samples)).map((s) => s.ids)) === ref, 'transcript after the WAV errors differs');
  msg = await errorOf(() => a.load(good, { name: 'llama.gguf' }));
  oneEngineLine(msg, /^llama\.gguf: architecture 'llama' is not a speech model/);
  check(JSON.stringify((await a.transcribe(samples)).map((s) => s.ids)) === ref, 'transcript after the load error differs');
  a.dispose();
});

// A copy of a GGUF file with the u32 metadata value of `key` set to v.
function withU32(bytes, key, v) {
  const u8 = new Uint8Array(bytes);
  const dv = new DataView(u8.buffer);
  const scalar = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  let p = 16;
  const u64 = () => { const x = Number(dv.getBigUint64(p, true)); p += 8; return x; };
  const nKv = u64();
  for (let i = 0; i < nKv; i++) {
    const n = u64();
    const k = new TextDecoder().decode(u8.subarray(p, p + n));
    p += n;
    const t = dv.getUint32(p, true);
    p += 4;
    if (k === key && t === 4) { dv.setUint32(p, v, true); return u8; }
    if (t === 8) { const m = u64(); p += m; } else if (t === 9) {
      const et = dv.getUint32(p, true);
      p += 4;
      const m = u64();
      if (et === 8) for (let j = 0; j < m; j++) { const q = u64(); p += q; } else p += m * scalar[et];
    } else p += scalar[t];
  }
  throw new Error(`no u32 ${key}`);
}

await test('speech models with a decoder context of 1 are refused at load with one line', async () => {
  const asrDir = join(root, 'tests', 'fixtures', 'asr');
  const a = await SottoAsr.create(wasmModule, { log: () => {} });
  for (const [file, key] of [['moonshine-f32.gguf', 'moonshine.context_length'], ['whisper-f16.gguf', 'whisper.decoder.context_length']]) {
    const msg = await errorOf(() => a.load(withU32(readFileSync(join(asrDir, file)), key, 1), { name: file }));
    oneEngineLine(msg, new RegExp(`^${file.replace('.', '\\.')}: metadata ${key.replace(/\./g, '\\.')} = 1 is too short to decode \\(at least 8\\)$`));
  }
  a.dispose();
});

process.exit(tally.summary());

// vision.test.mjs — images in the wasm build (wasm/vision-abi.cpp through wasm/vision.mjs) on the wasm CPU backend,
// against the native CLI and the PyTorch reference, on the committed tiny fixtures (tests/fixtures/vision: the random
// tower tiny-mmproj-{f32,f16,q8_0}.gguf and LM tiny-vlm-f32.gguf of tools/ref/make_vision_fixtures.py / make_vlm_fixtures.py).
// Node has no image decoder: images come as raw RGBA (tools/ref/vision_rgba_fixtures.py: Pillow's decode of the PNGs,
// which are lossless, so the native CLI's libpng sees the same pixels).
//   * the processor's tiles == Pillow's (processor-*.tiles, which test-image-processor holds native to) byte for byte;
//     RGBA over white == the native decoder's RGB of images-rgba.png (exact);
//   * the tower's rows == `sotto image-embed --out` (f32 and f16 towers), max abs diff within 1e-5 of the rows' sd
//     (q8_0 tower: 5e-2 sd, 8-bit activations on both sides, each rounded its own way); the f16 and q8_0 towers' rows
//     against the f32 tower's: per-row cosine >= 0.99999 / 0.999, RMS error <= 0.2 % / 3 % (test-model-vision's bounds);
//   * two images + a question: the prompt tokens == the reference's (tiny-vlm.ref.gguf), the last position's logits
//     within 1e-3 sd of the reference's (the session's f16 KV cache), and greedy answers (placeholders or not, both towers, --schema) byte for byte
//     those of `sotto generate --temp 0 --mmproj --image`;
//   * bad images (enormous: the pixel limit, empty, short data) refused in one line before the engine sees them; the
//     engine's own checks (pixel limit, placeholder count, a file that is not an mmproj, one of another width) one
//     line each, after which the engine still answers the same.
// Usage: node tests/wasm/vision.test.mjs [path/to/sotto.wasm] [path/to/native/sotto]
// Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { SottoVision, headerSize } from '../../wasm/vision.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const dir = join(root, 'tests', 'fixtures', 'vision');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tmp = mkdtempSync(join(tmpdir(), 'sotto-vision-wasm-'));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

const LM = 'tiny-vlm-f32.gguf';
const TOL_Q8_SD = 5e-2;  // the q8_0 tower (see its test)
const TOL_SD = 1e-5;  // max abs diff / the reference's standard deviation (the native tolerance, docs/vision.md)
const SIZES = { 'processor-small': [70, 45], 'processor-tall': [40, 100], 'processor-wide': [190, 130], 'images-rgba': [20, 12] };
const rgba = (name) => {
  const [width, height] = SIZES[name];
  return { width, height, data: new Uint8Array(readFileSync(join(dir, `${name}.rgba`))), name: `${name}.png` };
};
const small = rgba('processor-small'), tall = rgba('processor-tall');

// The tensors of a GGUF file written by tools/ref (f32 and i32 only), by name: the reference outputs.
function ggufTensors(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const u32 = () => { const v = dv.getUint32(p, true); p += 4; return v; };
  const u64 = () => { const v = Number(dv.getBigUint64(p, true)); p += 8; return v; };
  const str = () => { const n = u64(); const s = buf.subarray(p, p + n).toString(); p += n; return s; };
  const scalar = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  const skip = (t) => { if (t === 8) str(); else p += scalar[t]; };
  check(u32() === 0x46554747, 'not a GGUF file');
  u32();
  const nTensors = u64(), nKv = u64();
  let align = 32;
  for (let i = 0; i < nKv; i++) {
    const key = str(), t = u32();
    if (t === 9) {
      const et = u32(), n = u64();
      for (let j = 0; j < n; j++) skip(et);
    } else if (key === 'general.alignment') {
      align = u32();
    } else {
      skip(t);
    }
  }
  const infos = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str(), nd = u32();
    let n = 1;
    for (let d = 0; d < nd; d++) n *= u64();
    infos.push({ name, n, type: u32(), offset: u64() });
  }
  const base = Math.ceil(p / align) * align;
  const out = {};
  for (const t of infos) {
    check(t.type === 0 || t.type === 26, `${t.name}: type ${t.type} (f32 and i32 only here)`);
    const bytes = buf.slice(base + t.offset, base + t.offset + 4 * t.n);
    out[t.name] = t.type === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, t.n) : new Int32Array(bytes.buffer, bytes.byteOffset, t.n);
  }
  return out;
}

// max |a - b| / sd(b)
function diffSd(a, b) {
  let mean = 0;
  for (const v of b) mean += v;
  mean /= b.length;
  let ss = 0, max = 0;
  for (let i = 0; i < b.length; i++) {
    ss += (b[i] - mean) ** 2;
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max / Math.sqrt(ss / b.length);
}

async function engineWith(mmproj = 'tiny-mmproj-f32.gguf') {
  const e = await Sotto.create(wasmModule, { log: () => {} });
  await e.load(readFileSync(join(dir, LM)), { name: LM });
  const v = SottoVision.on(e);
  await v.load(readFileSync(join(dir, mmproj)), { name: mmproj });
  return { e, v };
}

function nativeAnswer(args) {
  let out = execFileSync(nativePath, ['generate', '-m', join(dir, LM), '--temp', '0', '-t', '1', '-q', ...args]);
  if (out.length && out[out.length - 1] === 0x0a) out = out.subarray(0, out.length - 1);
  return out.toString('latin1');
}
const latin1 = (text) => Buffer.from(text, 'utf8').toString('latin1');

async function errorOf(fn) {
  try { await fn(); } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
  return '';
}
function oneLine(msg, re) {
  check(re.test(msg), `unexpected message ${JSON.stringify(msg)}`);
  check(!msg.includes('\n'), `message of several lines ${JSON.stringify(msg)}`);
  check(!/unreachable|RuntimeError/.test(msg), `the trap's message ${JSON.stringify(msg)}`);
}

const { e, v } = await engineWith();

await test('processor in wasm == Pillow (processor-*.tiles) byte for byte: wide, small, tall at longest 96, tile 32', async () => {
  const fx = JSON.parse(readFileSync(join(dir, 'processor.json'), 'utf8'));
  check(fx.pixels.length === 3, `${fx.pixels.length} pixel cases`);
  for (const c of fx.pixels) {
    const p = SottoVision.process(e, rgba(`processor-${c.name}`), { longestEdge: c.longest_edge, tile: c.tile });
    check(p.rows === c.rows && p.cols === c.cols && p.tiles.length === c.n_tiles,
          `${c.name}: ${p.rows} x ${p.cols}, ${p.tiles.length} tiles; Pillow ${c.rows} x ${c.cols}, ${c.n_tiles}`);
    const want = readFileSync(join(dir, `processor-${c.name}.tiles`));
    const got = Buffer.concat(p.tiles);
    let nDiff = 0;
    for (let i = 0; i < want.length; i++) nDiff += got[i] !== want[i];
    check(got.length === want.length && nDiff === 0, `${c.name}: ${nDiff} of ${want.length} bytes differ`);
  }
});

await test('RGBA over white in wasm == the native decoder (images-rgba.png: Pillow alpha_composite), exact', async () => {
  const got = SottoVision.overWhite(e, rgba('images-rgba'));
  const want = readFileSync(join(dir, 'images-rgba.expected.rgb'));
  const img = rgba('images-rgba');
  let translucent = 0;
  for (let i = 3; i < img.data.length; i += 4) translucent += img.data[i] !== 255;
  check(translucent > 0, 'the fixture has no translucent pixel');
  check(Buffer.compare(Buffer.from(got), want) === 0, 'the composited RGB differs');
});

// q8_0: both engines round the activations to 8 bits for the Q8_0 matmuls, each its own way (native x86 dot products,
// wasm the repacked gemm), so they differ by about what 8-bit activations cost: the bound test-model-vision holds the
// native q8_0 tower to against float64 on the same weights (5e-2 sd; measured here 1.1e-2 sd).
// Per row of n values: the least cosine similarity between a and b, and the RMS of a - b over the RMS of b.
function rowStats(a, b, n) {
  let minCos = 1, se = 0, sb = 0;
  for (let r = 0; r < b.length / n; r++) {
    let dot = 0, aa = 0, bb = 0;
    for (let i = r * n; i < (r + 1) * n; i++) {
      dot += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; se += (a[i] - b[i]) ** 2;
    }
    sb += bb;
    minCos = Math.min(minCos, dot / Math.sqrt(aa * bb));
  }
  return { minCos, rmsRel: Math.sqrt(se / sb) };
}
let f32Rows = null;
const TOL_TOWER = { 'tiny-mmproj-f32.gguf': TOL_SD, 'tiny-mmproj-f16.gguf': TOL_SD, 'tiny-mmproj-q8_0.gguf': TOL_Q8_SD };
for (const mmproj of Object.keys(TOL_TOWER)) {
  await test(`tower rows in wasm == native sotto image-embed --out (${mmproj}), within ${TOL_TOWER[mmproj]} sd`, async () => {
    const out = join(tmp, 'rows.f32');
    execFileSync(nativePath, ['image-embed', '--image', join(dir, 'processor-small.png'), '--mmproj', join(dir, mmproj),
                              '--out', out, '-t', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const b = readFileSync(out);
    const want = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    const w = mmproj === 'tiny-mmproj-f32.gguf' ? v : (await engineWith(mmproj)).v;
    const r = await w.ask('What is this?', { images: [small], maxTokens: 1 });
    const got = w.lastRows();
    check(r.tiles === 13, `${r.tiles} tiles (13 expected: 3 x 4 + global)`);
    check(got.length === want.length && want.length === 13 * 4 * 48, `${got.length} floats, native ${want.length}`);
    const d = diffSd(got, want);
    console.log(`      ${mmproj}: max abs diff ${d.toExponential(2)} sd`);
    check(d <= TOL_TOWER[mmproj], `max abs diff ${d} sd`);
    if (mmproj === 'tiny-mmproj-f32.gguf') f32Rows = got;
    else {  // what the quantized tower costs in wasm: its rows against the f32 tower's (the same weights), per row
      const { minCos, rmsRel } = rowStats(got, f32Rows, 48);
      const [cosBound, rmsBound] = mmproj === 'tiny-mmproj-f16.gguf' ? [0.99999, 2e-3] : [0.999, 3e-2];
      console.log(`      ${mmproj} vs the f32 tower: min row cosine ${minCos.toFixed(7)}, rms error ${(100 * rmsRel).toFixed(3)} % of the rms`);
      check(minCos >= cosBound && rmsRel <= rmsBound, `cosine ${minCos}, rms ${rmsRel} (bounds ${cosBound}, ${rmsBound})`);
    }
    if (w !== v) w.engine.dispose();
  });
}

const QUESTION = 'What is in these pictures?';
const ref = ggufTensors(readFileSync(join(dir, 'tiny-vlm.ref.gguf')));

// The session's KV cache is f16 (the CLI's default too); test-vision-lm's 1e-5 sd is with an f32 cache.
const TOL_LOGITS_SD = 1e-3;
await test(`two images: prompt tokens == the reference, last logits within ${TOL_LOGITS_SD} sd (f16 cache), greedy == reference`, async () => {
  const r = await v.ask(QUESTION, { images: [small, tall], maxTokens: 0 });
  const ids = v.promptIds();
  check(r.nPrompt === ref.tokens.length && ids.every((t, i) => t === ref.tokens[i]),
        `prompt of ${r.nPrompt} tokens differs from the reference's ${ref.tokens.length}`);
  const logits = new Float32Array(e.memory.buffer, e.call('sotto_logits', e.session), ref.logits.length).slice();
  const d = diffSd(logits, ref.logits);
  console.log(`      last-position logits: max abs diff ${d.toExponential(2)} sd`);
  check(d <= TOL_LOGITS_SD, `logits differ by ${d} sd`);
  const g = await v.ask(QUESTION, { images: [small, tall], maxTokens: ref.greedy.length });
  check(g.ids.length === ref.greedy.length && g.ids.every((t, i) => t === ref.greedy[i]),
        `greedy ${g.ids} vs reference ${Array.from(ref.greedy)}`);
});

const cases = [
  ['two images before the question, f32 tower', 'tiny-mmproj-f32.gguf', QUESTION, [small, tall], ['processor-small', 'processor-tall']],
  ['placeholders, f32 tower', 'tiny-mmproj-f32.gguf', 'Left <image>, right <image>: which is taller?', [tall, small], ['processor-tall', 'processor-small']],
  ['one wide image, f16 tower', 'tiny-mmproj-f16.gguf', 'Left: <image>. Count?', [rgba('processor-wide')], ['processor-wide']],
  ['two images, q8_0 tower', 'tiny-mmproj-q8_0.gguf', QUESTION, [small, tall], ['processor-small', 'processor-tall']],
];
for (const [label, mmproj, prompt, images, files] of cases) {
  await test(`greedy answer, wasm == native sotto generate --mmproj --image: ${label}`, async () => {
    const want = nativeAnswer(['--mmproj', join(dir, mmproj), ...files.flatMap((f) => ['--image', join(dir, `${f}.png`)]),
                               '-p', prompt, '-n', '24']);
    const w = mmproj === 'tiny-mmproj-f32.gguf' ? v : (await engineWith(mmproj)).v;
    const r = await w.ask(prompt, { images, maxTokens: 24 });
    check(want.length > 0 && latin1(r.text) === want, `wasm ${JSON.stringify(r.text)} (ids ${r.ids}) vs native ${JSON.stringify(want)}`);
    if (w !== v) w.engine.dispose();
  });
}

await test('--schema with images, wasm == native', async () => {
  const schema = { type: 'object', properties: { answer: { enum: ['yes', 'no'] } }, required: ['answer'] };
  const path = join(tmp, 'schema.json');
  writeFileSync(path, JSON.stringify(schema));
  const want = nativeAnswer(['--mmproj', join(dir, 'tiny-mmproj-f32.gguf'), '--image', join(dir, 'processor-small.png'),
                             '-p', 'Is there a gauge?', '-n', '40', '--schema', path]);
  const r = await v.ask('Is there a gauge?', { images: [small], maxTokens: 40, schema });
  check(latin1(r.text) === want, `wasm ${JSON.stringify(r.text)} vs native ${JSON.stringify(want)}`);
  const doc = JSON.parse(r.text);
  check(['yes', 'no'].includes(doc.answer), `not a record of the schema: ${r.text}`);
});

await test('headerSize (decodeImage\'s check before decoding): PNG and JPEG sizes as stored; others null', async () => {
  for (const [f, w, h] of [['processor-small.png', 70, 45], ['processor-wide.png', 190, 130], ['images-grey.png', 0, 0],
                           ...[1, 2, 3, 4, 5, 6, 7, 8].map((o) => [`images-orient-${o}.jpg`, 24, 16])]) {
    const got = headerSize(new Uint8Array(readFileSync(join(dir, f))));
    if (w === 0) check(got && got.width > 0 && got.height > 0, `${f}: ${JSON.stringify(got)}`);
    else check(got?.width === w && got?.height === h, `${f}: ${JSON.stringify(got)}, expected ${w} x ${h}`);
  }
  const png = new Uint8Array(readFileSync(join(dir, 'processor-small.png')));
  check(headerSize(png.subarray(0, 20)) === null, 'a cut PNG header');
  check(headerSize(new Uint8Array(readFileSync(join(dir, LM)))) === null, 'a GGUF');
  check(headerSize(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 2, 0, 0, 0, 0, 0, 0])) === null, 'a JPEG scan before any frame header');
});

// ---- bad input
const wantAnswer = (await v.ask(QUESTION, { images: [small, tall], maxTokens: 8 })).text;
async function stillAnswers(label) {
  const r = await v.ask(QUESTION, { images: [small, tall], maxTokens: 8 });
  check(r.text === wantAnswer, `after ${label}: ${JSON.stringify(r.text)} vs ${JSON.stringify(wantAnswer)}`);
}

await test('enormous, empty and short images: one line each before the engine sees them; no trap', async () => {
  const traps = e.traps;
  const huge = { width: 65535, height: 65535, data: new Uint8Array(16), name: 'huge.png' };
  oneLine(await errorOf(() => v.ask(QUESTION, { images: [huge] })),
          /^huge\.png: image is 65535 x 65535 pixels, more than the limit of 50000000 \(resize it first\)$/);
  oneLine(await errorOf(() => v.ask(QUESTION, { images: [{ width: 0, height: 10, data: new Uint8Array(0), name: 'empty.png' }] })),
          /^empty\.png: empty image \(0 x 10\)$/);
  oneLine(await errorOf(() => v.ask(QUESTION, { images: [{ ...small, data: small.data.subarray(0, 100), name: 'short.png' }] })),
          /^short\.png: 100 bytes of pixels for a 70 x 45 RGBA image \(12600 expected\)$/);
  oneLine(await errorOf(() => v.ask(QUESTION, { images: [] })), /^sotto vision: give at least one image$/);
  check(e.traps === traps, `${e.traps - traps} traps`);
  await stillAnswers('the refused images');
});

await test("the engine's own pixel limit (checked before allocating): one line, the engine revives and answers", async () => {
  const traps = e.traps;
  const s = v.session();
  const msg = await errorOf(() => e.withBuffer(e.encoder.encode('big.png\0'), (p) => e.call('sotto_vision_image_new', s, 100000, 100000, p)));
  oneLine(msg, /^big\.png: image is 100000 x 100000 pixels, more than the limit of 50000000 \(resize it first\)$/);
  check(e.traps === traps + 1, 'no trap');
  await e.ready();
  await stillAnswers('the engine refused a size');
});

await test('placeholders that do not match the images: one line; the engine answers after', async () => {
  oneLine(await errorOf(() => v.ask('<image> <image> <image>?', { images: [small, tall] })),
          /^the prompt has 3 <image> placeholders for 2 images \(/);
  await stillAnswers('the placeholder error');
});

await test('a file that is not an mmproj, and one of another width: one line; the last good tower still works', async () => {
  oneLine(await errorOf(() => v.load(readFileSync(join(dir, LM)), { name: 'lm-as-mmproj.gguf' })),
          /^lm-as-mmproj\.gguf: not a vision projector file/);
  await stillAnswers('a bad mmproj');
  // The 576-wide SmolVLM shape of test-model-vision would be large; a tower that projects to 48 on an LM of another
  // width is made by loading the tower beside a text model of the model fixtures.
  const other = join(root, 'tests', 'fixtures', 'models', 'llama32-f32.gguf');
  const e2 = await Sotto.create(wasmModule, { log: () => {} });
  await e2.load(readFileSync(other), { name: 'llama32-f32.gguf' });
  oneLine(await errorOf(() => SottoVision.on(e2).load(readFileSync(join(dir, 'tiny-mmproj-f32.gguf')), { name: 'tiny-mmproj-f32.gguf' })),
          /^tiny-mmproj-f32\.gguf: projects images to 48 features but the language model has n_embd \d+ \(the vision file is not this model's\)$/);
  e2.dispose();
});

await test('a new language model on the engine: the tower is attached to it again', async () => {
  await e.load(readFileSync(join(dir, LM)), { name: LM });
  await stillAnswers('reloading the language model');
});

e.dispose();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

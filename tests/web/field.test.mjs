// field.test.mjs — the field camera page (web/field; issue 20) in headless Chromium against `sotto serve`, with the
// random-weight tiny vision-language model of the fixtures (tests/fixtures/vision, served as /models/ with --models):
//   * the page loads (engine and both model files in its worker), axe-core clean;
//   * a PNG photo and a question: the answer == `sotto generate --temp 0 --mmproj --image` natively;
//   * a JPEG with EXIF orientation 6 is taken upright (16 x 24, not 24 x 16);
//   * a truncated photo: one line on the page, and the next photo is answered as before;
//   * while an answer is on its way the page says so (reading the photo, looking at it, writing), then nothing;
//   * a PNG whose header is over the pixel limit: refused when chosen, in one line, before anything decodes it (the
//     preview too); the previous photo is kept and answered;
//   * Escape right after Ask stops the answer before its first token is followed by another (a cut record: one line);
//   * the inspection task: the record (constrained to web/field/inspection.schema.json) == the same engine's in Node,
//     shown as a form, edited, and exported on approval as a downloaded JSON file holding the edits;
//   * privacy: every request is a GET of this origin's page, engine or model files (page-helpers.mjs watchedContext),
//     and once the engine is ready choosing photos, asking, answering and exporting make no request at all;
//   * 'auto' passes over SwiftShader to the wasm CPU; #backend=webgpu runs the engine on it, and a 6-token answer ==
//     native.
// Usage: node tests/web/field.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR; under flock
// /tmp/sotto-browser.lock). Prints `N passed, M failed`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Sotto } from '../../wasm/sotto.mjs';
import { SottoVision } from '../../wasm/vision.mjs';
import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';
import { axeClean, launchChromium, until as untilIn, watchedContext as watchedContextOf } from './page-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const dir = join(root, 'tests', 'fixtures', 'vision');
const LM = 'tiny-vlm-f32.gguf', MMPROJ = 'tiny-mmproj-f32.gguf';
const tmp = mkdtempSync(join(tmpdir(), 'sotto-field-'));

const { server, origin } = await startServe(sotto, ['--port', '0', '--wasm-dir', wasmDir, '--models', dir, '-q']);
const browser = await launchChromium(chromium, { webgpu: true });
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

const allowed = [/^\/field\/(index\.html)?$/, /^\/field\/[a-z-]+\.(mjs|css)$/, /^\/field\/inspection\.schema\.json$/, /^\/[a-z-]+\.(mjs|css)$/,
                 /^\/wasm\/(sotto|vision|gpu-host|threads-host|thread-worker|relaxed-simd)\.mjs$/, /^\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/,
                 /^\/models\/tiny-(vlm|mmproj)-f32\.gguf$/];
const { ctx, log } = await watchedContextOf(browser, origin, allowed, { viewport: { width: 1000, height: 900 } });
const until = (page, fn, arg, timeout = 60000) => untilIn(page, fn, arg, timeout, ['engine-status', 'photo-error']);
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

function native(image, question, n) {
  let out = execFileSync(sotto, ['generate', '-m', join(dir, LM), '--mmproj', join(dir, MMPROJ), '--image', image,
                                 '-p', question, '-n', String(n), '--temp', '0', '-t', '1', '-q']).toString('utf8');
  if (out.endsWith('\n')) out = out.slice(0, -1);
  return out;
}
async function askAbout(file, question) {
  const n = Number(await page.evaluate(() => document.body.dataset.answered || 0));
  await page.setInputFiles('#photo', file);
  await page.fill('#question', question);
  await page.click('#ask');
  await until(page, (k) => Number(document.body.dataset.answered || 0) > k || document.getElementById('photo-error').textContent, n);
  return { answer: await page.inputValue('#answer'), info: await page.textContent('#answer-info'),
           error: await page.textContent('#photo-error') };
}

let readyRequests = 0;
await step('the page loads: engine and model in its worker; axe-core clean', async () => {
  await page.goto(`${origin}/field/#lm=${LM}&mmproj=${MMPROJ}`);
  await until(page, () => document.body.dataset.engine === 'ready', null, 90000);
  // 'auto' passes over SwiftShader (a software adapter) to the wasm CPU engine.
  assert.match(await page.textContent('#engine-status'), /^Ready \(tiny-vlm-f32\.gguf with tiny-mmproj-f32\.gguf, wasm CPU, \d+ threads?\)$/);
  assert.equal(await page.evaluate(() => document.body.dataset.backend), 'cpu');
  await axeClean(page, 'ready');
  readyRequests = log.requests.length;
});

const Q = 'What is in this picture?';
await step('a PNG photo: the answer == native sotto generate --mmproj --image', async () => {
  const png = join(dir, 'processor-small.png');
  const r = await askAbout(png, Q);
  assert.equal(r.error, '');
  assert.ok(r.answer.length > 0, 'empty answer');
  assert.equal(r.answer, native(png, Q, 256));
  assert.match(r.info, /^70 x 45 photo, 13 tiles, \d+ prompt tokens, [\d.]+ s$/);
  // the page said where the answer was: reading the photo, the tower looking at it, writing; then nothing
  assert.equal(await page.evaluate(() => document.body.dataset.phases), 'read look write');
  assert.equal(await page.textContent('#ask-status'), '');
  assert.equal(await page.isVisible('#ask-progress'), false);
});

await step('a JPEG with EXIF orientation 6 is taken upright', async () => {
  const r = await askAbout(join(dir, 'images-orient-6.jpg'), 'Which way up?');
  assert.equal(r.error, '');
  assert.match(r.info, /^16 x 24 photo, /);
});

await step('a truncated photo: one line on the page; the next photo is answered as before', async () => {
  const png = readFileSync(join(dir, 'processor-wide.png'));
  const cut = join(tmp, 'cut.png');
  writeFileSync(cut, png.subarray(0, png.length >> 1));
  const bad = await askAbout(cut, Q);
  assert.match(bad.error, /^cut\.png: cannot decode the image \(corrupt, truncated or not an image this browser reads: [^\n]*\)$/);
  const good = await askAbout(join(dir, 'processor-small.png'), Q);
  assert.equal(good.error, '');
  assert.equal(good.answer, native(join(dir, 'processor-small.png'), Q, 256));
});

await step('a photo over the pixel limit: refused when chosen, from its header, in one line; the previous photo is kept and answered', async () => {
  // a PNG whose IHDR says 20000 x 20000 (400 Mpixel) with a few bytes of data: a decompression bomb's header
  const chunk = (type, data) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    data.copy(b, 8);
    return b;  // (CRC left 0: the header is read before any decoder sees the file)
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20000, 0);
  ihdr.writeUInt32BE(20000, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const huge = join(tmp, 'huge.png');
  writeFileSync(huge, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
                                     chunk('IDAT', Buffer.alloc(64)), chunk('IEND', Buffer.alloc(0))]));
  const before = await page.getAttribute('#preview', 'src');
  const n = Number(await page.evaluate(() => document.body.dataset.answered || 0));
  await page.setInputFiles('#photo', huge);
  await until(page, () => document.getElementById('photo-error').textContent !== '', null, 10000);
  assert.equal(await page.textContent('#photo-error'),
               'huge.png: image is 20000 x 20000 pixels, more than the limit of 50000000 (resize it first); the previous photo is kept');
  assert.equal(await page.getAttribute('#preview', 'src'), before, 'the preview changed');
  assert.equal(await page.evaluate(() => document.body.dataset.answered || '0'), String(n), 'asked without a click');
  await page.fill('#question', Q);
  await page.click('#ask');
  await until(page, (k) => Number(document.body.dataset.answered || 0) > k, n);
  assert.equal(await page.textContent('#photo-error'), '');
  assert.equal(await page.inputValue('#answer'), native(join(dir, 'processor-small.png'), Q, 256));
});

await step('inspection record: the answer under inspection.schema.json == the engine in Node, edited, approved and exported as a file', async () => {
  await page.selectOption('#task', 'inspection');
  assert.equal(await page.inputValue('#question'), 'Inspect this equipment.');
  const png = join(dir, 'processor-small.png');
  const r = await askAbout(png, 'Inspect this equipment.');
  assert.equal(r.error, '');
  const schema = JSON.parse(readFileSync(join(root, 'web', 'field', 'inspection.schema.json'), 'utf8'));
  // The same wasm engine in Node on the PNG's pixels (tests/wasm/vision.test.mjs holds those == the browser's).
  const e = await Sotto.create(readFileSync(join(wasmDir, 'sotto.wasm')), { log: () => {} });
  await e.load(readFileSync(join(dir, LM)), { name: LM });
  const v = SottoVision.on(e);
  await v.load(readFileSync(join(dir, MMPROJ)), { name: MMPROJ });
  const img = { width: 70, height: 45, data: new Uint8Array(readFileSync(join(dir, 'processor-small.rgba'))) };
  const want = await v.ask('Inspect this equipment.', { images: [img], maxTokens: 512, schema, compact: true });
  e.dispose();
  assert.equal(r.answer, want.text);
  const doc = JSON.parse(r.answer);
  assert.deepEqual(Object.keys(doc), schema.required);
  assert.ok(schema.properties.visible_damage.enum.includes(doc.visible_damage), doc.visible_damage);
  assert.ok(Array.isArray(doc.hazards) && doc.hazards.length <= 3);
  assert.equal(await page.isVisible('#review'), true);
  assert.equal(await page.inputValue('[data-path="/asset_type"]'), doc.asset_type);
  await page.fill('[data-path="/asset_type"]', 'pressure pump');
  await page.selectOption('[data-path="/visible_damage"]', 'minor');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#approve')]);
  assert.match(download.suggestedFilename(), /^inspection-\d{4}-\d{2}-\d{2}\.json$/);
  const out = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.deepEqual(out, { ...doc, asset_type: 'pressure pump', visible_damage: 'minor' });
  assert.match(await page.textContent('#export-status'), /^Exported inspection-/);
  assert.equal(await page.evaluate(() => document.body.dataset.exported), '1');
  await axeClean(page, 'inspection record');
});

await step('Escape right after Ask stops the answer (the cancel lands before the first token): a cut record, said in one line', async () => {
  // the inspection task is still chosen: its whole record is the previous step's (r.answer there)
  const n = Number(await page.evaluate(() => document.body.dataset.answered || 0));
  await page.fill('#question', 'Inspect this equipment.');
  await page.click('#ask');
  await page.keyboard.press('Escape');
  await until(page, (k) => Number(document.body.dataset.answered || 0) > k, n);
  const cut = await page.inputValue('#answer');
  assert.ok(cut.length < 8, `the answer went on after Escape: ${JSON.stringify(cut)}`);
  assert.equal(await page.textContent('#photo-error'), 'The answer is not a whole record (it was cut off): ask again.');
  assert.equal(await page.isVisible('#review'), false);
  await page.selectOption('#task', 'ask');
});

await step('privacy: only this origin\'s page, engine and model files were requested; nothing after the engine was ready', async () => {
  assert.deepEqual(log.violations, []);
  assert.ok(readyRequests > 0, 'no request seen at all');
  assert.deepEqual(log.requests.slice(readyRequests), [], 'requests after the engine was ready');
  assert.deepEqual(pageErrors, []);
});

await step('#backend=webgpu (SwiftShader): the engine on WebGPU; a short answer == native sotto generate', async () => {
  const p2 = await ctx.newPage();
  p2.on('pageerror', (e) => pageErrors.push(e.message));
  await p2.goto(`${origin}/field/#lm=${LM}&mmproj=${MMPROJ}&backend=webgpu`);
  await untilIn(p2, () => document.body.dataset.engine !== 'loading', null, 120000, ['engine-status']);
  assert.equal(await p2.evaluate(() => document.body.dataset.backend), 'webgpu', await p2.textContent('#engine-status'));
  assert.match(await p2.textContent('#engine-status'), /^Ready \(tiny-vlm-f32\.gguf with tiny-mmproj-f32\.gguf, WebGPU, .*\)$/);
  const png = join(dir, 'processor-small.png');
  await p2.setInputFiles('#photo', png);
  await p2.fill('#max-tokens', '6');
  await p2.click('#ask');
  await untilIn(p2, () => document.body.dataset.answered === '1' || document.getElementById('photo-error').textContent, null, 120000,
                ['engine-status', 'photo-error']);
  assert.equal(await p2.textContent('#photo-error'), '');
  assert.equal(await p2.inputValue('#answer'), native(png, 'Describe what is in front of me.', 6));
  assert.deepEqual(log.violations, []);
  assert.deepEqual(pageErrors, []);
  await p2.close();
});

await ctx.close();
await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

// errors.test.mjs — the browser app keeps the page's work when the engine is handed bad input (issue 15), in
// headless Chromium (Debian's /usr/bin/chromium through playwright-core) against `sotto serve`, the wasm CPU
// engine chosen in Settings (no GPU warm-up: the test stays short):
//   * a transcript is typed (the draft is saved);
//   * Settings names a corrupt note model (the bundled one cut short, then one whose tensors overlap, served from
//     a temporary /models/): the page shows a one-line engine error naming the file and the last good model
//     it goes on with; the transcript on the page and the saved draft are unchanged; the setting saved
//     for the next visit is still the good model;
//   * Settings names a model larger than the browser's budget (a 3 GiB sparse file): refused with one line from its
//     length, before it is downloaded, the same way; and 100-odd bytes whose GGUF header claims 3 GiB: refused from
//     the header the same way (before: handed to the engine, a "truncated" error);
//   * a note is then written under the template, the transcript still intact.
// (The app offers no custom templates, so a hostile schema cannot come from the page; tests/wasm/errors.test.mjs
// covers hostile schemas and grammars through the same JS host.)
// Usage: node tests/web/errors.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR).
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';
import { launchChromium, until } from './page-helpers.mjs';
import { claimsHuge } from './fake-gguf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const asrModel = join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');

// The bad models, in a temporary /models/ of the server.
const tmp = mkdtempSync(join(tmpdir(), 'sotto-errors-'));
const good = readFileSync(noteModel);
writeFileSync(join(tmp, 'cut.gguf'), good.subarray(0, good.length - 4096));
const overlap = Buffer.from(good);
{  // the second tensor's offset set to the first's
  let p = 8;
  const u32 = () => { const v = overlap.readUInt32LE(p); p += 4; return v; };
  const u64 = () => { const v = Number(overlap.readBigUInt64LE(p)); p += 8; return v; };
  const str = () => { const n = u64(); p += n; };
  const scalar = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
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
  for (let i = 0; i < Math.min(nTensors, 2); i++) {
    str();
    const nDims = u32();
    p += 8 * nDims + 4;
    fields.push(p);
    p += 8;
  }
  overlap.copy(overlap, fields[1], fields[0], fields[0] + 8);
}
writeFileSync(join(tmp, 'overlap.gguf'), overlap);
// A model too large for any browser's budget (web/fetch-cache.mjs modelBudget: 2 GiB at most): 3 GiB, sparse on disk.
writeFileSync(join(tmp, 'huge.gguf'), good.subarray(0, 4096));
truncateSync(join(tmp, 'huge.gguf'), 3 * 1024 ** 3);
// 100-odd bytes whose GGUF header claims 3 GiB of weights (tests/web/fake-gguf.mjs): refused from the header
// (web/gguf-size.mjs), not handed to the engine as a truncated model.
writeFileSync(join(tmp, 'claims-huge.gguf'), claimsHuge(3 * 1024 ** 3));

const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '--models', tmp, '-q']);
const browser = await launchChromium(chromium, { webgpu: true });
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

const ctx = await browser.newContext({ viewport: { width: 1200, height: 860 } });
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
// The wasm CPU engine (as Settings would choose it), set before the app's first start.
await page.addInitScript(() => {
  if (!localStorage.getItem('sotto.settings.v1')) localStorage.setItem('sotto.settings.v1', JSON.stringify({ backend: 'cpu' }));
});
const transcript = 'Patient reports a dry cough for four days, no fever. Advised fluids and rest; review in one week.';
const draft = () => page.evaluate(async () => (await import('/store.mjs')).loadDraft());  // decrypted by the app's own store
const saved = () => page.evaluate(() => JSON.parse(localStorage.getItem('sotto.settings.v1') ?? '{}'));

await step('the engine loads; a typed transcript is saved as the draft', async () => {
  await page.goto(origin + '/');
  await until(page, () => document.body.dataset.engine === 'ready', null, 120000);
  await page.fill('#transcript', transcript);
  await until(page, async (t) => (await (await import('/store.mjs')).loadDraft())?.transcript === t, transcript, 10000);
});

for (const [file, message] of [['cut.gguf', /^cut\.gguf: .*(past the end|truncated).*$/],
                               ['overlap.gguf', /^overlap\.gguf: tensors .* overlap$/],
                               ['huge.gguf', /^\/models\/huge\.gguf: the model is 3\.0 GiB, more than this browser can hold \(at most [\d.]+ GiB here\): choose a smaller model$/],
                               ['claims-huge.gguf', /^\/models\/claims-huge\.gguf: the model is 3\.0 GiB, more than this browser can hold \(at most [\d.]+ GiB here\): choose a smaller model$/]]) {
  await step(`a ${file.includes('huge') ? 'model too large for the browser' : 'corrupt model'} in Settings (${file}): a one-line error, the transcript and draft kept, the engine goes on`, async () => {
    const before = await draft();
    const t0 = Date.now();
    await page.click('#settings summary');
    await page.fill('#model-url', `/models/${file}`);
    await page.click('#save-settings');
    const error = await until(page, () => document.body.dataset.engine === 'ready' && document.body.dataset.engineError, null, 60000);
    assert.match(error, message);
    const status = await page.textContent('#engine-status');
    assert.equal(status, `Engine error: ${error} (still using note.gguf)`);
    assert.ok(!status.includes('\n') && !/unreachable|RuntimeError/.test(status), status);
    assert.equal(await page.inputValue('#transcript'), transcript);
    assert.deepEqual({ ...(await draft()), savedAt: 0 }, { ...before, savedAt: 0 });
    assert.equal((await saved()).modelUrl, '/models/note.gguf');
    assert.ok(!(await page.isDisabled('#generate')), 'Write note is disabled');
    if (file.includes('huge')) assert.ok(Date.now() - t0 < 20000, `refused after ${Date.now() - t0} ms: not up front`);
    await page.click('#settings summary');
  });
}

await step('a note is written after the errors; the transcript is unchanged', async () => {
  await page.click('#generate');
  await until(page, () => document.body.dataset.note === 'ready', null, 180000);
  assert.match(await page.textContent('#gen-status'), /^Note written on the wasm CPU \(SIMD128\): \d+ tokens/);
  const note = JSON.parse(await page.textContent('#stream'));
  assert.ok(note && typeof note === 'object' && Object.keys(note).length > 0, 'empty note');
  assert.equal(await page.inputValue('#transcript'), transcript);
  assert.equal((await draft()).transcript, transcript);
  assert.deepEqual(pageErrors, []);
});

await ctx.close();
await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

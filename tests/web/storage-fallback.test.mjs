// storage-fallback.test.mjs — the browser app where the storage APIs it could use are missing (issue 18), in
// headless Chromium (playwright-core) against `sotto serve`, the wasm CPU engine chosen in Settings: before
// anything of the app runs, the page (addInitScript) and its dedicated Workers (their scripts served with one
// line put in front) lose the Cache API (`caches`), OPFS (`navigator.storage.getDirectory`) and sync access
// handles (`createSyncAccessHandle`); service workers are blocked. Then:
//   * the engine Worker really has no Cache API, and the app still loads the note model, saying where it took it
//     from: "not kept: this browser has no Cache API" in the engine status;
//   * a typed transcript is kept as the draft, a note is written under the template;
//   * after a reload (the model downloaded again, nothing cached) the transcript and the note are back.
// Usage: node tests/web/storage-fallback.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';
import { launchChromium, until } from './page-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const asrModel = join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');

// What goes: in a Window or a Worker, whichever this runs in.
const removeStorage = `(() => {
  for (const [o, k] of [[globalThis.Window?.prototype, 'caches'], [globalThis.WorkerGlobalScope?.prototype, 'caches'],
                        [globalThis, 'caches'], [globalThis.StorageManager?.prototype, 'getDirectory'],
                        [globalThis.FileSystemFileHandle?.prototype, 'createSyncAccessHandle']]) {
    if (o && k in o) delete o[k];
  }
})();
`;

const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '-q']);
const browser = await launchChromium(chromium, { webgpu: false });
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

// No service worker either (its own Cache API would serve the pages and Workers unchanged after the reload).
const ctx = await browser.newContext({ viewport: { width: 1200, height: 860 }, serviceWorkers: 'block' });
const workerScripts = [];
await ctx.route(/\/(engine-worker|asr-worker)\.js$/, async (route) => {
  const response = await route.fetch();
  workerScripts.push(new URL(route.request().url()).pathname);
  await route.fulfill({ response, body: removeStorage + (await response.text()) });
});
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
await page.addInitScript(removeStorage);
await page.addInitScript(() => {
  if (!localStorage.getItem('sotto.settings.v1')) localStorage.setItem('sotto.settings.v1', JSON.stringify({ backend: 'cpu' }));
});
const transcript = 'Patient reports a dry cough for four days, no fever. Advised fluids and rest; review in one week.';
const draft = () => page.evaluate(async () => (await import('/store.mjs')).loadDraft());

await step('no Cache API, OPFS or sync access handles: the model loads, and the status says it is not kept', async () => {
  await page.goto(origin + '/');
  assert.deepEqual(await page.evaluate(() => [typeof caches, typeof navigator.storage?.getDirectory,
                                              typeof FileSystemFileHandle?.prototype.createSyncAccessHandle]),
                   ['undefined', 'undefined', 'undefined']);
  await until(page, () => document.body.dataset.engine === 'ready', null, 120000);
  assert.ok(workerScripts.includes('/engine-worker.js'), `worker scripts changed: ${workerScripts}`);
  const status = await page.textContent('#engine-status');
  assert.match(status, /^Engine ready: note\.gguf \([\d.]+ MiB, not kept: this browser has no Cache API, so it is downloaded again next time\) on /);
});

await step('a typed transcript is kept as the draft; a note is written', async () => {
  await page.fill('#transcript', transcript);
  await until(page, async (t) => (await (await import('/store.mjs')).loadDraft())?.transcript === t, transcript, 10000);
  await page.click('#generate');
  await until(page, () => document.body.dataset.note === 'ready', null, 120000);
  const note = JSON.parse(await page.textContent('#stream'));
  assert.ok(note && typeof note === 'object' && Object.keys(note).length > 0, 'empty note');
  await until(page, async (n) => JSON.stringify((await (await import('/store.mjs')).loadDraft())?.note) === n, JSON.stringify(note), 10000);
});

await step('after a reload: the model is downloaded again, the transcript and the note are back', async () => {
  const before = await draft();
  await page.reload();
  await until(page, () => document.body.dataset.engine === 'ready', null, 120000);
  assert.match(await page.textContent('#engine-status'), /not kept: this browser has no Cache API/);
  assert.equal(await page.inputValue('#transcript'), transcript);
  const after = await draft();
  assert.equal(after.transcript, transcript);
  assert.ok(after.note, 'the note is not in the draft');
  assert.deepEqual({ ...after, savedAt: 0 }, { ...before, savedAt: 0 });
  assert.deepEqual(pageErrors, []);
});

await ctx.close().catch(() => {});
await browser.close().catch(() => {});
server.kill();
process.exit(tally.summary());

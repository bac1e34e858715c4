// storage.test.mjs — the browser app without the Cache API and IndexedDB (private windows, some WebViews) in Firefox
// ESR and WebKitGTK (drive.mjs), as tests/web/storage-fallback.test.mjs checks it in Chromium. `sotto serve` serves a
// copy of web/'s files whose page loads /no-storage.js first (a classic script: it runs before the app's module) and
// whose two Worker scripts begin with the same lines: `caches`, `indexedDB`, OPFS and sync access handles are removed
// from the page and its Workers. Then, in each browser:
//   * the page really has neither, the note model loads and the engine status says it is not kept; the page says
//     drafts stay in it and will not survive a reload (data-drafts="memory", the notice); a typed transcript is kept
//     there (the app's store.mjs gives it back) and nothing is written to localStorage;
//   * with a passphrase the draft is stored encrypted (data-drafts="device") and is back after a reload with it.
// Usage: node tests/browsers/storage.test.mjs [path/to/sotto]   (SOTTO_WASM_DIR, SOTTO_BROWSERS=firefox,webkit)
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Tally } from '../harness.mjs';
import { startServe } from '../web/serve.mjs';
import { browsersAvailable, openBrowser } from './drive.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const asrModel = join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');

const removeStorage = `(() => {
  for (const [o, k] of [[globalThis.Window?.prototype, 'caches'], [globalThis.WorkerGlobalScope?.prototype, 'caches'],
                        [globalThis, 'caches'], [globalThis.StorageManager?.prototype, 'getDirectory'],
                        [globalThis.FileSystemFileHandle?.prototype, 'createSyncAccessHandle'],
                        [globalThis, 'indexedDB'], [globalThis.Window?.prototype, 'indexedDB'],
                        [globalThis.WorkerGlobalScope?.prototype, 'indexedDB']]) {
    if (o && k in o) delete o[k];
  }
})();
`;
const tmp = mkdtempSync(join(tmpdir(), 'sotto-browsers-storage-'));
const site = join(tmp, 'site');
mkdirSync(join(site, 'web'), { recursive: true });
for (const f of readdirSync(join(root, 'web'))) {
  const from = join(root, 'web', f), to = join(site, 'web', f);
  if (!statSync(from).isFile()) continue;
  if (/^(engine|asr)-worker\.js$/.test(f)) writeFileSync(to, removeStorage + readFileSync(from, 'utf8'));
  else if (f === 'index.html') {
    const html = readFileSync(from, 'utf8');
    assert.ok(html.includes('<script type="module" src="/app.js">'), 'index.html no longer loads /app.js as expected');
    writeFileSync(to, html.replace('<script type="module" src="/app.js">', '<script src="/no-storage.js"></script>\n<script type="module" src="/app.js">'));
  } else copyFileSync(from, to);
}
writeFileSync(join(site, 'web', 'no-storage.js'), removeStorage);
for (const d of ['wasm', 'templates', 'samples']) symlinkSync(join(root, d), join(site, d));

const { server, origin } = await startServe(sotto, ['--port', '0', '--root', site, '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '-q']);
const tally = new Tally();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(b, body, what, timeoutMs = 60000) {
  for (const t0 = Date.now(); ;) {
    const v = await b.evaluate(body).catch(() => undefined);
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) {
      const seen = await b.evaluate("return JSON.stringify(document.body.dataset) + ' | ' + document.getElementById('engine-status').textContent;").catch((e) => e.message);
      throw new Error(`timed out waiting for ${what} (${seen})`);
    }
    await sleep(200);
  }
}
const transcript = 'Patient reports a dry cough for four days, no fever. Advised fluids and rest; review in one week.';
const draftText = "return import('/store.mjs').then((m) => m.loadDraft()).then((d) => d?.transcript ?? null);";
const notice = /^Drafts are kept in this page only and will not survive a reload: the drafts' key needs IndexedDB: this browser has no IndexedDB \(a private window\?\)\. Set a passphrase \(Settings\) to keep them on this device, encrypted\.$/;

for (const name of browsersAvailable()) {
  const t0 = Date.now();
  const b = await openBrowser(name, { origin });
  try {
    await tally.test(`${name}: no Cache API, no IndexedDB: the model loads (not kept), drafts stay in the page and it says so`, async () => {
      await b.goto(origin + '/');
      assert.deepEqual(await b.evaluate('return [typeof caches, typeof indexedDB];'), ['undefined', 'undefined']);
      await until(b, "return document.body.dataset.engine === 'ready';", 'the engine', 120000);
      assert.match(await b.evaluate("return document.getElementById('engine-status').textContent;"),
                   /^Engine ready: note\.gguf \([\d.]+ MiB, not kept: this browser has no Cache API, so it is downloaded again next time\) on /);
      await until(b, "return document.body.dataset.drafts === 'memory';", 'the drafts path', 10000);
      const [why, text, hidden] = await b.evaluate("const n = document.getElementById('draft-storage'); return [document.body.dataset.draftsWhy, n.textContent, n.hidden];");
      assert.equal(why, 'no-key');
      assert.match(text, notice);
      assert.equal(hidden, false);
      await b.evaluate(`const t = document.getElementById('transcript'); t.value = arguments[0];
                        t.dispatchEvent(new Event('input', { bubbles: true }));`, transcript);
      await until(b, draftText, 'the draft in memory', 10000);
      assert.equal(await b.evaluate(draftText), transcript);
      assert.equal(await b.evaluate("return localStorage.getItem('sotto.draft.v1');"), null);
    });
    await tally.test(`${name}: no IndexedDB, a passphrase: the draft is stored encrypted and back after a reload with it`, async () => {
      await b.evaluate(`document.getElementById('settings').open = true;
                        document.getElementById('passphrase').value = 'correct horse battery';
                        document.getElementById('set-passphrase').click();`);
      await until(b, "return document.body.dataset.drafts === 'device';", 'the draft on the device', 60000);
      const stored = await b.evaluate("return localStorage.getItem('sotto.draft.v1');");
      assert.ok(stored && JSON.parse(stored).v === 2 && !stored.includes('cough'), 'not stored encrypted');
      assert.equal(await b.evaluate("return document.getElementById('draft-storage').hidden;"), true);
      await b.goto(origin + '/');
      await until(b, "return document.getElementById('unlock')?.open;", 'the unlock dialog', 60000);
      await b.evaluate("document.getElementById('unlock-pass').value = 'correct horse battery'; document.getElementById('unlock-ok').click();");
      await until(b, `return document.getElementById('transcript').value === ${JSON.stringify(transcript)};`, 'the draft back', 60000);
      assert.equal(await b.evaluate("return document.body.dataset.drafts;"), 'device');
    });
    await tally.test(`${name}: no request outside ${origin}`, async () => {
      assert.deepEqual(b.offsite(), []);
    });
  } finally {
    await b.close();
  }
  console.log(`      ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

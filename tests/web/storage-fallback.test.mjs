// storage-fallback.test.mjs — the browser app where the storage APIs it could use are missing (issue 18), in
// headless Chromium (playwright-core) against `sotto serve`, the wasm CPU engine chosen in Settings: before
// anything of the app runs, the page (addInitScript) and its dedicated Workers (their scripts served with one
// line put in front, from a copy of web/'s files: a Worker whose script playwright's router answered cannot fetch
// from another origin, the hub's) lose the Cache API (`caches`), OPFS (`navigator.storage.getDirectory`) and sync
// access handles (`createSyncAccessHandle`); service workers are blocked. Then:
//   * the engine Worker really has no Cache API, and the app still loads the note model, saying where it took it
//     from: "not kept: this browser has no Cache API" in the engine status;
//   * a typed transcript is kept as the draft, a note is written under the template;
//   * after a reload (the model downloaded again, nothing cached) the transcript and the note are back;
//   * a draft larger than localStorage holds (the origin's quota filled for real): kept in the page and said so,
//     the older stored draft removed (it would come back in its place), and on the device again once it fits.
// Then a fresh context without IndexedDB as well (private windows, some WebViews; there is no key for drafts):
//   * the page says drafts stay in this page and will not survive a reload; a typed transcript is kept there (before:
//     nothing was kept, silently), nothing is written to localStorage, and after a reload it is gone, as said;
//   * with a passphrase (its key needs no IndexedDB) the draft is on the device, encrypted, and back after a reload
//     with the passphrase; the recording is said to stay in memory (it needs IndexedDB);
//   * IndexedDB that refuses to open (the key database at a newer version: a VersionError): the same memory path;
//   * localStorage refusing every write (storage blocked for the site: a SecurityError): the same, its own words.
// And hub models (Settings, web/hub.mjs) without the Cache API, from tools/hub-server.py (the stand-in hub on another
// loopback port, HF_ENDPOINT): the note and speech models are downloaded, verified against the published SHA-256 and
// used, the statuses say they are not kept (before: "caches is not defined"); a corrupted file is still refused on one
// line; after a reload both are downloaded again; "Clear cached models" answers (nothing to clear) instead of failing.
// Usage: node tests/web/storage-fallback.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
const removeIndexedDb = `(() => {
  for (const o of [globalThis, globalThis.Window?.prototype, globalThis.WorkerGlobalScope?.prototype]) if (o && 'indexedDB' in o) delete o.indexedDB;
})();
`;

// The site: web/'s files (the app's page; not its subfolders' pages), the two Worker scripts with removeStorage in
// front; wasm/, templates/ and samples/ as they are.
const tmp = mkdtempSync(join(tmpdir(), 'sotto-fallback-'));
const site = join(tmp, 'site');
mkdirSync(join(site, 'web'), { recursive: true });
for (const f of readdirSync(join(root, 'web'))) {
  if (!statSync(join(root, 'web', f)).isFile()) continue;
  if (/^(engine|asr)-worker\.js$/.test(f)) writeFileSync(join(site, 'web', f), removeStorage + readFileSync(join(root, 'web', f), 'utf8'));
  else copyFileSync(join(root, 'web', f), join(site, 'web', f));
}
for (const d of ['wasm', 'templates', 'samples']) symlinkSync(join(root, d), join(site, d));
// The stand-in hub: local/solo (the note model), local/speech (the speech fixture), local/broken (one byte changed).
for (const [repo, name, target] of [['solo', 'notes.gguf', noteModel], ['speech', 'moonshine-f32.gguf', asrModel],
                                    ['broken', 'broken.gguf', noteModel]]) {
  mkdirSync(join(tmp, repo));
  symlinkSync(target, join(tmp, repo, name));
}
const hubProc = spawn('python3', [join(root, 'tools', 'hub-server.py'), join(tmp, 'solo'), join(tmp, 'speech'), join(tmp, 'broken'),
                                  '--port', '0', '--corrupt', 'broken.gguf'], { stdio: ['ignore', 'pipe', 'inherit'] });
const hub = await new Promise((resolve, reject) => {
  let out = '';
  hubProc.stdout.on('data', (d) => { out += d; const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out); if (m) resolve(m[1]); });
  hubProc.on('exit', (c) => reject(new Error(`hub-server.py exited with ${c}`)));
});
const hubRequests = [];
process.env.HF_ENDPOINT = hub;  // `sotto serve` lets the page reach it (CSP connect-src)
const { server, origin } = await startServe(sotto, ['--port', '0', '--root', site, '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '-q']);
const browser = await launchChromium(chromium, { webgpu: false });
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

// No service worker either (its own Cache API would serve the pages and Workers unchanged after the reload).
const ctx = await browser.newContext({ viewport: { width: 1200, height: 860 }, serviceWorkers: 'block' });
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

await step('a draft larger than localStorage holds: kept in this page, said so; back on the device once it fits', async () => {
  assert.equal(await page.evaluate(() => document.body.dataset.drafts), 'device');
  assert.equal(await page.isVisible('#draft-storage'), false);
  // The origin's real quota, filled (Chromium: 10 MiB of UTF-16) but for under 2 KiB.
  const filled = await page.evaluate(() => {
    let n = 0;
    for (let size = 1 << 20; size >= 256; size >>= 1) {
      for (;;) {
        try { localStorage.setItem(`test.fill.${n}`, 'x'.repeat(size)); n++; } catch { break; }
      }
    }
    return n;
  });
  assert.ok(filled > 0);
  const long = `${transcript} `.repeat(200);  // 20 KB: its encrypted draft is more than the room left
  await page.fill('#transcript', long);
  await until(page, () => document.body.dataset.draftsWhy === 'too-large', null, 10000);
  assert.match(await page.textContent('#draft-storage'),
               /^This draft is kept in this page only and will not survive a reload: the draft \(\d+ KiB\) is more than this browser's local storage holds \(.*\)\.$/);
  assert.equal(await page.isVisible('#draft-storage'), true);
  assert.equal((await draft()).transcript, long);
  assert.equal(await page.evaluate(() => localStorage.getItem('sotto.draft.v1')), null, 'the older draft is still stored');
  await page.evaluate((n) => { for (let i = 0; i < n; i++) localStorage.removeItem(`test.fill.${i}`); }, filled);
  await page.fill('#transcript', transcript);
  await until(page, () => document.body.dataset.drafts === 'device', null, 10000);
  assert.equal(await page.isVisible('#draft-storage'), false);
  assert.ok(await page.evaluate(() => localStorage.getItem('sotto.draft.v1')));
  assert.equal((await draft()).transcript, transcript);
});

await ctx.close().catch(() => {});

// ---- without IndexedDB as well
const ctx2 = await browser.newContext({ viewport: { width: 1200, height: 860 }, serviceWorkers: 'block' });
const page2 = await ctx2.newPage();
page2.on('pageerror', (e) => pageErrors.push(e.message));
await page2.addInitScript(removeStorage + removeIndexedDb);
await page2.addInitScript(() => {
  if (!localStorage.getItem('sotto.settings.v1')) localStorage.setItem('sotto.settings.v1', JSON.stringify({ backend: 'cpu' }));
});
const draft2 = () => page2.evaluate(async () => (await import('/store.mjs')).loadDraft());
const noKey = /^Drafts are kept in this page only and will not survive a reload: the drafts' key needs IndexedDB: (.*) \(a private window\?\)\. Set a passphrase \(Settings\) to keep them on this device, encrypted\.$/;

await step('no IndexedDB: the page says drafts stay in it; a typed transcript is kept there, not stored; gone after a reload', async () => {
  await page2.goto(origin + '/');
  assert.equal(await page2.evaluate(() => typeof indexedDB), 'undefined');
  await until(page2, () => document.body.dataset.drafts === 'memory', null, 10000);
  assert.equal(await page2.evaluate(() => document.body.dataset.draftsWhy), 'no-key');
  assert.equal((await page2.textContent('#draft-storage')).match(noKey)?.[1], 'this browser has no IndexedDB');
  assert.equal(await page2.isVisible('#draft-storage'), true);
  await page2.evaluate(() => { document.getElementById('settings').open = true; });
  assert.match(await page2.textContent('#passphrase-state'), /^No passphrase: this browser keeps no key for drafts, so they stay in this page only/);
  await page2.fill('#transcript', transcript);
  await until(page2, async (t) => (await (await import('/store.mjs')).loadDraft())?.transcript === t, transcript, 10000);
  assert.equal(await page2.evaluate(() => localStorage.getItem('sotto.draft.v1')), null);
  await until(page2, () => document.body.dataset.engine === 'ready', null, 120000);
  await page2.reload();
  await until(page2, () => document.body.dataset.drafts === 'memory', null, 10000);
  assert.equal(await page2.inputValue('#transcript'), '');
  assert.equal(await draft2(), null);
  assert.equal(await page2.isVisible('#draft-storage'), true);
});

await step('no IndexedDB, a passphrase: the draft is stored encrypted and back after a reload with it; the recording is not kept', async () => {
  await page2.fill('#transcript', transcript);
  await page2.evaluate(() => { document.getElementById('settings').open = true; });
  await page2.fill('#passphrase', 'correct horse battery');
  await page2.click('#set-passphrase');
  await until(page2, () => document.body.dataset.drafts === 'device', null, 30000);
  assert.equal(await page2.isVisible('#draft-storage'), false);
  const stored = await page2.evaluate(() => localStorage.getItem('sotto.draft.v1'));
  assert.ok(stored && JSON.parse(stored).v === 2 && !stored.includes('cough'), 'not stored encrypted');
  await page2.check('#keep-audio');
  assert.match(await page2.textContent('#keep-audio-status'), /^This browser gives the app no IndexedDB .*nothing is kept on this device\.$/);
  await page2.reload();
  await until(page2, () => document.getElementById('unlock')?.open, null, 30000);
  await page2.fill('#unlock-pass', 'correct horse battery');
  await page2.click('#unlock-ok');
  await until(page2, (t) => document.getElementById('transcript').value === t, transcript, 30000);
  assert.equal(await page2.evaluate(() => document.body.dataset.drafts), 'device');
  assert.equal((await draft2()).transcript, transcript);
});

await step('IndexedDB refusing to open (the key database at a newer version): drafts stay in the page, said so', async () => {
  const page3 = await ctx.browser().newContext({ serviceWorkers: 'block' }).then((c) => c.newPage());
  page3.on('pageerror', (e) => pageErrors.push(e.message));
  await page3.goto(origin + '/sw.js');  // this origin, before the app: its key database at version 3 (the app opens 2)
  await page3.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('sotto-keys', 3);
    r.onsuccess = () => { r.result.close(); resolve(); };
    r.onerror = () => reject(r.error);
  }));
  await page3.goto(origin + '/');
  await until(page3, () => document.body.dataset.drafts === 'memory', null, 10000);
  assert.equal((await page3.textContent('#draft-storage')).match(noKey)?.[1], 'this browser refused to open IndexedDB (VersionError)');
  await page3.fill('#transcript', transcript);
  await until(page3, async (t) => (await (await import('/store.mjs')).loadDraft())?.transcript === t, transcript, 10000);
  assert.equal(await page3.evaluate(() => localStorage.getItem('sotto.draft.v1')), null);
  await page3.context().close();
  assert.deepEqual(pageErrors, []);
});

await step('localStorage refusing every write (storage blocked): drafts stay in the page, said so', async () => {
  const c = await browser.newContext({ serviceWorkers: 'block' });
  const p = await c.newPage();
  p.on('pageerror', (e) => pageErrors.push(e.message));
  await p.addInitScript(() => {
    Storage.prototype.setItem = function () { throw new DOMException('The operation is insecure.', 'SecurityError'); };
  });
  await p.goto(origin + '/');
  await p.fill('#transcript', transcript);
  await until(p, () => document.body.dataset.draftsWhy === 'no-storage', null, 10000);
  assert.equal(await p.textContent('#draft-storage'), 'Drafts are kept in this page only and will not survive a reload: ' +
               'this browser does not let the app write to its local storage (The operation is insecure.).');
  assert.equal(await p.isVisible('#draft-storage'), true);
  assert.equal(await p.evaluate(async () => (await (await import('/store.mjs')).loadDraft())?.transcript), transcript);
  await c.close();
});

await ctx2.close().catch(() => {});

// ---- hub models without the Cache API
const ctx3 = await browser.newContext({ viewport: { width: 1200, height: 860 }, serviceWorkers: 'block' });
// the hub's requests, seen (not changed)
ctx3.on('request', (r) => { if (r.url().startsWith(hub)) hubRequests.push(new URL(r.url()).pathname); });
const page3 = await ctx3.newPage();
page3.on('pageerror', (e) => pageErrors.push(e.message));
await page3.addInitScript(removeStorage);
await page3.addInitScript((h) => {
  if (!localStorage.getItem('sotto.settings.v1')) {
    localStorage.setItem('sotto.settings.v1', JSON.stringify({ backend: 'cpu', hubEndpoint: h, modelHub: 'local/solo', asrModelHub: 'local/speech' }));
  }
}, hub);
const notKept = 'not kept: this browser has no Cache API, so it is downloaded again next time';
const hubReady = async () => {
  await until(page3, () => document.body.dataset.engine === 'ready', null, 120000);
  await until(page3, () => document.body.dataset.asr === 'ready', null, 120000, ['asr-status']);
  assert.equal(await page3.textContent('#engine-status').then((t) => t.split(') on ')[0]),
               `Engine ready: local/solo:notes.gguf from the hub (${(statSync(noteModel).size / 2 ** 20).toFixed(1)} MiB, SHA-256 verified, ${notKept}`);
  assert.match(await page3.textContent('#asr-status'),
               new RegExp(`^Speech recognition ready: local/speech:moonshine-f32\\.gguf from the hub \\(moonshine, [\\d.]+ MiB, SHA-256 verified, ${notKept}\\) on the wasm CPU`));
};

await step('hub models without the Cache API: downloaded, verified, used, and said not kept', async () => {
  await page3.goto(origin + '/');
  assert.equal(await page3.evaluate(() => typeof caches), 'undefined');
  await hubReady();
  assert.deepEqual(hubRequests.filter((r) => r.includes('/resolve/')).sort(),
                   ['/local/solo/resolve/main/notes.gguf', '/local/speech/resolve/main/moonshine-f32.gguf']);
  await page3.fill('#transcript', transcript);
  await page3.click('#generate');
  await until(page3, () => document.body.dataset.note === 'ready', null, 120000);
  assert.ok(Object.keys(JSON.parse(await page3.textContent('#stream'))).length > 0, 'empty note');
});

await step('hub models without the Cache API: a corrupted file is still refused on one line; a reload downloads both again', async () => {
  await page3.click('#settings summary');
  await page3.fill('#model-hub', 'local/broken:broken.gguf');
  await page3.evaluate(() => { delete document.body.dataset.engineError; });
  await page3.click('#save-settings');
  await until(page3, () => document.body.dataset.engineError, null, 120000);
  assert.match(await page3.evaluate(() => document.body.dataset.engineError),
               /^local\/broken:broken\.gguf: SHA-256 mismatch: the hub published [0-9a-f]{64}, the download is [0-9a-f]{64}; nothing was kept$/);
  const before = hubRequests.length;
  await page3.reload();
  await hubReady();
  assert.deepEqual(hubRequests.slice(before).filter((r) => r.includes('/resolve/')).sort(),
                   ['/local/solo/resolve/main/notes.gguf', '/local/speech/resolve/main/moonshine-f32.gguf']);
  await page3.click('#settings summary');
  await page3.evaluate(() => { delete document.body.dataset.engineError; });
  await page3.click('#clear-cache');
  await until(page3, () => document.getElementById('engine-status').textContent === 'Cached models cleared.', null, 10000);
  assert.equal(await page3.evaluate(() => document.body.dataset.engineError), undefined);
  assert.deepEqual(pageErrors, []);
});

await ctx3.close().catch(() => {});
await browser.close().catch(() => {});
hubProc.kill();
rmSync(tmp, { recursive: true, force: true });
server.kill();
process.exit(tally.summary());

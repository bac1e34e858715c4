// hub.test.mjs — models from the Hugging Face hub in the browser app's Settings (issue 22; web/hub.mjs,
// docs/models.md), in headless Chromium (Debian's /usr/bin/chromium through playwright-core) against `sotto serve`
// and tools/hub-server.py, the stand-in hub, on another loopback port (HF_ENDPOINT tells `sotto serve` to let the
// page reach it; ?hub= gives the page its address). The wasm CPU engine is chosen in Settings (no GPU warm-up). Repos:
// local/models (the bundled note model, and a copy served with one byte changed), local/solo (the note model alone),
// local/speech (the speech fixture alone). Checks:
//   * the page starts with its own models and asks the hub nothing; ?hub= is kept and leaves the address bar;
//   * a corrupted download is refused on one line (the SHA-256 mismatch, with both hashes), nothing is cached, the
//     engine goes on with its model and the setting is not kept; a repo with two .gguf files lists them on one line;
//     a file over the browser's budget (a 3 GiB file in a list the test answers itself) is refused from the list's
//     size, before any download;
//   * local/solo (no FILE: its one .gguf) and local/speech are downloaded with progress naming the hub, verified,
//     cached under their resolve URLs, used (the status names them) and a note is written with the hub's model;
//   * the hub stopped: a reload loads both from the cache with no request, and writes a note; models not cached yet
//     are one-line "cannot reach" errors, the note engine goes on, and neither is saved as the model for next time;
//   * privacy: requests go to the page's origin (its static files) and to the hub only, to the hub only after the
//     user saved a hub model, and never once it is cached; the Settings pass axe-core.
// Usage: node tests/web/hub.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR). ~1 min.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';
import { axeClean, launchChromium, until } from './page-helpers.mjs';
import { DEFAULT_HUB, hubEndpoint, parseHubId, pickGguf, publishedHash } from '../../web/hub.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const noteMiB = (statSync(noteModel).size / 2 ** 20).toFixed(1).replace('.', '\\.');  // as the status writes it
const asrModel = join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');
const noteSha = createHash('sha256').update(readFileSync(noteModel)).digest('hex');

// The hub's repos: folders of links to the models.
const tmp = mkdtempSync(join(tmpdir(), 'sotto-hub-'));
for (const [repo, files] of [['models', { 'sotto-notes-q8_0.gguf': noteModel, 'broken-q8_0.gguf': noteModel }],
                             ['solo', { 'notes.gguf': noteModel }], ['speech', { 'moonshine-f32.gguf': asrModel }]]) {
  mkdirSync(join(tmp, repo));
  for (const [name, target] of Object.entries(files)) symlinkSync(target, join(tmp, repo, name));
}
const hubProc = spawn('python3', [join(root, 'tools', 'hub-server.py'), join(tmp, 'models'), join(tmp, 'solo'), join(tmp, 'speech'),
                                  '--port', '0', '--corrupt', 'broken-q8_0.gguf'], { stdio: ['ignore', 'pipe', 'inherit'] });
const hub = await new Promise((resolve, reject) => {
  let out = '';
  hubProc.stdout.on('data', (d) => { out += d; const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out); if (m) resolve(m[1]); });
  hubProc.on('exit', (c) => reject(new Error(`hub-server.py exited with ${c}`)));
});
const hubHost = new URL(hub).host;

process.env.HF_ENDPOINT = hub;  // `sotto serve` puts it in the page's CSP (connect-src) in place of the hub's origins
const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--wasm-dir', wasmDir, '--model', noteModel,
                                                   '--asr-model', asrModel, '-q']);
const browser = await launchChromium(chromium, { webgpu: true });
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

// Every request: the page's origin (its static files, the one ?hub= navigation), or the hub once the user asked.
const allowed = [/^\/$/, /^\/[a-z-]+\.(js|mjs|css)$/, /^\/wasm\/(sotto|gpu-host|asr|threads-host|thread-worker|relaxed-simd)\.mjs$/,
                 /^\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/, /^\/templates\/[a-z]+\.schema\.json$/, /^\/models\/[a-z0-9_.-]+\.gguf$/];
const log = { hub: [], violations: [], asked: false };
const ctx = await browser.newContext({ viewport: { width: 1200, height: 860 } });
await ctx.route('**/*', (route) => {
  const req = route.request();
  const url = new URL(req.url());
  const hubNavigation = url.origin === origin && url.pathname === '/' && url.search === `?hub=${encodeURIComponent(hub)}`;
  const bad = !['GET', 'HEAD'].includes(req.method()) ? `method ${req.method()}`
    : url.origin === hub ? (log.asked ? null : 'the hub before the user asked')
    : url.origin !== origin ? 'another origin'
    : url.search && !hubNavigation ? 'a query string' : !allowed.some((re) => re.test(url.pathname)) ? 'a path outside the page' : null;
  if (url.origin === hub) log.hub.push(`${req.method()} ${url.pathname}${url.search}`);
  if (bad) { log.violations.push(`${req.method()} ${req.url()}: ${bad}`); return route.abort(); }
  if (url.origin === hub && url.pathname === '/api/models/local/huge/tree/main') {  // a repo whose one file is 3 GiB
    return route.fulfill({ status: 200, headers: { 'access-control-allow-origin': '*', 'content-type': 'application/json' },
                           body: JSON.stringify([{ type: 'file', path: 'huge.gguf', size: 3 * 1024 ** 3, oid: '0'.repeat(40),
                                                   lfs: { oid: noteSha, size: 3 * 1024 ** 3 } }]) });
  }
  return route.continue();
});
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
await page.addInitScript(() => {
  if (!localStorage.getItem('sotto.settings.v1')) localStorage.setItem('sotto.settings.v1', JSON.stringify({ backend: 'cpu' }));
});
const saved = () => page.evaluate(() => JSON.parse(localStorage.getItem('sotto.settings.v1') ?? '{}'));
const cachedUrls = () => page.evaluate(async () => (await (await caches.open('sotto-models-v1')).keys()).map((r) => r.url));
const ready = (timeout = 120000) => until(page, () => document.body.dataset.engine === 'ready', null, timeout);
const transcript = 'Patient reports a dry cough for four days, no fever. Advised fluids and rest; review in one week.';

// Settings with a hub id for the note model (and the speech model): the engine error, or '' once it is ready.
async function saveHub(note, speech = null) {
  if (!(await page.isVisible('#model-hub'))) await page.click('#settings summary');
  await page.fill('#model-hub', note);
  if (speech !== null) await page.fill('#asr-model-hub', speech);
  await page.evaluate(() => { delete document.body.dataset.engineError; });
  log.asked = true;
  await page.click('#save-settings');
  await until(page, () => document.body.dataset.engine !== 'ready', null, 10000).catch(() => {});
  await ready();
  return page.evaluate(() => document.body.dataset.engineError ?? '');
}

async function writeNote() {
  await page.evaluate(() => { delete document.body.dataset.note; });  // a restored draft's note is 'ready' already
  await page.click('#generate');
  await until(page, () => document.body.dataset.note === 'ready', null, 180000, ['gen-status', 'engine-status']);
  assert.match(await page.textContent('#gen-status'), /^Note written on the wasm CPU \(SIMD128\): \d+ tokens/);
  const note = JSON.parse(await page.textContent('#stream'));
  assert.ok(note && typeof note === 'object' && Object.keys(note).length > 0, 'empty note');
}

await step('hub.mjs in Node: ids, the .gguf picked by a tag, the published hash read from the headers', async () => {
  assert.deepEqual(parseHubId('hf:owner/name:dir/x.gguf'), { repo: 'owner/name', file: 'dir/x.gguf' });
  for (const bad of ['a/b/c', 'a/b:../x.gguf', 'a/b:', 'a--b/c', '../x']) assert.throws(() => parseHubId(bad), /^Error: .*\(expected OWNER\/NAME/);
  assert.equal(pickGguf(['m-IQ4_0.gguf', 'm-Q4_0.gguf', 'README.md'], { repo: 'o/m', file: 'q4_0' }), 'm-Q4_0.gguf');
  assert.equal(pickGguf(['README.md'], { repo: 'o/m', file: '' }), '');
  assert.equal(hubEndpoint(''), DEFAULT_HUB);
  assert.throws(() => hubEndpoint('ftp://x'), /^Error: ftp:\/\/x: not an http\(s\) address of a hub$/);
  const sha = 'AB'.repeat(32), sha1 = 'cd'.repeat(20);
  const resp = (headers, extra = {}) => ({ url: '', redirected: false, headers: new Headers(headers), ...extra });
  assert.deepEqual(publishedHash(resp({ 'X-Linked-Etag': `"${sha}"`, ETag: '"x"' }), hub), { kind: 'sha256', hex: sha.toLowerCase() });
  assert.deepEqual(publishedHash(resp({ ETag: `W/"${sha}"` }), hub), { kind: 'sha256', hex: sha.toLowerCase() });
  assert.deepEqual(publishedHash(resp({ ETag: `"${sha1}"` }), hub), { kind: 'git-sha1', hex: sha1 });
  // After a redirect the ETag is the CDN's own: not trusted (the file list's LFS oid is used instead).
  assert.equal(publishedHash(resp({ ETag: `"${sha}"` }, { redirected: true }), hub), null);
});

await step('the page starts with its own models, asks the hub nothing, and keeps ?hub= out of the address bar', async () => {
  await page.goto(`${origin}/?hub=${encodeURIComponent(hub)}`);
  await ready();
  assert.equal(await page.evaluate(() => location.search), '');
  assert.equal((await saved()).hubEndpoint, hub);
  assert.equal(await page.textContent('#hub-host'), hubHost);
  assert.equal(await page.evaluate(() => document.body.dataset.model), 'note.gguf');
  await page.fill('#transcript', transcript);
  await until(page, () => document.body.dataset.asr === 'ready', null, 60000, ['asr-status']);
  assert.deepEqual(log.hub, []);
  await page.click('#settings summary');
  await axeClean(page, 'Settings with the hub fields');
});

await step('a corrupted download: one line with both hashes, nothing cached, the engine goes on with its model', async () => {
  const error = await saveHub('local/models:broken-q8_0.gguf');
  assert.match(error, new RegExp(`^local/models:broken-q8_0\\.gguf: SHA-256 mismatch: the hub published ${noteSha}, ` +
                                 'the download is [0-9a-f]{64}; nothing was kept$'));
  assert.notEqual(error.match(/[0-9a-f]{64}/g)[1], noteSha);
  assert.equal(await page.textContent('#engine-status'), `Engine error: ${error} (still using note.gguf)`);
  assert.deepEqual((await cachedUrls()).filter((u) => u.startsWith(hub)), []);
  assert.equal((await saved()).modelHub, '');
  assert.ok(log.hub.includes('GET /local/models/resolve/main/broken-q8_0.gguf'), log.hub.join(', '));
});

await step('a repo with two .gguf files and no FILE: they are listed on one line', async () => {
  const error = await saveHub('local/models');
  assert.equal(error, 'local/models: the repo has 2 .gguf files; name one: local/models:broken-q8_0.gguf, local/models:sotto-notes-q8_0.gguf');
  assert.deepEqual((await cachedUrls()).filter((u) => u.startsWith(hub)), []);
});

await step('a file larger than the browser can hold: refused on one line from the file list, before it downloads', async () => {
  const error = await saveHub('local/huge');
  assert.match(error, /^local\/huge:huge\.gguf: the model is 3\.0 GiB, more than this browser can hold \(at most [\d.]+ GiB here\): choose a smaller model$/);
  assert.ok(log.hub.includes('GET /api/models/local/huge/tree/main?recursive=true'), log.hub.join(', '));
  assert.ok(!log.hub.some((r) => r.startsWith('GET /local/huge/resolve/')), log.hub.join(', '));
  assert.equal((await saved()).modelHub, '');
});

await step('local/solo and local/speech: downloaded with progress, verified, cached, used; a note is written', async () => {
  await page.evaluate(() => {  // every status line the page shows while it loads
    window.seen = [];
    const watch = (id) => new MutationObserver(() => window.seen.push(document.getElementById(id).textContent))
      .observe(document.getElementById(id), { childList: true, characterData: true, subtree: true });
    for (const id of ['engine-status', 'plain-status', 'asr-status']) watch(id);
  });
  const error = await saveHub('local/solo', 'local/speech');
  assert.equal(error, '');
  const seen = await page.evaluate(() => window.seen);
  const esc = hubHost.replace(/\./g, '\\.');
  assert.ok(seen.some((t) => new RegExp(`^Downloading the model from ${esc}: [\\d.]+ / ${noteMiB} MiB$`).test(t)), seen.join('\n'));
  assert.ok(seen.some((t) => new RegExp(`^Getting ready: downloading the note-writing model from ${esc} \\(\\d+%\\)…$`).test(t)), seen.join('\n'));
  assert.match(await page.textContent('#engine-status'), new RegExp(`^Engine ready: local/solo:notes\\.gguf from the hub \\(${noteMiB} MiB, SHA-256 verified\\) on `));
  assert.equal(await page.evaluate(() => document.body.dataset.model), 'local/solo:notes.gguf');
  assert.equal(await page.inputValue('#model-hub'), 'local/solo:notes.gguf');  // the file it picked, kept for next time
  assert.equal((await saved()).modelHub, 'local/solo:notes.gguf');
  await until(page, () => /^Speech recognition ready: local\/speech:moonshine-f32\.gguf from the hub /.test(
    document.getElementById('asr-status').textContent), null, 60000, ['asr-status']);
  assert.ok(seen.some((t) => new RegExp(`^Speech: downloading the speech model from ${esc}: `).test(t)) ||
            (await page.evaluate(() => window.seen)).some((t) => /^Speech: downloading the speech model from /.test(t)));
  const cached = (await cachedUrls()).filter((u) => u.startsWith(hub)).sort();
  assert.deepEqual(cached, [`${hub}/local/solo/resolve/main/notes.gguf`, `${hub}/local/speech/resolve/main/moonshine-f32.gguf`]);
  // What was asked of the hub: the file lists (no FILE given) and the two files, the corrupt one and the two-file list before.
  assert.deepEqual([...new Set(log.hub)].sort(), ['GET /api/models/local/huge/tree/main?recursive=true',
    'GET /api/models/local/models/tree/main?recursive=true',
    'GET /api/models/local/solo/tree/main?recursive=true', 'GET /api/models/local/speech/tree/main?recursive=true',
    'GET /local/models/resolve/main/broken-q8_0.gguf', 'GET /local/solo/resolve/main/notes.gguf',
    'GET /local/speech/resolve/main/moonshine-f32.gguf']);
  await writeNote();
});

await step('the hub stopped: a reload loads both models from the cache with no request and writes a note', async () => {
  hubProc.kill();
  await new Promise((r) => hubProc.once('exit', r));
  const before = log.hub.length;
  await page.goto(`${origin}/`);
  await ready();
  assert.match(await page.textContent('#engine-status'), new RegExp(`^Engine ready: local/solo:notes\\.gguf from the hub \\(${noteMiB} MiB, from cache\\) on `));
  await until(page, () => /^Speech recognition ready: local\/speech:moonshine-f32\.gguf from the hub \(.*, from cache\)/.test(
    document.getElementById('asr-status').textContent), null, 60000, ['asr-status']);
  assert.equal(await page.inputValue('#transcript'), transcript);  // the draft
  await writeNote();
  assert.deepEqual(log.hub.slice(before), []);
});

await step('the hub stopped: models not cached yet are one-line "cannot reach" errors; neither is saved for next time', async () => {
  const error = await saveHub('local/models:sotto-notes-q8_0.gguf', 'local/speech:other.gguf');
  assert.match(error, new RegExp(`^local/models:sotto-notes-q8_0\\.gguf: cannot reach ${hub.replace(/\./g, '\\.')} \\(.+\\): is the network off\\? ` +
                                 'A hub model downloaded once works offline$'));
  assert.equal(await page.textContent('#engine-status'), `Engine error: ${error} (still using notes.gguf)`);
  assert.equal((await saved()).modelHub, 'local/solo:notes.gguf');
  await until(page, () => document.body.dataset.asr === 'error', null, 30000, ['asr-status']);
  assert.match(await page.textContent('#asr-status'), new RegExp('^Speech recognition is not available: local/speech:other\\.gguf: ' +
                                                                 'cannot reach .*\\. Type or paste the transcript\\.$'));
  assert.equal((await saved()).asrModelHub, 'local/speech:moonshine-f32.gguf');
});

await step('privacy: only the page\'s origin and, after the user asked, the hub', async () => {
  assert.deepEqual(log.violations, []);
  assert.deepEqual(pageErrors, []);
});

await ctx.close();
await browser.close();
server.kill();
hubProc.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

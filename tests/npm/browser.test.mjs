// browser.test.mjs — the packed npm package's example page (npm/example/index.html, installed into the scratch
// project by run.sh) in headless Chromium (playwright-core of tests/web): served from a loopback server of this
// test with cross-origin isolation (so the package takes the threaded engine), it loads a fixture model and the
// bundled note model and generates the text of `sotto generate` (greedy), on the wasm CPU and on WebGPU (SwiftShader);
// a reload reads the model from the Cache API; device "auto" passes over the software adapter; Stop ends a generation
// early; no request leaves the page's origin (tests/web/page-helpers.mjs watchedContext).
// Usage (from the scratch project, under flock /tmp/sotto-browser.lock): node browser.test.mjs <repo root> <native sotto>
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, native] = process.argv.slice(2);
const { chromium } = await import(pathToFileURL(join(root, 'tests', 'web', 'node_modules', 'playwright-core', 'index.mjs')));
const { launchChromium, watchedContext, until } = await import(pathToFileURL(join(root, 'tests', 'web', 'page-helpers.mjs')));
const { Tally } = await import(pathToFileURL(join(root, 'tests', 'harness.mjs')));
const tally = new Tally();

// The scratch project at /, the models under /models/.
const models = { 'llama32-f32.gguf': join(root, 'tests', 'fixtures', 'models', 'llama32-f32.gguf'),
                 'llama32-q8_0.gguf': join(root, 'tests', 'fixtures', 'models', 'llama32-q8_0.gguf'),
                 'sotto-notes-q8_0.gguf': join(root, 'models', 'sotto-notes-q8_0.gguf') };
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = path.startsWith('/models/') ? models[path.slice(8)] : join(process.cwd(), normalize(path));
  if (!file || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size,
                       'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  if (req.method === 'HEAD') res.end(); else createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

function nativeText(model, prompt, n) {
  const out = execFileSync(native, ['generate', '-m', models[model], '-p', prompt, '-n', String(n), '--temp', '0', '-t', '1', '-q']);
  const s = new TextDecoder().decode(out);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

const browser = await launchChromium(chromium, { webgpu: true });
const { ctx, log } = await watchedContext(browser, origin, [/^\/node_modules\/sotto\//, /^\/models\/[\w.-]+\.gguf$/]);
const page = await ctx.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

// Opens the example with a preset form and waits for it to finish: {state, out, info, status}.
async function runPage(params) {
  const hash = new URLSearchParams({ ...params, run: '1' }).toString();
  await page.goto(`${origin}/node_modules/sotto/example/index.html#${hash}`);
  await page.reload();  // a hash change alone does not reload
  await until(page, () => ['done', 'error'].includes(document.body.dataset.state), null, 120000, ['status']);
  return page.evaluate(() => ({ state: document.body.dataset.state, out: document.getElementById('out').textContent,
                                info: JSON.parse(document.body.dataset.info ?? 'null'),
                                status: document.getElementById('status').textContent, isolated: crossOriginIsolated }));
}

await tally.test('example page, wasm: a fixture model\'s greedy text == sotto generate (threaded engine)', async () => {
  const r = await runPage({ model: '/models/llama32-q8_0.gguf', device: 'wasm', prompt: 'Once upon a time', max: '16' });
  assert.equal(r.state, 'done', r.status);
  assert.equal(r.out, nativeText('llama32-q8_0.gguf', 'Once upon a time', 16));
  assert.equal(r.isolated, true);
  assert.equal(r.info.device, 'wasm');
  assert.ok(r.info.threads > 1, `threads ${r.info.threads}`);
});

await tally.test('example page, wasm: the bundled note model (a URL relative to the page) == sotto generate; a reload reads the Cache API; "auto" skips a software adapter', async () => {
  const prompt = 'Transcript: the patient has a cough';
  const r = await runPage({ model: '../../../models/sotto-notes-q8_0.gguf', device: 'wasm', prompt, max: '24' });
  assert.equal(r.state, 'done', r.status);
  assert.equal(r.out, nativeText('sotto-notes-q8_0.gguf', prompt, 24));
  assert.equal(r.info.cached, false);
  const before = log.requests.filter((q) => q.includes('/models/sotto-notes')).length;
  // Again with device "auto": the only adapter here is SwiftShader, a software one, so the wasm CPU.
  const again = await runPage({ model: '../../../models/sotto-notes-q8_0.gguf', device: 'auto', prompt, max: '24' });
  assert.equal(again.out, r.out);
  assert.equal(again.info.cached, true);
  assert.equal(again.info.device, 'wasm');
  assert.match(again.info.why, /software/);
  assert.equal(log.requests.filter((q) => q.includes('/models/sotto-notes')).length, before);
});

// (An F32 model: quantized ones may part ways on nearly tied logits, as tests/webgpu allows.)
await tally.test('example page, webgpu (SwiftShader): an F32 fixture\'s greedy text == sotto generate', async () => {
  const r = await runPage({ model: '/models/llama32-f32.gguf', device: 'webgpu', prompt: 'Once upon a time', max: '16' });
  assert.equal(r.state, 'done', r.status);
  assert.equal(r.info.device, 'webgpu');
  assert.equal(r.out, nativeText('llama32-f32.gguf', 'Once upon a time', 16));
});

await tally.test('example page: Stop ends a generation early', async () => {
  const prompt = 'Transcript: the patient has a cough';
  const full = nativeText('sotto-notes-q8_0.gguf', prompt, 1000);  // ends by itself (end of generation) after ~56 tokens
  await page.goto(`${origin}/node_modules/sotto/example/index.html#${new URLSearchParams({ model: '/models/sotto-notes-q8_0.gguf', device: 'wasm', prompt, max: '1000' })}`);
  await page.reload();
  // Stop is clicked as soon as the first piece shows (the model is fast: a poll from here could come too late).
  await page.evaluate(() => {
    const out = document.getElementById('out');
    new MutationObserver((_, obs) => { if (out.textContent) { obs.disconnect(); document.getElementById('stop').click(); } })
      .observe(out, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#go');
  await until(page, () => document.body.dataset.state === 'done', null, 60000, ['status']);
  assert.equal(await page.textContent('#status'), 'Stopped.');
  const out = await page.textContent('#out');
  assert.ok(out.length > 0 && out.length < full.length / 2 && full.startsWith(out), `${out.length} of ${full.length} characters`);
});

await tally.test('no request left the page\'s origin or path set; no page error', async () => {
  assert.deepEqual(log.violations, []);
  assert.deepEqual(errors, []);
  assert.ok(log.requests.some((q) => q.includes('/node_modules/sotto/engine/wasm/sotto-mt.wasm')), 'the threaded engine was fetched');
});

await browser.close();
server.close();
process.exitCode = tally.summary();

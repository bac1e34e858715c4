// chromium.mjs — runs the WebGPU checks (checks.mjs) in headless Debian Chromium through playwright-core:
// WebGPU on SwiftShader, the engine in a module Web Worker (worker.mjs). A tiny static server on
// 127.0.0.1 serves only the page, the JS host, the wasm build and the fixture models; every request the
// page makes outside that origin is aborted and fails the test (the runtime makes no network request).
// Usage: node tests/webgpu/chromium.mjs [path/to/sotto.wasm] [--ops-only]
// Env: CHROMIUM (default /usr/bin/chromium). Prints the worker's lines and `N passed, M failed`.
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';


import { chromium } from 'playwright-core';
import { validateDocs } from './validate-docs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const wasmPath = args.find((a) => !a.startsWith('--')) ?? join(root, 'build-wasm', 'sotto.wasm');
const opsOnly = args.includes('--ops-only');
// A subset of run.mjs's models (Chromium's SwiftShader is slower than Dawn's): one per architecture,
// each weight kind (f32, q8_0, q4_0, q4_k) at least once.
const models = ['llama32-q4_0', 'qwen25-q8_0', 'qwen25-k-q4_k', 'gemma3-f32', 'gemma3-q4_0'];
// Speech to text on WebGPU == wasm CPU (asr-checks.mjs): one Moonshine and one Whisper fixture. Then a text and a
// speech engine on one GpuHost (mixed-checks.mjs).
const asrModels = ['moonshine-f16-untied.gguf', 'whisper-f16.gguf'];

const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript',
                '.wasm': 'application/wasm', '.gguf': 'application/octet-stream' };
const allowed = [/^\/wasm\/[a-z-]+\.mjs$/, /^\/tests\/webgpu\/[a-z-]+\.(mjs|html)$/, /^\/tests\/harness\.mjs$/,
                 /^\/tests\/fixtures\/models\/[a-z0-9_.-]+\.gguf$/, /^\/tests\/fixtures\/asr\/[a-z0-9_.-]+\.gguf$/,
                 /^\/templates\/[a-z-]+\.schema\.json$/, /^\/tests\/webgpu\/schemas\/[a-z-]+\.schema\.json$/];
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  let file = null;
  if (path === '/sotto.wasm') file = wasmPath;
  else if (allowed.some((re) => re.test(path))) file = join(root, path);
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run'],
});
let result = { passed: 0, failed: 1 };
let docs = [];  // documents generated under a schema in the worker (sample-checks.mjs), validated here
const offsite = [];
try {
  const context = await browser.newContext();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  const query = opsOnly ? '?ops=1' : `?models=${models.join(',')}&asr=${asrModels.join(',')}&sample=1&mixed=1`;
  await page.goto(`${origin}/tests/webgpu/page.html${query}`);
  await page.waitForFunction(() => window.__result, null, { timeout: 20 * 60 * 1000, polling: 500 });
  result = await page.evaluate(() => window.__result);
  docs = await page.evaluate(() => window.__docs ?? []);
} finally {
  await browser.close();
  server.close();
}
if (!opsOnly) {
  const bad = validateDocs(docs);
  if (docs.length === 0 || bad.length) {
    console.log(`FAIL  schema documents from Chromium valid for ajv: ${docs.length - bad.length}/${docs.length}\n${bad.join('\n')}`);
    result.failed++;
  } else {
    console.log(`ok    schema documents from Chromium valid for ajv: ${docs.length}/${docs.length}`);
    result.passed++;
  }
}
if (offsite.length) {
  console.log(`FAIL  requests outside ${origin}: ${offsite.join(' ')}`);
  result.failed++;
} else {
  console.log(`ok    no request outside ${origin}`);
  result.passed++;
}
console.log(`${result.passed} passed, ${result.failed} failed (chromium)`);
process.exit(result.failed ? 1 : 0);

// vision.test.mjs — images in the browser (issue 20): headless Chromium (Debian's, through playwright-core) runs the
// wasm engine in a module Web Worker (tests/web/vision-worker.mjs) and decodes images through the platform
// (wasm/vision.mjs decodeImage: createImageBitmap with EXIF orientation, OffscreenCanvas). A tiny static server on
// 127.0.0.1 serves only the page, the JS host, the wasm build and the vision fixtures; a request anywhere else is
// aborted and fails the test.
//   * the eight EXIF orientations: each JPEG decodes upright, the size and pixels of Pillow's exif_transpose
//     (images-orient-N.expected.png) within 2 per byte (two JPEG decoders);
//   * PNG pixels == Pillow's (the .rgba fixtures of the Node test) exactly;
//   * corrupt (truncated, junk, a model file) and over-the-limit images: one-line Errors naming the file; a PNG and a
//     JPEG whose headers claim 100000 x 100000 and 60000 x 60000 refused from the header, before decoding;
//   * two decoded PNGs + a question in the worker: the greedy answer == `sotto generate --temp 0 --mmproj --image`;
//     an enormous image refused in one line, then the same answer again.
// Usage: node tests/web/vision.test.mjs [path/to/sotto.wasm] [path/to/native/sotto]   (under flock /tmp/sotto-browser.lock)
// Env: CHROMIUM (default /usr/bin/chromium). Prints `N passed, M failed`.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { launchChromium } from './page-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const dir = join(root, 'tests', 'fixtures', 'vision');
const QUESTION = 'What is in these pictures?';
const N = 24;

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vision test</title>
<script type="module">
const w = new Worker('/tests/web/vision-worker.mjs', { type: 'module' });
w.onmessage = (m) => { window.__result = m.data; };
w.onerror = (e) => { window.__result = { ok: false, error: 'worker: ' + e.message }; };
w.postMessage({ question: ${JSON.stringify(QUESTION)}, maxTokens: ${N} });
</script></head><body></body></html>`;
const types = { '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const allowed = [/^\/wasm\/[a-z-]+\.mjs$/, /^\/tests\/web\/vision-worker\.mjs$/,
                 /^\/tests\/fixtures\/vision\/[a-z0-9_.-]+\.(png|jpg|rgba|gguf)$/];
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    return;
  }
  const file = path === '/sotto.wasm' ? wasmPath : allowed.some((re) => re.test(path)) ? join(root, path) : null;
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium(chromium);
const offsite = [];
let reply;
try {
  const context = await browser.newContext();
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await p.goto(`${origin}/`);
  await p.waitForFunction(() => window.__result, null, { timeout: 5 * 60 * 1000, polling: 200 });
  reply = await p.evaluate(() => window.__result);
} finally {
  await browser.close();
  server.close();
}

await test('the worker ran', async () => check(reply?.ok, `worker error: ${reply?.error}`));
const r = reply?.result ?? { orient: [], png: [], errors: {} };

await test('EXIF orientations 1..8: upright, as Pillow exif_transpose, within 2 per byte', async () => {
  check(r.orient.length === 8, `${r.orient.length} orientations`);
  for (const o of r.orient) {
    check(o.width === o.wantWidth && o.height === o.wantHeight,
          `orientation ${o.o}: ${o.width} x ${o.height}, expected ${o.wantWidth} x ${o.wantHeight}`);
    check(o.maxDiff >= 0 && o.maxDiff <= 2, `orientation ${o.o}: pixels differ by up to ${o.maxDiff}`);
  }
  check(r.orient.some((o) => o.width !== r.orient[0].width), 'no orientation swapped width and height');
  console.log(`      max diff per orientation: ${r.orient.map((o) => o.maxDiff).join(' ')}`);
});

await test('PNG pixels decoded by the platform == Pillow (.rgba fixtures), exact', async () => {
  check(r.png.length === 2, `${r.png.length} PNGs`);
  for (const x of r.png) check(x.maxDiff === 0, `${x.name}: ${x.width} x ${x.height}, differs by up to ${x.maxDiff}`);
});

await test('corrupt, over-the-limit and bomb images: one line naming the file', async () => {
  const want = {
    truncated: /^cut\.png: cannot decode the image \(corrupt, truncated or not an image this browser reads: .*\)$/,
    junk: /^junk\.png: cannot decode the image \(/,
    model: /^model\.gguf: cannot decode the image \(/,
    limit: /^wide\.png: image is 190 x 130 pixels, more than the limit of 10000 \(resize it first\)$/,
    bombPng: /^bomb\.png: image is 100000 x 100000 pixels, more than the limit of 50000000 \(resize it first\)$/,
    bombJpg: /^bomb\.jpg: image is 60000 x 60000 pixels, more than the limit of 50000000 \(resize it first\)$/,
    enormous: /^huge\.jpg: image is 70000 x 70000 pixels, more than the limit of 50000000 \(resize it first\)$/,
  };
  for (const [k, re] of Object.entries(want)) {
    const m = r.errors[k] ?? '';
    check(re.test(m) && !m.includes('\n'), `${k}: ${JSON.stringify(m)}`);
  }
});

await test('greedy answer in the browser == native sotto generate --mmproj --image, and again after a refused image', async () => {
  let want = execFileSync(nativePath, ['generate', '-m', join(dir, 'tiny-vlm-f32.gguf'), '--mmproj', join(dir, 'tiny-mmproj-f32.gguf'),
                                       '--image', join(dir, 'processor-small.png'), '--image', join(dir, 'processor-tall.png'),
                                       '-p', QUESTION, '-n', String(N), '--temp', '0', '-t', '1', '-q']).toString('latin1');
  if (want.endsWith('\n')) want = want.slice(0, -1);
  const got = Buffer.from(r.answer?.text ?? '', 'utf8').toString('latin1');
  check(want.length > 0 && got === want, `browser ${JSON.stringify(got)} vs native ${JSON.stringify(want)}`);
  check(r.answer.tiles === 22 && r.answer.nPrompt === 187, `${r.answer.tiles} tiles, ${r.answer.nPrompt} prompt tokens`);
  check(r.again?.text === r.answer.text, `after the refusal: ${JSON.stringify(r.again?.text)}`);
});

await test(`no request outside ${origin}`, async () => check(offsite.length === 0, offsite.join(' ')));
process.exit(tally.summary());

// splat.test.mjs — the Gaussian splat page (web/splat; issue 23) in headless Chromium (WebGPU on SwiftShader) against
// `sotto serve`, the frames compared with the native CPU reference renderer (`sotto splat render --raw`, the renderer
// checked against PyTorch in test-splat-render):
//   * the page loads the engine and its bundled scene; the frame shown on the canvas (read from the canvas texture)
//     == the CPU reference at the page's view, PSNR >= 40 dB (issue 23's bar); the stage times are shown; axe clean;
//   * the camera: arrow keys on the canvas and the buttons move it (the new frame is far from the old reference and
//     == the CPU at the new view); a wheel turn zooms;
//   * the scene picker: a .splat fixture is drawn == CPU at the view the page framed it in; a malformed .ply gives one
//     line and the page draws the previous scene again;
//   * without WebGPU (navigator.gpu hidden) the page says so in one line and draws nothing; axe clean;
//   * privacy: every request is a GET of this origin's page, engine and scene files, and once the page is ready
//     moving the camera and opening scene files make no request at all.
// Usage: node tests/web/splat.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR; under flock
// /tmp/sotto-browser.lock). Prints `N passed, M failed`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';
import { axeClean, launchChromium, until as untilIn, watchedContext } from './page-helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const tmp = mkdtempSync(join(tmpdir(), 'sotto-splat-'));
const W = 96, H = 72;  // small frames: SwiftShader is slow

const { server, origin } = await startServe(sotto, ['--port', '0', '--wasm-dir', wasmDir, '-q']);
const browser = await launchChromium(chromium, { webgpu: true });
const tally = new Tally();
const t0 = performance.now();
const step = (name, fn) => tally.test(name, fn);

const allowed = [/^\/splat\/(index\.html)?$/, /^\/splat\/splat\.(mjs|css)$/, /^\/splat\/scene\.splat$/, /^\/style\.css$/,
                 /^\/wasm\/(sotto|splat|gpu-host|threads-host|thread-worker|relaxed-simd)\.mjs$/, /^\/engine\/sotto\.wasm$/];
const { ctx, log } = await watchedContext(browser, origin, allowed, { viewport: { width: 1000, height: 900 } });
const until = (page, fn, arg, timeout = 60000) => untilIn(page, fn, arg, timeout, ['engine-status', 'scene-error']);
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

// The CPU reference of the page's current scene and view: [H, W, 3] floats.
function reference(scene, viewStr, targetStr) {
  const raw = join(tmp, 'ref.f32');
  execFileSync(sotto, ['splat', 'render', scene, '--view', viewStr, '--target', targetStr, '--size', `${W}x${H}`,
                       '--bg', '0.08,0.09,0.11', '--raw', raw]);
  return new Float32Array(readFileSync(raw).buffer.slice(0));
}
// PSNR of the canvas's 8-bit pixels against a float frame (values in [0, 1]; the blit clamps).
function psnr(px, ref) {
  let se = 0;
  for (let i = 0, n = W * H; i < n; i++) {
    for (let c = 0; c < 3; c++) se += (px.rgba[4 * i + c] / 255 - Math.min(1, Math.max(0, ref[3 * i + c]))) ** 2;
  }
  return se === 0 ? 200 : 10 * Math.log10((W * H * 3) / se);
}
async function shown() {
  const px = await page.evaluate(() => window.sottoSplatPage.readPixels());
  assert.equal(px.width, W);
  assert.equal(px.height, H);
  const d = await page.evaluate(() => ({ view: document.body.dataset.view, target: document.body.dataset.target }));
  return { px, ...d };
}
async function settled() {  // the frame of the last camera move is shown
  let last = '';
  for (;;) {
    const f = await page.evaluate(() => document.body.dataset.frames);
    if (f === last) return;
    last = f;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const bundled = join(root, 'web', 'splat', 'scene.splat');
let readyRequests = 0;
let home = null;
await step('the page: engine and bundled scene; the canvas == the CPU reference (PSNR >= 40 dB); stage times; axe clean', async () => {
  await page.goto(`${origin}/splat/#size=${W}x${H}`);
  await until(page, () => document.body.dataset.engine === 'ready' && Number(document.body.dataset.frames) > 0, null, 90000);
  assert.match(await page.textContent('#engine-status'), /^Ready \(WebGPU/);
  assert.equal(await page.textContent('#scene-info'), 'scene.splat: 6000 splats');
  home = await shown();
  assert.equal(home.view, '30,20,3.5,50');
  const p = psnr(home.px, reference(bundled, home.view, home.target));
  console.log(`      PSNR canvas/CPU ${p.toFixed(1)} dB at ${home.view}`);
  assert.ok(p >= 40, `PSNR ${p.toFixed(1)} dB`);
  const times = await page.textContent('#frame-times');
  console.log(`      ${times}`);
  assert.match(times, /^Frame [\d.]+ ms at 96 x 72 \(\d+ tile pairs\) · GPU: project [\d.]+, depth sort [\d.]+, tile lists [\d.]+, render [\d.]+ ms$/);
  await axeClean(page, 'ready');
  readyRequests = log.requests.length;
});

await step('the camera: arrow keys and buttons move it, the frame follows (== CPU at the new view, far from the old)', async () => {
  await page.focus('#view');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowUp');
  await page.click('#closer');
  await settled();
  const s = await shown();
  assert.equal(s.view, '60,30,3.0435,50');
  assert.match(await page.textContent('#view-readout'), /^Azimuth 60°, elevation 30°, distance 3\.04$/);
  const ref = reference(bundled, s.view, s.target);
  const p = psnr(s.px, ref), old = psnr(home.px, ref);
  console.log(`      PSNR canvas/CPU ${p.toFixed(1)} dB at ${s.view}; the previous frame against it ${old.toFixed(1)} dB`);
  assert.ok(p >= 40 && old < 30, `PSNR ${p.toFixed(1)} / ${old.toFixed(1)} dB`);
  await page.mouse.move(500, 200);
  const box = await page.locator('#view').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, 200);
  await settled();
  const z = (await page.evaluate(() => document.body.dataset.view)).split(',').map(Number);
  assert.ok(z[2] > 3.0435 * 1.2 && z[2] < 3.0435 * 1.25, `wheel: radius ${z[2]}`);
  await page.focus('#view');
  await page.keyboard.press('Home');
  await settled();
  assert.equal(await page.evaluate(() => document.body.dataset.view), '30,20,3.5,50');
});

await step('the scene picker: a .splat == CPU at the view the page framed; a malformed .ply: one line, the previous scene again', async () => {
  const blobs = join(root, 'tests', 'fixtures', 'splat', 'blobs.splat');
  await page.setInputFiles('#scene-file', blobs);
  await until(page, () => document.body.dataset.scene === 'blobs.splat');
  await settled();
  assert.equal(await page.textContent('#scene-info'), 'blobs.splat: 250 splats');
  const s = await shown();
  const p = psnr(s.px, reference(blobs, s.view, s.target));
  console.log(`      blobs.splat: PSNR canvas/CPU ${p.toFixed(1)} dB at ${s.view} around ${s.target}`);
  assert.ok(p >= 40, `PSNR ${p.toFixed(1)} dB`);
  const bad = join(tmp, 'bad.ply');
  writeFileSync(bad, 'ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nend_header\n');
  await page.setInputFiles('#scene-file', bad);
  await until(page, () => document.getElementById('scene-error').textContent !== '');
  const msg = await page.textContent('#scene-error');
  assert.match(msg, /^[^\n]*bad\.ply[^\n]*$/);
  await settled();
  const again = await shown();
  assert.ok(psnr(again.px, reference(blobs, again.view, again.target)) >= 40, 'the previous scene is not drawn again');
  await page.click('#bundled');
  await until(page, () => document.body.dataset.scene === 'scene.splat');
  await axeClean(page, 'after a bad file');
});

await step('privacy: only this origin\'s page, engine and scene files; nothing after the page was ready', async () => {
  assert.deepEqual(log.violations, []);
  assert.ok(readyRequests > 0, 'no request seen at all');
  assert.deepEqual(log.requests.slice(readyRequests), [], 'requests after the page was ready');
  assert.deepEqual(pageErrors, []);
});

await step('without WebGPU: one line saying so, nothing drawn; axe clean', async () => {
  const p2 = await ctx.newPage();
  await p2.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  await p2.goto(`${origin}/splat/`);
  await untilIn(p2, () => document.body.dataset.engine === 'unsupported', null, 30000, ['engine-status']);
  const text = await p2.textContent('#unsupported');
  assert.match(text, /^This page draws the scene with WebGPU, which this browser does not offer \(navigator\.gpu is missing\)\./);
  assert.equal(await p2.isVisible('#view'), false);
  await axeClean(p2, 'no WebGPU');
  await p2.close();
});

console.log(`      ${((performance.now() - t0) / 1000).toFixed(1)} s`);
await ctx.close();
await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

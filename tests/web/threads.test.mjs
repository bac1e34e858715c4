// threads.test.mjs — the threaded wasm build (sotto-mt.wasm) in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core) on a page of `sotto serve`, which is cross-origin isolated (COOP/COEP):
//   * the app's engine worker picks the threaded build (web/engine-wasm.mjs) and reports its threads, and its
//     relaxed-SIMD twin (sotto-mt-relaxed.wasm) where relaxedSimdUsable(), shown in the status;
//   * sotto-relaxed.wasm's kernel check in the page, and its greedy ids (one thread and sotto-mt-relaxed.wasm on 2)
//     == sotto.wasm's on a Q4_0 model;
//   * in the page, sotto-mt.wasm on 2 and 3 threads (Workers from wasm/threads-host.mjs) generates the greedy
//     ids of sotto.wasm on fixture models.
// Usage: node tests/web/threads.test.mjs [path/to/sotto] (the wasm builds in build-wasm/ or SOTTO_WASM_DIR).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { launchChromium } from './page-helpers.mjs';

import { Tally } from '../harness.mjs';
import { startServe } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const models = join(root, 'tests', 'fixtures', 'models');

const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--wasm-dir', wasmDir, '--models', models,
                                                   '--model', join(models, 'llama32-q8_0.gguf'), '-q']);
const browser = await launchChromium(chromium);
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));

const tally = new Tally();
const check = (cond, msg) => tally.check(cond, msg);

await tally.test('the app (cross-origin isolated) loads the threaded engine in its engine worker', async () => {
  await page.goto(origin + '/');
  check(await page.evaluate(() => globalThis.crossOriginIsolated), 'the page is not cross-origin isolated');
  // (polled with evaluate: the app's CSP refuses waitForFunction's string evaluation)
  for (const t0 = Date.now(); await page.evaluate(() => document.body.dataset.engine) !== 'ready';) {
    if (Date.now() - t0 > 120000) throw new Error('the engine did not get ready in 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = Number(await page.evaluate(() => document.body.dataset.threads));
  check(threads === Math.min(8, cores), `engine threads ${threads}, expected min(8, ${cores} cores)`);
  const status = await page.textContent('#engine-status');
  if (threads > 1) check(status.endsWith(`, ${threads} threads`), `engine status ${JSON.stringify(status)}`);
  // relaxed SIMD (sotto-mt-relaxed.wasm) where the page's engine runs it exactly (wasm/relaxed-simd.mjs)
  const relaxed = await page.evaluate(async () => (await import('/wasm/sotto.mjs')).relaxedSimdUsable());
  const simd = await page.evaluate(() => document.body.dataset.simd);
  check(simd === (relaxed ? 'relaxed' : 'simd128'), `engine SIMD ${simd}, relaxedSimdUsable() ${relaxed}`);
  check(status.includes(', relaxed SIMD') === relaxed, `engine status ${JSON.stringify(status)}`);
  check(relaxed, 'relaxed SIMD is not usable in this Chromium (shipped since 114)');
});

await tally.test('in the page: sotto-relaxed.wasm kernel check, and sotto-relaxed / sotto-mt-relaxed (2 threads) == sotto.wasm, greedy 12 tokens: qwen25-q4_0.gguf', async () => {
  const r = await page.evaluate(async (file) => {
    const { Sotto } = await import('/wasm/sotto.mjs');
    const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const [single, relaxed, threadedRelaxed, model] = await Promise.all(
      ['/engine/sotto.wasm', '/engine/sotto-relaxed.wasm', '/engine/sotto-mt-relaxed.wasm', `/models/${file}`].map(get));
    const lines = [];
    const k = await Sotto.create(await WebAssembly.compile(relaxed), { log: (fd, line) => lines.push(line) });
    const bad = k.call('sotto_kernel_check');
    k.dispose();
    const run = async (wasm, threads) => {
      const e = await Sotto.create(await WebAssembly.compile(wasm), { threads });
      await e.load(model, { name: file });
      e.start(e.tokenize('The committee met on Tuesday to review the quarterly figures and'), { temperature: 0 });
      const ids = [];
      for (let i = 0; i < 12; i++) ids.push(e.step());
      e.dispose();
      return ids.join(' ');
    };
    return { bad, summary: lines.filter((l) => /checked/.test(l)).join(' '),
             ids: [await run(single, 1), await run(relaxed, 1), await run(threadedRelaxed, 2)] };
  }, 'qwen25-q4_0.gguf');
  check(r.bad === 0 && /relaxed-simd/.test(r.summary), `kernel check: ${r.bad} mismatches; ${r.summary}`);
  check(r.ids[1] === r.ids[0] && r.ids[2] === r.ids[0], `ids: sotto.wasm ${r.ids[0]}; relaxed ${r.ids[1]}; mt-relaxed ${r.ids[2]}`);
});

for (const file of ['llama32-q8_0.gguf', 'qwen25-k-q4_k.gguf']) {
  await tally.test(`in the page: sotto-mt.wasm on 2 and 3 threads == sotto.wasm, greedy 12 tokens: ${file}`, async () => {
    const r = await page.evaluate(async (file) => {
      const { Sotto } = await import('/wasm/sotto.mjs');
      const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
      const [single, threaded, model] = await Promise.all(['/engine/sotto.wasm', '/engine/sotto-mt.wasm', `/models/${file}`].map(get));
      const run = async (wasm, threads) => {
        const e = await Sotto.create({ single, threaded }, { threads });
        await e.load(model, { name: file });
        e.start(e.tokenize('The committee met on Tuesday to review the quarterly figures and'), { temperature: 0 });
        const ids = [];
        for (let i = 0; i < 12; i++) ids.push(e.step());
        const out = { ids: ids.join(' '), threaded: e.threaded, got: e.threadsOf() };
        e.dispose();
        return out;
      };
      return [await run(single, 1), await run(threaded, 2), await run(threaded, 3)];
    }, file);
    check(!r[0].threaded && r[1].threaded && r[2].threaded, `builds: ${r.map((x) => x.threaded).join(', ')}`);
    check(r[1].got === 2 && r[2].got === 3, `threads: ${r[1].got}, ${r[2].got}`);
    check(r[1].ids === r[0].ids && r[2].ids === r[0].ids, `ids: 1 thread ${r[0].ids}; 2: ${r[1].ids}; 3: ${r[2].ids}`);
  });
}
await tally.test('no page errors', async () => check(errors.length === 0, errors.join(' | ')));

await browser.close();
server.kill();
process.exit(tally.summary());

// engine.test.mjs — the wasm engine in Firefox (ESR, headless, puppeteer-core over WebDriver BiDi) and WebKitGTK
// (MiniBrowser through WebKitWebDriver), each against the native CLI on the same inputs (drive.mjs opens them;
// engine-worker.mjs does the work in a module Web Worker, as the app does):
//   * the app's loader (web/engine-wasm.mjs) picks the build by feature detection: sotto-mt.wasm where
//     SharedArrayBuffer and cross-origin isolation are there (Firefox), sotto.wasm where they are not (WebKit:
//     no SharedArrayBuffer global), and the engine runs either way;
//   * greedy 16 tokens == `sotto generate --temp 0` on one fixture model per architecture;
//   * speech to text of samples/visit-soap.wav == `sotto transcribe --json` (start, end, text of each phrase);
//   * the bundled note model's SOAP note on samples/visit-soap.txt == `sotto note --format json`, and its
//     support check == `sotto note --format markdown`, byte for byte;
//   * a model larger than the browser's budget (a 3 GiB sparse file; web/fetch-cache.mjs modelBudget) is refused with
//     one line from its length, before it is downloaded; and one whose response has no length (chunked) and whose
//     GGUF header claims 3 GiB (tests/web/fake-gguf.mjs, then zeros made as they are sent), from its header: the
//     server has sent a few MiB of its 256 when the refusal comes (web/gguf-size.mjs);
//   * the page requests nothing outside its own origin (the recording proxy of drive.mjs), which does catch one.
// Usage: node tests/browsers/engine.test.mjs [build-wasm dir] [native sotto]   (SOTTO_BROWSERS=firefox,webkit)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Tally } from '../harness.mjs';
import { browsersAvailable, openBrowser, serveStatic } from './drive.mjs';
import { claimsHuge } from '../web/fake-gguf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = process.argv[2] ?? join(root, 'build-wasm');
const native = process.argv[3] ?? join(root, 'build', 'sotto');
const fixtures = join(root, 'tests', 'fixtures', 'models');
// (the cases of tests/wasm/run.mjs: every fixture architecture and weight type)
const greedy = [['llama32-f32.gguf', 'Once upon a time', 16], ['llama32-q4_0.gguf', 'The quick brown fox', 16],
                ['qwen25-f16.gguf', 'Hello, world', 16], ['qwen25-k-q4_k.gguf', 'Hello, world', 16],
                ['gemma3-bf16.gguf', 'A B C', 16], ['smollm2-q8_0.gguf', 'def main():', 16]];
const asrModel = process.env.ASR_MODEL ?? 'models/sotto-asr-q8_0.gguf';
const noteModel = 'models/sotto-notes-q8_0.gguf';
const plan = { greedy, asr: { model: `/${asrModel}`, wav: '/samples/visit-soap.wav' },
               scribe: { model: `/${noteModel}`, transcript: '/samples/visit-soap.txt', template: '/templates/soap.schema.json' },
               oversized: '/big/huge.gguf', oversizedHeader: '/big/claims-huge.gguf' };
const tmp = mkdtempSync(join(tmpdir(), 'sotto-browsers-'));
writeFileSync(join(tmp, 'plan.json'), JSON.stringify(plan));
writeFileSync(join(tmp, 'huge.gguf'), 'GGUF');
truncateSync(join(tmp, 'huge.gguf'), 3 * 1024 ** 3);  // sparse: no disk taken
// No Content-Length: the 3 GiB header, then 256 MiB of zeros written as the reader takes them (1 MiB held).
const ZEROS = Buffer.alloc(1 << 20);
let claimsSent = 0;
function claimsHugeStream(res) {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });  // chunked: node sets Transfer-Encoding
  claimsSent = 0;
  let left = 256;
  const more = () => {
    if (claimsSent === 0) { const h = claimsHuge(3 * 1024 ** 3); res.write(h); claimsSent += h.length; }
    while (left > 0) {
      left--;
      claimsSent += ZEROS.length;
      if (!res.write(ZEROS)) { res.once('drain', more); return; }
    }
    res.end();
  };
  res.on('close', () => { left = 0; });
  more();
}

// What the native CLI gives for the same work.
const run = (args) => execFileSync(native, args, { maxBuffer: 1 << 24 });
const want = {
  greedy: greedy.map(([file, prompt, n]) => {
    let out = run(['generate', '-m', join(fixtures, file), '-p', prompt, '-n', String(n), '--temp', '0', '-t', '1', '-q']);
    return out;
  }),
  asr: JSON.parse(run(['transcribe', '-m', join(root, asrModel), '--json', '-t', '1', join(root, 'samples', 'visit-soap.wav')]))
    .segments.map((s) => ({ start: s.start, end: s.end, text: s.text })),
  note: ['json', 'markdown'].map((f) => run(['note', '--transcript', join(root, 'samples', 'visit-soap.txt'), '-m', join(root, noteModel),
                                             '--template', 'soap', '-q', '-t', '1', '--format', f]).toString()),
};

const tally = new Tally();
const server = await serveStatic(root, [/^\/(web|wasm)\/[a-z-]+\.m?js$/, /^\/tests\/(browsers|wasm)\/[a-z-]+\.(mjs|html)$/,
                                        /^\/templates\/[a-z-]+\.schema\.json$/, /^\/samples\/[a-z-]+\.(txt|wav)$/,
                                        /^\/models\/[a-z0-9_.-]+\.gguf$/],
                                 { '/plan.json': join(tmp, 'plan.json'), '/big/huge.gguf': join(tmp, 'huge.gguf'), '/big/claims-huge.gguf': claimsHugeStream,
                                   '/models/': fixtures,
                                   [`/${asrModel}`]: join(root, asrModel), [`/${noteModel}`]: join(root, noteModel),
                                   '/engine/sotto.wasm': join(wasmDir, 'sotto.wasm'), '/engine/sotto-mt.wasm': join(wasmDir, 'sotto-mt.wasm'),
                                   // the relaxed-SIMD twins, which the loader takes first where relaxedSimdUsable() (Firefox)
                                   '/engine/sotto-relaxed.wasm': join(wasmDir, 'sotto-relaxed.wasm'),
                                   '/engine/sotto-mt-relaxed.wasm': join(wasmDir, 'sotto-mt-relaxed.wasm') });
for (const name of browsersAvailable()) {
  let out = null;
  let b = null;
  await tally.test(`${name}: the engine worker ran the plan`, async () => {
    const t0 = Date.now();
    b = await openBrowser(name, { origin: server.origin });
    await b.goto(`${server.origin}/tests/browsers/engine.html`);
    const { result } = await b.waitResult({ timeoutMs: Number(process.env.PAGE_TIMEOUT_S ?? 480) * 1000, onLine: (l) => console.log(`      ${name}: ${l}`) });
    assert.equal(result.error, undefined, result.error);
    out = result;
    console.log(`      ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  if (out) {
    await tally.test(`${name}: the loader picked the build by feature detection (${out.info.threaded ? 'sotto-mt' : 'sotto'}${out.info.relaxed ? '-relaxed' : ''}.wasm), every session on its threads`, async () => {
      const { info } = out;
      const usable = info.sab === 'function' && info.isolated === true;
      assert.equal(info.threaded, usable, JSON.stringify(info));
      assert.equal(info.relaxed, info.relaxedSimdUsable, JSON.stringify(info));
      if (name === 'firefox') assert.equal(info.relaxed, true, `Firefox ESR 153 runs relaxed SIMD: ${JSON.stringify(info)}`);
      if (name === 'webkit') assert.equal(info.sab, 'undefined', 'WebKitGTK has a SharedArrayBuffer global now: update docs/browsers.md');
      if (name === 'firefox') assert.equal(info.threaded, true, JSON.stringify(info));
      // Every session got the threads it asked for: the page's lent thread Workers all started (threads-host.mjs).
      const want = info.threaded ? Math.min(8, info.cores) : 1;
      assert.deepEqual(out.greedy.map((g) => g.threads), out.greedy.map(() => want));
    });
    for (const [i, [file]] of greedy.entries()) {
      await tally.test(`${name}: greedy 16 tokens == native: ${file}`, async () => {
        const g = out.greedy[i];
        let text = Buffer.from(g.bytes);
        let nat = want.greedy[i];
        if (nat.at(-1) === 0x0a && text.at(-1) !== 0x0a) nat = nat.subarray(0, -1);  // the CLI's closing newline
        assert.ok(g.ids.length > 0, 'no tokens');
        assert.equal(text.toString('latin1'), nat.toString('latin1'));
      });
    }
    await tally.test(`${name}: speech to text of samples/visit-soap.wav == native (${asrModel})`, async () => {
      assert.ok(want.asr.length > 0 && want.asr.some((s) => s.text.length > 0), 'the native transcript is empty');
      assert.deepEqual(out.asr.map(({ start, end, text }) => ({ start, end, text })), want.asr);
    });
    await tally.test(`${name}: the scribe's note and its check == native (${noteModel})`, async () => {
      assert.deepEqual(JSON.parse(out.scribe.json), JSON.parse(want.note[0]));
      assert.equal(out.scribe.markdown, want.note[1]);
    });
    await tally.test(`${name}: a 3 GiB model is refused up front with one line`, async () => {
      assert.match(out.oversized.error ?? '', /^\/big\/huge\.gguf: the model is 3\.0 GiB, more than this browser can hold \(at most [\d.]+ GiB here\): choose a smaller model$/);
      assert.ok(out.oversized.ms < 20000, `refused after ${out.oversized.ms} ms`);
    });
    await tally.test(`${name}: a model with no length whose header claims 3 GiB is refused from its header, one line`, async () => {
      assert.match(out.oversizedHeader.error ?? `not refused: ${out.oversizedHeader.bytes} bytes read`,
                   /^\/big\/claims-huge\.gguf: the model is 3\.0 GiB, more than this browser can hold \(at most [\d.]+ GiB here\): choose a smaller model$/);
      console.log(`      ${name}: the server had made ${(claimsSent / 2 ** 20).toFixed(0)} MiB of 256 at the end`);
      assert.ok(claimsSent < 32 * 2 ** 20, `the server sent ${(claimsSent / 2 ** 20).toFixed(0)} MiB before the refusal`);
    });
  }
  if (b) {
    await tally.test(`${name}: no request outside ${server.origin}`, async () => {
      assert.deepEqual(b.offsite(), []);
    });
    await tally.test(`${name}: self-test: a request to another origin is caught`, async () => {
      await b.evaluate("return fetch('http://198.51.100.7/beacon', { method: 'POST', body: 'x' }).then(() => 0, () => 0);");
      assert.deepEqual(b.offsite(), ['http://198.51.100.7/beacon']);
    });
    await b.close();
  }
}
server.close();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

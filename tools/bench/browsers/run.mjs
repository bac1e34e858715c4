// run.mjs — the wasm CPU engine's speed in each browser on the same model bytes: headless Chromium (playwright-core,
// /usr/bin/chromium), Firefox ESR and WebKitGTK (tests/browsers/drive.mjs). Each browser opens page.html from a
// small server here (COOP/COEP: threads where the browser offers them), whose worker.mjs loads the engine the app's
// way and times prefill (one start() over --prompt ids, the pseudo-random ids of wasm-cpu-bench.mjs) and decode
// (--gen greedy steps), best of --reps after a warm-up. Prints one JSON line per browser and a Markdown table with
// the ratios to Chromium. Browsers run one after another; nothing else should run on the machine meanwhile.
// Usage: node tools/bench/browsers/run.mjs --gguf m.gguf [--prompt 64] [--gen 16] [--reps 2]
//        [--threads N (at most N engine threads; 0: the app's default)] [--browsers chromium,firefox,webkit] [--wasm-dir build-wasm]
// Needs: tests/web's and tests/browsers' node_modules (npm ci --prefix each), the browsers tools/install-deps.sh
// installs. A model of the real shapes: tools/bench/make-random-model.py (e.g. --n-layer 4 --types q8_0).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { openBrowser, serveStatic } from '../../../tests/browsers/drive.mjs';
import { parseOptions } from '../options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const opt = parseOptions({ gguf: '', prompt: 64, gen: 16, reps: 2, threads: 0, browsers: 'chromium,firefox,webkit', 'wasm-dir': join(root, 'build-wasm') });
if (!opt.gguf) throw new Error('browsers/run.mjs: --gguf is required');

// The vocabulary size from the GGUF header (token_embd.weight's second dimension), for the prompt ids.
function nVocab(path) {
  const u8 = readFileSync(path).subarray(0, 64 * 2 ** 20);
  const at = Buffer.from(u8).indexOf('token_embd.weight');
  if (at < 0) throw new Error(`${path}: no token_embd.weight`);
  const dv = new DataView(u8.buffer, u8.byteOffset);
  const p = at + 'token_embd.weight'.length;
  return Number(dv.getBigUint64(p + 4 + 8, true));  // n_dims (u32), ne[0], ne[1]
}
let rng = 12345;
const vocab = nVocab(opt.gguf);
const ids = Array.from({ length: opt.prompt }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (vocab - 256)); });
const tmp = mkdtempSync(join(tmpdir(), 'sotto-browser-bench-'));
writeFileSync(join(tmp, 'plan.json'), JSON.stringify({ ids, gen: opt.gen, reps: opt.reps, threads: opt.threads }));
const server = await serveStatic(root, [/^\/(web|wasm)\/[a-z-]+\.m?js$/, /^\/tools\/bench\/browsers\/[a-z-]+\.(mjs|html)$/],
                                 { '/plan.json': join(tmp, 'plan.json'), '/bench/model.gguf': opt.gguf,
                                   '/engine/sotto.wasm': join(opt['wasm-dir'], 'sotto.wasm'),
                                   '/engine/sotto-mt.wasm': join(opt['wasm-dir'], 'sotto-mt.wasm') });
const url = `${server.origin}/tools/bench/browsers/page.html`;

async function inChromium() {
  const pw = await import(pathToFileURL(createRequire(join(root, 'tests', 'web', 'package.json')).resolve('playwright-core')).href);
  const browser = await (pw.chromium ?? pw.default.chromium).launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    for (let seen = 0; ;) {
      const [lines, result] = await page.evaluate(() => [window.__lines ?? [], window.__result ?? null]);
      for (; seen < lines.length; seen++) console.error(`      chromium: ${lines[seen]}`);
      if (result) return result;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await browser.close();
  }
}

async function inOther(name) {
  const b = await openBrowser(name, { origin: server.origin });
  try {
    await b.goto(url);
    return (await b.waitResult({ timeoutMs: 30 * 60 * 1000, onLine: (l) => console.error(`      ${name}: ${l}`) })).result;
  } finally {
    await b.close();
  }
}

const rows = [];
for (const name of String(opt.browsers).split(',')) {
  const r = name === 'chromium' ? await inChromium() : await inOther(name);
  if (r.error) throw new Error(`${name}: ${r.error}`);
  const prefill = Math.max(...r.reps.map((x) => opt.prompt / x.prefill_s));
  const decode = Math.max(...r.reps.map((x) => opt.gen / x.decode_s));
  const row = { browser: name, build: r.threaded ? 'sotto-mt.wasm' : 'sotto.wasm', threads: r.threads, prompt: opt.prompt, gen: opt.gen,
                prefill_tok_s: Number(prefill.toFixed(2)), decode_tok_s: Number(decode.toFixed(2)) };
  console.log(JSON.stringify(row));
  rows.push(row);
}
server.close();
rmSync(tmp, { recursive: true, force: true });
const base = rows.find((r) => r.browser === 'chromium') ?? rows[0];
console.log(`\n| browser | build, threads | prefill tok/s (${opt.prompt} ids) | decode tok/s (${opt.gen}) | prefill / ${base.browser} | decode / ${base.browser} |`);
console.log('| --- | --- | --: | --: | --: | --: |');
for (const r of rows) {
  console.log(`| ${r.browser} | ${r.build}, ${r.threads} | ${r.prefill_tok_s} | ${r.decode_tok_s} | ${(r.prefill_tok_s / base.prefill_tok_s).toFixed(2)} | ${(r.decode_tok_s / base.decode_tok_s).toFixed(2)} |`);
}
process.exit(0);

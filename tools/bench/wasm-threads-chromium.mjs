// wasm-threads-chromium.mjs — the two wasm CPU engines at N threads in headless Chromium, where both can use
// threads: ours (sotto.wasm for N = 1, sotto-mt.wasm with N - 1 Workers for N > 1) and onnxruntime-web's
// wasm EP (ort.env.wasm.numThreads = N; its threaded wasm needs a cross-origin-isolated page, which Node
// cannot give it: tools/bench/ort-web/bench.mjs --threads 2 fails there). Same work per token as
// wasm-cpu-bench.mjs and ort-web/bench.mjs: one start() / session.run for the prompt (the same pseudo-random
// ids), then greedy steps, the argmax taken in JS for ORT; best of --reps after a warm-up (16 ids, 4 tokens).
// A small HTTP server here (127.0.0.1, a free port) serves the page with COOP/COEP, wasm/, the wasm builds,
// onnxruntime-web's dist/ and the model files; the engines run on the page's main thread (the busy-waits of
// both are allowed there), one page per engine and thread count, in the order ours, ORT for each N.
// Chromium runs with --js-flags=--no-liftoff (wasm compiled by TurboFan up front, as wasm-vs-ort.sh does).
// Usage: node tools/bench/wasm-threads-chromium.mjs --gguf m.gguf [--onnx m.onnx] [--threads 1,2,4,8]
//        [--prompt 64] [--gen 32] [--reps 2] [--type q8_0] [--wasm-dir build-wasm]
// (--onnx from tools/bench/gguf-to-onnx.py; without it only ours runs). Prints one JSON line per run and a
// Markdown table: tok/s and the ratios ours / ORT per thread count, and each engine's speed-up over 1 thread.
// Needs: tests/web's playwright-core (npm ci --prefix tests/web), /usr/bin/chromium, tools/bench/ort-web's
// node_modules for --onnx.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { parseOptions } from './options.mjs';
import { readBig, readGguf } from './ort-web/ort-lm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ gguf: '', onnx: '', threads: '1,2', prompt: 64, gen: 32, reps: 2, type: '', 'wasm-dir': join(root, 'build-wasm') });
if (!opt.gguf) throw new Error('wasm-threads-chromium.mjs: --gguf is required');
const threadCounts = String(opt.threads).split(',').map(Number);
const pw = await import(pathToFileURL(createRequire(join(root, 'tests', 'web', 'package.json')).resolve('playwright-core')).href);
const chromium = pw.chromium ?? pw.default.chromium;

const { kv, tensors } = readGguf(readBig(opt.gguf, 64 * 2 ** 20));
const arch = kv['general.architecture'];
const nVocab = tensors['token_embd.weight'].ne[1];
const nKv = kv[`${arch}.attention.head_count_kv`];
const headDim = kv[`${arch}.attention.key_length`] ?? kv[`${arch}.embedding_length`] / kv[`${arch}.attention.head_count`];
let rng = 12345;  // the prompt of webgpu-bench.mjs, wasm-cpu-bench.mjs and ort-web/bench.mjs
const ids = Array.from({ length: opt.prompt }, () => { rng = (rng * 1103515245 + 12345) >>> 0; return 256 + (rng % (nVocab - 256)); });

// ---- the server: fixed mounts, only files, with the headers cross-origin isolation needs
const modelDir = dirname(resolve(opt.gguf));
const modelFiles = new Set([basename(opt.gguf)]);
if (opt.onnx) {
  const base = basename(opt.onnx);
  modelFiles.add(base);
  for (const f of readdirSync(dirname(resolve(opt.onnx)))) if (f.startsWith(base + '.data')) modelFiles.add(f);
  if (dirname(resolve(opt.onnx)) !== modelDir) throw new Error('--onnx and --gguf must be in one folder');
}
const mounts = { '/wasm/': join(root, 'wasm'), '/engine/': resolve(opt['wasm-dir']),
                 '/ort/': join(root, 'tools', 'bench', 'ort-web', 'node_modules', 'onnxruntime-web', 'dist') };
const types = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
                    'Cross-Origin-Resource-Policy': 'same-origin' };
  let file = null;
  if (path === '/') {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
    return res.end('<!doctype html><title>wasm threads bench</title>');
  }
  if (path.startsWith('/m/') && modelFiles.has(path.slice(3))) file = join(modelDir, path.slice(3));
  for (const [m, dir] of Object.entries(mounts)) {
    if (path.startsWith(m) && !path.includes('..')) file = join(dir, path.slice(m.length));
  }
  if (!file || ![...Object.values(mounts), modelDir].some((d) => resolve(file).startsWith(d + sep))) {
    res.writeHead(404, headers);
    return res.end();
  }
  try {
    const size = statSync(file).size;
    res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    createReadStream(file).pipe(res);
  } catch {
    res.writeHead(404, headers);
    res.end();
  }
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--no-first-run', '--js-flags=--no-liftoff'],
});

// One engine at one thread count in a fresh page; returns {prefill_tok_s, decode_tok_s, first_tokens, ...}.
async function runOurs(threads) {
  const page = await browser.newPage();
  await page.goto(origin + '/');
  const r = await page.evaluate(async ({ gguf, threads, ids, gen, reps }) => {
    if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
    const { Sotto } = await import('/wasm/sotto.mjs');
    const wasm = await (await fetch(threads > 1 ? '/engine/sotto-mt.wasm' : '/engine/sotto.wasm')).arrayBuffer();
    const e = await Sotto.create(wasm, { threads });
    await e.load(new Uint8Array(await (await fetch('/m/' + gguf)).arrayBuffer()), { name: gguf, nCtx: ids.length + gen + 8 });
    const got = e.threadsOf();
    const greedy = { temperature: 0, topK: 1, topP: 1, minP: 0, repeatPenalty: 1, seed: 0 };
    e.start(ids.slice(0, 16), greedy);
    for (let i = 0; i < 4; i++) e.step();
    let prefill = 0, decode = 0, tokens = [];
    for (let k = 0; k < reps; k++) {
      let t = performance.now();
      e.start(ids, greedy);
      prefill = Math.max(prefill, ids.length / ((performance.now() - t) / 1000));
      tokens = [];
      t = performance.now();
      for (let i = 0; i < gen; i++) tokens.push(e.step());
      decode = Math.max(decode, gen / ((performance.now() - t) / 1000));
    }
    e.dispose();
    return { runtime: `sotto wasm cpu (SIMD128, ${got} thread${got > 1 ? 's' : ''})`, threads: got, prefill, decode, tokens };
  }, { gguf: basename(opt.gguf), threads, ids, gen: opt.gen, reps: opt.reps });
  await page.close();
  return r;
}

async function runOrt(threads) {
  const page = await browser.newPage();
  await page.goto(origin + '/');
  const data = [...modelFiles].filter((f) => f.startsWith(basename(opt.onnx) + '.data'));
  const r = await page.evaluate(async ({ onnx, data, threads, ids, gen, reps, nKv, headDim }) => {
    if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
    const ort = await import('/ort/ort.webgpu.min.mjs');  // the build ort-web/bench.mjs runs (--ort native)
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = location.origin + '/ort/';
    ort.env.logLevel = 'error';
    const model = new Uint8Array(await (await fetch('/m/' + onnx)).arrayBuffer());
    const s = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all',
      logSeverityLevel: 3, externalData: data.map((f) => ({ path: f, data: location.origin + '/m/' + f })) });
    const pastNames = s.inputNames.filter((n) => n.startsWith('past_key_values.'));
    const kvType = (s.inputMetadata ?? []).find((m) => m.name === pastNames[0])?.type ?? 'float32';
    let past = null, nPast = 0;
    const reset = () => {
      const empty = kvType === 'float16' ? new Uint16Array(0) : new Float32Array(0);
      past = Object.fromEntries(pastNames.map((n) => [n, new ort.Tensor(kvType, empty, [1, nKv, 0, headDim])]));
      nPast = 0;
    };
    const forward = async (x) => {  // as OrtLm.forward in ort-web/ort-lm.mjs
      const n = x.length, total = nPast + n;
      const out = await s.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(x, (v) => BigInt(v)), [1, n]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(nPast + i)), [1, n]),
        ...past,
      });
      past = {};
      for (const [k, v] of Object.entries(out)) if (k.startsWith('present.')) past['past_key_values.' + k.slice(8)] = v;
      nPast = total;
      const logits = out.logits.data, V = out.logits.dims[out.logits.dims.length - 1];
      let best = 0;
      for (let i = 1; i < V; i++) if (logits[logits.length - V + i] > logits[logits.length - V + best]) best = i;
      return best;
    };
    reset();
    let id = await forward(ids.slice(0, 16));
    for (let i = 0; i < 4; i++) id = await forward([id]);
    let prefill = 0, decode = 0, tokens = [];
    for (let k = 0; k < reps; k++) {
      reset();
      let t = performance.now();
      id = await forward(ids);
      prefill = Math.max(prefill, ids.length / ((performance.now() - t) / 1000));
      tokens = [id];
      t = performance.now();
      for (let i = 0; i < gen; i++) { id = await forward([id]); tokens.push(id); }
      decode = Math.max(decode, gen / ((performance.now() - t) / 1000));
    }
    await s.release();
    return { runtime: `onnxruntime-web ${ort.env.versions?.web ?? ''} native wasm (numThreads ${threads})`, threads, prefill, decode, tokens };
  }, { onnx: basename(opt.onnx), data, threads, ids, gen: opt.gen, reps: opt.reps, nKv, headDim });
  await page.close();
  return r;
}

const results = [];
for (const n of threadCounts) {
  for (const [engine, run] of [['ours', runOurs], ...(opt.onnx ? [['ort', runOrt]] : [])]) {
    const r = await run(n);
    const row = { engine, arch, type: opt.type, threads: n, runtime: r.runtime, prompt: opt.prompt, gen: opt.gen,
                  prefill_tok_s: +r.prefill.toFixed(2), decode_tok_s: +r.decode.toFixed(2), first_tokens: r.tokens.slice(0, 8) };
    if (engine === 'ours' && r.threads !== n) throw new Error(`ours: asked for ${n} threads, got ${r.threads}`);
    results.push(row);
    console.log(JSON.stringify(row));
  }
}
await browser.close();
server.close();

const get = (e, n) => results.find((r) => r.engine === e && r.threads === n);
console.log(`\n${arch} ${opt.type}, prompt ${opt.prompt}, gen ${opt.gen}, best of ${opt.reps}; headless Chromium; ` +
            `load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}, ${(await import('node:os')).availableParallelism()} CPUs`);
console.log('| threads | ours prefill / decode tok/s | ORT prefill / decode tok/s | prefill ours/ORT | decode ours/ORT | ours speed-up (prefill / decode) | ORT speed-up |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const n of threadCounts) {
  const o = get('ours', n), t = get('ort', n), o1 = get('ours', threadCounts[0]), t1 = get('ort', threadCounts[0]);
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : '-');
  console.log(`| ${n} | ${o.prefill_tok_s} / ${o.decode_tok_s} | ${t ? `${t.prefill_tok_s} / ${t.decode_tok_s}` : '-'} | ` +
              `${ratio(o.prefill_tok_s, t?.prefill_tok_s)} | ${ratio(o.decode_tok_s, t?.decode_tok_s)} | ` +
              `${ratio(o.prefill_tok_s, o1.prefill_tok_s)} / ${ratio(o.decode_tok_s, o1.decode_tok_s)} | ` +
              `${t ? `${ratio(t.prefill_tok_s, t1.prefill_tok_s)} / ${ratio(t.decode_tok_s, t1.decode_tok_s)}` : '-'} |`);
}

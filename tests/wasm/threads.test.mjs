// threads.test.mjs — Node tests of the threaded wasm build (sotto-mt.wasm, wasm/build.sh; its pool is
// core/thread-pool-wasi.cpp on Workers from wasm/threads-host.mjs):
//   * greedy generation with 2 and 3 threads gives the ids of the single-threaded build (sotto.wasm) and the
//     text of the native CLI (`sotto generate --temp 0 -t 1`), on fixture models of several weight types,
//     with a prompt long enough for the parallel prefill paths;
//   * seeded sampling gives the same ids on both builds; a session loaded again in the same instance gets its
//     threads again (the previous pool's Workers are reused); the session really runs on n threads;
//   * Sotto.create({single, threaded}, {threads: 1}) takes the single-threaded build;
//   * a new instance reuses the thread Workers of a disposed one;
//   * a thread Worker that never gets ready (seen in Firefox ESR) is left out after the start timeout: the host
//     comes up with fewer threads and says why, instead of hanging the engine's creation.
// Usage: node tests/wasm/threads.test.mjs [dir with sotto.wasm and sotto-mt.wasm] [path/to/native/sotto]
// (defaults build-wasm, build/sotto). Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { ThreadHost } from '../../wasm/threads-host.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = process.argv[2] ?? join(root, 'build-wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const models = join(root, 'tests', 'fixtures', 'models');
const single = await WebAssembly.compile(readFileSync(join(wasmDir, 'sotto.wasm')));
const threaded = await WebAssembly.compile(readFileSync(join(wasmDir, 'sotto-mt.wasm')));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

// Runs n tokens after the prompt; returns the ids and the bytes of the pieces, as the CLI prints them (an
// incomplete UTF-8 sequence at the end as U+FFFD; see tests/wasm/run.mjs).
function run(e, prompt, n, opts) {
  e.start(e.tokenize(prompt), opts);
  const ids = [], bytes = [];
  for (let i = 0; i < n; i++) {
    const id = e.step();
    if (id < 0) break;
    ids.push(id);
    if (e.isEog(id)) break;
    if (!e.isSpecial(id)) bytes.push(...e.piece(id));
  }
  let k = bytes.length;
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const c = bytes[bytes.length - back];
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    if (need > back) k = bytes.length - back;
    break;
  }
  let text = Buffer.from(bytes.slice(0, k));
  if (k < bytes.length) text = Buffer.concat([text, Buffer.from([0xef, 0xbf, 0xbd])]);
  return { ids, text };
}

async function generate(module, threads, file, prompt, n, opts = { temperature: 0 }) {
  const e = await Sotto.create(module, { threads });
  await e.load(readFileSync(join(models, file)), { name: file });
  const got = e.threadsOf();
  const r = run(e, prompt, n, opts);
  e.dispose();
  return { ...r, got };
}

const long = 'The committee met on Tuesday to review the quarterly figures and the hiring plan; after a long talk they agreed to';
const cases = [
  ['llama32-q8_0.gguf', long],
  ['qwen25-k-q4_k.gguf', 'Hello, world'],
  ['gemma3-bf16.gguf', long],
  ['llama32-f32.gguf', 'Once upon a time'],
];
for (const [file, prompt] of cases) {
  await test(`greedy 16 tokens, threaded (2, 3 threads) == single-threaded == native: ${file}`, async () => {
    const base = await generate(single, 1, file, prompt, 16);
    check(base.ids.length > 0, 'no tokens generated');
    let native = execFileSync(nativePath, ['generate', '-m', join(models, file), '-p', prompt, '-n', '16', '--temp', '0',
                                           '-t', '1', '-q'], { maxBuffer: 1 << 20 });
    const nl = (b) => b.length > 0 && b[b.length - 1] === 0x0a;
    if (nl(native) && !nl(base.text)) native = native.subarray(0, native.length - 1);  // the CLI's final newline
    check(Buffer.compare(native, base.text) === 0,
          `single-threaded ${JSON.stringify(base.text.toString('latin1'))} vs native ${JSON.stringify(native.toString('latin1'))}`);
    for (const threads of [2, 3]) {
      const r = await generate(threaded, threads, file, prompt, 16);
      check(r.got === threads, `asked for ${threads} threads, the session runs on ${r.got}`);
      check(r.ids.join(' ') === base.ids.join(' '), `${threads} threads: ids ${r.ids.join(' ')} vs single-threaded ${base.ids.join(' ')}`);
      check(Buffer.compare(r.text, native) === 0, `${threads} threads: text differs from native`);
    }
  });
}

await test('seeded sampling: threaded (3 threads) == single-threaded; a second load reuses the Workers', async () => {
  const file = 'qwen25-q8_0.gguf', opts = { temperature: 0.9, topK: 20, seed: 7 };
  const base = await generate(single, 1, file, long, 24, opts);
  const e = await Sotto.create(threaded, { threads: 3 });
  for (let i = 0; i < 2; i++) {
    await e.load(readFileSync(join(models, file)), { name: file });
    check(e.threadsOf() === 3, `load ${i + 1}: the session runs on ${e.threadsOf()} threads`);
    const r = run(e, long, 24, opts);
    check(r.ids.join(' ') === base.ids.join(' '), `load ${i + 1}: ids ${r.ids.join(' ')} vs ${base.ids.join(' ')}`);
  }
  e.dispose();
});

await test('Sotto.create({single, threaded}): threads 1 takes sotto.wasm, threads 2 sotto-mt.wasm', async () => {
  const one = await Sotto.create({ single, threaded }, { threads: 1 });
  const two = await Sotto.create({ single, threaded }, { threads: 2 });
  check(!one.threaded && one.threads === 1, `threads 1: threaded ${one.threaded}, threads ${one.threads}`);
  check(two.threaded && two.threads === 2, `threads 2: threaded ${two.threaded}, threads ${two.threads}`);
  one.dispose();
  two.dispose();
});

await test('a new engine instance takes the thread Workers of a disposed one (none made, none ended)', async () => {
  const a = await Sotto.create(threaded, { threads: 3 });
  await a.load(readFileSync(join(models, 'llama32-f32.gguf')), { name: 'a.gguf' });
  a.dispose();
  const b = await Sotto.create(threaded, { threads: 3 });
  check(b.threadHost.stage.join() === 'reused,reused', `stages ${b.threadHost.stage}`);
  await b.load(readFileSync(join(models, 'llama32-f32.gguf')), { name: 'b.gguf' });
  check(b.threadsOf() === 3, `threads ${b.threadsOf()}`);
  const r = run(b, 'The quick brown fox', 8, { temperature: 0 });
  check(r.ids.length === 8, `${r.ids.length} tokens`);
  b.dispose();
});

await test('a thread Worker that never gets ready is left out after the timeout: fewer threads, no hang', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sotto-threads-'));
  const silent = join(tmp, 'silent-worker.mjs');
  writeFileSync(silent, 'setInterval(() => {}, 1000);\n');  // runs, never answers
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const logs = [];
  const t0 = Date.now();
  const h = await Promise.race([
    ThreadHost.create(threaded, memory, 2, (fd, line) => logs.push(line), { timeoutMs: 300, workerUrl: pathToFileURL(silent) }),
    new Promise((resolve) => setTimeout(() => resolve(null), 10000))]);
  check(h !== null, 'ThreadHost.create did not return in 10 s');
  if (h) {
    check(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    check(h.workers.length === 2 && h.workers.every((w) => !w), `workers ${h.workers}`);
    check(logs.some((l) => /^sotto: 2 of 2 thread Workers did not start in 0\.3 s \(Worker 0: created, Worker 1: created\); running with fewer threads$/.test(l)),
          `log ${JSON.stringify(logs)}`);
    check(h.spawn(64) === -1, 'spawn with no ready Worker');
    h.terminate();
  }
  rmSync(tmp, { recursive: true, force: true });
});

// Under CPU contention (twice as many busy processes as cores beside it, at most 16): a Node process that runs greedy
// generation on 2 threads, disposes the engine and ends must end (no process.exit) with the single-threaded
// ids. Before: the engine's thread Worker, unref'd before its 'message' listener was added, kept the process
// alive after the work was done (most runs on 2 busy cores); and under V8's baseline compiler
// (--liftoff-only) the pool's join read a stale done flag after an inline memory.atomic.wait and never
// returned. Each run is bounded (20 s).
await test('under CPU contention: greedy on 2 threads == 1 thread, and the process ends (4 runs, 20 s each)', async () => {
  const { spawn, spawnSync } = await import('node:child_process');
  const { availableParallelism } = await import('node:os');
  const file = 'llama32-q8_0.gguf', prompt = long, n = 16;
  const base = await generate(single, 1, file, prompt, n);
  const tmp = mkdtempSync(join(tmpdir(), 'sotto-threads-'));
  const child = join(tmp, 'child.mjs');
  writeFileSync(child, `import { readFileSync } from 'node:fs';
import { Sotto } from ${JSON.stringify(pathToFileURL(join(root, 'wasm', 'sotto.mjs')).href)};
const e = await Sotto.create(readFileSync(${JSON.stringify(join(wasmDir, 'sotto-mt.wasm'))}), { threads: 2 });
await e.load(readFileSync(${JSON.stringify(join(models, file))}), { name: 'm.gguf' });
e.start(e.tokenize(${JSON.stringify(prompt)}), { temperature: 0 });
const ids = [];
for (let i = 0; i < ${n}; i++) { const id = e.step(); if (id < 0) break; ids.push(id); if (e.isEog(id)) break; }
console.log(JSON.stringify({ ids, threads: e.threadsOf() }));
e.dispose();
`);
  const busy = Array.from({ length: Math.min(16, 2 * availableParallelism()) }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  try {
    for (const flags of [[], ['--liftoff-only'], [], ['--liftoff-only']]) {
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [...flags, child], { timeout: 20000, encoding: 'utf8' });
      const what = `node ${flags.join(' ')} (${Date.now() - t0} ms)`;
      check(r.status === 0, `${what}: status ${r.status} signal ${r.signal}; ${r.stderr.trim().split('\n').pop()}`);
      const got = JSON.parse(r.stdout.trim().split('\n').pop());
      check(got.threads === 2 && got.ids.join(' ') === base.ids.join(' '), `${what}: ${JSON.stringify(got)} vs ${base.ids.join(' ')}`);
    }
  } finally {
    for (const b of busy) b.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});

process.exit(tally.summary());

// errors.test.mjs — bad input on a WebGPU engine (wasm/sotto.mjs with a GpuHost, Dawn through the npm `webgpu`
// package on SwiftShader here): a truncated GGUF, a JSON Schema nested 300 levels, an invalid GBNF grammar each
// reject with the engine's one-line message; the engine revives (a fresh instance, the last good model streamed
// onto the GPU again) before the promise rejects, and then decodes the greedy tokens it decoded before, and a
// grammar still applies. (The CPU cases, the threaded build and speech: tests/wasm/errors.test.mjs.)
// Usage: node tests/webgpu/errors.test.mjs [path/to/sotto.wasm]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from './dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { Tally } = await import('../harness.mjs');

const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const host = await GpuHost.create(create([]), { forceFallbackAdapter: !process.env.VK_DRIVER_FILES });
const wasm = await WebAssembly.compile(readFileSync(wasmPath));
const good = readFileSync(join(root, 'tests', 'fixtures', 'models', 'llama32-q8_0.gguf'));
const tally = new Tally();
const check = (c, m) => tally.check(c, m);

const greedy = async (e, o = {}) => {
  const ids = [];
  for await (const _ of e.generate('Once upon a time', { maxTokens: 8, onToken: (i) => ids.push(i), ...o }));
  return ids.join(' ');
};
const errorOf = async (f) => { try { await f(); } catch (x) { return x.message; } return ''; };
const oneLine = (msg, re) => {
  check(re.test(msg) && !msg.includes('\n') && !/unreachable|RuntimeError/.test(msg), `unexpected message ${JSON.stringify(msg.slice(0, 200))}`);
};

const e = await Sotto.create(wasm, { gpu: host, log: () => {} });
await e.load(good, { name: 'good.gguf' });
const want = await greedy(e);
const g = 'root ::= "yes" | "no"';
const wantGrammar = await greedy(e, { grammar: g });

await tally.test('WebGPU: truncated GGUF rejects with one line; the engine revives with the last good model', async () => {
  oneLine(await errorOf(() => e.load(good.subarray(0, good.length - 100), { name: 'cut.gguf' })), /^cut\.gguf: .*past the end/);
  check(e.traps === 1 && !e.dead, `traps ${e.traps}, dead ${e.dead}`);
  check(await greedy(e) === want, 'tokens after the error differ');
});
await tally.test('WebGPU: a schema nested 300 levels and an invalid GBNF reject with one line; the engine goes on', async () => {
  let schema = { type: 'string' };
  for (let i = 0; i < 300; i++) schema = { type: 'array', items: schema };
  oneLine(await errorOf(() => greedy(e, { schema })), /^schema: schema nested deeper than 256 levels/);
  check(await greedy(e) === want, 'tokens after the schema error differ');
  oneLine(await errorOf(() => greedy(e, { grammar: 'root ::= (' })), /^grammar:1:\d+: /);
  check(await greedy(e, { grammar: g }) === wantGrammar, 'grammar tokens after the errors differ');
});
e.dispose();
process.exit(tally.summary());

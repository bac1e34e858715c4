// run.mjs — Node tests of the wasm build (wasm/build.sh) through its JS host (wasm/sotto.mjs):
//   * greedy generation of 16 tokens in wasm gives byte-for-byte the text of the native CLI
//     (`sotto generate --temp 0`) on the same prompt, for several fixture models and weight types;
//   * the SIMD128 kernels against their scalar twins inside wasm (sotto_kernel_check, kernel-check.cpp);
//   * errors: bad GGUF bytes give an Error naming the file, and the engine takes the next call (more in errors.test.mjs);
//   * cancel() stops generation between tokens; tokenize/detokenize round trip.
// Usage: node tests/wasm/run.mjs [path/to/sotto.wasm] [path/to/native/sotto]
// (defaults build-wasm/sotto.wasm, build/sotto). Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { Tally } from '../harness.mjs';
import { wasmGreedy } from './greedy.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const models = join(root, 'tests', 'fixtures', 'models');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));

const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const check = (cond, msg) => tally.check(cond, msg);

async function wasmGreedyFile(file, prompt, n) {
  const e = await Sotto.create(wasmModule);
  await e.load(readFileSync(join(models, file)), { name: file });
  const { bytes, ids } = wasmGreedy(e, prompt, n);
  e.dispose();
  return { out: Buffer.from(bytes), ids };
}

function nativeGreedy(file, prompt, n) {
  let out = execFileSync(nativePath, ['generate', '-m', join(models, file), '-p', prompt, '-n', String(n),
                                      '--temp', '0', '-t', '1', '-q'], { maxBuffer: 1 << 20 });
  return out;
}

const cases = [
  ['llama32-f32.gguf', 'Once upon a time'],
  ['llama32-q8_0.gguf', 'Once upon a time'],
  ['llama32-q4_0.gguf', 'The quick brown fox'],
  ['qwen25-f16.gguf', 'Hello, world'],
  ['qwen25-k-q4_k.gguf', 'Hello, world'],
  ['gemma3-bf16.gguf', 'A B C'],
  ['smollm2-q8_0.gguf', 'def main():'],
];
for (const [file, prompt] of cases) {
  await test(`greedy 16 tokens, wasm == native: ${file}`, async () => {
    const { out, ids } = await wasmGreedyFile(file, prompt, 16);
    let native = nativeGreedy(file, prompt, 16);
    // The CLI ends its output with a newline when the text does not.
    if (native.length && native[native.length - 1] === 0x0a && !(out.length && out[out.length - 1] === 0x0a)) {
      native = native.subarray(0, native.length - 1);
    }
    check(ids.length > 0, 'no tokens generated');
    check(Buffer.compare(out, native) === 0,
          `text differs: wasm ${JSON.stringify(out.toString('latin1'))} (ids ${ids.join(' ')}) vs native ` +
          `${JSON.stringify(native.toString('latin1'))}`);
  });
}

// The grammar on the wasm CPU backend (sotto_set_grammar; forced runs fast-forwarded in one forward pass)
// against the native CLI's generate loop with --schema, and errors of a bad schema.
await test('schema greedy, wasm == native (--schema): qwen25-f32.gguf, tests/webgpu/schemas/nested.schema.json', async () => {
  const file = 'qwen25-f32.gguf', schemaPath = join(root, 'tests', 'webgpu', 'schemas', 'nested.schema.json');
  const e = await Sotto.create(wasmModule);
  await e.load(readFileSync(join(models, file)), { name: file });
  let text = '';
  for await (const piece of e.generate('Patient record:', { maxTokens: 120, temperature: 0, schema: readFileSync(schemaPath, 'utf8') })) {
    text += piece;
  }
  e.dispose();
  let native = execFileSync(nativePath, ['generate', '-m', join(models, file), '-p', 'Patient record:', '-n', '120',
                                         '--temp', '0', '-t', '1', '-q', '--schema', schemaPath], { maxBuffer: 1 << 20 }).toString();
  if (native.endsWith('\n') && !text.endsWith('\n')) native = native.slice(0, -1);
  check(text.length > 0 && text === native, `wasm ${JSON.stringify(text)} vs native ${JSON.stringify(native)}`);
});

await test('a schema with an unsupported keyword: one-line Error naming it', async () => {
  const e = await Sotto.create(wasmModule);
  await e.load(readFileSync(join(models, 'qwen25-q8_0.gguf')), { name: 'qwen25-q8_0.gguf' });
  let msg = '';
  try {
    for await (const t of e.generate('x', { schema: { type: 'array', uniqueItems: true } })) void t;
  } catch (err) { msg = err.message; }
  check(/uniqueItems/.test(msg) && !msg.includes('\n'), `unexpected message ${JSON.stringify(msg)}`);
});

await test('SIMD128 kernels match their scalar twins (sotto_kernel_check)', async () => {
  const lines = [];
  const e = await Sotto.create(wasmModule, { log: (fd, line) => lines.push(line) });
  const bad = e.call('sotto_kernel_check');
  check(bad === 0, `${bad} mismatches:\n  ${lines.join('\n  ')}`);
  check(lines.some((l) => /checked/.test(l)), 'kernel check printed no summary');
});

await test('bad GGUF bytes: Error naming the file; the next call is answered (no model loaded)', async () => {
  const e = await Sotto.create(wasmModule);
  const junk = new Uint8Array(64).fill(7);
  let msg = '';
  try { await e.load(junk, { name: 'junk.gguf' }); } catch (err) { msg = err.message; }
  check(/^junk\.gguf: not a GGUF file/.test(msg), `unexpected message ${JSON.stringify(msg)}`);
  let again = '';
  try { e.tokenize('x'); } catch (err) { again = err.message; }
  check(again === 'sotto: no model loaded (call load first)', `after the trap: ${JSON.stringify(again)}`);
});

await test('truncated GGUF: Error naming the file', async () => {
  const e = await Sotto.create(wasmModule);
  const bytes = readFileSync(join(models, 'llama32-q8_0.gguf'));
  let msg = '';
  try { await e.load(bytes.subarray(0, bytes.length - 100), { name: 'cut.gguf' }); } catch (err) { msg = err.message; }
  check(/^cut\.gguf: .*(past the end|truncated)/.test(msg), `unexpected message ${JSON.stringify(msg)}`);
});

await test('cancel() stops generation between tokens; generate() streams text', async () => {
  const e = await Sotto.create(wasmModule);
  await e.load(readFileSync(join(models, 'llama32-f32.gguf')), { name: 'llama32-f32.gguf' });
  const ids = [];
  for await (const piece of e.generate('Once upon a time', { maxTokens: 200, temperature: 0.8, seed: 1,
                                                            onToken: (id) => ids.push(id) })) {
    check(typeof piece === 'string' && piece.length > 0, 'empty piece');
    if (ids.length === 3) e.cancel();
  }
  check(ids.length >= 3 && ids.length <= 4, `generated ${ids.length} tokens after cancel at 3`);
  e.dispose();
});

await test('tokenize / detokenize round trip', async () => {
  const e = await Sotto.create(wasmModule);
  await e.load(readFileSync(join(models, 'qwen25-q8_0.gguf')), { name: 'qwen25-q8_0.gguf' });
  const ids = e.tokenize('Hello world, 123!');
  check(ids.length >= 2, `only ${ids.length} tokens`);
  const text = e.detokenize(ids);
  check(text.endsWith('Hello world, 123!'), `round trip gave ${JSON.stringify(text)}`);
});

process.exit(tally.summary());

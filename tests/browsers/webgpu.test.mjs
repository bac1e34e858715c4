// webgpu.test.mjs — the WebGPU check suite of tests/webgpu (the page, worker and checks that chromium.mjs runs in
// Chromium on SwiftShader) in Firefox ESR on its WebGPU (wgpu on Mesa's lavapipe: a fallback adapter without
// `subgroups` and with 32 KiB of workgroup memory): every op against the CPU backend, greedy output WebGPU == CPU
// on one fixture per architecture and weight kind, speech to text on WebGPU == the wasm CPU, a text and a speech
// engine on one GpuHost, schema-constrained sampling (its documents validated with ajv here); the page requests
// nothing outside its own origin (drive.mjs's recording proxy).
// Usage: node tests/browsers/webgpu.test.mjs [path/to/sotto.wasm] [--ops-only]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Tally } from '../harness.mjs';
import { browsersAvailable, openBrowser, serveStatic } from './drive.mjs';
import { validateDocs } from '../webgpu/validate-docs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const wasmPath = args.find((a) => !a.startsWith('--')) ?? join(root, 'build-wasm', 'sotto.wasm');
const opsOnly = args.includes('--ops-only');
// chromium.mjs's choice: one model per architecture, each weight kind (f32, q8_0, q4_0, q4_k) at least once.
const models = ['llama32-q4_0', 'qwen25-q8_0', 'qwen25-k-q4_k', 'gemma3-f32', 'gemma3-q4_0'];
const asrModels = ['moonshine-f16-untied.gguf', 'whisper-f16.gguf'];

const tally = new Tally();
if (!browsersAvailable().includes('firefox')) {
  console.log('firefox: not installed (tools/install-deps.sh), WebGPU checks not run');
  process.exit(tally.summary());
}
const server = await serveStatic(root, [/^\/wasm\/[a-z-]+\.mjs$/, /^\/tests\/webgpu\/[a-z-]+\.(mjs|html)$/, /^\/tests\/harness\.mjs$/,
                                        /^\/tests\/fixtures\/(models|asr)\/[a-z0-9_.-]+\.gguf$/,
                                        /^\/templates\/[a-z-]+\.schema\.json$/, /^\/tests\/webgpu\/schemas\/[a-z-]+\.schema\.json$/],
                                 { '/sotto.wasm': wasmPath });
const b = await openBrowser('firefox', { origin: server.origin, gpu: true });
let docs = [];
try {
  const query = opsOnly ? '?ops=1' : `?models=${models.join(',')}&asr=${asrModels.join(',')}&sample=1&mixed=1`;
  const t0 = Date.now();
  await b.goto(`${server.origin}/tests/webgpu/page.html${query}`);
  const { result } = await b.waitResult({ timeoutMs: Number(process.env.PAGE_TIMEOUT_S ?? 900) * 1000,
                                          onLine: (l) => console.log(`firefox: ${l}`) });
  console.log(`firefox: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  tally.add(result);
  if (result.error) tally.add({ passed: 0, failed: 1 });
  docs = (await b.evaluate('return window.__docs ?? [];')) ?? [];
} finally {
  await b.close();
  server.close();
}
if (!opsOnly) {
  await tally.test(`schema documents from Firefox valid for ajv: ${docs.length}`, async () => {
    const bad = validateDocs(docs);
    tally.check(docs.length > 0 && bad.length === 0, bad.join(' | ') || 'no documents');
  });
}
await tally.test(`no request outside ${server.origin}`, async () => tally.check(b.offsite().length === 0, b.offsite().join(' ')));
process.exit(tally.summary());

// run.mjs — Node runner of the WebGPU checks (checks.mjs) on Dawn (npm `webgpu`); on a GPU-less machine
// through SwiftShader's Vulkan driver (Debian chromium's, set here when no driver is named):
//   * every op against the CPU backend in the same wasm instance, per op/dtype tolerance;
//   * greedy generation on WebGPU against the CPU backend, every architecture and supported weight type
//     of tests/fixtures/models, with dispatches per token;
//   * generate()/cancel() on WebGPU; a BF16 model refused at load with a one-line error;
//   * speech to text on WebGPU == the wasm CPU backend for the ASR fixtures (asr-checks.mjs);
//   * a text and a speech engine on one GpuHost, interleaved and concurrent == each alone (mixed-checks.mjs).
// Usage: node tests/webgpu/run.mjs [path/to/sotto.wasm] [--ops-only | --no-sample]   (default build-wasm/sotto.wasm;
//        --no-sample: all but the sampling checks, which need ajv from tools/grammar/node_modules)
// With VK_DRIVER_FILES set (a real GPU), the hardware adapter is used. Prints `N passed, M failed`;
// exit code 1 on failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from './dawn.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { Sotto } = await import('../../wasm/sotto.mjs');
const { GpuHost } = await import('../../wasm/gpu-host.mjs');
const { runChecks } = await import('./checks.mjs');

export const MODELS = ['llama32-f32', 'llama32-f16', 'llama32-q8_0', 'llama32-q4_0', 'qwen25-f32', 'qwen25-f16',
                       'qwen25-q8_0', 'qwen25-q4_0', 'qwen25-k-q4_k', 'qwen25-k-q8_0', 'gemma3-f32', 'gemma3-q8_0',
                       'gemma3-q4_0', 'smollm2-f32', 'smollm2-q8_0'];

const args = process.argv.slice(2);

// Options of sample-checks.mjs: ajv (tools/grammar/node_modules) validates the generated documents.
async function sampleOptions() {
  const { createRequire } = await import('node:module');
  const require = createRequire(join(root, 'tools', 'grammar', 'node_modules', 'x.js'));
  const ajv = new (require('ajv').default)({ strict: false, allErrors: true });
  require('ajv-formats').default(ajv);
  return {
    loadText: async (path) => readFileSync(join(root, path), 'utf8'),
    validate: async (schema, doc) => {
      let value;
      try { value = JSON.parse(doc); } catch (e) { return `not JSON: ${e.message}`; }
      const v = ajv.compile(JSON.parse(schema));
      return v(value) ? null : ajv.errorsText(v.errors);
    },
    models: ['qwen25-f32', 'llama32-f32', 'gemma3-f32'],
    templates: ['soap', 'hr', 'finance', 'legal'],
    nCases: 300, seeds: 8, maxTokens: 64,
  };
}
// SOTTO_DAWN_TOGGLES=allow_unsafe_apis,vulkan_enable_f16_on_nvidia (the GPU machine): Dawn features that expose
// shader-f16 and subgroup matrices on NVIDIA's Vulkan, so the checks cover matmul-sgmat.wgsl too.
const dawnToggles = process.env.SOTTO_DAWN_TOGGLES ? [`enable-dawn-features=${process.env.SOTTO_DAWN_TOGGLES}`] : [];
const wasmPath = args.find((a) => !a.startsWith('--')) ?? join(root, 'build-wasm', 'sotto.wasm');
const models = join(root, 'tests', 'fixtures', 'models');
const { passed, failed } = await runChecks({
  Sotto, GpuHost, gpu: create(dawnToggles),
  wasmModule: await WebAssembly.compile(readFileSync(wasmPath)),
  loadModel: async (name) => readFileSync(join(models, name)),
  models: MODELS,
  fallback: !process.env.VK_DRIVER_FILES,
  log: (line) => console.log(line),
  opsOnly: args.includes('--ops-only'),
  subgroupMatrix: dawnToggles.length > 0,  // matmul-sgmat.wgsl where those toggles expose subgroup matrices
  sample: args.includes('--ops-only') || args.includes('--no-sample') ? null : await sampleOptions(),
});
// Speech to text on WebGPU against the wasm CPU backend (asr-checks.mjs).
let asr = { passed: 0, failed: 0 };
if (!args.includes('--ops-only')) {
  const { SottoAsr } = await import('../../wasm/asr.mjs');
  const { runAsrChecks } = await import('./asr-checks.mjs');
  const { runMixedChecks } = await import('./mixed-checks.mjs');
  const opts = {
    Sotto, SottoAsr, host: await GpuHost.create(create(dawnToggles), { forceFallbackAdapter: !process.env.VK_DRIVER_FILES,
                                                                   subgroupMatrix: dawnToggles.length > 0 }),
    wasmModule: await WebAssembly.compile(readFileSync(wasmPath)),
    loadModel: async (name) => readFileSync(join(models, name)),
    loadAsr: async (name) => readFileSync(join(root, 'tests', 'fixtures', 'asr', name)),
    log: (line) => console.log(line),
  };
  for (const r of [await runAsrChecks(opts), await runMixedChecks(opts)]) {
    asr.passed += r.passed;
    asr.failed += r.failed;
  }
}
console.log(`${passed + asr.passed} passed, ${failed + asr.failed} failed`);
process.exit(failed + asr.failed ? 1 : 0);

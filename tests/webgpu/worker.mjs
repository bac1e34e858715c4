// worker.mjs — runs checks.mjs inside a module Web Worker of Chromium (page.html): navigator.gpu, the
// wasm build and the fixture models fetched from the test's own origin.
// Query: ?models=a,b&ops=1&sample=1&asr=x.gguf,y.gguf&mixed=1 (mixed: mixed-checks.mjs).
import { Sotto } from '/wasm/sotto.mjs';
import { GpuHost } from '/wasm/gpu-host.mjs';
import { runChecks } from '/tests/webgpu/checks.mjs';

const q = new URLSearchParams(location.search);
const log = (line) => postMessage({ line });
try {
  const fetchBytes = async (url) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  };
  const wasmModule = await WebAssembly.compile(await fetchBytes('/sotto.wasm'));
  const done = await runChecks({
    Sotto, GpuHost, gpu: navigator.gpu, wasmModule,
    loadModel: (name) => fetchBytes(`/tests/fixtures/models/${name}`),
    models: (q.get('models') || '').split(',').filter((m) => m),
    fallback: false,
    log,
    opsOnly: q.get('ops') === '1',
    // sample-checks.mjs: the documents go to the Node side (chromium.mjs), which validates them with ajv.
    sample: q.get('sample') === '1' ? {
      loadText: async (path) => new TextDecoder().decode(await fetchBytes(`/${path}`)),
      validate: async (schema, doc) => { postMessage({ doc: { schema, doc } }); return null; },
      models: ['qwen25-f32'], templates: ['soap'], nCases: 100, seeds: 3, maxTokens: 48,
    } : undefined,
  });
  // Speech to text on WebGPU against the wasm CPU backend (asr-checks.mjs), for the fixtures named in ?asr=.
  const asrModels = (q.get('asr') || '').split(',').filter((m) => m);
  if (asrModels.length) {
    const { SottoAsr } = await import('/wasm/asr.mjs');
    const { runAsrChecks } = await import('/tests/webgpu/asr-checks.mjs');
    const r = await runAsrChecks({
      SottoAsr, host: await GpuHost.create(navigator.gpu), wasmModule,
      loadAsr: (name) => fetchBytes(`/tests/fixtures/asr/${name}`), log, models: asrModels,
    });
    done.passed += r.passed;
    done.failed += r.failed;
  }
  // A text and a speech engine on one GpuHost (mixed-checks.mjs).
  if (q.get('mixed') === '1') {
    const { SottoAsr } = await import('/wasm/asr.mjs');
    const { runMixedChecks } = await import('/tests/webgpu/mixed-checks.mjs');
    const r = await runMixedChecks({
      Sotto, SottoAsr, host: await GpuHost.create(navigator.gpu), wasmModule, log,
      loadModel: (name) => fetchBytes(`/tests/fixtures/models/${name}`),
      loadAsr: (name) => fetchBytes(`/tests/fixtures/asr/${name}`),
    });
    done.passed += r.passed;
    done.failed += r.failed;
  }
  postMessage({ done });
} catch (e) {
  log(`FAIL  worker: ${e.message}`);
  postMessage({ done: { passed: 0, failed: 1 } });
}

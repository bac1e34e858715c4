// engine-wasm.mjs — the wasm engine for the engine workers (engine-worker.js, asr-worker.js): downloads
// (fetch-cache.mjs) and compiles the threaded build sotto-mt.wasm (beside the engine URL's sotto.wasm) when
// this worker can run it (threadsUsable() of wasm/sotto.mjs: the page is cross-origin isolated, as `sotto
// serve` makes it, SharedArrayBuffer and wasm threads exist), else the single-threaded sotto.wasm; a
// threaded build that cannot be fetched or compiled falls back to the single-threaded one.
//   const { module, threaded, cached } = await fetchEngine(wasmUrl, progress)
// The module goes to Sotto.create as before; a threaded one runs the CPU backend on defaultThreads()
// threads (the hardware's count, at most 8), each a Worker of its own (wasm/threads-host.mjs).
// Does not: choose between WebGPU and the CPU (gpu-policy.mjs).
import { threadsUsable } from '../wasm/sotto.mjs';
import { fetchWithProgress, oneLine } from './fetch-cache.mjs';

export async function fetchEngine(wasmUrl, progress) {
  if (threadsUsable() && /sotto\.wasm$/.test(wasmUrl)) {
    try {
      const wasm = await fetchWithProgress(wasmUrl.replace(/sotto\.wasm$/, 'sotto-mt.wasm'), 'engine', false, progress);
      progress?.({ phase: 'compile', what: 'engine' });
      return { module: await WebAssembly.compile(wasm.bytes), threaded: true, cached: wasm.cached };
    } catch (e) {
      console.warn(`sotto: the threaded engine is not usable (${oneLine(e)}); using the single-threaded one`);
    }
  }
  const wasm = await fetchWithProgress(wasmUrl, 'engine', false, progress);
  progress?.({ phase: 'compile', what: 'engine' });
  return { module: await WebAssembly.compile(wasm.bytes), threaded: false, cached: wasm.cached };
}

// engine-wasm.mjs — the wasm engine for the engine workers (engine-worker.js, asr-worker.js): downloads
// (fetch-cache.mjs) and compiles the threaded build sotto-mt.wasm (beside the engine URL's sotto.wasm) when
// this worker can run it (threadsUsable() of wasm/sotto.mjs: the page is cross-origin isolated, as `sotto
// serve` makes it, SharedArrayBuffer and wasm threads exist), else the single-threaded sotto.wasm; a
// threaded build that cannot be fetched or compiled falls back to the single-threaded one. Where the engine
// runs relaxed SIMD exactly (relaxedSimdUsable of wasm/relaxed-simd.mjs) the relaxed twin of that build is
// taken first (sotto-mt-relaxed.wasm, sotto-relaxed.wasm: faster Q4_0 matmuls, the same results bit for
// bit), falling back to the plain one if it cannot be fetched or compiled.
//   const { module, threaded, relaxed, cached } = await fetchEngine(wasmUrl, progress)
// The module goes to Sotto.create as before; a threaded one runs the CPU backend on defaultThreads()
// threads (the hardware's count, at most 8), each a Worker of its own (wasm/threads-host.mjs).
// Does not: choose between WebGPU and the CPU (gpu-policy.mjs).
import { relaxedSimdUsable, threadsUsable } from '../wasm/sotto.mjs';
import { fetchWithProgress, oneLine } from './fetch-cache.mjs';

async function fetchBuild(url, progress) {
  const wasm = await fetchWithProgress(url, 'engine', false, progress);
  progress?.({ phase: 'compile', what: 'engine' });
  return { module: await WebAssembly.compile(wasm.bytes), cached: wasm.cached };
}

export async function fetchEngine(wasmUrl, progress) {
  const named = /sotto\.wasm$/.test(wasmUrl);
  const builds = [];  // [file, threaded, relaxed], best first
  if (named && threadsUsable()) {
    if (relaxedSimdUsable()) builds.push(['sotto-mt-relaxed.wasm', true, true]);
    builds.push(['sotto-mt.wasm', true, false]);
  }
  if (named && relaxedSimdUsable()) builds.push(['sotto-relaxed.wasm', false, true]);
  for (const [file, threaded, relaxed] of builds) {
    try {
      const b = await fetchBuild(wasmUrl.replace(/sotto\.wasm$/, file), progress);
      console.info(`sotto: engine ${file} (${threaded ? 'threads' : 'one thread'}, ${relaxed ? 'relaxed SIMD' : 'SIMD128'})`);
      return { ...b, threaded, relaxed };
    } catch (e) {
      console.warn(`sotto: the engine ${file} is not usable (${oneLine(e)}); trying the next build`);
    }
  }
  return { ...(await fetchBuild(wasmUrl, progress)), threaded: false, relaxed: false };
}

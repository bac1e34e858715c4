// worker.js — the package's worker entry: a module Web Worker in browsers, a worker_threads Worker in Node; it
// passes messages to engine.js's handler and back. Does not: anything else (index.js starts it).
import { serve } from './engine.js';

if (typeof globalThis.WorkerGlobalScope === 'function') {
  const onMessage = serve((m) => globalThis.postMessage(m));
  globalThis.addEventListener('message', (e) => onMessage(e.data));
} else {
  const { parentPort } = await import('node:worker_threads');
  const onMessage = serve((m) => parentPort.postMessage(m));
  parentPort.on('message', onMessage);
}

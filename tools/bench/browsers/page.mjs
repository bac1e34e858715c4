// page.mjs — page.html's script: starts worker.mjs, lends it thread Workers (wasm/threads-host.mjs), relays its lines
// and result (the protocol of tests/browsers/drive.mjs).
import { lendThreadWorkers } from '/wasm/threads-host.mjs';

window.__lines = [];
const worker = new Worker('/tools/bench/browsers/worker.mjs', { type: 'module' });
lendThreadWorkers(worker);
worker.onmessage = (e) => {
  if (e.data.line !== undefined) window.__lines.push(e.data.line);
  if (e.data.done) window.__result = e.data.done;
};
worker.onerror = (e) => { window.__result = { error: `worker: ${e.message}` }; };

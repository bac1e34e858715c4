// engine-page.mjs — engine.html's script: starts engine-worker.mjs (lending it thread Workers, as the app does) and
// relays what it posts (drive.mjs's protocol).
import { lendThreadWorkers } from '/wasm/threads-host.mjs';

window.__lines = [];
const worker = new Worker('/tests/browsers/engine-worker.mjs' + location.search, { type: 'module' });
lendThreadWorkers(worker);
worker.onmessage = (e) => {
  if (e.data.line !== undefined) window.__lines.push(e.data.line);
  if (e.data.done) window.__result = e.data.done;
};
worker.onerror = (e) => { window.__result = { error: `worker: ${e.message}` }; };

// thread-worker.mjs — one Worker of wasm/threads-host.mjs. Gets {init, module, memory, busy, slot} (again when a
// new host takes it; {reset} when its host ended drops the instance; {port} first when a page made it for an
// engine Worker, which then talks to it on that port; {close} ends it): instantiates
// the threaded engine (sotto-mt.wasm) on that shared memory, without _initialize (the main instance ran the
// constructors; the linker's memory initialisation runs once for all instances) and answers {ready}. Then
// for each {tid, startArg} runs wasi_thread_start(tid, startArg) (core/wasi-thread.cpp) and clears
// busy[slot]. A thread that traps is marked done in its start record (the i32 at startArg + 4), so the
// engine's pool reports an error instead of waiting for it.
// Does not: spawn threads itself (its thread-spawn import answers -1), use the GPU.
import { noGpuImports, threadImports, wasiImports } from './sotto.mjs';

let instance = null;
let busy = null;
let slot = -1;
let post;

function onMessage(m) {
  if (m.port) {  // a Worker a page made for an engine Worker (threads-host.mjs lendThreadWorkers): it talks on the port
    post = (x) => m.port.postMessage(x);
    m.port.onmessage = (e) => onMessage(e.data);
    post({ alive: true });
    return;
  }
  if (m.close) {
    globalThis.close?.();
    return;
  }
  if (m.reset) {  // back in the host's idle set: the instance (and the memory it holds) goes
    instance = null;
    busy = null;
    return;
  }
  if (m.init) {
    busy = m.busy;
    slot = m.slot;
    const log = (fd, line) => post({ fd, log: line });
    const imports = {
      env: { memory: m.memory },
      wasi: { 'thread-spawn': () => -1 },
      wasi_snapshot_preview1: wasiImports(() => m.memory, log),
      sotto_gpu: noGpuImports(),
      sotto_threads: threadImports(),
    };
    WebAssembly.instantiate(m.module, imports).then((i) => {
      instance = i;
      post({ ready: true });
    }, (e) => post({ error: e.message }));
    return;
  }
  const { tid, startArg } = m;
  try {
    instance.exports.wasi_thread_start(tid, startArg);
  } catch (e) {
    post({ fd: 2, log: `sotto thread ${tid}: ${e.message}` });
    const i32 = new Int32Array(instance.exports.memory.buffer);
    Atomics.store(i32, (startArg + 4) >> 2, 1);
    Atomics.notify(i32, (startArg + 4) >> 2);
  } finally {
    Atomics.store(busy, slot, 0);
  }
}

if (typeof globalThis.WorkerGlobalScope === 'function' || typeof globalThis.postMessage === 'function' && typeof globalThis.process?.versions?.node !== 'string') {
  post = (m) => globalThis.postMessage(m);
  globalThis.onmessage = (e) => onMessage(e.data);
} else {
  const { parentPort } = await import('node:worker_threads');
  post = (m) => parentPort.postMessage(m);
  parentPort.on('message', onMessage);
}
post({ alive: true });  // the host's diagnosis of a Worker that never gets ready

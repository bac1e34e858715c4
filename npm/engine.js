// engine.js — the worker side of the npm package: serve(post) returns the handler of the messages index.js sends
// (worker.js wires it to a module Web Worker or a Node worker_threads Worker; index.js calls it in-thread with
// {worker: false} or a `gpu` object). It drives the wasm engine's own JS host, copied in by build.sh unchanged:
// engine/wasm/sotto.mjs (text generation), engine/web/engine-asr.mjs over wasm/asr.mjs (speech to text, as `sotto
// transcribe`), engine/web/engine-cpu.mjs over the scribe ABI (notes, as `sotto note`).
// Messages in: {type: 'load', id, source, opts: {device, cache, threads, nCtx, gpu}}, {type: 'generate', id, input,
// opts}, {type: 'transcribe', id, pcm, sampleRate}, {type: 'note', id, transcript, template, opts}, {type: 'cancel',
// id}, {type: 'dispose'}. Out: {type: 'progress', id, ...}, {type: 'token', id, text, ids}, {type: 'done', id,
// reason, ids, usage: {promptTokens, cachedTokens}}, {type: 'result', id, value}, {type: 'error', id, message} (one line), {type: 'log', line}.
// Requests run one at a time in arrival order; a cancel acts between tokens (and between prompt chunks of a note).
// Does not: WebGPU in Node unless a GPU object (npm `webgpu`'s create([])) is passed in-thread; speech on WebGPU
// other than through engine-asr.mjs's own fallback to the CPU; notes on WebGPU (the scribe ABI runs on the wasm CPU).
import { Sotto as Engine, defaultThreads, threadsUsable } from './engine/wasm/sotto.mjs';
import { GpuHost } from './engine/wasm/gpu-host.mjs';
import { AsrEngine, ggufArch } from './engine/web/engine-asr.mjs';
import { ScribeEngineCpu } from './engine/web/engine-cpu.mjs';
import { oneLine, readModel } from './model-source.js';

const isNode = typeof globalThis.process?.versions?.node === 'string';
const SPEECH = new Set(['moonshine', 'whisper']);
const DEFAULTS = { maxTokens: 256, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.0 };

async function wasmModule(file) {
  const url = new URL(`./engine/wasm/${file}`, import.meta.url);
  let bytes;
  if (isNode) {
    bytes = await (await import('node:fs/promises')).readFile(url);
  } else {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    bytes = await r.arrayBuffer();
  }
  return WebAssembly.compile(bytes);
}

// A GpuHost for `device`, or {why} it is not used: 'wasm' none; 'auto' a hardware adapter only (a software one such
// as SwiftShader is slower than the wasm CPU); 'webgpu' any adapter, and none is an error.
async function pickGpu(device, gpu) {
  if (device === 'wasm') return { why: 'device "wasm" was asked for' };
  gpu ??= isNode ? null : globalThis.navigator?.gpu;
  if (!gpu) {
    const why = isNode ? 'Node has no WebGPU of its own (pass {gpu}, e.g. npm webgpu\'s create([]))' : 'this browser has no WebGPU';
    if (device === 'webgpu') throw new Error(`device "webgpu": ${why}`);
    return { why };
  }
  let host = await GpuHost.tryCreate(gpu);
  if (!host && device === 'webgpu') host = await GpuHost.tryCreate(gpu, { forceFallbackAdapter: true });
  if (!host) {
    if (device === 'webgpu') throw new Error('device "webgpu": WebGPU gave no adapter');
    return { why: 'WebGPU gave no adapter' };
  }
  const info = host.adapter.info ?? {};
  if (device === 'auto' && (info.isFallbackAdapter ?? host.adapter.isFallbackAdapter)) {
    host.device.destroy?.();
    return { why: 'the WebGPU adapter is a software one, slower than the wasm CPU' };
  }
  return { host, adapter: [info.vendor, info.architecture].filter((x) => x).join(' ') || 'WebGPU adapter' };
}

// A prompt string as is; messages [{role, content}]: the conversation in the model's chat template, as `sotto serve
// --api` renders it (system, developer as system, user and assistant turns; the assistant's turn opened). Checked
// here, so a bad one is a one-line error and never reaches (and traps) the engine.
const ROLES = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };
function promptOf(input, chat) {
  if (typeof input === 'string') return { prompt: input, chat: !!chat };
  if (!Array.isArray(input) || !input.length) {
    throw new Error('generate: give a prompt string or messages [{role, content}, ...] (a non-empty array)');
  }
  const messages = input.map((m, i) => {
    const role = m && typeof m === 'object' && typeof m.role === 'string' && Object.hasOwn(ROLES, m.role) ? ROLES[m.role] : null;
    if (!role) throw new Error(`generate: messages[${i}].role ${JSON.stringify(m?.role)} is not one of system, developer, user, assistant`);
    if (typeof m.content !== 'string') throw new Error(`generate: messages[${i}].content is not a string`);
    return { role, content: m.content };
  });
  return { prompt: messages, chat: true };
}

export function serve(post) {
  let text = null;      // Engine with the text model loaded
  let speech = null;    // AsrEngine with the speech model loaded
  let scribe = null;    // ScribeEngineCpu of the text model, made on the first note
  let model = null;     // {bytes, name, module}: what the scribe is made from
  let info = null;
  let current = 0;      // the id of the request running
  const cancelled = new Set();
  let queue = Promise.resolve();
  const log = (fd, line) => post({ type: 'log', fd, line });

  function drop() {
    text?.dispose();
    speech?.dispose();
    scribe?.dispose();
    text = speech = scribe = model = info = null;
  }

  async function load(m) {
    const o = m.opts ?? {};
    const device = o.device ?? 'auto';
    if (!['auto', 'webgpu', 'wasm'].includes(device)) throw new Error(`device "${device}": expected "auto", "webgpu" or "wasm"`);
    const progress = (p) => post({ type: 'progress', id: m.id, ...p });
    const { bytes, name, cached } = await readModel(m.source, { cache: o.cache, onProgress: progress });
    const arch = ggufArch(bytes);
    if (new TextDecoder().decode(bytes.subarray(0, 4)) !== 'GGUF') throw new Error(`${o.name ?? name}: not a GGUF file`);
    progress({ phase: 'compile' });
    const threads = Math.max(1, o.threads ?? await defaultThreads());
    // The threaded build for the wasm CPU where threads are usable; WebGPU sessions run on one thread, on sotto.wasm
    // (Dawn for Node crashed beside the threaded build's Workers).
    const cpuModule = () => (threads > 1 && threadsUsable()
      ? wasmModule('sotto-mt.wasm').catch(() => wasmModule('sotto.wasm')) : wasmModule('sotto.wasm'));
    const gpu = await pickGpu(device, o.gpu);
    let module = gpu.host ? await wasmModule('sotto.wasm') : await cpuModule();
    progress({ phase: 'load' });
    drop();
    const fileName = o.name ?? name;
    let t = null, s = null, used = gpu;
    const make = async (g) => {
      if (SPEECH.has(arch)) s = await AsrEngine.create(module, bytes, { name: fileName, gpu: g.host ?? null });
      else {
        t = await Engine.create(module, { gpu: g.host, threads, log });
        t.promptReuse(true);  // the KV cache keeps a chat's prefix between turns (generate's cachePrompt)
        await t.load(bytes, { name: fileName, nCtx: o.nCtx ?? 0 });
      }
    };
    try {
      await make(gpu);
    } catch (e) {
      t?.dispose();
      gpu.host?.device.destroy?.();
      if (!gpu.host || device === 'webgpu') throw e;
      used = { why: `the WebGPU engine could not load the model (${oneLine(e)})` };  // 'auto': the wasm CPU
      module = await cpuModule();
      await make(used);
    }
    text = t;
    speech = s;
    model = { bytes, name: fileName, module: used.host ? cpuModule : () => module };  // the scribe runs on the wasm CPU
    const onGpu = !!used.host;
    info = { name: fileName, arch, kind: s ? 'speech' : 'text', device: onGpu ? 'webgpu' : 'wasm',
             adapter: used.adapter ?? null, why: onGpu ? null : used.why, bytes: bytes.length, cached,
             threads: onGpu ? 1 : t ? t.threadsOf() : (s?.threads ?? 1) };  // the threads the session got
    return info;
  }

  function requireKind(kind, what) {
    if (!info) throw new Error(`${what}: no model loaded`);
    if (info.kind !== kind) throw new Error(`${what}: ${info.name} is a ${info.kind} model (${info.arch}); ${kind === 'text' ? 'generate() and note() need a text' : 'transcribe() needs a speech'} model`);
  }

  async function generate(m) {
    requireKind('text', 'generate');
    const o = { ...DEFAULTS, ...m.opts };
    const { prompt, chat } = promptOf(m.input, o.chat);
    let ids = [];
    const opts = { ...o, chat, onToken: (id) => ids.push(id) };
    for await (const piece of text.generate(prompt, opts)) {
      post({ type: 'token', id: m.id, text: piece, ids });
      ids = [];
      if (cancelled.has(m.id)) break;
    }
    const last = ids.length ? ids[ids.length - 1] : null;
    const reason = cancelled.has(m.id) ? 'aborted' : last !== null && text.isEog(last) ? 'stop' : 'length';
    const usage = { promptTokens: text.promptTokens, cachedTokens: text.reused() };
    post({ type: 'done', id: m.id, reason, ids, usage });
  }

  async function transcribe(m) {
    requireKind('speech', 'transcribe');
    const pcm = m.pcm instanceof Float32Array ? m.pcm : Float32Array.from(m.pcm ?? []);
    await speech.reset(m.sampleRate ?? 16000);
    const segments = [...await speech.feed(pcm), ...await speech.finish()];
    return { text: segments.map((s) => s.text).join(' '), segments };
  }

  // A note as `sotto note` writes it: the transcript in the model's trained windows (one, when it fits), each window's
  // note under the template's schema, merged, then the support check.
  async function note(m) {
    requireKind('text', 'note');
    const o = m.opts ?? {};
    const schema = typeof m.template === 'string' ? m.template : JSON.stringify(m.template);
    const transcript = String(m.transcript);
    scribe ??= await ScribeEngineCpu.create(await model.module(), model.bytes, { name: model.name, nCtx: o.nCtx ?? 4096 });
    await scribe.ready();
    scribe.visitDate(o.visitDate ?? '');
    const plan = scribe.windows(schema, transcript, o.maxTokens ?? 1024);
    const bytes = new TextEncoder().encode(transcript);
    const notes = [];
    for (let k = 0; k < plan.windows.length; k++) {
      const [b, e] = plan.windows[k];
      const part = plan.windows.length === 1 ? transcript : new TextDecoder().decode(bytes.subarray(b, e));
      const yieldNow = () => new Promise((r) => setTimeout(r, 0));
      const n = await scribe.start(schema, part, { temperature: o.temperature ?? 0, seed: o.seed ?? 1 },
                                   async () => { await yieldNow(); return cancelled.has(m.id); });
      if (n < 0) return null;
      const dec = new TextDecoder();
      let out = '', steps = 0;
      for (;;) {
        const { status, bytes: piece } = scribe.step();
        out += dec.decode(piece, { stream: true });
        if (status === 1) break;
        if (status < 0) throw new Error(`note: the note did not fit the context after ${steps} tokens`);
        if (++steps >= plan.maxTokens[k]) throw new Error(`note: the note was not finished after ${steps} tokens (raise maxTokens)`);
        if (steps % 8 === 0) { await yieldNow(); if (cancelled.has(m.id)) return null; }
      }
      notes.push(out + dec.decode());
    }
    const textOut = notes.length === 1 ? notes[0] : scribe.merge(schema, notes, plan.windows, transcript);
    const check = scribe.check(schema, textOut, transcript);
    return { text: textOut, note: JSON.parse(textOut), markdown: check.markdown, support: check.support,
             windows: plan.windows.length, message: plan.message || null };
  }

  const handlers = { load, transcribe, note };
  async function run(m) {
    if (cancelled.has(m.id)) {
      post(m.type === 'generate' ? { type: 'done', id: m.id, reason: 'aborted', ids: [] } : { type: 'result', id: m.id, value: null, aborted: true });
      cancelled.delete(m.id);
      return;
    }
    current = m.id;
    try {
      if (m.type === 'generate') await generate(m);
      else {
        const value = await handlers[m.type](m);
        post({ type: 'result', id: m.id, value, aborted: value === null && cancelled.has(m.id) });
      }
    } catch (e) {
      post({ type: 'error', id: m.id, message: oneLine(e) });
    } finally {
      current = 0;
      cancelled.delete(m.id);
    }
  }

  return (m) => {
    if (m.type === 'cancel') {
      cancelled.add(m.id);
      if (current === m.id) text?.cancel();
      return;
    }
    if (m.type === 'dispose') {
      queue = queue.then(() => { drop(); post({ type: 'disposed' }); });
      return;
    }
    if (!['load', 'generate', 'transcribe', 'note'].includes(m.type)) {
      post({ type: 'error', id: m.id, message: `unknown request ${m.type}` });
      return;
    }
    queue = queue.then(() => run(m));
  };
}

// app.js — the scribe's page: dictation (the microphone streamed as 16 kHz PCM to the speech worker, the
// transcript growing as phrases close; or a dropped file transcribed with progress), the editable
// transcript, the note written by the engine worker under a template's JSON Schema and shown as a form
// generated from that schema, support highlighting (each field's supporting transcript spans, flags for
// what the transcript does not say, "not checked" for values it gives no evidence for), approval, and export (Markdown, JSON, FHIR, print/PDF) — only after approval, each
// one recorded in the audit log. The draft is saved locally on every change and restored after a reload.
// The page never runs the engines itself: engine-worker.js (notes) and asr-worker.js (speech) do, so the UI
// stays responsive.
// Does not: send anything anywhere (the server's CSP allows connections to this origin only).
import { decodeTo16k, peaks, startStreaming } from './audio.mjs';
import { Recognizer } from './asr.mjs';
import { renderForm, heading } from './schema-form.mjs';
import * as store from './store.mjs';

const $ = (id) => document.getElementById(id);
const state = {
  template: 'soap', schemaText: '', schema: null,
  note: null, check: null, checkedFor: '', approved: null,
  engineReady: false, generating: false,
};
const settings = store.loadSettings();
const worker = new Worker('/engine-worker.js', { type: 'module' });
const asr = new Recognizer(showAsrStatus);
let nextId = 1;
const pending = new Map();
let currentPath = null;

// ---- worker plumbing
function call(msg) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...msg, id });
  });
}

let streamHandler = null;
worker.onmessage = (ev) => {
  const m = ev.data;
  switch (m.type) {
    case 'progress': return showProgress(m);
    case 'ready':
      state.engineReady = true;
      state.noteBackend = m.noteBackend;
      $('engine-progress').value = 1;
      $('engine-status').textContent = `Engine ready: ${m.model} (${(m.bytes / 1048576).toFixed(1)} MiB${m.cached ? ', from cache' : ''}) on ${backendName(m.backend, m.gpu)}` +
        (m.backend !== 'webgpu' && m.threads > 1 ? `, ${m.threads} threads` : '');
      $('backend-info').textContent = backendInfo(m);
      document.body.dataset.backend = m.backend;
      document.body.dataset.threads = m.threads ?? 1;  // the wasm CPU engine's (sotto-mt.wasm: more than 1)
      document.body.dataset.noteBackend = m.noteBackend;
      document.body.dataset.gpuWarmup = (m.gpu?.warmupTokens ?? []).join(',');  // the warm-up's tokens (tests compare them)
      document.body.dataset.engine = 'ready';
      delete document.body.dataset.engineError;
      updateButtons();
      return;
    case 'backend':  // the WebGPU engine failed: notes go to the CPU from now on
      state.noteBackend = m.noteBackend;
      document.body.dataset.noteBackend = m.noteBackend;
      $('backend-info').textContent = `Notes are written on the wasm CPU: ${m.why}.`;
      return;
    case 'started': case 'text':
      if (streamHandler) streamHandler(m);
      return;
    case 'cache-cleared':
      $('engine-status').textContent = 'Cached models cleared.';
      return;
  }
  const p = pending.get(m.id);
  if (m.type === 'error' && !p) {
    if (m.kept) {  // a model that did not load: the engine goes on with the last good one
      $('engine-status').textContent = `Engine error: ${m.message} (still using ${m.kept.model})`;
      settings.modelUrl = m.kept.modelUrl;  // not saved as the model to load next time
      store.saveSettings(settings);
      state.engineReady = true;
      document.body.dataset.engine = 'ready';
      document.body.dataset.engineError = m.message;
      updateButtons();
      return;
    }
    $('engine-status').textContent = `Engine error: ${m.message}`;
    document.body.dataset.engine = 'error';
    return;
  }
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'error') p.reject(new Error(m.message));
  else p.resolve(m);
};

const BACKEND_NAMES = { 'webgpu': 'WebGPU', 'wasm-cpu-simd128': 'the wasm CPU (SIMD128)' };
function backendName(b, gpu) {
  return b === 'webgpu' && gpu ? `WebGPU (${gpu.adapter}${gpu.fallbackAdapter ? ', software' : ''})` : BACKEND_NAMES[b] ?? b;
}

// One sentence on where the engine runs and why: WebGPU with the CPU writing notes, or the CPU and why not WebGPU.
function backendInfo(m) {
  const g = m.gpu ?? {};
  if (m.backend !== 'webgpu') return `Notes are written on the wasm CPU: ${g.error ?? 'no WebGPU'}.`;
  const gpu = `The note model is on the GPU (uploaded and ${g.pipelines} pipelines compiled in ${g.seconds.toFixed(1)} s).`;
  return m.noteBackend === 'webgpu' ? `${gpu} Notes are written on WebGPU, the template's schema masking the tokens there.`
    : `${gpu} Notes are written on the wasm CPU: ${g.whyNot}.`;
}

function showProgress(m) {
  const bar = $('engine-progress');
  if (m.phase === 'download') {
    bar.max = m.total || 1;
    bar.value = m.loaded;
    const mib = (x) => (x / 1048576).toFixed(1);
    $('engine-status').textContent = `Downloading the ${m.what}: ${mib(m.loaded)}${m.total ? ` / ${mib(m.total)}` : ''} MiB`;
  } else if (m.phase === 'pipelines') {
    bar.removeAttribute('value');
    $('engine-status').textContent = `Compiling the ${m.what}: ${m.compiled} compiled…`;
  } else {
    bar.removeAttribute('value');
    $('engine-status').textContent = m.phase === 'compile' ? `Compiling the ${m.what}…` : `Loading the ${m.what}…`;
  }
}

function startEngine() {
  state.engineReady = false;
  document.body.dataset.engine = 'loading';
  updateButtons();
  $('backend-info').textContent = '';
  worker.postMessage({ type: 'init', wasmUrl: settings.wasmUrl, modelUrl: settings.modelUrl, backend: settings.backend });
}

// ---- templates
async function loadTemplate(name) {
  const r = await fetch(`/templates/${name}.schema.json`);
  if (!r.ok) throw new Error(`template ${name}: HTTP ${r.status}`);
  state.template = name;
  state.schemaText = await r.text();
  state.schema = JSON.parse(state.schemaText);
  $('template').value = name;
  $('exports').querySelector('[data-export="fhir"]').hidden = name !== 'soap';
}

// ---- audio in: speech recognition in its worker
const mib = (x) => (x / 1048576).toFixed(1);
function showAsrStatus(s) {
  const el = $('asr-status');
  if (s.state === 'loading') {
    const p = s.progress;
    el.textContent = p?.phase === 'download' ? `Speech: downloading the ${p.what}: ${mib(p.loaded)}${p.total ? ` / ${mib(p.total)}` : ''} MiB`
      : p?.phase === 'compile' ? 'Speech: compiling the engine…' : 'Speech: loading the speech model…';
    document.body.dataset.asr = 'loading';
  } else if (s.state === 'ready') {
    const where = s.backend === 'webgpu' ? `on WebGPU (${s.adapter})` : `on the wasm CPU${s.why ? ` (${s.why})` : ''}`;
    el.textContent = `Speech recognition ready: ${s.model} (${s.arch}, ${mib(s.bytes)} MiB${s.cached ? ', from cache' : ''}) ${where}.`;
    document.body.dataset.asr = 'ready';
    document.body.dataset.asrBackend = s.backend;
    document.body.dataset.asrThreads = s.threads ?? 1;
  } else {
    el.textContent = `Speech recognition is not available: ${s.message}. Type or paste the transcript.`;
    document.body.dataset.asr = 'error';
  }
}

// Adds a phrase to the transcript (the live transcript: it grows as phrases close).
function appendTranscript(text) {
  if (!text) return;
  const t = $('transcript');
  t.value = t.value && !/\s$/.test(t.value) ? `${t.value} ${text}` : t.value + text;
  t.scrollTop = t.scrollHeight;
  onTranscriptInput();
}

let recording = null;
async function toggleRecord() {
  const btn = $('record');
  if (!recording) {
    const rec = { live: null, samples: 0, chunks: [] };
    try {
      rec.mic = await startStreaming((chunk) => { rec.samples += chunk.length; rec.chunks.push(chunk); rec.live?.push(chunk); });
    } catch (e) {
      $('audio-info').textContent = `Microphone: ${e.message}`;
      return;
    }
    if (asr.ready) {  // the stream at the microphone's rate (16 kHz, or the engine resamples); chunks so far first
      rec.live = asr.stream((seg) => { appendTranscript(seg.text); showListening(); }, rec.mic.sampleRate);
      for (const c of rec.chunks) rec.live.push(c);
    }
    recording = rec;
    btn.textContent = '■ Stop';
    btn.setAttribute('aria-pressed', 'true');
    document.body.dataset.dictation = 'listening';
    showListening();
    rec.timer = setInterval(showListening, 250);
  } else {
    const rec = recording;
    recording = null;
    clearInterval(rec.timer);
    btn.textContent = '● Record';
    btn.setAttribute('aria-pressed', 'false');
    const pcm = await rec.mic.stop();
    drawWave(pcm);
    const rate = rec.mic.sampleRate;
    const seconds = pcm.length / rate;
    let info = `recording: ${seconds.toFixed(1)} s, ${pcm.length} samples at ${rate / 1000} kHz. `;
    if (rec.live) {
      $('audio-info').textContent = info + 'Finishing the last phrase…';
      try {
        const segs = await rec.live.end();
        info += `Transcribed live: ${segs.length} phrase${segs.length === 1 ? '' : 's'}.`;
      } catch (e) {
        info += `Speech recognition failed: ${e.message}`;
      }
    } else {
      info += `Speech recognition is not available (${asr.unavailable}): type or paste the transcript.`;
    }
    $('audio-info').textContent = info;
    document.body.dataset.audio = String(pcm.length);
    document.body.dataset.dictation = 'done';
  }
}

function showListening() {
  if (!recording) return;
  const pcm = new Float32Array(recording.samples);  // the waveform so far
  let off = 0;
  for (const c of recording.chunks) { pcm.set(c, off); off += c.length; }
  drawWave(pcm);
  $('audio-info').textContent = `Listening… ${(recording.samples / recording.mic.sampleRate).toFixed(1)} s` +
    (recording.live ? ' — the transcript grows as each phrase ends.' : ` (speech recognition is not available: ${asr.unavailable})`);
}

async function takeAudio(blob, label) {
  try {
    const { pcm, seconds } = await decodeTo16k(blob);
    drawWave(pcm);
    const info = `${label}: ${seconds.toFixed(1)} s, ${pcm.length} samples at 16 kHz. `;
    document.body.dataset.audio = String(pcm.length);
    if (!asr.ready) {
      $('audio-info').textContent = info + `Speech recognition is not available (${asr.unavailable}): type or paste the transcript.`;
      return;
    }
    document.body.dataset.dictation = 'transcribing';
    const bar = $('asr-progress');
    bar.hidden = false;
    bar.max = pcm.length;
    bar.value = 0;
    const t0 = performance.now();
    const segs = await asr.transcribe(pcm, (seg) => appendTranscript(seg.text), (done, total) => {
      bar.value = done;
      $('audio-info').textContent = info + `Transcribing: ${Math.round((100 * done) / total)}%`;
    });
    bar.hidden = true;
    const took = (performance.now() - t0) / 1000;
    $('audio-info').textContent = info + `Transcribed ${segs.length} phrase${segs.length === 1 ? '' : 's'} in ${took.toFixed(1)} s ` +
      `(${(seconds / took).toFixed(1)}x real time).`;
    document.body.dataset.dictation = 'done';
  } catch (e) {
    $('asr-progress').hidden = true;
    $('audio-info').textContent = e.message;
    document.body.dataset.dictation = 'error';
  }
}

function drawWave(pcm) {
  const c = $('waveform'), g = c.getContext('2d');
  const p = peaks(pcm, c.width);
  g.clearRect(0, 0, c.width, c.height);
  g.fillStyle = '#1f5fbf';
  for (let x = 0; x < p.length; x++) {
    const h = Math.max(1, p[x] * c.height);
    g.fillRect(x, (c.height - h) / 2, 1, h);
  }
}

// ---- note generation
async function writeNote() {
  const transcript = $('transcript').value;
  if (!transcript.trim()) { $('gen-status').textContent = 'The transcript is empty.'; return; }
  state.generating = true;
  revokeApproval();
  updateButtons();
  $('stream').textContent = '';
  $('cancel').hidden = false;
  $('gen-status').textContent = 'Reading the transcript…';
  let n = 0, where = '';
  const t0 = performance.now();
  streamHandler = (m) => {
    if (m.type === 'started') {
      where = backendName(m.backend);
      $('gen-status').textContent = `Writing on ${where} (${m.nPrompt} prompt tokens)…`;
      return;
    }
    $('stream').textContent += m.text;
    n = m.nTokens;
    const rate = n / ((performance.now() - t0) / 1000);
    $('gen-status').textContent = `Writing on ${where}: ${n} tokens, ${rate.toFixed(rate < 10 ? 1 : 0)} tokens/s`;
  };
  try {
    const r = await call({ type: 'generate', schema: state.schemaText, transcript, temperature: Number(settings.temperature) || 0,
                           seed: 1, maxTokens: 4000 });
    if (r.type === 'cancelled') { $('gen-status').textContent = 'Cancelled.'; return; }
    $('stream').textContent = r.text;
    state.note = JSON.parse(r.text);
    applyCheck(r.check, transcript);
    $('gen-status').textContent = `Note written on ${backendName(r.backend)}: ${r.nTokens} tokens in ${r.seconds.toFixed(1)} s ` +
      `(${(r.nTokens / r.seconds).toFixed(0)} tokens/s).`;
    document.body.dataset.note = 'ready';
    renderNote();
    saveDraft();
  } catch (e) {
    $('gen-status').textContent = `Could not write the note: ${e.message}`;
  } finally {
    state.generating = false;
    streamHandler = null;
    $('cancel').hidden = true;
    updateButtons();
  }
}

worker.addEventListener('message', (ev) => {
  // A cancelled generation answers with its id like any other reply.
  if (ev.data.type === 'cancelled') {
    const p = pending.get(ev.data.id);
    if (p) { pending.delete(ev.data.id); p.resolve(ev.data); }
  }
});

function renderNote() {
  if (!state.note) { $('note-form').replaceChildren(); return; }
  renderForm($('note-form'), state.schema, state.note, {
    onChange: (path, note, structural) => {
      revokeApproval();
      if (structural) renderNote();
      scheduleCheck();
      saveDraft();
    },
    onFocus: (path) => { currentPath = path; highlight(); },
  });
  showSupport();
}

// ---- support check and highlighting
let checkTimer = 0;
function scheduleCheck() {
  clearTimeout(checkTimer);
  state.checkedFor = '';
  checkTimer = setTimeout(recheck, 300);
}

async function recheck() {
  if (!state.note || !state.engineReady) return;
  const noteText = JSON.stringify(state.note), transcript = $('transcript').value;
  try {
    const r = await call({ type: 'check', schema: state.schemaText, note: noteText, transcript });
    if (JSON.stringify(state.note) === noteText && $('transcript').value === transcript) {
      applyCheck(r.check, transcript);
      showSupport();
      saveDraft();
    }
  } catch (e) {
    $('flag-summary').textContent = `Support check failed: ${e.message}`;
  }
}

function applyCheck(check, transcript) {
  state.check = check;
  state.checkedFor = JSON.stringify(state.note) + '\u0000' + transcript;
  updateButtons();
}

// UTF-8 byte offset -> UTF-16 index in text.
function byteIndexMap(text) {
  const map = new Int32Array(new TextEncoder().encode(text).length + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i);
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    if (cp > 0xffff) i++;
  }
  map[b] = text.length;
  return map;
}

function showSupport() {
  const transcript = $('transcript').value;
  const view = $('transcript-view');
  const support = state.check?.support ?? [];
  const map = byteIndexMap(transcript);
  const cuts = new Set([0, transcript.length]);
  const spans = [];
  for (const f of support) {
    for (const [b, e] of f.spans) {
      if (e >= map.length) continue;  // stale check of an older transcript
      const s = { from: map[b], to: map[e], path: f.path };
      spans.push(s);
      cuts.add(s.from); cuts.add(s.to);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const frag = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, z] = [points[i], points[i + 1]];
    const text = transcript.slice(a, z);
    const paths = spans.filter((s) => s.from <= a && s.to >= z).map((s) => s.path);
    if (paths.length) {
      const m = document.createElement('mark');
      m.textContent = text;
      m.dataset.paths = ' ' + paths.join(' ') + ' ';
      frag.append(m);
    } else {
      frag.append(text);
    }
  }
  view.replaceChildren(frag);
  let flagged = 0, unchecked = 0;
  for (const badge of document.querySelectorAll('[data-support-for]')) {
    const f = support.find((x) => x.path === badge.dataset.supportFor);
    const field = badge.closest('.field');
    field.classList.toggle('flagged', !!f?.flagged);
    field.classList.toggle('unchecked', f?.checked === false);
    if (!f) { badge.textContent = ''; badge.className = 'support'; continue; }
    if (f.flagged) {
      flagged++;
      badge.textContent = `⚠ Not in the transcript: ${f.unsupported.join(', ')}`;
      badge.className = 'support flag';
    } else if (f.checked === false) {  // no evidence either way: the reviewer decides
      unchecked++;
      badge.textContent = `? Not checked: ${f.why}`;
      badge.className = 'support unchecked';
    } else {
      badge.textContent = f.spans.length ? `✓ Supported by ${f.spans.length} passage${f.spans.length > 1 ? 's' : ''}` : '';
      badge.className = 'support ok';
    }
  }
  const fs = $('flag-summary');
  const notChecked = unchecked ? ` ${unchecked} value${unchecked > 1 ? 's' : ''} not checked (no evidence either way): check ${unchecked > 1 ? 'them' : 'it'} yourself.` : '';
  fs.textContent = flagged ? `${flagged} value${flagged > 1 ? 's' : ''} not supported by the transcript: check before approving.${notChecked}`
                           : state.note ? (unchecked ? `Every checked value is supported by the transcript.${notChecked}`
                                                     : 'Every value is supported by the transcript.') : '';
  fs.className = flagged ? 'flag' : '';
  highlight();
}

function highlight() {
  let first = null;
  for (const m of document.querySelectorAll('#transcript-view mark')) {
    const on = !!currentPath && m.dataset.paths.includes(` ${currentPath} `);
    m.classList.toggle('on', on);
    if (on && !first) first = m;
  }
  if (first) first.scrollIntoView({ block: 'nearest' });
}

// ---- approval and export
function revokeApproval() {
  if (state.approved) $('approval').textContent = 'Edited after approval: approve again to export.';
  state.approved = null;
  updateButtons();
}

async function approve() {
  if (!state.note) return;
  clearTimeout(checkTimer);
  await recheck();  // export what was checked
  state.approved = new Date().toISOString();
  store.audit({ action: 'approve', template: state.template });
  $('approval').textContent = `Approved ${new Date(state.approved).toLocaleString()}.`;
  updateButtons();
  renderAudit();
  saveDraft();
}

function download(name, mime, text) {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

async function sha256(text) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function exportNote(format) {
  if (!state.approved || !state.note) return;  // the buttons are disabled too: nothing leaves unapproved
  const stamp = state.approved.replace(/[:.]/g, '-');
  const base = `${state.template}-note-${stamp}`;
  let name, mime, text;
  if (format === 'md') {
    [name, mime, text] = [`${base}.md`, 'text/markdown', state.check.markdown];
  } else if (format === 'json') {
    text = JSON.stringify({ template: state.template, title: state.schema.title, approved: state.approved, note: state.note }, null, 2);
    [name, mime] = [`${base}.json`, 'application/json'];
  } else if (format === 'fhir') {
    const r = await call({ type: 'fhir', schema: state.schemaText, note: JSON.stringify(state.note), args: {
      bundle_id: crypto.randomUUID(), composition_id: crypto.randomUUID(), timestamp: state.approved.replace(/\.\d+Z$/, 'Z') } });
    [name, mime, text] = [`${base}.fhir.json`, 'application/fhir+json', r.text];
  } else if (format === 'pdf') {
    fillPrintView();
    text = $('print-view').innerText;
    name = `${base} (print)`;
  }
  store.audit({ action: 'export', format, template: state.template, file: name, bytes: new TextEncoder().encode(text).length,
                sha256: await sha256(text) });
  renderAudit();
  if (format === 'pdf') window.print();
  else download(name, mime, text);
}

function fillPrintView() {
  const pv = $('print-view');
  const h1 = document.createElement('h1');
  h1.textContent = state.schema.title;
  const meta = document.createElement('p');
  meta.textContent = `Approved ${new Date(state.approved).toLocaleString()}`;
  pv.replaceChildren(h1, meta);
  const text = (v) => v === null ? 'not stated' : Array.isArray(v) ? v.map(text).join('\n') : v && typeof v === 'object'
    ? Object.entries(v).map(([k, x]) => `${heading(k)}: ${text(x)}`).join('; ') : String(v ?? '');
  for (const [k] of Object.entries(state.schema.properties)) {
    const h2 = document.createElement('h2');
    h2.textContent = heading(k);
    const p = document.createElement('p');
    p.textContent = text(state.note[k]) || '(none)';
    pv.append(h2, p);
  }
}

function renderAudit() {
  const ol = $('audit-log');
  ol.replaceChildren(...store.auditLog().slice(-50).map((e) => {
    const li = document.createElement('li');
    li.textContent = e.action === 'export'
      ? `${new Date(e.time).toLocaleString()} — exported ${e.format.toUpperCase()} (${e.template}, ${e.bytes} bytes, sha256 ${e.sha256.slice(0, 12)}…)`
      : `${new Date(e.time).toLocaleString()} — ${e.action} (${e.template})`;
    return li;
  }));
}

function updateButtons() {
  const fresh = state.note && state.checkedFor === JSON.stringify(state.note) + '\u0000' + $('transcript').value;
  $('generate').disabled = !state.engineReady || state.generating || !!state.templateLoading;
  document.body.dataset.template = state.templateLoading ? '' : state.template;
  $('approve').disabled = !state.note || !state.engineReady || state.generating || !!state.approved;
  for (const b of document.querySelectorAll('[data-export]')) b.disabled = !state.approved || !fresh;
  document.body.dataset.approved = state.approved ? 'yes' : 'no';
}

// ---- drafts
let saveTimer = 0;
function saveDraft() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, 200);
}
function saveNow() {
  clearTimeout(saveTimer);
  store.saveDraft({ transcript: $('transcript').value, template: state.template, note: state.note, check: state.check,
                    checkedFor: state.checkedFor, approved: state.approved });
}

async function restoreDraft() {
  const d = store.loadDraft();
  if (!d) return false;
  await loadTemplate(d.template ?? 'soap');
  $('transcript').value = d.transcript ?? '';
  state.note = d.note;
  state.check = d.check;
  state.checkedFor = d.checkedFor ?? '';
  state.approved = d.approved;
  if (state.approved) $('approval').textContent = `Approved ${new Date(state.approved).toLocaleString()}.`;
  if (state.note) { renderNote(); document.body.dataset.note = 'ready'; }
  const n = $('draft-notice');
  n.textContent = `Draft restored (saved ${new Date(d.savedAt).toLocaleString()}).`;
  n.hidden = false;
  return true;
}

function onTranscriptInput() {
  if (state.note) { revokeApproval(); scheduleCheck(); }
  saveDraft();
}

// ---- wiring
async function main() {
  $('model-url').value = settings.modelUrl;
  $('asr-model-url').value = settings.asrModelUrl;
  $('temperature').value = settings.temperature;
  $('backend').value = settings.backend;
  $('save-settings').onclick = () => {
    settings.modelUrl = $('model-url').value.trim() || store.DEFAULT_SETTINGS.modelUrl;
    const asrUrl = $('asr-model-url').value.trim() || store.DEFAULT_SETTINGS.asrModelUrl;
    const backend = $('backend').value;
    if (asrUrl !== settings.asrModelUrl || backend !== settings.backend) asr.init(settings.wasmUrl, asrUrl, backend);
    settings.asrModelUrl = asrUrl;
    settings.temperature = Number($('temperature').value) || 0;
    settings.backend = backend;
    store.saveSettings(settings);
    startEngine();
  };
  $('clear-cache').onclick = () => worker.postMessage({ type: 'clear-cache' });
  $('record').onclick = toggleRecord;
  $('audio-file').onchange = (e) => e.target.files[0] && takeAudio(e.target.files[0], e.target.files[0].name);
  const dz = $('drop-zone');
  dz.ondragover = (e) => { e.preventDefault(); dz.classList.add('over'); };
  dz.ondragleave = () => dz.classList.remove('over');
  dz.ondrop = (e) => { e.preventDefault(); dz.classList.remove('over'); const f = e.dataTransfer.files[0]; if (f) takeAudio(f, f.name); };
  $('transcript').addEventListener('input', onTranscriptInput);
  $('template').onchange = async (e) => {
    state.templateLoading = true;  // no note under a half-switched template
    updateButtons();
    try { await loadTemplate(e.target.value); } finally { state.templateLoading = false; }
    state.note = null; state.check = null;
    revokeApproval();
    renderNote(); showSupport(); saveDraft();
  };
  $('generate').onclick = writeNote;
  $('cancel').onclick = () => worker.postMessage({ type: 'cancel' });
  $('approve').onclick = approve;
  for (const b of document.querySelectorAll('[data-export]')) b.onclick = () => exportNote(b.dataset.export);
  $('new-note').onclick = () => {
    store.clearDraft();
    state.note = null; state.check = null; state.approved = null;
    $('transcript').value = ''; $('stream').textContent = ''; $('approval').textContent = '';
    $('draft-notice').hidden = true;
    renderNote(); showSupport(); updateButtons();
  };
  window.addEventListener('pagehide', saveNow);
  if (!(await restoreDraft())) await loadTemplate('soap');
  renderAudit();
  updateButtons();
  startEngine();
  asr.init(settings.wasmUrl, settings.asrModelUrl, settings.backend);
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
}

main();

// app.js — the scribe's page: dictation (the microphone streamed as 16 kHz PCM to the speech worker, the
// transcript growing as phrases close; or a dropped file transcribed with progress), the editable
// transcript, the note written by the engine worker under a template's JSON Schema and shown as a form
// generated from that schema, support highlighting (each field's supporting transcript spans, flags for
// what the transcript does not say, "not checked" for values it gives no evidence for; words speech recognition
// was unsure of underlined, focusable and described, and values resting only on them flagged), approval, and export (Markdown, JSON, FHIR, print/PDF) — only after approval, each
// one recorded in the audit log. The draft is saved locally on every change and restored after a reload.
// The page never runs the engines itself: engine-worker.js (notes) and asr-worker.js (speech) do, so the UI
// stays responsive.
// Does not: send anything anywhere (the server's CSP allows connections to this origin, and to the Hugging Face
// hub only for a hub model the user names in Settings: the workers download it, hub.mjs).
import { decodeTo16k, peaks, startStreaming } from './audio.mjs';
import { Recognizer } from './asr.mjs';
import { renderForm, heading } from './schema-form.mjs';
import { acknowledge, ask, unlockDraft } from './dialogs.mjs';
import { auditLine, encounterLines, noteDiff, reviewFhir, reviewLines, reviewMarkdown } from './review.mjs';
import * as store from './store.mjs';
import { byteIndexMap, editMarks, marksToBytes, phraseMarks } from './speech-marks.mjs';
import { backendInfo, backendName, plainStatus, showAsrStatus, showProgress } from './engine-status.mjs';
import { Evidence, keepStatus, toInt16 } from './audio-evidence.mjs';
import { applyEdit, labelEdits } from './speaker-labels.mjs';
import { lendThreadWorkers } from '../wasm/threads-host.mjs';
import { hubEndpoint } from './hub.mjs';

const $ = (id) => document.getElementById(id);
const state = {
  template: 'soap', schemaText: '', schema: null,
  note: null, check: null, checkedFor: '', approved: null,
  engineReady: false, generating: false,
  marks: [], marksFor: '',  // uncertain speech in the transcript (speech-marks.mjs) and the text they index
};
const settings = store.loadSettings();
const evidence = new Evidence();  // the recording behind the transcript (audio-evidence.mjs)
const worker = new Worker('/engine-worker.js', { type: 'module' });
lendThreadWorkers(worker);  // its engine's threads are Workers of this page (threads-host.mjs says why)
const asr = new Recognizer(asrStatus);
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
      $('engine-status').textContent = `Engine ready: ${m.hub ? `${m.hub} from the hub` : m.model} (${(m.bytes / 1048576).toFixed(1)} MiB${m.cached ? ', from cache' : m.hub ? ', SHA-256 verified' : ''}${m.kept === false ? ', not kept: this browser has no Cache API, so it is downloaded again next time' : ''}) on ${backendName(m.backend, m.gpu)}` +
        (m.backend !== 'webgpu' && m.simd === 'relaxed' ? ', relaxed SIMD' : '') +
        (m.backend !== 'webgpu' && m.threads > 1 ? `, ${m.threads} threads` : '');
      $('backend-info').textContent = backendInfo(m);
      plainStatus(`Ready: notes are written on this device${m.backend === 'webgpu' ? ', on its graphics processor' : ''}. Nothing is sent anywhere.`);
      document.body.dataset.backend = m.backend;
      document.body.dataset.threads = m.threads ?? 1;  // the wasm CPU engine's (sotto-mt.wasm: more than 1)
      document.body.dataset.simd = m.simd ?? '';  // 'relaxed' (sotto-relaxed.wasm, sotto-mt-relaxed.wasm) or 'simd128'
      document.body.dataset.noteBackend = m.noteBackend;
      document.body.dataset.gpuWarmup = (m.gpu?.warmupTokens ?? []).join(',');  // the warm-up's tokens (tests compare them)
      document.body.dataset.engine = 'ready';
      delete document.body.dataset.engineError;
      document.body.dataset.model = m.hub ?? m.model;
      state.model = { name: m.model, sha256: m.sha256 };
      if (settings.modelHub && m.hub && settings.modelHub !== m.hub) {  // the file picked for OWNER/NAME, kept for next time
        settings.modelHub = m.hub;
        $('model-hub').value = m.hub;
        store.saveSettings(settings);
      }
      updateButtons();
      return;
    case 'backend':  // the WebGPU engine failed: notes go to the CPU from now on
      state.noteBackend = m.noteBackend;
      document.body.dataset.noteBackend = m.noteBackend;
      $('backend-info').textContent = `Notes are written on the wasm CPU: ${m.why}.`;
      return;
    case 'started': case 'text': case 'window': case 'prefill':
      if (streamHandler) streamHandler(m);
      return;
    case 'cache-cleared':
      $('engine-status').textContent = 'Cached models cleared.';
      plainStatus('The downloaded models were removed from this device; they download again when next needed.');
      return;
  }
  const p = pending.get(m.id);
  if (m.type === 'error' && !p) {
    if (m.kept) {  // a model that did not load: the engine goes on with the last good one
      $('engine-status').textContent = `Engine error: ${m.message} (still using ${m.kept.model})`;
      plainStatus('The chosen note-writing model could not be loaded; the previous one is still in use (see Technical details).');
      settings.modelUrl = m.kept.modelUrl;  // not saved as the model to load next time
      settings.modelHub = m.kept.hub ?? '';
      store.saveSettings(settings);
      state.engineReady = true;
      document.body.dataset.engine = 'ready';
      document.body.dataset.engineError = m.message;
      updateButtons();
      return;
    }
    $('engine-status').textContent = `Engine error: ${m.message}`;
    plainStatus('The note writer could not start (see Technical details). The transcript can still be recorded and edited.');
    document.body.dataset.engine = 'error';
    return;
  }
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'error') p.reject(new Error(m.message));
  else p.resolve(m);
};

function startEngine() {
  state.engineReady = false;
  document.body.dataset.engine = 'loading';
  updateButtons();
  $('backend-info').textContent = '';
  plainStatus('Getting ready…');
  worker.postMessage({ type: 'init', wasmUrl: settings.wasmUrl, modelUrl: settings.modelUrl, hub: hubOf(settings.modelHub),
                       backend: settings.backend });
}
// A hub model of the settings for a worker ({id, endpoint}: hub.mjs), or null for the model URL.
const hubOf = (id) => (id ? { id, endpoint: settings.hubEndpoint } : null);
let asrLoading = null, asrGood = null;  // the speech model being loaded, the last one that loaded: {url, hub}
function startAsr() {
  asrLoading = { url: settings.asrModelUrl, hub: settings.asrModelHub ?? '' };
  asr.init(settings.wasmUrl, settings.asrModelUrl, settings.backend, settings.speakerModelUrl, hubOf(settings.asrModelHub));
}
// The speech worker's status; a speech model that did not load is not saved as the one to load next time (a hub
// model would be asked for again at every start), the last one that loaded is.
function asrStatus(s) {
  showAsrStatus(s);
  if (s.state === 'ready') {
    asrGood = asrLoading;
    if (settings.asrModelHub && s.hub && settings.asrModelHub !== s.hub) {  // the file picked for OWNER/NAME
      settings.asrModelHub = asrGood.hub = s.hub;
      $('asr-model-hub').value = s.hub;
      store.saveSettings(settings);
    }
  } else if (s.state === 'error' && asrGood && (asrGood.url !== asrLoading?.url || asrGood.hub !== asrLoading?.hub)) {
    settings.asrModelUrl = asrGood.url;
    settings.asrModelHub = asrGood.hub;
    store.saveSettings(settings);
  }
}

// The hub's address: https://huggingface.co, or another (a mirror, a test's stand-in) given once as ?hub=URL in the
// page's address (?hub= alone: back to the default); kept in the settings, and taken out of the address bar.
function takeHubParam() {
  const q = new URLSearchParams(location.search);
  if (!q.has('hub')) return;
  try {
    settings.hubEndpoint = q.get('hub') ? hubEndpoint(q.get('hub')) : '';
    store.saveSettings(settings);
  } catch (e) {
    plainStatus(`The hub address in the page's address was not used: ${e.message}.`);
  }
  history.replaceState(null, '', location.pathname);
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
// Adds a phrase to the transcript (the live transcript: it grows as phrases close), with its uncertain words.
function appendTranscript(seg, clip) {
  const text = seg.text;
  if (!text) return;
  const t = $('transcript');
  syncMarks();
  const before = t.value;
  t.value = before && !/\s$/.test(before) ? `${before} ${text}` : before + text;
  state.marks = state.marks.concat(phraseMarks(seg, t.value.length - text.length));
  state.marksFor = t.value;
  evidence.sync(t.value); evidence.addPhrase(clip, t.value.length - text.length, t.value.length, seg.start, seg.end);
  t.scrollTop = t.scrollHeight;
  onTranscriptInput();
}

// The marks follow the user's edits of the transcript (text typed over is no longer uncertain speech).
function syncMarks() {
  const now = $('transcript').value;
  evidence.sync(now);
  if (state.marksFor !== now) { state.marks = editMarks(state.marks, state.marksFor, now); state.marksFor = now; }
}
const uncertainBytes = (transcript) => { syncMarks(); return marksToBytes(transcript, state.marks); };

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
      rec.clip = evidence.beginClip(rec.mic.sampleRate);
      rec.live = asr.stream((seg) => { appendTranscript(seg, rec.clip); showListening(); }, rec.mic.sampleRate);
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
    if (rec.clip != null) { evidence.endClip(rec.clip, pcm); keepAudio(); await labelSpeakers(rec.clip, pcm, rate, info); }
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
    let info = `${label}: ${seconds.toFixed(1)} s, ${pcm.length} samples at 16 kHz. `;
    // Audio that decodes: a new encounter, unless the user adds it to the transcript there is
    if (await newAudioTarget() === null) { $('audio-info').textContent = info + 'Not transcribed (cancelled).'; return; }
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
    const clip = evidence.beginClip(16000);
    evidence.endClip(clip, pcm);
    const segs = await asr.transcribe(pcm, (seg) => appendTranscript(seg, clip), (done, total) => {
      bar.value = done;
      $('audio-info').textContent = info + `Transcribing: ${Math.round((100 * done) / total)}%`;
    });
    bar.hidden = true;
    const took = (performance.now() - t0) / 1000;
    info += `Transcribed ${segs.length} phrase${segs.length === 1 ? '' : 's'} in ${took.toFixed(1)} s ` +
      `(${(seconds / took).toFixed(1)}x real time).`;
    $('audio-info').textContent = info;
    keepAudio();
    await labelSpeakers(clip, pcm, 16000, info);
    document.body.dataset.dictation = 'done';
  } catch (e) {
    $('asr-progress').hidden = true;
    $('audio-info').textContent = e.message;
    document.body.dataset.dictation = 'error';
  }
}

// Speaker labels for a recording just transcribed, as the Speakers choice asks: "Speaker N: " where the speaker
// changes (web/speaker-labels.mjs), one edit at a time so the uncertain-speech marks and the audio ranges follow.
async function labelSpeakers(clip, pcm, rate, info) {
  const want = $('speakers').value;
  if (want === 'off') return;
  const phrasesOf = () => { syncMarks(); return evidence.ranges.filter((r) => r.clip === clip).sort((a, b) => a.from - b.from); };
  const spans = phrasesOf().map((p) => [p.start, p.end]);
  if (!spans.length) return;
  document.body.dataset.speakers = 'labelling';
  $('audio-info').textContent = `${info} Finding who speaks when…`;
  try {
    const r = await asr.labelSpeakers(pcm, rate, spans, Number(want));
    const phrases = phrasesOf();  // where the phrases are now (the user may have typed meanwhile)
    if (phrases.length !== spans.length || phrases.some((p, i) => p.start !== spans[i][0])) {
      throw new Error('the transcript changed while they were found');
    }
    if (r.speakers > 1 || want !== '0') {
      const t = $('transcript');
      for (const e of labelEdits(t.value, phrases, r.labels)) { t.value = applyEdit(t.value, e); syncMarks(); }
      onTranscriptInput();
    }
    $('audio-info').textContent = `${info} ${r.speakers === 1 ? 'One speaker.' : `${r.speakers} speakers, labelled in the transcript.`}`;
    document.body.dataset.speakers = String(r.speakers);
  } catch (e) {
    $('audio-info').textContent = `${info} Speakers not labelled: ${e.message}.`;
    document.body.dataset.speakers = 'error';
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
  const template = state.template, schemaText = state.schemaText;
  if (!transcript.trim()) { $('gen-status').textContent = 'The transcript is empty.'; return; }
  state.generating = true;
  revokeApproval();
  updateButtons();
  $('stream').textContent = '';
  $('cancel').hidden = false;
  const keyboard = document.activeElement === $('generate');
  if (keyboard) $('cancel').focus();  // the disabled button would drop focus to the page top
  $('gen-status').textContent = 'Reading the transcript…';
  let n = 0, where = '';
  const t0 = performance.now();
  let win = '';
  streamHandler = (m) => {
    if (m.type === 'started') {
      where = backendName(m.backend);
      $('gen-status').textContent = m.windows > 1
        ? `Writing on ${where}: ${m.message.charAt(0).toUpperCase()}${m.message.slice(1)}.`
        : `Writing on ${where} (${m.nPrompt} prompt tokens)…`;
      return;
    }
    if (m.type === 'prefill') {
      $('gen-status').textContent = `Reading the transcript${win}: ${Math.round((100 * m.done) / Math.max(1, m.total))}%`;
      return;
    }
    if (m.type === 'window') {
      win = ` (window ${m.index + 1} of ${m.count})`;
      if (m.index > 0) $('stream').textContent += '\n';
      return;
    }
    $('stream').textContent += m.text;
    n = m.nTokens;
    const rate = n / ((performance.now() - t0) / 1000);
    $('gen-status').textContent = `Writing on ${where}${win}: ${n} tokens, ${rate.toFixed(rate < 10 ? 1 : 0)} tokens/s`;
  };
  try {
    const r = await call({ type: 'generate', schema: schemaText, transcript, uncertain: uncertainBytes(transcript), temperature: Number(settings.temperature) || 0,
                           seed: 1, maxTokens: 4000, visitDate: visitDateOrEmpty() });
    if (r.type === 'cancelled') { $('gen-status').textContent = 'Cancelled.'; return; }
    if (state.template !== template) {  // never render a note under another template's form
      $('gen-status').textContent = `The note was written under the ${template} template, which is no longer selected: discarded.`;
      return;
    }
    $('stream').textContent = r.text;
    state.note = JSON.parse(r.text);
    state.draftNote = JSON.parse(r.text);  // the model's note (a copy: edits change state.note in place)
    state.draftModel = state.model;
    applyCheck(r.check, transcript);
    $('gen-status').textContent = `Note written on ${backendName(r.backend)}: ${r.nTokens} tokens in ${r.seconds.toFixed(1)} s ` +
      `(${(r.nTokens / r.seconds).toFixed(0)} tokens/s).` +
      (r.windows ? ` ${r.windows.message.charAt(0).toUpperCase()}${r.windows.message.slice(1)}.` : '');
    document.body.dataset.noteWindows = r.windows ? String(r.windows.count) : '1';
    document.body.dataset.note = 'ready';
    renderNote();
    saveDraft();
  } catch (e) {
    $('gen-status').textContent = `Could not write the note: ${e.message}`;
  } finally {
    state.generating = false;
    streamHandler = null;
    const onCancel = document.activeElement === $('cancel') || document.activeElement === document.body;
    $('cancel').hidden = true;
    updateButtons();
    if (keyboard && onCancel) $('generate').focus();  // focus back on the control that was used
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
    const r = await call({ type: 'check', schema: state.schemaText, note: noteText, transcript, uncertain: uncertainBytes(transcript),
                          visitDate: visitDateOrEmpty() });
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

function showSupport() {
  const transcript = $('transcript').value;
  const view = $('transcript-view');
  const support = state.check?.support ?? [];
  const map = byteIndexMap(transcript);
  const cuts = new Set([0, transcript.length]);
  const spans = [];
  syncMarks();
  const marks = state.marks.filter((m) => m.to <= transcript.length);
  for (const m of marks) { cuts.add(m.from); cuts.add(m.to); }
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
  let inMark = null, into = frag;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, z] = [points[i], points[i + 1]];
    const text = transcript.slice(a, z);
    const paths = spans.filter((s) => s.from <= a && s.to >= z).map((s) => s.path);
    // Uncertain speech: one focusable element per mark, underlined (not colour alone) and described.
    const um = marks.find((m) => m.from <= a && m.to >= z) ?? null;
    if (um !== inMark) {
      inMark = um;
      into = frag;
      if (um) {
        into = document.createElement('span');
        into.className = 'uncertain';
        into.tabIndex = 0;
        const pct = Math.round(um.confidence * 100);
        const d = `Uncertain speech (confidence ${pct}%): ${um.reason}. Listen again before relying on it.`;
        into.title = d;
        into.setAttribute('aria-description', d);
        into.dataset.reason = um.reason;
        frag.append(into);
      }
    }
    if (paths.length) {
      const m = document.createElement('mark');
      m.textContent = text;
      m.dataset.paths = ' ' + paths.join(' ') + ' ';
      into.append(m);
    } else {
      into.append(text);
    }
    frag.append(...evidence.playButtons(spans, z));  // after each supported passage: its audio
  }
  view.replaceChildren(frag);
  let flagged = 0, unchecked = 0, speech = 0;
  for (const badge of document.querySelectorAll('[data-support-for]')) {
    const f = support.find((x) => x.path === badge.dataset.supportFor);
    const field = badge.closest('.field');
    field.classList.toggle('flagged', !!f?.flagged);
    field.classList.toggle('unchecked', f?.checked === false);
    if (!f) { badge.textContent = ''; badge.className = 'support'; continue; }
    if (f.flagged) {
      flagged++;
      const parts = [];
      if (f.unsupported.length) parts.push(`⚠ Not in the transcript: ${f.unsupported.join(', ')}`);
      if (f.uncertain_speech?.length) { speech++; parts.push(`⚠ Rests on uncertain speech (listen again): ${f.uncertain_speech.join(', ')}`); }
      badge.textContent = parts.join(' ');
      badge.className = f.uncertain_speech?.length ? 'support flag speech' : 'support flag';
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
  const onSpeech = speech ? ` ${speech} of them rest${speech > 1 ? '' : 's'} on speech the recognizer was unsure of: listen again.` : '';
  fs.textContent = flagged ? `${flagged} value${flagged > 1 ? 's' : ''} not supported by the transcript: check before approving.${onSpeech}${notChecked}`
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
  state.review = null;
  updateButtons();
}

async function approve() {
  if (!state.note) return;
  const approver = $('approver').value.trim();
  if (!approver) { $('approval').textContent = 'Enter your name as the approver first.'; $('approver').focus(); return; }
  clearTimeout(checkTimer);
  await recheck();  // approve and export what was checked
  const support = state.check?.support ?? [];
  const flags = support.filter((f) => f.flagged);
  const acknowledged = flags.length ? await acknowledge(flags) : [];
  if (!acknowledged) { $('approve').focus(); return; }
  const transcript = $('transcript').value;
  const review = {
    approver, acknowledged, encounter: encounter(),
    not_checked: support.filter((f) => f.checked === false).map((f) => ({ path: f.path, value: f.value, why: f.why })),
    edits: state.draftNote ? noteDiff(state.draftNote, state.note) : null,
    model: state.draftModel ?? state.model, template: state.template, template_sha256: await store.sha256(state.schemaText),
    transcript_sha256: await store.sha256(transcript),
  };
  state.approved = new Date().toISOString();
  review.time = state.approved;
  state.review = review;
  // the log keeps paths and hashes, no note text (it is not encrypted like the draft)
  const { encounter: enc, ...logged } = review;  // the patient's identity stays out of the log, as a hash
  await store.audit({ action: 'approve', ...logged, encounter_sha256: await store.sha256(JSON.stringify(enc)),
                      acknowledged: acknowledged.map((a) => a.path),
                      not_checked: review.not_checked.map((n) => n.path), edits: review.edits?.map((e) => e.path) ?? null });
  $('approval').textContent = `Approved by ${approver}, ${new Date(state.approved).toLocaleString()}` +
    (acknowledged.length ? ` (${acknowledged.length} flagged value${acknowledged.length > 1 ? 's' : ''} accepted).` : '.');
  updateButtons();
  await renderAudit();
  saveDraft();
  ($('exports').querySelector('button:not([disabled])') ?? $('approval')).focus();  // the next step: an export
}

// The encounter (the reviewer's own fields, not the model's): patient, identifier, visit date, author.
const ENCOUNTER = { patient: 'enc-patient', patient_id: 'enc-patient-id', visit_date: 'enc-date', author: 'enc-author' };
// The encounter's visit date for the prompt when it is a calendar date (the date input gives YYYY-MM-DD).
function visitDateOrEmpty() {
  const d = encounter().visit_date;
  return /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : '';
}

function encounter() {
  return Object.fromEntries(Object.entries(ENCOUNTER).map(([k, id]) => [k, $(id).value.trim()]));
}
function setEncounter(e) {
  for (const [k, id] of Object.entries(ENCOUNTER)) $(id).value = e?.[k] ?? '';
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

async function exportNote(format) {
  if (!state.approved || !state.note) return;  // the buttons are disabled too: nothing leaves unapproved
  const stamp = state.approved.replace(/[:.]/g, '-');
  const base = `${state.template}-note-${stamp}`;
  let name, mime, text;
  const head = (await store.verifyAudit(store.auditLog())).head ?? '';
  if (format === 'md') {
    text = reviewMarkdown(state.check.markdown, state.review, head);
    [name, mime] = [`${base}.md`, 'text/markdown'];
  } else if (format === 'json') {
    text = JSON.stringify({ template: state.template, title: state.schema.title, approved: state.approved,
                            encounter: state.review.encounter, review: { ...state.review, audit_head: head }, note: state.note }, null, 2);
    [name, mime] = [`${base}.json`, 'application/json'];
  } else if (format === 'fhir') {
    const r = await call({ type: 'fhir', schema: state.schemaText, note: JSON.stringify(state.note), args: {
      bundle_id: crypto.randomUUID(), composition_id: crypto.randomUUID(), timestamp: state.approved.replace(/\.\d+Z$/, 'Z'),
      ...(state.review.encounter.author ? { author: state.review.encounter.author } : {}) } });
    const b = reviewFhir(JSON.parse(r.text), state.review, state.approved.replace(/\.\d+Z$/, 'Z'), head);
    [name, mime, text] = [`${base}.fhir.json`, 'application/fhir+json', JSON.stringify(b, null, 2)];
  } else if (format === 'pdf') {
    fillPrintView(head);
    text = $('print-view').innerText;
    name = `${base} (print)`;
    pendingPrint = { template: state.template, file: name, bytes: new TextEncoder().encode(text).length, sha256: await store.sha256(text) };
    window.print();  // logged when the print dialog closes (afterprint), not when it opens
    return;
  }
  await store.audit({ action: 'export', format, template: state.template, file: name, bytes: new TextEncoder().encode(text).length,
                      sha256: await store.sha256(text) });
  await renderAudit();
  download(name, mime, text);
}

let pendingPrint = null;
window.addEventListener('afterprint', async () => {
  if (!pendingPrint) return;
  const p = pendingPrint;
  pendingPrint = null;
  // The browser does not say whether the dialog printed, saved a PDF or was cancelled: the entry says so.
  await store.audit({ action: 'export', format: 'pdf', ...p, note: 'print dialog closed (printed, saved as PDF or cancelled)' });
  await renderAudit();
});

function fillPrintView(head) {
  const pv = $('print-view');
  const h1 = document.createElement('h1');
  h1.textContent = state.schema.title;
  const meta = document.createElement('p');
  meta.textContent = `Approved by ${state.review.approver}, ${new Date(state.approved).toLocaleString()}`;
  pv.replaceChildren(h1, meta, ...encounterLines(state.review.encounter).map((l) => { const p = document.createElement('p'); p.textContent = l; return p; }));
  const text = (v) => v === null ? 'not stated' : Array.isArray(v) ? v.map(text).join('\n') : v && typeof v === 'object'
    ? Object.entries(v).map(([k, x]) => `${heading(k)}: ${text(x)}`).join('; ') : String(v ?? '');
  for (const [k] of Object.entries(state.schema.properties)) {
    const h2 = document.createElement('h2');
    h2.textContent = heading(k);
    const p = document.createElement('p');
    p.textContent = text(state.note[k]) || '(none)';
    pv.append(h2, p);
  }
  const h2 = document.createElement('h2');
  h2.textContent = 'Review';
  pv.append(h2, ...[...reviewLines(state.review), `Audit log head: ${head}`].map((l) => { const p = document.createElement('p'); p.textContent = l; return p; }));
}

async function renderAudit() {
  const log = store.auditLog();
  const v = await store.verifyAudit(log);
  const st = $('audit-status');
  st.textContent = v.ok
    ? `${v.entries} entr${v.entries === 1 ? 'y' : 'ies'}, hash chain intact${v.head ? ` (head ${v.head.slice(0, 16)}…)` : ''}` +
      (v.legacy ? `; ${v.legacy} older entr${v.legacy === 1 ? 'y' : 'ies'} from before the chain, not verifiable.` : '.')
    : `The audit log was altered: entry ${v.bad + 1} ${v.why}.`;
  st.className = v.ok ? '' : 'flag';
  document.body.dataset.audit = v.ok ? 'intact' : 'altered';
  $('audit-log').replaceChildren(...log.slice(-50).map((e) => {
    const li = document.createElement('li');
    li.textContent = auditLine(e);
    return li;
  }));
}

function updateButtons() {
  const fresh = state.note && state.checkedFor === JSON.stringify(state.note) + '\u0000' + $('transcript').value;
  const empty = !$('transcript').value.trim();
  $('generate').disabled = !state.engineReady || state.generating || !!state.templateLoading || empty;
  $('generate').title = empty ? 'Record, open or type a transcript first' : '';
  $('template').disabled = state.generating || !!state.templateLoading;  // a note is written under one template
  document.body.dataset.template = state.templateLoading ? '' : state.template;
  $('approve').disabled = !state.note || !state.engineReady || state.generating || !!state.approved || !$('approver').value.trim();
  for (const b of document.querySelectorAll('[data-export]')) b.disabled = !state.approved || !fresh;
  document.body.dataset.approved = state.approved ? 'yes' : 'no';
}

// ---- confirmations and undo
let undoSnap = null;
function snapshot() {
  return { transcript: $('transcript').value, template: state.template, note: state.note, check: state.check,
           checkedFor: state.checkedFor, approved: state.approved, review: state.review, draftNote: state.draftNote,
           draftModel: state.draftModel, encounter: encounter(), marks: state.marks, marksFor: state.marksFor,
           stream: $('stream').textContent, evidence: evidence.snapshot(), keepAudio: $('keep-audio').checked,
           approval: $('approval').textContent };
}

// Sets the current work aside (restorable by Undo until the next discard) and clears it.
// Keeps `snap` for Undo (until the next set-aside) and says what was set aside.
function offerUndo(snap, what) {
  undoSnap = snap;
  $('undo-text').textContent = `${what} Undo brings it back.`;
  $('undo-bar').hidden = false;
  document.body.dataset.undo = 'ready';
}

// The note and all that belongs to it (check, approval, review, the model's draft); the transcript stays.
function clearNote() {
  state.note = null; state.check = null; state.approved = null; state.checkedFor = '';
  state.review = null; state.draftNote = null; state.draftModel = null;
  $('stream').textContent = ''; $('approval').textContent = '';
  delete document.body.dataset.note;
}

function discardWork(what) {
  const snap = snapshot();
  clearNote();
  state.marks = []; state.marksFor = '';
  evidence.restore(null); $('keep-audio').checked = false; keepAudio();
  setEncounter(null);
  $('transcript').value = '';
  $('draft-notice').hidden = true;
  renderNote(); showSupport(); updateButtons(); saveNow();
  offerUndo(snap, what);
}

async function undoDiscard() {
  const u = undoSnap;
  if (!u) return;
  undoSnap = null;
  if (u.template !== state.template) await loadTemplate(u.template);
  $('transcript').value = u.transcript;
  Object.assign(state, { note: u.note, check: u.check, checkedFor: u.checkedFor, approved: u.approved, review: u.review,
                        draftNote: u.draftNote, draftModel: u.draftModel });
  setEncounter(u.encounter);
  state.marks = u.marks ?? []; state.marksFor = u.marksFor ?? '';
  evidence.restore(u.evidence); $('keep-audio').checked = u.keepAudio; keepAudio();
  $('stream').textContent = u.stream;
  $('approval').textContent = u.approval;
  if (state.note) document.body.dataset.note = 'ready';
  renderNote(); showSupport(); updateButtons(); saveNow();
  $('undo-bar').hidden = true;
  $('undo-text').textContent = '';
  document.body.dataset.undo = 'done';
  $('transcript').focus();
}

const hasWork = () => !!($('transcript').value.trim() || state.note);

// Before new audio: a new encounter (the current one set aside, undoable) unless the user appends.
async function newAudioTarget() {
  if (!hasWork()) return 'new';
  const c = await ask('The transcript already has text. Start a new encounter for this audio, or add it to the current transcript?',
                      [['new', 'New encounter'], ['append', 'Add to this transcript'], [null, 'Cancel']]);
  if (c === 'new') discardWork('The previous transcript and note were set aside for the new encounter.');
  return c;
}

// ---- drafts
let saveTimer = 0;
function saveDraft() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(saveNow, 200);
}
function saveNow() {
  clearTimeout(saveTimer);
  syncMarks();
  store.saveDraft({ transcript: $('transcript').value, template: state.template, note: state.note, check: state.check,
                    checkedFor: state.checkedFor, approved: state.approved, review: state.review,
                    draftNote: state.draftNote, draftModel: state.draftModel, encounter: encounter(),
                    marks: state.marks, audio: evidence.meta(), keepAudio: $('keep-audio').checked }).then(showDraftPath);
}

// Where drafts go (store.draftPath): said on the page where it is not this device, unless the user chose that
// (shared computer); data-drafts = 'device' | 'memory', data-drafts-why = the reason (tests).
let draftPath = null;
function showDraftPath(p) {
  if (!p) return;
  const keyChanged = (draftPath?.why === 'no-key') !== (p.why === 'no-key');
  draftPath = p;
  document.body.dataset.drafts = p.where;
  document.body.dataset.draftsWhy = p.why;
  const n = $('draft-storage');
  n.hidden = p.where !== 'memory' || p.why === 'shared';
  n.textContent = p.why === 'no-key' ? `Drafts are kept in this page only and will not survive a reload: ${p.detail}. ` +
      'Set a passphrase (Settings) to keep them on this device, encrypted.'
    : p.why === 'too-large' ? `This draft is kept in this page only and will not survive a reload: ${p.detail}.`
    : p.why === 'no-storage' ? `Drafts are kept in this page only and will not survive a reload: ${p.detail}.` : '';
  if (keyChanged && store.lockState() === 'none') showPassphraseState();  // its words depend on a kept key
}
let noRecordingStore = false;  // no IndexedDB: a recording stays in the page's memory (store.recordingStore)

// The recording: kept on this device (encrypted, store.mjs) only with the user's consent, else in memory only.
function keepAudio() {
  if ($('keep-audio').checked && evidence.complete) store.saveAudio(toInt16(evidence.clips)); else store.clearAudio();
  $('keep-audio-status').textContent = keepStatus(evidence, $('keep-audio').checked, settings.sharedComputer, noRecordingStore);
  saveNow();
}

async function restoreDraft() {
  let d = await store.loadDraft();
  if (d?.locked) {
    if (await unlockDraft((p) => store.unlock(p)) === 'forget') {
      store.forgetLocked();
      showPassphraseState();
      return false;
    }
    d = await store.loadDraft();
  }
  if (d?.cleared) {
    const n = $('draft-notice');
    n.textContent = `${d.cleared.charAt(0).toUpperCase()}${d.cleared.slice(1)}.`;
    n.hidden = false;
    return false;
  }
  if (!d) { store.clearAudio(); return false; }
  await loadTemplate(d.template ?? 'soap');
  $('transcript').value = d.transcript ?? '';
  state.marks = Array.isArray(d.marks) ? d.marks : [];
  state.marksFor = $('transcript').value;
  $('keep-audio').checked = !!d.keepAudio;
  evidence.load(d.audio, $('transcript').value, d.keepAudio ? await store.loadAudio() : (store.clearAudio(), null));
  $('keep-audio-status').textContent = keepStatus(evidence, !!d.keepAudio, settings.sharedComputer, noRecordingStore);
  state.note = d.note;
  state.check = d.check;
  state.checkedFor = d.checkedFor ?? '';
  state.approved = d.approved;
  state.review = d.review ?? null;
  setEncounter(d.encounter);
  state.draftNote = d.draftNote ?? null;
  state.draftModel = d.draftModel ?? null;
  if (state.approved) $('approval').textContent = `Approved ${new Date(state.approved).toLocaleString()}.`;
  if (state.note) { renderNote(); document.body.dataset.note = 'ready'; } else showSupport();
  const n = $('draft-notice');
  n.textContent = `Draft restored (saved ${new Date(d.savedAt).toLocaleString()}).`;
  n.hidden = false;
  return true;
}

function onTranscriptInput() {
  syncMarks();
  updateButtons();
  if (state.note) { revokeApproval(); scheduleCheck(); } else showSupport();
  saveDraft();
}

// The passphrase over drafts (store.mjs): set, changed or removed at once; what is stored is written again under it.
function showPassphraseState() {
  const st = store.lockState();
  $('passphrase-state').textContent = settings.sharedComputer ? 'On a shared computer no draft is kept, so there is nothing to protect.'
    : st === 'none' && draftPath?.why === 'no-key' ? 'No passphrase: this browser keeps no key for drafts, so they stay in this page only; a passphrase keeps them on this device, encrypted.'
    : st === 'none' ? 'No passphrase: drafts are encrypted with a key only this browser can use.'
    : 'Drafts are protected by a passphrase: it is asked each time the page opens.';
  $('remove-passphrase').disabled = st === 'none';
  $('set-passphrase').textContent = st === 'none' ? 'Set passphrase' : 'Change passphrase';
}
async function changePassphrase(remove) {
  const p = $('passphrase').value;
  try {
    if (remove) await store.removePassphrase();
    else if (p.length < 8) throw new Error('the passphrase needs at least 8 characters');
    else await store.setPassphrase(p);
    $('passphrase').value = '';
    keepAudio();  // the draft and the kept recording, written again under the new key
    showPassphraseState();
    $('passphrase-state').textContent += remove ? ' (Passphrase removed.)' : ' (Passphrase set.)';
  } catch (e) {
    $('passphrase-state').textContent = `Not changed: ${e.message}.`;
  }
}

// ---- wiring
async function main() {
  takeHubParam();
  $('model-url').value = settings.modelUrl;
  $('asr-model-url').value = settings.asrModelUrl;
  $('model-hub').value = settings.modelHub ?? '';
  $('asr-model-hub').value = settings.asrModelHub ?? '';
  $('hub-host').textContent = new URL(hubEndpoint(settings.hubEndpoint)).host;
  $('temperature').value = settings.temperature;
  $('clear-after').value = settings.clearAfterHours;
  $('shared-computer').checked = !!settings.sharedComputer;
  $('backend').value = settings.backend;
  $('speakers').value = settings.speakers ?? 'off';
  $('speakers').onchange = () => { settings.speakers = $('speakers').value; store.saveSettings(settings); };
  $('save-settings').onclick = () => {
    settings.modelUrl = $('model-url').value.trim() || store.DEFAULT_SETTINGS.modelUrl;
    settings.modelHub = $('model-hub').value.trim();
    const asrUrl = $('asr-model-url').value.trim() || store.DEFAULT_SETTINGS.asrModelUrl;
    const asrHub = $('asr-model-hub').value.trim();
    const backend = $('backend').value;
    const asrChanged = asrUrl !== settings.asrModelUrl || asrHub !== settings.asrModelHub || backend !== settings.backend;
    settings.asrModelUrl = asrUrl;
    settings.asrModelHub = asrHub;
    settings.temperature = Number($('temperature').value) || 0;
    settings.clearAfterHours = Math.max(0, Number($('clear-after').value) || 0);
    settings.sharedComputer = $('shared-computer').checked;
    if (settings.sharedComputer) { store.saveSettings(settings); saveNow(); }  // the stored draft goes now
    settings.backend = backend;
    store.saveSettings(settings);
    if (asrChanged) startAsr();
    keepAudio();  // on a shared computer the kept recording goes too
    showPassphraseState();
    startEngine();
  };
  $('clear-cache').onclick = () => worker.postMessage({ type: 'clear-cache' });
  $('set-passphrase').onclick = () => changePassphrase(false);
  $('remove-passphrase').onclick = () => changePassphrase(true);
  showPassphraseState();
  $('record').onclick = async () => {
    if (!recording && await newAudioTarget() === null) return;
    toggleRecord();
  };
  // The bundled example: a clinical dictation (samples/visit-soap.wav, espeak-ng) through the whole path.
  $('try-example').onclick = async () => {
    try {
      const r = await fetch('/samples/visit-soap.wav');
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      if (state.template !== 'soap' && !state.note) await loadTemplate('soap');
      takeAudio(await r.blob(), 'Example dictation (samples/visit-soap.wav)');
    } catch (e) {
      $('audio-info').textContent = `The example could not be loaded (${e.message}).`;
    }
  };
  $('audio-file').onchange = async (e) => {
    const f = e.target.files[0];
    e.target.value = '';
    if (f) takeAudio(f, f.name);
  };
  const dz = $('drop-zone');
  dz.ondragover = (e) => { e.preventDefault(); dz.classList.add('over'); };
  dz.ondragleave = () => dz.classList.remove('over');
  dz.ondrop = async (e) => {
    e.preventDefault();
    dz.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) takeAudio(f, f.name);
  };
  $('transcript').addEventListener('input', onTranscriptInput);
  $('keep-audio').onchange = keepAudio;
  for (const id of Object.values(ENCOUNTER)) $(id).addEventListener('input', () => { revokeApproval(); saveDraft(); });
  $('enc-date').addEventListener('change', () => { if (state.note) scheduleCheck(); });  // relative dates resolve against it
  $('template').onchange = async (e) => {
    const name = e.target.value, old = state.template;
    const label = (v) => $('template').querySelector(`option[value="${v}"]`)?.textContent ?? v;
    if (state.note) {
      const c = await ask(`Switch to the ${label(name)} template? The ${label(old)} note and its edits are set aside (Undo brings them back).`,
                          [['switch', `Switch to ${label(name)}`], [null, `Keep the ${label(old)} note`]]);
      if (c !== 'switch') { $('template').value = old; return; }
    }
    state.templateLoading = true;  // no note under a half-switched template
    updateButtons();
    try {
      await loadTemplate(name);
    } catch (err) {
      $('template').value = old;
      $('gen-status').textContent = `The ${label(name)} template could not be loaded (${err.message}); ` +
        `it is kept for offline use once loaded while online. Still using ${label(old)}.`;
      return;
    } finally {
      state.templateLoading = false;
      updateButtons();
    }
    if (state.note) {
      const snap = { ...snapshot(), template: old };  // taken after the switch: the note's template is the old one
      clearNote();
      offerUndo(snap, `The ${label(old)} note was set aside.`);
    }
    revokeApproval();
    renderNote(); showSupport(); saveDraft();
  };
  $('generate').onclick = writeNote;
  $('cancel').onclick = () => worker.postMessage({ type: 'cancel' });
  $('approve').onclick = approve;
  $('approver').value = settings.approver ?? '';
  $('approver').oninput = () => { settings.approver = $('approver').value; store.saveSettings(settings); updateButtons(); };
  $('export-audit').onclick = async () => {
    const log = store.auditLog();
    const v = await store.verifyAudit(log);
    download(`sotto-audit-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, 'application/json',
             JSON.stringify({ verified: v, entries: log }, null, 2));
  };
  for (const b of document.querySelectorAll('[data-export]')) b.onclick = () => exportNote(b.dataset.export);
  $('new-note').onclick = async () => {
    if (!hasWork()) return;
    const c = await ask('Start a new note? The transcript and the note are set aside (Undo brings them back until the next discard).',
                        [['discard', 'Start a new note'], [null, 'Keep working']]);
    if (c === 'discard') discardWork('The transcript and note were set aside.');
  };
  $('undo').onclick = undoDiscard;
  window.addEventListener('pagehide', () => { if (settings.sharedComputer) store.clearDraft(); else saveNow(); });
  // The engines load while a locked draft waits for its passphrase.
  startEngine();
  startAsr();
  noRecordingStore = !(await store.recordingStore());
  showDraftPath(await store.draftPath());
  if (!(await restoreDraft())) await loadTemplate('soap');
  renderAudit();
  updateButtons();
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
  // Every template into the app shell's cache (sw.js answers from it offline), not only those opened online.
  if (self.caches) {
    caches.open('sotto-shell-v1').then((c) => c.addAll([...$('template').options].map((o) => `/templates/${o.value}.schema.json`)))
      .then(() => { document.body.dataset.templatesCached = 'yes'; }).catch(() => {});
  }
}

main();

// voice.mjs — the voice control panel (web/voice/index.html; issue 19): a factory panel driven by spoken or typed
// commands of a JSON command set (web/voice/factory.json, editable on the page). The engine runs in the speech worker
// (../asr-worker.js through ../asr.mjs Recognizer): the speech model on the wasm CPU cuts the microphone's audio (or a
// WAV file's, fed in real time in 100 ms chunks as a microphone's come) into phrases, shows what the open phrase says so far
// (partial text every 300 ms of audio, `sotto listen --partial 300`), and maps each closed phrase to one command or
// to "not a command" (the matcher of `sotto listen`, wasm/commands-abi.cpp). Typed text goes to the same matcher.
// Each action is logged (time, what was heard, the command and slots or why it is not one, its latency: end of the
// phrase known -> action, as the CLI measures it, and -> drawn on the page); a command marked confirm: true acts only after the dialog's
// confirmation (Cancel, Escape: nothing changes); the panel (panel.mjs) shows the result. "Bias the speech decoder"
// turns on `sotto listen --bias` for the next recording or file (the log then says when the constrained text was taken);
// "End a command after 150 ms" turns on `sotto listen --endpoint 150 --endpoint-decode 80` (the log then adds end of
// speech -> action).
// The page's data attributes say where it is (tests): body[data-engine] loading | ready | error, body[data-commands]
// ready | error, body[data-busy] while a recording or a file is being heard.
// Does not: send anything anywhere (the server's CSP allows this origin only), or keep the log across visits.
import { Recognizer } from '../asr.mjs';
import { decodeTo16k, startStreaming } from '../audio.mjs';
import { ask } from '../dialogs.mjs';
import { AREAS, apply, confirmQuestion, describeAction, newPanel } from './panel.mjs';

const WASM_URL = '/engine/sotto.wasm';
const ASR_URL = '/models/asr.gguf';
const SET_URL = '/voice/factory.json';
const PARTIAL_MS = 300;  // partial text at most every 300 ms of audio
// "End a command after 150 ms of silence": `sotto listen --endpoint 150 --endpoint-decode 80` (docs/voice.md)
const ENDPOINT_MS = 150, ENDPOINT_DECODE_MS = 80;
const CHUNK = 1600;      // a WAV file is fed 100 ms at a time, as the microphone's worklet posts it
// The page's files and those of its workers, put in the app shell's cache (../sw.js answers from it offline) on the first
// visit, before the service worker controls a load; the engine and the model are in the engine worker's cache.
const SHELL = ['/voice/', '/voice/voice.mjs', '/voice/panel.mjs', '/voice/voice.css', SET_URL, '/style.css', '/asr.mjs',
               '/audio.mjs', '/dialogs.mjs', '/pcm-worklet.js', '/asr-worker.js', '/engine-asr.mjs', '/gpu-policy.mjs',
               '/fetch-cache.mjs', '/hub.mjs', '/engine-wasm.mjs', '/wasm/asr.mjs', '/wasm/sotto.mjs', '/wasm/threads-host.mjs',
               '/wasm/thread-worker.mjs', '/wasm/gpu-host.mjs'];

const $ = (id) => document.getElementById(id);
const oneLine = (e) => String(e?.message ?? e).split('\n')[0];
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

let panel = newPanel();
let actions = Promise.resolve();  // actions run one after another (a confirmation holds the ones after it)
let hasSet = false, speechReady = false, busy = null;  // busy: 'listen' | 'file'
let partials = 0;                 // partial texts shown for the phrase being spoken
let queued = 0;                   // actions waiting or running
const clock = () => performance.timeOrigin + performance.now();  // the worker's clock too (decided_at)

const asr = new Recognizer(showStatus);

function setPlain(text) { $('plain-status').textContent = text; }

function showStatus(s) {
  const bar = $('engine-progress');
  if (s.state === 'loading') {
    document.body.dataset.engine = 'loading';
    const p = s.progress;
    if (p?.phase === 'download' && p.total) { bar.max = p.total; bar.value = p.loaded; }
    $('engine-status').textContent = p ? `Loading the ${p.what ?? 'engine'} (${p.phase})…` : 'Loading…';
    setPlain('Getting the speech engine ready…');
  } else if (s.state === 'ready') {
    document.body.dataset.engine = 'ready';
    speechReady = true;
    bar.hidden = true;
    $('engine-status').textContent = `Speech model ${s.model} (${(s.bytes / 1e6).toFixed(1)} MB${s.cached ? ', from the cache' : ''}) on ` +
      `${s.backend === 'webgpu' ? `WebGPU (${s.adapter})` : `the wasm CPU, ${s.threads} thread${s.threads === 1 ? '' : 's'}`}`;
    setPlain('Ready: speak, play a WAV file or type a command.');
  } else {
    document.body.dataset.engine = 'error';
    bar.hidden = true;
    $('engine-status').textContent = `Speech engine error: ${s.message}`;
    setPlain(hasSet ? 'Speech recognition is not available here; typed commands still work.' : 'The engine could not start.');
  }
  updateControls();
}

function updateControls() {
  $('listen').disabled = !speechReady || busy === 'file';
  $('wav-file').disabled = !speechReady || !!busy;
  $('bias').disabled = $('endpoint').disabled = !!busy || !hasSet;
  $('utterance').disabled = $('run-typed').disabled = !hasSet;
  $('listen').setAttribute('aria-pressed', String(busy === 'listen'));
  $('listen').textContent = busy === 'listen' ? '■ Stop listening' : '● Listen';
  if (busy) document.body.dataset.busy = busy; else delete document.body.dataset.busy;
}

// ---- the panel
function render() {
  $('lines').tBodies[0].replaceChildren(...panel.lines.map((l) => {
    const tr = el('tr');
    tr.dataset.line = l.line;
    tr.append(el('th', null, `Line ${l.line}`), el('td', l.running ? 'running' : 'stopped', l.running ? 'Running' : 'Stopped'),
              el('td', 'speed', `${l.speed} %`));
    tr.firstChild.scope = 'row';
    return tr;
  }));
  $('lights').replaceChildren(...AREAS.map((a) => {
    const li = el('li', panel.lights[a] ? 'light-on' : 'light-off', `${a[0].toUpperCase()}${a.slice(1)}: ${panel.lights[a] ? 'on' : 'off'}`);
    li.dataset.area = a;
    return li;
  }));
  renderTimers();
  const d = panel.defects;
  $('defects').replaceChildren(...(d.length ? d.slice(-20).reverse().map((x) =>
    el('li', null, `${new Date(x.at).toLocaleTimeString()}: ${x.defect} on line ${x.line}`)) : [el('li', 'muted', 'None logged')]));
  $('defects').dataset.count = d.length;
}

function renderTimers() {
  const now = Date.now();
  $('timers').replaceChildren(...(panel.timers.length ? panel.timers.map((t) => {
    const left = Math.max(0, Math.ceil((t.ends - now) / 1000));
    return el('li', null, `Timer ${t.id} (${t.minutes} min): ${left ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')} left` : 'done'}`);
  }) : [el('li', 'muted', 'None running')]));
  $('timers').dataset.count = panel.timers.length;
}
setInterval(() => { if (panel.timers.length) renderTimers(); }, 1000);

// ---- the action log
function logEntry({ text, action, latencyMs, source, partialCount, speechToActionMs, endpoint }) {  // -> the <li>
  const li = el('li');
  li.dataset.source = source;
  li.dataset.command = action.command ?? '';
  if (latencyMs !== null) li.dataset.latencyMs = latencyMs.toFixed(1);
  if (partialCount !== undefined) li.dataset.partials = partialCount;
  const time = el('time', null, new Date().toLocaleTimeString());
  time.dateTime = new Date().toISOString();
  const heard = el('span', 'heard', `“${text}”`);
  // Biased decoding took the constrained text: say what the free decode heard.
  if (action.decoded === 'command') heard.textContent += ` (heard “${action.heard}”, decoded toward the commands)`;
  if (action.decoded) li.dataset.decoded = action.decoded;
  const what = action.command ? el('span', 'command', describeAction(action)) : el('span', 'not-command', `not a command: ${action.reason}`);
  const result = el('span', 'result');
  const latency = el('span', 'latency', latencyMs === null ? 'typed' : `${latencyMs.toFixed(1)} ms`);
  li.append(time, ' ', heard, ' → ', what, ' ', result, ' · ');
  // With "End a command after 150 ms": end of speech -> action (the silence waited included), and why it closed.
  if (speechToActionMs !== undefined) {
    li.dataset.speechMs = speechToActionMs.toFixed(1);
    li.dataset.endpoint = endpoint;
    li.append(el('span', 'speech-latency', `${speechToActionMs.toFixed(0)} ms from the end of speech` +
                 `${endpoint === 'complete' ? ' (ended early)' : ''}`), ' · ');
  }
  li.append(latency);
  $('log').prepend(li);
  return li;
}

function outcome(li, kind, text) {
  li.dataset.outcome = kind;
  const r = li.querySelector('.result');
  r.className = `result ${kind}`;
  r.textContent = text ? `(${text})` : '';
}

async function runAction(entry) {
  const li = logEntry(entry);
  const a = entry.action;
  if (!a.command) {
    outcome(li, 'not-command', '');
    return screenTime(li, entry);
  }
  if (a.confirm) {
    outcome(li, 'pending', 'waiting for confirmation');
    const choice = await ask(confirmQuestion(a), [['run', `Yes: ${describeAction(a)}`], [null, 'Cancel']]);
    if (choice !== 'run') return outcome(li, 'cancelled', 'cancelled: nothing changed');
  }
  const r = apply(panel, a);
  const changed = r.state !== panel;
  panel = r.state;
  render();
  outcome(li, changed ? 'done' : 'no-control', r.said);
  if (entry.decidedAt && !a.confirm) screenTime(li, entry);
}

// End of phrase -> drawn on the page: the engine's latency plus the message to the page and the drawing, shown for a
// phrase that did not wait behind another action (a confirmation dialog).
function screenTime(li, entry) {
  if (!entry.decidedAt || entry.waited) return;
  requestAnimationFrame(() => {
    const ms = entry.latencyMs + Math.max(0, clock() - entry.decidedAt);
    li.dataset.screenMs = ms.toFixed(1);
    li.querySelector('.latency').textContent += ` (${ms.toFixed(1)} ms to the screen)`;
  });
}

function act(entry) {
  entry.waited = queued++ > 0;
  actions = actions.then(() => runAction(entry)).catch((e) => setPlain(`Could not run the action: ${oneLine(e)}`))
    .finally(() => { queued--; });
  return actions;
}

// ---- the command set
async function useSet(text, name) {
  try {
    const cmds = await asr.loadCommands(WASM_URL, text, name);
    hasSet = true;
    $('set-error').textContent = '';
    document.body.dataset.commands = 'ready';
    $('command-list').replaceChildren(...cmds.map((c) => {
      const li = el('li');
      li.append(el('strong', null, c.name), c.confirm ? ' (asks first): ' : ': ');
      c.say.forEach((p, i) => { if (i) li.append(' or '); li.append(el('code', null, p)); });
      return li;
    }));
  } catch (e) {
    $('set-error').textContent = `Not used (${hasSet ? 'the panel keeps the set it had' : 'no command set yet'}): ${oneLine(e)}`;
    document.body.dataset.commands = hasSet ? 'ready' : 'error';
    document.body.dataset.setError = String(Date.now());
  }
  updateControls();
}

// ---- speech in
function onSegment(source) {
  return (seg) => {
    $('partial').textContent = '';
    act({ text: seg.action?.text ?? seg.text, action: seg.action ?? { command: null, reason: 'no command set' }, latencyMs: seg.latency_ms, source,
          partialCount: partials, decidedAt: seg.decided_at, speechToActionMs: seg.speech_to_action_ms, endpoint: seg.endpoint });
    partials = 0;
  };
}
const onPartial = (p) => {
  partials++;
  document.body.dataset.partials = String(Number(document.body.dataset.partials ?? 0) + 1);
  $('partial').textContent = p.text;
};

let rec = null;  // {mic, live, early}
async function startListening() {
  busy = 'listen';
  updateControls();
  partials = 0;
  rec = { early: [] };
  try {
    rec.mic = await startStreaming((chunk) => { if (rec?.live) rec.live.push(chunk); else rec?.early.push(chunk); });
    rec.live = asr.stream(onSegment('microphone'), rec.mic.sampleRate, { partialMs: PARTIAL_MS, commands: true, bias: $('bias').checked,
                                                         endpointMs: $('endpoint').checked ? ENDPOINT_MS : 0,
                                                         endpointDecodeMs: ENDPOINT_DECODE_MS, onPartial });
    for (const c of rec.early) rec.live.push(c);
    setPlain('Listening: say a command.');
  } catch (e) {
    rec = null;
    busy = null;
    updateControls();
    setPlain(`The microphone could not be used: ${oneLine(e)}`);
  }
}

async function stopListening() {
  const r = rec;
  rec = null;
  try {
    await r.mic.stop();
    await r.live.end();
    setPlain('Stopped listening.');
  } catch (e) {
    setPlain(`Listening failed: ${oneLine(e)}`);
  } finally {
    busy = null;
    updateControls();
    $('partial').textContent = '';
  }
}

async function playFile(file) {
  busy = 'file';
  updateControls();
  partials = 0;
  try {
    const { pcm, seconds } = await decodeTo16k(file);
    setPlain(`Hearing ${file.name} (${seconds.toFixed(1)} s)…`);
    const live = asr.stream(onSegment('file'), 16000, { partialMs: PARTIAL_MS, commands: true, bias: $('bias').checked,
                                                         endpointMs: $('endpoint').checked ? ENDPOINT_MS : 0,
                                                         endpointDecodeMs: ENDPOINT_DECODE_MS, onPartial });
    // In real time, 100 ms at a time, as the microphone's chunks come (on a fixed schedule: no drift).
    const start = performance.now();
    for (let i = 0, k = 0; i < pcm.length; i += CHUNK, k++) {
      const wait = start + k * 100 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      live.push(pcm.subarray(i, i + CHUNK));
    }
    const segs = await live.end();
    setPlain(`${file.name}: ${segs.length} phrase${segs.length === 1 ? '' : 's'} heard.`);
  } catch (e) {
    const msg = oneLine(e);
    setPlain(msg.startsWith(`${file.name}: `) ? msg : `${file.name}: ${msg}`);  // decodeTo16k's errors name the file
  } finally {
    $('partial').textContent = '';
    busy = null;
    updateControls();
  }
}

// ---- start
async function main() {
  render();
  updateControls();
  asr.init(WASM_URL, ASR_URL, 'cpu');  // the wasm CPU: partial text needs it (on WebGPU a decode waits for the host)
  $('listen').onclick = () => (rec ? stopListening() : startListening());
  $('wav-file').onchange = () => { const f = $('wav-file').files[0]; $('wav-file').value = ''; if (f) playFile(f); };
  $('type-form').onsubmit = async (e) => {
    e.preventDefault();
    const text = $('utterance').value.trim();
    if (!text) return;
    $('utterance').value = '';
    try {
      const r = await asr.matchCommand(text);
      await act({ text, action: r.action, latencyMs: null, source: 'typed' });
    } catch (err) {
      setPlain(`Could not read that command: ${oneLine(err)}`);
    }
    $('utterance').focus();
  };
  $('apply-set').onclick = () => useSet($('set-json').value, 'command set');
  $('set-file').onchange = async () => {
    const f = $('set-file').files[0];
    $('set-file').value = '';
    if (!f) return;
    const text = await f.text();
    $('set-json').value = text;
    useSet(text, f.name);
  };
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(() => {});
  if (self.caches) {
    caches.open('sotto-shell-v1').then((c) => c.addAll(SHELL)).then(() => { document.body.dataset.shellCached = 'yes'; })
      .catch((e) => console.warn(`sotto: the page is not kept for offline use (${oneLine(e)})`));
  }
  try {
    const r = await fetch(SET_URL);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const text = await r.text();
    $('set-json').value = text;
    await useSet(text, 'factory.json');
  } catch (e) {
    $('set-error').textContent = `${SET_URL}: cannot be read (${oneLine(e)})`;
    document.body.dataset.commands = 'error';
  }
}

main();

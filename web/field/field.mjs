// field.mjs — the field camera page (web/field/index.html; issue 20): a photo from the camera or the device, a
// question, and the answer of the vision-language model, written as it comes; "Speak the answer" reads it aloud with
// the platform's speech synthesis. The engine runs in a module worker (field-worker.mjs): the photo is decoded there
// (EXIF orientation as the platform applies it) and never leaves the page; the server's CSP allows this origin only.
// Models: /models/<lm> and /models/<mmproj> with their names from the address's fragment (#lm=NAME&mmproj=NAME: a
// fragment is never sent to a server), else vlm.gguf and vlm-mmproj.gguf; cached after the first load. The engine runs
// on WebGPU where the browser has a hardware adapter, else on the wasm CPU (#backend=webgpu|cpu|auto chooses).
// "Longest answer" (tokens) bounds each answer. While an answer is on its way the page says where it is (reading the
// photo, the vision tower looking at it, writing) with an indeterminate progress bar; Escape stops an answer.
// A PNG or JPEG over the pixel limit (50 Mpixel, wasm/vision.mjs) is refused when chosen, from its header: one line,
// the previous photo kept, and nothing decodes it (not even the preview).
// The page's data attributes say where it is (tests): body[data-engine] loading | ready | error, body[data-busy]
// while an answer is written, body[data-answered] counts answers, body[data-phases] the last answer's phases
// ("read look write").
// Task "Equipment inspection record": the answer is constrained to inspection.schema.json (the engine's grammar), shown
// as an editable form (../schema-form.mjs) and exported only when approved, as a JSON file saved on this device
// (body[data-exported] counts exports).
// Does not: keep photos or answers across visits, send anything anywhere.
import { renderForm } from '../schema-form.mjs';
import { MAX_PIXELS, headerSize } from '../wasm/vision.mjs';

const $ = (id) => document.getElementById(id);
const SCHEMA_URL = '/field/inspection.schema.json';
const QUESTIONS = { ask: 'Describe what is in front of me.', inspection: 'Inspect this equipment.' };
let schema = null;
let record = null;
let exported = 0;
const NAME = /^[A-Za-z0-9_.-]+\.gguf$/;

function modelUrls() {
  const p = new URLSearchParams(location.hash.slice(1));
  const pick = (key, fallback) => {
    const v = p.get(key);
    return `/models/${v && NAME.test(v) ? v : fallback}`;
  };
  const backend = ['auto', 'webgpu', 'cpu'].includes(p.get('backend')) ? p.get('backend') : 'auto';
  return { lmUrl: pick('lm', 'vlm.gguf'), mmprojUrl: pick('mmproj', 'vlm-mmproj.gguf'), backend };
}

const worker = new Worker('/field/field-worker.mjs', { type: 'module' });
let photo = null;
let previewUrl = null;
let nextId = 1;
let current = 0;
let answered = 0;

// Where the running answer is: a line beside an indeterminate progress bar ('' hides both).
function setPhase(phase, text) {
  $('ask-status').textContent = text;
  $('ask-progress').hidden = !text;
  if (phase) document.body.dataset.phases = `${document.body.dataset.phases || ''} ${phase}`.trim();
}

function setBusy(busy) {
  document.body.dataset.busy = busy ? '1' : '';
  if (!busy) setPhase(null, '');
  $('ask').disabled = busy || !photo || document.body.dataset.engine !== 'ready';
  $('stop').disabled = !busy;
  $('photo').disabled = busy || document.body.dataset.engine !== 'ready';
  $('question').disabled = busy || document.body.dataset.engine !== 'ready';
  $('task').disabled = busy || document.body.dataset.engine !== 'ready';
  $('max-tokens').disabled = busy;
}

// The inspection answer as an editable record, or a one-line note when it is not a whole record.
function showRecord(text) {
  try {
    record = JSON.parse(text);
  } catch {
    record = null;
    $('review').hidden = true;
    $('photo-error').textContent = 'The answer is not a whole record (it was cut off): ask again.';
    return;
  }
  renderForm($('record'), schema, record, { onChange: () => {}, onFocus: () => {} });  // edits land in record
  $('export-status').textContent = '';
  $('review').hidden = false;
}

worker.onmessage = ({ data: m }) => {
  if (m.type === 'progress') {
    $('engine-status').textContent = m.phase === 'download'
      ? `Downloading the ${m.what}… ${m.total ? Math.round((100 * m.loaded) / m.total) : 0}%`
      : m.phase === 'compile' ? 'Preparing the engine…' : 'Loading the model…';
    if (m.phase === 'download' && m.total) $('engine-progress').value = m.loaded / m.total;
  } else if (m.type === 'ready') {
    document.body.dataset.engine = 'ready';
    const where = m.gpu ? `WebGPU, ${m.gpu}` : `wasm CPU, ${m.threads} thread${m.threads === 1 ? '' : 's'}`;
    $('engine-status').textContent = `Ready (${m.lm} with ${m.mmproj}, ${where})`;
    $('engine-status').title = m.why ?? '';
    document.body.dataset.backend = m.gpu ? 'webgpu' : 'cpu';
    $('engine-progress').hidden = true;
    setBusy(false);
  } else if (m.type === 'phase' && m.id === current) {
    if (m.phase === 'read') setPhase('read', 'Reading the photo…');
    else setPhase('look', `Looking at the photo (${m.width} x ${m.height})…`);
  } else if (m.type === 'started' && m.id === current) {
    setPhase('write', `Writing the answer (${m.tiles} tile${m.tiles === 1 ? '' : 's'} seen)…`);
    $('answer-info').textContent = `${m.width} x ${m.height} photo, ${m.tiles} tiles, ${m.nPrompt} prompt tokens`;
  } else if (m.type === 'text' && m.id === current) {
    $('answer').value += m.text;
  } else if (m.type === 'answer' && m.id === current) {
    $('answer').value = m.text;
    $('answer-info').textContent += `, ${m.seconds.toFixed(1)} s`;
    $('speak').disabled = !m.text || !('speechSynthesis' in globalThis);
    if (m.task === 'inspection') showRecord(m.text);
    document.body.dataset.answered = String(++answered);
    setBusy(false);
  } else if (m.type === 'error') {
    if (document.body.dataset.engine !== 'ready') {
      document.body.dataset.engine = 'error';
      $('engine-status').textContent = `The model could not be loaded: ${m.message}`;
      return;
    }
    $('photo-error').textContent = m.message;
    setBusy(false);
  }
};

// A PNG or JPEG whose header says it is over the pixel limit: one line, and neither the preview nor the worker
// decodes it.
async function tooLarge(f) {
  const head = headerSize(new Uint8Array(await f.slice(0, 256 * 1024).arrayBuffer()));
  if (!head || head.width * head.height <= MAX_PIXELS) return null;
  return `${f.name}: image is ${head.width} x ${head.height} pixels, more than the limit of ${MAX_PIXELS} (resize it first)`;
}

$('photo').addEventListener('change', async () => {
  const f = $('photo').files[0];
  if (!f) return;
  const err = await tooLarge(f);
  if (err) {
    $('photo-error').textContent = photo ? `${err}; the previous photo is kept` : err;
    $('photo').value = '';
    return;
  }
  photo = f;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(f);
  $('preview').src = previewUrl;
  $('preview').hidden = false;
  $('photo-error').textContent = '';
  setBusy(false);
});

$('ask-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (!photo) return;
  current = nextId++;
  $('answer').value = '';
  $('answer-info').textContent = '';
  $('photo-error').textContent = '';
  $('speak').disabled = true;
  $('review').hidden = true;
  record = null;
  const task = $('task').value;
  document.body.dataset.phases = '';
  setBusy(true);
  worker.postMessage({ type: 'ask', id: current, image: photo, question: $('question').value, maxTokens: Number($('max-tokens').value) || 256, task,
                       schema: task === 'inspection' ? schema : undefined });
});

$('task').addEventListener('change', () => {
  $('question').value = QUESTIONS[$('task').value];
  $('max-tokens').value = $('task').value === 'inspection' ? 512 : 256;
});

// Export: the approved record only, as a download (a file on this device; no request is made).
$('approve').addEventListener('click', () => {
  if (!record) return;
  const url = URL.createObjectURL(new Blob([JSON.stringify(record, null, 2) + '\n'], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `inspection-${new Date().toISOString().slice(0, 10)}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
  $('export-status').textContent = `Exported ${a.download}`;
  document.body.dataset.exported = String(++exported);
});

$('stop').addEventListener('click', () => worker.postMessage({ type: 'cancel', id: current }));
document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && document.body.dataset.busy) worker.postMessage({ type: 'cancel', id: current });
});

$('speak').addEventListener('click', () => {
  speechSynthesis.cancel();
  speechSynthesis.speak(new SpeechSynthesisUtterance($('answer').value));
});

document.body.dataset.engine = 'loading';
setBusy(false);
// The schema first, then the engine: every request of the page is made before it is ready.
fetch(SCHEMA_URL).then((r) => r.json()).then((s) => { schema = s; })
  .catch(() => { $('task').querySelector('option[value="inspection"]').disabled = true; })
  .finally(() => worker.postMessage({ type: 'init', wasmUrl: '/engine/sotto.wasm', ...modelUrls() }));

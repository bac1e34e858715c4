// field.mjs — the field camera page (web/field/index.html; issue 20): a photo from the camera or the device, a
// question, and the answer of the vision-language model, written as it comes; "Speak the answer" reads it aloud with
// the platform's speech synthesis. The engine runs in a module worker (field-worker.mjs): the photo is decoded there
// (EXIF orientation as the platform applies it) and never leaves the page; the server's CSP allows this origin only.
// Models: /models/<lm> and /models/<mmproj> with their names from the address's fragment (#lm=NAME&mmproj=NAME: a
// fragment is never sent to a server), else vlm.gguf and vlm-mmproj.gguf; cached after the first load.
// The page's data attributes say where it is (tests): body[data-engine] loading | ready | error, body[data-busy]
// while an answer is written, body[data-answered] counts answers.
// Does not: keep photos or answers across visits, export anything.
const $ = (id) => document.getElementById(id);
const NAME = /^[A-Za-z0-9_.-]+\.gguf$/;

function modelUrls() {
  const p = new URLSearchParams(location.hash.slice(1));
  const pick = (key, fallback) => {
    const v = p.get(key);
    return `/models/${v && NAME.test(v) ? v : fallback}`;
  };
  return { lmUrl: pick('lm', 'vlm.gguf'), mmprojUrl: pick('mmproj', 'vlm-mmproj.gguf') };
}

const worker = new Worker('/field/field-worker.mjs', { type: 'module' });
let photo = null;
let previewUrl = null;
let nextId = 1;
let current = 0;
let answered = 0;

function setBusy(busy) {
  document.body.dataset.busy = busy ? '1' : '';
  $('ask').disabled = busy || !photo || document.body.dataset.engine !== 'ready';
  $('stop').disabled = !busy;
  $('photo').disabled = busy || document.body.dataset.engine !== 'ready';
  $('question').disabled = busy || document.body.dataset.engine !== 'ready';
}

worker.onmessage = ({ data: m }) => {
  if (m.type === 'progress') {
    $('engine-status').textContent = m.phase === 'download'
      ? `Downloading the ${m.what}… ${m.total ? Math.round((100 * m.loaded) / m.total) : 0}%`
      : m.phase === 'compile' ? 'Preparing the engine…' : 'Loading the model…';
    if (m.phase === 'download' && m.total) $('engine-progress').value = m.loaded / m.total;
  } else if (m.type === 'ready') {
    document.body.dataset.engine = 'ready';
    $('engine-status').textContent = `Ready (${m.lm} with ${m.mmproj}, ${m.threads} thread${m.threads === 1 ? '' : 's'})`;
    $('engine-progress').hidden = true;
    setBusy(false);
  } else if (m.type === 'started' && m.id === current) {
    $('answer-info').textContent = `${m.width} x ${m.height} photo, ${m.tiles} tiles, ${m.nPrompt} prompt tokens`;
  } else if (m.type === 'text' && m.id === current) {
    $('answer').value += m.text;
  } else if (m.type === 'answer' && m.id === current) {
    $('answer').value = m.text;
    $('answer-info').textContent += `, ${m.seconds.toFixed(1)} s`;
    $('speak').disabled = !m.text || !('speechSynthesis' in globalThis);
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

$('photo').addEventListener('change', () => {
  const f = $('photo').files[0];
  if (!f) return;
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
  setBusy(true);
  worker.postMessage({ type: 'ask', id: current, image: photo, question: $('question').value, maxTokens: 256 });
});

$('stop').addEventListener('click', () => worker.postMessage({ type: 'cancel' }));

$('speak').addEventListener('click', () => {
  speechSynthesis.cancel();
  speechSynthesis.speak(new SpeechSynthesisUtterance($('answer').value));
});

document.body.dataset.engine = 'loading';
setBusy(false);
worker.postMessage({ type: 'init', wasmUrl: '/engine/sotto.wasm', ...modelUrls() });

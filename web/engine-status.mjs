// engine-status.mjs — the scribe page's status lines for its two engines: the note engine's loading progress and
// where it runs (WebGPU or the wasm CPU, and why), the speech engine's loading and readiness. app.js calls these.
// Two levels: a plain sentence a professional understands (#plain-status in the header, #asr-plain in the
// dictation panel: no file formats, backends or adapters) and the technical line behind a "Technical details"
// disclosure (#engine-status, #backend-info, #asr-status).
// Does not: start or talk to the engines.
const $ = (id) => document.getElementById(id);
export const mib = (x) => (x / 1048576).toFixed(1);

const BACKEND_NAMES = { 'webgpu': 'WebGPU', 'wasm-cpu-simd128': 'the wasm CPU (SIMD128)' };
export function backendName(b, gpu) {
  return b === 'webgpu' && gpu ? `WebGPU (${gpu.adapter}${gpu.fallbackAdapter ? ', software' : ''})` : BACKEND_NAMES[b] ?? b;
}

// One sentence on where the engine runs and why: WebGPU with the CPU writing notes, or the CPU and why not WebGPU.
export function backendInfo(m) {
  const g = m.gpu ?? {};
  if (m.backend !== 'webgpu') return `Notes are written on the wasm CPU: ${g.error ?? 'no WebGPU'}.`;
  const gpu = `The note model is on the GPU (uploaded and ${g.pipelines} pipelines compiled in ${g.seconds.toFixed(1)} s).`;
  return m.noteBackend === 'webgpu' ? `${gpu} Notes are written on WebGPU, the template's schema masking the tokens there.`
    : `${gpu} Notes are written on the wasm CPU: ${g.whyNot}.`;
}

// The header's plain sentence about the note writer.
export function plainStatus(text) { $('plain-status').textContent = text; }
const percent = (m) => (m.total ? ` (${Math.round((100 * m.loaded) / m.total)}%)` : '');
const WHAT = { 'model': 'the note-writing model', 'note model': 'the note-writing model', 'engine': 'the engine', 'speech model': 'the speech model' };
const plainWhat = (w) => WHAT[w] ?? `the ${w}`;

export function showProgress(m) {
  const bar = $('engine-progress');
  const from = m.from ? ` from ${m.from}` : '';  // a hub model (hub.mjs): the site it comes from
  plainStatus(m.phase === 'download' ? `Getting ready: downloading ${plainWhat(m.what)}${from}${percent(m)}…` : 'Getting ready: preparing the note writer…');
  if (m.phase === 'download') {
    bar.max = m.total || 1;
    bar.value = m.loaded;
    $('engine-status').textContent = `Downloading the ${m.what}${from}: ${mib(m.loaded)}${m.total ? ` / ${mib(m.total)}` : ''} MiB`;
  } else if (m.phase === 'pipelines') {
    bar.removeAttribute('value');
    $('engine-status').textContent = `Compiling the ${m.what}: ${m.compiled} compiled…`;
  } else {
    bar.removeAttribute('value');
    $('engine-status').textContent = m.phase === 'compile' ? `Compiling the ${m.what}…` : `Loading the ${m.what}…`;
  }
}

export function showAsrStatus(s) {
  const el = $('asr-status'), plain = $('asr-plain');
  plain.textContent = s.state === 'loading'
    ? `Speech recognition is getting ready${s.progress?.phase === 'download' ? `: downloading${s.progress.from ? ` from ${s.progress.from}` : ''}${percent(s.progress)}` : ''}…`
    : s.state === 'ready' ? 'Speech recognition is ready: record, or open a recording.'
    : 'Speech recognition is not available here: type or paste the transcript.';
  if (s.state === 'loading') {
    const p = s.progress;
    el.textContent = p?.phase === 'download' ? `Speech: downloading the ${p.what}${p.from ? ` from ${p.from}` : ''}: ${mib(p.loaded)}${p.total ? ` / ${mib(p.total)}` : ''} MiB`
      : p?.phase === 'compile' ? 'Speech: compiling the engine…' : 'Speech: loading the speech model…';
    document.body.dataset.asr = 'loading';
  } else if (s.state === 'ready') {
    const where = s.backend === 'webgpu' ? `on WebGPU (${s.adapter})` : `on the wasm CPU${s.why ? ` (${s.why})` : ''}`;
    el.textContent = `Speech recognition ready: ${s.hub ? `${s.hub} from the hub` : s.model} (${s.arch}, ${mib(s.bytes)} MiB${s.cached ? ', from cache' : s.hub ? ', SHA-256 verified' : ''}${s.kept === false ? ', not kept: this browser has no Cache API, so it is downloaded again next time' : ''}) ${where}.`;
    document.body.dataset.asr = 'ready';
    document.body.dataset.asrBackend = s.backend;
    document.body.dataset.asrThreads = s.threads ?? 1;
  } else {
    el.textContent = `Speech recognition is not available: ${s.message}. Type or paste the transcript.`;
    document.body.dataset.asr = 'error';
  }
}

// splat.mjs — the Gaussian splat page (web/splat/index.html; issue 23): a 3DGS scene drawn on WebGPU by the engine's
// splat path (wasm/splat.mjs: projection, depth sort, per-tile lists, compositing), read back and put on a 2D canvas
// (values clamped to [0, 1] and rounded, as `sotto splat render` writes PNGs). Headless Chromium on SwiftShader loses
// the device when a WebGPU canvas presents (a blit from the engine's buffer to a 'webgpu' canvas: "A valid external
// Instance reference no longer exists"), so the page takes the read-back it can test. An orbit camera: drag, arrow keys, wheel,
// pinch, + / -, Home, and buttons; a scene file picker (.ply / .splat, read on this device; a malformed file: one
// line, the previous scene stays); the bundled procedural scene (scene.splat, tools/splat/make_page_scene.py).
// Frames are drawn on demand (a camera move, a scene, a resize), one at a time; the GPU time of each stage comes
// from timestamp queries where the adapter has them.
// Where the browser has no WebGPU the page says so in one line and draws nothing.
// Data attributes (tests): body[data-engine] loading | ready | error | unsupported, body[data-frames] frames shown,
// body[data-view] "azimuth,elevation,radius,fov", body[data-target] "x,y,z", body[data-scene] the scene's name.
// #size=WxH (the address's fragment) fixes the frame size; otherwise the canvas's size in device pixels (at most
// 1920 x 1080). window.sottoSplatPage.readPixels() (tests) returns the canvas's pixels after the frames asked for.
// Does not: keep scenes across visits, send anything anywhere, run a model on the frames (not yet).
import { Sotto } from '../wasm/sotto.mjs';
import { GpuHost } from '../wasm/gpu-host.mjs';
import { SottoSplat } from '../wasm/splat.mjs';

const $ = (id) => document.getElementById(id);
const HOME = { azimuth: 30, elevation: 20, radius: 3.5, fov: 50 };
const HOME_TARGET = [0, -0.1, 0];
const BG = [0.08, 0.09, 0.11];
const BUNDLED = '/splat/scene.splat';
const view = { ...HOME };
let target = [...HOME_TARGET];
let home = { view: { ...HOME }, target: [...HOME_TARGET] };  // the scene's starting view (Reset, Home)
let splat = null, host = null, ctx = null, image = null;
let width = 0, height = 0, fixedSize = null;
let dirty = false, drawing = false, frames = 0;
const readWaiters = [];

function setStatus(text) { $('engine-status').textContent = text; }
function oneLine(e) { return String(e?.message ?? e).split('\n')[0]; }

function unsupported(why) {
  document.body.dataset.engine = 'unsupported';
  $('unsupported').textContent = `This page draws the scene with WebGPU, which this browser does not offer (${why}). ` +
    'A recent Chrome or Edge, Safari 26, or Firefox with WebGPU enabled has it.';
  $('unsupported').hidden = false;
  $('viewer').hidden = true;
  setStatus('No WebGPU: nothing to draw with');
  for (const id of ['left', 'right', 'up', 'down', 'closer', 'further', 'reset']) $(id).disabled = true;
}

function showView() {
  const d = document.body.dataset;
  d.view = [view.azimuth, view.elevation, view.radius, view.fov].map((v) => +v.toFixed(4)).join(',');
  d.target = target.map((v) => +v.toFixed(4)).join(',');
  $('view-readout').textContent = `Azimuth ${view.azimuth.toFixed(0)}°, elevation ${view.elevation.toFixed(0)}°, ` +
    `distance ${view.radius.toFixed(2)}`;
}

function move({ azimuth = 0, elevation = 0, zoom = 1 }) {
  view.azimuth = ((view.azimuth + azimuth) % 360 + 540) % 360 - 180;
  view.elevation = Math.max(-89, Math.min(89, view.elevation + elevation));
  view.radius = Math.max(0.3, Math.min(200, view.radius * zoom));
  showView();
  requestFrame();
}

function frameSize() {
  if (fixedSize) return fixedSize;
  const c = $('view'), dpr = Math.min(window.devicePixelRatio || 1, 2);
  const w = Math.max(16, Math.round(c.clientWidth * dpr)), h = Math.max(16, Math.round(c.clientHeight * dpr));
  const s = Math.min(1, 1920 / w, 1080 / h);
  return [Math.round(w * s), Math.round(h * s)];
}

function requestFrame() {
  dirty = true;
  if (!drawing && splat) drawLoop();
}

async function drawLoop() {
  drawing = true;
  try {
    while (dirty) {
      dirty = false;
      const [w, h] = frameSize();
      const canvas = $('view');
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      width = w;
      height = h;
      const t0 = performance.now();
      const r = await splat.render({ width, height, view, target, bg: BG, device: 'gpu', mode: 4 });
      present(r.frame);
      const wall = performance.now() - t0;
      frames++;
      document.body.dataset.frames = String(frames);
      showTimes(wall, r);
    }
    const px = ctx.getImageData(0, 0, width, height).data;
    for (const f of readWaiters.splice(0)) f({ width, height, rgba: Array.from(px) });
  } catch (e) {
    document.body.dataset.engine = 'error';
    setStatus(`The frame failed: ${oneLine(e)}`);
  } finally {
    drawing = false;
  }
}

function showTimes(wall, r) {
  const t = r.times;
  const gpu = t ? `GPU: project ${t.project.toFixed(2)}, depth sort ${t.sort.toFixed(2)}, tile lists ${t.bin.toFixed(2)}, ` +
                  `render ${t.render.toFixed(2)} ms`
    : 'GPU stage times: this adapter has no timestamp queries';
  $('frame-times').textContent = `Frame ${wall.toFixed(1)} ms at ${width} x ${height} (${r.pairs} tile pairs) · ${gpu}`;
}

// The engine's frame ([height, width, 3] linear floats) onto the 2D canvas.
function present(frame) {
  if (!image || image.width !== width || image.height !== height) image = new ImageData(width, height);
  const d = image.data;
  for (let i = 0, n = width * height; i < n; i++) {
    for (let c = 0; c < 3; c++) d[4 * i + c] = Math.round(Math.min(1, Math.max(0, frame[3 * i + c])) * 255);
    d[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

async function loadScene(bytes, name, { fit }) {
  const n = await splat.load(bytes, { name });
  if (fit) {
    const e = splat.extent();
    target = e.centre;
    view.azimuth = HOME.azimuth;
    view.elevation = HOME.elevation;
    view.fov = HOME.fov;
    view.radius = Math.max(0.3, (1.15 * Math.max(e.radius, 1e-3)) / Math.sin((view.fov * Math.PI) / 360));
  } else {
    Object.assign(view, HOME);
    target = [...HOME_TARGET];
  }
  home = { view: { ...view }, target: [...target] };
  document.body.dataset.scene = name;
  $('scene-info').textContent = `${name}: ${n} splats`;
  showView();
  requestFrame();
}

function bindControls() {
  const c = $('view');
  $('left').onclick = () => move({ azimuth: -15 });
  $('right').onclick = () => move({ azimuth: 15 });
  $('up').onclick = () => move({ elevation: 10 });
  $('down').onclick = () => move({ elevation: -10 });
  $('closer').onclick = () => move({ zoom: 1 / 1.15 });
  $('further').onclick = () => move({ zoom: 1.15 });
  $('reset').onclick = () => {
    Object.assign(view, home.view);
    target = [...home.target];
    showView();
    requestFrame();
  };
  c.addEventListener('keydown', (e) => {
    const k = e.key;
    const act = { ArrowLeft: { azimuth: -15 }, ArrowRight: { azimuth: 15 }, ArrowUp: { elevation: 10 },
                  ArrowDown: { elevation: -10 }, '+': { zoom: 1 / 1.15 }, '=': { zoom: 1 / 1.15 }, '-': { zoom: 1.15 } }[k];
    if (act) move(act);
    else if (k === 'Home') $('reset').click();
    else return;
    e.preventDefault();
  });
  const pointers = new Map();
  let pinch = 0;
  const spread = () => { const [a, b] = [...pointers.values()]; return Math.hypot(a.x - b.x, a.y - b.y); };
  c.addEventListener('pointerdown', (e) => {
    c.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) pinch = spread();
    c.focus();
  });
  c.addEventListener('pointermove', (e) => {
    const p = pointers.get(e.pointerId);
    if (!p) return;
    const dx = e.clientX - p.x, dy = e.clientY - p.y;
    p.x = e.clientX;
    p.y = e.clientY;
    if (pointers.size === 1) move({ azimuth: -dx * 0.4, elevation: dy * 0.4 });
    else if (pointers.size === 2) {
      const s = spread();
      if (pinch > 0 && s > 0) move({ zoom: pinch / s });
      pinch = s;
    }
  });
  const up = (e) => { pointers.delete(e.pointerId); pinch = pointers.size === 2 ? spread() : 0; };
  c.addEventListener('pointerup', up);
  c.addEventListener('pointercancel', up);
  c.addEventListener('wheel', (e) => {
    e.preventDefault();
    move({ zoom: Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.001))) });
  }, { passive: false });
  if (!fixedSize) new ResizeObserver(() => requestFrame()).observe(c);
  $('scene-file').onchange = async () => {
    const f = $('scene-file').files[0];
    $('scene-file').value = '';
    if (!f) return;
    $('scene-error').textContent = '';
    try {
      await loadScene(new Uint8Array(await f.arrayBuffer()), f.name, { fit: true });
    } catch (e) {
      $('scene-error').textContent = oneLine(e);
      requestFrame();  // the previous scene (the engine restores it)
    }
  };
  $('bundled').onclick = async () => {
    $('scene-error').textContent = '';
    await loadScene(bundledBytes, 'scene.splat', { fit: false });
  };
}

let bundledBytes = null;

async function start() {
  document.body.dataset.engine = 'loading';
  document.body.dataset.frames = '0';
  const m = /(?:^|&)size=(\d{1,4})x(\d{1,4})(?:&|$)/.exec(location.hash.slice(1));
  if (m) fixedSize = [Math.max(1, +m[1]), Math.max(1, +m[2])];
  showView();
  if (!navigator.gpu) return unsupported('navigator.gpu is missing');
  host = await GpuHost.tryCreate(navigator.gpu, { profile: true });
  host ??= await GpuHost.tryCreate(navigator.gpu, { profile: true, forceFallbackAdapter: true });
  if (!host) return unsupported('no WebGPU adapter');
  try {
    setStatus('Preparing the engine…');
    const [module, scene] = await Promise.all([
      WebAssembly.compileStreaming(fetch('/engine/sotto.wasm')),
      fetch(BUNDLED).then((r) => { if (!r.ok) throw new Error(`${BUNDLED}: ${r.status}`); return r.arrayBuffer(); }),
    ]);
    bundledBytes = new Uint8Array(scene);
    splat = await SottoSplat.create(await Sotto.create(module, { gpu: host, threads: 1, log: () => {} }));
    ctx = $('view').getContext('2d', { willReadFrequently: true });
    bindControls();
    await loadScene(bundledBytes, 'scene.splat', { fit: false });
    const info = host.adapter.info ?? {};
    setStatus(`Ready (WebGPU${info.description || info.vendor ? `, ${info.description || info.vendor}` : ''})`);
    document.body.dataset.engine = 'ready';
    $('scene-file').disabled = false;
    $('bundled').disabled = false;
  } catch (e) {
    document.body.dataset.engine = 'error';
    setStatus(`The engine did not start: ${oneLine(e)}`);
  }
}

window.sottoSplatPage = {
  // The canvas's pixels once the frames asked for are shown ({width, height, rgba: [r, g, b, a, ...]}).
  readPixels: () => new Promise((resolve) => { readWaiters.push(resolve); requestFrame(); }),
};

start();

// vision-worker.mjs — the browser side of tests/web/vision.test.mjs, in a module Web Worker (where the field app's
// engine runs): images decoded by the platform (wasm/vision.mjs decodeImage: createImageBitmap + OffscreenCanvas)
// and answered by the wasm engine. Posts back {ok, result} with what the Node side compares; nothing is judged here.
import { Sotto } from '../../wasm/sotto.mjs';
import { SottoVision, decodeImage } from '../../wasm/vision.mjs';

const F = '/tests/fixtures/vision/';
const bytesOf = async (name) => new Uint8Array(await (await fetch(F + name)).arrayBuffer());
const blobOf = async (name) => new Blob([await bytesOf(name)]);
async function errorOf(fn) {
  try { await fn(); } catch (e) { return e instanceof Error ? e.message : `not an Error: ${String(e)}`; }
  return '';
}
// Largest |a - b| over the RGB bytes of two RGBA images of one size (-1: sizes differ).
function maxDiff(a, b) {
  if (a.width !== b.width || a.height !== b.height) return -1;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}

async function run({ question, maxTokens }) {
  const out = { orient: [], errors: {} };
  for (let o = 1; o <= 8; o++) {
    const got = await decodeImage(await blobOf(`images-orient-${o}.jpg`), { name: `images-orient-${o}.jpg` });
    const want = await decodeImage(await blobOf(`images-orient-${o}.expected.png`));
    out.orient.push({ o, width: got.width, height: got.height, wantWidth: want.width, wantHeight: want.height,
                      maxDiff: maxDiff(got, want) });
  }
  // PNGs are lossless: the platform's pixels == Pillow's (the .rgba fixtures the Node tests feed), exactly.
  const images = [];
  out.png = [];
  for (const [name, w, h] of [['processor-small', 70, 45], ['processor-tall', 40, 100]]) {
    const img = await decodeImage(await blobOf(`${name}.png`), { name: `${name}.png` });
    const raw = { width: w, height: h, data: await bytesOf(`${name}.rgba`) };
    out.png.push({ name, width: img.width, height: img.height, maxDiff: maxDiff(img, raw) });
    images.push(img);
  }
  const png = await bytesOf('processor-wide.png');
  out.errors.truncated = await errorOf(() => decodeImage(new Blob([png.subarray(0, png.length >> 1)]), { name: 'cut.png' }));
  out.errors.junk = await errorOf(() => decodeImage(new Blob([new Uint8Array(64).fill(7)]), { name: 'junk.png' }));
  out.errors.model = await errorOf(async () => decodeImage(await blobOf('tiny-mmproj-f16.gguf'), { name: 'model.gguf' }));
  out.errors.limit = await errorOf(() => decodeImage(new Blob([png]), { name: 'wide.png', maxPixels: 10000 }));
  // Decompression bombs: headers that claim an enormous image (a PNG's IHDR, a JPEG's SOF0 patched), refused from the
  // header before the platform decodes (decoding them would fail otherwise: the patched PNG's CRC, the JPEG's data).
  const bombPng = png.slice();
  new DataView(bombPng.buffer).setUint32(16, 100000);
  new DataView(bombPng.buffer).setUint32(20, 100000);
  out.errors.bombPng = await errorOf(() => decodeImage(new Blob([bombPng]), { name: 'bomb.png' }));
  const bombJpg = await bytesOf('images-orient-1.jpg');
  for (let i = 2; i + 9 < bombJpg.length; i++) {
    if (bombJpg[i] === 0xff && bombJpg[i + 1] === 0xc0) {
      new DataView(bombJpg.buffer).setUint16(i + 5, 60000);
      new DataView(bombJpg.buffer).setUint16(i + 7, 60000);
      break;
    }
  }
  out.errors.bombJpg = await errorOf(() => decodeImage(new Blob([bombJpg]), { name: 'bomb.jpg' }));

  const e = await Sotto.create(await (await fetch('/sotto.wasm')).arrayBuffer(), { log: () => {}, threads: 1 });
  await e.load(await bytesOf('tiny-vlm-f32.gguf'), { name: 'tiny-vlm-f32.gguf' });
  const v = SottoVision.on(e);
  await v.load(await bytesOf('tiny-mmproj-f32.gguf'), { name: 'tiny-mmproj-f32.gguf' });
  out.answer = await v.ask(question, { images, maxTokens });
  out.errors.enormous = await errorOf(() => v.ask(question, { images: [{ width: 70000, height: 70000, data: new Uint8Array(4), name: 'huge.jpg' }] }));
  out.again = await v.ask(question, { images, maxTokens });
  e.dispose();
  return out;
}

self.onmessage = async ({ data }) => {
  try {
    postMessage({ ok: true, result: await run(data) });
  } catch (e) {
    postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};

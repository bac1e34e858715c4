// vision.mjs — images in the wasm build (wasm/vision-abi.cpp: SmolVLM, docs/vision.md) for a Web Worker, Node or
// Deno; no dependencies beyond wasm/sotto.mjs (the instance, WASI and error handling). API:
//   const engine = await Sotto.create(wasm);  await engine.load(lmBytes, {name, nCtx});    // the language model
//   const vision = SottoVision.on(engine);  await vision.load(mmprojBytes, {name});        // its vision tower
//   const image = await decodeImage(blobOrFile);  // browser / worker: {width, height, data: RGBA, name}, upright
//   for await (const piece of vision.generate('What does the gauge read?', {images: [image], maxTokens,
//                                            temperature, topK, topP, minP, repeatPenalty, seed, system,
//                                            schema | grammar, compact, onToken})) ...
//   const { text, ids, nPrompt, tiles } = await vision.ask(prompt, opts);   // the same, collected
// An image is {width, height, data} with data the RGBA bytes (Uint8Array or Uint8ClampedArray, rows top to bottom,
// straight alpha: what a canvas's getImageData gives); Node tests build it from raw RGBA. Each image takes the place
// of one "<image>" written in the prompt, in order, or all go before the text (SmolVLM's chat template; the prompt
// is always rendered by it, with `system` as its system turn). Greedy (temperature 0) gives the tokens `sotto
// generate --temp 0 --mmproj --image` gives natively for the same pixels (tests/wasm/vision.test.mjs).
// decodeImage uses the platform: createImageBitmap (EXIF orientation applied, imageOrientation 'from-image'; no
// colour conversion, as the native decoder ignores ICC profiles) drawn on an OffscreenCanvas. What it cannot decode
// (corrupt, truncated, not an image) is a one-line Error naming the file; so is an image over maxPixels (the
// engine's limit, 50 Mpixel): a PNG or JPEG from its header before it is decoded (headerSize), any other format after
// decoding and before the canvas is allocated.
// Errors: one-line Errors. The size (and that data holds width * height * 4 bytes) is checked here before anything
// reaches the engine, so a bad image costs nothing; an engine error (a bad mmproj, too many placeholders, a prompt
// over the context) traps, and, as in sotto.mjs, the promise rejects once a fresh instance is up with the language
// model reloaded; the vision tower is attached again from its kept bytes on the next use. Images are used up by each
// generation (none are kept between calls).
// WebGPU (an engine created with {gpu}, its language model loaded by loadStream): the tower runs on the device, its
// rows are read back once per image and written over the <image> embeddings of the prefill on the device; greedy
// answers have the argmax on the device (pipelined), sampling and a schema or grammar the device sampler, as
// Sotto.generate. The mmproj is held in wasm memory (not streamed: 190 MB at f16 for SmolVLM-256M's tower).
import { Sotto } from './sotto.mjs';

// image::kMaxPixels (src/image/image.h); the engine's own value is checked again in generate().
export const MAX_PIXELS = 50_000_000;

const oneLine = (text) => String(text).split('\n').map((l) => l.trim()).find((l) => l) ?? '';

function sizeError(name, width, height, maxPixels) {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return `${name}: empty image (${width} x ${height})`;
  }
  if (width * height > maxPixels) {
    return `${name}: image is ${width} x ${height} pixels, more than the limit of ${maxPixels} (resize it first)`;
  }
  return null;
}

// The stored width and height of a PNG (IHDR) or a JPEG (its first SOFn frame header) from its first bytes, or null
// (another format, or no frame header in them). Not a decoder: it lets decodeImage refuse a decompression bomb (a small
// file of a huge image) before the platform decodes it.
export function headerSize(u8) {
  const be16 = (i) => (u8[i] << 8) | u8[i + 1];
  const be32 = (i) => ((u8[i] << 24) | (u8[i + 1] << 16) | (u8[i + 2] << 8) | u8[i + 3]) >>> 0;
  if (u8.length >= 24 && be32(0) === 0x89504e47 && be32(12) === 0x49484452) return { width: be32(16), height: be32(20) };
  if (u8.length < 4 || u8[0] !== 0xff || u8[1] !== 0xd8) return null;
  for (let i = 2; i + 9 < u8.length;) {
    if (u8[i] !== 0xff) return null;
    const m = u8[i + 1];
    if (m === 0xff) { i++; continue; }  // fill byte
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }  // no length
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { width: be16(i + 7), height: be16(i + 5) };
    if (m === 0xda) return null;  // scan data before any frame header
    i += 2 + be16(i + 2);
  }
  return null;
}

// A Blob / File (or anything createImageBitmap takes) as {width, height, data, name}: decoded by the platform,
// upright. Browsers and Workers only (Node has no createImageBitmap).
export async function decodeImage(source, { name = source?.name || 'image', maxPixels = MAX_PIXELS } = {}) {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new Error(`${name}: this platform has no image decoder (createImageBitmap, OffscreenCanvas)`);
  }
  if (source instanceof Blob) {  // a PNG or JPEG over the limit is refused from its header, before any decoding
    const head = headerSize(new Uint8Array(await source.slice(0, 256 * 1024).arrayBuffer()));
    const err = head && sizeError(name, head.width, head.height, maxPixels);
    if (err) throw new Error(err);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(source, { imageOrientation: 'from-image', premultiplyAlpha: 'none',
                                               colorSpaceConversion: 'none' });
  } catch (e) {
    throw new Error(`${name}: cannot decode the image (corrupt, truncated or not an image this browser reads: ${oneLine(e.message) || e.name})`);
  }
  try {
    const err = sizeError(name, bitmap.width, bitmap.height, maxPixels);
    if (err) throw new Error(err);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { width: bitmap.width, height: bitmap.height, data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), name };
  } finally {
    bitmap.close();
  }
}

export class SottoVision {
  // The vision side of an engine (a Sotto with, or soon with, a language model loaded on the CPU).
  static on(engine) {
    if (!(engine instanceof Sotto)) throw new Error('sotto vision: SottoVision.on takes a Sotto engine');
    return new SottoVision(engine);
  }

  constructor(engine) {
    this.engine = engine;
    this.lastGood = null;   // {bytes, name} of the mmproj that attached
    this.bound = null;      // {session, generation, model (the engine's lastGood)} it is attached to
    this.cancelled = false;
  }

  // Attaches an mmproj GGUF (Uint8Array / ArrayBuffer) to the engine's language model. Its projection size must be
  // the model's n_embd.
  load(bytes, { name = 'mmproj.gguf' } = {}) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.engine.guarded(async () => {
      await this.engine.drain();
      this.attach(u8, name);
      await this.engine.settle();
      this.lastGood = { bytes: u8, name };
    });
  }

  attach(u8, name) {  // synchronous (a WebGPU engine then settles the uploads)
    const e = this.engine;
    const s = e.requireSession();
    this.bound = null;
    const handle = e.buffer(u8);
    e.withBuffer(e.encoder.encode(name + '\0'), (p) => e.call('sotto_vision_load', s, handle, p));
    this.bound = { session: s, generation: e.generation, model: e.lastGood };
  }

  // The engine's current session has this tower: after a revive or a new language model it is attached again.
  session() {
    const e = this.engine;
    const s = e.requireSession();
    if (!this.lastGood) throw new Error('sotto vision: no vision model loaded (call load first)');
    const b = this.bound;  // (a new model's session may have the old one's address: lastGood tells them apart)
    if (!b || b.session !== s || b.generation !== e.generation || b.model !== e.lastGood) {
      this.attach(this.lastGood.bytes, this.lastGood.name);
    }
    return s;
  }

  maxPixels() { return this.engine.call('sotto_vision_max_pixels'); }

  // One image into the engine (processor + vision tower); its tile count.
  addImage(s, image, index) {
    const e = this.engine;
    const name = image?.name || `image ${index + 1}`;
    const data = image?.data;
    const err = sizeError(name, image?.width, image?.height, this.maxPixels());
    if (err) throw new Error(err);
    if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray) || data.length !== image.width * image.height * 4) {
      throw new Error(`${name}: ${data?.length ?? 0} bytes of pixels for a ${image.width} x ${image.height} RGBA image (${image.width * image.height * 4} expected)`);
    }
    const ptr = e.withBuffer(e.encoder.encode(name + '\0'), (p) => e.call('sotto_vision_image_new', s, image.width, image.height, p));
    new Uint8Array(e.memory.buffer, ptr, data.length).set(data);
    return e.withBuffer(e.encoder.encode(name + '\0'), (p) => e.call('sotto_vision_image_add', s, p));
  }

  // Images + prompt prefilled (sampling as Sotto.start; a WebGPU engine: greedy, the first token computed);
  // returns {nPrompt, tiles}.
  async start(prompt, images, { temperature = 0.8, topK = 40, topP = 0.95, minP = 0.05, repeatPenalty = 1.0, seed, system = '' } = {}) {
    const e = this.engine;
    if (e.gpu) {
      await e.drain();  // a pipelined read of the last generation must land first
    } else {
      e.live();
    }
    const s = this.session();
    if (!Array.isArray(images) || images.length === 0) throw new Error('sotto vision: give at least one image');
    e.call('sotto_vision_clear', s);
    let tiles = 0;
    images.forEach((img, i) => { tiles += this.addImage(s, img, i); });
    await e.settle();  // WebGPU: the attached tower's uploads and the tiles' rows have landed
    const seed64 = BigInt.asUintN(64, BigInt(seed ?? Math.floor(Math.random() * 2 ** 53)));
    const text = e.encoder.encode(prompt), sys = e.encoder.encode(system);
    const nPrompt = e.withBuffer(text, (tp) => e.withBuffer(sys, (sp) =>
      e.call('sotto_vision_start', s, tp, text.length, sp, sys.length, temperature, topK, topP, minP, repeatPenalty,
             Number(seed64 & 0xffffffffn), Number(seed64 >> 32n))));
    await e.settle({ oldest: true });  // greedy: the first token's read (the step after it stays in flight)
    return { nPrompt, tiles };
  }

  // Async iterator of text pieces, as Sotto.generate (temperature defaults to 0: greedy).
  async *generate(prompt, opts = {}) {
    const e = this.engine;
    await e.ready();
    try {
      yield* this.generateNow(prompt, opts);
    } catch (err) {
      if (e.dead && !e.gpuFailed && !e.disposed) {
        try { await e.revive(); } catch (e2) { e.logger(2, `sotto: the engine could not be restarted: ${e2.message}`); }
      }
      throw err;
    }
  }

  async *generateNow(prompt, opts) {
    const e = this.engine;
    const { maxTokens = 128, onToken, images = [] } = opts;
    const o = { ...opts, temperature: opts.temperature ?? 0 };
    this.cancelled = false;
    e.setGrammar({ schema: opts.schema, grammar: opts.grammar, compact: opts.compact });
    this.last = await this.start(prompt, images, o);
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < maxTokens && !this.cancelled; i++) {
      const id = e.gpu ? await this.gpuNext() : e.step();
      if (id < 0) break;  // context full
      if (onToken) onToken(id);
      if (e.isEog(id)) break;
      if (!e.isSpecial(id)) {
        const text = decoder.decode(e.piece(id), { stream: true });
        if (text) yield text;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  }

  gpuNext() {  // Sotto.gpuNext without its guard (generate() has one)
    const id = this.engine.call('sotto_gpu_next', this.engine.requireSession());
    return this.engine.settle({ oldest: true }).then(() => id);
  }

  // generate() collected: {text, ids (every sampled id, an end-of-generation one included), nPrompt, tiles}.
  async ask(prompt, opts = {}) {
    const ids = [];
    let text = '';
    const onToken = (id) => { ids.push(id); opts.onToken?.(id); };
    for await (const piece of this.generate(prompt, { ...opts, onToken })) text += piece;
    return { text, ids, ...this.last };
  }

  cancel() { this.cancelled = true; }

  // For tests: the last generation's prompt tokens, and the rows the tower gave the last image ([tiles * 64][n_embd]).
  promptIds() {
    const e = this.engine, s = this.session();
    return new Int32Array(e.memory.buffer, e.call('sotto_vision_prompt_ids', s), this.last?.nPrompt ?? 0).slice();
  }

  lastRows() {
    const e = this.engine, s = this.session();
    const n = e.call('sotto_vision_rows_len', s);
    return new Float32Array(e.memory.buffer, e.call('sotto_vision_rows', s), n).slice();
  }

  // For tests: the processor alone on an RGBA image at the given settings: {rows, cols, width, height (resized),
  // tiles: [Uint8Array of tile * tile * 3 RGB]}.
  static process(engine, image, { longestEdge, tile }) {
    engine.live();
    const handle = engine.buffer(image.data);
    const gen = engine.generation;
    try {
      const n = engine.call('sotto_image_process', handle, image.width, image.height, longestEdge, tile);
      const grid = new Int32Array(engine.memory.buffer, engine.call('sotto_image_grid'), 5).slice();
      const all = new Uint8Array(engine.memory.buffer, engine.call('sotto_image_tiles'), n * tile * tile * 3).slice();
      const tiles = [];
      for (let t = 0; t < n; t++) tiles.push(all.subarray(t * tile * tile * 3, (t + 1) * tile * tile * 3));
      return { rows: grid[0], cols: grid[1], width: grid[2], height: grid[3], tiles };
    } finally {
      engine.freeBuffer(handle, gen);
    }
  }

  // For tests: the RGB (alpha over white) the engine makes of an RGBA image.
  static overWhite(engine, image) {
    engine.live();
    const handle = engine.buffer(image.data);
    const gen = engine.generation;
    try {
      const ptr = engine.call('sotto_image_over_white', handle, image.width, image.height);
      return new Uint8Array(engine.memory.buffer, ptr, image.width * image.height * 3).slice();
    } finally {
      engine.freeBuffer(handle, gen);
    }
  }
}

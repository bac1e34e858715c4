// rag.mjs — private retrieval on the wasm engine (wasm/rag-abi.cpp; docs/retrieval.md "The browser page"):
//   const emb = await SottoEmbed.create(wasmOrSotto);      // its own instance is best (threads: 1 unless given)
//   const info = await emb.load(bytes, {name})   -> {name, n_embd, n_ctx, pooling, decoder}; not an embedding model:
//                                                  the CLI's one-line Error, once the instance holds the last good one
//   const vecs = await emb.embed(texts, {pooling, normalize = true, truncate = false})
//                                                -> Float32Array[] (one per text), what `sotto embed` gives
//   const words = await emb.words(text)          -> [{begin, end, tokens}] in UTF-8 bytes (the native chunker's words)
//   chunkPage(text, words, {maxTokens, overlap}) -> [{begin, end, text}] (bytes): `sotto index add`'s chunking
//   const rag = await SottoRag.create(wasmOrSotto)
//   await rag.answer(question, passages, {maxSentences}) -> `sotto ask --extractive --json` over those passages
//   await rag.check(question, {answer, citations}, passages) -> `sotto ask --check --json` over those passages
// passages: [{document, page, begin, end, text}] (begin/end: UTF-8 bytes into the page's text).
// Errors: one-line Errors with the engine's message; the engine is revived with the last good model (sotto.mjs).
import { Sotto } from './sotto.mjs';

const POOLING = { model: 0, mean: 1, cls: 2, last: 3 };
const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function onEngine(self, wasm, opts) {
  self.engine = wasm instanceof Sotto ? wasm : await Sotto.create(wasm, { threads: 1, ...opts });
  self.engine.onRevive(() => self.restore());
  return self;
}

function readString(e, ptr, len) {
  return decoder.decode(new Uint8Array(e.memory.buffer, ptr, len).slice());
}

export class SottoEmbed {
  static create(wasm, opts = {}) { return onEngine(new SottoEmbed(), wasm, opts); }

  constructor() {
    this.engine = null;
    this.session = 0;
    this.lastGood = null;  // {u8, name, threads}
    this.info = null;
  }

  create(u8, name, threads) {  // synchronous
    const e = this.engine;
    if (this.session) e.call('sotto_embed_free', this.session);
    this.session = 0;
    const handle = e.buffer(u8);
    this.session = e.withBuffer(encoder.encode(name + '\0'), (n) => e.call('sotto_embed_create', handle, n, threads));
    const p = e.call('sotto_embed_info', this.session);
    this.info = JSON.parse(readString(e, p, e.call('sotto_embed_out_len', this.session)));
  }

  restore() {
    this.session = 0;
    if (this.lastGood) this.create(this.lastGood.u8, this.lastGood.name, this.lastGood.threads);
  }

  load(bytes, { name = 'embed.gguf' } = {}) {
    const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    return this.engine.guarded(async () => {
      const threads = this.engine.threads ?? 1;
      this.create(u8, name, threads);
      this.lastGood = { u8, name, threads };
      return this.info;
    });
  }

  need() {
    if (!this.session) throw new Error('sotto embed: no embedding model loaded (call load first)');
    return this.session;
  }

  embed(texts, { pooling = 'model', normalize = true, truncate = false } = {}) {
    const json = encoder.encode(JSON.stringify(texts.map(String)));
    if (!(pooling in POOLING)) throw new Error(`sotto embed: pooling '${pooling}' (model, mean, cls or last)`);
    return this.engine.guarded(async () => {
      const e = this.engine;
      const s = this.need();
      const ptr = e.withBuffer(json, (p) => e.call('sotto_embed_run', s, p, json.length, POOLING[pooling], normalize ? 1 : 0, truncate ? 1 : 0));
      const n = e.call('sotto_embed_count', s);
      const d = this.info.n_embd;
      const all = new Float32Array(e.memory.buffer, ptr, n * d).slice();
      return Array.from({ length: n }, (_, i) => all.subarray(i * d, (i + 1) * d));
    });
  }

  words(text) {
    const bytes = encoder.encode(String(text));
    return this.engine.guarded(async () => {
      const e = this.engine;
      const s = this.need();
      const ptr = e.withBuffer(bytes, (p) => e.call('sotto_embed_words', s, p, bytes.length));
      const t = new Int32Array(e.memory.buffer, ptr, 3 * e.call('sotto_embed_count', s)).slice();
      const out = [];
      for (let i = 0; i < t.length; i += 3) out.push({ begin: t[i], end: t[i + 1], tokens: t[i + 2] });
      return out;
    });
  }

  dispose() {
    if (this.session && !this.engine.dead) this.engine.call('sotto_embed_free', this.session);
    this.session = 0;
  }
}

// apps/rag/ingest.cpp chunk_document over one page: passages of at most maxTokens tokens of whole words, the next
// starting `overlap` tokens before the previous one ended; a word over the budget is a passage of its own. text is
// the page (a string), words from SottoEmbed.words(text); offsets are UTF-8 bytes, text each passage's slice.
export function chunkPage(text, words, { maxTokens = 200, overlap = 40 } = {}) {
  const max = Math.max(1, maxTokens);
  const ov = Math.min(Math.max(overlap, 0), max - 1);
  const bytes = encoder.encode(text);
  const out = [];
  let start = 0;
  while (start < words.length) {
    let end = start;
    let sum = 0;
    while (end < words.length && (end === start || sum + words[end].tokens <= max)) sum += words[end++].tokens;
    const b = words[start].begin, e = words[end - 1].end;
    out.push({ begin: b, end: e, text: decoder.decode(bytes.subarray(b, e)) });
    if (end === words.length) break;
    let next = end;
    let kept = 0;
    while (next - 1 > start && kept + words[next - 1].tokens <= ov) kept += words[--next].tokens;
    start = next;
  }
  return out;
}

export class SottoRag {
  static create(wasm, opts = {}) { return onEngine(new SottoRag(), wasm, opts); }

  constructor() { this.engine = null; }

  restore() {}

  request(fn, body) {
    const bytes = encoder.encode(JSON.stringify(body));
    return this.engine.guarded(async () => {
      const e = this.engine;
      const ptr = e.withBuffer(bytes, (p) => e.call(fn, p, bytes.length));
      return JSON.parse(readString(e, ptr, e.call('sotto_rag_out_len')));
    });
  }

  static plain(passages) {
    return passages.map(({ document, page, begin, end, text }) => ({ document, page, begin, end, text }));
  }

  answer(question, passages, { maxSentences = 2 } = {}) {
    return this.request('sotto_rag_answer', { question: String(question), passages: SottoRag.plain(passages), max_sentences: maxSentences });
  }

  check(question, answer, passages) {
    return this.request('sotto_rag_check', { question: String(question), answer, passages: SottoRag.plain(passages) });
  }
}

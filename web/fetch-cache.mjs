// fetch-cache.mjs — downloads for the engine workers (engine-worker.js, asr-worker.js): a fetch from this
// origin with progress, kept in the Cache API ('sotto-models-v1') so the app works offline after the
// first load. Models are cache-first; the engine wasm is network-first with the cache as the offline
// fallback (a rebuilt engine is picked up at once).
//   const { bytes, cached, kept } = await fetchWithProgress(url, what, cacheFirst, onProgress, maxBytes)
//   kept: false where this context has no Cache API (removed, an insecure origin, some private modes: `caches`
//   missing or caches.open failing): the download is used as it is and made again next time (no offline use).
//   onProgress({phase: 'download', what, loaded, total}) at most every 100 ms and once at the end;
//   pass null for none. maxBytes (models: modelBudget()): a response larger than that is refused as soon as its
//   length is known (its Content-Length, else what its GGUF header says it holds, gguf-size.mjs, read from the first
//   bytes: a response with no length, or a header claiming more than it has), before it is held in memory.
//   Errors: one line ("URL: cannot be fetched and is not cached (...)", "URL: the model is 3.0 GiB, more than ...").
//   modelBudget(): the largest model this browser is given (docs/browsers.md, "Memory budget").
//   await readBody(resp, label, what, onProgress, maxBytes) -> Uint8Array: the same reading of a response (hub.mjs).
// Does not: talk to any other origin (hub.mjs does, for a hub model the user asked for in Settings).

import { ggufSize } from './gguf-size.mjs';

export const CACHE = 'sotto-models-v1';
export const oneLine = (e) => String(e?.message ?? e).split('\n')[0];

const GIB = 1024 ** 3;
// The whole model is one ArrayBuffer (2 GiB is the smallest cap among the engines the app runs in), and on the wasm
// CPU it is copied into the engine's wasm32 memory (4 GiB at most) beside the KV cache and scratch; where the browser
// says how much memory the device has (navigator.deviceMemory, Chromium: GiB, rounded down, at most 8), at most a
// quarter of it.
export function modelBudget() {
  const dm = globalThis.navigator?.deviceMemory;
  return Math.min(2 * GIB, dm ? (dm * GIB) / 4 : Infinity);
}
export const tooLarge = (url, what, n, max) =>
  new Error(`${url}: the ${what} is ${(n / GIB).toFixed(1)} GiB, more than this browser can hold (at most ${(max / GIB).toFixed(1)} GiB here): choose a smaller model`);

// The app's Cache API cache, or null where this context has none (hub.mjs too).
export async function openCache() {
  if (typeof globalThis.caches?.open !== 'function') return null;
  try {
    return await caches.open(CACHE);
  } catch {
    return null;
  }
}

export async function fetchWithProgress(url, what, cacheFirst, onProgress, maxBytes = Infinity) {
  const cache = await openCache();
  let resp = cacheFirst && cache ? await cache.match(url) : null;
  let cached = !!resp;
  if (!resp) {
    try {
      resp = await fetch(url, { cache: 'no-cache' });
      if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    } catch (e) {
      resp = cache ? await cache.match(url) : null;
      if (!resp) throw new Error(`${url}: cannot be fetched and is not cached (${oneLine(e)})`);
      cached = true;
    }
  }
  const bytes = await readBody(resp, url, what, onProgress, maxBytes);
  if (!cached && cache) await cache.put(url, new Response(bytes, { headers: { 'content-type': resp.headers.get('content-type') ?? '' } }));
  return { bytes, cached, kept: !!cache };
}

// The body of `resp` as one Uint8Array, with progress; larger than maxBytes: refused (naming `label`) as soon as
// its length is known, before it is held in memory.
export async function readBody(resp, label, what, onProgress, maxBytes = Infinity) {
  const total = Number(resp.headers.get('content-length')) || 0;
  if (total > maxBytes) {
    await resp.body?.cancel().catch(() => {});
    throw tooLarge(label, what, total, maxBytes);
  }
  const reader = resp.body.getReader();
  const parts = [];
  let loaded = 0, last = 0;
  // The GGUF header, asked at 64 KiB of the body, then at each doubling until it is whole (up to 64 MiB: vocabularies)
  let sizeAt = Number.isFinite(maxBytes) ? 65536 : Infinity;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    if (loaded > maxBytes) {  // no length given, or a longer body than it said
      await reader.cancel().catch(() => {});
      throw tooLarge(label, what, loaded, maxBytes);
    }
    if (loaded >= sizeAt) {
      const said = ggufSize(concat(parts, loaded));
      sizeAt = said === null && sizeAt < 64 * 1048576 ? sizeAt * 2 : Infinity;
      if (said?.total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(label, what, said.total, maxBytes);
      }
    }
    const now = performance.now();
    if (onProgress && now - last > 100) { onProgress({ phase: 'download', what, loaded, total }); last = now; }
  }
  if (onProgress) onProgress({ phase: 'download', what, loaded, total: total || loaded });
  if (sizeAt !== Infinity && loaded > 0) {  // a body shorter than the first look: its header, whole or not
    const said = ggufSize(concat(parts, loaded));
    if (said?.total > maxBytes) throw tooLarge(label, what, said.total, maxBytes);
  }
  return concat(parts, loaded);
}

function concat(parts, n) {
  const bytes = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { bytes.set(p, off); off += p.length; }
  return bytes;
}

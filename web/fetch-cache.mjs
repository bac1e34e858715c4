// fetch-cache.mjs — downloads for the engine workers (engine-worker.js, asr-worker.js): a fetch from this
// origin with progress, kept in the Cache API ('sotto-models-v1') so the app works offline after the
// first load. Models are cache-first; the engine wasm is network-first with the cache as the offline
// fallback (a rebuilt engine is picked up at once).
//   const { bytes, cached } = await fetchWithProgress(url, what, cacheFirst, onProgress)
//   onProgress({phase: 'download', what, loaded, total}) at most every 100 ms and once at the end;
//   pass null for none. Errors: one line ("URL: cannot be fetched and is not cached (...)").
// Does not: talk to any other origin (the server's CSP would refuse it anyway).

export const CACHE = 'sotto-models-v1';
export const oneLine = (e) => String(e?.message ?? e).split('\n')[0];

export async function fetchWithProgress(url, what, cacheFirst, onProgress) {
  const cache = await caches.open(CACHE);
  let resp = cacheFirst ? await cache.match(url) : null;
  let cached = !!resp;
  if (!resp) {
    try {
      resp = await fetch(url, { cache: 'no-cache' });
      if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
    } catch (e) {
      resp = await cache.match(url);
      if (!resp) throw new Error(`${url}: cannot be fetched and is not cached (${oneLine(e)})`);
      cached = true;
    }
  }
  const total = Number(resp.headers.get('content-length')) || 0;
  const reader = resp.body.getReader();
  const parts = [];
  let loaded = 0, last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    const now = performance.now();
    if (onProgress && now - last > 100) { onProgress({ phase: 'download', what, loaded, total }); last = now; }
  }
  if (onProgress) onProgress({ phase: 'download', what, loaded, total: total || loaded });
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) { bytes.set(p, off); off += p.length; }
  if (!cached) await cache.put(url, new Response(bytes, { headers: { 'content-type': resp.headers.get('content-type') ?? '' } }));
  return { bytes, cached };
}

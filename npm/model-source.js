// model-source.js — the bytes of a model for the engine worker (engine.js): from bytes given, a file (Node: a path
// or file: URL), or an http(s) URL read with progress; cached where the caller allows it. Browsers and Node alike.
//   const { bytes, name, cached } = await readModel(source, { cache, onProgress })
//   source: Uint8Array | ArrayBuffer | string (URL; in Node also a file path) | URL
//   cache: false (none), true (browsers: the Cache API store 'sotto-models'; Node: $XDG_CACHE_HOME/sotto-npm or
//          ~/.cache/sotto-npm), or a string (browsers: the Cache API store's name; Node: a directory). Default: true
//          in browsers, false in Node. Only URLs are cached (bytes and files are already local); a cached copy is used
//          before the network.
//   onProgress({phase: 'download', loaded, total, cached}) at most every 100 ms and once at the end.
//   await clearCache(cache)   deletes what readModel cached there (browsers: the store; Node: the directory's
//                             <sha256 of the URL>.gguf files, nothing else)
// Errors: one line naming the source ("URL: HTTP 404", "path: no such file").
// Does not: verify the file (the engine reports a file that is not a model), talk to any origin but the URL's.

const isNode = typeof globalThis.process?.versions?.node === 'string';
export const DEFAULT_STORE = 'sotto-models';

export const oneLine = (e) => String(e?.message ?? e).split('\n').map((l) => l.trim()).find((l) => l) ?? 'error';

// The file name a model is known by (the engine's messages name it).
export function modelName(source, fallback = 'model.gguf') {
  if (typeof source !== 'string' && !(source instanceof URL)) return fallback;
  const s = String(source).split(/[?#]/)[0];
  return decodeURIComponent(s.slice(s.lastIndexOf('/') + 1)) || fallback;
}

async function nodeCacheDir(cache) {
  if (cache === false || cache === undefined) return null;
  if (typeof cache === 'string') return cache;
  const { homedir } = await import('node:os');
  const { join } = await import('node:path');
  return join(globalThis.process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sotto-npm');
}

async function sha256Hex(text) {
  const d = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function readBody(resp, url, onProgress) {
  const total = Number(resp.headers.get('content-length')) || 0;
  const parts = [];
  let loaded = 0, last = 0;
  const reader = resp.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    const now = Date.now();
    if (onProgress && now - last > 100) { onProgress({ phase: 'download', loaded, total, cached: false }); last = now; }
  }
  if (total && loaded !== total) throw new Error(`${url}: ${loaded} of ${total} bytes arrived`);
  const bytes = new Uint8Array(loaded);
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.length; }
  onProgress?.({ phase: 'download', loaded, total: loaded, cached: false });
  return bytes;
}

async function download(url, onProgress) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error(`${url}: cannot be fetched (${oneLine(e.cause ?? e)})`);
  }
  if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
  return readBody(resp, url, onProgress);
}

export async function readModel(source, { cache, onProgress } = {}) {
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength), name: 'model.gguf', cached: false };
  }
  if (typeof source !== 'string' && !(source instanceof URL)) throw new Error('sotto: a model is bytes, a URL or (Node) a file path');
  const text = String(source);
  const name = modelName(text);
  const isUrl = /^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[a-z]:[\\/]/i.test(text);  // not a Windows drive path
  if (isNode && (!isUrl || text.startsWith('file:'))) {
    const { readFile } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const path = text.startsWith('file:') ? fileURLToPath(text) : text;
    try {
      const bytes = new Uint8Array(await readFile(path));
      onProgress?.({ phase: 'download', loaded: bytes.length, total: bytes.length, cached: true });
      return { bytes, name, cached: true };
    } catch (e) {
      throw new Error(`${path}: ${e.code === 'ENOENT' ? 'no such file' : oneLine(e)}`);
    }
  }
  const url = isNode || isUrl ? text : new URL(text, globalThis.location.href).href;
  if (isNode) {
    const dir = await nodeCacheDir(cache);
    if (!dir) return { bytes: await download(url, onProgress), name, cached: false };
    const fs = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(dir, `${await sha256Hex(url)}.gguf`);
    try {
      const bytes = new Uint8Array(await fs.readFile(file));
      onProgress?.({ phase: 'download', loaded: bytes.length, total: bytes.length, cached: true });
      return { bytes, name, cached: true };
    } catch { /* not cached */ }
    const bytes = await download(url, onProgress);
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${file}.${globalThis.process.pid}.part`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
    return { bytes, name, cached: false };
  }
  const store = cache === false || !globalThis.caches ? null : await caches.open(typeof cache === 'string' ? cache : DEFAULT_STORE);
  const hit = await store?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress?.({ phase: 'download', loaded: bytes.length, total: bytes.length, cached: true });
    return { bytes, name, cached: true };
  }
  const bytes = await download(url, onProgress);
  await store?.put(url, new Response(bytes));
  return { bytes, name, cached: false };
}

export async function clearCache(cache) {
  if (isNode) {
    const dir = await nodeCacheDir(cache === undefined ? true : cache);
    if (!dir) return;
    const fs = await import('node:fs/promises');
    const { join } = await import('node:path');
    let names = [];
    try { names = await fs.readdir(dir); } catch { return; }
    await Promise.all(names.filter((n) => /^[0-9a-f]{64}\.gguf$/.test(n)).map((n) => fs.rm(join(dir, n), { force: true })));
    return;
  }
  if (cache !== false && globalThis.caches) await caches.delete(typeof cache === 'string' ? cache : DEFAULT_STORE);
}

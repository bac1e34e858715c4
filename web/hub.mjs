// hub.mjs — a note or speech model from the Hugging Face hub, for the engine workers (engine-worker.js,
// asr-worker.js), named by the user in Settings as OWNER/NAME[:FILE], as `sotto pull` takes it (docs/models.md):
//   await fetchModel(source, what, onProgress, maxBytes) -> {bytes, cached, kept, name, url, id}
//       source: {url} (a model of this site: fetch-cache.mjs, as before) or {hub: {id, endpoint}}
//   parseHubId(s) -> {repo, file}: file '' = the repo's one .gguf, a file without '.' = a quantisation tag (the one
//       .gguf whose name ends in it after '-', '_' or '.'); a bad id: a one-line error
//   hubEndpoint(s) -> the endpoint without its trailing '/' ('' = DEFAULT_HUB); not http(s): a one-line error
//   pickGguf(paths, ref) -> the chosen path, '' when none matches; several: a one-line error listing them
//   publishedHash(resp, endpoint) -> {kind: 'sha256' | 'git-sha1', hex} from the resolve response's headers, or null
// A hub model is cache-first: the Cache API (fetch-cache.mjs' CACHE) keyed by its resolve URL
// (ENDPOINT/OWNER/NAME/resolve/main/FILE) holds only verified files, and one there is used with no request at all
// (without FILE, or with a tag: among the cached files of that repo first), so it works offline after one download.
// Where this context has no Cache API (fetch-cache.mjs openCache: null), it is downloaded and verified each time,
// and kept: false says so.
// Otherwise: the file list (GET ENDPOINT/api/models/OWNER/NAME/tree/main?recursive=true) when FILE must be picked,
// then GET of the resolve URL (the hub answers with CORS headers and redirects to its CDN), with progress. The
// SHA-256 it is checked against is the hub's published LFS oid: the resolve response's X-Linked-Etag (or its ETag,
// when the hub answered itself), which a browser can read only when there was no redirect; after a redirect (the
// hub's usual answer: its 302's headers are not visible to a page), the same oid from the file list's `lfs.oid`.
// A file kept in git itself (no LFS) is checked against its git blob SHA-1 the same way. The size budget
// (fetch-cache.mjs modelBudget, docs/browsers.md) is checked up front, from the file list's size or the response's
// Content-Length. A mismatch, an error or a refusal is one line, and nothing is cached.
// Requests go out with no cookies and no referrer. Does not: sign in (private and gated repos are refused), resume
// a dropped download, take revisions other than main.
import { fetchWithProgress, oneLine, openCache, readBody, tooLarge } from './fetch-cache.mjs';

export const DEFAULT_HUB = 'https://huggingface.co';
const FORM = ' (expected OWNER/NAME or OWNER/NAME:FILE, e.g. bartowski/SmolLM2-135M-Instruct-GGUF)';

// One component of a repo id: [A-Za-z0-9._-], not "." or "..", no "--" (the rule of sotto pull, apps/cli/hub-cache.cpp).
const repoPart = (s) => /^[A-Za-z0-9._-]{1,96}$/.test(s) && s !== '.' && s !== '..' && !s.includes('--');
const validFile = (f) => f.length <= 1024 && !f.startsWith('/') && !f.endsWith('/') && !/[\x00-\x1f\\]/.test(f) &&
  f.split('/').every((p) => p && p !== '.' && p !== '..');

export function parseHubId(s0) {
  const s = String(s0).trim().replace(/^hf:/, '');
  const colon = s.indexOf(':');
  const repo = colon < 0 ? s : s.slice(0, colon), file = colon < 0 ? '' : s.slice(colon + 1);
  if (colon >= 0 && !validFile(file)) throw new Error(`${s}: '${file}' is not a file path in a repo${FORM}`);
  const parts = repo.split('/');
  if (parts.length > 2 || !parts.every(repoPart)) throw new Error(`${s}: '${repo}' is not a hub repo id${FORM}`);
  return { repo, file };
}

export function hubEndpoint(s) {
  const e = String(s ?? '').trim().replace(/\/+$/, '');
  if (!e) return DEFAULT_HUB;
  let u;
  try { u = new URL(e); } catch { u = null; }
  if (!u || !/^https?:$/.test(u.protocol) || u.search || u.hash || u.username) throw new Error(`${e}: not an http(s) address of a hub`);
  return e;
}

const isGguf = (p) => /\.gguf$/i.test(p);
const picks = (ref) => !ref.file || !ref.file.includes('.');  // no file, or a quantisation tag

export function pickGguf(paths, ref) {
  const tag = ref.file.toLowerCase();
  const hits = paths.filter(isGguf).filter((p) => {
    if (!tag) return true;
    const stem = p.slice(p.lastIndexOf('/') + 1, -5).toLowerCase();
    return stem === tag || (stem.length > tag.length && stem.endsWith(tag) && '-_.'.includes(stem[stem.length - tag.length - 1]));
  }).sort();
  if (hits.length > 1) {
    throw new Error(`${ref.repo}${ref.file ? `:${ref.file}` : ''}: the repo has ${hits.length} .gguf files` +
                    `${tag ? ` ending in ${ref.file}` : ''}; name one: ${hits.map((h) => `${ref.repo}:${h}`).join(', ')}`);
  }
  return hits[0] ?? '';
}

const resolveUrl = (endpoint, repo, file) => `${endpoint}/${repo}/resolve/main/${file.split('/').map(encodeURIComponent).join('/')}`;
const unquote = (v) => (v ?? '').trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();

export function publishedHash(resp, endpoint) {
  const linked = unquote(resp.headers.get('x-linked-etag'));
  if (/^[0-9a-f]{64}$/.test(linked)) return { kind: 'sha256', hex: linked };
  // The ETag names the file only when the hub answered itself: a CDN's ETag is its own (an MD5, a xet hash).
  if (resp.redirected || new URL(resp.url || endpoint).origin !== new URL(endpoint).origin) return null;
  const etag = unquote(resp.headers.get('etag'));
  return /^[0-9a-f]{64}$/.test(etag) ? { kind: 'sha256', hex: etag } : /^[0-9a-f]{40}$/.test(etag) ? { kind: 'git-sha1', hex: etag } : null;
}

async function digest(kind, bytes) {
  let data = bytes;
  if (kind === 'git-sha1') {  // git's blob id: sha1("blob <size>\0" + bytes)
    const head = new TextEncoder().encode(`blob ${bytes.length}\0`);
    data = new Uint8Array(head.length + bytes.length);
    data.set(head);
    data.set(bytes, head.length);
  }
  const d = await crypto.subtle.digest(kind === 'sha256' ? 'SHA-256' : 'SHA-1', data);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const NO_TRACE = { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };

async function hubGet(url, label, endpoint) {
  let resp;
  try {
    resp = await fetch(url, NO_TRACE);
  } catch (e) {
    throw new Error(`${label}: cannot reach ${endpoint} (${oneLine(e)}): is the network off? A hub model downloaded once works offline`);
  }
  if (resp.ok) return resp;
  await resp.body?.cancel().catch(() => {});
  const code = resp.headers.get('x-error-code');
  throw new Error(`${label}: ${code === 'EntryNotFound' ? 'no such file in the repo'
    : code === 'GatedRepo' ? 'a gated repo (the browser app does not sign in; sotto pull with HF_TOKEN does)'
    : code === 'RepoNotFound' || resp.status === 401 ? 'no such repo on the hub (or it is private or gated)'
    : `the hub answered HTTP ${resp.status}`}`);
}

// The repo's files: path -> {hash, size}, following the Link header's pages when the hub lets a page read it.
async function listRepo(endpoint, repo, label) {
  const files = new Map();
  let url = `${endpoint}/api/models/${repo}/tree/main?recursive=true`;
  for (let pages = 0; url && pages < 100; pages++) {
    const resp = await hubGet(url, label, endpoint);
    let list;
    try { list = await resp.json(); } catch { list = null; }
    if (!Array.isArray(list)) throw new Error(`${label}: the hub's file list is not a JSON array`);
    for (const f of list) {
      if (f?.type !== 'file' || typeof f.path !== 'string') continue;
      const hash = typeof f.lfs?.oid === 'string' ? { kind: 'sha256', hex: f.lfs.oid.toLowerCase() }
        : typeof f.oid === 'string' ? { kind: 'git-sha1', hex: f.oid.toLowerCase() } : null;
      files.set(f.path, { hash, size: Number(f.lfs?.size ?? f.size) || 0 });
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(resp.headers.get('link') ?? '');
    url = next ? new URL(next[1], url).href : null;
  }
  return files;
}

async function fetchHub(hub, what, onProgress, maxBytes) {
  const endpoint = hubEndpoint(hub.endpoint);
  const ref = parseHubId(hub.id);
  const from = new URL(endpoint).host;
  const cache = await openCache();
  const base = `${endpoint}/${ref.repo}/resolve/main/`;
  let file = ref.file;
  if (cache && picks(ref)) {  // among the cached files of the repo first: no request
    const cached = (await cache.keys()).map((r) => r.url).filter((u) => u.startsWith(base))
      .map((u) => u.slice(base.length).split('/').map(decodeURIComponent).join('/'));
    file = pickGguf(cached, ref);
  }
  if (cache && file) {
    const hit = await cache.match(resolveUrl(endpoint, ref.repo, file));
    if (hit) {
      const bytes = await readBody(hit, `${ref.repo}:${file}`, what, onProgress, maxBytes);
      return { bytes, cached: true, kept: true, name: file.split('/').pop(), url: resolveUrl(endpoint, ref.repo, file), id: `${ref.repo}:${file}` };
    }
  }
  // The network, which only this path of the app ever reaches: the user asked for this model.
  let listing = null;
  const list = async () => (listing ??= await listRepo(endpoint, ref.repo, hub.id));
  if (picks(ref)) {
    const files = await list();
    file = pickGguf([...files.keys()], ref);
    if (!file) throw new Error(`${hub.id}: ${ref.file ? `no .gguf file of the repo ends in ${ref.file}` : 'the repo has no .gguf file'}`);
  }
  const id = `${ref.repo}:${file}`;
  const listed = listing?.get(file);
  if (listed && listed.size > maxBytes) throw tooLarge(id, what, listed.size, maxBytes);
  const url = resolveUrl(endpoint, ref.repo, file);
  onProgress?.({ phase: 'download', what, loaded: 0, total: listed?.size ?? 0, from });
  const resp = await hubGet(url, id, endpoint);
  let published = publishedHash(resp, endpoint);
  if (!published) {
    try {
      published = (await list()).get(file)?.hash ?? null;
    } catch (e) {
      await resp.body?.cancel().catch(() => {});
      throw e;
    }
  }
  if (!published) {
    await resp.body?.cancel().catch(() => {});
    throw new Error(`${id}: the hub published no SHA-256 for it, so it cannot be verified`);
  }
  const bytes = await readBody(resp, id, what, onProgress && ((p) => onProgress({ ...p, from })), maxBytes);
  const got = await digest(published.kind, bytes);
  if (got !== published.hex) {
    throw new Error(`${id}: ${published.kind === 'sha256' ? 'SHA-256' : 'git SHA-1'} mismatch: the hub published ` +
                    `${published.hex}, the download is ${got}; nothing was kept`);
  }
  await cache?.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'x-sotto-hash': `${published.kind}=${got}` } }));
  return { bytes, cached: false, kept: !!cache, name: file.split('/').pop(), url, id };
}

export async function fetchModel(source, what, onProgress, maxBytes) {
  if (source.hub) return fetchHub(source.hub, what, onProgress, maxBytes);
  const r = await fetchWithProgress(source.url, what, true, onProgress, maxBytes);
  return { ...r, name: source.url.split('/').pop(), url: source.url, id: null };
}

// store.mjs — what the app keeps on this device (localStorage of the app's own origin; nothing leaves it):
// the draft (transcript, template, note, approval) saved on every change and restored after a reload or a
// crash, the settings, the audit log of approvals and exports, and (only with the user's consent) the recording.
//   await saveDraft(d) -> draftPath / await loadDraft() / clearDraft();  loadSettings() / saveSettings(s);
//   await draftPath() -> {where: 'device' | 'memory', why}: where drafts go now. 'device': localStorage, encrypted;
//       'memory': this page only, gone on a reload, because of `why`: 'shared' (the shared-computer setting),
//       'no-key' (no IndexedDB for the device key: private windows, some WebViews; a passphrase keeps drafts on the
//       device again, as its key needs no IndexedDB), 'too-large' (more than localStorage holds) or 'no-storage'
//       (localStorage refuses to be written: storage blocked for the site); `detail`: one line.
//   lockState() -> 'none' | 'locked' | 'unlocked';  await setPassphrase(p);  await unlock(p) -> true | false;
//       await removePassphrase(): the optional passphrase over drafts and the kept recording (below)
//   await saveAudio(bytes) / await loadAudio() -> bytes or null / await clearAudio(): the note's recording (web/
//       audio-evidence.mjs packs it), encrypted with the draft's key in IndexedDB; cleared with the draft
//       (clearDraft: the clear-after policy, the shared computer's page closing), never written on a shared computer.
//   await audit(entry) appends {seq, time, ...entry, prev, hash};  auditLog() -> entries, newest last;
//   await verifyAudit(log) -> {ok, entries, legacy, head, bad (the first entry that does not match), why}.
// The audit log is a hash chain: each entry holds the previous entry's hash (prev) and its own (hash: SHA-256
// of the entry's canonical JSON without hash), so an entry edited, removed or reordered by hand is found
// unless every later hash is recomputed too; the head hash goes into every export, which anchors the log
// outside this browser. Entries written before the chain (no hash) are counted as legacy, not verified.
const oneLine = (e) => String(e?.message ?? e).split('\n')[0];
const DRAFT = 'sotto.draft.v1', SETTINGS = 'sotto.settings.v1', AUDIT = 'sotto.audit.v1', LOCK = 'sotto.lock.v1';

function read(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}

// Drafts are encrypted at rest: AES-GCM with a key WebCrypto made non-extractable, kept in this origin's
// IndexedDB (the page can use it, never read it out). localStorage holds {v: 2, iv, ct, savedAt}. In the
// shared-computer mode nothing is written: the draft lives in this page's memory only. So it does where this
// browser gives no IndexedDB (missing, or open() refused) and no passphrase is set: a key that could not be kept
// would leave the stored draft unreadable after a reload, and a key stored beside the draft would protect nothing.
let memoryDraft = null;
const b64 = (u8) => btoa(String.fromCharCode(...u8));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
let dbPromise = null;  // one connection for the page; rejected for good where IndexedDB is missing or refused
function idb() {
  dbPromise ??= new Promise((resolve, reject) => {
    if (typeof globalThis.indexedDB?.open !== 'function') throw new Error('this browser has no IndexedDB');
    const r = indexedDB.open('sotto-keys', 2);
    r.onupgradeneeded = () => {  // version 2: the kept recording beside the key
      for (const s of ['keys', 'audio']) if (!r.result.objectStoreNames.contains(s)) r.result.createObjectStore(s);
    };
    r.onsuccess = () => {
      r.result.onversionchange = r.result.onclose = () => { r.result.close(); dbPromise = null; };  // opened again next time
      resolve(r.result);
    };
    r.onerror = () => reject(new Error(`this browser refused to open IndexedDB (${r.error?.name ?? 'no reason given'})`));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this app'));
  });
  return dbPromise;
}
function idbReq(db, mode, fn, store = 'keys') {
  return new Promise((resolve, reject) => {
    const r = fn(db.transaction(store, mode).objectStore(store));
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
let keyPromise = null;
function deviceKey() {
  keyPromise ??= (async () => {
    const db = await idb();
    let k = await idbReq(db, 'readonly', (s) => s.get('draft'));
    if (!k) {
      k = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      await idbReq(db, 'readwrite', (s) => s.put(k, 'draft'));
    }
    return k;
  })();
  return keyPromise;
}

// The optional passphrase: drafts and the kept recording are then encrypted with a key derived from it (PBKDF2,
// SHA-256, 600,000 iterations, a random 16-byte salt; the key non-extractable, held only in this page's memory),
// so that the device key alone (someone else at this computer, this browser profile) opens nothing. localStorage
// keeps {salt, iv, check}: a known text encrypted with the key, which tells a wrong passphrase from a right one.
// The passphrase itself is never stored; a forgotten one leaves the draft unreadable (it can only be cleared).
const CHECK = 'sotto drafts';
let passKey = null;
async function deriveKey(pass, salt) {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(pass), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600000 }, base,
                                 { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}
export function lockState() { return !read(LOCK, null) ? 'none' : passKey ? 'unlocked' : 'locked'; }
export async function unlock(pass) {
  const lock = read(LOCK, null);
  if (!lock) return true;
  const k = await deriveKey(pass, unb64(lock.salt));
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(lock.iv) }, k, unb64(lock.check));
    if (new TextDecoder().decode(pt) !== CHECK) return false;
  } catch {
    return false;
  }
  passKey = k;
  return true;
}
// Sets (or changes) the passphrase; the caller saves the draft and the recording again under the new key.
export async function setPassphrase(pass) {
  if (!pass) throw new Error('the passphrase is empty');
  if (lockState() === 'locked') throw new Error('the drafts are locked: unlock them first');
  const salt = crypto.getRandomValues(new Uint8Array(16)), iv = crypto.getRandomValues(new Uint8Array(12));
  const k = await deriveKey(pass, salt);
  const check = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, k, new TextEncoder().encode(CHECK));
  await draftChain;
  await audioChain;
  localStorage.setItem(LOCK, JSON.stringify({ salt: b64(salt), iv: b64(iv), check: b64(new Uint8Array(check)) }));
  passKey = k;
}
export async function removePassphrase() {
  if (lockState() === 'locked') throw new Error('the drafts are locked: unlock them first');
  await draftChain;
  await audioChain;
  localStorage.removeItem(LOCK);
  passKey = null;
}
// The key drafts are written with now: the passphrase's, else the device's. Locked: none (nothing is written).
async function draftKey() {
  if (read(LOCK, null)) {
    if (!passKey) throw new Error('locked');
    return passKey;
  }
  return deviceKey();
}
// Decrypts with the key of now, else the device key (a draft or recording written just before the passphrase was
// set, the page closed before it was written again).
async function decrypt(iv, ct) {
  try {
    return await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, await draftKey(), ct);
  } catch (e) {
    if (!passKey) throw e;
    return crypto.subtle.decrypt({ name: 'AES-GCM', iv }, await deviceKey(), ct);
  }
}

// Where drafts go (draftPath): the last save's answer; before any, found the way a save would find it.
const DEVICE = { where: 'device', why: '', detail: 'drafts are kept on this device, encrypted' };
const inMemory = (why, detail) => ({ where: 'memory', why, detail });
const SHARED = inMemory('shared', 'shared computer: no draft is kept on this device');
let lastPath = null;
async function keyOrPath() {
  if (loadSettings().sharedComputer) return { path: SHARED };
  if (read(LOCK, null)) return passKey ? { key: passKey } : { path: DEVICE };  // locked: nothing is written
  try {
    return { key: await deviceKey() };
  } catch (e) {
    return { path: inMemory('no-key', `the drafts' key needs IndexedDB: ${oneLine(e)} (a private window?)`) };
  }
}
export async function draftPath() {
  await draftChain;
  return lastPath ?? (await keyOrPath()).path ?? DEVICE;
}

function removeStored() {
  try { localStorage.removeItem(DRAFT); } catch { /* storage blocked: nothing was stored */ }
}

let draftChain = Promise.resolve();
export function saveDraft(d) {  // serialised: a slower earlier save never overwrites a later one
  const savedAt = new Date().toISOString();
  const text = JSON.stringify({ ...d, savedAt });
  draftChain = draftChain.then(async () => {
    const { key, path } = await keyOrPath();
    if (!key) {
      if (path !== DEVICE) { memoryDraft = text; if (path === SHARED) removeStored(); }
      return (lastPath = path);
    }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text));
    const stored = JSON.stringify({ v: 2, iv: b64(iv), ct: b64(new Uint8Array(ct)), savedAt });
    try {
      localStorage.setItem(DRAFT, stored);
    } catch (e) {  // over the origin's localStorage quota (a few MiB, shared with the settings and the audit log)
      memoryDraft = text;
      removeStored();  // an older draft must not come back in its place
      const quota = e?.name === 'QuotaExceededError' || e?.name === 'NS_ERROR_DOM_QUOTA_REACHED';
      return (lastPath = quota ? inMemory('too-large', `the draft (${Math.ceil(stored.length / 1024)} KiB) is more than this browser's local storage holds (${oneLine(e)})`)
        : inMemory('no-storage', `this browser does not let the app write to its local storage (${oneLine(e)})`));
    }
    memoryDraft = null;
    return (lastPath = DEVICE);
  }).catch(() => lastPath);
  return draftChain;
}

// The draft, or null; {cleared: why} when one was found and removed (too old for the policy, or its key is gone).
export async function loadDraft() {
  await draftChain;
  if (memoryDraft) return JSON.parse(memoryDraft);
  const raw = read(DRAFT, null);
  if (!raw) return null;
  const hours = loadSettings().clearAfterHours;
  if (raw.savedAt && hours > 0 && Date.now() - Date.parse(raw.savedAt) > hours * 3600e3) {
    clearDraft();
    return { cleared: `a draft last saved ${new Date(raw.savedAt).toLocaleString()} was cleared: drafts are kept ${hours} hours (Settings)` };
  }
  if (raw.v !== 2) return raw;  // written before drafts were encrypted: the next save encrypts it
  if (lockState() === 'locked') return { locked: true };
  try {
    const pt = await decrypt(unb64(raw.iv), unb64(raw.ct));
    return JSON.parse(new TextDecoder().decode(pt));
  } catch {
    clearDraft();
    return { cleared: read(LOCK, null) ? 'the saved draft was written under another passphrase and could not be opened; it was removed'
      : 'the saved draft could not be decrypted (its key was cleared with the site data) and was removed' };
  }
}
export function clearDraft() { memoryDraft = null; localStorage.removeItem(DRAFT); clearAudio(); }
// A locked draft the user chose to give up (a forgotten passphrase): the draft, the recording and the lock.
export function forgetLocked() { clearDraft(); localStorage.removeItem(LOCK); passKey = null; }

// The recording: {v: 1, iv, ct, savedAt} under 'note' in IndexedDB's 'audio' store (too large for localStorage), so
// without IndexedDB it stays in the page's memory (recordingStore() -> false), even where drafts are kept.
export async function recordingStore() {
  try {
    return !!(await idb());
  } catch {
    return false;
  }
}
let audioChain = Promise.resolve();
const audioReq = (mode, fn) => idb().then((db) => idbReq(db, mode, fn, 'audio'));
export function saveAudio(bytes) {
  audioChain = audioChain.then(async () => {
    if (loadSettings().sharedComputer) { await audioReq('readwrite', (s) => s.delete('note')); return; }
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await draftKey(), bytes);
    await audioReq('readwrite', (s) => s.put({ v: 1, iv, ct, savedAt: new Date().toISOString() }, 'note'));
  }).catch(() => {});
  return audioChain;
}
export async function loadAudio() {
  await audioChain;
  try {
    const r = await audioReq('readonly', (s) => s.get('note'));
    return r ? new Uint8Array(await decrypt(r.iv, r.ct)) : null;
  } catch {
    return null;
  }
}
export function clearAudio() {
  audioChain = audioChain.then(() => audioReq('readwrite', (s) => s.delete('note'))).catch(() => {});
  return audioChain;
}

export const DEFAULT_SETTINGS = { modelUrl: '/models/note.gguf', asrModelUrl: '/models/asr.gguf', wasmUrl: '/engine/sotto.wasm',
                                  speakerModelUrl: '/models/sotto-speaker-f32.gguf', speakers: 'off',
                                  temperature: 0, backend: 'auto', clearAfterHours: 24, sharedComputer: false,
                                  modelHub: '', asrModelHub: '', hubEndpoint: '' };  // hub models: web/hub.mjs
export function loadSettings() { return { ...DEFAULT_SETTINGS, ...read(SETTINGS, {}) }; }
export function saveSettings(s) { localStorage.setItem(SETTINGS, JSON.stringify(s)); }

export async function sha256(text) {
  const d = await crypto.subtle.digest('SHA-256', typeof text === 'string' ? new TextEncoder().encode(text) : text);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// JSON with object keys sorted, so a hash does not depend on key order.
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {  // keys whose value is undefined are left out, as JSON.stringify leaves them
    return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

let chain = Promise.resolve();
export function audit(entry) {  // serialised: two quick entries never read the same head
  chain = chain.then(async () => {
    const log = read(AUDIT, []);
    const last = log[log.length - 1];
    const e = { seq: (last?.seq ?? log.length) + 1, time: new Date().toISOString(), ...entry, prev: last?.hash ?? '' };
    e.hash = await sha256(canonical(e));
    log.push(e);
    localStorage.setItem(AUDIT, JSON.stringify(log));
    return log;
  });
  return chain;
}
export function auditLog() { return read(AUDIT, []); }

export async function verifyAudit(log) {
  let legacy = 0, prev = null;
  for (let i = 0; i < log.length; i++) {
    const e = log[i];
    if (prev === null && !e.hash) { legacy++; continue; }
    const bad = (why) => ({ ok: false, entries: log.length, legacy, bad: i, why });
    if (!e.hash) return bad('it has no hash');
    if (prev !== null && e.prev !== prev) return bad('it does not follow the entry before it');
    const { hash, ...rest } = e;
    if (await sha256(canonical(rest)) !== hash) return bad('its content does not match its hash');
    prev = hash;
  }
  return { ok: true, entries: log.length, legacy, head: prev ?? '' };
}

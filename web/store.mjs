// store.mjs — what the app keeps on this device (localStorage of the app's own origin; nothing leaves it):
// the draft (transcript, template, note, approval) saved on every change and restored after a reload or a
// crash, the settings, and the audit log of approvals and exports.
//   saveDraft(d) / loadDraft() / clearDraft();  loadSettings() / saveSettings(s);
//   audit(entry) appends {time, ...entry};  auditLog() -> entries, newest last.
const DRAFT = 'sotto.draft.v1', SETTINGS = 'sotto.settings.v1', AUDIT = 'sotto.audit.v1';

function read(key, fallback) {
  try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; }
}

export function saveDraft(d) { localStorage.setItem(DRAFT, JSON.stringify({ ...d, savedAt: new Date().toISOString() })); }
export function loadDraft() { return read(DRAFT, null); }
export function clearDraft() { localStorage.removeItem(DRAFT); }

export const DEFAULT_SETTINGS = { modelUrl: '/models/note.gguf', asrModelUrl: '/models/asr.gguf', wasmUrl: '/engine/sotto.wasm',
                                  temperature: 0, backend: 'auto' };
export function loadSettings() { return { ...DEFAULT_SETTINGS, ...read(SETTINGS, {}) }; }
export function saveSettings(s) { localStorage.setItem(SETTINGS, JSON.stringify(s)); }

export function audit(entry) {
  const log = read(AUDIT, []);
  log.push({ time: new Date().toISOString(), ...entry });
  localStorage.setItem(AUDIT, JSON.stringify(log.slice(-500)));
  return log;
}
export function auditLog() { return read(AUDIT, []); }

// dialogs.mjs — the app's two modal dialogs (web/index.html: #confirm, #ack): a question with choices, and the
// list of flagged values each of which must be ticked before an approval. Native <dialog>: focus moves in and
// returns to the control that opened it; Escape is the safe answer.
// Does not: know the page's state.
const $ = (id) => document.getElementById(id);

// Asks in a modal dialog; resolves to the chosen key, or null (the last choice, Escape). Focus starts on the
// last (safe) choice and returns to the control that was focused.
export function ask(text, choices) {
  const dlg = $('confirm');
  $('confirm-text').textContent = text;
  const box = $('confirm-buttons');
  return new Promise((resolve) => {
    const done = (v) => { dlg.close(); resolve(v); };
    box.replaceChildren(...choices.map(([key, label], i) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = label;
      b.dataset.choice = key ?? 'cancel';
      if (i < choices.length - 1) b.className = 'secondary';
      b.onclick = () => done(key);
      return b;
    }));
    dlg.oncancel = (e) => { e.preventDefault(); done(null); };
    dlg.showModal();
    box.lastElementChild.focus();
  });
}

// Every flagged value ticked in the dialog, or null when the reviewer goes back to the note.
export function acknowledge(flags) {
  const dlg = $('ack'), ok = $('ack-ok');
  const boxes = flags.map((f, i) => {
    const li = document.createElement('li');
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.id = `ack-${i}`;
    cb.dataset.path = f.path;
    const label = document.createElement('label');
    label.htmlFor = cb.id;
    label.textContent = `${f.path}: "${f.value}" (not in the transcript: ${f.unsupported.join(', ')})`;
    li.append(cb, ' ', label);
    return [li, cb];
  });
  $('ack-list').replaceChildren(...boxes.map(([li]) => li));
  const sync = () => { ok.disabled = !boxes.every(([, cb]) => cb.checked); };
  for (const [, cb] of boxes) cb.onchange = sync;
  sync();
  return new Promise((resolve) => {
    const done = (v) => { dlg.close(); resolve(v); };
    ok.onclick = () => done(flags.map((f) => ({ path: f.path, value: f.value, unsupported: f.unsupported })));
    $('ack-cancel').onclick = () => done(null);
    dlg.oncancel = (e) => { e.preventDefault(); done(null); };
    dlg.showModal();
    boxes[0][1].focus();
  });
}

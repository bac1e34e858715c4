// dialogs.mjs — the app's modal dialogs (web/index.html: #confirm, #ack, #unlock): a question with choices, the
// list of flagged values each of which must be ticked before an approval, and the passphrase that unlocks the
// draft. Native <dialog>: focus moves in and returns to the control that opened it; Escape is the safe answer
// (in #unlock there is none: the draft is opened or, confirmed, cleared).
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

// The passphrase of a locked draft: resolves 'unlocked' once tryIt(passphrase) (async) accepts one, or 'forget'
// when the user clears the locked draft (confirmed: it cannot be recovered). A wrong passphrase says so.
export function unlockDraft(tryIt) {
  const dlg = $('unlock'), pass = $('unlock-pass'), err = $('unlock-error');
  return new Promise((resolve) => {
    const open = () => { dlg.showModal(); pass.focus(); };
    $('unlock-form').onsubmit = async (e) => {
      e.preventDefault();
      err.textContent = 'Checking…';
      if (await tryIt(pass.value)) {
        pass.value = '';
        err.textContent = '';
        dlg.close();
        resolve('unlocked');
      } else {
        err.textContent = 'That passphrase does not open the draft.';
        pass.select();
      }
    };
    $('unlock-forget').onclick = async () => {
      dlg.close();
      const c = await ask('Clear the locked draft? Its transcript, note and recording are deleted and cannot be recovered.',
                          [['forget', 'Clear the draft'], [null, 'Back']]);
      if (c === 'forget') resolve('forget'); else open();
    };
    dlg.oncancel = (e) => e.preventDefault();
    open();
  });
}

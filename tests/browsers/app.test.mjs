// app.test.mjs — a short end-to-end path of the browser app in Firefox ESR and WebKitGTK (drive.mjs), against
// `sotto serve` with the bundled note model; the full path runs in Chromium (tests/web/app.test.mjs):
//   * the engine loads in its worker and the page says which path it took: the wasm CPU (SIMD128), threaded
//     (sotto-mt.wasm, ", N threads") only where SharedArrayBuffer and cross-origin isolation are there; Firefox
//     (WebGPU on, lavapipe): the software adapter is passed over for the wasm CPU; WebKitGTK: no WebGPU;
//   * "Try an example": the bundled dictation (samples/visit-soap.wav) is transcribed in the speech worker as
//     `sotto transcribe` transcribes it;
//   * a pasted transcript (samples/visit-soap.txt) gives the note of `sotto note`, and every value is supported;
//   * the note is approved, then exported as JSON and Markdown holding the approved note;
//   * the audit log's hash chain: an entry edited in local storage is found after a reload;
//   * a passphrase over drafts: after a reload the draft opens only with it (a wrong one is refused);
//   * speakers: a two-voice conversation dropped on the page is labelled as `sotto transcribe --speakers 2` labels it;
//   * the plain status lines speak no jargon (file formats, backends, adapters);
//   * the voice control panel (web/voice): a typed command acts as `sotto listen --text` says, a stop_line waits for its
//     dialog and Cancel changes nothing, a bad command set is one line, a WAV (espeak-ng) is logged with its latency
//     after partial text (the full path: tests/web/voice.test.mjs in Chromium);
//   * no request leaves the page's origin (the recording proxy), and the page raises no error (Firefox).
// Usage: node tests/browsers/app.test.mjs [path/to/sotto]   (SOTTO_WASM_DIR, SOTTO_BROWSERS=firefox,webkit)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Tally } from '../harness.mjs';
import { startServe } from '../web/serve.mjs';
import { conversation16k, referenceResample, wav16k } from '../web/speech-fixtures.mjs';
import { browsersAvailable, openBrowser } from './drive.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const noteModel = join(root, 'models', 'sotto-notes-q8_0.gguf');
const noteMiB = (statSync(noteModel).size / 2 ** 20).toFixed(1).replace('.', '\\.');  // as the status writes it
const transcriptFile = join(root, 'samples', 'visit-soap.txt');
const transcript = readFileSync(transcriptFile, 'utf8');
const nativeNote = JSON.parse(execFileSync(sotto, ['note', '--transcript', transcriptFile, '--template', 'soap', '-m', noteModel,
                                                   '-q', '--format', 'json'], { encoding: 'utf8' }));

const asrModel = join(root, 'models', 'sotto-asr-q8_0.gguf');
const exampleText = JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, join(root, 'samples', 'visit-soap.wav'), '--json'],
                                            { encoding: 'utf8' })).segments.map((x) => x.text).filter((x) => x).join(' ');
// /models/ of the server: the speaker model (the app's default URL) and the two-voice conversation.
const tmp = mkdtempSync(join(tmpdir(), 'sotto-browsers-app-'));
copyFileSync(join(root, 'models', 'sotto-speaker-f32.gguf'), join(tmp, 'sotto-speaker-f32.gguf'));
const conversation = conversation16k(tmp);
const conversationLines = [];
JSON.parse(execFileSync(sotto, ['transcribe', '-m', asrModel, conversation, '--json', '--speakers', '2'], { encoding: 'utf8' }))
  .segments.filter((x) => x.text).forEach((x, i, a) => {
    if (i > 0 && a[i - 1].speaker === x.speaker) conversationLines[conversationLines.length - 1] += ` ${x.text}`;
    else conversationLines.push(`Speaker ${x.speaker}: ${x.text}`);
  });
// The voice panel's WAV: a 5 s espeak-ng phrase at 16 kHz (/models/voice-16k.wav), and the typed command's action.
execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', join(tmp, 'voice-22k.wav'),
                           'Set line two speed to seventy five percent and turn on the lights in the loading bay.']);
writeFileSync(join(tmp, 'voice-16k.wav'), wav16k(referenceResample(readFileSync(join(tmp, 'voice-22k.wav')))));
const voiceAction = JSON.parse(execFileSync(sotto, ['listen', '--commands', join(root, 'web', 'voice', 'factory.json'), '--text'],
                                            { input: 'Set line two speed to eighty percent.\n', encoding: 'utf8' }));
const JARGON = /gguf|simd|wasm|webgpu|\bmib\b|adapter|pipeline|swiftshader|lavapipe|backend|\bcpu\b|\bgpu\b/i;
const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--wasm-dir', wasmDir, '--model', noteModel, '--asr-model', asrModel,
                                                   '--models', tmp, '-q']);
const tally = new Tally();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Polls a function body in the page until it gives a truthy value.
async function until(b, body, what, timeoutMs = 120000) {
  for (const t0 = Date.now(); ;) {
    const v = await b.evaluate(body).catch(() => undefined);
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) {
      const seen = await b.evaluate("return JSON.stringify(document.body.dataset) + ' | ' + document.getElementById('engine-status').textContent + ' | ' + (document.getElementById('gen-status')?.textContent ?? '');").catch((e) => e.message);
      throw new Error(`timed out waiting for ${what} (${seen})`);
    }
    await sleep(200);
  }
}
const attr = (name, value) => `return document.body.dataset[${JSON.stringify(name)}] === ${JSON.stringify(value)};`;

for (const name of browsersAvailable()) {
  const t0 = Date.now();
  const b = await openBrowser(name, { origin, gpu: true });  // Firefox: WebGPU on (lavapipe)
  try {
    await tally.test(`${name}: the engine loads and the page says which path it took`, async () => {
      await b.goto(origin + '/');
      await until(b, attr('engine', 'ready'), 'the engine');
      const [status, info, sab, isolated] = await b.evaluate(
        "return [document.getElementById('engine-status').textContent, document.getElementById('backend-info').textContent, typeof SharedArrayBuffer, self.crossOriginIsolated];");
      console.log(`      ${name}: ${status} | ${info}`);
      assert.equal(isolated, true, 'the page is cross-origin isolated (COOP + COEP)');
      const threaded = / \d+ threads$/.test(status);
      assert.match(status, new RegExp(`^Engine ready: note\\.gguf \\(${noteMiB} MiB\\) on the wasm CPU \\(SIMD128\\)(, relaxed SIMD)?(, \\d+ threads)?$`));
      if (sab !== 'function') assert.ok(!threaded, `threads without SharedArrayBuffer: ${status}`);
      if (name === 'firefox') assert.ok(threaded, `Firefox is cross-origin isolated with SharedArrayBuffer: ${status}`);
      // Firefox's adapter (lavapipe) is a software one: the app keeps notes on the wasm CPU and says why.
      assert.match(info, name === 'firefox' ? /^Notes are written on the wasm CPU: the WebGPU adapter is a software one/
                                            : /^Notes are written on the wasm CPU: this browser has no WebGPU \(navigator\.gpu\)\.$/);
    });
    await tally.test(`${name}: "Try an example" transcribes the bundled dictation as \`sotto transcribe\` does`, async () => {
      await until(b, attr('asr', 'ready'), 'speech recognition');
      await b.evaluate("document.getElementById('try-example').click();");
      await until(b, attr('dictation', 'done'), 'the dictation');
      const text = await b.evaluate("return document.getElementById('transcript').value;");
      assert.equal(text, exampleText);
    });
    await tally.test(`${name}: a pasted transcript gives the note of \`sotto note\`, every value supported`, async () => {
      await b.evaluate(`const t = document.getElementById('transcript'); t.value = arguments[0];
                        t.dispatchEvent(new Event('input', { bubbles: true }));`, transcript);
      await until(b, "return !document.getElementById('generate').disabled;", 'Write note enabled', 30000);
      await b.evaluate("document.getElementById('generate').click();");
      await until(b, attr('note', 'ready'), 'the note');
      const [stream, gen] = await b.evaluate("return [document.getElementById('stream').textContent, document.getElementById('gen-status').textContent];");
      assert.match(gen, /^Note written on the wasm CPU \(SIMD128\): \d+ tokens/);
      assert.deepEqual(JSON.parse(stream), nativeNote);
      const summary = await until(b, "return document.getElementById('flag-summary').textContent;", 'the support check');
      assert.equal(summary, 'Every value is supported by the transcript.');
    });
    await tally.test(`${name}: approved, then exported as JSON and Markdown holding the approved note`, async () => {
      // Downloads are recorded in the page (the blob handed to the link), not saved by the browser.
      await b.evaluate(`window.__exports = [];
        const create = URL.createObjectURL.bind(URL);
        URL.createObjectURL = (blob) => { const u = create(blob); window.__exports.push({ u, blob }); return u; };
        const click = HTMLAnchorElement.prototype.click;
        HTMLAnchorElement.prototype.click = function () {
          const e = window.__exports.find((x) => x.u === this.href);
          if (e && this.download) { e.name = this.download; return; }
          return click.call(this);
        };
        const a = document.getElementById('approver'); a.value = 'Dr Test, GP';
        a.dispatchEvent(new Event('input', { bubbles: true }));`);
      await until(b, "return !document.getElementById('approve').disabled;", 'Approve enabled', 10000);
      await b.evaluate("document.getElementById('approve').click();");
      await until(b, attr('approved', 'yes'), 'the approval', 10000);
      for (const f of ['json', 'md']) {
        await until(b, `return !document.querySelector('[data-export="${f}"]').disabled;`, `export ${f} enabled`, 10000);
        await b.evaluate(`document.querySelector('[data-export="${f}"]').click();`);
        await until(b, `return window.__exports.filter((e) => e.name).length >= ${f === 'json' ? 1 : 2};`, `the ${f} export`, 10000);
      }
      const files = await b.evaluate('return Promise.all(window.__exports.filter((e) => e.name).map(async (e) => [e.name, await e.blob.text()]));');
      assert.equal(files.length, 2, JSON.stringify(files.map((f) => f[0])));
      const [[jsonName, json], [mdName, md]] = files;
      assert.match(jsonName, /\.json$/);
      assert.match(mdName, /\.md$/);
      assert.deepEqual(JSON.parse(json).note, nativeNote);
      assert.match(md, /\n- Approved by Dr Test, GP on /);
      assert.ok(md.includes(nativeNote.subjective), 'the Markdown holds the note');
    });
    await tally.test(`${name}: the audit log's hash chain: an entry edited in local storage is found after a reload`, async () => {
      const original = await b.evaluate("return localStorage.getItem('sotto.audit.v1');");
      const log = JSON.parse(original);
      assert.ok(log.length >= 3 && log.every((e, i) => /^[0-9a-f]{64}$/.test(e.hash) && e.prev === (i ? log[i - 1].hash : '')));
      log[0].approver = 'Someone else';
      await b.evaluate("localStorage.setItem('sotto.audit.v1', arguments[0]);", JSON.stringify(log));
      await b.goto(origin + '/');
      await until(b, attr('audit', 'altered'), 'the altered log found');
      assert.match(await b.evaluate("return document.getElementById('audit-status').textContent;"),
                   /^The audit log was altered: entry 1 its content does not match its hash\.$/);
      await b.evaluate("localStorage.setItem('sotto.audit.v1', arguments[0]);", original);
      await b.goto(origin + '/');
      await until(b, attr('audit', 'intact'), 'the log intact again');
      await until(b, attr('engine', 'ready'), 'the engine');
    });
    await tally.test(`${name}: a passphrase locks the draft: after a reload only it opens the draft`, async () => {
      const text = await b.evaluate("return document.getElementById('transcript').value;");
      assert.ok(text.length > 100, 'the draft came back after the reloads');
      await b.evaluate(`document.getElementById('settings').open = true;
                        document.getElementById('passphrase').value = 'correct horse battery';
                        document.getElementById('set-passphrase').click();`);
      await until(b, "return document.getElementById('passphrase-state').textContent.endsWith('(Passphrase set.)');", 'the passphrase set', 60000);
      await sleep(500);  // the draft written again under the new key
      await b.goto(origin + '/');
      await until(b, "return document.getElementById('unlock')?.open;", 'the unlock dialog', 60000);
      await b.evaluate("document.getElementById('unlock-pass').value = 'wrong horse battery'; document.getElementById('unlock-ok').click();");
      await until(b, "return document.getElementById('unlock-error').textContent.startsWith('That');", 'the refusal', 60000);
      await b.evaluate("document.getElementById('unlock-pass').value = 'correct horse battery'; document.getElementById('unlock-ok').click();");
      await until(b, "return !document.getElementById('unlock').open;", 'the draft unlocked', 60000);
      await until(b, `return document.getElementById('transcript').value === ${JSON.stringify(text)};`, 'the transcript restored', 30000);
      await b.evaluate(`document.getElementById('settings').open = true; document.getElementById('remove-passphrase').click();`);
      await until(b, "return document.getElementById('passphrase-state').textContent.endsWith('(Passphrase removed.)');", 'the passphrase removed', 60000);
      await b.evaluate("document.getElementById('settings').open = false;");
      await until(b, attr('engine', 'ready'), 'the engine');
    });
    await tally.test(`${name}: a dropped two-voice conversation is labelled by speaker as \`sotto transcribe --speakers 2\` labels it`, async () => {
      await b.evaluate(`const s = document.getElementById('speakers'); s.value = '2'; s.dispatchEvent(new Event('change'));
        delete document.body.dataset.dictation; delete document.body.dataset.speakers;
        window.__drop = fetch('/models/conversation-16k.wav').then((r) => r.blob()).then((blob) => {
          const dt = new DataTransfer();
          dt.items.add(new File([blob], 'conversation-16k.wav', { type: 'audio/wav' }));
          document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        });`);
      // A transcript is open: the app asks whether this is a new encounter.
      await until(b, "return document.getElementById('confirm').open;", 'the new-encounter question', 60000);
      await b.evaluate("document.querySelector('#confirm [data-choice=\"new\"]').click();");
      await until(b, attr('dictation', 'done'), 'the conversation transcribed', 180000);
      const [speakers, info, text] = await b.evaluate("return [document.body.dataset.speakers, document.getElementById('audio-info').textContent, document.getElementById('transcript').value];");
      assert.equal(speakers, '2', info);
      assert.ok(conversationLines.length >= 4, `the CLI found ${conversationLines.length} turns`);
      assert.equal(text, conversationLines.join('\n'));
    });
    await tally.test(`${name}: the plain status lines speak no jargon`, async () => {
      const lines = await b.evaluate("return [document.getElementById('plain-status').textContent, document.getElementById('asr-plain').textContent];");
      assert.deepEqual(lines, ['Ready: notes are written on this device. Nothing is sent anywhere.',
                               'Speech recognition is ready: record, or open a recording.']);
      for (const l of lines) assert.doesNotMatch(l, JARGON);
    });
    await tally.test(`${name}: the voice control panel: typed, confirmed, a bad set, a WAV with partials and latency`, async () => {
      await b.goto(origin + '/voice/');
      await until(b, "return document.body.dataset.engine === 'ready' && document.body.dataset.commands === 'ready';", 'the voice panel');
      const type = (text) => b.evaluate(`const n = document.querySelectorAll('#log li').length;
        document.getElementById('utterance').value = arguments[0];
        document.getElementById('type-form').requestSubmit(); return n;`, text);
      let n = await type('Set line two speed to eighty percent.');
      await until(b, `return document.querySelectorAll('#log li').length > ${n};`, 'the typed command', 30000);
      const [cmd, line2] = await b.evaluate("return [document.querySelector('#log li').dataset.command, document.querySelector('#lines tbody tr:nth-child(2)').textContent];");
      assert.equal(cmd, voiceAction.command);
      assert.equal(line2, `Line 2Running${voiceAction.slots.speed} %`);
      n = await type('stop line two');
      await until(b, "return document.getElementById('confirm').open;", 'the confirmation dialog', 30000);
      assert.equal(await b.evaluate('return document.activeElement.dataset.choice;'), 'cancel');
      await b.evaluate("document.querySelector('#confirm [data-choice=\"cancel\"]').click();");
      await until(b, "return document.querySelector('#log li').dataset.outcome === 'cancelled';", 'the cancellation', 30000);
      assert.equal(await b.evaluate("return document.querySelector('#lines tbody tr:nth-child(2)').textContent;"), line2);
      await b.evaluate(`document.getElementById('set-json').value = '{"commands": [';
                        document.getElementById('apply-set').click();`);
      await until(b, "return document.getElementById('set-error').textContent;", 'the bad set refused', 30000);
      assert.equal(await b.evaluate("return document.getElementById('set-error').textContent;"),
                   'Not used (the panel keeps the set it had): command set:1:15: unexpected end of input');
      n = await b.evaluate(`const n = document.querySelectorAll('#log li').length;
        window.__partials = 0;
        new MutationObserver(() => { if (document.getElementById('partial').textContent) window.__partials++; })
          .observe(document.getElementById('partial'), { childList: true, characterData: true, subtree: true });
        fetch('/models/voice-16k.wav').then((r) => r.blob()).then((blob) => {
          const dt = new DataTransfer();
          dt.items.add(new File([blob], 'voice-16k.wav', { type: 'audio/wav' }));
          const input = document.getElementById('wav-file');
          input.files = dt.files;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        });
        return n;`);
      await until(b, `return document.querySelectorAll('#log li').length > ${n} && !document.body.dataset.busy;`, 'the WAV heard', 60000);
      const [latency, partials, shown] = await b.evaluate("const li = document.querySelector('#log li'); return [li.dataset.latencyMs, li.dataset.partials, window.__partials];");
      assert.ok(Number(latency) > 0, `latency ${latency}`);
      assert.ok(Number(partials) >= 3 && shown >= 3, `${partials} partials (${shown} shown)`);
      console.log(`      ${name}: the WAV's phrase in ${latency} ms, after ${partials} partials`);
    });
    await tally.test(`${name}: no request outside ${origin}, no page error`, async () => {
      assert.deepEqual(b.offsite(), []);
      assert.deepEqual(b.errors, []);
    });
  } finally {
    await b.close();
  }
  console.log(`      ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
server.kill();
rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

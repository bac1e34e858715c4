// voice.test.mjs — the voice control panel (web/voice/, issue 19) in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core) against `sotto serve`, with the bundled speech model on the wasm CPU:
//   * panel.mjs in Node: an action changes a copy of the panel; one it has no control for changes nothing;
//   * the page loads its engine in the speech worker and the factory command set; axe-core finds no violation;
//   * typed utterances give the actions of `sotto listen --text` for the same set (set_speed, log_defect, lights,
//     a timer) and the panel shows them; out-of-set text is logged as "not a command: <reason>", the panel unchanged;
//   * a confirm: true command (stop line) waits in an accessible dialog (focus on Cancel): Cancel (and Escape) leave the
//     panel unchanged, the confirming button stops the line; keyboard only;
//   * a command set that does not check gives one line (the CLI's message) and the panel keeps its set;
//   * an espeak-ng WAV of a phrase, opened in the file input and fed in real time in 100 ms chunks: a log line with its latency
//     (end of phrase -> action, and -> the screen), partial text shown before the final of a longer phrase (`sotto listen
//     --partial 300`); with the "Bias" box checked, the phrase's action (free or constrained text, command) is that of
//     `sotto listen --bias` for the same WAV; with "End a command after 200 ms", the line adds end of speech -> action
//     (a phrase that is no command does not end early); a file that is not audio: one line;
//   * the microphone (Chromium's fake capture device playing that WAV): Listen, the phrase logged with a latency, Stop;
//   * at 320 px wide nothing scrolls sideways;
//   * offline (after the first load) the page, its engine, model and command set come from the caches;
//   * every request of the page, its workers and its service worker: this origin only, GET/HEAD, no query string, only
//     the page's own files (a self-test shows a request to another origin is caught).
// Screenshots go to docs/screenshots/voice-*.png (SCREENSHOTS=0 to skip).
// Usage: node tests/web/voice.test.mjs [path/to/sotto] (the wasm build in build-wasm/ or SOTTO_WASM_DIR). About 25 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { apply, newPanel } from '../../web/voice/panel.mjs';
import { Tally } from '../harness.mjs';
import { referenceResample, wav16k } from './speech-fixtures.mjs';
import { startServe } from './serve.mjs';
import { axeClean, launchChromium, until as untilIn, watchedContext as watchedContextOf } from './page-helpers.mjs';

process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = '1';  // the service worker's requests are watched too
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const wasmDir = process.env.SOTTO_WASM_DIR ?? join(root, 'build-wasm');
const bundledAsr = join(root, 'models', 'sotto-asr-q8_0.gguf');
const asrModel = existsSync(bundledAsr) ? bundledAsr : join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');
const factory = join(root, 'web', 'voice', 'factory.json');
const tmp = mkdtempSync(join(tmpdir(), 'sotto-voice-'));
const shots = join(root, 'docs', 'screenshots');
const shot = async (page, name) => { if (process.env.SCREENSHOTS !== '0') await page.screenshot({ path: join(shots, `${name}.png`) }); };
const t0 = Date.now();

// espeak-ng phrases as 16 kHz WAVs (what the page reads sample for sample).
const speak = (text, name) => {
  const raw = join(tmp, `${name}-22k.wav`);
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw, text]);
  const wav = join(tmp, `${name}.wav`);
  writeFileSync(wav, wav16k(referenceResample(readFileSync(raw))));
  return wav;
};
const shortWav = speak('Stop line two.', 'short');
const longWav = speak('Set line two speed to seventy five percent and turn on the lights in the loading bay.', 'long');

const { server, origin } = await startServe(sotto, ['--port', '0', '--wasm-dir', wasmDir, '--asr-model', asrModel, '-q']);
const browser = await launchChromium(chromium, {
  extra: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${shortWav}%noloop`],
});
const tally = new Tally();
const step = (name, fn) => tally.test(name, fn);

// The paths the panel may request (page-helpers.mjs' watchedContext checks every request).
const allowed = [/^\/voice\/(index\.html)?$/, /^\/voice\/[a-z-]+\.(mjs|css|json)$/, /^\/[a-z-]+\.(js|mjs|css)$/,
                 /^\/wasm\/(sotto|asr|gpu-host|threads-host|thread-worker|relaxed-simd)\.mjs$/, /^\/engine\/sotto(-mt)?(-relaxed)?\.wasm$/, /^\/models\/asr\.gguf$/];
const watchedContext = () => watchedContextOf(browser, origin, allowed, { viewport: { width: 1200, height: 900 }, permissions: ['microphone'] });
const until = (page, fn, arg, timeout = 30000) => untilIn(page, fn, arg, timeout, ['engine-status', 'plain-status']);

// The log's entries, newest first: {source, command, outcome, latency, partials, text}.
const logEntries = (page) => page.$$eval('#log li', (lis) => lis.map((li) => ({
  source: li.dataset.source, command: li.dataset.command, outcome: li.dataset.outcome, latency: li.dataset.latencyMs,
  partials: li.dataset.partials, screen: li.dataset.screenMs, heard: li.querySelector('.heard').textContent, text: li.textContent })));
const panelState = (page) => page.evaluate(() => ({
  lines: [...document.querySelectorAll('#lines tbody tr')].map((tr) => tr.textContent),
  lights: [...document.querySelectorAll('#lights li')].map((li) => li.textContent),
  timers: document.getElementById('timers').dataset.count, defects: document.getElementById('defects').dataset.count }));
async function typeCommand(page, text) {
  const n = (await logEntries(page)).length;
  await page.fill('#utterance', text);
  await page.keyboard.press('Enter');
  await until(page, (k) => document.querySelectorAll('#log li').length > k, n);
  return (await logEntries(page))[0];
}
// `sotto listen --text` of these lines, the action of each.
function native(lines) {
  const r = spawnSync(sotto, ['listen', '--commands', factory, '--text'], { input: lines.join('\n') + '\n' });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
}

await step('panel.mjs (Node): actions change a copy; a command the panel has no control for changes nothing', async () => {
  const p0 = newPanel(), frozen = JSON.stringify(p0);
  const r = apply(p0, { command: 'stop_line', slots: { line: 2 } });
  assert.equal(JSON.stringify(p0), frozen);
  assert.equal(r.state.lines[1].running, false);
  assert.equal(r.said, 'Line 2 stopped');
  for (const a of [{ command: 'open_door', slots: {} }, { command: 'set_speed', slots: { speed: 5 } },
                   { command: 'stop_line', slots: { line: 9 } }, { command: 'lights_on', slots: { area: 'roof' } }]) {
    const x = apply(p0, a);
    assert.equal(x.state, p0, JSON.stringify(a));
    assert.match(x.said, /^The panel has no control for /);
  }
});

await step('interceptor self-test: a request to another origin is caught', async () => {
  const { ctx, log } = await watchedContext();
  const page = await ctx.newPage();
  await page.goto('about:blank');
  await page.evaluate(() => fetch('http://198.51.100.7/beacon', { method: 'POST', body: 'x' }).catch(() => {}));
  assert.equal(log.violations.length, 1, JSON.stringify(log));
  await ctx.close();
});

const { ctx, log } = await watchedContext();
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));

await step('the page loads: the speech engine in its worker, the factory command set listed; axe-core clean', async () => {
  await page.goto(`${origin}/voice/`);
  await until(page, () => document.body.dataset.engine === 'ready' && document.body.dataset.commands === 'ready', null, 90000);
  assert.match(await page.textContent('#engine-status'), /^Speech model asr\.gguf \([\d.]+ MB\) on the wasm CPU, \d+ threads?$/);
  assert.equal(await page.textContent('#plain-status'), 'Ready: speak, play a WAV file or type a command.');
  const listed = await page.$$eval('#command-list li', (lis) => lis.map((li) => li.textContent));
  assert.equal(listed.length, JSON.parse(readFileSync(factory, 'utf8')).commands.length);
  assert.ok(listed.some((t) => t.startsWith('stop_line (asks first): stop line {line} or halt line {line}')), listed.join(' | '));
  assert.deepEqual(await page.$$eval('#log li', (l) => l.length), 0);
  await axeClean(page, 'ready');
});

await step('typed utterances: the actions of `sotto listen --text`, the panel updated; out-of-set text is not a command', async () => {
  const said = ['Set line two speed to eighty percent.', 'Log a scratch defect on line one.', 'Turn on the lights in the loading bay.',
                'start a timer for two point five minutes', 'What is the weather like today?', 'set line nine speed to ten percent'];
  const want = native(said);
  const before = await panelState(page);
  for (const [i, text] of said.entries()) {
    const e = await typeCommand(page, text);
    assert.equal(e.source, 'typed');
    assert.equal(e.heard, `“${text}”`);
    assert.equal(e.command, want[i].command ?? '', text);
    assert.ok(!e.text.includes('\n'), e.text);
    if (want[i].command) {
      const slots = Object.entries(want[i].slots).map(([k, v]) => `${k}=${v}`).join(' ');
      assert.ok(e.text.includes(`→ ${want[i].command} ${slots} (`), e.text);
      assert.equal(e.outcome, 'done', e.text);
    } else {
      assert.ok(e.text.includes(`→ not a command: ${want[i].reason}`), e.text);
      assert.equal(e.outcome, 'not-command');
    }
    assert.ok(e.text.endsWith('· typed'), e.text);
  }
  const after = await panelState(page);
  assert.equal(after.lines[1], 'Line 2Running80 %');
  assert.deepEqual(after.lines.filter((_, i) => i !== 1), before.lines.filter((_, i) => i !== 1));
  assert.ok(after.lights.includes('Loading bay: on'), after.lights.join(', '));
  assert.equal(after.timers, '1');
  assert.equal(after.defects, '1');
  assert.match(await page.textContent('#timers'), /^Timer 1 \(2\.5 min\): 2:(2|3)\d left$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'utterance', 'focus stays in the text box');
  await axeClean(page, 'after typed commands');
  await shot(page, 'voice-1-typed');
});

await step('stop line (confirm: true) waits for the dialog: Cancel and Escape change nothing, Yes stops the line (keyboard only)', async () => {
  const before = await panelState(page);
  await page.fill('#utterance', 'Stop line three!');
  await page.keyboard.press('Enter');
  await until(page, () => document.getElementById('confirm').open);
  assert.match(await page.textContent('#confirm-text'), /^Stop line 3\?/);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.choice), 'cancel', 'focus starts on Cancel');
  assert.equal((await logEntries(page))[0].outcome, 'pending');
  await axeClean(page, 'confirmation dialog');
  await shot(page, 'voice-2-confirm');
  await page.keyboard.press('Enter');  // Cancel
  await until(page, () => !document.getElementById('confirm').open);
  let e = (await logEntries(page))[0];
  assert.equal(e.outcome, 'cancelled');
  assert.ok(e.text.includes('stop_line line=3 (cancelled: nothing changed)'), e.text);
  assert.deepEqual(await panelState(page), before);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'utterance', 'focus back in the text box');

  await page.fill('#utterance', 'halt line three');
  await page.keyboard.press('Enter');
  await until(page, () => document.getElementById('confirm').open);
  await page.keyboard.press('Escape');
  await until(page, () => !document.getElementById('confirm').open);
  assert.equal((await logEntries(page))[0].outcome, 'cancelled');
  assert.deepEqual(await panelState(page), before);

  await page.fill('#utterance', 'stop line 3');
  await page.keyboard.press('Enter');
  await until(page, () => document.getElementById('confirm').open);
  await page.keyboard.press('Shift+Tab');  // to "Yes: stop_line line=3"
  assert.equal(await page.evaluate(() => document.activeElement.dataset.choice), 'run');
  await page.keyboard.press('Enter');
  await until(page, () => !document.getElementById('confirm').open);
  e = (await logEntries(page))[0];
  assert.equal(e.outcome, 'done');
  assert.ok(e.text.includes('stop_line line=3 (Line 3 stopped)'), e.text);
  const after = await panelState(page);
  assert.equal(after.lines[2], 'Line 3Stopped60 %');
  assert.deepEqual({ ...after, lines: after.lines.filter((_, i) => i !== 2) }, { ...before, lines: before.lines.filter((_, i) => i !== 2) });
});

await step('a command set that does not check: one line (the CLI\'s message), the panel keeps its set', async () => {
  const bad = '{"commands": [{"name": "go", "say": ["go to {room}"]}]}';
  await page.click('#set-editor summary');
  for (const [json, message] of [[bad, 'command set: command "go": slot {room} in "go to {room}" is not declared in "slots"'],
                                 ['{"commands": [', 'command set:1:15: unexpected end of input']]) {
    await page.fill('#set-json', json);
    const n = await page.evaluate(() => document.body.dataset.setError ?? '');
    await page.click('#apply-set');
    await until(page, (k) => (document.body.dataset.setError ?? '') !== k, n);
    const shown = await page.textContent('#set-error');
    assert.equal(shown, `Not used (the panel keeps the set it had): ${message}`);
    const file = join(tmp, 'bad.json');
    writeFileSync(file, json);
    const r = spawnSync(sotto, ['listen', '--commands', file, '--text'], { input: '' });
    assert.equal(String(r.stderr).trim(), `sotto: ${file}${message.slice('command set'.length)}`);
  }
  assert.equal(await page.evaluate(() => document.body.dataset.commands), 'ready');
  assert.equal((await typeCommand(page, 'switch off the loading bay lights')).command, 'lights_off');
  await axeClean(page, 'set error');
  await page.fill('#set-json', readFileSync(factory, 'utf8'));
  await page.click('#apply-set');
  await until(page, () => document.getElementById('set-error').textContent === '');
  await page.click('#set-editor summary');
});

// The entries again (their screen time is drawn a frame later).
const playedEntries = async (got) => (await logEntries(page)).slice(0, got.length).reverse();
async function playWav(path) {
  const n = (await logEntries(page)).length;
  await page.setInputFiles('#wav-file', path);
  await until(page, () => document.body.dataset.busy === 'file', null, 10000).catch(() => {});
  await until(page, () => !document.body.dataset.busy, null, 60000);
  const all = await logEntries(page);
  return all.slice(0, all.length - n).reverse();
}

await step('a WAV of a spoken phrase: a log line with its latency (end of phrase -> action)', async () => {
  const got = await playWav(shortWav);
  assert.ok(got.length >= 1, 'no phrase heard');
  await until(page, () => !!document.querySelector('#log li').dataset.screenMs);
  for (const e of await playedEntries(got)) {
    assert.equal(e.source, 'file');
    assert.ok(Number(e.latency) > 0 && Number(e.latency) < 30000, `latency ${e.latency}`);
    assert.ok(Number(e.screen) >= Number(e.latency), `to the screen ${e.screen}, latency ${e.latency}`);
    assert.ok(e.text.endsWith(`· ${e.latency} ms (${e.screen} ms to the screen)`), e.text);
    // The bundled speech model does not yet recognise commands (docs/voice.md): what it heard is matched like any text.
    assert.ok(e.command ? e.outcome !== undefined : e.text.includes('→ not a command: '), e.text);
  }
  console.log(`      heard ${(await playedEntries(got)).map((e) => `${e.heard} (${e.command || 'not a command'}, ${e.latency} ms; ${e.screen} ms to the screen)`).join('; ')}`);
});

await step('biased decoding (the "Bias" box): the WAV\'s action is `sotto listen --bias`\'s; unchecked, the plain matcher again', async () => {
  const r = spawnSync(sotto, ['listen', '--commands', factory, '-m', asrModel, '-t', '1', '--bias', shortWav]);
  if (r.status !== 0) throw new Error(`native listen failed: ${r.stderr}`);
  const want = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  await page.check('#bias');
  const got = await playWav(shortWav);
  await page.uncheck('#bias');
  assert.equal(got.length, want.length, JSON.stringify(got));
  const decoded = await page.$$eval('#log li', (lis) => lis.slice(0, 8).map((li) => li.dataset.decoded));
  got.forEach((e, i) => {
    assert.equal(e.command, want[i].command ?? '', `${e.text} vs ${JSON.stringify(want[i])}`);
    assert.equal(decoded[got.length - 1 - i], want[i].decoded, e.text);
    assert.equal(e.heard.startsWith(`“${want[i].text}”`), true, `${e.heard} vs ${want[i].text}`);
  });
  const plain = await playWav(shortWav);
  assert.ok(plain.length >= 1 && (await page.$eval('#log li', (li) => li.dataset.decoded)) === undefined, 'unchecked: no biased decode');
  console.log(`      ${got.map((e, i) => `${e.heard}: ${want[i].decoded}, constrained ${JSON.stringify(want[i].command_text)}`).join('; ')}`);
});

await step('"End a command after 150 ms": the log adds end of speech -> action; a phrase that is no command does not end early', async () => {
  await page.check('#endpoint');
  const got = await playWav(shortWav);
  await page.uncheck('#endpoint');
  assert.ok(got.length >= 1, 'no phrase heard');
  const ep = await page.$$eval('#log li', (lis, n) => lis.slice(0, n).reverse().map((li) => ({ ms: li.dataset.speechMs, endpoint: li.dataset.endpoint })), got.length);
  got.forEach((e, i) => {
    // The bundled model hears no command (docs/voice.md), so nothing ends early: the VAD's 400 ms (or the file's end,
    // which comes first for this WAV), then the action.
    assert.ok(e.command ? ep[i].endpoint === 'complete' : ['silence', 'finish'].includes(ep[i].endpoint), `${ep[i].endpoint}: ${e.text}`);
    assert.ok(Number(ep[i].ms) >= 200 && Number(ep[i].ms) < 30000, `${ep[i].ms} ms`);
    assert.ok(e.text.includes(`${Number(ep[i].ms).toFixed(0)} ms from the end of speech`), e.text);
  });
  console.log(`      ${got.map((e, i) => `${e.heard}: ${ep[i].endpoint}, ${ep[i].ms} ms from the end of speech (${e.latency} ms after the close)`).join('; ')}`);
});

await step('a file that is not audio: one line, the page goes on', async () => {
  const junk = join(tmp, 'junk.wav');
  writeFileSync(junk, Buffer.from('RIFF....WAVEjunk, not audio at all'));
  const before = await panelState(page), n = (await logEntries(page)).length;
  await page.setInputFiles('#wav-file', junk);
  await until(page, () => /^junk\.wav: /.test(document.getElementById('plain-status').textContent) && !document.body.dataset.busy);
  assert.equal(await page.textContent('#plain-status'), 'junk.wav: not an audio file this browser can decode');
  assert.deepEqual(await panelState(page), before);
  assert.equal((await logEntries(page)).length, n);
  assert.ok(!(await page.isDisabled('#wav-file')), 'the file input stays usable');
});

await step('a longer phrase: partial text shows before its final line', async () => {
  const seen = [];
  await page.exposeFunction('__partial', (t) => seen.push(t));
  await page.evaluate(() => new MutationObserver(() => window.__partial(document.getElementById('partial').textContent))
    .observe(document.getElementById('partial'), { childList: true, characterData: true, subtree: true }));
  const got = await playWav(longWav);
  assert.ok(got.length >= 1, 'no phrase heard');
  assert.ok(Number(got[0].partials) >= 3, `${got[0].partials} partials before the first final`);
  assert.ok(seen.filter((t) => t).length >= 3, `partial texts seen: ${JSON.stringify(seen)}`);
  assert.equal(await page.textContent('#partial'), '', 'the partial line is cleared at the final');
  await page.evaluate(() => { window.scrollTo(0, 0); document.getElementById('log').scrollTop = 0; });
  await shot(page, 'voice-3-spoken');
  console.log(`      ${got[0].partials} partials, e.g. ${JSON.stringify(seen.find((t) => t))}; final ${got.map((e) => `${e.heard} (${e.latency} ms)`).join(' ')}`);
  await axeClean(page, 'after speech');
});

await step('the microphone (Chromium\'s fake device playing the short WAV): the phrase is logged with its latency', async () => {
  const n = (await logEntries(page)).length;
  await page.click('#listen');
  await until(page, () => document.body.dataset.busy === 'listen');
  assert.equal(await page.getAttribute('#listen', 'aria-pressed'), 'true');
  await until(page, (k) => document.querySelectorAll('#log li').length > k, n, 20000);
  await page.click('#listen');
  await until(page, () => !document.body.dataset.busy);
  assert.equal(await page.getAttribute('#listen', 'aria-pressed'), 'false');
  const e = (await logEntries(page))[0];
  assert.equal(e.source, 'microphone');
  assert.ok(Number(e.latency) > 0, e.text);
  console.log(`      heard ${e.heard} (${e.command || 'not a command'}, ${e.latency} ms)`);
});

await step('at 320 px wide nothing scrolls sideways; axe-core clean', async () => {
  await page.setViewportSize({ width: 320, height: 800 });
  const wide = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(wide <= 320, `the page is ${wide} px wide`);
  await axeClean(page, '320 px');
  await page.setViewportSize({ width: 1200, height: 900 });
});

await step('offline after the first load: the page, engine, model and command set come from the caches', async () => {
  await until(page, () => document.body.dataset.shellCached === 'yes');
  await ctx.setOffline(true);
  await page.reload();
  await until(page, () => document.body.dataset.engine === 'ready' && document.body.dataset.commands === 'ready', null, 60000);
  assert.match(await page.textContent('#engine-status'), /from the cache/);
  assert.equal((await typeCommand(page, 'start line three')).command, 'start_line');
  await ctx.setOffline(false);
});

await step('privacy: every request was this origin\'s, GET, no query, the page\'s own files; no page errors', async () => {
  assert.deepEqual(log.violations, []);
  assert.ok(log.requests.some((r) => /\/models\/asr\.gguf$/.test(r)) && log.requests.some((r) => /\/voice\/factory\.json$/.test(r)),
            log.requests.join(', '));
  assert.deepEqual(pageErrors, []);
});

await ctx.close();
await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });
console.log(`      ${((Date.now() - t0) / 1000).toFixed(0)} s`);
process.exit(tally.summary());

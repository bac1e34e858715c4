// commands.test.mjs — voice commands in the wasm build (wasm/commands-abi.cpp through wasm/asr.mjs SottoCommands, and
// SottoAsr.partial), against the native matcher and CLI:
//   * rows of tests/test-voice-commands.cpp's accept / reject tables on its command set: the same action JSON;
//   * those utterances and more (the page's factory set, web/voice/factory.json) == `sotto listen --text` line for line;
//   * a set that does not check: the CLI's one-line error (rows of the native SetErrors table, and what `sotto listen`
//     prints for the same file), and the last good set still matches afterwards (on sotto.wasm and sotto-mt.wasm);
//   * speech: an espeak-ng phrase (16 kHz WAV) fed in 100 ms chunks with partial(300) after each, each final matched:
//     the partial and final lines == `sotto listen --commands SET --partial 300 FILE.wav` (latency_ms aside: present, >= 0),
//     with the random-weight Moonshine fixture (its text is noise: what is compared is the same lines at the same times);
//   * biased decoding: the same phrase with SottoAsr.bias(cmd.grammar()) and cmd.choose() == `sotto listen --bias`
//     (the free and constrained texts, their scores, the choice; bias_ms and latency_ms aside); a grammar that does not
//     parse is a one-line error; bias(null) turns it off;
//   * early end of speech: SottoAsr.endpoint({pauseMs: 200}) == `sotto listen --endpoint 200` (the fixture hears no
//     command: the same phrases, each after the VAD's full wait); with the bundled model and a set of what it heard,
//     both sentences end after 200 ms of silence with the same text, and with decodeMs 80, pauseMs 150 the lines are
//     `sotto listen --endpoint 150 --endpoint-decode 80`'s (decoded_ms included); a bad set or pause is one line.
// Usage: node tests/wasm/commands.test.mjs [path/to/sotto.wasm] [path/to/native/sotto]
// Needs espeak-ng. Prints `N passed, M failed`; exit code 1 on failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { SottoAsr, SottoCommands } from '../../wasm/asr.mjs';
import { Tally } from '../harness.mjs';
import { referenceResample, wav16k } from '../web/speech-fixtures.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
// The random-weight fixture (tests/wasm/asr.test.mjs: its wasm transcripts == native, token for token); the bundled
// q8_0 model's partials can differ in a near tie between the native and the wasm kernels' rounding.
const asrModel = join(root, 'tests', 'fixtures', 'asr', 'moonshine-f32.gguf');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const tmp = mkdtempSync(join(tmpdir(), 'sotto-commands-wasm-'));
const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);

// tests/test-voice-commands.cpp's set and rows of its tables.
const kSet = JSON.stringify({ commands: [
  { name: 'lights_on', say: ['turn on the lights in the {room}', 'switch on the {room} lights'],
    slots: { room: { enum: ['kitchen', 'hall', 'loading bay'] } }, examples: ['Turn on the lights in the kitchen.'] },
  { name: 'lights_off', say: ['turn off the lights in the {room}'], slots: { room: { enum: ['kitchen', 'hall', 'loading bay'] } } },
  { name: 'set_speed', say: ['set line {line} speed to {speed} percent'],
    slots: { line: { type: 'integer', minimum: 1, maximum: 4 }, speed: { type: 'integer', minimum: 0, maximum: 120 } } },
  { name: 'stop_line', say: ['stop line {line}'], slots: { line: { type: 'integer', minimum: 1, maximum: 4 } }, confirm: true },
  { name: 'timer', say: ['start a timer for {minutes} minutes'], slots: { minutes: { type: 'number', minimum: 0.5, maximum: 240 } } },
  { name: 'status', say: ['status report'] },
] });
const accepts = [
  ['switch on the Loading Bay lights', { command: 'lights_on', slots: { room: 'loading bay' }, confirm: false }],
  ['Set line two speed to seventy-five percent', { command: 'set_speed', slots: { line: 2, speed: 75 }, confirm: false }],
  ['set line 4 speed to 120%', { command: 'set_speed', slots: { line: 4, speed: 120 }, confirm: false }],
  ['Stop line 3!', { command: 'stop_line', slots: { line: 3 }, confirm: true }],
  ['start a timer for two point five minutes', { command: 'timer', slots: { minutes: 2.5 }, confirm: false }],
  ['Okay, status report. Thanks', { command: 'status', slots: {}, confirm: false }],
];
const rejects = [
  ['turn on the lights in the garage', 'no command matches'],
  ['set line 5 speed to 50 percent', 'no command matches'],
  ['start a timer for 0.25 minutes', 'no command matches'],
  ['set line 2.5 speed to 50 percent', 'no command matches'],
  ['turn on the lights in the kitchen and the hall', 'no command matches'],
  ['Plan is ECG today.', 'no command matches'],
  ['', 'empty'],
  ['um, uh', 'empty'],
];
const setErrors = [
  ['{"commands": []}', 'c.json: "commands" must be a non-empty array'],
  ['{"commands": [{"name": "a", "say": ["go to {room}"]}]}', 'c.json: command "a": slot {room} in "go to {room}" is not declared in "slots"'],
  ['{"commands": [{"name": "a", "say": ["set {n}"], "slots": {"n": {"type": "integer", "minimum": 5, "maximum": 1}}}]}',
   'c.json: command "a": slot "n": minimum 5 is above maximum 1'],
  ['{"commands": [{"name": "a", "say": ["go"], "run": "rm -rf"}]}', 'c.json: command "a": unknown key "run" (name, say, slots, confirm, examples, description)'],
  ['{"commands": [{"name": "a", "say": ["go {d}"], "slots": {"d": {"enum": ["left", "right"]}}}, {"name": "b", "say": ["turn"], "examples": ["go left"]}]}',
   'c.json: command "b": example "go left" is command "a"'],
  ['{"commands": [{"name": "a", "say": ["go"]}', "c.json:1:43: expected ',' or ']' in array"],
];

// `sotto listen --commands FILE --text` of these lines: one action object per line (its "text" removed).
function nativeText(setPath, lines) {
  const r = spawnSync(nativePath, ['listen', '--commands', setPath, '--text'], { input: lines.join('\n') + '\n' });
  if (r.status !== 0) throw new Error(`native listen failed: ${r.stderr}`);
  return r.stdout.toString().trim().split('\n').map((l) => { const { text, ...a } = JSON.parse(l); return a; });
}

const cmd = await SottoCommands.create(wasmModule);
await test('the native tables\' rows: accepts and rejects give the same action', async () => {
  const names = await cmd.load(kSet, { name: 'set.json' });
  assert.deepEqual(names.map((c) => [c.name, c.confirm]), [['lights_on', false], ['lights_off', false], ['set_speed', false],
                                                           ['stop_line', true], ['timer', false], ['status', false]]);
  assert.deepEqual(names[0].say, ['turn on the lights in the {room}', 'switch on the {room} lights']);
  for (const [u, want] of accepts) assert.deepEqual(await cmd.match(u), want, u);
  for (const [u, why] of rejects) assert.deepEqual(await cmd.match(u), { command: null, reason: why }, u);
});

const factory = join(root, 'web', 'voice', 'factory.json');
await test('== sotto listen --text, line for line (the tables\' set and the page\'s factory set)', async () => {
  const setPath = join(tmp, 'set.json');
  writeFileSync(setPath, kSet);
  const lines = [...accepts, ...rejects].map(([u]) => u).filter((u) => u);  // an empty line is "empty" both ways
  assert.deepEqual(await Promise.all(lines.map((u) => cmd.match(u))), nativeText(setPath, lines));
  const f = await SottoCommands.create(wasmModule);
  await f.load(readFileSync(factory, 'utf8'), { name: 'factory.json' });
  const spoken = ['Set line two speed to eighty percent.', 'stop line four', 'Log a scratch defect on line one.',
                  'start a timer for ten minutes', 'Turn on the lights in the loading bay.', 'switch off the warehouse lights',
                  'clear the defect log', 'start line three', 'cancel the timers', 'status report', 'what time is it',
                  'set line nine speed to ten percent', 'log a dent defect on line two please'];
  const want = nativeText(factory, spoken);
  assert.deepEqual(await Promise.all(spoken.map((u) => f.match(u))), want);
  assert.ok(want.filter((a) => a.command).length >= 10, 'the factory set should take these commands');
  f.engine.dispose();
});

for (const wasm of [wasmPath, wasmPath.replace(/sotto\.wasm$/, 'sotto-mt.wasm')]) {
  if (!existsSync(wasm)) continue;
  await test(`a set that does not check: the CLI's one-line error; the last good set stays (${wasm.split('/').pop()})`, async () => {
    const c = await SottoCommands.create(await WebAssembly.compile(readFileSync(wasm)), { log: () => {} });
    await c.load(kSet, { name: 'set.json' });
    for (const [json, want] of setErrors) {
      const msg = await c.load(json, { name: 'c.json' }).then(() => '', (e) => e.message);
      assert.equal(msg, want);
      assert.deepEqual(await c.match('stop line two'), { command: 'stop_line', slots: { line: 2 }, confirm: true }, `after ${json}`);
    }
    const badPath = join(tmp, 'c.json');
    writeFileSync(badPath, setErrors[1][0]);
    const r = spawnSync(nativePath, ['listen', '--commands', badPath, '--text'], { input: '' });
    assert.equal(r.stderr.toString().trim(), `sotto: ${badPath}${setErrors[1][1].slice('c.json'.length)}`);
    assert.ok(c.engine.traps === setErrors.length, `traps ${c.engine.traps}`);
    c.engine.dispose();
  });
}

await test('speech: partial and final lines == sotto listen --partial 300 (the Moonshine fixture)', async () => {
  const raw = join(tmp, 'phrase.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', raw,
                             'Set line two speed to seventy five percent. Then turn on the lights in the loading bay.']);
  const wav = join(tmp, 'phrase-16k.wav');
  writeFileSync(wav, wav16k(referenceResample(readFileSync(raw))));
  const setPath = join(tmp, 'set.json');
  const r = spawnSync(nativePath, ['listen', '--commands', setPath, '-m', asrModel, '-t', '1', '--partial', '300', wav]);
  if (r.status !== 0) throw new Error(`native listen failed: ${r.stderr}`);
  const want = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));

  const asr = await SottoAsr.create(wasmModule);
  await asr.load(readFileSync(asrModel), { name: 'asr.gguf', sampleRate: 16000 });
  const pcm = asr.decodeWav(readFileSync(wav)).samples;
  const got = [];
  const finals = async (segs) => {
    for (const s of segs) {
      const t0 = performance.now();
      const action = await cmd.match(s.text);
      got.push({ start: s.start, end: s.end, text: s.text, ...action, latency_ms: s.latency_ms + performance.now() - t0 });
    }
  };
  for (let i = 0; i < pcm.length; i += 1600) {
    await finals(await asr.feed(pcm.subarray(i, i + 1600)));
    const p = await asr.partial(300);
    if (p) got.push({ partial: true, ...p });
  }
  await finals(await asr.finish());
  asr.dispose();
  const strip = (l) => { const { latency_ms, ...rest } = l; return rest; };
  const seconds = (l) => ({ ...l, start: l.start.toFixed(3), end: l.end.toFixed(3) });
  assert.deepEqual(got.map(strip).map(seconds), want.map(strip).map(seconds));
  assert.ok(want.filter((l) => l.partial).length >= 3, `only ${want.filter((l) => l.partial).length} partials`);
  assert.ok(got.filter((l) => !l.partial).every((l) => l.latency_ms >= 0 && 'command' in l), JSON.stringify(got));
  console.log(`      ${got.filter((l) => l.partial).length} partials, finals: ${got.filter((l) => !l.partial).map((l) => JSON.stringify(l.text)).join(', ')}`);
});

await test('biased decoding: lines == sotto listen --bias (the Moonshine fixture); a bad grammar is one line', async () => {
  const wav = join(tmp, 'phrase-16k.wav'), setPath = join(tmp, 'set.json');
  const r = spawnSync(nativePath, ['listen', '--commands', setPath, '-m', asrModel, '-t', '1', '--bias', wav]);
  if (r.status !== 0) throw new Error(`native listen failed: ${r.stderr}`);
  const want = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));

  const asr = await SottoAsr.create(wasmModule);
  await asr.load(readFileSync(asrModel), { name: 'asr.gguf', sampleRate: 16000 });
  // A grammar that does not parse: one line, and the session (revived with its model) decodes unbiased as before.
  await assert.rejects(asr.bias('root ::= ('), (e) => /commands \(as a grammar\)/.test(e.message) && !e.message.includes('\n'));
  await asr.bias(await cmd.grammar());
  const pcm = asr.decodeWav(readFileSync(wav)).samples;
  const got = [];
  const finals = async (segs) => {
    for (const s of segs) {
      assert.ok(s.biased && typeof s.logprob === 'number', JSON.stringify(s));
      const action = await cmd.choose(s, 0.5);
      got.push({ start: s.start, end: s.end, ...action, bias_ms: s.biased.ms, latency_ms: s.latency_ms });
    }
  };
  for (let i = 0; i < pcm.length; i += 1600) await finals(await asr.feed(pcm.subarray(i, i + 1600)));
  await finals(await asr.finish());
  await asr.bias(null);
  await asr.reset();
  const plain = await asr.transcribe(pcm);
  assert.ok(plain.every((s) => !s.biased), 'bias(null) turns it off');
  asr.dispose();
  const strip = (l) => { const { latency_ms, bias_ms, ...rest } = l; return rest; };
  const seconds = (l) => ({ ...l, start: l.start.toFixed(3), end: l.end.toFixed(3) });
  assert.deepEqual(got.map(strip).map(seconds), want.map(strip).map(seconds));
  assert.ok(want.length >= 1 && want.every((l) => 'command_text' in l && 'decoded' in l), r.stdout.toString());
  console.log(`      ${got.map((l) => `${JSON.stringify(l.text)} (${l.decoded}; constrained ${JSON.stringify(l.command_text)} ` +
                                    `at ${l.logprob_command} vs ${l.logprob_free})`).join(', ')}`);
});

await test('early end of speech: endpoint() == sotto listen --endpoint 200 (the fixture); a heard command ends early (the bundled model)', async () => {
  // The phrase with 1 s of silence after it, so that each sentence closes on the VAD.
  const wav = join(tmp, 'phrase-tail.wav');
  const raw = readFileSync(join(tmp, 'phrase-16k.wav'));
  const asr = await SottoAsr.create(wasmModule);
  const pcm0 = asr.decodeWav(raw).samples;
  const pcm = new Float64Array(pcm0.length + 16000);
  pcm.set(pcm0);
  writeFileSync(wav, wav16k(pcm));
  const lines = (args) => {
    const r = spawnSync(nativePath, ['listen', '-t', '1', ...args, wav]);
    if (r.status !== 0) throw new Error(`native listen failed: ${r.stderr}`);
    return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  };
  const run = async (model, opts) => {
    await asr.load(readFileSync(model), { name: 'asr.gguf', sampleRate: 16000 });
    await asr.endpoint(opts);
    const segs = await asr.transcribe(asr.decodeWav(readFileSync(wav)).samples);
    return segs.map((g) => ({ start: g.start.toFixed(3), end: g.end.toFixed(3), text: g.text, speech_end: g.speech_end,
                               endpoint: g.endpoint, wait_ms: g.wait_ms, decoded_ms: g.decoded_ms }));
  };
  const fields = (l) => ({ start: l.start.toFixed(3), end: l.end.toFixed(3), text: l.text, speech_end: l.speech_end,
                           endpoint: l.endpoint, wait_ms: l.wait_ms, decoded_ms: l.decoded_ms });
  const setPath = join(tmp, 'set.json');
  const want = lines(['--commands', setPath, '-m', asrModel, '--endpoint', '200']).map(fields);
  assert.deepEqual(await run(asrModel, { pauseMs: 200, commands: readFileSync(setPath, 'utf8'), name: 'set.json' }), want);
  assert.ok(want.length === 2 && want.every((l) => l.endpoint === 'silence' && l.wait_ms >= 400), JSON.stringify(want));
  // A set that does not check: the CLI's one line; a pause out of range: one line.
  await assert.rejects(asr.endpoint({ pauseMs: 200, commands: setErrors[1][0], name: 'c.json' }), (e) => e.message === setErrors[1][1]);
  await assert.rejects(asr.endpoint({ pauseMs: 20, commands: readFileSync(setPath, 'utf8') }), (e) => /50\.\.390 ms/.test(e.message));
  // The bundled model: a set of what it hears for the two sentences, so both are commands; they end after 200 ms.
  if (!existsSync(join(root, 'models', 'sotto-asr-q8_0.gguf'))) return;
  const bundled = join(root, 'models', 'sotto-asr-q8_0.gguf');
  const heard = await run(bundled, { pauseMs: 0 });
  const heardSet = JSON.stringify({ commands: heard.map((g, i) => ({ name: `heard_${i}`, say: [g.text] })) });
  const early = await run(bundled, { pauseMs: 200, commands: heardSet, name: 'heard.json' });
  assert.deepEqual(early.map((g) => [g.start, g.end, g.text]), heard.map((g) => [g.start, g.end, g.text]));
  assert.ok(early.every((g) => g.endpoint === 'complete' && g.wait_ms <= 300), JSON.stringify(early));
  assert.ok(heard.every((g) => g.endpoint === 'silence' && g.wait_ms >= 400), JSON.stringify(heard));
  // The decode speculatively at 80 ms of the pause, the end at 150 (decodeMs) == sotto listen --endpoint 150
  // --endpoint-decode 80: the same lines, each text decoded at 80-180 ms (its 100 ms chunk), before or at the close.
  const heardPath = join(tmp, 'heard.json');
  writeFileSync(heardPath, heardSet);
  const fast = await run(bundled, { pauseMs: 150, decodeMs: 80, commands: heardSet, name: 'heard.json' });
  assert.deepEqual(fast, lines(['--commands', heardPath, '-m', bundled, '--endpoint', '150', '--endpoint-decode', '80']).map(fields));
  assert.ok(fast.length === heard.length && fast.every((g) => g.endpoint === 'complete' && g.decoded_ms >= 80 && g.decoded_ms < 180 && g.decoded_ms <= g.wait_ms),
            JSON.stringify(fast));
  await assert.rejects(asr.endpoint({ pauseMs: 150, decodeMs: 200, commands: heardSet }), (e) => /decode's pause/.test(e.message));
  await asr.endpoint({ pauseMs: 0 });
  asr.dispose();
  console.log(`      ${early.map((g) => `${JSON.stringify(g.text)}: ${g.endpoint} after ${g.wait_ms} ms (${heard.find((h) => h.start === g.start).wait_ms} ms without)`).join(', ')}`);
  console.log(`      decodeMs 80, pauseMs 150: ${fast.map((g) => `decoded at ${g.decoded_ms} ms, closed at ${g.wait_ms} ms`).join(', ')}`);
});

rmSync(tmp, { recursive: true, force: true });
process.exit(tally.summary());

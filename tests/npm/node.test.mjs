// node.test.mjs — the packed npm package (npm/), installed into a scratch project by run.sh, in Node against the
// native CLI: greedy text == `sotto generate` (a fixture model, and the bundled note model plain, as a chat turn and
// under a JSON Schema), a conversation's answer == `sotto serve --api`'s to the same messages, a chat's next turn reusing
// the worker's KV prefix with the cold run's answer (usage.cachedTokens; cachePrompt: false), malformed messages, the token ids == the wasm host's own greedy ids (tests/wasm/greedy.mjs, itself checked
// against the CLI's bytes by tests/wasm/run.mjs), progress events, abort (AbortSignal, leaving the loop) stops early
// and the model goes on, bad model files are one-line errors, speech to text of samples/visit-soap.wav ==
// `sotto transcribe --json`, note() == `sotto note --format json/markdown`, model caching in a cache directory
// (served over HTTP, then with the server gone, then cleared), in-thread on WebGPU with a gpu object (npm webgpu, Dawn
// on SwiftShader) == the CLI, and an idle model does not keep Node alive.
// Usage (run.sh copies this file into the scratch project, so `sotto` resolves to the installed tarball):
//   node node.test.mjs <repo root> <native sotto>
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { Sotto } from 'sotto';

const [root, native] = process.argv.slice(2);
const { Tally } = await import(pathToFileURL(join(root, 'tests', 'harness.mjs')));
const { wasmGreedy } = await import(pathToFileURL(join(root, 'tests', 'wasm', 'greedy.mjs')));
const Engine = (await import(pathToFileURL(join(root, 'wasm', 'sotto.mjs')))).Sotto;
const tally = new Tally();
const test = (name, fn) => tally.test(name, fn);
const tmp = mkdtempSync(join(tmpdir(), 'sotto-npm-node-'));
const fixture = join(root, 'tests', 'fixtures', 'models', 'llama32-q8_0.gguf');
const notes = join(root, 'models', 'sotto-notes-q8_0.gguf');
const asrModel = join(root, 'models', 'sotto-asr-q8_0.gguf');

// `sotto generate` greedy as text (its stdout bytes decoded as the package decodes: U+FFFD for broken UTF-8).
function nativeText(model, prompt, n, extra = []) {
  const out = execFileSync(native, ['generate', '-m', model, '-p', prompt, '-n', String(n), '--temp', '0', '-t', '1', '-q', ...extra]);
  const s = new TextDecoder().decode(out);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

async function collect(m, input, opts) {
  let text = '';
  const ids = [];
  for await (const piece of m.generate(input, { temperature: 0, onToken: (id) => ids.push(id), ...opts })) text += piece;
  return { text, ids };
}

const fixtureModel = await Sotto.load(fixture, { device: 'wasm' });
await test('a fixture model: greedy text == sotto generate, ids == the wasm host\'s greedy ids', async () => {
  assert.equal(fixtureModel.info.kind, 'text');
  assert.equal(fixtureModel.info.device, 'wasm');
  for (const prompt of ['Once upon a time', 'The quick brown fox']) {
    const got = await collect(fixtureModel, prompt, { maxTokens: 16 });
    assert.equal(got.text, nativeText(fixture, prompt, 16), prompt);
    const engine = await Engine.create(readFileSync(join(root, 'npm', 'engine', 'wasm', 'sotto.wasm')), { log: () => {} });
    await engine.load(readFileSync(fixture));
    assert.deepEqual(got.ids, wasmGreedy(engine, prompt, 16).ids, prompt);
    engine.dispose();
    assert.equal(fixtureModel.stopReason, 'length');
  }
});

const progress = [];
const notesModel = await Sotto.load(notes, { onProgress: (p) => progress.push(p.phase) });
await test('load: progress events download, compile, load; info', async () => {
  assert.deepEqual([...new Set(progress)], ['download', 'compile', 'load']);
  assert.equal(notesModel.info.name, 'sotto-notes-q8_0.gguf');
  assert.equal(notesModel.info.device, 'wasm');  // "auto" in Node: no WebGPU
  assert.match(notesModel.info.why, /Node has no WebGPU/);
});

await test('the bundled note model: greedy text == sotto generate (plain, and messages == --chat)', async () => {
  const prompt = 'Transcript: the patient has a cough';
  assert.equal((await collect(notesModel, prompt, { maxTokens: 24 })).text, nativeText(notes, prompt, 24));
  const chat = await collect(notesModel, [{ role: 'user', content: prompt }], { maxTokens: 40 });
  assert.equal(chat.text, nativeText(notes, prompt, 40, ['--chat']));
  assert.ok(chat.text.length > 20, chat.text);
});

// The native OpenAI-compatible server on the same model: the reference for conversations (its chat template rendering).
async function nativeChat(messages, maxTokens) {
  const server = spawn(native, ['serve', '--api', '--port', '0', '-q', '-t', '1', '--root', root, '-m', notes],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
    const r = await fetch(`http://127.0.0.1:${/:(\d+)\/$/.exec(line)[1]}/v1/chat/completions`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages, temperature: 0, max_tokens: maxTokens, cache_prompt: false }) });
    const v = await r.json();
    assert.equal(r.status, 200, JSON.stringify(v));
    return v;
  } finally {
    server.kill();
  }
}

await test('a conversation (system, user, assistant, user) == sotto serve --api\'s answer to the same messages', async () => {
  const first = 'Transcript: the patient has had a cough for six days, worse at night.';
  const turn1 = await collect(notesModel, [{ role: 'user', content: first }], { maxTokens: 32 });
  const messages = [
    { role: 'system', content: 'You write short clinical notes.' },
    { role: 'user', content: first },
    { role: 'assistant', content: turn1.text },
    { role: 'user', content: 'Transcript: she also has a mild fever since yesterday.' },
  ];
  const got = await collect(notesModel, messages, { maxTokens: 40 });
  const ref = await nativeChat(messages, 40);
  assert.equal(got.text, ref.choices[0].message.content);
  // The ids the engine sampled: the answer's tokens (an end-of-generation token too, which usage leaves out).
  assert.equal(got.ids.length - (notesModel.stopReason === 'stop' ? 1 : 0), ref.usage.completion_tokens);
  assert.ok(got.text.length > 10, got.text);
  // "developer" is a system turn, as in the API.
  const dev = await collect(notesModel, [{ ...messages[0], role: 'developer' }, ...messages.slice(1)], { maxTokens: 40 });
  assert.equal(dev.text, got.text);
  // One user turn still == sotto generate --chat.
  assert.equal((await collect(notesModel, [{ role: 'user', content: first }], { maxTokens: 32 })).text,
    nativeText(notes, first, 32, ['--chat']));
});

await test('a chat\'s next turn reuses the worker\'s KV prefix (usage.cachedTokens), answers == a cold run', async () => {
  const turn1 = [{ role: 'system', content: 'You write short clinical notes.' },
    { role: 'user', content: 'Transcript: knee pain after running, swelling since Monday.' }];
  const a1 = await collect(notesModel, turn1, { maxTokens: 24 });
  const n1 = notesModel.usage.promptTokens;
  assert.ok(n1 > 10, JSON.stringify(notesModel.usage));
  const turn2 = [...turn1, { role: 'assistant', content: a1.text },
    { role: 'user', content: 'Transcript: no fever, she can walk, pain 4 of 10.' }];
  const warm = await collect(notesModel, turn2, { maxTokens: 32 });
  const u = notesModel.usage;
  assert.ok(u.cachedTokens >= n1, `turn 2 kept ${u.cachedTokens} of turn 1's ${n1} prompt tokens`);
  assert.ok(u.cachedTokens < u.promptTokens, JSON.stringify(u));
  const cold = await collect(notesModel, turn2, { maxTokens: 32, cachePrompt: false });
  assert.equal(notesModel.usage.cachedTokens, 0);
  assert.equal(notesModel.usage.promptTokens, u.promptTokens);
  assert.equal(warm.text, cold.text);
  assert.deepEqual(warm.ids, cold.ids);
  // After the cold run the cache holds turn 2 again: the same request keeps all but its last token.
  assert.equal((await collect(notesModel, turn2, { maxTokens: 32 })).text, warm.text);
  assert.equal(notesModel.usage.cachedTokens, u.promptTokens - 1);
  // A prompt sharing nothing past the template's head keeps only that, and answers as sotto generate does.
  const other = 'Transcript: rash on both arms';
  assert.equal((await collect(notesModel, other, { maxTokens: 12 })).text, nativeText(notes, other, 12));
  assert.ok(notesModel.usage.cachedTokens <= 1, JSON.stringify(notesModel.usage));
});

await test('malformed messages are one-line errors and the model goes on', async () => {
  for (const [input, msg] of [
    [[], /a non-empty array/],
    [[{ role: 'tool', content: 'x' }], /messages\[0\]\.role "tool" is not one of system, developer, user, assistant/],
    [[{ role: 'user', content: 'hi' }, { role: 'assistant' }], /messages\[1\]\.content is not a string/],
    [[null], /messages\[0\]\.role undefined/],
    [{ role: 'user', content: 'hi' }, /give a prompt string or messages/],
  ]) {
    await assert.rejects(async () => { for await (const _ of notesModel.generate(input)) ; }, (e) => {
      assert.match(e.message, msg);
      assert.ok(!e.message.includes('\n'), e.message);
      return true;
    });
  }
  const prompt = 'Transcript: the patient has a cough';
  assert.equal((await collect(notesModel, prompt, { maxTokens: 8 })).text, nativeText(notes, prompt, 8));
});

await test('schema-constrained generation parses and == sotto generate --schema', async () => {
  const schema = { type: 'object', properties: { complaint: { type: 'string', maxLength: 40 }, days: { type: 'integer' } },
                   required: ['complaint', 'days'] };
  writeFileSync(join(tmp, 'schema.json'), JSON.stringify(schema));
  const prompt = 'Transcript: cough for six days, worse at night.';
  const got = await collect(notesModel, [{ role: 'user', content: prompt }], { schema, maxTokens: 200 });
  const doc = JSON.parse(got.text);
  assert.equal(typeof doc.complaint, 'string');
  assert.ok(Number.isInteger(doc.days));
  assert.equal(got.text, nativeText(notes, prompt, 200, ['--chat', '--schema', join(tmp, 'schema.json')]));
  assert.equal(notesModel.stopReason, 'stop');
});

await test('abort: an AbortSignal stops generation early (AbortError), breaking out stops it; the model goes on', async () => {
  const prompt = 'Transcript: the patient has a cough';
  const full = await collect(notesModel, prompt, { maxTokens: 64 });
  const ac = new AbortController();
  let pieces = 0;
  await assert.rejects(async () => {
    for await (const _ of notesModel.generate(prompt, { temperature: 0, maxTokens: 64, signal: ac.signal })) {
      if (++pieces === 3) ac.abort();
    }
  }, { name: 'AbortError' });
  assert.ok(pieces < 8, `${pieces} pieces after the abort`);
  assert.equal(notesModel.stopReason, 'aborted');
  for await (const _ of notesModel.generate(prompt, { maxTokens: 64 })) break;
  await assert.rejects(async () => { for await (const _ of notesModel.generate(prompt, { signal: AbortSignal.abort() })); },
                       { name: 'AbortError' });
  assert.equal((await collect(notesModel, prompt, { maxTokens: 64 })).text, full.text);
});

await test('bad input: one-line errors, and the model goes on', async () => {
  const oneLine = (re) => (e) => { assert.match(e.message, re); assert.ok(!e.message.includes('\n'), e.message); return true; };
  await assert.rejects(Sotto.load(new TextEncoder().encode('this is not a model, just some text')), oneLine(/model\.gguf: not a GGUF file/));
  await assert.rejects(Sotto.load(readFileSync(fixture).subarray(0, 4000), { name: 'cut.gguf' }), oneLine(/cut\.gguf/));
  await assert.rejects(Sotto.load(join(tmp, 'missing.gguf')), oneLine(/missing\.gguf: no such file/));
  await assert.rejects(Sotto.load(fixture, { device: 'webgpu' }), oneLine(/device "webgpu": Node has no WebGPU/));
  await assert.rejects(Sotto.load(fixture, { device: 'tpu' }), oneLine(/device "tpu"/));
  await assert.rejects(Sotto.load(fixture, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  const ac = new AbortController();
  const loading = Sotto.load(notes, { signal: ac.signal });
  ac.abort();
  await assert.rejects(loading, { name: 'AbortError' });
  await assert.rejects(notesModel.transcribe(new Float32Array(16000)), oneLine(/needs a speech model/));
  await assert.rejects(collect(notesModel, [{ role: 'function', content: 'x' }], {}), oneLine(/is not one of system, developer, user, assistant/));
  await assert.rejects(collect(notesModel, 'x', { schema: { type: 'object', properties: { a: { type: 'strin' } } } }), oneLine(/./));
  assert.equal((await collect(fixtureModel, 'Once upon a time', { maxTokens: 16 })).text, nativeText(fixture, 'Once upon a time', 16));
});

await test('transcribe samples/visit-soap.wav (16 kHz) == sotto transcribe --json', async () => {
  const wav = readFileSync(join(root, 'samples', 'visit-soap.wav'));
  const dataAt = wav.indexOf('data') + 8;  // 16-bit mono PCM at 16 kHz (checked by the CLI's own header read)
  const pcm = new Float32Array((wav.length - dataAt) >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = wav.readInt16LE(dataAt + 2 * i) / 32768;
  const expect = JSON.parse(execFileSync(native, ['transcribe', '-m', asrModel, '--json', '-t', '1', join(root, 'samples', 'visit-soap.wav')]));
  const m = await Sotto.load(asrModel, { device: 'wasm' });
  assert.equal(m.info.kind, 'speech');
  const got = await m.transcribe(pcm);
  m.dispose();
  assert.deepEqual(got.segments.map((s) => [s.start.toFixed(3), s.end.toFixed(3), s.text]),
                   expect.segments.map((s) => [s.start.toFixed(3), s.end.toFixed(3), s.text]));
  assert.match(got.text, /productive cough/);
  await assert.rejects(collect(m, 'x', {}), /disposed/);
});

await test('note(transcript, template) == sotto note (JSON and Markdown)', async () => {
  const sample = join(root, 'samples', 'visit-soap.txt');
  const args = ['note', '--transcript', sample, '-m', notes, '--template', 'soap', '-q', '-t', '1'];
  const nativeJson = JSON.parse(execFileSync(native, [...args, '--format', 'json']));
  const nativeMd = execFileSync(native, [...args, '--format', 'markdown']).toString();
  const soap = JSON.parse(readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8'));
  const got = await notesModel.note(readFileSync(sample, 'utf8'), soap);
  assert.deepEqual(got.note, nativeJson);
  assert.equal(got.markdown, nativeMd);
  assert.equal(got.windows, 1);
  assert.ok(got.support.length > 0);
});

await test('caching: a URL is kept in the cache directory, read from it with the server gone, cleared', async () => {
  const bytes = readFileSync(fixture);
  let hits = 0;
  const server = createServer((req, res) => { hits++; res.setHeader('content-length', bytes.length); res.end(bytes); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/models/tiny.gguf`;
  const cache = join(tmp, 'cache');
  const seen = [];
  const a = await Sotto.load(url, { cache, device: 'wasm', onProgress: (p) => p.phase === 'download' && seen.push(p) });
  assert.equal(a.info.cached, false);
  assert.equal(a.info.name, 'tiny.gguf');
  assert.equal(seen.at(-1).loaded, bytes.length);
  a.dispose();
  await new Promise((r) => server.close(r));
  const b = await Sotto.load(url, { cache, device: 'wasm' });
  assert.equal(b.info.cached, true);
  assert.equal((await collect(b, 'Once upon a time', { maxTokens: 16 })).text, nativeText(fixture, 'Once upon a time', 16));
  b.dispose();
  assert.equal(hits, 1);
  await Sotto.clearCache(cache);
  await assert.rejects(Sotto.load(url, { cache, device: 'wasm' }), /tiny\.gguf: cannot be fetched/);
  await assert.rejects(Sotto.load(url, { cache: false }), /cannot be fetched/);
});

await test('worker: false runs in this thread with the same output (the model given as a file: URL object)', async () => {
  const m = await Sotto.load(pathToFileURL(fixture), { device: 'wasm', worker: false, threads: 1 });
  assert.equal(m.info.name, 'llama32-q8_0.gguf');
  assert.equal((await collect(m, 'Once upon a time', { maxTokens: 16 })).text, nativeText(fixture, 'Once upon a time', 16));
  m.dispose();
});

await test('Node with a gpu object (npm webgpu: Dawn on SwiftShader): in-thread on WebGPU, greedy text == sotto generate; a chat\'s next turn keeps its prefix == cold', async () => {
  // A process of its own (Dawn, VK_ICD_FILENAMES); webgpu comes from tests/webgpu (tools/install-deps.sh).
  const webgpu = pathToFileURL(join(root, 'tests', 'webgpu', 'node_modules', 'webgpu', 'index.js')).href;
  const f32 = join(root, 'tests', 'fixtures', 'models', 'llama32-f32.gguf');
  writeFileSync('gpu-run.mjs', `import { create, globals } from ${JSON.stringify(webgpu)};
    import { Sotto } from 'sotto';
    Object.assign(globalThis, globals);
    const out = [];
    for (const [model, prompt, n] of ${JSON.stringify([[f32, 'Once upon a time', 16], [notes, 'Transcript: the patient has a cough', 24]])}) {
      const m = await Sotto.load(model, { device: 'webgpu', gpu: create([]) });
      let text = '';
      for await (const t of m.generate(prompt, { maxTokens: n, temperature: 0 })) text += t;
      out.push({ device: m.info.device, adapter: m.info.adapter, text });
      m.dispose();
    }
    // A chat's next turn on WebGPU: the prefix kept (greedy, then seeded sampling on the GPU) == the cold run.
    const m = await Sotto.load(${JSON.stringify(notes)}, { device: 'webgpu', gpu: create([]) });
    const run = async (input, o) => { let s = ''; for await (const t of m.generate(input, { maxTokens: 6, temperature: 0, ...o })) s += t; return { text: s, usage: m.usage }; };
    const turn1 = [{ role: 'user', content: 'Transcript: knee pain.' }];
    const a1 = await run(turn1);
    const turn2 = [...turn1, { role: 'assistant', content: a1.text }, { role: 'user', content: 'Transcript: no fever.' }];
    const chat = { n1: a1.usage.promptTokens, warm: await run(turn2), cold: await run(turn2, { cachePrompt: false }) };
    chat.sampledWarm = await run(turn2, { temperature: 0.8, seed: 7 });
    chat.sampledCold = await run(turn2, { temperature: 0.8, seed: 7, cachePrompt: false });
    out.push(chat);
    m.dispose();
    process.stdout.write(JSON.stringify(out));`);
  const r = spawnSync(process.execPath, ['gpu-run.mjs'], { timeout: 300000, env: { ...process.env,
    VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json', XDG_RUNTIME_DIR: tmp } });
  assert.equal(r.status, 0, String(r.stderr).slice(-500));
  const [a, b, chat] = JSON.parse(r.stdout);
  assert.equal(a.device, 'webgpu');
  assert.match(a.adapter, /swiftshader/i);
  assert.equal(a.text, nativeText(f32, 'Once upon a time', 16));
  assert.equal(b.text, nativeText(notes, 'Transcript: the patient has a cough', 24));
  assert.ok(chat.warm.usage.cachedTokens >= chat.n1, JSON.stringify(chat));
  assert.ok(chat.warm.usage.cachedTokens < chat.warm.usage.promptTokens, JSON.stringify(chat));
  assert.equal(chat.cold.usage.cachedTokens, 0);
  assert.equal(chat.warm.text, chat.cold.text);
  assert.equal(chat.sampledWarm.usage.cachedTokens, chat.warm.usage.promptTokens - 1);  // the cold run left turn 2
  assert.equal(chat.sampledWarm.text, chat.sampledCold.text);
  assert.ok(chat.warm.text.length > 0, chat.warm.text);
});

await test('an idle model does not keep Node running (no dispose)', async () => {
  const code = `import { Sotto } from 'sotto'; const m = await Sotto.load(${JSON.stringify(fixture)});
    for await (const t of m.generate('Once upon a time', { maxTokens: 4 })) process.stdout.write('.');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), timeout: 30000 });
  assert.equal(r.status, 0, String(r.stderr));
  assert.ok(r.stdout.length > 0);
});

fixtureModel.dispose();
notesModel.dispose();
process.exitCode = tally.summary();

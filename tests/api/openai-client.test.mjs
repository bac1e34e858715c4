// openai-client.test.mjs — the official `openai` npm client (pinned in package-lock.json) as a real client of
// `sotto serve --api`: starts the built binary on a free port of 127.0.0.1 with the bundled note model and a bearer
// token, then: models.list and retrieve; chat.completions.create greedy (== `sotto generate --chat --temp 0`),
// streamed (the deltas add up to the same text; usage chunk), with response_format json_schema (the content parses
// and fits the schema, streamed too); completions.create; audio.transcriptions.create (== `sotto transcribe`, json and
// verbose_json; a non-WAV file refused); embeddings.create (base64, the client's default, == float; unit norm); tool calls (tool_choice required, the result sent back; streamed through the
// client's stream helper); and the client's error classes for a bad request
// (BadRequestError with param), an unknown model (NotFoundError) and a wrong key (AuthenticationError).
// Usage: node tests/api/openai-client.test.mjs build/sotto   (run by ctest as api-openai-client; ~1 s)
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import OpenAI, { toFile } from 'openai';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sotto = path.resolve(process.argv[2] ?? path.join(root, 'build/sotto'));
const model = path.join(root, 'models/sotto-notes-q8_0.gguf');
const key = 'sk-sotto-test';

const server = spawn(sotto, ['serve', '--api', '--port', '0', '-q', '-t', '1', '--root', root, '-m', model,
  '--api-key', key, '--embed-model', path.join(root, 'tests/fixtures/embed/bert-f32.gguf')],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const line = await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.once('exit', (code) => reject(new Error(`sotto serve exited with ${code}`)));
  createInterface({ input: server.stdout }).once('line', resolve);
});
const port = Number(/:(\d+)\/$/.exec(line)?.[1]);
assert.ok(port > 0, `no port in: ${line}`);

let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}

const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0, timeout: 60000 });
const id = 'sotto-notes-q8_0';
const prompt = 'Patient reports a headache for two days and mild fever.';
const cli = (args) => execFileSync(sotto, ['generate', '-m', model, '-q', '-t', '1', ...args]).toString().replace(/\n$/, '');

try {
  await check('models.list / retrieve', async () => {
    const list = await client.models.list();
    assert.deepEqual(list.data.map((m) => m.id), [id, 'sotto-asr-q8_0', 'bert-f32']);
    assert.equal((await client.models.retrieve(id)).id, id);
  });

  let whole;
  await check('chat greedy == sotto generate --chat --temp 0', async () => {
    const r = await client.chat.completions.create({ model: id, messages: [{ role: 'user', content: prompt }],
      temperature: 0, max_tokens: 24 });
    whole = r.choices[0].message.content;
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 24);
    assert.equal(whole, cli(['--chat', '--temp', '0', '-n', '24', '-p', prompt]));
  });

  await check('chat streamed: deltas add up, usage, [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: id, messages: [{ role: 'user', content: prompt }],
      temperature: 0, max_tokens: 24, stream: true, stream_options: { include_usage: true } });
    let text = '', finish = null, usage = null, n = 0;
    for await (const chunk of stream) {
      n++;
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (!c) continue;
      text += c.delta.content ?? '';
      finish = c.finish_reason ?? finish;
    }
    assert.ok(n > 3, `${n} chunks`);
    assert.equal(text, whole);
    assert.equal(finish, 'length');
    assert.equal(usage?.completion_tokens, 24);
  });

  const schema = { type: 'object', additionalProperties: false, required: ['symptom', 'days', 'fever'],
    properties: { symptom: { type: 'string', maxLength: 40 }, days: { type: 'integer', minimum: 0, maximum: 30 },
      fever: { type: 'boolean' } } };
  const fits = (text) => {
    const v = JSON.parse(text);
    assert.deepEqual(Object.keys(v), ['symptom', 'days', 'fever'], text);
    assert.ok(typeof v.symptom === 'string' && v.symptom.length <= 40, text);
    assert.ok(Number.isInteger(v.days) && v.days >= 0 && v.days <= 30, text);
    assert.equal(typeof v.fever, 'boolean', text);
  };
  const response_format = { type: 'json_schema', json_schema: { name: 'visit', strict: true, schema } };
  await check('chat json_schema: valid JSON under the schema', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({ model: id, messages: [{ role: 'user', content: prompt }],
        response_format, seed, max_tokens: 300 });
      assert.equal(r.choices[0].finish_reason, 'stop');
      fits(r.choices[0].message.content);
    }
  });
  await check('chat json_schema streamed', async () => {
    const stream = await client.chat.completions.create({ model: id, messages: [{ role: 'user', content: prompt }],
      response_format, seed: 9, max_tokens: 300, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    fits(text);
  });

  await check('completions == sotto generate', async () => {
    const r = await client.completions.create({ model: id, prompt: 'The patient', temperature: 0, max_tokens: 12 });
    assert.equal(r.choices[0].text, cli(['--temp', '0', '-n', '12', '-p', 'The patient']));
  });

  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city',
    parameters: { type: 'object', additionalProperties: false, required: ['city', 'unit'],
      properties: { city: { type: 'string', maxLength: 20 }, unit: { enum: ['c', 'f'] } } } } }];
  const validCall = (call) => {
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    const args = JSON.parse(call.function.arguments);
    assert.deepEqual(Object.keys(args), ['city', 'unit']);
    assert.ok(args.city.length <= 20 && ['c', 'f'].includes(args.unit), call.function.arguments);
  };
  await check('tool call (required), then the result in the conversation', async () => {
    const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const r = await client.chat.completions.create({ model: id, messages, tools, tool_choice: 'required', seed: 1 });
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    const call = r.choices[0].message.tool_calls[0];
    validCall(call);
    messages.push(r.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 C, sunny' });
    const next = await client.chat.completions.create({ model: id, messages, tools, tool_choice: 'none', max_tokens: 8 });
    assert.equal(typeof next.choices[0].message.content, 'string');
  });
  await check('tool call streamed (the stream helper puts it together)', async () => {
    const runner = client.chat.completions.stream({ model: id, messages: [{ role: 'user', content: 'Paris?' }], tools,
      tool_choice: { type: 'function', function: { name: 'get_weather' } }, seed: 2 });
    const done = await runner.finalChatCompletion();
    assert.equal(done.choices[0].finish_reason, 'tool_calls');
    validCall(done.choices[0].message.tool_calls[0]);
  });

  await check('audio.transcriptions == sotto transcribe', async () => {
    const wav = path.join(root, 'samples/visit-soap.wav');
    const want = execFileSync(sotto, ['transcribe', '-t', '1', wav]).toString().trim().split('\n').join(' ');
    const r = await client.audio.transcriptions.create({ file: fs.createReadStream(wav), model: 'sotto-asr-q8_0' });
    assert.equal(r.text, want);
    const v = await client.audio.transcriptions.create({ file: await toFile(fs.readFileSync(wav), 'visit.wav'),
      model: 'sotto-asr-q8_0', response_format: 'verbose_json' });
    assert.equal(v.text, want);
    assert.ok(v.segments.length > 3 && v.duration > 30);
    await assert.rejects(client.audio.transcriptions.create({ file: await toFile(Buffer.from('ID3 not a wav'), 'a.mp3'),
      model: 'sotto-asr-q8_0' }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'file');
  });

  await check('embeddings: base64 (the client\'s default) == float', async () => {
    const input = ['the cat sat on the mat', 'hello world'];
    const b = await client.embeddings.create({ model: 'bert-f32', input });
    const f = await client.embeddings.create({ model: 'bert-f32', input, encoding_format: 'float' });
    assert.equal(b.data.length, 2);
    for (let i = 0; i < 2; i++) {
      assert.equal(b.data[i].embedding.length, 64);
      assert.deepEqual(b.data[i].embedding.map(Math.fround), f.data[i].embedding.map(Math.fround));
      const norm = Math.hypot(...f.data[i].embedding);
      assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
    }
  });

  await check('errors: BadRequestError with param, NotFoundError, AuthenticationError', async () => {
    await assert.rejects(client.chat.completions.create({ model: id, messages: [], max_tokens: 3 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'messages');
    await assert.rejects(client.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'x' }],
      temperature: 7 }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature');
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
    const wrong = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key');
  });
} finally {
  server.kill('SIGTERM');
}
console.log(failed ? `${failed} failed` : 'all passed');
process.exit(failed ? 1 : 0);

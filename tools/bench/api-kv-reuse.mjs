// api-kv-reuse.mjs — time to first token of the next turn of a long chat on `sotto serve --api`, with the KV cache
// reused (the server kept the previous request's prompt and answer: only the new turn is prefilled) against a cold
// run of the same request ("cache_prompt": false: the whole prompt prefilled), in the same server, alternating
// (docs/api.md, "KV cache reuse"). No npm packages (Node's fetch).
// The chat is built first by the server itself (greedy answers of --answer tokens to --turns user messages), so each
// measured turn's history is exactly what the previous request left in the cache. For each run: the previous request
// (not timed) then the turn streamed, time to its first content delta (reuse); then the same turn with cache_prompt
// false (cold). Prints the medians, their ratio, the prompt's tokens and how many were reused, and the server's
// prefill times (timings.prompt_ms, non-streamed).
// --interleaved: two conversations (A, and B on other user messages) take turns, as two clients of one server would:
// each run sends A's previous request, then B's, then A's turn (timed: A's prefix comes back from the server's saved
// snapshot, runtime/prompt-cache.h), then A's turn cold; the server runs with --cache-ram MIB (256; 0: only the live
// cache is kept, so A's turn after B's reuses only the template's head).
// Usage: node tools/bench/api-kv-reuse.mjs [build/sotto] [--model M.gguf] [--runs 15] [--threads 1] [--turns 8]
//        [--answer 48] [--interleaved] [--cache-ram MIB]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const model = opt('--model', path.join(root, 'models/sotto-notes-q8_0.gguf'));
const runs = Number(opt('--runs', 15));
const threads = opt('--threads', '1');
const turns = Number(opt('--turns', 8));
const answer = Number(opt('--answer', 48));
const cacheRam = opt('--cache-ram', null);
const interleaved = args.includes('--interleaved');
if (interleaved) args.splice(args.indexOf('--interleaved'), 1);
const sotto = path.resolve(args[0] ?? path.join(root, 'build/sotto'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = spawn(sotto, ['serve', '--api', '--port', '0', '-q', '-t', threads, '--root', root, '-m', model,
  ...(cacheRam === null ? [] : ['--cache-ram', cacheRam])],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
const base = `http://127.0.0.1:${/:(\d+)\/$/.exec(line)[1]}/v1`;

const users = [
  'Patient reports a headache for two days and mild fever.',
  'She also mentions a sore throat since yesterday and some fatigue.',
  'No known allergies. Takes ibuprofen occasionally for back pain.',
  'Temperature today was 38.1 C, pulse 88, blood pressure 122 over 78.',
  'Plan: rest, fluids, paracetamol as needed, return if the fever lasts over three days.',
  'Follow-up in one week, or sooner if symptoms get worse.',
  'Write the assessment for the note, in two sentences.',
  'Add that the throat looked red without exudate.',
  'Summarise the whole visit for the referral letter.',
];

async function post(body) {
  const r = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ temperature: 0, max_tokens: answer, ...body }) });
  const v = await r.json();
  if (!r.ok) throw new Error(JSON.stringify(v));
  return v;
}

// Time to the first content delta of a streamed request; its usage chunk's cached_tokens.
async function ttft(body) {
  const t0 = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ temperature: 0, max_tokens: answer, stream: true, stream_options: { include_usage: true },
      ...body }) });
  let first = null, buf = '', cached = null, text = '';
  const dec = new TextDecoder();
  for await (const chunk of r.body) {
    buf += dec.decode(chunk, { stream: true });
    for (let e; (e = buf.indexOf('\n\n')) >= 0; buf = buf.slice(e + 2)) {
      const data = buf.slice(6, e);
      if (data === '[DONE]') continue;
      const v = JSON.parse(data);
      const c = v.choices?.[0]?.delta?.content;
      if (c) { first ??= performance.now() - t0; text += c; }
      if (v.usage) cached = v.usage.prompt_tokens_details.cached_tokens;
    }
  }
  return { first, cached, text };
}

const usersB = [
  'Ankle sprain after a fall on the stairs yesterday, swelling on the outside.',
  'He can walk but it hurts, no numbness, toes move normally.',
  'No previous injuries to that ankle. Plays football on weekends.',
  'Mild bruising, tender over the ligament, no bone tenderness.',
  'Plan: ice, compression, elevation, ibuprofen for a few days.',
  'Return if he cannot bear weight or the pain gets worse.',
  'Write the assessment for the note, in two sentences.',
  'Add that an X-ray was not needed by the ankle rules.',
  'Summarise the whole visit for the sports physiotherapist.',
];

// A chat, answered by the server, up to `turns` user messages.
async function chat(texts) {
  const m = [];
  for (let k = 0; k < turns; k++) {
    m.push({ role: 'user', content: texts[k % texts.length] });
    if (k + 1 === turns) break;
    const v = await post({ messages: m });
    m.push({ role: 'assistant', content: v.choices[0].message.content });
  }
  return m;
}
const messages = await chat(users);
const previous = messages.slice(0, -2);  // the request before the last turn: its answer is messages[-2]
const other = interleaved ? (await chat(usersB)).slice(0, -2) : null;  // B's previous request

const warm = [], cold = [];
let info = null;
const differ = [];  // runs whose reused answer was not the cold one
// Each run's last user message is new (numbered), as a real next turn is: the server's saved snapshots of earlier
// runs share the history with it, never the whole prompt.
const numbered = (i) => [...messages.slice(0, -1), { role: 'user', content: `(${i + 1}) ${messages.at(-1).content}` }];
for (let i = 0; i < runs; i++) {
  await post({ messages: previous });
  if (other) await post({ messages: other });
  const w = await ttft({ messages: numbered(i) });
  const c = await ttft({ messages: numbered(i), cache_prompt: false });
  warm.push(w.first);
  cold.push(c.first);
  if (w.text !== c.text || c.cached !== 0) differ.push(i + 1);
  info ??= w;
}
await post({ messages: previous });
if (other) await post({ messages: other });
const tw = await post({ messages: numbered(runs) });
const tc = await post({ messages: numbered(runs), cache_prompt: false });
server.kill();

const mw = median(warm), mc = median(cold);
console.log(`model ${path.basename(model)}, ${threads} thread(s), ${turns} turns, answers of ${answer} tokens, ${runs} runs` +
  (interleaved ? `, interleaved with a second conversation, --cache-ram ${cacheRam ?? 'default'}` : ''));
console.log(`last turn: ${tw.usage.prompt_tokens} prompt tokens, ${info.cached} reused from the cache`);
console.log(`ttft reuse ${mw.toFixed(2)} ms, cold ${mc.toFixed(2)} ms: cold / reuse ${(mc / mw).toFixed(2)}x`);
console.log(`server prefill (timings.prompt_ms): reuse ${tw.timings.prompt_ms.toFixed(2)} ms for ` +
  `${tw.timings.prompt_n} tokens, cold ${tc.timings.prompt_ms.toFixed(2)} ms for ${tc.timings.prompt_n} tokens`);
console.log(`answers equal (reuse == cold): ${runs - differ.length} of ${runs} runs` +
  (differ.length ? ` (differ: runs ${differ.join(', ')})` : ''));

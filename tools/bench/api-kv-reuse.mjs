// api-kv-reuse.mjs — time to first token of the next turn of a long chat on `sotto serve --api`, with the KV cache
// reused (the server kept the previous request's prompt and answer: only the new turn is prefilled) against a cold
// run of the same request ("cache_prompt": false: the whole prompt prefilled), in the same server, alternating
// (docs/api.md, "KV cache reuse"). No npm packages (Node's fetch).
// The chat is built first by the server itself (greedy answers of --answer tokens to --turns user messages), so each
// measured turn's history is exactly what the previous request left in the cache. For each run: the previous request
// (not timed) then the turn streamed, time to its first content delta (reuse); then the same turn with cache_prompt
// false (cold). Prints the medians, their ratio, the prompt's tokens and how many were reused, and the server's
// prefill times (timings.prompt_ms, non-streamed).
// Usage: node tools/bench/api-kv-reuse.mjs [build/sotto] [--model M.gguf] [--runs 15] [--threads 1] [--turns 8]
//        [--answer 48]
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
const sotto = path.resolve(args[0] ?? path.join(root, 'build/sotto'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = spawn(sotto, ['serve', '--api', '--port', '0', '-q', '-t', threads, '--root', root, '-m', model],
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

// The chat, answered by the server, up to `turns` user messages.
const messages = [];
for (let k = 0; k < turns; k++) {
  messages.push({ role: 'user', content: users[k % users.length] });
  if (k + 1 === turns) break;
  const v = await post({ messages });
  messages.push({ role: 'assistant', content: v.choices[0].message.content });
}
const previous = messages.slice(0, -2);  // the request before the last turn: its answer is messages[-2]

const warm = [], cold = [];
let info = null, same = true;
for (let i = 0; i < runs; i++) {
  await post({ messages: previous });
  const w = await ttft({ messages });
  const c = await ttft({ messages, cache_prompt: false });
  warm.push(w.first);
  cold.push(c.first);
  same &&= w.text === c.text && c.cached === 0;
  info ??= w;
}
await post({ messages: previous });
const tw = await post({ messages });
const tc = await post({ messages, cache_prompt: false });
server.kill();

const mw = median(warm), mc = median(cold);
console.log(`model ${path.basename(model)}, ${threads} thread(s), ${turns} turns, answers of ${answer} tokens, ${runs} runs`);
console.log(`last turn: ${tw.usage.prompt_tokens} prompt tokens, ${info.cached} reused from the cache`);
console.log(`ttft reuse ${mw.toFixed(2)} ms, cold ${mc.toFixed(2)} ms: cold / reuse ${(mc / mw).toFixed(2)}x`);
console.log(`server prefill (timings.prompt_ms): reuse ${tw.timings.prompt_ms.toFixed(2)} ms for ` +
  `${tw.timings.prompt_n} tokens, cold ${tc.timings.prompt_ms.toFixed(2)} ms for ${tc.timings.prompt_n} tokens`);
console.log(`answers equal (reuse == cold, every run): ${same}`);

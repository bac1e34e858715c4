// api-overhead.mjs — what a request to `sotto serve --api` costs against `sotto generate` on the same model, same
// prompt, same greedy settings (docs/api.md, "Overhead"). No npm packages (Node's fetch).
// For each output length: the median over the runs of
//   cli      wall time of one `sotto generate --chat --temp 0 -n N -q` process (start, load, generate, exit)
//   cli-gen  the generation alone inside it (prefill + decode, from its stats line; run without -q)
//   api      wall time of one non-streamed POST /v1/chat/completions (connection, JSON, template, generate, answer)
//   ttft     a streamed request's time to its first content delta; cli-first: the CLI's time to its first byte
//   per-token  streamed: (last delta - first delta) / (tokens - 1), against the CLI's (last byte - first byte) /
//              (tokens - 1) on stdout (it writes and flushes each token's text)
// and prints api - cli-gen and the ratio api / cli-gen (what the HTTP layer, JSON and the chat template add to the
// work; cli-gen is printed in whole ms by the CLI), api / cli (a served model against a process per prompt) and
// ttft / cli-first.
// Usage: node tools/bench/api-overhead.mjs [build/sotto] [--model M.gguf] [--runs 20] [--threads 1]
import { spawn, spawnSync } from 'node:child_process';
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
const runs = Number(opt('--runs', 20));
const threads = opt('--threads', '1');
const sotto = path.resolve(args[0] ?? path.join(root, 'build/sotto'));
const prompt = 'Patient reports a headache for two days and mild fever. Plan: rest and fluids.';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(2)} ms`;

const server = spawn(sotto, ['serve', '--api', '--port', '0', '-q', '-t', threads, '--root', root, '-m', model],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
const base = `http://127.0.0.1:${/:(\d+)\/$/.exec(line)[1]}/v1`;

function cli(n, quiet = true) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let first = null, err = '';
    const p = spawn(sotto, ['generate', '-m', model, '--chat', '--temp', '0', '-n', String(n), '-t', threads,
      ...(quiet ? ['-q'] : []), '-p', prompt]);
    let last = null;
    p.stdout.on('data', () => { first ??= performance.now() - t0; last = performance.now() - t0; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', () => {
      const m = /prompt \d+ tokens, ([\d.]+) s.*generated \d+ tokens \(\d+ forced\), ([\d.]+) s/.exec(err);
      resolve({ wall: performance.now() - t0, first, last, gen: m ? (Number(m[1]) + Number(m[2])) * 1000 : null });
    });
  });
}

async function api(n) {
  const t0 = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: n }) });
  await r.json();
  return performance.now() - t0;
}

async function ttft(n) {
  const t0 = performance.now();
  const r = await fetch(`${base}/chat/completions`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: prompt }], temperature: 0, max_tokens: n, stream: true }) });
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '', first = null, last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    if (/"delta":\{"content":"[^"]/.test(dec.decode(value))) {
      first ??= performance.now() - t0;
      last = performance.now() - t0;
    }
  }
  return { first, last };
}

const cpu = spawnSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).stdout.toString().trim();
console.log(`model ${path.basename(model)}, ${runs} runs each, -t ${threads}, ${cpu}, median times`);
console.log('tokens |   cli wall | cli-gen | cli-first |  api wall |  api ttft | api-cli-gen | api/cli-gen | api/cli | ' +
  'ttft/cli-first | per-token api / cli');
try {
  for (const n of [1, 16, 128]) {
    await api(n);  // warm-up
    const c = [], g = [], f = [], a = [], t = [], pa = [], pc = [];
    for (let i = 0; i < runs; i++) {
      const q = await cli(n, true);
      c.push(q.wall);
      f.push(q.first ?? q.wall);
      if (n > 1) pc.push((q.last - q.first) / (n - 1));
      g.push((await cli(n, false)).gen);
      a.push(await api(n));
      const s = await ttft(n);
      t.push(s.first);
      if (n > 1) pa.push((s.last - s.first) / (n - 1));
    }
    const [mc, mg, mf, ma, mt] = [c, g, f, a, t].map(median);
    const per = n > 1 ? `${median(pa).toFixed(3)} / ${median(pc).toFixed(3)} ms` : '-';
    console.log(`${String(n).padStart(6)} | ${ms(mc).padStart(10)} | ${ms(mg).padStart(7)} | ${ms(mf).padStart(9)} | ` +
      `${ms(ma).padStart(9)} | ${ms(mt).padStart(9)} | ${ms(ma - mg).padStart(11)} | ${(ma / mg).toFixed(2).padStart(11)} | ` +
      `${(ma / mc).toFixed(2).padStart(7)} | ${(mt / mf).toFixed(2).padStart(14)} | ${per}`);
  }
} finally {
  server.kill('SIGTERM');
}

// voice-latency.mjs — the voice command loop's latency, end of phrase known -> action (docs/voice.md: the phrase's
// recognition plus the matching; the VAD's 400 ms of silence before it not counted), p50 and p95, for the same
// espeak-ng phrases natively (`sotto listen --commands SET -t N WAV`) and in the wasm build under Node (wasm/asr.mjs
// SottoAsr + SottoCommands on the wasm CPU: sotto.wasm for 1 thread, sotto-mt.wasm for more), both fed in 100 ms chunks.
// Phrases: the command set's examples and a few out-of-set sentences, each spoken by three espeak-ng voices, one WAV per
// voice with 0.8 s pauses (the VAD cuts them). The speech model is the bundled one unless --model.
// Prints one line per engine and thread count: n, p50, p95, max (ms), and the mean phrase length; --json: JSON lines.
// Usage: node tools/bench/voice-latency.mjs [--threads 1,2] [--model m.gguf] [--commands web/voice/factory.json]
//        [--sotto build/sotto] [--wasm-dir build-wasm] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoAsr, SottoCommands } from '../../wasm/asr.mjs';
import { referenceResample, wav16k } from '../../tests/web/speech-fixtures.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ threads: '1,2', model: join(root, 'models', 'sotto-asr-q8_0.gguf'),
                           commands: join(root, 'web', 'voice', 'factory.json'), sotto: join(root, 'build', 'sotto'),
                           'wasm-dir': join(root, 'build-wasm'), json: false });
const threads = String(opt.threads).split(',').map(Number);
const set = JSON.parse(readFileSync(opt.commands, 'utf8'));
const phrases = [...set.commands.flatMap((c) => c.examples ?? []),
                 'What is the weather like today?', 'Please call the maintenance team to line three.',
                 'The pallet on the left is missing a label.'];
const voices = [['en-us', '150'], ['en+f3', '170'], ['en-gb', '140']];
const tmp = mkdtempSync(join(tmpdir(), 'sotto-voice-bench-'));

// One 16 kHz WAV per voice: 0.8 s of silence, then each phrase followed by 0.8 s of silence.
const wavs = voices.map(([v, speed], i) => {
  const parts = [];
  for (const p of phrases) {
    const raw = join(tmp, 'p.wav');
    execFileSync('espeak-ng', ['-v', v, '-s', speed, '-w', raw, p]);
    parts.push(referenceResample(readFileSync(raw)));
  }
  const gap = new Float64Array(12800);
  const all = [gap, ...parts.flatMap((x) => [x, gap])];
  const pcm = new Float64Array(all.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of all) { pcm.set(x, o); o += x.length; }
  const path = join(tmp, `voice-${i}.wav`);
  writeFileSync(path, wav16k(pcm));
  return path;
});

const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; };
function report(engine, t, rows) {
  const lat = rows.map((r) => r.latency_ms), len = rows.map((r) => r.end - r.start);
  const r = { engine, threads: t, n: rows.length, p50_ms: +pct(lat, 0.5).toFixed(1), p95_ms: +pct(lat, 0.95).toFixed(1),
              max_ms: +Math.max(...lat).toFixed(1), mean_phrase_s: +(len.reduce((a, x) => a + x, 0) / len.length).toFixed(2),
              commands: rows.filter((x) => x.command).length };
  console.log(opt.json ? JSON.stringify(r) : `${engine.padEnd(18)} ${t} thread(s): n ${r.n}, p50 ${r.p50_ms} ms, p95 ${r.p95_ms} ms, ` +
              `max ${r.max_ms} ms (phrases ${r.mean_phrase_s} s on average; ${r.commands} heard as commands)`);
}

for (const t of threads) {
  const rows = [];
  for (const w of wavs) {
    const r = spawnSync(opt.sotto, ['listen', '--commands', opt.commands, '-m', opt.model, '-t', String(t), w]);
    if (r.status !== 0) throw new Error(`sotto listen: ${r.stderr}`);
    rows.push(...r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l)));
  }
  report('native', t, rows);
}

const model = readFileSync(opt.model);
for (const t of threads) {
  const wasm = await WebAssembly.compile(readFileSync(join(opt['wasm-dir'], t > 1 ? 'sotto-mt.wasm' : 'sotto.wasm')));
  const asr = await SottoAsr.create(wasm, { threads: t, log: () => {} });
  await asr.load(model, { name: 'asr.gguf', sampleRate: 16000 });
  const cmd = await SottoCommands.create(wasm);
  await cmd.load(readFileSync(opt.commands, 'utf8'), { name: 'commands.json' });
  const rows = [];
  const take = async (segs) => {
    for (const s of segs) {
      const t0 = performance.now();
      const a = await cmd.match(s.text);
      rows.push({ start: s.start, end: s.end, command: a.command, latency_ms: s.latency_ms + performance.now() - t0 });
    }
  };
  for (const w of wavs) {
    await asr.reset();
    const pcm = asr.decodeWav(readFileSync(w)).samples;
    for (let i = 0; i < pcm.length; i += 1600) await take(await asr.feed(pcm.subarray(i, i + 1600)));
    await take(await asr.finish());
  }
  report(`wasm (Node ${process.versions.node.split('.')[0]})`, asr.engine.threads, rows);
  asr.engine.dispose();
  cmd.engine.dispose();
}
rmSync(tmp, { recursive: true, force: true });
process.exit(0);  // the threaded engines' Workers would keep Node running

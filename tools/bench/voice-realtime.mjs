// voice-realtime.mjs — end of speech -> action of `sotto listen --stream` measured on the wall clock, in real time,
// beside the number the line itself reports (action_ms: the wait in audio plus the compute after it, with a decode
// started in a pause counted as running while the rest of the pause comes in: runtime/transcribe.h). The WAV's
// samples are written to the CLI's stdin as s16le in --chunk-ms chunks, each at the moment its last sample would have
// been recorded (a microphone's pace; the schedule does not drift); a line's real latency is the time it was read
// from stdout less the moment its speech_end sample was recorded. Checks that the bench's accounting
// (tools/bench/voice-endpoint.mjs) is what a live loop gets. Real time: a run takes as long as the WAV.
// Input: a 16 kHz mono 16-bit WAV with a 44-byte header (what voice-endpoint.mjs --keep DIR writes: DIR/tuning-0.wav,
// DIR/heard.json). Prints per config: lines, early ends, and p50 / p95 of real and reported end of speech -> action.
// Usage: node tools/bench/voice-realtime.mjs --wav DIR/tuning-0.wav --commands DIR/heard.json
//        [--configs '200;150/80'] [--extra '--partial 300'] [--chunk-ms 20] [--threads 1] [--sotto build/sotto]
//        [--model m.gguf] [--json]   (--extra: more `sotto listen` options for every config, e.g. partials)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ wav: '', commands: '', configs: '200;150/80', extra: '', 'chunk-ms': 20, threads: 1,
                           sotto: join(root, 'build', 'sotto'), model: join(root, 'models', 'sotto-asr-q8_0.gguf'), json: false });
if (!opt.wav || !opt.commands) throw new Error('give --wav FILE.wav and --commands SET.json');
const wav = readFileSync(opt.wav);
if (wav.toString('latin1', 0, 4) !== 'RIFF' || wav.toString('latin1', 36, 40) !== 'data' || wav.readUInt32LE(24) !== 16000 ||
    wav.readUInt16LE(22) !== 1 || wav.readUInt16LE(34) !== 16) {
  throw new Error(`${opt.wav}: not a 16 kHz mono 16-bit WAV with a 44-byte header`);
}
const pcm = wav.subarray(44, 44 + wav.readUInt32LE(40));
const chunkBytes = 32 * Number(opt['chunk-ms']);
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.max(0, Math.ceil(q * s.length) - 1)] : NaN; };
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function run(args) {
  const child = spawn(opt.sotto, ['listen', '--commands', opt.commands, '-m', opt.model, '-t', String(opt.threads),
                                  '--chunk-ms', String(opt['chunk-ms']), '--timings', ...args,
                                  ...String(opt.extra).split(' ').filter(Boolean), '--stream']);
  const lines = [];
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (l) => lines.push({ at: performance.now(), v: JSON.parse(l) }));
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('close', resolve));
  const written = [];  // wall time each chunk was written
  const t0 = performance.now();
  for (let k = 0; k * chunkBytes < pcm.length; k++) {
    const end = Math.min(pcm.length, (k + 1) * chunkBytes);
    await sleep(t0 + (end / 32) - performance.now());  // the chunk's last sample is recorded at end / 32 ms
    written.push(performance.now());
    child.stdin.write(pcm.subarray(k * chunkBytes, end));
  }
  child.stdin.end();
  const code = await done;
  if (code !== 0) throw new Error(`sotto listen: ${err}`);
  return lines.filter((l) => !l.v.partial && !l.v.check).map(({ at, v }) => {
    const s = Math.round(v.speech_end * 16000);  // the end of speech, in samples: recorded at s / 16 ms after t0 ...
    const k = Math.floor((2 * s - 1) / chunkBytes);  // ... and written with chunk k, whose lateness it shares
    const spoken = written[k] - ((Math.min(pcm.length, (k + 1) * chunkBytes) / 2 - s) / 16);
    return { text: v.text, endpoint: v.endpoint, real: at - spoken, reported: v.action_ms };
  });
}

for (const c of String(opt.configs).split(';')) {
  const [p, d] = c.split('/');
  const args = p === '400' ? [] : ['--endpoint', p, ...(d ? ['--endpoint-decode', d] : [])];
  const got = await run(args);
  const early = got.filter((g) => g.endpoint === 'complete' || g.endpoint === 'eos');
  const f = (xs, q) => +pct(xs, q).toFixed(1);
  const r = { config: [...args, opt.extra].join(' ').trim() || 'VAD 400 ms', lines: got.length, early: early.length,
              real_p50: f(got.map((g) => g.real), 0.5), real_p95: f(got.map((g) => g.real), 0.95),
              reported_p50: f(got.map((g) => g.reported), 0.5), reported_p95: f(got.map((g) => g.reported), 0.95),
              early_real_p50: f(early.map((g) => g.real), 0.5), early_real_p95: f(early.map((g) => g.real), 0.95),
              early_reported_p50: f(early.map((g) => g.reported), 0.5), early_reported_p95: f(early.map((g) => g.reported), 0.95) };
  console.log(opt.json ? JSON.stringify(r) : `${r.config.padEnd(34)} lines ${r.lines}, early ${r.early}; end of speech -> action ` +
              `real / reported p50 ${r.real_p50} / ${r.reported_p50}, p95 ${r.real_p95} / ${r.reported_p95} ms; early ends: p50 ` +
              `${r.early_real_p50} / ${r.early_reported_p50}, p95 ${r.early_real_p95} / ${r.early_reported_p95} ms`);
}

// voice-endpoint.mjs — end of speech -> final text and -> action of `sotto listen`, with the VAD's full 400 ms wait
// (the baseline) against --endpoint MS (docs/voice.md "End of speech"), and the false cuts each makes.
// Phrases: the command set's examples and three out-of-set sentences, each spoken whole and again with a pause in the
// middle (an SSML break of --pause-ms after the middle word: a speaker who hesitates; shorter than the VAD's wait, so
// the baseline keeps it one phrase), by espeak-ng voices split in two: tuning (en-us, en+f3) where --eos-min is
// chosen (the lowest of the sweep with no false cut) and held-out (en-gb, en+m7), one WAV per voice with 0.8 s gaps,
// fed in --chunk-ms chunks (20: a microphone's). The sweep is computed from one --trace-endpoint run (the pause checks
// of a run that never ends early: the first check that would end a phrase decides it); every row of the table is a
// real run. A false cut: a phrase that came out as more segments than the baseline gave it. Times are reported
// for the whole phrases (those that may end early) and for all (the paused ones wait the full 400 ms unless cut). The times come from the lines' wait_ms
// (audio from the end of speech to the close, as the chunks arrive) plus the compute after it (a decode started at
// the pause runs while the rest of the wait comes in: transcribe.h).
// --wasm-dir DIR adds the same rows for the wasm build under Node (wasm/asr.mjs SottoAsr.endpoint + SottoCommands, on
// the wasm CPU: DIR/sotto.wasm for 1 thread, sotto-mt.wasm for more).
// --fast P/D (e.g. 150/80) adds heard-set rows for --endpoint P --endpoint-decode D (the decode speculatively earlier in
// the pause); each heard-set row is followed by its profile: for the phrases that ended early, the wait (audio from
// the end of speech to the close) and the compute after it (p50 / p95) beside their end of speech -> action, and the whole phrases that waited the full
// 400 ms with why (their text is no command of the set, or a command that may go on: voice::may_continue).
// --limit N takes the first N sentences only; --keep DIR writes the WAVs (<split>-<i>.wav) and heard.json there and
// keeps them (tests/bench/voice-endpoint.test.mjs checks the numbers against its own runs of sotto listen on them).
// Usage: node tools/bench/voice-endpoint.mjs [--pause 200] [--fast 150/80,120/60] [--eos-sweep 0.5,0.7,0.9] [--threads 1]
//        [--model m.gguf] [--commands web/voice/factory.json] [--sotto build/sotto] [--wasm-dir build-wasm] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoAsr, SottoCommands } from '../../wasm/asr.mjs';
import { referenceResample, wav16k } from '../../tests/web/speech-fixtures.mjs';
import { parseOptions } from './options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = parseOptions({ pause: 200, fast: '', 'pause-ms': 300, 'eos-sweep': '0.5,0.7,0.8,0.9,0.95,0.98,0.99', threads: 1,
                           'chunk-ms': 20, model: join(root, 'models', 'sotto-asr-q8_0.gguf'),
                           commands: join(root, 'web', 'voice', 'factory.json'), sotto: join(root, 'build', 'sotto'),
                           'wasm-dir': '', json: false, limit: 0, keep: '' });
const setPath = opt.commands;  // (opt.commands becomes the heard set's below)
const set = JSON.parse(readFileSync(setPath, 'utf8'));
const sentences = [...set.commands.flatMap((c) => c.examples ?? []),
                   'What is the weather like today?', 'Please call the maintenance team to line three.',
                   'The pallet on the left is missing a label.'].slice(0, Number(opt.limit) || undefined);
const paused = (s) => {
  const w = s.split(' ');
  const k = Math.ceil(w.length / 2);
  return `${w.slice(0, k).join(' ')} <break time="${opt['pause-ms']}ms"/> ${w.slice(k).join(' ')}`;
};
const phrases = [...sentences.map((s) => ({ text: s, ssml: false })),
                 ...sentences.filter((s) => s.split(' ').length >= 3).map((s) => ({ text: paused(s), ssml: true }))];
const voices = { tuning: [['en-us', '150'], ['en+f3', '170']], 'held-out': [['en-gb', '140'], ['en+m7', '160']] };
const tmp = opt.keep || mkdtempSync(join(tmpdir(), 'sotto-endpoint-bench-'));

// One 16 kHz WAV per voice: 0.8 s of silence, then each phrase and 0.8 s of silence; spans[i] = phrase i's samples.
function voiceWav(v, speed, name) {
  const parts = [], spans = [];
  const gap = new Float64Array(12800);
  let at = gap.length;
  for (const p of phrases) {
    const raw = join(tmp, 'p.wav');
    execFileSync('espeak-ng', [...(p.ssml ? ['-m'] : []), '-v', v, '-s', speed, '-w', raw, p.text]);
    const x = referenceResample(readFileSync(raw));
    parts.push(x);
    spans.push([at, at + x.length]);
    at += x.length + gap.length;
  }
  const all = [gap, ...parts.flatMap((x) => [x, gap])];
  const pcm = new Float64Array(all.reduce((a, x) => a + x.length, 0));
  let o = 0;
  for (const x of all) { pcm.set(x, o); o += x.length; }
  const path = join(tmp, `${name}.wav`);
  writeFileSync(path, wav16k(pcm));
  return { path, spans };
}
const wavs = Object.fromEntries(Object.entries(voices).map(([split, vs]) =>
  [split, vs.map(([v, s], i) => ({ voice: v, ...voiceWav(v, s, `${split}-${i}`) }))]));

// The wasm engine's lines for a WAV, as `sotto listen --timings` prints them (text, command, speech_end, endpoint,
// wait_ms, text_ms, action_ms): wasm.asr and wasm.cmd hold the model and the set; endpoint 0 is off.
const wasm = {};
async function listenWasm(wav, setText, endpoint, decode = 0) {
  await wasm.cmd.load(setText, { name: 'set.json' });
  await wasm.asr.endpoint(endpoint ? { pauseMs: endpoint, decodeMs: decode, commands: setText, name: 'set.json' } : { pauseMs: 0 });
  await wasm.asr.reset();
  const pcm = wasm.asr.decodeWav(readFileSync(wav)).samples, chunk = 16 * opt['chunk-ms'], out = [];
  const take = async (segs) => {
    for (const g of segs) {
      const t0 = performance.now();
      const a = await wasm.cmd.match(g.text);
      const action = g.latency_ms + performance.now() - t0;
      out.push({ ...a, text: g.text, start: g.start, end: g.end, speech_end: g.speech_end, endpoint: g.endpoint,
                 wait_ms: g.wait_ms, text_ms: g.wait_ms + g.latency_ms, action_ms: g.wait_ms + action });
    }
  };
  for (let i = 0; i < pcm.length; i += chunk) await take(await wasm.asr.feed(pcm.subarray(i, i + chunk)));
  await take(await wasm.asr.finish());
  return out;
}

function listen(wav, extra) {
  const r = spawnSync(opt.sotto, ['listen', '--commands', opt.commands, '-m', opt.model, '-t', String(opt.threads),
                                  '--chunk-ms', String(opt['chunk-ms']), ...extra, wav]);
  if (r.status !== 0) throw new Error(`sotto listen: ${r.stderr}`);
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
}
// The phrase (index into spans) a time in seconds falls in, padding allowed; -1 for none.
const phraseAt = (spans, t) => spans.findIndex(([a, b]) => t * 16000 >= a - 1600 && t * 16000 <= b + 1600);
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : NaN; };

// A run's numbers: false cuts (phrases split into more segments than the baseline gave them), early ends, and the
// end of speech -> text / -> action times of every phrase's last segment.
function summarise(runs, base) {
  let cuts = 0, early = 0, n = 0;
  const t = { whole: [], all: [] }, a = { whole: [], all: [] };
  runs.forEach(({ lines, spans }, w) => {
    const segs = lines.filter((l) => !l.check);
    const count = (ls, i) => ls.filter((l) => phraseAt(spans, l.speech_end) === i).length;
    spans.forEach((_, i) => {
      const mine = segs.filter((l) => phraseAt(spans, l.speech_end) === i);
      if (!mine.length) return;
      n++;
      if (mine.length > count(base[w].lines.filter((l) => !l.check), i)) {
        cuts++;
        if (!opt.json) console.log(`  false cut: "${phrases[i].text}" came out as ${mine.map((l) => JSON.stringify(l.text)).join(' + ')}`);
      }
      const last = mine[mine.length - 1];
      if (last.endpoint === 'eos' || last.endpoint === 'complete') early++;
      for (const k of phrases[i].ssml ? ['all'] : ['whole', 'all']) {
        t[k].push(last.text_ms);
        a[k].push(last.action_ms);
      }
    });
  });
  const f = (x, q) => +pct(x, q).toFixed(1);
  return { phrases: n, false_cuts: cuts, early, whole_text_p50: f(t.whole, 0.5), whole_text_p95: f(t.whole, 0.95),
           whole_action_p50: f(a.whole, 0.5), whole_action_p95: f(a.whole, 0.95), all_text_p50: f(t.all, 0.5),
           all_text_p95: f(t.all, 0.95), all_action_p50: f(a.all, 0.5), all_action_p95: f(a.all, 0.95) };
}

// Where a run's time goes (the profile under each heard-set row): see the header.
function profile(split, runs) {
  const early = [], full = [];
  runs.forEach(({ lines, spans }) => {
    spans.forEach((_, i) => {
      const mine = lines.filter((l) => !l.check && phraseAt(spans, l.speech_end) === i);
      if (!mine.length) return;
      const last = mine[mine.length - 1];
      if (last.endpoint === 'complete' || last.endpoint === 'eos') early.push(last);
      else if (!phrases[i].ssml) full.push(last);
    });
  });
  const f = (xs, q) => pct(xs, q).toFixed(1);
  const wait = early.map((l) => l.wait_ms), compute = early.map((l) => l.action_ms - l.wait_ms), act = early.map((l) => l.action_ms);
  const why = full.map((l) => `${JSON.stringify(l.text)} (${l.command ? 'a command that may go on' : 'no command'})`);
  const r = { split, profile: true, early: early.length, action_p50: +f(act, 0.5), action_p95: +f(act, 0.95),
              wait_p50: +f(wait, 0.5), wait_p95: +f(wait, 0.95),
              compute_p50: +f(compute, 0.5), compute_p95: +f(compute, 0.95), full_wait: why };
  console.log(opt.json ? JSON.stringify(r) : `${''.padEnd(10)}profile: ${early.length} early ends: end of speech -> action p50 ${r.action_p50} / p95 ` +
              `${r.action_p95} ms = wait p50 ${r.wait_p50} / p95 ` +
              `${r.wait_p95} ms, compute after it p50 ${r.compute_p50} / p95 ${r.compute_p95} ms; whole phrases that waited ` +
              `400 ms: ${why.length ? why.join(', ') : 'none'}`);
}

const rows = [];
const row = (split, config, s) => {
  const r = { split, config, ...s };
  rows.push(r);
  console.log(opt.json ? JSON.stringify(r) : `${split.padEnd(9)} ${config.padEnd(34)} phrases ${r.phrases}, false cuts ${r.false_cuts}, ` +
              `early ${r.early}; end of speech -> text / action p50, p95 (ms): whole phrases ${r.whole_text_p50} / ` +
              `${r.whole_action_p50}, ${r.whole_text_p95} / ${r.whole_action_p95}; all ${r.all_text_p50} / ${r.all_action_p50}, ` +
              `${r.all_text_p95} / ${r.all_action_p95}`);
};

// The baseline, and the sweep of --eos-min from the pause checks of one run that never ends on eos.
const base = {}, chosen = {};
for (const [split, ws] of Object.entries(wavs)) {
  base[split] = ws.map((w) => ({ spans: w.spans, lines: listen(w.path, ['--timings']) }));
  row(split, 'VAD 400 ms (baseline)', summarise(base[split], base[split]));
}
const sweep = String(opt['eos-sweep']).split(',').map(Number);
for (const [split, ws] of Object.entries(wavs)) {
  const traces = ws.map((w) => ({ spans: w.spans, lines: listen(w.path, ['--endpoint', String(opt.pause), '--trace-endpoint']) }));
  for (const th of sweep) {
    // Per phrase: the first check that this threshold would end it at; a false cut unless it is the phrase's last.
    let cuts = 0, early = 0;
    traces.forEach(({ spans, lines }, w) => {
      spans.forEach((_, i) => {
        const checks = lines.filter((l) => l.check && phraseAt(spans, l.start) === i);
        const fires = (c) => c.ended || (/[.!?]$/.test(c.text) && c.eos_prob >= th);
        const first = checks.find(fires);
        if (!first) return;
        // The end of speech unless it is where the baseline closed the phrase.
        const ends = base[split][w].lines.filter((l) => phraseAt(spans, l.speech_end) === i);
        if (!ends.length || first.end !== ends[ends.length - 1].end) cuts++;
        else early++;
      });
    });
    console.log(opt.json ? JSON.stringify({ split, sweep: th, false_cuts: cuts, early })
                         : `${split.padEnd(9)} sweep --eos-min ${th}: ${cuts} false cuts, ${early} early ends`);
    if (split === 'tuning' && cuts === 0 && chosen.eos === undefined) chosen.eos = th;
  }
}
const configs = [[`--endpoint ${opt.pause} (command only)`, ['--endpoint', String(opt.pause)]]];
if (chosen.eos !== undefined) configs.push([`--endpoint ${opt.pause} --eos-min ${chosen.eos}`, ['--endpoint', String(opt.pause), '--eos-min', String(chosen.eos)]]);
for (const [name, args] of configs) {
  for (const [split, ws] of Object.entries(wavs)) {
    row(split, name, summarise(ws.map((w) => ({ spans: w.spans, lines: listen(w.path, args) })), base[split]));
  }
}

// The same with a command set the model does hear: each whole phrase's baseline text (the tuning voices') made a
// command of its own, so that the matcher's signal can fire (the bundled model hears no command of the factory set:
// docs/voice.md). What it measures is the loop once the recogniser hears the set, not the bundled model's accuracy.
const heard = [...new Set(base.tuning.flatMap(({ lines, spans }) => lines.filter((l) => {
  const i = phraseAt(spans, l.speech_end);
  return i >= 0 && !phrases[i].ssml;
}).map((l) => l.text)))];
const says = heard.filter((t) => /[a-z]/i.test(t) && !/[{}]/.test(t));
const heardPath = join(tmp, 'heard.json');
let check;
for (;;) {  // texts the set refuses as phrases (e.g. only a filler word: an empty phrase) are left out
  writeFileSync(heardPath, JSON.stringify({ description: 'heard', commands: says.map((t, i) => ({ name: `heard_${i}`, say: [t] })) }));
  check = spawnSync(opt.sotto, ['listen', '--commands', heardPath, '--text'], { input: '' });
  const bad = /command "heard_(\d+)"/.exec(check.stderr.toString());
  if (check.status === 0 || !bad) break;
  says.splice(Number(bad[1]), 1);
}
if (check.status !== 0) {
  console.log(`the heard set does not load: ${check.stderr.toString().trim()}`);
} else {
  opt.commands = heardPath;
  for (const [split, ws] of Object.entries(wavs)) {
    const b = ws.map((w) => ({ spans: w.spans, lines: listen(w.path, ['--timings']) }));
    row(split, `heard set (${says.length}): VAD 400 ms`, summarise(b, b));
    const runs = (args) => ws.map((w) => ({ spans: w.spans, lines: listen(w.path, args) }));
    const e = runs(['--endpoint', String(opt.pause)]);
    row(split, `heard set: --endpoint ${opt.pause}`, summarise(e, b));
    profile(split, e);
    for (const pd of String(opt.fast).split(',').filter(Boolean)) {
      const [p, d] = pd.split('/');
      const r = runs(['--endpoint', p, '--endpoint-decode', d]);
      row(split, `heard set: --endpoint ${p} --endpoint-decode ${d}`, summarise(r, b));
      profile(split, r);
    }
  }
}
if (opt['wasm-dir']) {
  const t = Number(opt.threads);
  const mod = await WebAssembly.compile(readFileSync(join(opt['wasm-dir'], t > 1 ? 'sotto-mt.wasm' : 'sotto.wasm')));
  wasm.asr = await SottoAsr.create(mod, { threads: t, log: () => {} });
  await wasm.asr.load(readFileSync(opt.model), { name: 'asr.gguf', sampleRate: 16000 });
  wasm.cmd = await SottoCommands.create(mod);
  const factory = readFileSync(setPath, 'utf8');
  const heardText = check.status === 0 ? readFileSync(heardPath, 'utf8') : null;
  for (const [split, ws] of Object.entries(wavs)) {
    const b = [];
    for (const w of ws) b.push({ spans: w.spans, lines: await listenWasm(w.path, factory, 0) });
    row(split, `wasm ${t}t: VAD 400 ms`, summarise(b, b));
    const e = [];
    for (const w of ws) e.push({ spans: w.spans, lines: await listenWasm(w.path, factory, opt.pause) });
    row(split, `wasm ${t}t: --endpoint ${opt.pause}`, summarise(e, b));
    if (heardText) {
      const h = [];
      for (const w of ws) h.push({ spans: w.spans, lines: await listenWasm(w.path, heardText, opt.pause) });
      row(split, `wasm ${t}t: heard set, --endpoint ${opt.pause}`, summarise(h, b));
      profile(split, h);
      for (const pd of String(opt.fast).split(',').filter(Boolean)) {
        const [p, d] = pd.split('/').map(Number);
        const r = [];
        for (const w of ws) r.push({ spans: w.spans, lines: await listenWasm(w.path, heardText, p, d) });
        row(split, `wasm ${t}t: heard set, --endpoint ${p} --endpoint-decode ${d}`, summarise(r, b));
        profile(split, r);
      }
    }
  }
  wasm.asr.engine.dispose();
  wasm.cmd.engine.dispose();
}
if (!opt.keep) rmSync(tmp, { recursive: true, force: true });
process.exit(0);  // the threaded engines' Workers would keep Node running

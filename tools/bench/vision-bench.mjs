// vision-bench.mjs — SmolVLM-256M's shape (random weights: tools/bench/smolvlm-random.py) with one 512 x 512 tile, on
// the wasm CPU engine (Node, wasm/vision.mjs) and the native CLI (`sotto generate --mmproj --image`), in the same run,
// one thread each: the vision tower per tile, the prefill of the prompt (the tile's 64 rows spliced in),
// image-to-first-token (tower + prefill + the first token's step) and decode tok/s.
// --towers f16,q8_0 runs each tower type (mmproj-smolvlm-256m-random-T.gguf: the same weights) in turn.
// Prints one JSON line per engine and tower, a summary with the ratios (wasm / native, and each tower against the
// first) on stderr.
// Usage: node tools/bench/vision-bench.mjs [--dir DIR (the files of smolvlm-random.py)] [--type q8_0] [--gen 32]
//        [--reps 2] [--towers f16,q8_0] [--engines wasm,native] [--wasm build-wasm/sotto.wasm] [--native build/sotto]
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Sotto } from '../../wasm/sotto.mjs';
import { SottoVision } from '../../wasm/vision.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const opt = { dir: '/tmp/smolvlm-bench', type: 'q8_0', gen: 32, reps: 2, towers: 'f16', engines: 'wasm,native',
              wasm: join(root, 'build-wasm', 'sotto.wasm'), native: join(root, 'build', 'sotto') };
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
opt.gen = Number(opt.gen);
opt.reps = Number(opt.reps);
const lmPath = join(opt.dir, `smolvlm-256m-random-${opt.type}.gguf`);
// A 190 x 130 photo: one tile with the file's preproc_image_size of 512 (resized to 512 x 512).
const IMAGE = join(root, 'tests', 'fixtures', 'vision', 'processor-wide');
const PROMPT = 'What is in this picture?';
const now = () => performance.now() / 1000;
const best = (xs) => Math.min(...xs);

async function runWasm(mmPath, reps) {
  const e = await Sotto.create(readFileSync(opt.wasm), { threads: 1, log: () => {} });
  await e.load(readFileSync(lmPath), { name: 'lm.gguf' });
  const v = SottoVision.on(e);
  await v.load(readFileSync(mmPath), { name: 'mmproj.gguf' });
  const image = { width: 190, height: 130, data: new Uint8Array(readFileSync(`${IMAGE}.rgba`)), name: 'photo' };
  const w = { tower: [], prefill: [], first: [], decode: [] };
  let nPrompt = 0;
  for (let r = 0; r < reps; r++) {
    const s = v.session();
    e.call('sotto_vision_clear', s);
    const t0 = now();
    const tiles = v.addImage(s, image, 0);
    const t1 = now();
    const text = e.encoder.encode(PROMPT);
    nPrompt = e.withBuffer(text, (tp) => e.call('sotto_vision_start', s, tp, text.length, 0, 0, 0, 40, 0.95, 0.05, 1, 1, 0));
    const t2 = now();
    e.step();
    const t3 = now();
    for (let i = 1; i < opt.gen; i++) e.step();
    const t4 = now();
    if (tiles !== 1) throw new Error(`${tiles} tiles, expected 1`);
    w.tower.push(t1 - t0); w.prefill.push(t2 - t1); w.first.push(t3 - t0); w.decode.push((opt.gen - 1) / (t4 - t3));
  }
  e.dispose();
  return { engine: 'wasm', threads: 1, tiles: 1, prompt_tokens: nPrompt, tower_s: best(w.tower), prefill_s: best(w.prefill),
           image_to_first_token_s: best(w.first), decode_tok_s: Math.max(...w.decode) };
}

// native: its own stats lines ("vision tower X s", "prompt N tokens, X s", "generated N tokens ..., X s, R tok/s")
function runNative(mmPath, reps) {
  const n = { tower: [], prefill: [], decode: [] };
  for (let r = 0; r < reps; r++) {
    const p = spawnSync(opt.native, ['generate', '-m', lmPath, '--mmproj', mmPath, '--image', `${IMAGE}.png`, '-p', PROMPT,
                                     '-n', String(opt.gen), '--temp', '0', '-t', '1']);
    const err = p.stderr.toString();
    if (p.status !== 0) throw new Error(`native: ${err}`);
    n.tower.push(Number(/vision tower ([\d.]+) s/.exec(err)[1]));
    n.prefill.push(Number(/prompt \d+ tokens, ([\d.]+) s/.exec(err)[1]));
    n.decode.push(Number(/generated \d+ tokens[^,]*, [\d.]+ s, ([\d.]+) tok\/s/.exec(err)[1]));
  }
  // The CLI's prefill time includes the first token's logits; its first token is sampled from them.
  return { engine: 'native', threads: 1, tiles: 1, tower_s: best(n.tower), prefill_s: best(n.prefill),
           image_to_first_token_s: best(n.tower) + best(n.prefill), decode_tok_s: Math.max(...n.decode) };
}

const towers = opt.towers.split(','), engines = opt.engines.split(',');
// Rounds alternate the towers and engines (a shared machine's load drifts); each figure is the best of its rounds.
const res = {};  // res[tower][engine]
for (let round = 0; round < opt.reps; round++) {
  for (const t of towers) {
    const mmPath = join(opt.dir, `mmproj-smolvlm-256m-random-${t}.gguf`);
    res[t] ??= { bytes: statSync(mmPath).size };
    for (const en of engines) {
      const r = en === 'wasm' ? await runWasm(mmPath, 1) : runNative(mmPath, 1);
      const o = res[t][en];
      res[t][en] = !o ? r : Object.fromEntries(Object.entries(r).map(([k, v]) =>
        [k, k === 'decode_tok_s' ? Math.max(v, o[k]) : k.endsWith('_s') ? Math.min(v, o[k]) : v]));
    }
  }
}
for (const t of towers) {
  for (const en of engines) console.log(JSON.stringify({ ...res[t][en], tower: t, tower_bytes: res[t].bytes, rounds: opt.reps }));
}
const f = (x) => x.toFixed(3);
for (const t of towers) {
  const { wasm, native } = res[t];
  console.error(`SmolVLM-256M shape (random, LM ${opt.type}, tower ${t}: ${(res[t].bytes / 1e6).toFixed(1)} MB), one 512 x 512 tile, 1 thread, best of ${opt.reps}:`);
  for (const [label, k] of [['tower     ', 'tower_s'], ['prefill   ', 'prefill_s'], ['image->1st', 'image_to_first_token_s']]) {
    const parts = engines.map((en) => `${en} ${f(res[t][en][k])} s`);
    if (wasm && native) parts.push(`wasm/native ${(wasm[k] / native[k]).toFixed(2)}x`);
    console.error(`  ${label} ${parts.join('   ')}`);
  }
  console.error(`  decode     ${engines.map((en) => `${en} ${res[t][en].decode_tok_s.toFixed(1)} tok/s`).join('   ')}`);
}
const t0 = towers[0];
for (const t of towers.slice(1)) {
  console.error(`tower ${t} against ${t0}: file ${(res[t].bytes / res[t0].bytes).toFixed(2)}x the size; ` +
    engines.map((en) => `${en} tower ${(res[t0][en].tower_s / res[t][en].tower_s).toFixed(2)}x the speed ` +
      `(${f(res[t][en].tower_s)} vs ${f(res[t0][en].tower_s)} s)`).join('; '));
}

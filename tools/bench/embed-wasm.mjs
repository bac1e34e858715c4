// embed-wasm.mjs — embedding throughput (chunks/s) of the wasm build (wasm/rag.mjs SottoEmbed: what the web/rag page
// runs) against the native `sotto embed`, in the same run, on the inputs of tools/bench/embed-throughput.sh (64 chunks
// of ~256 tokens, all-MiniLM-L6-v2-shaped random weights in f16 and q8_0; run that script once to make them).
// Each setting runs REPS times (environment, default 3), native and wasm interleaved; the best is reported. Model load excluded on both sides (native: sotto
// embed's own texts/s over the embedding call; wasm: the embed() call alone). wasm under Node (V8), as in the page's
// worker; 1 thread on sotto.wasm, n threads on sotto-mt.wasm.
// Usage: node tools/bench/embed-wasm.mjs [wasm-dir] [native sotto] [threads...]   (default build-wasm build/sotto 1 2)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SottoEmbed } from '../../wasm/rag.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmDir = process.argv[2] ?? join(root, 'build-wasm');
const native = process.argv[3] ?? join(root, 'build', 'sotto');
const threads = process.argv.slice(4).map(Number);
if (!threads.length) threads.push(1, 2);
const work = join(process.env.TMPDIR ?? tmpdir(), 'sotto-embed-bench');
const chunksFile = join(work, 'chunks.txt');
const chunks = readFileSync(chunksFile, 'utf8').split('\n').filter((l) => l.length);
const single = await WebAssembly.compile(readFileSync(join(wasmDir, 'sotto.wasm')));
const multi = await WebAssembly.compile(readFileSync(join(wasmDir, 'sotto-mt.wasm')));

function nativeRate(model, t) {
  const r = spawnSync(native, ['embed', '-m', model, '--file', chunksFile, '-t', String(t), '--out', '/dev/null'],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  const err = r.stdout.toString();
  const m = err.match(/([0-9.]+) texts\/s/);
  if (!m) throw new Error(`no texts/s in: ${err}`);
  return Number(m[1]);
}

async function wasmRate(emb) {
  const t0 = performance.now();
  const v = await emb.embed(chunks, { truncate: true });
  const s = (performance.now() - t0) / 1000;
  if (v.length !== chunks.length) throw new Error('wrong count');
  return chunks.length / s;
}

console.log(`embedding throughput, all-MiniLM-L6-v2 shape (random weights), ${chunks.length} chunks of ~256 tokens, ${cpus().length} cores, ${cpus()[0].model}`);
console.log('weights  threads  native chunks/s  wasm chunks/s  wasm / native');
for (const type of ['f16', 'q8_0']) {
  const model = join(work, `minilm-${type}.gguf`);
  const bytes = readFileSync(model);
  for (const t of threads) {
    const emb = await SottoEmbed.create(t > 1 ? multi : single, { threads: t, log: () => {} });
    await emb.load(bytes, { name: `minilm-${type}.gguf` });
    let bn = 0, bw = 0;
    for (let r = 0; r < Number(process.env.REPS ?? 3); r++) {
      bn = Math.max(bn, nativeRate(model, t));
      bw = Math.max(bw, await wasmRate(emb));
    }
    emb.dispose();
    emb.engine.dispose?.();
    console.log(`${type.padEnd(8)} ${String(t).padStart(7)}  ${bn.toFixed(1).padStart(15)}  ${bw.toFixed(1).padStart(13)}  ${(bw / bn).toFixed(2).padStart(13)}`);
  }
}

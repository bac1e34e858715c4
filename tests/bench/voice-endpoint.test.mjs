// voice-endpoint.test.mjs — tools/bench/voice-endpoint.mjs reports what the runs did, not numbers of its own: the bench
// runs on its first 4 sentences (--limit 4, --keep DIR for its WAVs and heard set), then this test runs `sotto listen`
// itself on the same WAVs and checks, for the heard set's rows on the tuning voices: the early ends, the false cuts
// (segments beyond the VAD's), and the waits' p50 / p95 of the profile (audio from the end of speech to the close:
// the same in any run) against its own count and nearest-rank percentiles; the reported end of speech -> action is
// never below the wait; and the waits follow the pause asked for (--fast 150/80 vs 120/60). ~25 s (espeak-ng, the
// bundled model, 1 thread).
// Usage: node tests/bench/voice-endpoint.test.mjs [build/sotto]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const t = new Tally();
if (spawnSync('espeak-ng', ['--version']).status !== 0) {
  if (process.env.CI) throw new Error('espeak-ng not installed (tools/install-deps.sh installs it)');
  console.log('skip: espeak-ng not installed');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'sotto-endpoint-bench-test-'));
const bench = spawnSync(process.execPath, [join(root, 'tools', 'bench', 'voice-endpoint.mjs'), '--json', '--limit', '4',
                                           '--fast', '150/80,120/60', '--eos-sweep', '2', '--keep', dir, '--sotto', sotto]);
const out = bench.stdout.toString().trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const rowOf = (config) => out.find((r) => r.split === 'tuning' && r.config === config);
const profileAfter = (config) => out[out.indexOf(rowOf(config)) + 1];

const listen = (args) => [0, 1].flatMap((i) => {
  const r = spawnSync(sotto, ['listen', '--commands', join(dir, 'heard.json'), '-t', '1', '--chunk-ms', '20', ...args,
                              join(dir, `tuning-${i}.wav`)]);
  if (r.status !== 0) throw new Error(`sotto listen: ${r.stderr}`);
  return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
});
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.max(0, Math.ceil(q * s.length) - 1)]; };

await t.test('the bench ran and reported the heard set', async () => {
  t.check(bench.status === 0, `bench exit ${bench.status}: ${bench.stderr}`);
  t.check(rowOf('heard set: --endpoint 150 --endpoint-decode 80') && rowOf('heard set: --endpoint 120 --endpoint-decode 60'),
          `no heard-set rows in ${out.length} lines`);
});

const base = listen(['--timings']);
for (const [p, d] of [[150, 80], [120, 60]]) {
  const config = `heard set: --endpoint ${p} --endpoint-decode ${d}`;
  await t.test(`${config}: early ends, false cuts and waits == sotto listen's own`, async () => {
    const row = rowOf(config), prof = profileAfter(config);
    t.check(prof?.profile, `no profile after ${config}`);
    const lines = listen(['--endpoint', String(p), '--endpoint-decode', String(d)]);
    t.check(row.false_cuts === lines.length - base.length,
            `false cuts ${row.false_cuts}, segments ${lines.length} against the VAD's ${base.length}`);
    t.check(row.false_cuts === 0, `a false cut on the first 4 sentences: ${row.false_cuts}`);  // the checks below assume none
    const early = lines.filter((l) => l.endpoint === 'complete');
    t.check(early.length > 0 && row.early === early.length && prof.early === early.length,
            `early ${row.early} / ${prof.early}, sotto listen ${early.length}`);
    const waits = early.map((l) => l.wait_ms);
    t.check(prof.wait_p50 === pct(waits, 0.5) && prof.wait_p95 === pct(waits, 0.95),
            `waits p50 ${prof.wait_p50} / p95 ${prof.wait_p95}, sotto listen ${pct(waits, 0.5)} / ${pct(waits, 0.95)}`);
    t.check(waits.every((w) => w >= p && w < p + 20 + 10), `waits ${waits} not within the pause and its chunk`);
    t.check(prof.action_p50 >= prof.wait_p50 && prof.action_p95 >= prof.wait_p95 && row.whole_action_p50 >= p,
            `action ${prof.action_p50} / ${prof.action_p95} below the wait`);
  });
}
rmSync(dir, { recursive: true, force: true });
process.exit(t.summary());

// scribe-check.test.mjs — the support check is the same natively and in the app: every case of
// tests/fixtures/scribe-check/cases.json (a note, its transcript and its template's schema; the exact rules of
// apps/scribe/support.h, and the bundled model's held-out examples) goes through the native CLI
// (`sotto note --check NOTE.json`) and through the wasm build (web/engine-cpu.mjs check(), which the app's engine
// worker calls with the template's schema), and the two answers must be identical: the same support entries
// (flags, "not checked", reasons, spans) and the same Markdown. Each case's expected flags are checked too.
// Usage: node tests/web/scribe-check.test.mjs [sotto.wasm] [native sotto]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { ScribeEngineCpu } from '../../web/engine-cpu.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const wasmPath = process.argv[2] ?? join(root, 'build-wasm', 'sotto.wasm');
const nativePath = process.argv[3] ?? join(root, 'build', 'sotto');
const wasmModule = await WebAssembly.compile(readFileSync(wasmPath));
const { schemas, cases } = JSON.parse(readFileSync(join(root, 'tests', 'fixtures', 'scribe-check', 'cases.json'), 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'sotto-check-'));

const tally = new Tally();
// The check needs no model, but the engine is a note session: the smallest fixture model.
const e = await ScribeEngineCpu.create(wasmModule, readFileSync(join(root, 'tests/fixtures/models/qwen25-q8_0.gguf')));

for (const [i, c] of cases.entries()) {
  await tally.test(`native check == wasm check: ${c.name}`, async () => {
    let schemaFile = join(root, 'templates', `${c.template}.schema.json`);
    if (schemas[c.template]) {
      schemaFile = join(dir, `${c.template}.schema.json`);
      writeFileSync(schemaFile, JSON.stringify(schemas[c.template]));
    }
    const noteFile = join(dir, `note-${i}.json`), transcriptFile = join(dir, `transcript-${i}.txt`);
    const noteText = JSON.stringify(c.note);
    writeFileSync(noteFile, noteText);
    writeFileSync(transcriptFile, c.transcript);
    const native = JSON.parse(execFileSync(nativePath, ['note', '--check', noteFile, '--transcript', transcriptFile,
                                                       '--template', schemaFile, '--format', 'json']).toString());
    const wasm = e.check(readFileSync(schemaFile, 'utf8'), noteText, c.transcript);
    assert.deepEqual(wasm.support, native.support);
    assert.equal(wasm.markdown, native.markdown);
    assert.deepEqual(wasm.support.filter((f) => f.flagged).map((f) => f.path), c.flags);
  });
}

await tally.test('"not checked" is reported, never passed silently', async () => {
  const c = cases.find((x) => x.name === 'not checked');
  const r = e.check(readFileSync(join(root, 'templates', 'finance.schema.json'), 'utf8'), JSON.stringify(c.note), c.transcript);
  const risk = r.support.find((f) => f.path === '/risk_profile');
  assert.equal(risk.checked, false);
  assert.equal(risk.flagged, false);
  assert.match(risk.why, /no option of risk profile/);
  assert.match(r.markdown, /`\/fees_disclosed`: not checked/);
});

process.exit(tally.summary());

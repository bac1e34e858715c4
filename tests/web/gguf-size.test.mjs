// gguf-size.test.mjs — web/gguf-size.mjs in Node: the size a GGUF header says its file holds == the file's size on
// disk (the independent reference), for every fixture and bundled model, read from its first bytes (null until the
// header is whole, at every shorter prefix tried); a file that is not GGUF v2/v3 is 'unknown'; tests/web/fake-gguf.mjs's
// 3 GiB claim is read as 3 GiB from 100-odd bytes. Usage: node tests/web/gguf-size.test.mjs (well under a second).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { Tally } from '../harness.mjs';
import { ggufSize } from '../../web/gguf-size.mjs';
import { claimsHuge } from './fake-gguf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tally = new Tally();
const files = ['tests/fixtures/models', 'tests/fixtures/asr', 'models'].flatMap((d) =>
  readdirSync(join(root, d)).filter((f) => f.endsWith('.gguf')).map((f) => join(d, f)));

await tally.test(`${files.length} GGUF files: the size their header says == their size on disk`, async () => {
  assert.ok(files.length >= 20, files.join(' '));
  for (const f of files) {
    const bytes = readFileSync(join(root, f));
    let n = 16, said;
    while ((said = ggufSize(bytes.subarray(0, n))) === null) {
      assert.ok(n < bytes.length, `${f}: the whole file is not a whole header`);
      n *= 2;
    }
    assert.equal(said.total, bytes.length, f);
    assert.ok(said.tensors > 0, f);
  }
});

await tally.test('not GGUF, another version, a wild count: unknown; the fake 3 GiB header: 3 GiB', async () => {
  assert.deepEqual(ggufSize(Buffer.from('<!doctype html><html>')), { unknown: 'not a GGUF file' });
  const v1 = Buffer.from(readFileSync(join(root, files[0])).subarray(0, 64));
  v1.writeUInt32LE(1, 4);
  assert.deepEqual(ggufSize(v1), { unknown: 'GGUF version 1' });
  const wild = Buffer.from(v1);
  wild.writeUInt32LE(3, 4);
  wild.writeBigUInt64LE(1n << 40n, 8);
  assert.match(ggufSize(wild).unknown, /^a tensor count of/);
  const huge = claimsHuge(3 * 2 ** 30);
  assert.ok(huge.length < 200);
  assert.ok(ggufSize(huge).total >= 3 * 2 ** 30);
  assert.equal(ggufSize(huge.subarray(0, huge.length - 1)), null);
});

process.exit(tally.summary());

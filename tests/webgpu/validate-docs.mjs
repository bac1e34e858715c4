// validate-docs.mjs — the JSON documents that a page's sampling checks wrote, validated against their schemas by
// ajv (tools/grammar/node_modules), a validator sharing no code with Sotto (tests/webgpu/chromium.mjs,
// tests/browsers/webgpu.test.mjs).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// list: [{schema, doc}] (texts). The failures, one line each.
export function validateDocs(list) {
  const require = createRequire(join(root, 'tools', 'grammar', 'node_modules', 'x.js'));
  const ajv = new (require('ajv').default)({ strict: false, allErrors: true });
  require('ajv-formats').default(ajv);
  const bad = [];
  for (const { schema, doc } of list) {
    let value;
    try { value = JSON.parse(doc); } catch (e) { bad.push(`not JSON: ${e.message}: ${doc}`); continue; }
    const v = ajv.compile(JSON.parse(schema));
    if (!v(value)) bad.push(`${ajv.errorsText(v.errors)}: ${doc}`);
  }
  return bad;
}

// ajv-check.mjs — validates documents generated under a grammar with ajv (+ ajv-formats), a JSON Schema
// validator that shares no code with Sotto. Input: a JSON array of {"schema": text, "doc": text} (written by
// test-grammar-schema with SOTTO_GRAMMAR_DUMP set). Prints each failure and exits 1 if any document fails.
// Usage: node tools/grammar/ajv-check.mjs docs.json   (ajv from tools/grammar/node_modules or NODE_PATH)
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ajv is resolved from NODE_PATH if set, else from this directory's node_modules (npm ci --prefix tools/grammar).
const modules = path.resolve(process.env.NODE_PATH || path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules'));
const require = createRequire(path.join(modules, 'x.js'));
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;

const items = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new Map();
let bad = 0;
for (const { schema, doc } of items) {
  if (!compiled.has(schema)) compiled.set(schema, ajv.compile(JSON.parse(schema)));
  const validate = compiled.get(schema);
  let value;
  try {
    value = JSON.parse(doc);
  } catch (e) {
    console.log(`PARSE FAIL: ${e.message}\n  ${doc}`);
    bad++;
    continue;
  }
  if (!validate(value)) {
    console.log(`INVALID: ${ajv.errorsText(validate.errors)}\n  ${doc}`);
    bad++;
  }
}
console.log(`ajv-check: ${items.length - bad}/${items.length} documents valid`);
if (items.length === 0) console.log('ajv-check: no documents (the property test wrote none)');
process.exit(bad || items.length === 0 ? 1 : 0);

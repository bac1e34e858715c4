// sample-checks.mjs — WebGPU checks of constrained decoding and of sampling on the GPU (called by
// checks.mjs; Node and Chromium alike):
//   * the GPU sampler against the CPU sampler chain on identical logits and draws (wasm/gpu-sample-check.cpp:
//     random chains, grammar masks, penalties; near-ties reported, any other difference fails);
//   * schema-constrained greedy decoding on WebGPU gives the CPU backend's tokens (fixture models, the
//     note templates and a nested schema), and a completed document is valid for an independent validator;
//   * temperature > 0 under a schema on WebGPU: every seed's document completes and is valid (ajv), and
//     its tokens are the CPU's with the same seed (a near-tie divergence is reported, not failed).
// validate(schemaText, docText) -> null | error message (ajv in Node; Chromium hands the documents to
// the Node side, see chromium.mjs). loadText(path) reads a repository file (templates/...).
export const SCHEMA_PROMPT = 'Write the record as JSON.';

export async function runSampleChecks({ Sotto, host, wasmModule, loadModel, loadText, validate, log, test, check,
                                        models, templates, nCases, seeds, maxTokens }) {
  await test(`GPU sampler == CPU sampler chain on identical logits (${nCases} random cases)`, async () => {
    const lines = [];
    const e = await Sotto.create(wasmModule, { gpu: host, log: (fd, line) => lines.push(line) });
    e.call('sotto_samplecheck_run', host.bindingLimit(), 7, nCases);
    await e.settle();
    const bad = e.call('sotto_samplecheck_report');
    for (const l of lines) log(`      ${l}`);
    const near = lines.filter((l) => l.startsWith('near-tie')).length;
    check(bad === 0, `${bad} of ${nCases} cases differ outside near-ties`);
    check(near <= Math.ceil(nCases * 0.02), `${near} near-tie differences (more than 2%)`);
  });

  await test('WebGPU sampling with top-k off: a one-line Error', async () => {
    const e = await Sotto.create(wasmModule, { gpu: host });
    await e.load(await loadModel(`${models[0]}.gguf`), { name: `${models[0]}.gguf`, nCtx: 64 });
    let msg = '';
    try {
      for await (const t of e.generate(SCHEMA_PROMPT, { temperature: 0.8, topK: 0, maxTokens: 4 })) void t;
    } catch (err) { msg = err.message; }
    check(/top_k in 1\.\.256/.test(msg) && !msg.includes('\n'), `unexpected message ${JSON.stringify(msg)}`);
  });

  const cpu = await Sotto.create(wasmModule);
  const gpu = await Sotto.create(wasmModule, { gpu: host });
  // [name, schema text, compact, token cap]: the compact nested schema always completes within its cap (its
  // documents are bounded); the others are compared over their first maxTokens tokens.
  const nested = await loadText('tests/webgpu/schemas/nested.schema.json');
  const schemas = [['nested compact', nested, true, 256], ['nested', nested, false, maxTokens]];
  for (const t of templates) schemas.push([t, await loadText(`templates/${t}.schema.json`), false, maxTokens]);

  // Tokens of one generation (sampled + forced, eog included) and the text, on either engine.
  async function run(engine, schema, opts, cap) {
    const toks = [];
    let text = '';
    for await (const piece of engine.generate(SCHEMA_PROMPT, { ...opts, schema, maxTokens: cap, onToken: (id) => toks.push(id) })) {
      text += piece;
    }
    return { toks, text, done: toks.length > 0 && engine.isEog(toks[toks.length - 1]) };
  }

  for (const [mi, name] of models.entries()) {
    const bytes = await loadModel(`${name}.gguf`);
    await cpu.load(bytes, { name: `${name}.gguf`, nCtx: 512 });
    await gpu.load(bytes, { name: `${name}.gguf`, nCtx: 512 });
    for (const [sname, schema, compact, cap] of mi === 0 ? schemas : schemas.slice(0, 1)) {
      await test(`schema greedy, WebGPU == CPU: ${name}, ${sname}`, async () => {
        const a = await run(cpu, schema, { temperature: 0, compact }, cap);
        const b = await run(gpu, schema, { temperature: 0, compact }, cap);
        check(JSON.stringify(a.toks) === JSON.stringify(b.toks),
              `gpu ${JSON.stringify(b.toks)} != cpu ${JSON.stringify(a.toks)}`);
        check(a.done || cap === maxTokens, `no end of document within ${cap} tokens`);
        if (a.done) {
          const err = await validate(schema, b.text);
          check(err === null, `invalid document: ${err}\n${b.text}`);
        }
        log(`      ${a.toks.length} tokens, ${a.done ? 'complete and valid' : `stopped at ${cap} tokens`}: ` +
            JSON.stringify(b.text.slice(0, 100)));
      });
    }
  }

  const [sname, schema, , cap] = schemas[0];
  const name = models[0];
  await test(`schema sampling on WebGPU, ${seeds} seeds (${name}, ${sname}): every document complete and valid; tokens == CPU`, async () => {
    const bytes = await loadModel(`${name}.gguf`);
    await cpu.load(bytes, { name: `${name}.gguf`, nCtx: 512 });
    await gpu.load(bytes, { name: `${name}.gguf`, nCtx: 512 });
    let same = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const opts = { temperature: 1.0, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, seed, compact: true };
      const b = await run(gpu, schema, opts, cap);
      check(b.done, `seed ${seed}: no end of document within ${cap} tokens: ${b.text}`);
      const err = await validate(schema, b.text);
      check(err === null, `seed ${seed}: invalid document: ${err}\n${b.text}`);
      const a = await run(cpu, schema, opts, cap);
      if (JSON.stringify(a.toks) === JSON.stringify(b.toks)) same++;
      else log(`      seed ${seed}: diverged from the CPU at token ${b.toks.findIndex((v, i) => v !== a.toks[i])} (near-tie)`);
    }
    log(`      ${seeds} documents valid; ${same}/${seeds} token-identical to the CPU`);
    check(same >= seeds - Math.ceil(seeds / 10), `only ${same}/${seeds} seeds gave the CPU's tokens`);
  });
}

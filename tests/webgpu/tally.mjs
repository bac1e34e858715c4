// tally.mjs — the pass/fail bookkeeping of the WebGPU check files (checks.mjs, asr-checks.mjs, mixed-checks.mjs):
// test(name, fn) awaits fn and logs `ok    name` or `FAIL  name: message`, counting each; check(cond, msg) throws
// msg unless cond. No assertion library, nothing environment-specific (Node and the Chromium worker alike).
//   const { test, check, counts } = tally(log);  await test('x', async () => check(a === b, 'a != b'));
//   return counts();  // {passed, failed}
export function tally(log) {
  let passed = 0, failed = 0;
  async function test(name, fn) {
    try {
      await fn();
      passed++;
      log(`ok    ${name}`);
    } catch (e) {
      failed++;
      log(`FAIL  ${name}: ${e.message}`);
    }
  }
  function check(cond, msg) { if (!cond) throw new Error(msg); }
  return { test, check, counts: () => ({ passed, failed }) };
}

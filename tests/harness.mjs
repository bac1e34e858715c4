// harness.mjs — the few lines every JS test runner here shares (Node and Deno): named steps that print
// `ok    name` or `FAIL  name: message` (one line) and keep going, a check, and the `N passed, M failed` summary.
//   const t = new Tally();  await t.test('name', async () => { t.check(cond, 'message'); });
//   t.add({passed, failed}) (another runner's counts);  t.summary() prints the summary and gives the exit code.
//   new Tally(log): the lines go to log(line) instead of console.log (the WebGPU checks' Chromium worker posts them).
export class Tally {
  constructor(log = (line) => console.log(line)) { this.passed = 0; this.failed = 0; this.log = log; }

  async test(name, fn) {
    try {
      await fn();
      this.passed++;
      this.log(`ok    ${name}`);
    } catch (e) {
      this.failed++;
      // one line per failure: a multi-line message (a browser's call log) keeps its first 6 lines
      this.log(`FAIL  ${name}: ${String(e?.message ?? e).split('\n').slice(0, 6).join(' | ')}`);
    }
  }

  check(cond, msg) { if (!cond) throw new Error(msg); }

  add(r) { this.passed += r.passed; this.failed += r.failed; }

  summary() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    return this.failed ? 1 : 0;
  }
}

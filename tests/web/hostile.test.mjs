// hostile.test.mjs — pages of other origins, in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), try to read the note model (/models/note.gguf) and a template (/templates/soap.schema.json)
// from `sotto serve` with fetch() (cors and no-cors) and XMLHttpRequest, and must get nothing: a network error,
// an opaque empty response, or a refusal (403/421) whose body is one line of error text. The pages:
//   * http://127.0.0.1:OTHER/ and http://localhost:OTHER/ — a tiny Node server on another port (same site,
//     another origin: the server must refuse, and its log must show it refused, not only the browser);
//   * http://localhost:PORT/ — sotto serve itself under its other name, reading from http://127.0.0.1:PORT/
//     (its CSP, connect-src 'self', stops that in the page already);
//   * http://evil.example:PORT/ — DNS rebinding: Chromium resolves evil.example to 127.0.0.1
//     (--host-resolver-rules) and the attacker's page reads "its own" /models/note.gguf, with Host: evil.example.
//     Chromium's Local Network Access checks stop a public page's requests to loopback already, so this runs
//     twice: as Chromium is, and in a Chromium without those checks (as a browser that lacks them), where the
//     server's Host check must refuse it (421, in its log).
// A control proves the reading code works: a page of http://127.0.0.1:PORT/ itself reads both files.
// Usage: node tests/web/hostile.test.mjs [path/to/sotto]
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { Tally } from '../harness.mjs';
import { launchChromium } from './page-helpers.mjs';
import { startServe } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sotto = process.argv[2] ?? join(root, 'build', 'sotto');
const model = join(root, 'tests', 'fixtures', 'models', 'gemma3-q4_0.gguf');
const template = readFileSync(join(root, 'templates', 'soap.schema.json'), 'utf8');

// sotto serve, its log of refused requests kept (not -q).
const { server, origin } = await startServe(sotto, ['--port', '0', '--root', root, '--model', model], 'pipe');
let log = '';
server.stderr.on('data', (d) => { log += d; });
const port = new URL(origin).port;

// The attacker's server: one empty page on another port.
const attacker = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end('<!doctype html><title>not sotto</title>');
});
await new Promise((r) => attacker.listen(0, '127.0.0.1', r));
const other = attacker.address().port;

const launch = (extra = []) => launchChromium(chromium, { extra: ['--host-resolver-rules=MAP evil.example 127.0.0.1', ...extra] });
const browser = await launch();
const tally = new Tally();

// Runs in the page: reads each path under base by fetch (cors, no-cors) and XHR; one line per attempt.
async function attempts(base) {
  const out = {};
  for (const path of ['/models/note.gguf', '/templates/soap.schema.json']) {
    const url = base + path;
    try {
      const r = await fetch(url);
      out[`fetch ${path}`] = `status ${r.status}: ${await r.text()}`;
    } catch { out[`fetch ${path}`] = 'network error'; }
    try {
      const r = await fetch(url, { mode: 'no-cors' });
      out[`no-cors fetch ${path}`] = r.type === 'opaque' ? `opaque, ${(await r.arrayBuffer()).byteLength} bytes`
        : `status ${r.status}: ${await r.text()}`;
    } catch { out[`no-cors fetch ${path}`] = 'network error'; }
    out[`XHR ${path}`] = await new Promise((resolve) => {
      const x = new XMLHttpRequest();
      x.open('GET', url);
      x.onload = () => resolve(`status ${x.status}: ${x.responseText}`);
      x.onerror = () => resolve('network error');
      x.send();
    });
  }
  return out;
}

// Nothing read: a network error, an opaque empty response, or a one-line refusal.
function nothingRead(results) {
  for (const [how, got] of Object.entries(results)) {
    const refused = /^status (403|421): \1 [A-Za-z ]+: [^\n]*\n$/.test(got);
    if (!(got === 'network error' || got === 'opaque, 0 bytes' || refused)) {
      throw new Error(`${how}: read ${JSON.stringify(got.slice(0, 80))}`);
    }
  }
}

async function from(pageUrl, base, b = browser) {
  const page = await b.newPage();
  await page.goto(pageUrl);
  const results = await page.evaluate(attempts, base);
  await page.close();
  return results;
}

await tally.test('control: a page of sotto serve itself reads both files', async () => {
  const r = await from(`${origin}/missing.html`, origin);  // any page of that origin (here a 404's)
  tally.check(r['fetch /models/note.gguf'].startsWith('status 200: GGUF'), r['fetch /models/note.gguf'].slice(0, 40));
  tally.check(r['XHR /templates/soap.schema.json'] === `status 200: ${template}`, 'XHR of the template');
});

for (const host of ['127.0.0.1', 'localhost']) {
  await tally.test(`a page of http://${host}:${other}/ (another port) reads nothing`, async () => {
    nothingRead(await from(`http://${host}:${other}/`, origin));
    tally.check(log.includes(`sotto serve: 403 GET /models/note.gguf (Origin: http://${host}:${other})`),
                `the server did not log refusing http://${host}:${other}: ${log}`);
  });
}

await tally.test(`a page of http://localhost:${port}/ (sotto serve under its other name) reads nothing from ${origin}`,
  async () => {
    nothingRead(await from(`http://localhost:${port}/missing.html`, origin));
  });

// The attacker's page, as evil.example served it before its name moved to 127.0.0.1; then its same-origin reads.
async function rebound(b) {
  const page = await b.newPage();
  await page.route(`http://evil.example:${port}/`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>evil</title>' }));
  await page.goto(`http://evil.example:${port}/`);
  const results = await page.evaluate(attempts, '');
  await page.close();
  return results;
}

await tally.test(`DNS rebinding: a page of http://evil.example:${port}/ reads nothing of "its own" origin`, async () => {
  nothingRead(await rebound(browser));
});

await tally.test('DNS rebinding, in a browser without Local Network Access checks: the server refuses the Host',
  async () => {
    const lax = await launch(['--disable-features=LocalNetworkAccessChecks']);
    const results = await rebound(lax);
    await lax.close();
    nothingRead(results);
    tally.check(Object.values(results).some((r) => r.startsWith('status 421: ')), JSON.stringify(results));
    tally.check(log.includes(`sotto serve: 421 GET /models/note.gguf (Host: evil.example:${port})`),
                `the server did not log refusing Host evil.example: ${log}`);
  });

await browser.close();
attacker.close();
server.kill();
process.exit(tally.summary());

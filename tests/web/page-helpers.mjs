// page-helpers.mjs — what the browser tests of tests/web share: headless Chromium with the tests' flags, a browser
// context whose every request is checked against the page's own origin and an allow-list (the privacy check),
// polling the page, and axe-core.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Debian's headless Chromium (CHROMIUM overrides the path) without the sandbox and its own background traffic
// (component updates, sync, first-run requests); webgpu: --enable-unsafe-webgpu; extra: more flags.
export function launchChromium(chromium, { webgpu = false, extra = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', ...(webgpu ? ['--enable-unsafe-webgpu'] : []), '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run', ...extra],
  });
}

// A context of `browser` whose every request (page, dedicated workers, service worker) is checked: another origin
// than `origin`, a method other than GET / HEAD, a query string or a path no pattern of `allowed` matches is
// aborted and recorded in log.violations; log.requests lists every request.
export async function watchedContext(browser, origin, allowed, options = {}) {
  const ctx = await browser.newContext(options);
  const log = { requests: [], violations: [] };
  await ctx.route('**/*', (route) => {
    const req = route.request();
    const url = new URL(req.url());
    log.requests.push(`${req.method()} ${req.url()}`);
    const bad = url.origin !== origin ? 'another origin'
      : !['GET', 'HEAD'].includes(req.method()) ? `method ${req.method()}`
      : url.search ? 'a query string' : !allowed.some((re) => re.test(url.pathname)) ? 'a path outside the page' : null;
    if (bad) {
      log.violations.push(`${req.method()} ${req.url()}: ${bad}`);
      return route.abort();
    }
    return route.continue();
  });
  return { ctx, log };
}

// Polls fn(arg) in the page until it is truthy (the pages' CSP forbids page.waitForFunction's string evaluation);
// on timeout the error shows the body's data attributes and the text of the elements with ids statusIds.
export async function until(page, fn, arg, timeout = 60000, statusIds = ['engine-status']) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await page.evaluate(fn, arg).catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) {
      const seen = await page.evaluate((ids) => [JSON.stringify(document.body.dataset),
                                                 ...ids.map((id) => document.getElementById(id)?.textContent)], statusIds)
        .catch(() => []);
      throw new Error(`timed out waiting for ${fn.toString().slice(0, 80)} (${seen.join(' | ')})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// axe-core (npm, tests/web/package.json) on the page as it is: asserts no accessibility violation.
const axeSource = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export async function axeClean(page, where) {
  if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
  const v = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] })
    .then((r) => r.violations.map((x) => `${x.id}: ${x.help} (${x.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)));
  assert.deepEqual(v, [], `axe-core at "${where}"`);
}

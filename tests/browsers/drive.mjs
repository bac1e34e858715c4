// drive.mjs — opens a test page in a browser other than Chromium and collects what it reports:
//   * 'firefox': Debian's Firefox ESR, headless, through npm puppeteer-core over WebDriver BiDi; with { gpu: true }
//     WebGPU is switched on (dom.webgpu.enabled, gfx.webgpu.ignore-blocklist: wgpu on Mesa's lavapipe);
//   * 'webkit': WebKitGTK's MiniBrowser through its WebDriver (WebKitWebDriver) and npm selenium-webdriver, on a
//     virtual display (xvfb-run) when there is none. No WebGPU, no SharedArrayBuffer global, no relaxed SIMD.
// Every request of the browser goes through a recording proxy (startProxy): requests to the test's own origin are
// passed on, anything else is refused (403) and listed in offsite(); a test fails on any. The browser is told to send
// everything there, its own origin on 127.0.0.1 included where it can be (Firefox: network.proxy.allow_hijacking_
// localhost; WebKitGTK: an empty noProxy); Firefox's own background traffic is switched off by prefs.
//   const b = await openBrowser('firefox', { origin, gpu: true });
//   await b.goto(url);  const { result, lines } = await b.waitResult({ timeoutMs, onLine });  // window.__result
//   await b.evaluate('return document.title');  b.offsite();  await b.close();
// The page protocol (pages of tests/browsers and the app alike): lines pushed to window.__lines (printed as they
// come), the end as window.__result. evaluate() takes a function body (WebDriver's executeScript form).
// Does not: start the server (the tests do: `sotto serve` or serveStatic below), judge the page's result.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { extname, join, normalize } from 'node:path';

export const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

// The browsers the environment can run (SOTTO_BROWSERS=firefox,webkit limits them).
export function browsersAvailable() {
  const want = (process.env.SOTTO_BROWSERS ?? 'firefox,webkit').split(',');
  return want.filter((b) => (b === 'firefox' && existsSync(FIREFOX)) ||
                            (b === 'webkit' && existsSync(WEBKIT_DRIVER) && existsSync(MINIBROWSER)));
}

// A forward proxy on 127.0.0.1 that passes on requests to `origin` and refuses and records all others
// (plain HTTP by absolute URL, HTTPS and WebSocket by CONNECT).
export async function startProxy(origin) {
  const seen = [];
  const target = new URL(origin);
  const server = createServer((req, res) => {
    let url;
    try { url = new URL(req.url); } catch { url = null; }
    if (!url || url.origin !== target.origin) {
      seen.push(req.url);
      res.writeHead(403).end();
      return;
    }
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: url.pathname + url.search,
                             headers: req.headers }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, seen, close: () => server.close() };
}

// A static server for the check pages of tests/browsers: the files under `root` whose path `allowed` matches,
// and `mounts` (a URL path ending in '/' -> a folder, any other -> a file, or a function that is given the response
// to write, its headers begun), with the headers of cross-origin isolation that `sotto serve` sends (COOP, COEP, CORP).
export async function serveStatic(root, allowed, mounts = {}) {
  const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json',
                  '.wasm': 'application/wasm', '.gguf': 'application/octet-stream', '.wav': 'audio/wav', '.txt': 'text/plain' };
  const resolve = (path) => {
    if (path.includes('..')) return null;
    if (Object.hasOwn(mounts, path) && !path.endsWith('/')) return mounts[path];
    for (const [prefix, to] of Object.entries(mounts)) {
      if (prefix.endsWith('/') && path.startsWith(prefix) && /^[A-Za-z0-9_.-]+$/.test(path.slice(prefix.length))) {
        return join(to, path.slice(prefix.length));
      }
    }
    return allowed.some((re) => re.test(path)) ? join(root, path) : null;
  };
  const server = createServer((req, res) => {
    const file = resolve(normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
                      'cross-origin-resource-policy': 'same-origin', 'cache-control': 'no-store' };
    if (typeof file === 'function') {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      file(res);
      return;
    }
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': types[extname(file)] ?? 'application/octet-stream',
                         'content-length': statSync(file).size });
    if (req.method === 'HEAD') { res.end(); return; }
    const stream = createReadStream(file);  // streamed: the oversized-model test serves a 3 GiB sparse file
    stream.pipe(res);
    res.on('close', () => stream.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function freePort() {
  const s = createNetServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function openFirefox(proxy, gpu) {
  const { default: puppeteer } = await import('puppeteer-core');
  const prefs = {
    'network.proxy.type': 1, 'network.proxy.http': '127.0.0.1', 'network.proxy.http_port': proxy.port,
    'network.proxy.ssl': '127.0.0.1', 'network.proxy.ssl_port': proxy.port, 'network.proxy.no_proxies_on': '',
    'network.proxy.allow_hijacking_localhost': true,
    // the browser's own traffic (not the page's), which would otherwise reach the proxy
    'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false,
    'browser.safebrowsing.malware.enabled': false, 'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false, 'browser.safebrowsing.blockedURIs.enabled': false,
    'app.update.enabled': false, 'extensions.update.enabled': false, 'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false, 'network.dns.disablePrefetch': true, 'network.prefetch-next': false,
    'browser.search.update': false, 'dom.push.connection.enabled': false, 'services.settings.server': 'data:,#remote-settings-dummy/v1',
  };
  if (gpu) Object.assign(prefs, { 'dom.webgpu.enabled': true, 'gfx.webgpu.ignore-blocklist': true });
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true,
                                           extraPrefsFirefox: prefs,
                                           // (lets the pref above replace the remote settings server in a release build)
                                           env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' }, protocolTimeout: 30 * 60 * 1000 });
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
  return {
    errors,
    goto: (url) => page.goto(url),
    // the body runs as a function with `args` as its `arguments` (WebDriver's executeScript form), evaluated by
    // the protocol (script.evaluate), which a page's Content-Security-Policy does not govern
    evaluate: (body, ...args) => page.evaluate(`(async function () { ${body}\n}).apply(null, ${JSON.stringify(args)})`),
    page,
    close: () => browser.close(),
  };
}

async function openWebKit(proxy) {
  const { Builder, Capabilities } = await import('selenium-webdriver');
  const port = await freePort();
  // The driver and the MiniBrowser it starts live in a process group of their own (killed in close()), on a
  // virtual X display unless there is one.
  const cmd = process.env.DISPLAY ? [WEBKIT_DRIVER, `--port=${port}`] : ['xvfb-run', '-a', WEBKIT_DRIVER, `--port=${port}`];
  const driverProc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let driverErr = '';
  driverProc.stderr.on('data', (d) => { driverErr += d; });
  const url = `http://127.0.0.1:${port}`;
  for (const t0 = Date.now(); ;) {
    try { if ((await fetch(`${url}/status`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() - t0 > 30000) throw new Error(`WebKitWebDriver did not start: ${driverErr.trim()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const caps = new Capabilities({
    browserName: 'MiniBrowser',
    'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
    proxy: { proxyType: 'manual', httpProxy: `127.0.0.1:${proxy.port}`, sslProxy: `127.0.0.1:${proxy.port}`, noProxy: [] },
  });
  const driver = await new Builder().usingServer(url).withCapabilities(caps).build();
  await driver.manage().setTimeouts({ script: 30 * 60 * 1000, pageLoad: 120000 });
  return {
    errors: [],
    goto: (u) => driver.get(u),
    evaluate: (body, ...args) => driver.executeScript(body, ...args),
    driver,
    close: async () => {
      try { await driver.quit(); } finally {
        try { process.kill(-driverProc.pid, 'SIGTERM'); } catch { /* gone */ }
      }
    },
  };
}

// Opens `name` ('firefox' or 'webkit') with its traffic through a recording proxy for `origin`.
export async function openBrowser(name, { origin, gpu = false }) {
  const proxy = await startProxy(origin);
  let b;
  try {
    b = name === 'firefox' ? await openFirefox(proxy, gpu) : name === 'webkit' ? await openWebKit(proxy) : null;
  } catch (e) {
    proxy.close();
    throw e;
  }
  if (!b) throw new Error(`unknown browser ${name}`);
  return {
    name,
    errors: b.errors,
    goto: (url) => b.goto(url),
    evaluate: (body, ...args) => b.evaluate(body, ...args),
    raw: b,
    offsite: () => proxy.seen.slice(),
    // Polls window.__lines (each new one to onLine) until window.__result is set; gives both.
    async waitResult({ timeoutMs = 10 * 60 * 1000, onLine = (l) => console.log(l) } = {}) {
      const lines = [];
      for (const t0 = Date.now(); ;) {
        const [more, result] = await b.evaluate(
          'const n = arguments[0]; return [(window.__lines || []).slice(n), window.__result ?? null];', lines.length);
        for (const l of more) { lines.push(l); onLine(l); }
        if (result) return { result, lines };
        if (Date.now() - t0 > timeoutMs) throw new Error(`no result in ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    close: async () => { try { await b.close(); } finally { proxy.close(); } },
  };
}

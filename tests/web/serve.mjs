// serve.mjs — starts `sotto serve` for the browser tests (app.test.mjs, threads.test.mjs) and waits for the
// origin it prints: const { server, origin } = await startServe(sotto, ['--port', '0', ...]). Its stderr goes to
// this process's, or with stderr 'pipe' to server.stderr.
import { spawn } from 'node:child_process';

export async function startServe(sotto, args, stderr = 'inherit') {
  const server = spawn(sotto, ['serve', ...args], { stdio: ['ignore', 'pipe', stderr] });
  const origin = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve(m[1]);
    });
    server.on('exit', (c) => reject(new Error(`sotto serve exited with ${c}`)));
  });
  return { server, origin };
}

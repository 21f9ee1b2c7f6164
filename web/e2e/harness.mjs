// Test harness shared by the end-to-end tests and the performance script: starts `vigie serve`
// on a free port with its own temporary store, serves the built console, drives Chromium.

import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(WEB_DIR, '..');
export const DIST_DIR = join(WEB_DIR, 'dist');
export const DEMO_PACK = join(REPO_DIR, 'cities', 'demo-metropole');
export const VIGIE_BIN = process.env.VIGIE_BIN ?? join(REPO_DIR, 'target', 'debug', 'vigie');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebGL without a GPU: Chromium's software rasteriser, which it only enables when asked.
  '--enable-unsafe-swiftshader',
  '--use-angle=swiftshader',
];

/**
 * Starts `vigie serve --listen 127.0.0.1:0` with a store in a new temporary folder. Asks it to
 * serve the console (`VIGIE_SERVER__CONSOLE_DIR`); a server that does not know that setting
 * yet is started again without it, and the console is then served by `serveConsole`.
 */
export async function startServer({ pack = DEMO_PACK, consoleDir = DIST_DIR, env = {}, timeoutMs = 30_000 } = {}) {
  if (!existsSync(VIGIE_BIN)) {
    throw new Error(`no vigie binary at ${VIGIE_BIN}: build it with \`cargo build -p vigie-cli\` or set VIGIE_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-'));
  try {
    return await spawnServer(dir, pack, consoleDir, env, timeoutMs);
  } catch (error) {
    if (String(error.message).includes('console_dir')) {
      return spawnServer(dir, pack, null, env, timeoutMs);
    }
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function spawnServer(dir, pack, consoleDir, extraEnv, timeoutMs, listen = '127.0.0.1:0') {
  const env = {
    ...process.env,
    VIGIE_STORE__PATH: join(dir, 'vigie.db'),
    VIGIE_CITY__PACK: pack,
    VIGIE_LOG__FILTER: 'warn',
    ...extraEnv,
  };
  if (consoleDir) env.VIGIE_SERVER__CONSOLE_DIR = consoleDir;
  else delete env.VIGIE_SERVER__CONSOLE_DIR;
  const child = spawn(VIGIE_BIN, ['serve', '--listen', listen], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vigie serve did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(line);
      clearTimeout(timer);
      if (!match) {
        child.kill('SIGKILL');
        reject(new Error(`unexpected first line from vigie serve: ${line}`));
        return;
      }
      lines.on('line', () => {}); // keep draining stdout
      const url = match[1].replace(/\/$/, '');
      const halt = async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((done) => child.once('exit', done));
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
      };
      resolvePromise({
        url,
        dir,
        process: child,
        servesConsoleDir: Boolean(consoleDir),
        stderr: () => stderr,
        /** Stops the process and keeps the store: `start` runs it again on the same port. */
        halt,
        async start() {
          const again = await spawnServer(dir, pack, consoleDir, extraEnv, timeoutMs, new URL(url).host);
          return again;
        },
        async stop() {
          await halt();
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // After a successful start this rejects nothing: the promise is already settled.
      reject(new Error(`vigie serve exited with ${code}: ${stderr}`));
    });
  });
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The URL where the console is served: the server itself when it serves `dist/` (it answers
 * `/` with the console's page), otherwise a small local server that serves `dist/` and passes
 * `/api` and `/health` (the live stream included) through to the API.
 */
export async function consoleUrl(server, distDir = DIST_DIR) {
  if (!existsSync(join(distDir, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  try {
    const response = await fetch(`${server.url}/`);
    const text = await response.text();
    if (response.ok && text.includes('id="app"')) return { url: server.url, close: async () => {}, mode: 'served by vigie' };
  } catch {
    // fall through to the local server
  }
  const api = new URL(server.url);
  const local = http.createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    if (path.startsWith('/api/') || path === '/health' || path === '/metrics') {
      const upstream = http.request(
        { host: api.hostname, port: api.port, path: request.url, method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => {
        if (!response.headersSent) response.writeHead(502);
        response.end();
      });
      request.pipe(upstream);
      request.on('close', () => upstream.destroy());
      return;
    }
    let file = normalize(join(distDir, path));
    if (!file.startsWith(distDir + sep) && file !== distDir) {
      response.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(distDir, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(response);
  });
  await new Promise((done) => local.listen(0, '127.0.0.1', done));
  const { port } = local.address();
  return {
    url: `http://127.0.0.1:${port}`,
    mode: 'served by the test harness (the server does not serve the console yet)',
    close: () =>
      new Promise((done) => {
        local.closeAllConnections?.();
        local.close(() => done());
      }),
  };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** JSON over HTTP against the API. */
export async function api(server, method, path, body, operator) {
  const headers = { 'content-type': 'application/json' };
  if (operator) headers['x-vigie-operator'] = operator;
  const response = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return json;
}

// Test harness shared by the end-to-end tests and the performance script: creates accounts
// with `vigie user add`, starts `vigie serve` on a free port with its own temporary store,
// serves the built console, drives Chromium, and talks to the API as a signed-in account.

import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
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

/** The password of every test account (long enough for the server's password rules). */
export const PASSWORD = 'e2e-correct-horse-battery-2026';

/** The environment that points `vigie` at the store of `dir` and at the city pack. */
function serverEnv(dir, pack, extraEnv) {
  return {
    ...process.env,
    VIGIE_STORE__PATH: join(dir, 'vigie.db'),
    VIGIE_CITY__PACK: pack,
    VIGIE_LOG__FILTER: 'warn',
    ...extraEnv,
  };
}

/**
 * Creates an account in the store of `dir` with `vigie user add`, the password on standard
 * input. `user`: `{login, role, posts?, communes?, mfa?}`; without `mfa: true` the account signs
 * in with its password alone (`--no-mfa`).
 */
export function addUser(dir, user, { pack = DEMO_PACK, env = {}, password = PASSWORD } = {}) {
  const args = ['user', 'add', '--login', user.login, '--role', user.role];
  if (user.posts) args.push('--posts', user.posts.join(','));
  if (user.communes) args.push('--communes', user.communes.join(','));
  if (!user.mfa) args.push('--no-mfa');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(VIGIE_BIN, args, { env: serverEnv(dir, pack, env), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`vigie ${args.join(' ')} exited with ${code}: ${output}`));
    });
    child.stdin.end(`${password}\n`);
  });
}

/**
 * Starts `vigie serve --listen 127.0.0.1:0` with a store in a new temporary folder, after
 * creating the accounts of `users` in it (see `addUser`). Asks it to serve the console
 * (`VIGIE_SERVER__CONSOLE_DIR`); a server that does not know that setting yet is started again
 * without it, and the console is then served by `consoleUrl`.
 */
export async function startServer({ pack = DEMO_PACK, consoleDir = DIST_DIR, env = {}, timeoutMs = 30_000, users = [] } = {}) {
  if (!existsSync(VIGIE_BIN)) {
    throw new Error(`no vigie binary at ${VIGIE_BIN}: build it with \`cargo build -p vigie-cli\` or set VIGIE_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-'));
  try {
    for (const user of users) await addUser(dir, user, { pack, env });
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
  const env = serverEnv(dir, pack, extraEnv);
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
      // The browser went away (a closed live stream): stop the upstream request too. The
      // request's own 'close' fires as soon as its body is read, so it cannot tell that.
      response.on('close', () => upstream.destroy());
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

/**
 * A signed-in account on the API, as a program would be: the session cookie kept from the
 * login, the anti-forgery token sent with every request that changes something. A `401` (the
 * server restarted and forgot the session, say) signs in again once and repeats the request.
 */
export class ApiClient {
  constructor(server, login, password = PASSWORD) {
    this.server = server;
    this.login = login;
    this.password = password;
    this.cookies = new Map();
    this.csrf = null;
  }

  keepCookies(response) {
    for (const line of response.headers.getSetCookie?.() ?? []) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      if (at > 0) this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }

  async send(method, path, { json, bytes, contentType } = {}) {
    const headers = { accept: 'application/json' };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    let body;
    if (json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (bytes !== undefined) {
      headers['content-type'] = contentType ?? 'application/octet-stream';
      body = bytes;
    }
    const response = await fetch(`${this.server.url}${path}`, { method, headers, body });
    this.keepCookies(response);
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: response.status, body: parsed, text, retryAfter: response.headers.get('retry-after') };
  }

  /** Signs in with the password (an account without a second factor). */
  async signIn() {
    this.cookies.clear();
    this.csrf = null;
    const answer = await this.send('POST', '/api/auth/login', { json: { login: this.login, password: this.password } });
    if (answer.status !== 200 || answer.body?.step !== 'session') {
      throw new Error(`signing in as ${this.login}: ${answer.status} ${answer.text}`);
    }
    this.csrf = answer.body.csrf_token;
    return this;
  }

  /**
   * JSON request; throws on an error status, after signing in again once on a 401, and after
   * waiting as told (Retry-After) on a 429 from the server's rate limit, a few times.
   */
  async request(method, path, json, options = {}) {
    let answer = await this.send(method, path, { json, ...options });
    for (let retries = 0; answer.status === 429 && retries < 5; retries += 1) {
      const seconds = Number(answer.retryAfter ?? 1);
      await new Promise((done) => setTimeout(done, (Number.isFinite(seconds) ? seconds : 1) * 1000));
      answer = await this.send(method, path, { json, ...options });
    }
    if (answer.status === 401) {
      await this.signIn();
      answer = await this.send(method, path, { json, ...options });
    }
    if (answer.status < 200 || answer.status >= 300) throw new Error(`${method} ${path} as ${this.login}: ${answer.status} ${answer.text}`);
    return answer.body;
  }
}

/** Signs `login` in on the API and returns its client. */
export async function signIn(server, login, password = PASSWORD) {
  return new ApiClient(server, login, password).signIn();
}

/**
 * JSON over HTTP against the API: as `client` (an `ApiClient`) when given, anonymously
 * otherwise (`/health`).
 */
export async function api(server, method, path, body, client) {
  if (client) {
    client.server = server;
    return client.request(method, path, body);
  }
  const headers = { 'content-type': 'application/json' };
  const response = await fetch(`${server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return json;
}

/** Decodes base32 (RFC 4648, no padding needed), as authenticator apps read TOTP secrets. */
export function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The RFC 6238 code (HMAC-SHA1, 30-second steps, 6 digits) of a base32 secret at `timeMs`. */
export function totp(secret, timeMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 1000 / 30)));
  const digest = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  // Dynamic truncation (RFC 4226 section 5.3).
  const offset = digest[digest.length - 1] & 0x0f;
  const value = ((digest[offset] & 0x7f) << 24) | (digest[offset + 1] << 16) | (digest[offset + 2] << 8) | digest[offset + 3];
  return String(value % 1_000_000).padStart(6, '0');
}

/** Waits until the next 30-second TOTP step begins (a code is accepted once). */
export async function nextTotpStep() {
  const left = 30_000 - (Date.now() % 30_000);
  await new Promise((done) => setTimeout(done, left + 200));
}

/** Signs in through the console's login screen (in French), with the password alone; waits until the console is ready. */
export async function signInPage(page, login, { password = PASSWORD, timeout = 30_000 } = {}) {
  await page.getByLabel('Identifiant', { exact: true }).fill(login);
  await page.getByLabel('Mot de passe', { exact: true }).fill(password);
  await page.getByLabel('Mot de passe', { exact: true }).press('Enter');
  await page.waitForFunction(() => window.vigie?.ready === true, null, { timeout, polling: 100 });
}

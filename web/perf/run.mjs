// Performance of the console on a large city: 5,000 cameras, 10,000 sensors, 500 open
// incidents. Starts its own server on a generated pack, opens the console in headless
// Chromium (software WebGL), measures the time to interactive, the frame rate while panning,
// and how fast a burst of operator commands reaches the screen; prints a Markdown table.
//
//   npm run perf                        the large city, and the demo city for comparison
//   npm run perf -- --only-large        the large city only (--only-demo: the demo only)
//   PERF_SENSORS=20000 PERF_CAMERAS=8000 PERF_INCIDENTS=1000 npm run perf

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DEMO_PACK, VIGIE_BIN, WEB_DIR, api, consoleUrl, launchBrowser, signIn, signInPage, startServer } from '../e2e/harness.mjs';
import { communeSampler, makeBigCity, random } from './citygen.mjs';

const SENSORS = Number(process.env.PERF_SENSORS ?? 10_000);
const CAMERAS = Number(process.env.PERF_CAMERAS ?? 5_000);
const INCIDENTS = Number(process.env.PERF_INCIDENTS ?? 500);
const PAN_SECONDS = Number(process.env.PERF_PAN_SECONDS ?? 6);
const BURST = Number(process.env.PERF_BURST ?? 100);
const onlyLarge = process.argv.includes('--only-large');
const onlyDemo = process.argv.includes('--only-demo');

async function pool(items, width, work) {
  let next = 0;
  const workers = Array.from({ length: width }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await work(items[index], index);
    }
  });
  await Promise.all(workers);
}

/** The console's account (a supervisor sees every post) and the one that acknowledges in bursts. */
const USERS = [
  { login: 'perf', role: 'supervisor' },
  { login: 'perf-bot', role: 'supervisor' },
];

async function openIncidents(server, client, pack, count) {
  const rand = random(7);
  const sample = communeSampler(JSON.parse(readFileSync(join(pack, 'communes.geojson'), 'utf8')), rand);
  const { categories } = await api(server, 'GET', '/api/categories', undefined, client);
  const priorities = ['p1', 'p2', 'p2', 'p3', 'p3', 'p3', 'p4', 'p4'];
  const jobs = Array.from({ length: count }, (_, index) => {
    const place = sample();
    const category = categories[Math.floor(rand() * categories.length)].category;
    return {
      category,
      title: `Incident de charge ${index + 1}`,
      priority: priorities[Math.floor(rand() * priorities.length)],
      position: { lon: place.lon, lat: place.lat },
    };
  });
  await pool(jobs, 8, (job) => api(server, 'POST', '/api/incidents', job, client));
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
}

/**
 * Pans the map for `seconds` at `zoom`, counting animation frames; `full`: with the dynamic
 * resolution of a slow moving map turned off (every frame at full resolution).
 */
async function panFps(page, zoom, seconds, full = false) {
  return page.evaluate(
    async ({ zoom, seconds, full }) => {
      const cityMap = window.vigie.app.map;
      const map = cityMap.map;
      cityMap.setMotionResolution(!full);
      map.jumpTo({ zoom });
      await new Promise((done) => {
        const check = () => (map.loaded() ? done() : setTimeout(check, 50));
        check();
      });
      const frames = [];
      let last = performance.now();
      let running = true;
      let reducedFrames = 0;
      let lowest = 1;
      const count = (now) => {
        frames.push(now - last);
        last = now;
        if (cityMap.drawingScale !== 1) reducedFrames += 1;
        lowest = Math.min(lowest, cityMap.drawingScale);
        if (running) requestAnimationFrame(count);
      };
      const start = performance.now();
      requestAnimationFrame(count);
      const span = 300;
      let direction = 1;
      while (performance.now() - start < seconds * 1000) {
        map.panBy([span * direction, (span / 3) * direction], { duration: 1000, easing: (t) => t });
        await new Promise((done) => setTimeout(done, 1000));
        direction = -direction;
      }
      running = false;
      const elapsed = performance.now() - start;
      cityMap.setMotionResolution(true);
      return { fps: (frames.length / elapsed) * 1000, frames: frames.slice(1), reducedShare: reducedFrames / frames.length, lowest };
    },
    { zoom, seconds, full },
  );
}

const log = (message) => console.error(`[perf ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function measure(label, pack, incidents) {
  log(`${label}: starting the server`);
  const server = await startServer({ pack, timeoutMs: 120_000, users: USERS });
  const site = await consoleUrl(server);
  const result = { label };
  try {
    const perf = await signIn(server, 'perf');
    const bot = await signIn(server, 'perf-bot');
    const opened = Date.now();
    await openIncidents(server, perf, pack, incidents);
    result.incidentsPostedMs = Date.now() - opened;
    const sensors = (await api(server, 'GET', '/api/sensors', undefined, perf)).sensors.length;
    const cameras = (await api(server, 'GET', '/api/cameras', undefined, perf)).cameras.length;
    const open = (await api(server, 'GET', '/api/incidents?status=open,acknowledged,on_hold&limit=1', undefined, perf)).total;
    const cityBytes = Buffer.byteLength((await perf.send('GET', '/api/city')).text);
    const sensorsBytes = Buffer.byteLength((await perf.send('GET', '/api/sensors')).text);
    Object.assign(result, { sensors, cameras, open, cityBytes, sensorsBytes });

    log(`${label}: ${incidents} incidents posted in ${result.incidentsPostedMs} ms; opening the console`);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      await page.addInitScript(() => localStorage.setItem('vigie.muted', '1'));
      await page.goto(site.url);
      await signInPage(page, 'perf', { timeout: 120_000 });
      // Measure a page that opens on a session (resumed with GET /api/auth/me), as an operator's
      // console does after the first login: the timings then count from its navigation start.
      await page.reload();
      await page.waitForFunction(() => window.vigie?.ready === true, null, { timeout: 120_000, polling: 200 });
      log(`${label}: ready`);
      await page.waitForFunction((n) => document.querySelectorAll('#queue-list [data-incident-id]').length >= Math.min(n, 500), open, { timeout: 60_000, polling: 200 });
      await page.waitForFunction(() => window.vigie.app.timings.map !== undefined, null, { timeout: 120_000, polling: 200 });
      log(`${label}: map settled`);
      // The sensors arrive after the first paint: wait until their layer is in the map too.
      await page.waitForFunction((n) => (window.vigie.app.map?.dataOf('sensors')?.features.length ?? 0) === n, sensors, { timeout: 120_000, polling: 200 });
      const timings = await page.evaluate(() => window.vigie.app.timings);
      log(`${label}: interactive; panning`);
      const nav = await page.evaluate(() => {
        const entry = performance.getEntriesByType('navigation')[0];
        return { domContentLoaded: entry.domContentLoadedEventEnd, load: entry.loadEventEnd };
      });
      Object.assign(result, { ttiData: timings.data, ttiQueue: timings.queue, ttiMap: timings.map, domContentLoaded: nav.domContentLoaded });

      const wide = await panFps(page, 11, PAN_SECONDS);
      const close = await panFps(page, 15, PAN_SECONDS);
      result.fpsWide = wide.fps;
      result.frameWide = stats(wide.frames);
      result.reducedWide = wide.reducedShare;
      result.lowestWide = wide.lowest;
      result.fpsClose = close.fps;
      result.frameClose = stats(close.frames);
      result.reducedClose = close.reducedShare;
      result.lowestClose = close.lowest;
      // The same pans with every frame at full resolution: what the dynamic resolution saves.
      result.fpsWideFull = (await panFps(page, 11, PAN_SECONDS, true)).fps;
      result.fpsCloseFull = (await panFps(page, 15, PAN_SECONDS, true)).fps;

      log(`${label}: ${result.fpsWide.toFixed(1)} / ${result.fpsClose.toFixed(1)} frames/s; burst of commands`);
      // A burst of acknowledgements by other operators: how long until all show as acknowledged.
      const { incidents: toAck } = await api(server, 'GET', `/api/incidents?status=open&limit=${BURST}`, undefined, bot);
      const ids = toAck.map((incident) => incident.id);
      const burstStart = Date.now();
      await pool(ids, 8, (id) => api(server, 'POST', `/api/incidents/${id}/commands`, { type: 'acknowledge' }, bot));
      const sent = Date.now() - burstStart;
      await page.waitForFunction(
        (wanted) => wanted.every((id) => window.vigie.app.state.incidents.get(id)?.status === 'acknowledged'),
        ids,
        { timeout: 60_000, polling: 50 },
      );
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      result.burst = { count: ids.length, sentMs: sent, shownMs: Date.now() - burstStart };
      result.heapMb = await page.evaluate(() => (performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null));
      await page.screenshot({ path: join(WEB_DIR, 'perf', 'results', `${label.replace(/\W+/g, '-')}.png`) });
    } finally {
      await browser.close();
    }
  } finally {
    await site.close();
    await server.stop();
  }
  return result;
}

const ms = (value) => (value === undefined || value === null ? '—' : `${Math.round(value)} ms`);
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

function table(results) {
  const rows = [
    ['sensors / cameras / open incidents', (r) => `${r.sensors.toLocaleString('en')} / ${r.cameras.toLocaleString('en')} / ${r.open}`],
    ['`/api/city` + `/api/sensors` size', (r) => `${mb(r.cityBytes)} + ${mb(r.sensorsBytes)}`],
    ['snapshot loaded (from navigation start)', (r) => ms(r.ttiData)],
    ['queue drawn, live stream open (interactive)', (r) => ms(r.ttiQueue)],
    ['map drawn with every layer', (r) => ms(r.ttiMap)],
    ['panning at zoom 11 (clusters): frames/s', (r) => r.fpsWide.toFixed(1)],
    ['  frame time p50 / p95 / max', (r) => `${ms(r.frameWide.p50)} / ${ms(r.frameWide.p95)} / ${ms(r.frameWide.max)}`],
    ['  frames drawn at reduced resolution (lowest scale)', (r) => `${Math.round(r.reducedWide * 100)} % (${r.lowestWide})`],
    ['  the same pan, every frame at full resolution: frames/s', (r) => r.fpsWideFull.toFixed(1)],
    ['panning at zoom 15 (cones, points): frames/s', (r) => r.fpsClose.toFixed(1)],
    ['  frame time p50 / p95 / max', (r) => `${ms(r.frameClose.p50)} / ${ms(r.frameClose.p95)} / ${ms(r.frameClose.max)}`],
    ['  frames drawn at reduced resolution (lowest scale)', (r) => `${Math.round(r.reducedClose * 100)} % (${r.lowestClose})`],
    ['  the same pan, every frame at full resolution: frames/s', (r) => r.fpsCloseFull.toFixed(1)],
    ['burst of acknowledgements shown on screen', (r) => `${r.burst.count} in ${ms(r.burst.shownMs)} (sent in ${ms(r.burst.sentMs)})`],
    ['JS heap', (r) => (r.heapMb ? `${r.heapMb.toFixed(0)} MiB` : '—')],
  ];
  const header = `| | ${results.map((r) => r.label).join(' | ')} |`;
  const rule = `|---|${results.map(() => '---').join('|')}|`;
  return [header, rule, ...rows.map(([name, cell]) => `| ${name} | ${results.map(cell).join(' | ')} |`)].join('\n');
}

async function main() {
  mkdirSync(join(WEB_DIR, 'perf', 'results'), { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'vigie-perf-'));
  try {
    const pack = join(work, 'big-city');
    const made = makeBigCity(DEMO_PACK, pack, { sensors: SENSORS, cameras: CAMERAS });
    const check = spawnSync(VIGIE_BIN, ['city', 'check', pack], { encoding: 'utf8' });
    if (check.status !== 0) {
      console.error(`vigie city check refused the generated pack:\n${check.stdout}${check.stderr}`);
      process.exit(1);
    }
    console.error(`generated pack: ${made.sensors} sensors, ${made.cameras} cameras — ${check.stdout.trim()}`);
    const results = [];
    if (!onlyLarge) results.push(await measure('demo city', DEMO_PACK, 20));
    if (!onlyDemo) results.push(await measure('large city', pack, INCIDENTS));
    const chromium = spawnSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`\nConsole performance — ${chromium || 'Chromium'}, headless, software WebGL (SwiftShader), ${cpus().length} CPU cores, 1600×1000 viewport; server: ${basename(dirname(VIGIE_BIN))} build on the same machine.\n`);
    console.log(table(results));
    writeFileSync(join(WEB_DIR, 'perf', 'results', 'latest.json'), JSON.stringify(results, null, 2));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

// End-to-end: the console in Chromium against a real `vigie serve` with the demo city.
// An operator of the public-buildings post signs in, a smoke reading raises a fire incident,
// the incident shows on the map and in the queue within 2 s, the operator acknowledges it,
// works the playbook (Resolve stays disabled until every step is settled), resolves it, and
// switches the console to English. A supervisor (`bob`) and a partner system (`capteurs`)
// act on the API beside the console.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WEB_DIR, api, consoleUrl, launchBrowser, signIn, signInPage, startServer } from './harness.mjs';

const SHOTS = join(WEB_DIR, 'e2e', 'screenshots');
const POST = 'batiments-publics';
const OPERATOR = 'alice';
const USERS = [
  { login: OPERATOR, role: 'operator', posts: [POST] },
  { login: 'bob', role: 'supervisor' },
  { login: 'capteurs', role: 'integrator' },
];

let server;
/** The supervisor and the sensors' partner system, on the API. */
let bob;
let sensors;
let site;
let browser;
let page;
const consoleErrors = [];
/** Every request the page made for the live stream. */
const streamRequests = [];
let cutOff = false;

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function incidentIdFromQueue() {
  const id = await page.locator('#queue-list [data-incident-id]').first().getAttribute('data-incident-id');
  return Number(id);
}

describe('operator console', { timeout: 120_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ users: USERS });
    bob = await signIn(server, 'bob');
    sensors = await signIn(server, 'capteurs');
    site = await consoleUrl(server);
    console.log(`# server ${server.url}; console ${site.mode}`);
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    page = await context.newPage();
    page.on('console', (message) => {
      // While the server is cut off on purpose, failed stream requests are expected; so is the
      // 401 of `GET /api/auth/me` on a page opened without a session (the login screen follows).
      const expected = (cutOff && /net::ERR_|Failed to load resource/.test(message.text())) || message.location().url.endsWith('/api/auth/me');
      if (message.type() === 'error' && !expected) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('request', (request) => {
      if (request.url().includes('/api/stream')) streamRequests.push(request);
    });
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await server?.stop();
  });

  test('the login screen asks for a login and a password', async () => {
    await page.goto(site.url);
    await page.getByRole('heading', { name: /Connexion/ }).waitFor();
    assert.equal(await page.getByLabel('Identifiant', { exact: true }).getAttribute('autocomplete'), 'username');
    assert.equal(await page.getByLabel('Mot de passe', { exact: true }).getAttribute('type'), 'password');
    // The first field has the focus, so the operator can type straight away.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-name');
    await shot('01-login');
  });

  test('an operator of the public-buildings post signs in', async () => {
    await signInPage(page, OPERATOR);
    await page.locator('[data-testid="live"][data-state="live"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.getByTestId('operator').getAttribute('title'), OPERATOR);
    assert.equal(await page.getByTestId('role').textContent(), 'Opérateur');
    assert.equal(await page.getByTestId('post').textContent(), 'Bâtiments publics');
    // Nothing of the session is kept where scripts can read it: the cookie is HttpOnly.
    assert.equal(await page.evaluate(() => localStorage.getItem('vigie.session')), null);
    assert.equal(await page.evaluate(() => document.cookie), '');
    // A fresh page opens the stream after the last event the snapshot holds.
    const { last_seq } = await api(server, 'GET', '/health');
    assert.match(streamRequests[0].url(), new RegExp(`/api/stream\\?from=${last_seq + 1}&kinds=incident%2Calarm%2Cunit$`));
    // The map is up with the city: wait until MapLibre has loaded its style.
    await page.waitForFunction(() => window.vigie.app?.map?.map.isStyleLoaded() === true, null, { timeout: 20_000 });
  });

  test('a reload keeps the operator signed in', async () => {
    streamRequests.length = 0;
    await page.reload();
    await page.waitForFunction(() => window.vigie?.ready === true);
    assert.equal(await page.getByTestId('role').textContent(), 'Opérateur');
    await page.locator('[data-testid="live"][data-state="live"]').waitFor({ timeout: 10_000 });
    // The map has drawn every layer (software WebGL is slow at first): the console is steady.
    await page.waitForFunction(() => window.vigie.app?.timings.map !== undefined, null, { timeout: 30_000 });
  });

  test('a slow moving map draws at half resolution, and sharp again once still', async () => {
    // Every frame counts as slow here, so the switch happens whatever the machine.
    const seen = await page.evaluate(async () => {
      const cityMap = window.vigie.app.map;
      const map = cityMap.map;
      const canvas = map.getCanvas();
      const full = canvas.width;
      cityMap.tuneMotionResolution({ budgetMs: 0, samples: 2, steps: [0.5] });
      const widths = [];
      const moved = new Promise((done) => map.once('moveend', done));
      const sample = () => {
        widths.push(canvas.width);
        if (map.isMoving()) requestAnimationFrame(sample);
      };
      map.panBy([200, 80], { duration: 800, easing: (t) => t });
      requestAnimationFrame(sample);
      await moved;
      const atStop = canvas.width;
      // Sharp again a moment after it stopped (SHARPEN_AFTER_MS), without anything else moving it.
      const stopped = performance.now();
      while (canvas.width !== full && performance.now() - stopped < 2000) await new Promise((done) => setTimeout(done, 20));
      const after = canvas.width;
      const sharpAfterMs = performance.now() - stopped;
      cityMap.tuneMotionResolution({});
      return { full, widths, atStop, after, sharpAfterMs };
    });
    assert.ok(seen.widths.some((width) => Math.abs(width - seen.full / 2) <= 1), `no half-width frame among ${seen.widths.join(',')} (full ${seen.full})`);
    assert.ok(Math.abs(seen.atStop - seen.full / 2) <= 1, `still reduced right at the stop (${seen.atStop} of ${seen.full}), so a next move goes on smoothly`);
    assert.equal(seen.after, seen.full, 'the still map is drawn at full resolution');
    assert.ok(seen.sharpAfterMs < 1000, `sharp ${Math.round(seen.sharpAfterMs)} ms after the stop`);
    // Back where it was, for the next steps.
    await page.evaluate(() => window.vigie.app.map.map.panBy([-200, -80], { duration: 0 }));
  });

  test('a smoke reading shows a fire incident on the map and in the queue within 2 s', async () => {
    const started = Date.now();
    await api(server, 'POST', '/api/observations', {
      observations: [{ sensor_id: 'smoke-bibliotheque-01', time: Date.now(), value: 1 }],
    }, sensors);
    const row = page.locator('#queue-list [data-incident-id]').first();
    await row.waitFor({ timeout: 2000 });
    await page.waitForFunction(() => (window.vigie.app?.mapIncidentIds() ?? []).length > 0, null, { timeout: Math.max(100, 2000 - (Date.now() - started)) });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2000, `incident took ${elapsed} ms to show`);
    const id = await incidentIdFromQueue();
    assert.deepEqual(await page.evaluate(() => window.vigie.app.mapIncidentIds()), [id]);
    assert.match(await row.textContent(), /Pré-alarme fumée/);
    assert.match(await row.textContent(), /Non acquitté/);
    assert.match(await page.getByTestId('queue-counts').textContent(), /1 incidents · 1 non acquittés/);
    // Unacknowledged: it pulses, in its priority's colour.
    const ring = await page.evaluate((incidentId) => {
      const marker = document.querySelector(`.pulse-marker[data-incident-id="${incidentId}"]`);
      const pulse = marker?.querySelector('.pulse-ring');
      if (!(marker instanceof HTMLElement) || !pulse) return null;
      const probe = document.createElement('div');
      probe.style.color = `var(--${marker.dataset.priority})`;
      document.body.append(probe);
      const expected = getComputedStyle(probe).color;
      probe.remove();
      return { priority: marker.dataset.priority, border: getComputedStyle(pulse).borderTopColor, expected };
    }, id);
    assert.ok(ring, 'the unacknowledged incident pulses');
    assert.equal(ring.border, ring.expected, `the ring of a ${ring.priority} incident is in its priority's colour`);
    console.log(`# incident ${id} on the map and in the queue after ${elapsed} ms`);
    await shot('02-incident-raised');
  });

  test('the operator opens and acknowledges it (keyboard: J then A)', async () => {
    await page.locator('body').press('j');
    const detail = page.locator('article.detail[data-incident-id]');
    await detail.waitFor();
    await page.getByRole('heading', { name: /Fiche réflexe/ }).waitFor();
    const resolve = page.locator('[data-action="resolve"]');
    assert.equal(await resolve.isDisabled(), true, 'Resolve is disabled while open');
    // The cameras that see the library, nearest first.
    await page.locator('.cameras li[data-camera-id]').first().waitFor();
    await page.locator('body').press('a');
    await page.locator('[data-testid="detail-status"]', { hasText: 'Acquitté' }).waitFor();
    const id = await incidentIdFromQueue();
    const { incident } = await api(server, 'GET', `/api/incidents/${id}`, undefined, bob);
    assert.equal(incident.status, 'acknowledged');
    await page.locator('.timeline li', { hasText: OPERATOR }).first().waitFor();
  });

  test('Resolve stays disabled until every playbook step is done or skipped', async () => {
    const resolve = page.locator('[data-action="resolve"]');
    const steps = page.locator('.steps li[data-step-id]');
    const count = await steps.count();
    assert.ok(count >= 2, 'the fire playbook has several steps');
    for (let index = 0; index < count; index += 1) {
      assert.equal(await resolve.isDisabled(), true, `Resolve disabled with ${count - index} step(s) left`);
      const step = steps.nth(index);
      if (index === count - 1) {
        await step.locator('[data-step-action="skip"]').click();
        const dialog = page.locator('dialog[open]');
        await dialog.getByLabel('Motif pour sauter l’étape').fill('Bilan fait par les pompiers');
        await dialog.getByRole('button', { name: 'Valider' }).click();
        await step.locator('.step-status', { hasText: 'Sauté par alice' }).waitFor();
      } else {
        await step.locator('[data-step-action="done"]').click();
        await step.locator('.step-status', { hasText: 'Fait par alice' }).waitFor();
      }
    }
    await page.waitForFunction(() => document.querySelector('[data-action="resolve"]')?.disabled === false);
    await shot('03-playbook-settled');
  });

  test('resolving works and is logged under the operator', async () => {
    await page.getByLabel('Issue').selectOption('confirmed');
    await page.locator('[data-action="resolve"]').click();
    await page.locator('[data-testid="detail-status"]', { hasText: 'Résolu' }).waitFor();
    const id = Number(await page.locator('article.detail').getAttribute('data-incident-id'));
    const { incident, timeline } = await api(server, 'GET', `/api/incidents/${id}`, undefined, bob);
    assert.equal(incident.status, 'resolved');
    assert.equal(incident.outcome, 'confirmed');
    const actors = timeline.filter((event) => event.body.incident).map((event) => event.body.incident.actor);
    assert.ok(actors.includes('operator:alice'));
    // Resolved incidents leave the active queue.
    await page.locator('#queue-list [data-incident-id]').first().waitFor({ state: 'detached' });
    await shot('04-resolved');
  });

  test('after the server restarts, the stream resumes from the last event seen', async () => {
    const lastSeen = await page.evaluate(() => window.vigie.app.state.lastSeq);
    // Cut the console off: the server stops, and its reconnections fail until released.
    cutOff = true;
    await page.route('**/api/stream**', (route) => route.abort());
    await server.halt();
    await page.locator('[data-testid="live"][data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    server = await server.start();
    // Committed while the console is cut off.
    const { incident } = await api(server, 'POST', '/api/incidents', { category: 'intrusion', title: 'Intrusion, réserve du musée', priority: 'p3', post: POST }, bob);
    await api(server, 'POST', `/api/incidents/${incident.id}/commands`, { type: 'add_note', text: 'Ronde demandée' }, bob);
    const before = streamRequests.length;
    await page.unroute('**/api/stream**');
    await page.locator(`#queue-list [data-incident-id="${incident.id}"]`).waitFor({ timeout: 15_000 });
    await page.locator('[data-testid="live"][data-state="live"]').waitFor();
    cutOff = false;
    const resumed = streamRequests.slice(before).at(-1);
    const headers = await resumed.allHeaders();
    const { last_seq } = await api(server, 'GET', '/health');
    // The browser's own reconnection sends Last-Event-ID; the console's, `from` after it.
    assert.ok(
      headers['last-event-id'] === String(lastSeen) || resumed.url().includes(`from=${lastSeen + 1}&`),
      `the stream resumed after event ${lastSeen}: ${resumed.url()} ${JSON.stringify(headers)}`,
    );
    console.log(`# resumed after event ${lastSeen} with ${headers['last-event-id'] ? `Last-Event-ID: ${headers['last-event-id']}` : resumed.url()}`);
    await page.waitForFunction((seq) => window.vigie.app.state.lastSeq === seq, last_seq);
    const shown = await page.evaluate((id) => window.vigie.app.state.incidents.get(id), incident.id);
    assert.equal(shown.note_count, 1, 'every event of the gap folded once');
  });

  test('a new P1 incident sounds the alert, and M mutes it', async () => {
    const before = await page.evaluate(() => window.vigie.app.alerter.beeps);
    await api(server, 'POST', '/api/incidents', { category: 'fire', title: 'Feu de poubelle, parvis', priority: 'p1', post: POST, position: { lon: 5.0415, lat: 47.3215 } }, bob);
    await page.waitForFunction((count) => window.vigie.app.alerter.beeps === count + 1, before);
    await page.locator('.toast-alert', { hasText: 'Nouvel incident P1' }).waitFor();
    await page.locator('#queue-list .row.unack .badge-p1').first().waitFor();
    await page.locator('body').press('m');
    assert.equal(await page.evaluate(() => window.vigie.app.alerter.muted), true);
    await api(server, 'POST', '/api/incidents', { category: 'fire', title: 'Deuxième feu', priority: 'p1', post: POST }, bob);
    await page.locator('#queue-list [data-incident-id]').nth(1).waitFor();
    assert.equal(await page.evaluate(() => window.vigie.app.alerter.beeps), before + 1);
    await page.locator('body').press('m');
    await shot('05-p1-alert');
  });

  test('the supervision tab shows the alarm rate per post', async () => {
    await page.getByRole('tab', { name: 'Supervision' }).click();
    await page.getByTestId('rate-chart').waitFor();
    // The rates of the operator's own post only: the server keeps the others out of scope.
    const bars = await page.locator('[data-testid="rate-chart"] g[data-post]').evaluateAll((groups) => groups.map((group) => group.dataset.post));
    assert.deepEqual(bars, [POST]);
    // The library's smoke alarm stands, but shelving is for supervisors: no Shelve for an operator.
    await page.locator('[data-testid="standing-alarms"] li').first().waitFor();
    assert.equal(await page.locator('[data-action="shelve"]').count(), 0);
    await shot('06-supervision');
    await page.getByRole('tab', { name: 'File d’incidents' }).click();
  });

  test('a sensor opens with its 24-hour chart', async () => {
    await page.evaluate(() => window.vigie.app.openSensor('smoke-bibliotheque-01'));
    await page.locator('article.sensor-detail svg.chart').waitFor();
    assert.equal(await page.getByTestId('sensor-state').textContent(), 'En alarme');
    await shot('07-sensor');
    await page.locator('body').press('Escape');
    await page.locator('article.sensor-detail').waitFor({ state: 'detached' });
  });

  test('the console switches to English', async () => {
    await page.getByRole('button', { name: 'Passer en anglais (L)' }).click();
    await page.getByRole('heading', { name: 'Incident queue — Public buildings' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'Incident queue' }).count(), 1);
    assert.equal(await page.getByLabel('Commune').count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1);
    assert.equal(await page.getByTestId('role').textContent(), 'Operator');
    assert.equal(await page.getByTestId('live').textContent(), 'Live');
    assert.match(await page.getByTestId('queue-counts').textContent(), /unacknowledged/);
    await page.locator('body').press('j');
    await page.getByRole('button', { name: 'Acknowledge', exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Playbook' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await shot('08-english');
  });

  test('the light theme and the help dialog', async () => {
    await page.locator('body').press('t');
    assert.equal(await page.locator('html').getAttribute('data-theme'), 'light');
    await page.locator('body').press('?');
    await page.getByRole('heading', { name: 'Keyboard shortcuts' }).waitFor();
    await shot('09-light-help');
    await page.keyboard.press('Escape');
    await page.locator('dialog.help').waitFor({ state: 'detached' });
    await page.locator('body').press('t');
  });

  test('no error in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

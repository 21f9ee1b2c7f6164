// End-to-end: signing in. A wrong password, the enrolment of an authenticator at the first
// login of an account that must use a second factor (the code computed here from the secret
// the page shows), a login with a TOTP code, logging out, a session that ends, an operator
// who only sees the incidents of their command post, and the evidence snapshots of a video
// alarm in the incident detail, for the operator and read-only for the data protection
// officer.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsQR from 'jsqr';
import { PASSWORD, WEB_DIR, api, consoleUrl, launchBrowser, nextTotpStep, signIn, signInPage, startServer, totp } from './harness.mjs';

const SHOTS = join(WEB_DIR, 'e2e', 'screenshots');
/** A camera of the demo pack and its density analytic, whose alarm goes to the public-space post. */
const CAMERA = 'cam-dijon-0100';
const DENSITY = 'cam-dijon-0100.passage.density';
const USERS = [
  { login: 'chef', role: 'supervisor' },
  { login: 'police', role: 'operator', posts: ['police-municipale'] },
  { login: 'place', role: 'operator', posts: ['securite-espace-public'] },
  { login: 'double', role: 'operator', posts: ['securite-espace-public'], mfa: true },
  { login: 'dpd', role: 'data_protection_officer' },
  { login: 'capteurs', role: 'integrator' },
];

let server;
let site;
let browser;
let context;
let page;
let chef;
let sensors;
/** The secret of `double`'s authenticator, read from the enrolment screen. */
let secret = null;
/** The incident the density alarm opened, with its evidence. */
let evidenceIncident = null;
const consoleErrors = [];

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function loginScreen() {
  await page.getByLabel('Mot de passe', { exact: true }).waitFor();
}

async function logOut() {
  await page.getByRole('button', { name: 'Se déconnecter' }).click();
  await loginScreen();
}

/** A small JPEG drawn by the browser: a street scene of flat shapes (nobody in it). */
async function sampleJpeg() {
  const dataUrl = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 320;
    canvas.height = 180;
    const draw = canvas.getContext('2d');
    draw.fillStyle = '#6b8fb5';
    draw.fillRect(0, 0, 320, 110);
    draw.fillStyle = '#8a8a80';
    draw.fillRect(0, 110, 320, 70);
    draw.fillStyle = '#c9b68f';
    draw.fillRect(40, 40, 90, 70);
    draw.fillRect(190, 25, 100, 85);
    return canvas.toDataURL('image/jpeg', 0.8);
  });
  return Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
}

/** Reads the enrolment's QR code as drawn in the page (the SVG rasterised by the browser) with an independent decoder. */
async function qrOnPage() {
  const { width, pixels } = await page.evaluate(async () => {
    const svg = document.querySelector('[data-testid="otpauth-qr"]');
    const text = new XMLSerializer().serializeToString(svg);
    const image = new Image();
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
    await image.decode();
    const side = 400;
    const canvas = Object.assign(document.createElement('canvas'), { width: side, height: side });
    const draw = canvas.getContext('2d');
    draw.drawImage(image, 0, 0, side, side);
    return { width: side, pixels: Array.from(draw.getImageData(0, 0, side, side).data) };
  });
  return jsQR(Uint8ClampedArray.from(pixels), width, width)?.data ?? null;
}

describe('signing in', { timeout: 240_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ users: USERS });
    chef = await signIn(server, 'chef');
    sensors = await signIn(server, 'capteurs');
    site = await consoleUrl(server);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
    page = await context.newPage();
    page.on('console', (message) => {
      // Refused requests (401, 403) are part of these tests; the browser logs them as errors.
      if (message.type() === 'error' && !/status of 40[13] /.test(message.text())) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    await server?.stop();
  });

  test('the TOTP codes computed here are those of RFC 6238', async () => {
    // RFC 6238 appendix B, SHA-1, secret "12345678901234567890" (base32 below), last 6 digits.
    const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    assert.equal(totp(rfcSecret, 59_000), '287082');
    assert.equal(totp(rfcSecret, 1_111_111_109_000), '081804');
    assert.equal(totp(rfcSecret, 2_000_000_000_000), '279037');
  });

  test('a wrong password says so, in French and in English', async () => {
    await page.goto(site.url);
    await page.getByLabel('Identifiant', { exact: true }).fill('police');
    await page.getByLabel('Mot de passe', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const message = page.getByTestId('login-message');
    await message.filter({ hasText: 'Identifiant ou mot de passe incorrect.' }).waitFor();
    assert.equal(await message.getAttribute('role'), 'alert');
    // The password is cleared and has the focus; the login is kept.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-password');
    assert.equal(await page.getByLabel('Mot de passe', { exact: true }).inputValue(), '');
    assert.equal(await page.getByLabel('Identifiant', { exact: true }).inputValue(), 'police');
    await page.getByLabel('Langue').selectOption('en');
    await message.filter({ hasText: 'Wrong login or password.' }).waitFor();
    await page.getByLabel('Language').selectOption('fr');
    await message.filter({ hasText: 'Identifiant ou mot de passe incorrect.' }).waitFor();
  });

  test('the first login of an account with a second factor enrols an authenticator', async () => {
    await page.getByLabel('Identifiant', { exact: true }).fill('double');
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Activer la double authentification' }).waitFor();
    secret = await page.getByTestId('totp-secret').getAttribute('data-secret');
    assert.match(secret, /^[A-Z2-7]{16,}=*$/);
    // Shown in groups of four, as text; the link as text and as a QR code.
    assert.match(await page.getByTestId('totp-secret').textContent(), /^([A-Z2-7=]{1,4} )*[A-Z2-7=]{1,4}$/);
    const uri = await page.getByTestId('otpauth-uri').textContent();
    assert.match(uri, /^otpauth:\/\/totp\//);
    assert.ok(uri.includes(`secret=${secret}`), uri);
    await page.getByRole('img', { name: 'Code QR du lien d’enrôlement' }).waitFor();
    assert.equal(await qrOnPage(), uri, 'the QR code on the page reads back as the link');
    const code = page.getByLabel('Premier code à 6 chiffres');
    assert.equal(await code.getAttribute('inputmode'), 'numeric');
    assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login-code');
    await shot('10-enrol');
    await code.fill(totp(secret));
    await code.press('Enter');
    await page.waitForFunction(() => window.vigie?.ready === true);
    assert.equal(await page.getByTestId('role').textContent(), 'Opérateur');
    assert.equal(await page.getByTestId('post').textContent(), "Sécurité de l'espace public");
  });

  test('logging out returns to the login screen, and a reload stays there', async () => {
    await logOut();
    await page.getByTestId('login-message').filter({ hasText: 'Vous êtes déconnecté.' }).waitFor();
    await page.reload();
    await loginScreen();
    assert.equal(await page.evaluate(() => window.vigie.app), null);
  });

  test('a login with a TOTP code: a wrong code is refused, the right one opens the console', async () => {
    await page.getByLabel('Identifiant', { exact: true }).fill('double');
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Second facteur' }).waitFor();
    const code = page.getByLabel('Code à 6 chiffres');
    assert.equal(await code.getAttribute('inputmode'), 'numeric');
    // The enrolment's code was taken: wait for the next one.
    await nextTotpStep();
    const right = totp(secret);
    await code.fill(String((Number(right) + 1) % 1_000_000).padStart(6, '0'));
    await code.press('Enter');
    await page.getByTestId('login-message').filter({ hasText: 'Code incorrect.' }).waitFor();
    await shot('11-totp');
    await code.fill(right);
    await page.getByRole('button', { name: 'Valider le code' }).click();
    await page.waitForFunction(() => window.vigie?.ready === true);
    assert.equal(await page.getByTestId('operator').getAttribute('title'), 'double');
    await logOut();
  });

  test('an operator scoped to one command post sees only its incidents', async () => {
    const { incident: theirs } = await api(server, 'POST', '/api/incidents', { category: 'intrusion', title: 'Rixe devant la gare', priority: 'p2', post: 'police-municipale' }, chef);
    const { incident: other } = await api(server, 'POST', '/api/incidents', { category: 'fire', title: 'Fumée au gymnase', priority: 'p2', post: 'batiments-publics' }, chef);
    await signInPage(page, 'police');
    await page.locator(`#queue-list [data-incident-id="${theirs.id}"]`).waitFor();
    assert.equal(await page.locator(`#queue-list [data-incident-id="${other.id}"]`).count(), 0);
    const posts = await page.evaluate(() => [...window.vigie.app.state.incidents.values()].map((incident) => incident.post));
    assert.deepEqual([...new Set(posts)], ['police-municipale']);
    assert.equal(await page.getByTestId('post').textContent(), 'Police municipale');
    // Neither does the live stream bring it.
    const { incident: later } = await api(server, 'POST', '/api/incidents', { category: 'fire', title: 'Départ de feu, piscine', priority: 'p1', post: 'batiments-publics' }, chef);
    const { incident: mine } = await api(server, 'POST', '/api/incidents', { category: 'intrusion', title: 'Vitrine brisée', priority: 'p3', post: 'police-municipale' }, chef);
    await page.locator(`#queue-list [data-incident-id="${mine.id}"]`).waitFor();
    assert.equal(await page.evaluate((id) => window.vigie.app.state.incidents.has(id), later.id), false);
    // Operators do not shelve alarms: the supervision tab offers no Shelve.
    await page.getByRole('tab', { name: 'Supervision' }).click();
    await page.getByTestId('rate-chart').waitFor();
    assert.equal(await page.locator('[data-action="shelve"]').count(), 0);
    await page.getByRole('tab', { name: 'File d’incidents' }).click();
  });

  test('a session that ends brings the login screen back with a message', async () => {
    await context.clearCookies();
    await page.locator('#queue-list [data-incident-id]').first().click();
    await page.getByTestId('login-message').filter({ hasText: 'Votre session a pris fin : reconnectez-vous.' }).waitFor();
    assert.equal(await page.evaluate(() => window.vigie.app), null);
  });

  test('the evidence of a video alarm shows in the incident detail, and opens large', async () => {
    const jpeg = await sampleJpeg();
    const snapshot = await sensors.request('POST', `/api/snapshots?camera=${CAMERA}&sensor=${encodeURIComponent(DENSITY)}`, undefined, { bytes: jpeg, contentType: 'image/jpeg' });
    assert.ok(snapshot.id, JSON.stringify(snapshot));
    await signInPage(page, 'place');
    const now = Date.now();
    await api(server, 'POST', '/api/observations', {
      observations: [
        { sensor_id: DENSITY, time: now - 1000, value: 0.07, evidence: snapshot.id },
        { sensor_id: DENSITY, time: now, value: 0.08, evidence: snapshot.id },
      ],
    }, sensors);
    const row = page.locator('#queue-list [data-incident-id]').first();
    await row.waitFor({ timeout: 10_000 });
    evidenceIncident = Number(await row.getAttribute('data-incident-id'));
    await row.click();
    const section = page.getByTestId('evidence');
    await section.getByRole('heading', { name: 'Preuves' }).waitFor();
    await section.getByText('Visages et têtes floutés').waitFor();
    const item = section.locator(`li[data-evidence-id="${snapshot.id}"]`);
    await item.waitFor();
    assert.match(await item.textContent(), /Place de la Libération — caméra 05/);
    assert.match(await item.textContent(), /Expire le \d\d\/\d\d\/\d{4}/);
    const thumb = item.locator('img');
    assert.equal(await thumb.getAttribute('src'), `/api/snapshots/${snapshot.id}`);
    await page.waitForFunction((id) => {
      const image = document.querySelector(`[data-evidence-id="${id}"] img`);
      return image?.complete && image.naturalWidth === 320;
    }, snapshot.id);
    await item.getByRole('button').click();
    const large = page.getByTestId('evidence-large');
    await large.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="evidence-large"]')?.naturalWidth === 320);
    await shot('12-evidence');
    await page.keyboard.press('Escape');
    await page.locator('dialog.evidence-dialog').waitFor({ state: 'detached' });
  });

  test('the data protection officer sees the incident and its evidence, read-only', async () => {
    assert.ok(evidenceIncident, 'the evidence test opened an incident');
    await logOut();
    await signInPage(page, 'dpd');
    assert.equal(await page.getByTestId('read-only').textContent(), 'Lecture seule');
    assert.equal(await page.getByRole('tab', { name: 'Supervision' }).count(), 0);
    await page.locator(`#queue-list [data-incident-id="${evidenceIncident}"]`).click();
    await page.getByTestId('evidence').locator('img').first().waitFor();
    await page.getByRole('heading', { name: 'Fiche réflexe' }).waitFor();
    assert.equal(await page.locator('article.detail [data-action], article.detail [data-step-action]').count(), 0);
    assert.equal(await page.locator('#note-input').isVisible(), false);
    await logOut();
  });

  test('a supervisor is offered to shelve the standing alarm', async () => {
    await signInPage(page, 'chef');
    await page.getByRole('tab', { name: 'Supervision' }).click();
    const shelve = page.locator('[data-testid="standing-alarms"] li', { hasText: DENSITY }).locator('[data-action="shelve"]');
    await shelve.waitFor();
    await shelve.click();
    const dialog = page.locator('dialog[open]');
    await dialog.getByLabel('Motif de la mise en sommeil').fill('Caméra en maintenance');
    await dialog.getByRole('button', { name: 'Mettre en sommeil' }).click();
    await page.locator('[data-action="unshelve"]').first().waitFor();
    await logOut();
  });

  test('no error in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

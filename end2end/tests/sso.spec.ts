// SAML single sign-on in Chromium with a live IdP process that signs with a real key
// (end2end/saml_idp.py serve): SCIM provisions a person → "Log in with single sign-on" → the
// IdP → back at the ACS → logged in; the IdP-initiated path (the app tile); SCIM suspension
// ends the SSO session.
import { test, expect, Page } from '@playwright/test';
import { spawn, ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, cli, Running, ROOT, scimRequest, scimUser, SUSPEND } from './server';
import { axe } from './axe';

const SCRIPT = join(ROOT, 'end2end', 'saml_idp.py');
let server: Running;
let account: string;
let token: string;
let idp: ChildProcess;
let idpUrl: string;
let idpDir: string;

test.beforeAll(async () => {
  server = await startServer();
  account = await cli(server.databaseUrl, ['account', 'create', '--name', 'Acme']);
  await cli(server.databaseUrl, ['admin', 'create', '--account', account, '--email', 'admin@example.com'], { ROLLCALL_PASSWORD: 'violet-harbour-engine-42' });
  token = await cli(server.databaseUrl, ['api-key', 'create', '--account', account, '--name', 'OneLogin']);
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-idp-'));
  idpDir = dir;
  idp = spawn('python3', [SCRIPT, 'serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  idpUrl = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the test IdP did not start')), 10_000);
    idp.stdout!.on('data', (d) => {
      const m = d.toString().match(/idp listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
  });
  execFileSync('python3', [SCRIPT, 'keygen', dir, '--sso-url', `${idpUrl}/sso`]);
  await cli(server.databaseUrl, ['saml', 'configure', '--account', account, '--idp-metadata', join(dir, 'metadata.xml')]);
});
test.afterAll(async () => { idp?.kill(); await server?.stop(); });

async function scim(method: string, path: string, body?: unknown) {
  return scimRequest(server.url, account, token, method, path, body);
}

async function whoami(page: Page) {
  return page.evaluate(() => fetch('/api/whoami', { method: 'POST' }).then((r) => r.json()));
}

test('SCIM user → "Log in with single sign-on" → IdP → ACS → logged in; the app tile; suspension ends it', async ({ browser }) => {
  const created = await scim('POST', '/Users', scimUser('grace@example.com', 'Grace', 'Hopper'));
  expect(created.status).toBe(201);

  // SP-initiated, from the log-in page.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.getByRole('link', { name: 'Log in with single sign-on' }).click();
  await expect(page.getByRole('heading', { name: 'Log in with single sign-on' })).toBeVisible();
  await axe(page);
  await page.getByLabel('E-mail').fill('grace@example.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('link', { name: 'Continue to Acme' }).click();
  await expect(page.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  expect(page.url().startsWith(idpUrl)).toBe(true);
  await page.getByLabel('E-mail').fill('grace@example.com');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/`);
  expect((await whoami(page)).LoggedIn?.email).toBe('grace@example.com');
  await context.close();

  // IdP-initiated (the OneLogin app tile): an unsolicited response, then the page asked for.
  const tile = await browser.newContext();
  const tilePage = await tile.newPage();
  const entity = `${server.url}/saml/account/${account}`;
  const start = `${idpUrl}/start?acs=${encodeURIComponent(entity + '/acs')}&audience=${encodeURIComponent(entity)}&email=grace%40example.com&relay=%2Fprofile`;
  await tilePage.goto(start);
  await tilePage.waitForURL(`${server.url}/profile`);
  expect((await whoami(tilePage)).LoggedIn?.email).toBe('grace@example.com');

  // Suspended by the IdP: the SSO session ends at once, and SSO refuses them with the reason.
  const off = await scim('PATCH', `/Users/${created.body.id}`, SUSPEND);
  expect(off.status).toBe(200);
  expect(await whoami(tilePage)).toBe('Anonymous');
  await tilePage.goto(start);
  await expect(tilePage.getByRole('alert')).toContainText('suspended');
  await axe(tilePage);
  await tile.close();
});

test('the Single Sign-On page: values to paste, the trusted IdP, switches, attempts', async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}/login`);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByLabel('E-mail').fill('admin@example.com');
  await page.getByLabel('Password', { exact: true }).fill('violet-harbour-engine-42');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await page.getByRole('link', { name: 'Single Sign-On' }).click();
  await expect(page.getByRole('heading', { name: 'Single Sign-On', level: 1 })).toBeVisible();
  const entity = `${server.url}/saml/account/${account}`;
  await expect(page.getByLabel('Audience (EntityID)')).toHaveValue(entity);
  await expect(page.getByLabel('ACS (Consumer) URL and Recipient')).toHaveValue(`${entity}/acs`);
  await expect(page.getByText('CN=Test IdP')).toBeVisible();
  await expect(page.locator('[data-sso-state]')).toHaveText('On — passwords still work');
  // The refusal of the previous test is there, with its reason.
  await expect(page.locator('tr[data-success="false"]').first()).toContainText('suspended');
  await axe(page);
  // A broken paste is a field error and changes nothing.
  await page.getByLabel('IdP metadata (XML)').fill('<not metadata');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('This is not SAML metadata')).toBeVisible();
  await expect(page.locator('[data-sso-state]')).toHaveText('On — passwords still work');
  // The real metadata with "enforce" on.
  await page.getByLabel('IdP metadata (XML)').fill(readFileSync(join(idpDir, 'metadata.xml'), 'utf8'));
  await page.getByLabel(/^Enforce/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('[data-sso-state]')).toContainText('enforced');
  await axe(page);
});

test('Test sign-on in a new tab shows every check; metadata upload and values by hand', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByLabel('E-mail').fill('admin@example.com');
  await page.getByLabel('Password', { exact: true }).fill('violet-harbour-engine-42');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await page.goto(`${server.url}/single-sign-on`);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });

  // Test sign-on: a real round trip through the IdP in a new tab, answered by a report.
  const [report] = await Promise.all([
    context.waitForEvent('page'),
    page.getByRole('link', { name: 'Test sign-on' }).click(),
  ]);
  await expect(report.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  await report.getByLabel('E-mail').fill('admin@example.com');
  await report.getByRole('button', { name: 'Sign in' }).click();
  await expect(report.getByRole('heading', { name: 'Test sign-on' })).toBeVisible();
  await expect(report.locator('[data-test-outcome]')).toHaveAttribute('data-test-outcome', 'passed');
  await expect(report.locator('tr[data-check]')).toHaveCount(10);
  await expect(report.locator('tr[data-check="user"]')).toContainText('admin@example.com is active');
  await axe(report);
  await report.close();
  await page.reload();
  await expect(page.locator('tr[data-test="true"]').first()).toContainText('Test passed');

  // Upload the metadata file: it fills the text area, and saving trusts it.
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByLabel('Or upload the metadata file').setInputFiles(join(idpDir, 'metadata.xml'));
  await expect(page.getByLabel('IdP metadata (XML)')).toHaveValue(/EntityDescriptor/);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByLabel('IdP metadata (XML)')).toHaveValue('');
  await expect(page.getByText('CN=Test IdP')).toBeVisible();

  // By hand: a missing SSO URL is an error next to that field; complete, it is saved.
  await page.getByText("No metadata? Enter the IdP's values by hand").click();
  await page.getByLabel('IdP entity id (OneLogin: Issuer URL)').fill('http://idp.test/metadata');
  await page.getByLabel('Signing certificate (PEM; two for a rollover)').fill(readFileSync(join(idpDir, 'cert.pem'), 'utf8'));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Enter the IdP\'s SSO URL')).toBeVisible();
  await page.getByLabel('SSO URL (OneLogin: SAML 2.0 Endpoint (HTTP))').fill(`${idpUrl}/sso`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Enter the IdP\'s SSO URL')).toHaveCount(0);
  await expect(page.locator('dd code').filter({ hasText: `${idpUrl}/sso` })).toBeVisible();
  await axe(page);
  await context.close();
});

import { test, expect } from '@playwright/test';
import { startServer, cli, Running, scimRequest, scimUser, SUSPEND } from './server';
import { startSmtp, linkIn, Sink } from './smtp';
import { axe } from './axe';

const ADMIN = 'admin@example.com';
const ADMIN_PASSWORD = 'violet-harbour-engine-42';
const NEW_PASSWORD = 'copper-lantern-river-77';

let smtp: Sink;
let server: Running;
let account: string;
let token: string;

test.beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer(['--smtp-url', smtp.url]);
  account = await cli(server.databaseUrl, ['account', 'create', '--name', 'Acme']);
  await cli(server.databaseUrl, ['admin', 'create', '--account', account, '--email', ADMIN], { ROLLCALL_PASSWORD: ADMIN_PASSWORD });
  token = await cli(server.databaseUrl, ['api-key', 'create', '--account', account, '--name', 'OneLogin']);
});
test.afterAll(async () => { await server?.stop(); smtp?.stop(); });

async function scim(method: string, path: string, body?: unknown) {
  return scimRequest(server.url, account, token, method, path, body);
}

test('SCIM user → invite mail → sign up → logged in → Active; suspension logs the browser out', async ({ browser }, testInfo) => {
  const created = await scim('POST', '/Users', scimUser('grace@example.com', 'Grace', 'Hopper'));
  expect(created.status).toBe(201);

  // The invite arrives at the real SMTP server.
  const mail = await smtp.waitFor(1);
  expect(mail).toContain('To: grace@example.com');
  const link = linkIn(mail, '/signup/');

  // Sign up in the browser.
  const grace = await browser.newContext();
  const page = await grace.newPage();
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'Join Acme on Rollcall' })).toBeVisible();
  await expect(page.getByLabel('E-mail')).toHaveValue('grace@example.com');
  await expect(page.getByLabel('E-mail')).toHaveAttribute('readonly', '');
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.screenshot({ path: testInfo.outputPath('04-signup.png'), fullPage: true });
  await axe(page);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'SIGN UP' }).click();
  await expect(page.locator('#input_password_-error')).toContainText('12 characters');
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Confirm password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'SIGN UP' }).click();

  // Logged in, on their home page (a member's home is their profile).
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  await axe(page);
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await expect(page.getByText('grace@example.com')).toBeVisible();

  // The administrator sees Grace as Active.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await admin.goto(`${server.url}/login`);
  await admin.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await admin.getByLabel('E-mail').fill(ADMIN);
  await admin.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await admin.getByRole('button', { name: 'Log in' }).click();
  await expect(admin).toHaveURL(/\/users$/);
  const row = admin.locator('tr[data-email="grace@example.com"]');
  await expect(row.getByText('Active')).toBeVisible();
  await expect(row.getByText('Identity provider')).toBeVisible();
  await admin.screenshot({ path: testInfo.outputPath('05-users.png'), fullPage: true });

  // The IdP suspends Grace: her browser is logged out on its next navigation.
  const suspended = await scim('PATCH', `/Users/${created.body.id}`, SUSPEND);
  expect(suspended.status).toBe(200);
  await page.goto(`${server.url}/profile`);
  await expect(page).toHaveURL(/\/login$/);
  await admin.reload();
  await expect(admin.locator('tr[data-email="grace@example.com"]').getByText('Suspended')).toBeVisible();
});

import { test, expect, Page } from '@playwright/test';
import { startServer, Running } from './server';
import { axe } from './axe';

const EMAIL = 'ada@example.com';
const PASSWORD = 'violet-harbour-engine-42';

let server: Running;
test.beforeAll(async () => { server = await startServer(); });
test.afterAll(async () => { await server?.stop(); });

/** Waits until the WASM has hydrated the page (the form is then handled without a reload). */
async function hydrated(page: Page) {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
}

test('first run → log out → log in → shell → wrong password', async ({ page }, testInfo) => {
  // The Content-Security-Policy is enforced: anything it blocks (a script without the page's
  // nonce, the WASM) shows up here, and hydration would not happen.
  const blocked: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  expect(server.setupCode, 'the server prints a set-up code on first run').toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);

  // First run: "/" shows the set-up page.
  await page.goto(server.url + '/');
  await expect(page.getByRole('heading', { name: 'Welcome to Rollcall' })).toBeVisible();
  await hydrated(page);
  await page.screenshot({ path: testInfo.outputPath('01-setup.png'), fullPage: true });
  await axe(page);

  // A wrong code is reported next to its field, and nothing is created.
  await page.getByLabel('Set-up code').fill('AAAA-BBBB-CCCC');
  await page.getByLabel('Account name').fill('Acme');
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('Your e-mail').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#input_setup_code_-error')).toContainText('not the set-up code');

  await page.getByLabel('Set-up code').fill(server.setupCode!);
  await page.getByRole('button', { name: 'Create account' }).click();

  // Logged in as the first administrator: the Access Management shell.
  await expect(page).toHaveURL(/\/users$/);
  const nav = page.getByRole('navigation', { name: 'Access Management' });
  for (const item of ['Users', 'User Groups', 'API Keys', 'SCIM Provisioning', 'Audit Log', 'Settings']) {
    await expect(nav.getByRole('link', { name: item })).toBeVisible();
  }
  await expect(page.getByText('Acme')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('02-shell.png'), fullPage: true });

  // Client-side navigation in the hydrated shell.
  await nav.getByRole('link', { name: 'API Keys' }).click();
  await expect(page.getByRole('heading', { name: 'API Keys' })).toBeVisible();
  await expect(page).toHaveURL(/\/api-keys$/);

  // SCIM Provisioning: the base URL to paste into OneLogin, and the connection status.
  await nav.getByRole('link', { name: 'SCIM Provisioning' }).click();
  await expect(page.getByRole('heading', { name: 'SCIM Provisioning' })).toBeVisible();
  await expect(page.getByLabel('SCIM Base URL')).toHaveValue(new RegExp(`^${server.url}/scim/account/[A-Za-z0-9]{22}$`));
  await expect(page.getByText('No request yet')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('06-scim.png'), fullPage: true });
  // Settings: account id, mail mode.
  await nav.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByLabel('Account ID')).toHaveValue(/^[A-Za-z0-9]{22}$/);
  await expect(page.getByText('No SMTP configured')).toBeVisible();

  // Log out → the log-in page.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Log in to Rollcall' })).toBeVisible();

  // A page needs a session again.
  await page.goto(server.url + '/users');
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);

  // Wrong password: a clear error, still on the log-in page.
  await page.getByLabel('E-mail').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill('not-the-password-1');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'E-mail or password is incorrect.' })).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
  await page.screenshot({ path: testInfo.outputPath('03-login-error.png'), fullPage: true });
  await axe(page);

  // Right password → the shell.
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(nav.getByRole('link', { name: 'Users' })).toBeVisible();
  expect(blocked, 'nothing blocked by the Content-Security-Policy').toEqual([]);
});

test('the log-in page works without JavaScript too', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(server.url + '/login');
  await page.getByLabel('E-mail').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole('navigation', { name: 'Access Management' })).toBeVisible();
  // The Users filters are a plain GET form; creating a group is a plain POST.
  await page.getByLabel('Search').fill('nobody-matches');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/\/users\?q=nobody-matches/);
  await expect(page.getByText('No users match these filters.')).toBeVisible();
  await page.goto(server.url + '/groups');
  await page.getByLabel('Group name').fill('No-JS group');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page).toHaveURL(/\/groups/);
  await page.goto(server.url + '/groups');
  await expect(page.getByRole('link', { name: 'No-JS group' })).toBeVisible();
  await context.close();
});

test('the forgot-password page passes axe and answers the same for any e-mail', async ({ page }) => {
  await page.goto(server.url + '/forgot');
  await hydrated(page);
  await axe(page);
  await page.getByLabel('E-mail').fill('someone-else@example.com');
  await page.getByRole('button', { name: /send/i }).click();
  await expect(page.getByText('If an account uses this e-mail')).toBeVisible();
  await axe(page);
});

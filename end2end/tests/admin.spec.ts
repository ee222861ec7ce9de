// The Access Management UI in Debian Chromium against the real binary: every page, every
// administrator action, the read-only rules for provisioned users and SCIM groups, the one-time
// token, the live provisioning feed, axe-core on every page (0 serious/critical), 375 px and
// the dark theme. Screenshots are written as test artifacts (docs/screenshots has three).
import { test, expect, Page } from '@playwright/test';
import { axe } from './axe';
import { startServer, cli, Running, scimRequest } from './server';

const ADMIN = 'admin@example.com';
const PASSWORD = 'violet-harbour-engine-42';

let server: Running;
let account: string;
let token: string;
let page: Page;

async function scim(method: string, path: string, body?: unknown, bearer = token) {
  return scimRequest(server.url, account, bearer, method, path, body);
}

async function open(path: string) {
  await page.goto(`${server.url}${path}`);
  await hydrated();
}

// Pages are server-rendered; their islands (forms, buttons) hydrate after load. Buttons that
// need their handler are disabled until then; a form submitted earlier goes to the server
// without JavaScript. Wait when a test wants the JavaScript path (e.g. an error shown in place).
async function hydrated() {
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
}

let graceId: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  server = await startServer();
  account = await cli(server.databaseUrl, ['account', 'create', '--name', 'Acme']);
  await cli(server.databaseUrl, ['admin', 'create', '--account', account, '--email', ADMIN, '--first-name', 'Ada', '--last-name', 'Admin'], { ROLLCALL_PASSWORD: PASSWORD });
  token = await cli(server.databaseUrl, ['api-key', 'create', '--account', account, '--name', 'OneLogin']);
  const grace = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: 'grace@example.com', name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ value: 'grace@example.com', primary: true }], active: true,
  });
  expect(grace.status).toBe(201);
  graceId = grace.body.id;
  expect((await scim('POST', '/Groups', { displayName: 'Engineering', members: [{ value: graceId }] })).status).toBe(201);

  page = await (await browser.newContext()).newPage();
  await open('/login');
  await page.getByLabel('E-mail').fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);
});
test.afterAll(async () => { await server?.stop(); });

test('Users: table, search and filters in the URL, invite dialog, CSV export', async ({}, testInfo) => {
  await open('/users');
  const grace = page.locator('tr[data-email="grace@example.com"]');
  await expect(grace.getByText('Identity provider')).toBeVisible();
  await expect(grace.getByText('Invited')).toBeVisible();
  await expect(grace.getByText('Engineering')).toBeVisible();
  await axe(page);

  // Invite a person into a manual group made for it.
  await open('/groups');
  await page.getByLabel('Group name').fill('Support');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('link', { name: 'Support', exact: true })).toBeVisible();
  await open('/users');
  await page.getByRole('button', { name: 'Invite user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite a user' });
  await dialog.getByLabel('E-mail').fill('grace@example.com');
  await dialog.getByRole('button', { name: 'Send invite' }).click();
  await expect(dialog.locator('#input_email_-error')).toContainText('already a user of this account');
  await dialog.getByLabel('E-mail').fill('lin@example.com');
  await expect(dialog.locator('#input_email_-error')).toBeEmpty(); // it was about the old value
  await dialog.getByLabel('First name').fill('Lin');
  await dialog.getByLabel('Last name').fill('Zhang');
  await dialog.getByLabel('Support').check();
  await axe(page);
  await page.screenshot({ path: testInfo.outputPath('users-invite.png'), fullPage: true });
  await dialog.getByRole('button', { name: 'Send invite' }).click();
  await expect(page.getByText('Invitation sent.')).toBeVisible();
  const lin = page.locator('tr[data-email="lin@example.com"]');
  await expect(lin.getByText('Manual')).toBeVisible();
  await expect(lin.getByText('Support')).toBeVisible();

  // Search and filters live in the URL; back returns to the previous view.
  await page.getByLabel('Search').fill('hopp');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=hopp/);
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(grace).toBeVisible();
  await page.getByLabel('Status').selectOption('active');
  await page.getByLabel('Search').fill('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/status=active/);
  await expect(page.locator('tr[data-email="admin@example.com"]')).toBeVisible();
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await page.goBack();
  await expect(page).toHaveURL(/q=hopp/);
  await expect(page.getByLabel('Search')).toHaveValue('hopp');
  await page.screenshot({ path: testInfo.outputPath('users-search.png'), fullPage: true });

  // CSV of the current filter.
  await open('/users?source=manual');
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  expect(href).toBe('/export/users.csv?source=manual');
  const csv = await (await page.request.get(`${server.url}${href}`)).text();
  expect(csv).toContain('lin@example.com');
  expect(csv).toContain('admin@example.com');
  expect(csv).not.toContain('grace@example.com');
});

test('User detail: a provisioned user is read-only, with the reason', async ({}, testInfo) => {
  await open('/users');
  await page.getByRole('link', { name: 'Grace Hopper' }).click();
  await expect(page.getByRole('heading', { name: 'Grace Hopper', level: 1 })).toBeVisible();
  await expect(page.getByRole('note')).toContainText('Managed by your identity provider');
  await expect(page.getByRole('note')).toContainText('OneLogin');
  await expect(page.getByRole('button', { name: 'Delete user' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Suspend' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save name' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Resend invite' })).toBeVisible();
  await expect(page.getByText('user.provisioned')).toBeVisible();
  await axe(page);
  await page.screenshot({ path: testInfo.outputPath('user-provisioned.png'), fullPage: true });
});

test('User detail: a manual user is renamed, suspended, reactivated, re-invited and deleted', async () => {
  await open('/users?q=lin');
  await page.getByRole('link', { name: 'Lin Zhang' }).click();
  await expect(page.getByRole('heading', { name: 'Lin Zhang', level: 1 })).toBeVisible();
  await page.getByLabel('First name').fill('Linda');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(page.getByRole('heading', { name: 'Linda Zhang', level: 1 })).toBeVisible();

  await page.getByRole('button', { name: 'Revoke invite' }).click();
  await page.getByRole('button', { name: 'Yes, revoke invite' }).click();
  await expect(page.getByText('Revoked', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Resend invite' }).click();
  await expect(page.getByText('Pending', { exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Suspend' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Suspend' });
  await expect(confirm).toContainText('logged out at once');
  await expect(confirm.getByRole('button', { name: 'Yes, suspend' })).toBeFocused();
  await axe(page);
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await page.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('button', { name: 'Yes, suspend' }).click();
  await expect(page.locator('.badges').getByText('Suspended')).toBeVisible();
  await page.getByRole('button', { name: 'Reactivate' }).click();
  await expect(page.locator('.badges').getByText('Invited')).toBeVisible();
  for (const action of ['user.updated', 'user.invite_revoked', 'user.invite_resent', 'user.suspended', 'user.reactivated']) {
    await expect(page.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }

  await page.getByRole('button', { name: 'Delete user' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('cannot be undone');
  await page.getByRole('button', { name: 'Yes, delete user' }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.locator('tr[data-email="lin@example.com"]')).toHaveCount(0);

  // Administrators cannot suspend or delete themselves.
  await page.getByRole('link', { name: 'Ada Admin' }).click();
  await expect(page.getByText('you cannot suspend or delete your own account')).toBeVisible();
});

test('User groups: manual CRUD and members; SCIM groups read-only; the built-in group protected', async ({}, testInfo) => {
  await open('/groups');
  await expect(page.getByRole('row', { name: /Engineering/ }).getByText('Identity provider')).toBeVisible();
  await axe(page);
  await page.getByRole('link', { name: 'Support', exact: true }).click();
  await page.waitForURL(/\/groups\/[^/]+$/);
  await hydrated();
  await page.getByLabel('Add a member by e-mail').fill('nobody@example.com');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.locator('#member-email-error')).toContainText('No user of this account');
  await expect(page.getByLabel('Add a member by e-mail')).toHaveValue('nobody@example.com');
  await page.getByLabel('Add a member by e-mail').fill('grace@example.com');
  await page.getByRole('button', { name: 'Add member' }).click();
  await expect(page.locator('tr[data-email="grace@example.com"]')).toBeVisible();
  await page.getByLabel('Group name').fill('Customer Support');
  await page.getByRole('button', { name: 'Rename' }).click();
  await expect(page.getByRole('heading', { name: 'Customer Support', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: 'Remove grace@example.com' }).click();
  await expect(page.locator('tr[data-email="grace@example.com"]')).toHaveCount(0);
  await axe(page);
  await page.getByRole('button', { name: 'Delete group' }).click();
  await page.getByRole('button', { name: 'Yes, delete group' }).click();
  await expect(page).toHaveURL(/\/groups$/);
  await expect(page.getByRole('link', { name: 'Customer Support' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Engineering' }).click();
  await expect(page.getByRole('note')).toContainText('pushed by your identity provider');
  await expect(page.getByRole('button', { name: 'Add member' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Delete group' })).toHaveCount(0);
  await expect(page.locator('tr[data-email="grace@example.com"]')).toBeVisible();

  await open('/groups');
  await page.getByRole('link', { name: 'Account Administrator' }).click();
  await expect(page.getByRole('button', { name: 'Delete group' })).toHaveCount(0);
  await page.getByRole('button', { name: `Remove ${ADMIN}` }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'last active Account Administrator' })).toBeVisible();
  await expect(page.locator(`tr[data-email="${ADMIN}"]`)).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('group-admin.png'), fullPage: true });
});

test('API keys: the token is shown once, works, and stops at once when revoked', async ({}, testInfo) => {
  await open('/api-keys');
  await expect(page.locator('tr', { hasText: 'OneLogin' }).getByText('Active')).toBeVisible();
  await axe(page);
  await page.getByRole('button', { name: 'Create API key' }).click();
  await page.getByLabel('Name').fill('Okta test');
  await expect(page.getByLabel('Account Administrator')).toBeChecked();
  await page.getByLabel('Expires after').selectOption('custom');
  await page.getByLabel('Custom: days').fill('9999');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.locator('#key-custom-days-error')).toContainText('1 to 3650');
  // Nothing the administrator entered is lost by the error.
  await expect(page.getByLabel('Name')).toHaveValue('Okta test');
  await expect(page.getByLabel('Expires after')).toHaveValue('custom');
  await page.getByLabel('Custom: days').fill('45');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'shown only this once' })).toBeVisible();
  const in45 = new Date(Date.now() + 45 * 86_400_000).toISOString().slice(0, 10);
  await expect(page.getByText(`It expires ${in45}`)).toBeVisible();
  const newToken = await page.getByLabel('Bearer token').inputValue();
  expect(newToken).toMatch(/^rc_[A-Za-z0-9]{16}_[A-Za-z0-9]{32}$/);
  await axe(page);
  await page.screenshot({ path: testInfo.outputPath('api-key-token.png'), fullPage: true });
  expect((await scim('GET', '/Users', undefined, newToken)).status).toBe(200);

  // Never shown again.
  await open('/api-keys');
  await expect(page.getByText(newToken)).toHaveCount(0);
  expect(await page.content()).not.toContain(newToken);
  const row = page.locator('tr', { hasText: 'Okta test' });
  await expect(row.getByText(newToken.slice(0, 19))).toBeVisible();
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(row.getByText('Revoked')).toBeVisible();
  expect((await scim('GET', '/Users', undefined, newToken)).status).toBe(401);
});

test('SCIM provisioning: base URL, "create a token for OneLogin", the set-up steps', async () => {
  await open('/scim');
  await expect(page.getByLabel('SCIM Base URL')).toHaveValue(`${server.url}/scim/account/${account}`);
  await expect(page.getByText('Last success')).toBeVisible();
  await axe(page);
  await page.getByRole('button', { name: 'Create a token for OneLogin' }).click();
  await expect(page.getByLabel('Name')).toHaveValue('OneLogin');
  await page.getByRole('button', { name: 'Create key' }).click();
  const t = await page.getByLabel('Bearer token').inputValue();
  expect((await scim('GET', '/ServiceProviderConfig', undefined, t)).status).toBe(200);
  await axe(page);
});

test('Provisioning activity: a SCIM request made now streams in live; the drawer says why it failed', async ({}, testInfo) => {
  await open('/activity');
  await expect(page.getByText('● Live')).toBeVisible();
  await axe(page);
  const before = await page.locator('tbody tr').count();
  // A duplicate: OneLogin would report "provisioning failed".
  const dup = await scim('POST', '/Users', { userName: 'grace@example.com', emails: [{ value: 'grace@example.com' }] });
  expect(dup.status).toBe(409);
  await expect(page.locator('tbody tr')).toHaveCount(before + 1);
  const row = page.locator('tbody tr').first();
  await expect(row).toContainText('POST');
  await expect(row).toContainText('409');
  await row.getByRole('button', { name: 'Details' }).click();
  const drawer = page.getByRole('dialog', { name: 'Request details' });
  await expect(drawer).toContainText('409');
  await expect(drawer).toContainText('already');
  await expect(drawer.getByRole('note')).toContainText('Another user already has this e-mail');
  await axe(page);
  await page.screenshot({ path: testInfo.outputPath('activity-drawer.png'), fullPage: true });
  await page.keyboard.press('Escape');
  await expect(drawer).toHaveCount(0);

  await page.getByLabel('Outcome').selectOption('failure');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/outcome=failure/);
  const statuses = await page.locator('tbody tr td:nth-child(3)').allTextContents();
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.every((s) => Number(s) >= 400)).toBe(true);
});

test('Audit log: every action above, filterable', async () => {
  await open('/audit');
  for (const action of ['user.deleted', 'group.created', 'api_key.revoked', 'session.login', 'user.provisioned']) {
    await expect(page.locator(`tr[data-action="${action}"]`).first()).toBeVisible();
  }
  await axe(page);
  await page.getByLabel('What').selectOption('api_key');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/category=api_key/);
  const actions = await page.locator('tbody tr td:nth-child(3)').allTextContents();
  expect(actions.length).toBeGreaterThan(0);
  expect(actions.every((a) => a.startsWith('api_key.'))).toBe(true);
});

test('Settings and Outbox pass axe; 375 px has no sideways scrolling; the dark theme passes axe', async ({}, testInfo) => {
  for (const path of ['/settings', '/outbox']) {
    await open(path);
    await axe(page);
  }
  await page.setViewportSize({ width: 375, height: 800 });
  for (const path of ['/users', '/users/' + graceId, '/groups', '/api-keys', '/scim', '/activity', '/audit']) {
    await open(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} at 375 px`).toBeLessThanOrEqual(0);
  }
  await page.screenshot({ path: testInfo.outputPath('audit-375.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const path of ['/users', '/users/' + graceId, '/api-keys', '/activity']) {
    await open(path);
    await axe(page);
  }
  await page.screenshot({ path: testInfo.outputPath('users-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });

  // Keyboard: the skip link is the first stop and lands on the content.
  await open('/users');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
});

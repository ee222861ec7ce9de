// The UI's assets in Debian Chromium (issue 13): content-hashed names served gzip-compressed
// with `Cache-Control: immutable`, a second visit that downloads none of them again, and the
// bytes a cold load of /login and /users transfers and the time until /users is interactive
// with the CPU throttled 4× — reported (test annotations and stdout), never asserted as times.
import { test, expect, Page, CDPSession } from '@playwright/test';
import { startServer, cli, Running } from './server';

const ADMIN = 'assets@example.com';
const PASSWORD = 'amber-kettle-window-31';

let server: Running;

test.describe.configure({ mode: 'serial' });
test.beforeAll(async () => {
  server = await startServer();
  const account = await cli(server.databaseUrl, ['account', 'create', '--name', 'Assets']);
  await cli(server.databaseUrl, ['admin', 'create', '--account', account, '--email', ADMIN], { ROLLCALL_PASSWORD: PASSWORD });
});
test.afterAll(async () => { await server?.stop(); });

/** Bytes on the wire per URL path of one navigation, from Chromium's network events. */
async function transfer(page: Page, cdp: CDPSession, path: string) {
  const urls = new Map<string, string>();
  const sizes = new Map<string, number>();
  const fromCache: string[] = [];
  cdp.on('Network.requestWillBeSent', (e: any) => urls.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.requestServedFromCache', (e: any) => fromCache.push(urls.get(e.requestId) ?? ''));
  cdp.on('Network.responseReceived', (e: any) => { if (e.response.fromDiskCache) fromCache.push(urls.get(e.requestId) ?? ''); });
  cdp.on('Network.loadingFinished', (e: any) => sizes.set(urls.get(e.requestId) ?? '', e.encodedDataLength));
  const start = Date.now();
  await page.goto(`${server.url}${path}`);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  const interactive = Date.now() - start;
  await page.waitForLoadState('networkidle');
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  return { sizes, total, interactive, fromCache };
}

test('hashed, compressed, immutable assets; cold-load bytes and time to interactive', async ({ browser }, testInfo) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');

  const seen: { path: string, headers: Record<string, string> }[] = [];
  page.on('response', r => { if (new URL(r.url()).pathname.startsWith('/pkg/')) seen.push({ path: new URL(r.url()).pathname, headers: r.headers() }); });
  const login = await transfer(page, cdp, '/login');
  const pkg = seen.map(s => s.path);
  expect(pkg.some(p => /^\/pkg\/rollcall\.[0-9a-f]{16}_bg\.wasm$/.test(p))).toBe(true);
  expect(pkg.some(p => /^\/pkg\/rollcall\.[0-9a-f]{16}\.js$/.test(p))).toBe(true);
  expect(pkg.some(p => /^\/pkg\/rollcall\.[0-9a-f]{16}\.css$/.test(p))).toBe(true);
  for (const s of seen) {
    expect(s.headers['cache-control'], s.path).toBe('public, max-age=31536000, immutable');
    expect(s.headers['content-encoding'], s.path).toBe('gzip');
  }
  const wasm = [...login.sizes].find(([p]) => p.endsWith('.wasm'))!;
  // Compressed on the wire, within the budget of 350 KiB (islands: only the interactive
  // parts of the pages are in the WASM).
  expect(wasm[1]).toBeLessThanOrEqual(350 * 1024);

  await page.getByLabel('E-mail').fill(ADMIN);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/users$/);

  // A second visit takes the assets from the browser's cache.
  const again = await transfer(page, cdp, '/users');
  expect(again.fromCache.filter(p => p.endsWith('.wasm')).length + (again.sizes.has(wasm[0]) ? 0 : 1)).toBeGreaterThan(0);

  // Cold /users (a new browser context logged in by cookie), CPU throttled 4×.
  const cookies = await context.cookies();
  const cold = await browser.newContext();
  await cold.addCookies(cookies);
  const coldPage = await cold.newPage();
  const coldCdp = await cold.newCDPSession(coldPage);
  await coldCdp.send('Network.enable');
  await coldCdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const users = await transfer(coldPage, coldCdp, '/users');
  expect(users.total).toBeGreaterThan(0);

  const report = `cold /login ${Math.round(login.total / 1024)} KiB transferred (WASM ${Math.round(wasm[1] / 1024)} KiB); ` +
    `cold /users ${Math.round(users.total / 1024)} KiB, interactive after ${users.interactive} ms with the CPU throttled 4x`;
  console.log(`ASSETS ${report}`);
  testInfo.annotations.push({ type: 'assets', description: report });
  await cold.close();
  await context.close();
});

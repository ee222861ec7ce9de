// One self-contained binary (issue 14): the release binary copied alone into an empty
// directory — no target/site, no --site-root — serves pages that hydrate, from the UI built
// into it.
import { test, expect } from '@playwright/test';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startServer, Running } from './server';

let server: Running;
let dir: string;
test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollcall-alone-'));
  const bin = join(dir, 'rollcall');
  copyFileSync(BIN, bin);
  // The copy is alone there: nothing to read the UI from but the binary itself.
  expect(readdirSync(dir)).toEqual(['rollcall']);
  server = await startServer([], { bin, cwd: dir });
});
test.afterAll(async () => { await server?.stop(); });

test('the binary alone, from an empty directory, serves a page that hydrates', async ({ page }) => {
  const assets: string[] = [];
  page.on('response', (r) => { if (r.url().includes('/pkg/')) assets.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  await page.goto(server.url + '/');
  await expect(page.getByRole('heading', { name: 'Welcome to Rollcall' })).toBeVisible();
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  // Hashed, immutable names served from the binary; the favicon too.
  expect(assets.some((a) => /^200 \/pkg\/rollcall\.[0-9a-f]{16}_bg\.wasm$/.test(a)), assets.join('\n')).toBe(true);
  const wasm = assets.find((a) => a.endsWith('_bg.wasm'))!.split(' ')[1];
  const res = await fetch(server.url + wasm, { headers: { 'accept-encoding': 'gzip' } });
  expect(res.headers.get('cache-control')).toContain('immutable');
  const icon = await fetch(server.url + '/favicon.svg');
  expect(icon.status).toBe(200);
  expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  expect(await icon.text()).toContain('<svg');
});

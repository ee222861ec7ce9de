// axe-core in the page under test: no serious or critical violation is allowed.
import { expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export async function axe(page: Page) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `axe on ${page.url()}`).toEqual([]);
}

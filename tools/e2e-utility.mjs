#!/usr/bin/env node
// The utility page (issue 14 §4) in headless Debian chromium (playwright-core), on a 375×667 phone viewport.
//
//   node tools/e2e-utility.mjs BASE_URL OUTAGE_NAME [SCREENSHOT.png]
//
// BASE_URL     a running hub where staff@hokuriku-power.example (password demo-pass-2026) owns a lifeline push source
//              reporting OUTAGE_NAME with a restoration estimate already passed
//
// Steps: staff sign in through the page's form; the outage is listed as overdue; its form shows one revision and the
// overdue flag; a revised estimate (six hours from now) is sent; the revision history then shows two revisions and
// no overdue flag; the page has no horizontal scroll. Prints one JSON line; exit 0 when every check passed.
import { launchChromium } from './chromium.mjs';

const [baseArg, outageName, screenshot] = process.argv.slice(2);
if (!baseArg || !outageName) {
  console.error('usage: node tools/e2e-utility.mjs BASE_URL OUTAGE_NAME [SCREENSHOT.png]');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const result = { ok: false, failures: [], pageErrors: [], steps: {} };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);

const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, timezoneId: 'Asia/Tokyo', locale: 'ja-JP', hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => result.pageErrors.push(e.message));
  await page.goto(`${base}/utility/`, { waitUntil: 'load' });
  await page.click('[data-testid="sign-in"]');
  await page.fill('[data-testid="signin-email"]', 'staff@hokuriku-power.example');
  await page.fill('[data-testid="signin-password"]', 'demo-pass-2026');
  await page.press('[data-testid="signin-password"]', 'Enter');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  const item = page.locator('[data-testid="outage-item"]', { hasText: outageName });
  result.steps.listedOverdue = await item.locator('[data-testid="outage-overdue"]').count();
  if (result.steps.listedOverdue !== 1) fail('list', 'the passed estimate is not flagged overdue in the list');
  await item.click();
  await page.waitForSelector('[data-testid="revision"]');
  result.steps.revisionsBefore = await page.locator('[data-testid="revision"]').count();
  if (result.steps.revisionsBefore !== 1) fail('history', `${result.steps.revisionsBefore} revisions before the change`);
  if (await page.locator('[data-testid="history-overdue"]').count() !== 1) fail('history', 'no overdue flag in the revision history');
  // six hours from now, to the minute, as the JST wall clock the form takes
  const eta = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 6 * 3600_000);
  result.steps.etaSent = eta.toISOString();
  await page.fill('[data-testid="eta"]', new Date(eta.getTime() + 9 * 3600_000).toISOString().slice(0, 16));
  await page.click('[data-testid="save"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="revision"]').length === 2, null, { timeout: 10_000 })
    .catch(() => fail('revise', 'the revision history never showed two revisions'));
  result.steps.formStatus = await page.textContent('[data-testid="form-status"]').catch(() => null);
  result.steps.notice = await page.textContent('[data-testid="notice"]');
  result.steps.history = await page.$$eval('[data-testid="history-item"]', (els) => els.map((e) => e.textContent));
  result.steps.revisions = await page.$$eval('[data-testid="revision"]', (els) => els.map((e) => e.textContent));
  if (await page.locator('[data-testid="history-overdue"]').count() !== 0) fail('revise', 'still overdue after the revision');
  result.steps.eta = await item.locator('[data-testid="outage-eta"]').textContent();
  result.steps.scroll = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  if (result.steps.scroll.scrollWidth > 375) fail('viewport', `horizontal scroll at 375 px: ${JSON.stringify(result.steps.scroll)}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
if (result.pageErrors.length) fail('page', result.pageErrors.join('; '));
result.ok = result.failures.length === 0;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

#!/usr/bin/env node
// The operator page (issue 14 §5) in headless Debian chromium (playwright-core), on a 375×667 phone viewport.
//
//   node tools/e2e-operator.mjs BASE_URL PULL_SOURCE_ID NEW_PERSON_EMAIL [SCREENSHOT.png]
//
// BASE_URL          a running hub with a scheduler, where admin@hub.example and clerk@nanao.example (password
//                   demo-pass-2026) exist, the organization nanao-city owns a source, and PULL_SOURCE_ID is an enabled
//                   pull source that has never been pulled
// NEW_PERSON_EMAIL  a person the page adds (organization nanao-city, role clerk, password new-clerk-pass-2026)
//
// Steps: the admin signs in through the page's form; the pull source shows its health (stale: never pulled); run now
// is pressed by keyboard and the source's last attempt changes, health ok, and the audit log shows sources.run; a key
// is created by keyboard only and its secret is shown once (gone after Done and a reload); a bad jurisdiction code is
// refused naming its field, deleting an organization that owns a source shows the 409's reason; a person is added and
// then signs in (and, not an admin, sees "operators only"), is disabled (sign-in refused), enabled and given a new
// password (only that one signs in); the source is disabled and enabled, then its features withdrawn (two presses), and
// the list drawn anew late leaves the focus where the user went on to (the keys form); the audit log filtered by action
// shows only that action;
// no horizontal page scroll at 375 px. Prints one JSON line (the key's token in steps.token); exit 0 when all passed.
import { launchChromium } from './chromium.mjs';

const [baseArg, sourceId, newEmail, screenshot] = process.argv.slice(2);
if (!baseArg || !sourceId || !newEmail) {
  console.error('usage: node tools/e2e-operator.mjs BASE_URL PULL_SOURCE_ID NEW_PERSON_EMAIL [SCREENSHOT.png]');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const NEW_PASSWORD = 'new-clerk-pass-2026';
const RESET_PASSWORD = 'reset-clerk-pass-2026';
const result = { ok: false, failures: [], pageErrors: [], steps: {} };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);
const noScroll = async (page, step) => {
  const s = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  if (s.scrollWidth > 375) fail(step, `horizontal scroll at 375 px: ${JSON.stringify(s)}`);
  return s;
};

async function signIn(page, email, password) {
  await page.click('[data-testid="sign-in"]');
  await page.fill('[data-testid="signin-email"]', email);
  await page.fill('[data-testid="signin-password"]', password);
  await page.press('[data-testid="signin-password"]', 'Enter');
}

const browser = await launchChromium();
try {
  const options = { viewport: { width: 375, height: 667 }, timezoneId: 'Asia/Tokyo', locale: 'ja-JP', hasTouch: true };
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => result.pageErrors.push(e.message));
  await page.goto(`${base}/operator/`, { waitUntil: 'load' });
  await signIn(page, 'admin@hub.example', 'demo-pass-2026');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });

  // sources: health, then run now by keyboard (focus the real button, Enter)
  const row = page.locator(`[data-testid="source-row"][data-id="${sourceId}"]`);
  result.steps.healthBefore = await row.locator('[data-testid="source-health"]').getAttribute('data-health');
  const attemptBefore = await row.locator('[data-testid="source-last-attempt"]').getAttribute('data-at');
  if (attemptBefore) fail('sources', `the source was already attempted at ${attemptBefore}`);
  await row.locator('[data-testid="source-run"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(({ id }) => document.querySelector(`[data-testid="source-row"][data-id="${id}"] [data-testid="source-last-attempt"]`)?.dataset.at,
    { id: sourceId }, { timeout: 45_000 }).catch(() => fail('run', 'last attempt never changed after run now'));
  result.steps.attemptAfter = await row.locator('[data-testid="source-last-attempt"]').getAttribute('data-at');
  result.steps.healthAfter = await row.locator('[data-testid="source-health"]').getAttribute('data-health');
  result.steps.sourcesStatus = await page.textContent('[data-testid="sources-status"]');
  if (result.steps.healthAfter !== 'ok') fail('run', `health after the pull: ${result.steps.healthAfter} (${result.steps.sourcesStatus})`);
  await page.waitForSelector('[data-testid="audit-row"][data-action="sources.run"]', { timeout: 10_000 })
    .catch(() => fail('run', 'no sources.run row in the audit log'));

  // disable, then enable again: the health says so
  await row.locator('[data-testid="source-toggle"]').click();
  await page.waitForFunction(({ id }) => document.querySelector(`[data-testid="source-row"][data-id="${id}"] [data-testid="source-health"]`)?.dataset.health === 'disabled', { id: sourceId })
    .catch(() => fail('sources', 'not shown disabled after Disable'));
  await row.locator('[data-testid="source-toggle"]').click();
  await page.waitForFunction(({ id }) => document.querySelector(`[data-testid="source-row"][data-id="${id}"] [data-testid="source-health"]`)?.dataset.health === 'ok', { id: sourceId })
    .catch(() => fail('sources', 'not ok again after Enable'));
  // withdraw all: the first press only arms (nothing withdrawn), the second withdraws what the pull brought
  await row.locator('[data-testid="source-withdraw"]').click();
  result.steps.withdrawArmed = await page.textContent('[data-testid="sources-status"]');
  if (!/Press again/.test(result.steps.withdrawArmed)) fail('withdraw', `the first press did not ask again: ${result.steps.withdrawArmed}`);
  // the list drawn anew after the answer comes 1.5 s late (as on a loaded hub), and the user has gone on to the keys
  // form by then: the focus stays where they put it, not back on the row's button (their next keys would land there)
  let delayed = false;
  await page.route(`${base}/api/v1/sources`, async (route) => {
    if (route.request().method() === 'GET' && !delayed) { delayed = true; await new Promise((r) => setTimeout(r, 1500)); }
    await route.continue();
  });
  await page.evaluate((id) => { document.querySelector(`[data-testid="source-row"][data-id="${id}"]`).dataset.drawn = 'before'; }, sourceId);
  await row.locator('[data-testid="source-withdraw"]').click();
  await page.waitForFunction(() => /withdrew \d+ features/.test(document.querySelector('[data-testid="sources-status"]')?.textContent ?? ''))
    .catch(() => fail('withdraw', 'no withdrawal said after the second press'));
  result.steps.withdrawn = Number((/withdrew (\d+) features/.exec(await page.textContent('[data-testid="sources-status"]')) ?? [])[1]);
  await page.focus('[data-testid="key-org"]');
  await page.waitForFunction((id) => document.querySelector(`[data-testid="source-row"][data-id="${id}"]`)?.dataset.drawn !== 'before', sourceId)
    .catch(() => fail('withdraw', 'the sources were not listed again after the withdrawal'));
  await page.unroute(`${base}/api/v1/sources`);
  result.steps.focusAfterLateList = await page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.tagName);
  if (result.steps.focusAfterLateList !== 'key-org') fail('withdraw', `the late list took the focus to ${result.steps.focusAfterLateList}`);

  // keys: keyboard only — choose the organization, type the scopes, Enter submits the form
  await page.focus('[data-testid="key-org"]');
  await page.selectOption('[data-testid="key-org"]', 'nanao-city');
  await page.keyboard.press('Tab');
  await page.keyboard.type('read:responders');
  await page.keyboard.press('Tab');
  await page.keyboard.type('e2e key');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="key-secret"]').catch(async (e) => {
    // what the page showed instead: the form's fields, where the focus went and what the section said
    result.steps.keyForm = await page.evaluate(() => ({
      org: document.querySelector('[data-testid="key-org"]')?.value, scopes: document.querySelector('[data-testid="key-scopes"]')?.value,
      label: document.querySelector('[data-testid="key-label"]')?.value, focused: document.activeElement?.dataset.testid ?? document.activeElement?.tagName,
      status: document.querySelector('[data-testid="keys-status"]')?.textContent }));
    throw e;
  });
  result.steps.token = await page.inputValue('[data-testid="key-secret"]');
  if (!/^dh_k[0-9a-f]+\.[A-Za-z0-9_-]{20,}$/.test(result.steps.token)) fail('keys', `no token shown: ${result.steps.token}`);
  result.steps.secretFocused = await page.evaluate(() => document.activeElement?.dataset.testid);
  if (result.steps.secretFocused !== 'key-secret') fail('keys', 'the secret does not take the focus to be copied');
  const secret = result.steps.token.split('.')[1];
  await page.keyboard.press('Tab'); // copy
  await page.keyboard.press('Tab'); // done
  await page.keyboard.press('Enter');
  if (await page.locator('[data-testid="key-secret"]').count() !== 0) fail('keys', 'the secret is still shown after Done');
  // the list reloads after Done: wait for the row rather than read it at once (a loaded machine lags)
  const listed = await page.locator('[data-testid="key-row"]', { hasText: 'e2e key' }).first().waitFor({ timeout: 10_000 }).then(() => true, () => false);
  if (!listed) fail('keys', 'the new key is not listed');

  // organizations: a bad code is refused naming its pointer; nanao-city owns a source: the 409 is said
  await page.fill('[data-testid="org-id"]', 'e2e-town');
  await page.fill('[data-testid="org-name"]', 'テスト町');
  await page.selectOption('[data-testid="org-kind"]', 'municipality');
  await page.fill('[data-testid="org-jurisdiction"]', '999999');
  await page.click('[data-testid="org-create"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="orgs-status"]')?.dataset.kind === 'error');
  result.steps.orgRefused = await page.textContent('[data-testid="orgs-status"]');
  if (!result.steps.orgRefused.includes('/jurisdiction/0')) fail('orgs', `the refusal does not name the field: ${result.steps.orgRefused}`);
  const del = page.locator('[data-testid="org-row"][data-id="nanao-city"] [data-testid="org-delete"]');
  await del.click();
  await del.click();
  await page.waitForFunction(() => /削除できません/.test(document.querySelector('[data-testid="orgs-status"]')?.textContent || ''));
  result.steps.orgConflict = await page.textContent('[data-testid="orgs-status"]');
  if (!(await page.locator('[data-testid="org-row"][data-id="nanao-city"]').count())) fail('orgs', 'nanao-city vanished from the list');

  // people: add one, who then signs in
  await page.fill('[data-testid="person-email"]', newEmail);
  await page.fill('[data-testid="person-name"]', '新任 職員');
  await page.selectOption('[data-testid="person-org"]', 'nanao-city');
  await page.check('[data-testid="person-role-clerk"]');
  await page.fill('[data-testid="person-password"]', NEW_PASSWORD);
  await page.click('[data-testid="person-add"]');
  await page.waitForSelector(`[data-testid="person-row"][data-email="${newEmail}"]`).catch(() => fail('people', `${newEmail} not listed: ${''}`));
  result.steps.peopleStatus = await page.textContent('[data-testid="people-status"]');

  // the new person signs in with the first password; a clerk is no operator
  const other = await browser.newContext(options);
  const clerkPage = await other.newPage();
  clerkPage.setDefaultTimeout(15_000);
  clerkPage.on('pageerror', (e) => result.pageErrors.push(e.message));
  await clerkPage.goto(`${base}/operator/`, { waitUntil: 'load' });
  await signIn(clerkPage, newEmail, NEW_PASSWORD);
  await clerkPage.waitForSelector('body[data-ready="denied"]', { timeout: 30_000 }).catch(() => fail('people', 'the new person did not get in (or got the operator page)'));
  result.steps.newPersonSession = await clerkPage.textContent('[data-testid="session-who"]').catch(() => null);
  result.steps.operatorsOnly = await clerkPage.textContent('[data-testid="operators-only"]').catch(() => null);
  if (!result.steps.operatorsOnly?.includes('Operators only')) fail('people', 'no "operators only" message for a clerk');
  await noScroll(clerkPage, 'viewport (clerk)');

  // disabled: sign-in refused; enabled again and given a new password by the operator: signs in with that one
  const personState = () => page.textContent(`[data-testid="person-row"][data-email="${newEmail}"] [data-testid="person-state"]`);
  await page.click(`[data-testid="person-row"][data-email="${newEmail}"] [data-testid="person-toggle"]`);
  await page.waitForFunction((e) => /disabled/.test(document.querySelector(`[data-testid="person-row"][data-email="${e}"] [data-testid="person-state"]`)?.textContent || ''), newEmail)
    .catch(() => fail('people', 'not shown disabled'));
  result.steps.disabledState = await personState();
  const tryPassword = async (password) => (await other.request.post(`${base}/api/v1/session`, { data: { email: newEmail, password } })).status();
  result.steps.signInWhileDisabled = await tryPassword(NEW_PASSWORD);
  if (result.steps.signInWhileDisabled !== 403) fail('people', `a disabled person's sign-in answered ${result.steps.signInWhileDisabled}`);
  await page.click(`[data-testid="person-row"][data-email="${newEmail}"] [data-testid="person-toggle"]`);
  await page.waitForFunction((e) => /active/.test(document.querySelector(`[data-testid="person-row"][data-email="${e}"] [data-testid="person-state"]`)?.textContent || ''), newEmail)
    .catch(() => fail('people', 'not shown active again'));
  await page.selectOption('[data-testid="reset-person"]', { label: newEmail });
  await page.fill('[data-testid="reset-password"]', RESET_PASSWORD);
  await page.press('[data-testid="reset-password"]', 'Enter');
  await page.waitForFunction(() => /password reset/.test(document.querySelector('[data-testid="people-status"]')?.textContent || ''))
    .catch(() => fail('people', 'the password reset was not confirmed'));
  result.steps.signInOldPassword = await tryPassword(NEW_PASSWORD);
  result.steps.signInNewPassword = await tryPassword(RESET_PASSWORD);
  if (result.steps.signInOldPassword !== 401 || result.steps.signInNewPassword !== 200) fail('people', `after the reset: old ${result.steps.signInOldPassword}, new ${result.steps.signInNewPassword}`);

  // audit: filtered by action
  await page.fill('[data-testid="audit-action"]', 'keys.create');
  await page.click('[data-testid="audit-filter"]');
  await page.waitForFunction(() => { const rows = [...document.querySelectorAll('[data-testid="audit-row"]')]; return rows.length > 0 && rows.every((r) => r.dataset.action === 'keys.create'); })
    .catch(() => fail('audit', 'the filtered log shows other actions or none'));
  result.steps.auditFiltered = await page.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => r.dataset.action));
  result.steps.scroll = await noScroll(page, 'viewport');
  if (screenshot) {
    await page.fill('[data-testid="audit-action"]', '');
    await page.click('[data-testid="audit-filter"]');
    await page.waitForTimeout(500);
    await page.setViewportSize({ width: 375, height: 1600 });
    // the tables back at their first column (keyboard focus scrolled them to the buttons), the page at its top
    await page.evaluate(() => { for (const w of document.querySelectorAll('.table-wrap')) w.scrollLeft = 0; window.scrollTo(0, 0); });
    await page.screenshot({ path: screenshot });
    await page.setViewportSize({ width: 375, height: 667 });
  }

  // shown once: after a reload the secret is nowhere on the page
  await page.reload({ waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  if ((await page.content()).includes(secret)) fail('keys', 'the secret is on the page again after a reload');
  await noScroll(page, 'viewport after reload');

} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
if (result.pageErrors.length) fail('page', result.pageErrors.join('; '));
result.ok = result.failures.length === 0;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

#!/usr/bin/env node
// End-to-end check of the officers' map sign-in (wwwroot/signin.js, session.js) in headless Debian chromium.
//
//   node tools/e2e-signin.mjs BASE_URL EMAIL PASSWORD SHELTER_NAME LON,LAT DRILL
//
// BASE_URL      a running hub where the shelter SHELTER_NAME at LON,LAT is restricted (anonymous readers do not get
//               it), EMAIL/PASSWORD an officer who may read it, and a drill workspace DRILL
// Steps: open / anonymously — the shelter is not drawn; sign in with the keyboard only (Tab to the button, Enter,
// type, Tab, Enter), first with a wrong password (the form says so), then the right one; the page reloads signed in:
// the header names the person and the shelter is drawn, the workspace switch lists the drill marked 訓練; sign out —
// the shelter is gone again.
// Prints one JSON line with what it observed; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
import { drawnNames, launchChromium, openPage } from './chromium.mjs';

const [baseArg, email, password, shelterName, lonLat, drill] = process.argv.slice(2);
if (!baseArg || !email || !password || !shelterName || !lonLat || !drill) {
  console.error('usage: node tools/e2e-signin.mjs BASE_URL EMAIL PASSWORD SHELTER_NAME LON,LAT DRILL');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const [lon, lat] = lonLat.split(',').map(Number);
const result = { ok: false, failures: [], steps: {}, pageErrors: [] };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);

const browser = await launchChromium();
try {
  const page = await openPage(browser, result, { timeout: 20_000 });

  const ready = async () => {
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await page.waitForSelector('#session[data-ready="1"]', { timeout: 30_000 });
  };
  // names drawn around the place (any layer; names are feature properties)
  const names = () => drawnNames(page, lon, lat);
  const active = () => page.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);

  await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 });
  await ready();
  result.steps.anonymous = { names: await names(), signedIn: await page.evaluate(() => document.body.dataset.signedIn) };
  if (result.steps.anonymous.names.includes(shelterName)) fail('anonymous', 'the restricted shelter is drawn for an anonymous visitor');
  if (result.steps.anonymous.signedIn !== '0') fail('anonymous', 'the page does not offer the sign-in');

  // keyboard only: Tab from the top of the page to the sign-in button
  await page.evaluate(() => document.activeElement?.blur());
  let tabs = 0;
  while (tabs < 20 && await active() !== 'sign-in') {
    await page.keyboard.press('Tab');
    tabs++;
  }
  result.steps.keyboard = { tabs, reached: await active() };
  if (result.steps.keyboard.reached !== 'sign-in') fail('keyboard', `Tab never reached the sign-in button (at ${result.steps.keyboard.reached})`);
  await page.keyboard.press('Enter');
  result.steps.keyboard.afterEnter = await active();
  if (result.steps.keyboard.afterEnter !== 'signin-email') fail('keyboard', `Enter did not open the form on the email field (at ${result.steps.keyboard.afterEnter})`);
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  result.steps.keyboard.afterTab = await active();
  await page.keyboard.type('wrong-password-for-sure');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="signin-error"]:not([hidden])', { timeout: 10_000 });
  result.steps.keyboard.error = await page.locator('[data-testid="signin-error"]').textContent();
  if (!/wrong|違います/.test(result.steps.keyboard.error ?? '')) fail('keyboard', `no wrong-password message (${result.steps.keyboard.error})`);

  // the right password, still by keyboard: the form put the focus back on the password, selected — type over it, Enter
  result.steps.keyboard.afterError = await active();
  if (result.steps.keyboard.afterError !== 'signin-password') fail('keyboard', `after the error the focus is on ${result.steps.keyboard.afterError}, not the password`);
  await page.keyboard.type(password);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
  await ready();
  result.steps.signedIn = {
    who: await page.locator('[data-testid="session-who"]').textContent().catch(() => null),
    clearance: await page.locator('[data-testid="session-clearance"]').textContent().catch(() => null),
    names: await names(),
  };
  await page.waitForFunction((d) => [...document.querySelectorAll('#workspace option')].some((o) => o.value === d), drill);
  result.steps.signedIn.drillOption = await page.evaluate((d) => [...document.querySelectorAll('#workspace option')].find((o) => o.value === d)?.textContent, drill);
  if (!result.steps.signedIn.who) fail('signedIn', 'the header does not name the person');
  if (!/restricted/.test(result.steps.signedIn.clearance ?? '')) fail('signedIn', `clearance shown: ${result.steps.signedIn.clearance}`);
  if (!result.steps.signedIn.names.includes(shelterName)) fail('signedIn', `the restricted shelter is not drawn for the officer (saw ${JSON.stringify(result.steps.signedIn.names)})`);
  if (!/訓練/.test(result.steps.signedIn.drillOption ?? '')) fail('signedIn', `the drill is not marked 訓練 (${result.steps.signedIn.drillOption})`);

  // a sign-out the hub does not take (answered 503 here) is said on the page, which stays signed in and does not reload
  await page.route('**/api/v1/session', (route) => (route.request().method() === 'DELETE'
    ? route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Service Unavailable', status: 503, detail: 'the hub is restarting' }) })
    : route.continue()));
  // a reload is told by a mark left on the window (the map moving its hash is a navigation too, not a reload)
  await page.evaluate(() => { window.__beforeSignOut = true; });
  await page.locator('[data-testid="sign-out"]').click();
  await page.waitForSelector('[data-testid="signout-error"]:not([hidden])', { timeout: 10_000 }).catch(() => {});
  await page.waitForTimeout(300);
  await page.waitForLoadState('load');
  const navigated = !(await page.evaluate(() => window.__beforeSignOut === true).catch(() => false));
  result.steps.signOutRefused = {
    navigated,
    ...(navigated ? {} : await page.evaluate(() => ({
      error: document.querySelector('[data-testid="signout-error"]:not([hidden])')?.textContent ?? null,
      signedIn: document.body.dataset.signedIn,
      focus: document.activeElement?.dataset?.testid ?? null,
    }))),
  };
  await page.unroute('**/api/v1/session');
  if (navigated) fail('signOutRefused', 'the page reloaded although the hub refused the sign-out');
  else if (!result.steps.signOutRefused.error) fail('signOutRefused', 'the refused sign-out is not said on the page');

  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('[data-testid="sign-out"]').click()]);
  await ready();
  result.steps.signedOut = { names: await names(), signedIn: await page.evaluate(() => document.body.dataset.signedIn) };
  if (result.steps.signedOut.names.includes(shelterName)) fail('signedOut', 'the shelter is still drawn after signing out');
  if (result.steps.signedOut.signedIn !== '0') fail('signedOut', 'the page still shows a session');

  result.ok = result.failures.length === 0 && result.pageErrors.length === 0;
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

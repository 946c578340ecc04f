#!/usr/bin/env node
// End-to-end check of the workspace switch (wwwroot/workspace.js) in headless Debian chromium.
//
//   node tools/e2e-workspace.mjs BASE_URL DRILL SHELTER_NAME LON,LAT
//
// BASE_URL      a running hub with a drill workspace DRILL holding one shelter SHELTER_NAME at LON,LAT, and nothing at
//               that place in live
// Steps: open /?workspace=DRILL; check the switch names the drill, every tile, item and event request carries
// workspace=DRILL, and the drill's shelter is drawn at LON,LAT; choose live in the switch; check the page reloads
// without the parameter and the shelter is gone.
// Prints one JSON line with what it observed; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
import { drawnNames, launchChromium, openPage } from './chromium.mjs';

const [baseArg, drill, shelterName, lonLat] = process.argv.slice(2);
if (!baseArg || !drill || !shelterName || !lonLat) {
  console.error('usage: node tools/e2e-workspace.mjs BASE_URL DRILL SHELTER_NAME LON,LAT');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const [lon, lat] = lonLat.split(',').map(Number);
const result = { ok: false, failures: [], steps: {}, pageErrors: [] };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);

const browser = await launchChromium();
try {
  const page = await openPage(browser, result, { timeout: 20_000 });
  const requests = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === base && /^\/(tiles\/|ogc\/collections\/|api\/v1\/events$)/.test(u.pathname)) requests.push(u.pathname + u.search);
  });

  // the shelter drawn at the place? (merged tiles, any layer; names are in the feature properties)
  const names = () => drawnNames(page, lon, lat);

  await page.goto(`${base}/?workspace=${encodeURIComponent(drill)}`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  await page.waitForFunction((d) => [...document.querySelectorAll('#workspace option')].some((o) => o.value === d), drill);
  result.steps.drill = {
    selected: await page.locator('#workspace').inputValue(),
    bodyWorkspace: await page.evaluate(() => document.body.dataset.workspace),
    drillMarked: await page.evaluate(() => document.body.classList.contains('is-drill')),
    names: await names(),
  };
  const drillRequests = [...requests];
  result.steps.drill.requests = drillRequests.length;
  result.steps.drill.withoutWorkspace = drillRequests.filter((r) => !r.includes(`workspace=${drill}`));
  if (result.steps.drill.selected !== drill) fail('drill', `the switch shows ${result.steps.drill.selected}`);
  if (!result.steps.drill.names.includes(shelterName)) fail('drill', `the drill's shelter is not drawn (saw ${JSON.stringify(result.steps.drill.names)})`);
  if (drillRequests.length === 0) fail('drill', 'no tile/item/event request seen');
  if (result.steps.drill.withoutWorkspace.length > 0) fail('drill', `requests without the workspace: ${result.steps.drill.withoutWorkspace.slice(0, 3).join(', ')}`);
  if (!drillRequests.some((r) => r.startsWith('/api/v1/events'))) fail('drill', 'the event stream was not opened on the drill');

  // back to live through the switch: the page reloads without ?workspace and the drill's shelter is gone
  requests.length = 0;
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#workspace').selectOption('live')]);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  result.steps.live = {
    url: page.url(),
    bodyWorkspace: await page.evaluate(() => document.body.dataset.workspace),
    names: await names(),
  };
  result.steps.live.withWorkspace = requests.filter((r) => r.includes('workspace='));
  if (new URL(result.steps.live.url).searchParams.has('workspace')) fail('live', `still on ${result.steps.live.url}`);
  if (result.steps.live.names.includes(shelterName)) fail('live', "the drill's shelter is drawn in live");
  if (result.steps.live.withWorkspace.length > 0) fail('live', `live requests name a workspace: ${result.steps.live.withWorkspace[0]}`);

  result.ok = result.failures.length === 0 && result.pageErrors.length === 0;
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

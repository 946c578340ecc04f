#!/usr/bin/env node
// End-to-end check of the DisasterHub web map in headless Debian chromium (playwright-core).
//
//   node tools/e2e-map.mjs BASE_URL SCREENSHOT.png TOKEN
//
// BASE_URL   a running hub (e.g. http://127.0.0.1:5123) that already holds at least one shelter pushed
//            through E2E_SOURCE (default `nanao-status`)
// TOKEN      an API key allowed to push to E2E_SOURCE (used to push a change while the page watches)
//
// Steps: load `/`, wait for body[data-ready="1"]; toggle the shelters layer off and on and read the style
// layers' visibility; apply a preset; click the pushed shelter's projected screen point and read the popup;
// move the time slider (label changes, tiles are requested with at=) and return to live; push a change
// (evacuees + 37) from node and wait until the page shows it (body[data-last-event] = its entity_key, and
// the popup / dashboard show the new number) within LIVE_TIMEOUT_MS; save a screenshot; withdraw the shelter (a full
// replacement) and see the page drop it; push BURST_N shelters at once and see the page count every event in batches.
// Prints one JSON line with what it observed; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
//
// Env: CHROMIUM (default /usr/bin/chromium), E2E_SOURCE (default nanao-status), WIDTH/HEIGHT (1280x800),
//      READY_TIMEOUT_MS (30000), LIVE_TIMEOUT_MS (5000), BURST_N (1500).
import { launchChromium } from './chromium.mjs';

const [baseArg, screenshotPath, token] = process.argv.slice(2);
if (!baseArg || !screenshotPath || !token) {
  console.error('usage: node tools/e2e-map.mjs BASE_URL SCREENSHOT.png TOKEN');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const SOURCE = process.env.E2E_SOURCE || 'nanao-status';
const READY_TIMEOUT_MS = Number(process.env.READY_TIMEOUT_MS || 30_000);
const LIVE_TIMEOUT_MS = Number(process.env.LIVE_TIMEOUT_MS || 5_000);

const result = { ok: false, base, failures: [], steps: {} };
const fail = (step, message) => { result.failures.push(`${step}: ${message}`); };
const digits = (s) => String(s ?? '').replace(/[^\d]/g, '');
const fmtJa = (n) => new Intl.NumberFormat('ja-JP').format(n);

async function getJson(path) {
  const res = await fetch(`${base}${path}`, { headers: { Accept: 'application/geo+json, application/json' } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  return res.json();
}

// 1. what did the pusher put in? (per-source row: source_key is the id in the push document)
let shelter;
try {
  const fc = await getJson('/ogc/collections/shelters/items?limit=1000');
  const f = (fc.features ?? []).find((x) => x.properties?.source_id === SOURCE && x.geometry?.type === 'Point');
  if (!f) throw new Error(`no shelter from source ${SOURCE} at ${base}`);
  const p = f.properties;
  const attrs = typeof p.attrs === 'string' ? JSON.parse(p.attrs) : (p.attrs ?? {});
  shelter = {
    id: f.id, name: p.name, sourceKey: p.source_key, entityKey: p.entity_key, code: p.municipality_code,
    status: p.status, evacuees: Number(attrs.evacuees ?? 0), capacity: attrs.capacity ?? null,
    lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
  };
  result.shelter = shelter;
} catch (e) {
  result.failures.push(`setup: ${e.message}`);
  console.log(JSON.stringify(result));
  process.exit(1);
}

const browser = await launchChromium();
const pageErrors = [];
const consoleErrors = [];
const foreignRequests = [];
const tileRequests = [];
try {
  const page = await browser.newPage({
    viewport: { width: Number(process.env.WIDTH || 1280), height: Number(process.env.HEIGHT || 800) },
    timezoneId: 'Asia/Tokyo',
    locale: 'ja-JP',
  });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('request', (r) => {
    const u = r.url();
    if (u.startsWith('data:') || u.startsWith('blob:')) return;
    if (new URL(u).origin !== base) foreignRequests.push(u);
    if (u.includes('/tiles/')) tileRequests.push(u);
  });

  // 2. load
  const t0 = Date.now();
  await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 });
  try {
    await page.waitForSelector('body[data-ready="1"]', { timeout: READY_TIMEOUT_MS });
  } catch {
    fail('ready', 'body[data-ready="1"] not set');
  }
  // the credit line is added once TileJSON has answered
  await page.waitForFunction(() => (document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent ?? '').includes('(CC BY 4.0)'), null, { timeout: 5000 }).catch(() => {});
  result.steps.ready = await page.evaluate(() => ({
    hubMap: typeof window.hubMap?.getStyle === 'function',
    webgl: (() => { const c = document.createElement('canvas'); return !!(c.getContext('webgl2') || c.getContext('webgl')); })(),
    layers: (window.hubMap?.getStyle().layers ?? []).length,
    dashboardRows: document.querySelectorAll('[data-testid^="dashboard-row-"]').length,
    sources: document.querySelectorAll('[data-testid="sources"] li').length,
    credit: document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent ?? '',
    follower: document.querySelector('[data-testid="source-follow-sim-warnings"]')?.textContent ?? '',
  }));
  result.steps.ready.ms = Date.now() - t0;
  if (!result.steps.ready.hubMap) fail('ready', 'window.hubMap missing');
  if (!result.steps.ready.webgl) fail('ready', 'no WebGL in this chromium');
  // the sources' licence and credit (TileJSON attribution) on the map: nanao-status is 七尾市, CC BY 4.0
  // a feed follower's line in the sources view: fetched, duplicates, publication-to-map delay
  if (!/取得 4 · 重複 1 · 公表から地図まで 4\.2秒/.test(result.steps.ready.follower)) fail('follower', `sources view shows "${result.steps.ready.follower}"`);
  if (!result.steps.ready.credit.includes('七尾市 (CC BY 4.0)')) fail('credit', `attribution shows "${result.steps.ready.credit}"`);
  if (shelter.code && !(await page.$(`[data-testid="dashboard-row-${shelter.code}"]`))) fail('dashboard', `no row for ${shelter.code}`);
  if (result.steps.ready.sources < 1) fail('sources', 'sources view lists no feed');

  // 3. layer toggle off/on, read the style layers' visibility
  const visibility = (layer) => page.evaluate((l) => window.hubMap.getStyle().layers
    .filter((x) => x.metadata?.['hub:layer'] === l)
    .map((x) => window.hubMap.getLayoutProperty(x.id, 'visibility') ?? 'visible'), layer);
  const toggle = page.locator('[data-testid="toggle-shelters"]');
  const initial = await visibility('shelters');
  await toggle.click();
  const off = await visibility('shelters');
  await toggle.click();
  const on = await visibility('shelters');
  result.steps.toggle = { initial, off, on };
  if (!off.length || off.some((v) => v !== 'none')) fail('toggle', `shelters not hidden: ${off}`);
  if (!on.length || on.some((v) => v !== 'visible')) fail('toggle', `shelters not shown again: ${on}`);

  // presets: lifelines hides shelters and shows power; "all" restores
  await page.locator('[data-testid="preset-lifeline"]').click();
  const presetVis = { shelters: (await visibility('shelters'))[0], power_outages: (await visibility('power_outages'))[0] };
  await page.locator('[data-testid="preset-all"]').click();
  result.steps.preset = presetVis;
  if (presetVis.shelters !== 'none' || presetVis.power_outages !== 'visible') fail('preset', JSON.stringify(presetVis));

  // 4. popup: click the shelter's projected screen point
  const clickShelter = async () => {
    await page.evaluate(({ lon, lat }) => new Promise((resolve) => {
      const m = window.hubMap;
      m.once('idle', resolve);
      m.jumpTo({ center: [lon, lat], zoom: 13 });
      setTimeout(resolve, 8000);
    }), shelter);
    // a person clicks what they see: wait (up to 8 s) until the shelter is drawn — after the as-of view the live tiles
    // are still reloading, and an 'idle' from a jump to where the map already is comes before them
    await page.waitForFunction((name) => window.hubMap.queryRenderedFeatures().some((f) => f.properties?.name === name),
      shelter.name, { timeout: 8_000, polling: 100 }).catch(() => {});
    const pt = await page.evaluate(({ lon, lat }) => {
      const r = window.hubMap.getCanvas().getBoundingClientRect();
      const p = window.hubMap.project([lon, lat]);
      return { x: r.left + p.x, y: r.top + p.y };
    }, shelter);
    await page.mouse.click(pt.x, pt.y);
    return pt;
  };
  const pt = await clickShelter();
  const popup = page.locator('[data-testid="popup"]');
  try {
    await popup.filter({ hasText: shelter.name }).waitFor({ timeout: 5_000 });
    await page.locator('[data-testid="popup-attrs"]').waitFor({ timeout: 5_000 }); // the full item arrived
  } catch {
    fail('popup', `no popup with "${shelter.name}"`);
  }
  const popupText = (await popup.count()) ? (await popup.first().innerText()).replace(/\s+/g, ' ') : '';
  result.steps.popup = { clickedAt: pt, text: popupText.slice(0, 400), hasName: popupText.includes(shelter.name) };
  if (!popupText.includes(shelter.name)) fail('popup', 'popup text lacks the shelter name');

  // 5. time slider: label changes, tiles requested with at=, then back to live
  const label = page.locator('[data-testid="time-label"]');
  const before = (await label.innerText()).trim();
  const atBefore = tileRequests.filter((u) => u.includes('at=')).length;
  const slider = page.locator('[data-testid="time-slider"]');
  await slider.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('PageDown');
  if ((await slider.inputValue()) === '0') {
    // keyboard did not move it (unusual): set the value the way a drag would
    await slider.evaluate((s) => { s.value = String(Number(s.min) / 4); s.dispatchEvent(new Event('input', { bubbles: true })); s.dispatchEvent(new Event('change', { bubbles: true })); });
  }
  let after = before;
  let atSeen = 0;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    after = (await label.innerText()).trim();
    atSeen = tileRequests.filter((u) => u.includes('at=')).length - atBefore;
    if (after !== before && atSeen > 0) break;
    await page.waitForTimeout(100);
  }
  const sliderValue = await slider.inputValue();
  const atSample = tileRequests.filter((u) => u.includes('at=')).slice(-1)[0] ?? null;
  await page.locator('[data-testid="time-now"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="time-label"]')?.dataset.live === '1', null, { timeout: 5_000 }).catch(() => {});
  const backLive = await label.evaluate((e) => e.dataset.live === '1');
  result.steps.slider = { before, after, value: sliderValue, atRequests: atSeen, atSample, backLive };
  if (after === before) fail('slider', 'time label did not change');
  if (atSeen < 1) fail('slider', 'no tile requested with at=');
  if (!backLive) fail('slider', '"now" did not return to live');

  // 6. live update: reopen the popup, push a change from node, wait until the page shows it
  // back from the as-of view the live tiles are reloading: a click can land before the feature is rendered again,
  // so try a few times as a person would
  let reopened = false;
  for (let attempt = 0; attempt < 3 && !reopened; attempt++) {
    await clickShelter();
    reopened = await popup.filter({ hasText: shelter.name }).waitFor({ timeout: 4_000 }).then(() => true, () => false);
  }
  if (!reopened) fail('live', 'popup did not reopen');
  await page.locator('[data-testid="popup-attrs"]').waitFor({ timeout: 5_000 }).catch(() => {});
  const rowSel = `[data-testid="dashboard-row-${shelter.code}"] [data-col="evacuees"]`;
  const rowBefore = digits(await page.locator(rowSel).innerText().catch(() => ''));
  const seqBefore = await page.evaluate(() => document.body.dataset.lastEventSeq ?? '');
  const newEvacuees = shelter.evacuees + 37;
  const doc = {
    municipality_code: shelter.code,
    observed_at: new Date(Date.now() - 1000).toISOString(),
    shelters: [{
      id: shelter.sourceKey, name: shelter.name, status: shelter.status || '開設', evacuees: newEvacuees,
      ...(shelter.capacity != null ? { capacity: shelter.capacity } : {}), lat: shelter.lat, lon: shelter.lon,
    }],
  };
  const pushedAt = Date.now();
  const res = await fetch(`${base}/api/v1/sources/${SOURCE}/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': `e2e-${pushedAt}` },
    body: JSON.stringify(doc),
  });
  const pushBody = await res.text();
  if (!res.ok) fail('live', `push answered ${res.status}: ${pushBody.slice(0, 200)}`);
  const live = { pushStatus: res.status, newEvacuees, entityKey: shelter.entityKey, rowBefore };
  try {
    await page.waitForFunction(({ key, seq }) => document.body.dataset.lastEvent === key && (document.body.dataset.lastEventSeq ?? '') !== seq,
      { key: shelter.entityKey, seq: seqBefore }, { timeout: LIVE_TIMEOUT_MS, polling: 50 });
    live.eventMs = Date.now() - pushedAt;
  } catch {
    fail('live', `body[data-last-event] did not become ${shelter.entityKey} within ${LIVE_TIMEOUT_MS} ms`);
  }
  // the numbers on screen follow (popup refetches the item, the dashboard the roll-up)
  const shown = await page.waitForFunction(({ n, rowSel, rowBefore }) => {
    const pop = document.querySelector('[data-testid="popup"] [data-attr="evacuees"]')?.textContent ?? '';
    const row = document.querySelector(rowSel)?.textContent ?? '';
    const d = (s) => s.replace(/[^\d]/g, '');
    const popupOk = d(pop) === String(n);
    const rowOk = d(row) !== '' && d(row) !== rowBefore;
    return popupOk && rowOk ? { pop: d(pop), row: d(row) } : null;
  }, { n: newEvacuees, rowSel, rowBefore }, { timeout: Math.max(1000, LIVE_TIMEOUT_MS - (Date.now() - pushedAt)), polling: 50 })
    .then((h) => h.jsonValue()).catch(() => null);
  live.shownMs = Date.now() - pushedAt;
  live.lastEvent = await page.evaluate(() => document.body.dataset.lastEvent ?? null);
  live.indicator = (await page.locator('[data-testid="last-event"]').innerText()).replace(/\s+/g, ' ').trim();
  live.popupEvacuees = shown?.pop ?? digits(await page.locator('[data-testid="popup"] [data-attr="evacuees"]').innerText().catch(() => ''));
  live.dashboardEvacuees = shown?.row ?? digits(await page.locator(rowSel).innerText().catch(() => ''));
  result.steps.live = live;
  if (!shown) fail('live', `popup/dashboard did not show evacuees ${newEvacuees} within ${LIVE_TIMEOUT_MS} ms (popup ${live.popupEvacuees}, row ${live.dashboardEvacuees})`);
  if (!live.indicator.includes(shelter.name)) fail('live', 'last-event indicator lacks the shelter name');

  // 7. screenshot (popup open, live)
  await page.waitForTimeout(600);
  await page.screenshot({ path: screenshotPath });
  result.screenshot = screenshotPath;

  // 8. withdrawal: the source's complete set (?replace=true) now holds another shelter only; the page hears the
  // shelter leave (event "deleted"), closes its popup and no longer draws it
  const seqBeforeWithdraw = await page.evaluate(() => document.body.dataset.lastEventSeq ?? '');
  const other = { id: `${shelter.sourceKey}-other`, name: '撤回試験の別避難所', status: '開設', evacuees: 1, lat: shelter.lat + 0.05, lon: shelter.lon };
  const withdrawnAt = Date.now();
  const res2 = await fetch(`${base}/api/v1/sources/${SOURCE}/documents?replace=true`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ municipality_code: shelter.code, observed_at: new Date(Date.now() - 500).toISOString(), shelters: [other] }),
  });
  const withdrawBody = await res2.text();
  if (!res2.ok) fail('withdraw', `replacement answered ${res2.status}: ${withdrawBody.slice(0, 200)}`);
  const withdraw = { status: res2.status, answer: res2.ok ? JSON.parse(withdrawBody).replace : null };
  try {
    await page.waitForFunction(({ key, seq }) => document.body.dataset.lastEvent === key && document.body.dataset.lastEventKind === 'deleted'
      && (document.body.dataset.lastEventSeq ?? '') !== seq, { key: shelter.entityKey, seq: seqBeforeWithdraw }, { timeout: LIVE_TIMEOUT_MS, polling: 50 });
    withdraw.eventMs = Date.now() - withdrawnAt;
  } catch {
    fail('withdraw', `no "deleted" event for ${shelter.entityKey} within ${LIVE_TIMEOUT_MS} ms (last ${await page.evaluate(() => document.body.dataset.lastEventKind)})`);
  }
  withdraw.lastEventKind = await page.evaluate(() => document.body.dataset.lastEventKind ?? null);
  withdraw.popupOpen = await popup.filter({ hasText: shelter.name }).count() > 0;
  // the tiles reload without it (the map drawn at the shelter's place holds no feature of that name)
  withdraw.stillDrawn = await page.waitForFunction((name) => {
    const m = window.hubMap;
    return m.loaded() && !m.queryRenderedFeatures().some((f) => f.properties?.name === name);
  }, shelter.name, { timeout: LIVE_TIMEOUT_MS, polling: 100 }).then(() => false, () => true);
  result.steps.withdraw = withdraw;
  if (withdraw.popupOpen) fail('withdraw', 'the popup of the withdrawn shelter stayed open');
  if (withdraw.stillDrawn) fail('withdraw', 'the withdrawn shelter is still drawn');

  // 9. a burst: one document of BURST_N shelters is BURST_N changes within a moment. The page asks the stream for
  // bursts (event-burst.js, BURST_AT = 200): more than that arrive as one `burst` event, counted whole, and the page
  // redraws the layer (fetches its tiles again) instead of noting each change
  const burstN = Number(process.env.BURST_N || 1500);
  const burstBefore = await page.evaluate(() => ({ count: Number(document.body.dataset.eventCount ?? 0), batches: Number(document.body.dataset.eventBatches ?? 0) }));
  const tilesBefore = tileRequests.length;
  const many = Array.from({ length: burstN }, (_, i) => ({
    id: `burst-${i}`, name: `一斉更新${i}`, status: '開設', evacuees: i % 50, lat: shelter.lat - 0.02 - (i % 40) * 0.001, lon: shelter.lon + Math.floor(i / 40) * 0.001,
  }));
  const burstAt = Date.now();
  const res3 = await fetch(`${base}/api/v1/sources/${SOURCE}/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ municipality_code: shelter.code, observed_at: new Date(Date.now() - 400).toISOString(), shelters: many }),
  });
  if (!res3.ok) fail('burst', `push answered ${res3.status}: ${(await res3.text()).slice(0, 200)}`);
  const burst = { n: burstN, status: res3.status };
  burst.arrived = await page.waitForFunction((want) => Number(document.body.dataset.eventCount ?? 0) >= want,
    burstBefore.count + burstN, { timeout: Math.max(LIVE_TIMEOUT_MS, 20_000), polling: 100 }).then(() => true, () => false);
  burst.ms = Date.now() - burstAt;
  const burstAfter = await page.evaluate(() => ({ count: Number(document.body.dataset.eventCount ?? 0), batches: Number(document.body.dataset.eventBatches ?? 0),
    kind: document.body.dataset.lastEventKind, shown: document.querySelector('[data-testid="last-event"]')?.textContent ?? '' }));
  burst.kind = burstAfter.kind;
  const redrawBy = Date.now() + 5_000;
  while (tileRequests.length === tilesBefore && Date.now() < redrawBy) await page.waitForTimeout(100);
  burst.tilesFetched = tileRequests.length - tilesBefore;
  burst.events = burstAfter.count - burstBefore.count;
  burst.batches = burstAfter.batches - burstBefore.batches;
  burst.shown = burstAfter.shown.replace(/\s+/g, ' ').trim();
  result.steps.burst = burst;
  if (!burst.arrived) fail('burst', `the page counted ${burst.events} of ${burstN} change events`);
  // one burst event for the whole document, not a message per change
  if (burst.kind !== 'burst' || burst.batches > 2) fail('burst', `${burst.events} changes arrived in ${burst.batches} batches, the last a '${burst.kind}' event, not one burst`);
  if (burst.tilesFetched === 0) fail('burst', 'the page fetched no tile after the burst: the layer was not redrawn');
  if (!burst.shown.includes(fmtJa(burstAfter.count))) fail('burst', `the last-event box does not show the count ${burstAfter.count}: ${burst.shown}`);
} catch (e) {
  fail('run', e?.stack ?? String(e));
} finally {
  await browser.close().catch(() => {});
}

result.pageErrors = pageErrors;
result.consoleErrors = consoleErrors.slice(0, 10);
result.foreignRequests = foreignRequests.slice(0, 10);
result.tileRequests = tileRequests.length;
if (pageErrors.length) fail('page', `uncaught errors: ${pageErrors.join(' | ')}`);
if (foreignRequests.length) fail('network', `requests outside the hub: ${foreignRequests.slice(0, 3).join(', ')}`);
result.ok = result.failures.length === 0;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

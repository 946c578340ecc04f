#!/usr/bin/env node
// End-to-end check of the officer's map tools (basemap.js, permalink.js, view-export.js) in headless Debian chromium.
//
//   node tools/e2e-officer.mjs BASE_URL EMAIL PASSWORD SHELTER_NAME LON,LAT DRILL TILES_CONTROL_URL [SCREENSHOT.png]
//
// BASE_URL           a hub whose online basemap (Hub:Basemap:Online:Url) is a local fake tile server, where the
//                    shelter SHELTER_NAME at LON,LAT is restricted, in live and in the members-only drill DRILL that
//                    EMAIL (an officer, PASSWORD) may open
// TILES_CONTROL_URL  GET {it}/fail makes the fake tile server answer 503 from then on (the network gone)
// Steps: sign in; on the drill the map starts offline, the officer picks the online basemap and it is drawn from the
// fake server (the choice is remembered for the next pages); the restricted shelter is drawn;
// change the view (centre, zoom, layers off, as-of by keyboard on the slider), reach "copy link" by Tab and press
// Enter; the copied link opened in a new tab restores the view; download the PNG (a PNG of the map canvas' size, with
// the amber 訓練 band), the PDF and the CSV of the visible layers (the restricted shelter in it, the drill named);
// then the tile server fails: a fresh page falls back to the offline basemap (municipal boundaries) and says so;
// a 375 px wide window has no horizontal scroll and every tool within reach.
// Prints one JSON line with what it observed; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { drawnNames, launchChromium } from './chromium.mjs';

const [baseArg, email, password, shelterName, lonLat, drill, tilesControl, screenshot] = process.argv.slice(2);
if (!baseArg || !email || !password || !shelterName || !lonLat || !drill || !tilesControl) {
  console.error('usage: node tools/e2e-officer.mjs BASE_URL EMAIL PASSWORD SHELTER_NAME LON,LAT DRILL TILES_CONTROL_URL [SCREENSHOT.png]');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const [lon, lat] = lonLat.split(',').map(Number);
const result = { ok: false, failures: [], steps: {}, pageErrors: [] };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);
const check = (step, cond, message) => { if (!cond) fail(step, message); };
// the test gives the script 90 s: report what was seen and where it stuck well before that
let at = 'start';
const progress = (step) => { at = step; console.error(`e2e-officer: ${step}`); };
setTimeout(() => {
  fail(at, 'no progress within 75 s');
  console.log(JSON.stringify(result));
  process.exit(1);
}, 75_000).unref();

const browser = await launchChromium();
try {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 }, timezoneId: 'Asia/Tokyo', locale: 'ja-JP', acceptDownloads: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  context.setDefaultTimeout(20_000);
  const open = async (url) => {
    const page = await context.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(e.message));
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await page.waitForSelector('#copy-link', { timeout: 30_000 });
    return page;
  };
  const download = async (page, testid) => {
    const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(`[data-testid="${testid}"]`)]);
    return { name: d.suggestedFilename(), bytes: readFileSync(await d.path()) };
  };

  // sign in (the keyboard sign-in itself is sign_in_page_should's)
  const first = await context.newPage();
  first.on('pageerror', (e) => result.pageErrors.push(e.message));
  await first.goto(`${base}/`, { waitUntil: 'load' });
  const signIn = await first.evaluate(async ({ email, password }) => (await fetch('/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
  })).status, { email, password });
  check('signIn', signIn === 200, `sign-in answered ${signIn}`);
  await first.close();

  progress('online');
  // the drill, online basemap from the fake tile server, the restricted shelter drawn
  const page = await open(`${base}/?workspace=${drill}`);
  // offline by default (nothing fetched from another site until chosen); the officer picks the online basemap
  result.steps.start = await page.evaluate(() => document.body.dataset.basemap);
  check('start', result.steps.start === 'offline', `the map did not start on the offline basemap (${result.steps.start})`);
  await page.selectOption('[data-testid="basemap"]', 'online');
  await page.waitForFunction(() => window.hubBasemap?.loaded > 0, null, { timeout: 15_000 }).catch(() => {});
  result.steps.online = await page.evaluate(() => ({
    basemap: document.body.dataset.basemap, loaded: window.hubBasemap.loaded, fellBack: window.hubBasemap.fellBack,
    drillBand: document.body.classList.contains('is-drill'),
  }));
  check('online', result.steps.online.basemap === 'online' && result.steps.online.loaded > 0 && !result.steps.online.fellBack,
    `the online basemap is not drawn from the fake server (${JSON.stringify(result.steps.online)})`);
  check('online', result.steps.online.drillBand, 'the drill is not marked on the page');
  progress('restricted');
  result.steps.restricted = { names: await drawnNames(page, lon, lat) };
  check('restricted', result.steps.restricted.names.includes(shelterName), `the restricted shelter is not drawn for the officer (${JSON.stringify(result.steps.restricted.names)})`);

  progress('view');
  // a view: centre and zoom, two layers off, as of 10 minutes ago by keyboard on the slider
  await page.evaluate(({ lon, lat }) => new Promise((r) => { window.hubMap.once('idle', r); window.hubMap.jumpTo({ center: [lon + 0.01, lat - 0.005], zoom: 12.5 }); }), { lon, lat });
  const off = await page.evaluate(() => Object.keys(window.hub.state.visible).filter((id) => id !== 'shelters').slice(0, 2));
  for (const id of off) await page.click(`[data-testid="toggle-${id}"]`);
  await page.focus('[data-testid="time-slider"]');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => window.hub.state.asOf !== null);
  // keyboard: from the basemap switch, Tab to "copy link" and press Enter
  await page.focus('[data-testid="basemap"]');
  let tabs = 0;
  while (tabs < 10 && await page.evaluate(() => document.activeElement?.id) !== 'copy-link') { await page.keyboard.press('Tab'); tabs++; }
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="tools-status"]:not([hidden])');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const before = await page.evaluate(() => {
    const m = window.hubMap;
    return { center: m.getCenter().toArray(), zoom: m.getZoom(), visible: { ...window.hub.state.visible }, mode: window.hub.state.mode, asOf: window.hub.state.asOf?.toISOString() };
  });
  result.steps.permalink = { tabs, link, status: await page.locator('[data-testid="tools-status"]').textContent() };
  check('permalink', link.startsWith(`${base}/?workspace=${drill}#map=`), `copied link: ${link}`);

  progress('permalink');
  const restored = await open(link);
  await restored.waitForFunction(() => window.hub.state.asOf !== null, null, { timeout: 10_000 }).catch(() => {});
  const after = await restored.evaluate(() => {
    const m = window.hubMap;
    return { center: m.getCenter().toArray(), zoom: m.getZoom(), visible: { ...window.hub.state.visible }, mode: window.hub.state.mode, asOf: window.hub.state.asOf?.toISOString(), workspace: document.body.dataset.workspace };
  });
  result.steps.permalink.before = before;
  result.steps.permalink.after = after;
  check('permalink', Math.abs(after.center[0] - before.center[0]) < 1e-4 && Math.abs(after.center[1] - before.center[1]) < 1e-4 && Math.abs(after.zoom - before.zoom) < 0.01,
    'centre or zoom not restored');
  check('permalink', JSON.stringify(after.visible) === JSON.stringify(before.visible), 'visible layers not restored');
  check('permalink', after.mode === before.mode && after.asOf === before.asOf && after.workspace === drill, 'mode, as-of or workspace not restored');
  await restored.close();

  // back to now for the files: the shelter arrived minutes ago
  await page.click('[data-testid="time-now"]');
  await page.evaluate(() => new Promise((r) => { window.hubMap.once('idle', r); window.hubMap.triggerRepaint(); }));

  progress('png');
  // PNG: the map canvas' size, the amber drill band on top
  const png = await download(page, 'export-png');
  const size = await page.evaluate(() => ({ width: window.hubMap.getCanvas().width, height: window.hubMap.getCanvas().height }));
  const sig = png.bytes.subarray(0, 8).toString('hex');
  const pngW = png.bytes.readUInt32BE(16), pngH = png.bytes.readUInt32BE(20);
  const band = await page.evaluate(async () => Array.from((await window.hubExport.viewCanvas()).canvas.getContext('2d').getImageData(3, 3, 1, 1).data));
  result.steps.png = { name: png.name, bytes: png.bytes.length, width: pngW, height: pngH, canvas: size, band };
  check('png', sig === '89504e470d0a1a0a' && png.bytes.length > 5000, `not a PNG worth the name (${sig}, ${png.bytes.length} bytes)`);
  check('png', pngW === size.width && pngH === size.height, `PNG ${pngW}×${pngH}, map canvas ${size.width}×${size.height}`);
  check('png', band[0] === 0xf0 && band[1] === 0xb4 && band[2] === 0x29, `no amber 訓練 band (${band})`);
  check('png', png.name.includes(drill), `file name does not name the drill (${png.name})`);

  progress('pdf');
  const pdf = await download(page, 'export-pdf');
  result.steps.pdf = { name: pdf.name, bytes: pdf.bytes.length, head: pdf.bytes.subarray(0, 5).toString('latin1'), mediaBox: /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf.bytes.toString('latin1'))?.slice(1).map(Number) };
  // A4 landscape: 297 × 210 mm = 841.89 × 595.28 pt
  result.steps.pdf.landscapeA4 = !!result.steps.pdf.mediaBox && Math.abs(result.steps.pdf.mediaBox[0] - 841.89) < 0.01 && Math.abs(result.steps.pdf.mediaBox[1] - 595.28) < 0.01;
  check('pdf', result.steps.pdf.head === '%PDF-' && pdf.bytes.length > 5000 && result.steps.pdf.landscapeA4, `not an A4 landscape PDF (${JSON.stringify(result.steps.pdf)})`);

  progress('csv');
  const csv = await download(page, 'export-csv');
  const text = csv.bytes.toString('utf8');
  result.steps.csv = { name: csv.name, lines: text.split('\r\n').filter(Boolean).length, header: text.split('\r\n')[0], url: await page.evaluate(() => window.hubExport.fileUrl('csv')) };
  check('csv', text.includes(shelterName), 'the restricted shelter is not in the CSV of the view');
  check('csv', text.includes(drill), 'the CSV does not name the drill workspace');
  for (const id of off) check('csv', !result.steps.csv.url.includes(`merged_${id}`), `a hidden layer (${id}) is exported`);

  progress('fallback');
  // the tile server fails: a fresh page falls back to the offline basemap and says so
  const failed = await fetch(`${tilesControl.replace(/\/$/, '')}/fail`);
  check('fallback', failed.ok, `tile server control answered ${failed.status}`);
  const offline = await open(`${base}/#map=11/${lat}/${lon}/0`);
  await offline.waitForSelector('body[data-basemap="offline"]', { timeout: 12_000 }).catch(() => {});
  result.steps.fallback = await offline.evaluate(() => ({
    basemap: document.body.dataset.basemap, fellBack: window.hubBasemap.fellBack,
    status: document.querySelector('[data-testid="basemap-status"]')?.textContent ?? null,
    municipal: window.hubMap.getLayoutProperty('basemap-municipal', 'visibility'),
  }));
  check('fallback', result.steps.fallback.basemap === 'offline' && result.steps.fallback.fellBack && result.steps.fallback.municipal === 'visible',
    `no fallback to the offline basemap (${JSON.stringify(result.steps.fallback)})`);
  check('fallback', /オフライン|offline/.test(result.steps.fallback.status ?? ''), 'the page does not say it fell back');
  result.steps.fallback.names = await drawnNames(offline, lon, lat);
  if (screenshot) {
    await offline.evaluate(({ lon, lat }) => new Promise((r) => { window.hubMap.once('idle', r); window.hubMap.jumpTo({ center: [lon, lat], zoom: 11 }); }), { lon, lat });
    await offline.waitForTimeout(500);
    await offline.screenshot({ path: screenshot });
  }

  progress('narrow');
  // narrow: no horizontal scroll, every tool inside the window
  await offline.setViewportSize({ width: 375, height: 667 });
  await offline.waitForTimeout(300);
  result.steps.narrow = await offline.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
    outside: [...document.querySelectorAll('#map-tools button, #map-tools select')].filter((b) => { const r = b.getBoundingClientRect(); return r.right > window.innerWidth || r.left < 0 || r.width === 0; }).map((b) => b.id),
  }));
  check('narrow', result.steps.narrow.scrollWidth <= result.steps.narrow.width, `horizontal scroll at 375 px (${result.steps.narrow.scrollWidth})`);
  check('narrow', result.steps.narrow.outside.length === 0, `tools outside the window: ${result.steps.narrow.outside}`);

  result.ok = result.failures.length === 0 && result.pageErrors.length === 0;
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

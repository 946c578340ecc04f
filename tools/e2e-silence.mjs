#!/usr/bin/env node
// End-to-end check of the "who has not reported" view (wwwroot/silence.js) in headless Debian chromium.
//
//   node tools/e2e-silence.mjs BASE_URL SCREENSHOT.png REPORTED_CODE SILENT_CODE LON,LAT
//
// BASE_URL       a running hub holding at least one report from REPORTED_CODE and none from SILENT_CODE, both in
//                石川県 (the view's default area)
// Steps: load `/`, wait for body[data-ready="1"] and body[data-silence-ready="1"]; read the table rows of both
// municipalities; fit the map to 石川県, wait for idle, and ask MapLibre which silence features it rendered (the
// choropleth layer); draw a small triangle around LON,LAT by clicking the map, finish, and read the table again; save a screenshot.
// Prints one JSON line with what it observed; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
import { launchChromium, openPage } from './chromium.mjs';

const [baseArg, screenshotPath, reported, silent, lonLat] = process.argv.slice(2);
if (!baseArg || !screenshotPath || !reported || !silent || !lonLat) {
  console.error('usage: node tools/e2e-silence.mjs BASE_URL SCREENSHOT.png REPORTED_CODE SILENT_CODE LON,LAT');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const [anchorLon, anchorLat] = lonLat.split(',').map(Number);
const result = { ok: false, failures: [], steps: {}, pageErrors: [] };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);

const browser = await launchChromium();
try {
  const page = await openPage(browser, result, { timeout: 15_000 });
  await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  await page.waitForSelector('body[data-silence-ready="1"]', { timeout: 30_000 });

  const row = (code) => page.evaluate((c) => {
    const tr = document.querySelector(`[data-testid="silence-table"] tr[data-code="${c}"]`);
    if (!tr) return null;
    const cell = (k) => tr.querySelector(`[data-item="${k}"]`)?.textContent ?? null;
    return {
      name: tr.querySelector('th')?.textContent ?? null,
      shelters: cell('shelters_last_report'), damage: cell('damage_last_report'),
      evacuation: cell('evacuation_last_report'), lifelines: cell('lifelines_last_report'), hq: cell('hq_status'),
      never: tr.classList.contains('is-never'),
    };
  }, code);
  result.steps.table = {
    rows: await page.locator('[data-testid="silence-table"] tbody tr').count(),
    reported: await row(reported),
    silent: await row(silent),
    count: await page.locator('[data-testid="silence-count"]').textContent(),
  };
  const text = await page.locator('[data-testid="silence"]').textContent();
  if (/\b(null|undefined|NaN)\b/.test(text)) fail('table', `the section shows a raw value: ${text.slice(0, 200)}`);
  if (!result.steps.table.reported) fail('table', `no row for ${reported}`);
  if (!result.steps.table.silent) fail('table', `no row for ${silent}`);

  // the choropleth: which municipalities MapLibre drew in the silence layers, and the colour each got
  result.steps.choropleth = await page.evaluate(() => new Promise((resolve) => {
    const m = window.hubMap;
    m.once('idle', () => {
      const ids = window.hubSilence.layerIds.filter((id) => m.getLayer(id));
      const drawn = m.queryRenderedFeatures({ layers: ['silence-fill', 'silence-point'].filter((id) => m.getLayer(id)) });
      const features = {};
      for (const f of drawn) features[f.properties.municipality_code] ??= { type: f.geometry.type, layer: f.layer.id, hours: f.properties.hours_since_last_report ?? null };
      resolve({ layers: ids, rendered: drawn.length, codes: Object.keys(features).sort(), features });
    });
    m.fitBounds([[136.2, 36.0], [137.4, 37.6]], { animate: false, padding: 20 });
  }));
  if (!result.steps.choropleth.layers.includes('silence-fill')) fail('choropleth', 'no silence-fill layer');
  if (result.steps.choropleth.rendered === 0) fail('choropleth', 'nothing rendered');

  // draw a small triangle around the point inside the reporting municipality: the table narrows to it
  const anchor = { lon: anchorLon, lat: anchorLat };
  // close enough that each vertex is well clear of the shelter symbol at the anchor (no popup steals a click)
  await page.evaluate(({ lon, lat }) => new Promise((resolve) => { window.hubMap.once('idle', resolve); window.hubMap.jumpTo({ center: [lon, lat], zoom: 12 }); }), anchor);
  await page.locator('[data-testid="silence-area-polygon"] input').check();
  const box = await page.locator('#map canvas').boundingBox();
  const offsets = [[-0.01, -0.008], [0.01, -0.008], [0, 0.012]];
  for (const [dx, dy] of offsets) {
    const p = await page.evaluate(({ lon, lat }) => window.hubMap.project([lon, lat]), { lon: anchor.lon + dx, lat: anchor.lat + dy });
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.waitForTimeout(350); // not a double click
  }
  await page.evaluate(() => { document.body.dataset.silenceReady = '0'; });
  await page.locator('[data-testid="silence-draw-finish"]').click();
  await page.waitForSelector('body[data-silence-ready="1"]');
  result.steps.drawn = {
    anchor,
    vertices: await page.evaluate(() => window.hubSilence.state.polygon?.length ?? 0),
    codes: await page.evaluate(() => [...document.querySelectorAll('[data-testid="silence-table"] tbody tr')].map((tr) => tr.dataset.code)),
  };

  await page.screenshot({ path: screenshotPath });
  result.ok = result.failures.length === 0 && result.pageErrors.length === 0;
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

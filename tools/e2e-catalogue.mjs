#!/usr/bin/env node
// The catalogue layers on the web map (issue 12), in headless Debian chromium (playwright-core).
//
//   node tools/e2e-catalogue.mjs BASE_URL MEDIA_LON MEDIA_LAT
//
// BASE_URL   a running hub holding a road closure and a public photo (layer media) at MEDIA_LON/MEDIA_LAT
//
// Checks: the layer list has a toggle per catalogue layer (from /api/v1/layers, not a list in the page); the legend
// shows the road closures' status colours; the style draws road_closures; clicking the photo opens a popup whose
// thumbnail image loads. Prints one JSON line; exit 0 when every check passed, 1 otherwise, 2 on bad usage.
import { launchChromium, openPage } from './chromium.mjs';

const [baseArg, lonArg, latArg] = process.argv.slice(2);
if (!baseArg || !lonArg || !latArg) {
  console.error('usage: node tools/e2e-catalogue.mjs BASE_URL MEDIA_LON MEDIA_LAT');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const media = { lon: Number(lonArg), lat: Number(latArg) };
const result = { ok: false, failures: [], pageErrors: [], steps: {} };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);

const catalogue = await (await fetch(`${base}/api/v1/layers`)).json();
const ids = catalogue.layers.map((l) => l.id);
const browser = await launchChromium();
try {
  const page = await openPage(browser, result);
  await page.goto(`${base}/`, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 }).catch(() => fail('ready', 'body[data-ready="1"] not set'));

  const toggles = await page.$$eval('[data-testid^="toggle-"]', (els) => els.map((e) => e.dataset.testid.slice('toggle-'.length)));
  result.steps.toggles = toggles;
  for (const id of ids) if (!toggles.includes(id)) fail('layers', `no toggle for catalogue layer ${id}`);
  const legend = await page.$$eval('[data-legend-layer="road_closures"] [data-status]', (els) => els.map((e) => e.dataset.status));
  result.steps.legend = legend;
  if (!legend.includes('規制中')) fail('legend', `road closures legend shows ${JSON.stringify(legend)}`);
  const styled = await page.evaluate(() => window.hubMap.getStyle().layers.filter((x) => x.metadata?.['hub:layer'] === 'road_closures').map((x) => x.id));
  result.steps.styled = styled;
  if (!styled.includes('road_closures-line')) fail('style', `road_closures style layers: ${styled}`);

  await page.evaluate(({ lon, lat }) => new Promise((resolve) => {
    window.hubMap.once('idle', resolve);
    window.hubMap.jumpTo({ center: [lon, lat], zoom: 15 });
    setTimeout(resolve, 8000);
  }), media);
  const pt = await page.evaluate(({ lon, lat }) => {
    const r = window.hubMap.getCanvas().getBoundingClientRect();
    const p = window.hubMap.project([lon, lat]);
    return { x: r.left + p.x, y: r.top + p.y };
  }, media);
  await page.mouse.click(pt.x, pt.y);
  try {
    await page.waitForSelector('[data-testid="popup-media"] img', { timeout: 8000 });
    await page.waitForFunction(() => {
      const img = document.querySelector('[data-testid="popup-media"] img');
      return img && img.complete && img.naturalWidth > 0;
    }, null, { timeout: 8000 });
    result.steps.thumbnail = await page.$eval('[data-testid="popup-media"] img', (img) => ({ src: img.getAttribute('src'), width: img.naturalWidth, height: img.naturalHeight }));
  } catch {
    fail('popup', 'no loaded thumbnail in the media popup');
  }
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
if (result.pageErrors.length) fail('page', result.pageErrors.join('; '));
result.ok = result.failures.length === 0;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

// Headless Debian chromium for the end-to-end scripts (e2e-*.mjs, screenshot.mjs): one set of flags.
// --disable-background-networking and friends: this machine's network is closed, and chromium's own connections
// would be refused many at a time. SwiftShader gives MapLibre a software WebGL context on machines without a GPU
// (--disable-gpu is harmless with it).
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-gl=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

/** Launches chromium ($CHROMIUM, else /usr/bin/chromium) with those flags. */
export const launchChromium = () => chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });

/**
 * A page as the e2e scripts use it: 1280×800, Tokyo time, Japanese locale, a default timeout, and every uncaught
 * page error collected into result.pageErrors.
 */
export async function openPage(browser, result, { timeout = 15_000 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, timezoneId: 'Asia/Tokyo', locale: 'ja-JP' });
  page.setDefaultTimeout(timeout);
  page.on('pageerror', (e) => result.pageErrors.push(e.message));
  return page;
}

/** The feature names the map (window.hubMap) draws within 12 px of LON,LAT at zoom 14, once it is idle there. */
export const drawnNames = (page, lon, lat) => page.evaluate(({ lon, lat }) => new Promise((resolve) => {
  const m = window.hubMap;
  m.once('idle', () => {
    const p = m.project([lon, lat]);
    const found = m.queryRenderedFeatures([[p.x - 12, p.y - 12], [p.x + 12, p.y + 12]]);
    resolve([...new Set(found.map((f) => f.properties?.name).filter(Boolean))]);
  });
  m.jumpTo({ center: [lon, lat], zoom: 14 });
}), { lon, lat });

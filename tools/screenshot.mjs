#!/usr/bin/env node
// Screenshot of the DisasterHub web map in headless Debian chromium via playwright-core.
//   node tools/screenshot.mjs URL OUT.png
// Env: CHROMIUM (default /usr/bin/chromium), WIDTH/HEIGHT (default 1280x800),
//      READY_TIMEOUT_MS (default 30000), SETTLE_MS (default 1500).
// Waits for body[data-ready="1"] (set by app.js after the first data load), then SETTLE_MS.
// Exit code 1 when the page does not become ready or WebGL is unavailable.
import { launchChromium } from './chromium.mjs';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node tools/screenshot.mjs URL OUT.png');
  process.exit(2);
}

const browser = await launchChromium();
let code = 0;
try {
  const page = await browser.newPage({
    viewport: { width: Number(process.env.WIDTH || 1280), height: Number(process.env.HEIGHT || 800) },
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`[browser ${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => console.error(`[pageerror] ${e.message}`));
  page.on('requestfailed', (r) => console.error(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));

  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  try {
    await page.waitForSelector('body[data-ready="1"]', { timeout: Number(process.env.READY_TIMEOUT_MS || 30_000) });
  } catch (e) {
    console.error('page did not set body[data-ready="1"] in time');
    code = 1;
  }
  await page.waitForTimeout(Number(process.env.SETTLE_MS || 1500));

  const info = await page.evaluate(() => {
    const c = document.createElement('canvas');
    const gl = c.getContext('webgl2') || c.getContext('webgl');
    const dbg = gl && gl.getExtension('WEBGL_debug_renderer_info');
    return {
      webgl: gl ? (gl instanceof WebGL2RenderingContext ? 'webgl2' : 'webgl1') : null,
      renderer: dbg ? gl.getParameter(dbg.UNMASKED_RENDERER_WEBGL) : null,
      mapLoaded: window.hubMap ? window.hubMap.loaded() : null,
      shelters: document.querySelector('[data-testid="shelter-count"]')?.textContent ?? null,
      evacuees: document.querySelector('[data-testid="evacuee-total"]')?.textContent ?? null,
    };
  });
  console.log(JSON.stringify(info));
  if (!info.webgl) { console.error('no WebGL context in this chromium'); code = 1; }

  await page.screenshot({ path: out });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}
process.exit(code);

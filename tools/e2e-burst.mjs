#!/usr/bin/env node
// Measures the officers' map in headless chromium while one large document's change events arrive (a national
// registry re-published with every row changed is ~110,000 events).
//
//   node tools/e2e-burst.mjs BASE_URL TOKEN FILE SOURCE EXPECTED [FORMAT]
//
// BASE_URL  a running hub whose SOURCE already holds the registry (e.g. a 110,000-row GSI CSV pushed once)
// TOKEN     an API key allowed to push to SOURCE
// FILE      the document to push while the map watches (FORMAT, default gsi-shelter-csv)
// EXPECTED  how many change events the push makes (its "changed"): the run ends when the page has counted them
//
// Steps: load `/`, wait for body[data-ready="1"], observe long tasks (PerformanceObserver 'longtask'), push FILE
// from node, and every 500 ms time a round trip into the page (how long a click would wait) and read the page's event
// count (body[data-event-count]). Prints one JSON line: the push's status and time, when the page had counted every
// event, long tasks (count, total, longest ms), the slowest round trip, and every fifth probe [ms, round trip ms,
// events counted]. Env: CHROMIUM, BURST_TIMEOUT_MS (300000). Figures: BENCHMARKS.md.
import { readFileSync } from 'node:fs';
import { launchChromium, openPage } from './chromium.mjs';

const [base, token, file, source, expectedArg, format = 'gsi-shelter-csv'] = process.argv.slice(2);
if (!base || !token || !file || !source || !expectedArg) {
  console.error('usage: node tools/e2e-burst.mjs BASE_URL TOKEN FILE SOURCE EXPECTED [FORMAT]');
  process.exit(2);
}
const expected = Number(expectedArg);
const timeoutMs = Number(process.env.BURST_TIMEOUT_MS || 300_000);
const result = { pageErrors: [], probes: [] };
const browser = await launchChromium();
try {
  const page = await openPage(browser, result, { timeout: 60_000 });
  await page.goto(base + '/');
  await page.waitForSelector('body[data-ready="1"]');
  await page.evaluate(() => {
    window.hubLongTasks = { n: 0, total: 0, max: 0 };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const l = window.hubLongTasks;
        l.n += 1; l.total += e.duration; l.max = Math.max(l.max, e.duration);
      }
    }).observe({ type: 'longtask' });
  });
  const t0 = Date.now();
  const push = fetch(`${base}/api/v1/sources/${source}/documents?format=${format}`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: readFileSync(file),
  }).then(async (r) => { result.push = { status: r.status, ms: Date.now() - t0, changed: (await r.json().catch(() => ({}))).changed }; });
  let count = 0;
  while (Date.now() - t0 < timeoutMs) {
    const s = Date.now();
    // (pages before event-burst.js had no data-event-count: their last-event box shows the count in parentheses)
    count = await page.evaluate(() => Number(document.body.dataset.eventCount
      ?? (document.querySelector('#last-event .ev-more')?.textContent ?? '').replace(/[^\d]/g, '')) || 0);
    result.probes.push([Date.now() - t0, Date.now() - s, count]);
    if (count >= expected) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await push;
  result.counted = count;
  result.allCountedMs = count >= expected ? Date.now() - t0 : null;
  result.longTasks = await page.evaluate(() => window.hubLongTasks);
  result.slowestRoundTripMs = Math.max(...result.probes.map((p) => p[1]));
  result.probes = result.probes.filter((_, i) => i % 5 === 0);
} finally {
  await browser.close().catch(() => {});
}
console.log(JSON.stringify(result));
process.exit(result.allCountedMs != null && result.pageErrors.length === 0 ? 0 : 1);

#!/usr/bin/env node
// The municipality page (issue 14 §3, §7) in headless Debian chromium (playwright-core), on a 375×667 phone viewport.
//
//   node tools/e2e-city.mjs BASE_URL SHELTER_NAME [SCREENSHOT.png]
//
// BASE_URL      a running hub whose 七尾市 has shelters (SHELTER_NAME among them, not open), the demo people
//               clerk@nanao.example and officer@pref.ishikawa.example (password demo-pass-2026)
//
// Steps: the clerk signs in through the page's form; by keyboard only (Tab, Enter, arrows, Space) opens SHELTER_NAME,
// sets 開設 and 42 evacuees and water, sends; the officer's HTTP read (OGC items with the officer's session) shows it
// (ms measured); the page has no horizontal scroll; a CSV with one bad row is previewed (its line and reason shown,
// nothing stored: the source's documents and the officer's read unchanged) and committed (the good rows arrive); the
// browser goes offline, a change is queued, and once online it arrives exactly once. Prints one JSON line; exit 0 when
// every check passed, 1 otherwise, 2 on bad usage.
import { launchChromium } from './chromium.mjs';

const [baseArg, shelterName, screenshot] = process.argv.slice(2);
if (!baseArg || !shelterName) {
  console.error('usage: node tools/e2e-city.mjs BASE_URL SHELTER_NAME [SCREENSHOT.png]');
  process.exit(2);
}
const base = new URL(baseArg).origin;
const PASSWORD = 'demo-pass-2026';
const result = { ok: false, failures: [], pageErrors: [], steps: {} };
const fail = (step, message) => result.failures.push(`${step}: ${message}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The officer's session outside the browser: the cookie the hub hands out. */
async function officerCookie() {
  const res = await fetch(`${base}/api/v1/session`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'officer@pref.ishikawa.example', password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`officer sign-in: HTTP ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}
const cookie = await officerCookie();
async function officerShelters(name) {
  const res = await fetch(`${base}/ogc/collections/merged_shelters/items?municipality_code=172022&limit=1000`, { headers: { Cookie: cookie, Accept: 'application/geo+json' } });
  const body = await res.json();
  return body.features.filter((f) => f.properties.name === name);
}

const browser = await launchChromium();
try {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, timezoneId: 'Asia/Tokyo', locale: 'ja-JP', hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => result.pageErrors.push(e.message));
  const documents = () => page.evaluate(async () => {
    const src = (await (await fetch('/api/v1/sources')).json()).sources.find((s) => s.id === 'nanao-status');
    const res = await fetch(`/api/v1/sources/${src.id}/documents?limit=200`, { cache: 'no-store' });
    return (await res.json()).documents.map((d) => d.id);
  });
  /** Presses Tab until the focused element matches (keyboard only); false after 60 presses. */
  const tabTo = async (predicate, arg) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(predicate, arg)) return true;
    }
    return false;
  };

  // sign in through the page's own form
  await page.goto(`${base}/city/`, { waitUntil: 'load' });
  await page.click('[data-testid="sign-in"]');
  await page.fill('[data-testid="signin-email"]', 'clerk@nanao.example');
  await page.fill('[data-testid="signin-password"]', PASSWORD);
  await page.press('[data-testid="signin-password"]', 'Enter');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
  result.steps.city = await page.textContent('#city-name');
  if (result.steps.city !== '七尾市') fail('sign-in', `the page names ${result.steps.city}, not 七尾市`);
  result.steps.listed = await page.$$eval('[data-testid="shelter-item"]', (els) => els.map((e) => e.dataset.name));
  if (!result.steps.listed.includes(shelterName)) fail('list', `${shelterName} not among ${result.steps.listed}`);

  // keyboard only: the shelter, 開設, 42 evacuees, water, send
  await page.evaluate(() => document.activeElement?.blur());
  if (!await tabTo((n) => document.activeElement?.dataset.name === n, shelterName)) fail('keyboard', 'Tab never reached the shelter');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid="status-form"]');
  if (!await tabTo(() => document.activeElement?.name === 'status')) fail('keyboard', 'Tab never reached 開設状況');
  for (let i = 0; i < 3 && await page.evaluate(() => document.activeElement.value !== '開設'); i++) await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  if (!await page.isChecked('[data-testid="status-open"]')) fail('keyboard', 'arrows and Space did not choose 開設');
  if (!await tabTo(() => document.activeElement?.id === 'evacuees')) fail('keyboard', 'Tab never reached 避難者数');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('42');
  if (!await tabTo(() => document.activeElement?.dataset.testid === 'need-water')) fail('keyboard', 'Tab never reached 水');
  await page.keyboard.press('Space');
  if (!await tabTo(() => document.activeElement?.dataset.testid === 'save')) fail('keyboard', 'Tab never reached 送信');
  const sentAt = Date.now();
  await page.keyboard.press('Enter');
  let seen = null;
  while (Date.now() - sentAt < 5000) {
    const [f] = await officerShelters(shelterName);
    if (f?.properties.attrs?.evacuees === 42 && f.properties.status === '開設') { seen = Date.now() - sentAt; break; }
    await sleep(50);
  }
  result.steps.officerSeenMs = seen;
  if (seen === null) fail('officer', 'the officer never read 42 evacuees');
  await page.waitForFunction(() => document.querySelector('[data-testid="form-status"]')?.textContent.includes('Sent'));

  result.steps.scroll = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  if (result.steps.scroll.scrollWidth > 375) fail('viewport', `horizontal scroll at 375 px: ${JSON.stringify(result.steps.scroll)}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  // upload with preview: line 3 is refused, nothing stored until Commit
  // names of this run (a demo keeps what an earlier run uploaded): a row seen before Commit is this run's leak
  const before = await documents();
  const run = Date.now().toString(36).slice(-5);
  const [u1, u2, u3] = ['アップロード小学校', 'アップロード中学校', 'アップロード公民館'].map((n) => `${n}${run}`);
  const csv = 'ID,名称,所在地_全国地方公共団体コード,緯度,経度,開設状況,人数\r\n'
    + `U1,${u1},172022,37.041,136.961,開設,12\r\n`
    + `U2,${u2},172022,37.045,136.965,たぶん,3\r\n`
    + `U3,${u3},172022,37.049,136.969,未開設,\r\n`;
  await page.setInputFiles('[data-testid="upload-file"]', { name: 'shelters.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await page.waitForSelector('[data-testid="preview-rejected"] tbody tr');
  result.steps.previewRejected = await page.$$eval('[data-testid="preview-rejected"] tbody tr', (rows) => rows.map((r) => ({ line: r.dataset.line, text: r.textContent })));
  result.steps.previewAccepted = await page.$$eval('[data-testid="preview-accepted"] tbody tr', (rows) => rows.map((r) => r.dataset.key));
  if (result.steps.previewRejected.length !== 1 || result.steps.previewRejected[0].line !== '3' || !result.steps.previewRejected[0].text.includes('たぶん'))
    fail('preview', `rejections shown: ${JSON.stringify(result.steps.previewRejected)}`);
  if (JSON.stringify(result.steps.previewAccepted) !== '["U1","U3"]') fail('preview', `accepted shown: ${result.steps.previewAccepted}`);
  if ((await documents()).length !== before.length) fail('preview', 'a document was stored before Commit');
  if ((await officerShelters(u1)).length) fail('preview', 'a previewed row reached the officer before Commit');
  if (screenshot) await page.screenshot({ path: screenshot.replace(/\.png$/, '-preview.png'), fullPage: true });
  await page.click('[data-testid="upload-commit"]');
  await page.waitForSelector('[data-testid="upload-status"][data-committed="1"]');
  result.steps.committed = {
    u1: (await officerShelters(u1)).length, u2: (await officerShelters(u2)).length, u3: (await officerShelters(u3)).length,
  };
  if (result.steps.committed.u1 !== 1 || result.steps.committed.u3 !== 1 || result.steps.committed.u2 !== 0) fail('commit', JSON.stringify(result.steps.committed));

  // offline: the change waits in the outbox and arrives once when the connection is back
  const beforeOffline = await documents();
  await context.setOffline(true);
  await page.click(`[data-testid="shelter-item"][data-name="${shelterName}"]`);
  await page.fill('[data-testid="evacuees"]', '7');
  await page.click('[data-testid="save"]');
  await page.waitForSelector('[data-testid="outbox-state"][data-count="1"]');
  result.steps.queuedShown = await page.textContent(`[data-testid="shelter-item"][data-name="${shelterName}"]`);
  if (!result.steps.queuedShown.includes('7人')) fail('offline', `the list does not show the queued count: ${result.steps.queuedShown}`);
  await sleep(500);
  if ((await officerShelters(shelterName))[0]?.properties.attrs?.evacuees !== 42) fail('offline', 'the change reached the hub while offline');
  await context.setOffline(false);
  await page.waitForSelector('[data-testid="outbox-state"][data-count="0"]', { state: 'attached', timeout: 15_000 });
  await page.evaluate(() => window.dispatchEvent(new Event('online'))); // a second `online` sends nothing more
  await sleep(1000);
  const afterOnline = await documents();
  result.steps.offlineDocuments = afterOnline.length - beforeOffline.length;
  if (result.steps.offlineDocuments !== 1) fail('offline', `${result.steps.offlineDocuments} documents arrived, not exactly one`);
  result.steps.afterOnline = (await officerShelters(shelterName))[0]?.properties.attrs?.evacuees;
  if (result.steps.afterOnline !== 7) fail('offline', `the officer reads ${result.steps.afterOnline} evacuees after reconnecting`);

  // the city's complete list (issue 16): every record the city's source holds now (read back, as a clerk's export
  // would be) but U3; the preview names what Commit withdraws, nothing is withdrawn before Commit, and after it the
  // officer no longer reads U3
  await page.check('[data-testid="upload-replace"]');
  const held = (await (await fetch(`${base}/ogc/collections/shelters/items?municipality_code=172022&limit=1000`, { headers: { Cookie: cookie, Accept: 'application/geo+json' } })).json())
    .features.filter((f) => f.properties.sources?.includes('nanao-status') && f.properties.source_key !== 'U3' && f.geometry?.type === 'Point');
  const cell = (v) => (v == null ? '' : /[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const sorts = ['未開設', '開設', '閉鎖', '不明', '常設'];
  const whole = 'ID,名称,所在地_全国地方公共団体コード,緯度,経度,開設状況,人数\r\n' + held.map((f) => [
    f.properties.source_key, f.properties.name, '172022', f.geometry.coordinates[1], f.geometry.coordinates[0],
    sorts.includes(f.properties.status) ? f.properties.status : '', f.properties.attrs?.evacuees,
  ].map(cell).join(',') + '\r\n').join('');
  result.steps.held = held.length;
  await page.setInputFiles('[data-testid="upload-file"]', { name: 'registry.csv', mimeType: 'text/csv', buffer: Buffer.from(whole, 'utf8') });
  await page.waitForSelector('[data-testid="preview-withdrawn"] tbody tr');
  result.steps.withdrawing = await page.$$eval('[data-testid="preview-withdrawn"] tbody tr', (rows) => rows.map((r) => r.dataset.key));
  if (JSON.stringify(result.steps.withdrawing) !== '["U3"]') fail('replace', `withdrawals shown: ${result.steps.withdrawing}`);
  if ((await officerShelters(u3)).length !== 1) fail('replace', 'U3 was withdrawn before Commit');
  await page.click('[data-testid="upload-commit"]');
  await page.waitForSelector('[data-testid="upload-status"][data-committed="1"]');
  result.steps.replaced = { status: await page.textContent('[data-testid="upload-status"]'), u1: (await officerShelters(u1)).length, u3: (await officerShelters(u3)).length };
  if (result.steps.replaced.u3 !== 0 || result.steps.replaced.u1 !== 1) fail('replace', JSON.stringify(result.steps.replaced));
  if (!result.steps.replaced.status.includes('withdrawn 1')) fail('replace', `status after Commit: ${result.steps.replaced.status}`);
} catch (e) {
  fail('run', e.message);
} finally {
  await browser.close();
}
if (result.pageErrors.length) fail('page', result.pageErrors.join('; '));
result.ok = result.failures.length === 0;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

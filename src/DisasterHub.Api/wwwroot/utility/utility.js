// The utility page (issue 14 §4): utility staff sign in (signin.js), see the outages their push source reports (a
// lifeline layer of the catalogue: power, water, gas, telecom) with each restoration estimate and its overdue flag,
// post or revise an estimate in a few taps — a one-feature push in the layer's generic GeoJSON format, through the
// shared outbox — read each estimate's revision history, upload a file through the shared preview, and read what was
// sent. Same layout and modules as the municipality page.
import { currentSession } from '../session.js';
import { createOutbox } from '../outbox.js';
import { rejectedRowsText, showQueued } from '../page-dom.js';
import { mountUploadPreview } from '../upload-preview.js';
import { renderHistory } from '../city/history.js';
import { renderOutageList } from './outage-list.js';
import { renderEstimateForm } from './estimate-form.js';

const $ = (id) => document.getElementById(id);
const notice = (text) => { $('notice').textContent = text; $('notice').hidden = !text; };
const state = { source: null, outages: [], selected: null, pending: new Map() };

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** The organization's push source of a lifeline layer (the catalogue marks them). */
async function findSource(org) {
  const [{ sources }, { layers }] = await Promise.all([getJson('/api/v1/sources'), getJson('/api/v1/layers')]);
  const lifeline = new Set(layers.filter((l) => l.lifeline).map((l) => l.id));
  return sources.find((s) => s.owner_org === org && s.kind === 'push' && lifeline.has(s.layer)) ?? null;
}

const estimatesUrl = (o) => `/api/v1/lifelines/${encodeURIComponent(state.source.layer)}/${encodeURIComponent(o.entity)}/estimates`;

async function loadOutages() {
  const page = await getJson(`/ogc/collections/${encodeURIComponent(state.source.layer)}/items?source_id=${encodeURIComponent(state.source.id)}&limit=1000`);
  state.outages = page.features.map((f) => {
    const p = f.properties;
    const a = p.attrs || {};
    return {
      key: p.source_key, entity: p.entity_key, name: p.name || p.source_key, code: p.municipality_code, status: p.status,
      customers: a.customers_out ?? a.households_out ?? null, eta: a.restoration_eta ?? null, geometry: f.geometry, overdue: false,
    };
  }).sort((a, b) => a.name.localeCompare(b.name, 'ja'));
  // the overdue flag is the estimates endpoint's (the hub's clock decides, not the phone's)
  await Promise.all(state.outages.map(async (o) => {
    try { o.overdue = (await getJson(estimatesUrl(o))).overdue; } catch { /* no estimate yet */ }
  }));
  render();
}

async function loadHistory() {
  const body = await getJson(`/api/v1/sources/${encodeURIComponent(state.source.id)}/documents?limit=10`);
  renderHistory($('history'), body.documents);
  return body;
}

function render() {
  renderOutageList($('outage-list'), state.outages, { selected: state.selected, pending: state.pending, onSelect: open });
}

async function open(outage) {
  state.selected = outage.key;
  render();
  let history = null;
  try { history = await getJson(estimatesUrl(outage)); } catch { /* offline, or no estimate yet */ }
  renderEstimateForm($('estimate-form'), { ...outage, ...(state.pending.get(outage.key) || {}) }, history, {
    onSave: (change) => save(outage, change),
    onClose: () => {
      $('estimate-form').hidden = true;
      state.selected = null;
      render();
      document.querySelector(`[data-key="${CSS.escape(outage.key)}"]`)?.focus();
    },
  });
}

async function save(outage, change) {
  const properties = {
    name: outage.name, municipality_code: outage.code, status: change.status, severity: change.status === '復旧' ? 0 : 2,
    customers_out: change.customers, observed_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  if (change.eta) properties.restoration_eta = new Date(change.eta).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const doc = { type: 'FeatureCollection', features: [{ type: 'Feature', id: outage.key, geometry: outage.geometry, properties }] };
  const entry = await outbox.add({
    url: `/api/v1/sources/${encodeURIComponent(state.source.id)}/documents`, body: JSON.stringify(doc), contentType: 'application/geo+json', label: outage.key,
  });
  return outbox.entries().some((e) => e.key === entry.key)
    ? '送信待ち：接続が戻ると送信します / Queued: sent when the connection is back'
    : '送信しました / Sent';
}

/** A push the hub took but whose rows it refused (a 200 with rejections) is said on the page, with the first reason. */
const rejectedRows = (answer) => notice(rejectedRowsText(answer));

// one outbox per page and person: what a clerk queued is never sent under another person's session
let outbox = null;
const outboxEvents = {
  onChange: (entries) => {
    showQueued($('outbox-state'), entries);
    state.pending = new Map();
    for (const e of entries) {
      try {
        const p = JSON.parse(e.body).features[0].properties;
        state.pending.set(e.label, { status: p.status, customers: p.customers_out, eta: p.restoration_eta });
      } catch { /* an upload */ }
    }
    if (state.source) render();
  },
  onSent: async (entry, answer) => {
    rejectedRows(answer);
    if (!state.source) return;
    await Promise.all([loadOutages(), loadHistory()]);
    const o = state.outages.find((x) => x.key === entry.label);
    if (o && state.selected === o.key) open(o);
  },
  onRefused: (entry, answer, status) => notice(`送信が拒否されました / Refused (${status}): ${answer?.detail || ''}`),
};

async function start() {
  let session = null;
  try { session = await currentSession(); } catch { /* offline */ }
  if (!session) { notice('右上からサインインしてください / Sign in (top right)'); return; }
  outbox = createOutbox(`utility:${session.email}`, outboxEvents);
  state.source = await findSource(session.organization);
  if (!state.source) { notice(`${session.organization_name || session.organization} にはライフラインの送信先がありません / Your organization has no lifeline push source`); return; }
  const history = await loadHistory();
  $('org-name').textContent = history.owner?.name || session.organization_name || '';
  $('layer-name').textContent = `(${state.source.layer})`;
  mountUploadPreview($('upload'), {
    sourceId: state.source.id,
    columns: [['状況 / Status', (a) => a.status], ['復旧見込み / ETA', (a) => a.attrs?.restoration_eta]],
    onCommitted: () => { loadOutages(); loadHistory(); },
  });
  await loadOutages();
  notice('');
  $('utility').hidden = false;
  document.body.dataset.ready = '1';
}

start().catch((e) => notice(`読み込めません / Could not load: ${e.message}`));

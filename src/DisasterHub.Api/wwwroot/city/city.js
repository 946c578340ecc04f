// The municipality page (issue 14 §3): a clerk signs in (signin.js), sees the city's shelters as a list and a small map
// (OGC API items of merged_shelters filtered to the city's municipality codes), sets 開設状況, evacuees and needs in a
// few taps — a shelter-status push to the city's push source, queued in the outbox while offline —, uploads a CSV or
// GeoJSON through the preview, and reads what was sent. Mobile first; Japanese with English.
import { currentSession, hubFetch } from '../session.js';
import { createOutbox } from '../outbox.js';
import { rejectedRowsText, showQueued } from '../page-dom.js';
import { mountUploadPreview } from '../upload-preview.js';
import { renderShelterList } from './shelter-list.js';
import { renderShelterForm } from './shelter-form.js';
import { renderHistory } from './history.js';
import { createCityMap } from './city-map.js';

const $ = (id) => document.getElementById(id);
const notice = (text) => { $('notice').textContent = text; $('notice').hidden = !text; };

const state = { source: null, codes: [], shelters: [], selected: null, pending: new Map() };

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** The organization's shelter push source: a push source of layer shelters it owns, its status format first. */
async function findSource(org) {
  const { sources } = await getJson('/api/v1/sources');
  const own = sources.filter((s) => s.owner_org === org && s.kind === 'push' && s.layer === 'shelters');
  return own.find((s) => s.format === 'shelter-status-json') ?? own[0] ?? null;
}

function shelterOf(f) {
  const p = f.properties;
  const a = p.attrs || {};
  const [lon, lat] = f.geometry?.type === 'Point' ? f.geometry.coordinates : [null, null];
  return {
    entity: p.entity_key, id: a.shelter_id ?? null, commonId: a.common_id ?? null, name: p.name || p.entity_key, address: p.address,
    code: p.municipality_code, status: p.status, evacuees: a.evacuees ?? null, capacity: a.capacity ?? null,
    needs: a.needed_supplies ?? [], lon, lat,
  };
}

async function loadShelters() {
  const pages = await Promise.all(state.codes.map((code) =>
    getJson(`/ogc/collections/merged_shelters/items?municipality_code=${encodeURIComponent(code)}&limit=1000`)));
  state.shelters = pages.flatMap((p) => p.features.map(shelterOf)).sort((a, b) => a.name.localeCompare(b.name, 'ja'));
  render();
}

async function loadHistory() {
  const res = await fetch(`/api/v1/sources/${encodeURIComponent(state.source.id)}/documents?limit=10`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`history: HTTP ${res.status}`);
  const body = await res.json();
  renderHistory($('history'), body.documents);
  return body;
}

function render() {
  renderShelterList($('shelter-list'), state.shelters, { selected: state.selected, pending: state.pending, onSelect: open });
  map.update(state.shelters, state.selected);
}

function open(shelter) {
  state.selected = shelter.entity;
  const shown = { ...shelter, ...(state.pending.get(shelter.entity) || {}) };
  renderShelterForm($('shelter-form'), shown, {
    onSave: (change) => save(shelter, change),
    onClose: () => {
      $('shelter-form').hidden = true;
      state.selected = null;
      render();
      document.querySelector(`[data-entity="${CSS.escape(shelter.entity)}"]`)?.focus();
    },
  });
  render();
}

/** One shelter's change as the status push (shelter-status-json): observed now, so a late send never overwrites a newer report. */
async function save(shelter, change) {
  const item = { id: shelter.id ?? shelter.entity, name: shelter.name, status: change.status, evacuees: change.evacuees, needed_supplies: change.needs };
  if (shelter.commonId) item.common_id = shelter.commonId;
  if (shelter.lon != null) Object.assign(item, { lat: shelter.lat, lon: shelter.lon });
  const doc = { municipality_code: shelter.code, observed_at: new Date().toISOString(), shelters: [item] };
  const entry = await outbox.add({
    url: `/api/v1/sources/${encodeURIComponent(state.source.id)}/documents`, body: JSON.stringify(doc), contentType: 'application/json', label: shelter.entity,
  });
  return outbox.entries().some((e) => e.key === entry.key)
    ? '送信待ち：接続が戻ると送信します / Queued: sent when the connection is back'
    : '送信しました / Sent';
}

function pendingFrom(entries) {
  state.pending = new Map();
  for (const e of entries) {
    try {
      const s = JSON.parse(e.body).shelters[0];
      state.pending.set(e.label, { status: s.status, evacuees: s.evacuees, needs: s.needed_supplies });
    } catch { /* not a status change */ }
  }
}

const map = createCityMap($('map'), open);
/** A push the hub took but whose rows it refused (a 200 with rejections) is said on the page, with the first reason. */
const rejectedRows = (answer) => notice(rejectedRowsText(answer));

// one outbox per page and person: what a clerk queued is never sent under another person's session
let outbox = null;
const outboxEvents = {
  onChange: (entries) => {
    showQueued($('outbox-state'), entries);
    pendingFrom(entries);
    if (state.source) render();
  },
  onSent: (entry, answer) => {
    rejectedRows(answer);
    if (state.source) { loadShelters(); loadHistory(); }
  },
  onRefused: (entry, answer, status) => {
    notice(`送信が拒否されました / Refused (${status}): ${answer?.detail || ''}`);
    if (state.source) loadHistory();
  },
};

async function start() {
  let session = null;
  try { session = await currentSession(); } catch { /* unreachable hub: nothing to show until it answers */ }
  if (!session) {
    notice('右上からサインインしてください / Sign in (top right)');
    return;
  }
  outbox = createOutbox(`city:${session.email}`, outboxEvents);
  state.source = await findSource(session.organization);
  if (!state.source) {
    notice(`${session.organization_name || session.organization} には避難所の送信先がありません / Your organization has no shelter push source`);
    return;
  }
  const history = await loadHistory();
  state.codes = history.owner?.jurisdiction ?? [];
  $('city-name').textContent = history.owner?.name || session.organization_name || '';
  mountUploadPreview($('upload'), {
    sourceId: state.source.id,
    columns: [['開設状況 / Status', (a) => a.status], ['避難者数 / Evacuees', (a) => a.attrs?.evacuees]],
    onCommitted: () => { loadShelters(); loadHistory(); },
  });
  await loadShelters();
  notice('');
  $('city').hidden = false;
  document.body.dataset.ready = '1';
}

start().catch((e) => notice(`読み込めません / Could not load: ${e.message}`));

// Basemap switch for the officers' map: the online raster tiles the hub is configured with (GET /api/v1/basemap,
// Hub:Basemap:Online — by default GSI 地理院タイル, with streets and municipal detail), or the offline basemap the hub
// ships (Natural Earth outline + 国土数値情報 municipal boundaries, from /geodata), the default. The choice is remembered
// per browser (localStorage). When the online tiles cannot be
// loaded (no network in the EOC, the tile server down) the map falls back to the offline basemap by itself and says so.
//
// Layers added here are named "basemap-…" (app.js keeps them when it rebuilds the hub layers).

import { mapReady, toolbar, tool, say } from './map-tools.js';

const ONLINE = 'basemap-online';
const CHOICE = 'hub.basemap';
const MUNI = 'basemap-municipal';
/** Tile errors before the online basemap is given up (one is enough to know: the rest are the same network). */
const FAILURES_TO_FALL_BACK = 2;
/** Without a single loaded tile by then the online basemap is given up too (a connection that hangs, not fails). */
const FIRST_TILE_MS = 8_000;

const state = { config: null, choice: 'offline', fellBack: false, failures: 0, loaded: 0 };
window.hubBasemap = state;

async function config() {
  try {
    const r = await fetch('/api/v1/basemap', { headers: { Accept: 'application/json' } });
    if (r.ok) return await r.json();
  } catch { /* the hub itself unreachable: offline only */ }
  return { online: null, offline: { municipalities: '/geodata/municipal-boundaries.geojson' } };
}

/** The id of the first layer drawn above the basemap (the hub's own layers start after the coastline). */
function firstAbove(map) {
  const layers = map.getStyle().layers;
  const i = layers.findIndex((l) => l.id === 'coastline');
  return layers[i + 1]?.id;
}

function addLayers(map, cfg) {
  if (!map.getSource(MUNI)) {
    map.addSource(MUNI, {
      type: 'geojson',
      data: new URL(cfg.offline?.municipalities ?? '/geodata/municipal-boundaries.geojson', location.href).href,
      attribution: '「国土数値情報（行政区域データ）」（国土交通省）を加工して作成',
    });
    map.addLayer({
      id: MUNI, type: 'line', source: MUNI, minzoom: 6,
      paint: { 'line-color': '#8d8a80', 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.3, 12, 1.2], 'line-dasharray': [3, 2] },
    }, firstAbove(map));
  }
  if (cfg.online && !map.getSource(ONLINE)) {
    map.addSource(ONLINE, {
      type: 'raster', tiles: [new URL(cfg.online.url, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}')],
      tileSize: 256, maxzoom: cfg.online.maxzoom ?? 18, attribution: cfg.online.attribution,
    });
    map.addLayer({ id: ONLINE, type: 'raster', source: ONLINE, layout: { visibility: 'none' } }, firstAbove(map));
  }
}

function show(map, choice, why) {
  state.choice = choice;
  const online = choice === 'online' && map.getLayer(ONLINE);
  if (map.getLayer(ONLINE)) map.setLayoutProperty(ONLINE, 'visibility', online ? 'visible' : 'none');
  map.setLayoutProperty(MUNI, 'visibility', online ? 'none' : 'visible');
  const select = document.getElementById('basemap');
  if (select && select.value !== choice) select.value = choice;
  document.body.dataset.basemap = online ? 'online' : 'offline';
  if (why) say(why, 'basemap-status');
}

function fallBack(map, reason) {
  if (state.choice !== 'online' || state.fellBack) return;
  state.fellBack = true;
  show(map, 'offline', `オンライン地図を読み込めません。オフライン地図（市区町村境界）を表示中 / Online basemap unavailable (${reason}): showing the offline basemap`);
}

async function mount() {
  const map = await mapReady();
  const cfg = await config();
  state.config = cfg;
  // the style may have loaded before this module ran ('load' then never comes again): whichever comes first
  if (!map.isStyleLoaded()) await new Promise((resolve) => { map.once('load', resolve); map.once('idle', resolve); });
  addLayers(map, cfg);

  const select = document.createElement('select');
  select.id = 'basemap';
  select.dataset.testid = 'basemap';
  select.title = '背景地図 / basemap';
  select.append(new Option('オフライン地図 / offline', 'offline'));
  if (cfg.online) select.append(new Option('地理院タイル / online', 'online'));
  const label = document.createElement('label');
  label.className = 'tool-select';
  label.append(Object.assign(document.createElement('span'), { className: 'visually-hidden', textContent: 'Basemap' }), select);
  toolbar().prepend(label);
  select.addEventListener('change', () => {
    try { localStorage.setItem(CHOICE, select.value); } catch { /* storage off: the choice lasts this page */ }
    state.fellBack = false;
    state.failures = 0;
    show(map, select.value, select.value === 'online' ? '' : null);
    if (select.value === 'online') watchFirstTile(map);
  });

  map.on('error', (e) => {
    if (e.sourceId !== ONLINE && e.source?.id !== ONLINE) return;
    state.failures++;
    if (state.failures >= FAILURES_TO_FALL_BACK) fallBack(map, 'tile error');
  });
  map.on('sourcedata', (e) => {
    if (e.sourceId === ONLINE && e.tile && e.tile.state === 'loaded') state.loaded++;
  });

  // this browser's last choice, else the hub's default (offline unless Hub:Basemap:Default says online): nothing is
  // fetched from another site until someone chooses to
  let chosen = null;
  try { chosen = localStorage.getItem(CHOICE); } catch { /* storage off */ }
  const start = cfg.online && (chosen ?? cfg.default) === 'online' ? 'online' : 'offline';
  show(map, start);
  if (start === 'online') watchFirstTile(map);
}

function watchFirstTile(map) {
  const before = state.loaded;
  setTimeout(() => { if (state.loaded === before) fallBack(map, 'no tile'); }, FIRST_TILE_MS);
}

mount();
export { state as basemapState };

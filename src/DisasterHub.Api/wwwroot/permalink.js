// Permalink of the officers' map: the view — centre, zoom, bearing, visible layers, merged or per source, as-of time,
// workspace — kept in the URL hash as it changes, so the address bar is always the link to what is on screen, and
// restored when a link is opened. "リンクをコピー / Copy link" puts it on the clipboard.
//
//   /?workspace=noto-drill#map=11.50/37.04830/136.96140/0&layers=shelters,damage&mode=merged&at=2026-12-05T08:00:00.000Z
//
// The workspace stays in the query (workspace.js reads it there and every request carries it); the hash repeats it so
// a link pasted without the query still opens the drill.

import { mapReady, tool, say } from './map-tools.js';

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The view a hash describes (members missing when the hash does not say). */
export function parseHash(hash) {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const view = {};
  const m = (p.get('map') ?? '').split('/').map(Number);
  if (m.length >= 3 && m.slice(0, 3).every(Number.isFinite) && Math.abs(m[1]) <= 90 && Math.abs(m[2]) <= 180) {
    view.zoom = m[0];
    view.center = [m[2], m[1]];
    view.bearing = Number.isFinite(m[3]) ? m[3] : 0;
  }
  if (p.has('layers')) view.layers = p.get('layers').split(',').filter(Boolean);
  if (p.get('mode') === 'merged' || p.get('mode') === 'source') view.mode = p.get('mode');
  const at = p.get('at') ? new Date(p.get('at')) : null;
  if (at && !Number.isNaN(at.getTime())) view.at = at;
  if (p.get('workspace') && NAME.test(p.get('workspace'))) view.workspace = p.get('workspace');
  return view;
}

/** The hash of the map's current view. */
export function hashOf(map, state) {
  const c = map.getCenter();
  const p = new URLSearchParams();
  p.set('map', `${map.getZoom().toFixed(2)}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}/${Math.round(map.getBearing())}`);
  p.set('layers', Object.entries(state.visible).filter(([, on]) => on).map(([id]) => id).join(','));
  p.set('mode', state.mode);
  if (state.asOf) p.set('at', state.asOf.toISOString());
  const ws = new URLSearchParams(location.search).get('workspace');
  if (ws && ws !== 'live') p.set('workspace', ws);
  // keep the separators readable: ',' and '/' need no escaping in a fragment
  return `#${p.toString().replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':')}`;
}

/** A link opened without ?workspace= but with #…workspace=: reload on the drill (before anything is drawn). */
function workspaceFromHash(view) {
  const current = new URLSearchParams(location.search).get('workspace') ?? 'live';
  if (!view.workspace || view.workspace === current) return false;
  const u = new URL(location.href);
  u.searchParams.set('workspace', view.workspace);
  location.replace(u.toString());
  return true;
}

async function restore(map, view) {
  const hub = window.hub;
  if (view.mode && view.mode !== hub.state.mode) document.querySelector(`input[name="source-mode"][value="${view.mode}"]`)?.click();
  if (view.layers) for (const id of Object.keys(hub.state.visible)) hub.setVisible(id, view.layers.includes(id));
  if (view.at) hub.setAsOf(view.at);
  if (view.center) map.jumpTo({ center: view.center, zoom: view.zoom, bearing: view.bearing });
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // no clipboard permission (http, an old browser): select it in a field the officer can copy from
    const field = Object.assign(document.createElement('input'), { value: text, readOnly: true, className: 'permalink-field' });
    field.dataset.testid = 'permalink-field';
    document.getElementById('map-tools').append(field);
    field.select();
    return document.execCommand?.('copy') ?? false;
  }
}

async function mount() {
  const view = parseHash(location.hash);
  if (workspaceFromHash(view)) return;
  const map = await mapReady();
  await restore(map, view);

  let timer = 0;
  const write = () => {
    clearTimeout(timer);
    timer = setTimeout(() => history.replaceState(history.state, '', `${location.pathname}${location.search}${hashOf(map, window.hub.state)}`), 150);
  };
  map.on('moveend', write);
  // layer toggles, presets, mode, the time slider and 現在: they all end in a change or a click on the page
  // (not the workspace switch: it reloads the page on the other workspace, hash included)
  document.addEventListener('change', (e) => { if (e.target?.id !== 'workspace') write(); });
  document.addEventListener('click', write);
  write();

  const button = tool('copy-link', 'リンクをコピー', 'この表示へのリンクをコピー / Copy a link to this view', async () => {
    const url = `${location.origin}${location.pathname}${location.search}${hashOf(map, window.hub.state)}`;
    button.dataset.url = url;
    say(await copy(url) ? 'リンクをコピーしました / Link copied' : 'リンクを選択しました / Link selected: copy it with Ctrl+C');
  });
}

mount();

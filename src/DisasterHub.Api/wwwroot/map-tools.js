// The map's tool bar (basemap switch, copy link, PNG / PDF / CSV / GeoPackage of the view) and what its modules share:
// the map once app.js has made it, and a polite status line. basemap.js, permalink.js and view-export.js add to it.

/** The MapLibre map, once app.js has built it (it reads the layer catalogue first, so it may come after us). */
export function mapReady() {
  if (window.hubMap) return Promise.resolve(window.hubMap);
  return new Promise((resolve) => window.addEventListener('hubmap', () => resolve(window.hubMap), { once: true }));
}

/** The bar (index.html's #map-tools). */
export const toolbar = () => document.getElementById('map-tools');

/** A button in the bar: keyboard reachable (a real button), a Japanese label with English, a test id. */
export function tool(id, label, title, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = id;
  b.className = 'btn btn-small tool';
  b.dataset.testid = id;
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  toolbar().append(b);
  return b;
}

/** Says something in the bar's status line (aria-live), e.g. "リンクをコピーしました". */
export function say(text, testid = 'tools-status') {
  let s = document.querySelector(`[data-testid="${testid}"]`);
  if (!s) {
    s = document.createElement('p');
    s.className = 'tools-status';
    s.dataset.testid = testid;
    s.setAttribute('aria-live', 'polite');
    toolbar().after(s);
  }
  s.textContent = text;
  s.hidden = !text;
}

/** The page's workspace (null: live), as workspace.js reads it. */
export const drill = () => (document.body.dataset.workspace && document.body.dataset.workspace !== 'live' ? document.body.dataset.workspace : null);

/** The collections the map shows now: merged_{layer} or {layer} per source, only the visible ones. */
export function visibleCollections() {
  const s = window.hub?.state;
  if (!s) return [];
  return Object.entries(s.visible).filter(([, on]) => on).map(([id]) => (s.mode === 'merged' ? `merged_${id}` : id));
}

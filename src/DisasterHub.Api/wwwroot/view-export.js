// Print and export of the map's current view, for briefings and for offices that work from files:
//   PNG  — the map as drawn, stamped with the title, the time shown (now or as of), the workspace (an amber 訓練 / DRILL
//          band for a drill), the legend of the visible layers and the credits;
//   PDF  — that image on an A4 landscape page (jsPDF, /lib/jspdf.umd.min.js, loaded when first asked for);
//   CSV / GeoPackage — the visible layers within the view's bbox from GET /api/v1/exports/view.csv|gpkg, read at the
//          signed-in person's clearance, in the page's workspace and as-of time (the hub applies the sharing rules).

import { mapReady, tool, say, drill, visibleCollections } from './map-tools.js';
import { catalogueLayers } from './catalogue.js';

const TZ = 'Asia/Tokyo';
const DRILL_AMBER = '#f0b429';

const fmt = (d) => new Intl.DateTimeFormat('ja-JP', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(d);
const stampOf = (d) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** What the view shows, for the stamp and the file names. */
function viewInfo() {
  const s = window.hub.state;
  const ws = drill();
  const shown = s.asOf ?? new Date();
  return {
    ws,
    shown,
    asOf: !!s.asOf,
    name: `disasterhub-map-${ws ? `${ws}-` : ''}${stampOf(shown)}`,
    time: `${s.asOf ? '表示時刻 / as of' : '現在 / now'} ${fmt(shown)} JST`,
    workspace: ws ? `訓練 / DRILL: ${ws}` : 'ライブ / live',
  };
}

/** The attribution control's text (sources' licences and the basemap's credit), without markup. */
function credits() {
  const inner = document.querySelector('.maplibregl-ctrl-attrib-inner');
  return (inner?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

let layerInfo = null;

/** Draws the stamp over the map image: header band, legend box, credit line. Sizes scale with the pixel ratio. */
async function stamp(g, width, height, r, info) {
  layerInfo ??= await catalogueLayers();
  const s = window.hub.state;
  const font = (px, bold = false) => `${bold ? '600 ' : ''}${Math.round(px * r)}px system-ui, "Noto Sans CJK JP", "Hiragino Sans", sans-serif`;
  // header
  const bandH = 34 * r;
  g.fillStyle = info.ws ? DRILL_AMBER : 'rgba(255,255,255,0.92)';
  g.fillRect(0, 0, width, bandH);
  g.fillStyle = '#1b2631';
  g.textBaseline = 'middle';
  g.font = font(15, true);
  g.fillText(`DisasterHub 災害情報共有ハブ — ${info.workspace}`, 10 * r, bandH / 2);
  g.font = font(13);
  const t = info.time;
  g.fillText(t, width - g.measureText(t).width - 10 * r, bandH / 2);
  // legend of the visible layers
  const visible = layerInfo.filter((l) => s.visible[l.id]);
  const rowH = 18 * r;
  g.font = font(12);
  const boxW = Math.max(120 * r, ...visible.map((l) => g.measureText(`${l.ja} / ${l.en}`).width + 34 * r));
  const boxH = (visible.length + 1) * rowH + 8 * r;
  const x0 = 10 * r, y0 = height - boxH - 26 * r;
  g.fillStyle = 'rgba(255,255,255,0.9)';
  g.fillRect(x0, y0, boxW, boxH);
  g.fillStyle = '#1b2631';
  g.font = font(12, true);
  g.fillText(`凡例 / Legend (${s.mode === 'merged' ? '統合 / merged' : '情報源別 / per source'})`, x0 + 8 * r, y0 + rowH / 2 + 4 * r);
  g.font = font(12);
  visible.forEach((l, i) => {
    const y = y0 + (i + 1) * rowH + 4 * r;
    g.fillStyle = l.color;
    g.fillRect(x0 + 8 * r, y + 4 * r, 12 * r, 10 * r);
    g.fillStyle = '#1b2631';
    g.fillText(`${l.ja} / ${l.en}`, x0 + 26 * r, y + rowH / 2);
  });
  // credits
  const creditH = 20 * r;
  g.fillStyle = 'rgba(255,255,255,0.9)';
  g.fillRect(0, height - creditH, width, creditH);
  g.fillStyle = '#37474f';
  g.font = font(10);
  g.fillText(credits() || 'DisasterHub', 8 * r, height - creditH / 2, width - 16 * r);
}

/** The view as a canvas of the map's own size (device pixels), stamped. */
export async function viewCanvas() {
  const map = await mapReady();
  const info = viewInfo();
  const out = document.createElement('canvas');
  await new Promise((resolve) => {
    // the WebGL drawing buffer is only whole right after a frame: copy it in the render event itself
    map.once('render', () => {
      const src = map.getCanvas();
      out.width = src.width;
      out.height = src.height;
      out.getContext('2d').drawImage(src, 0, 0);
      resolve();
    });
    map.triggerRepaint();
  });
  const r = out.width / map.getCanvas().clientWidth;
  await stamp(out.getContext('2d'), out.width, out.height, r, info);
  return { canvas: out, info };
}

function save(blob, name) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 30_000);
}

async function png() {
  const { canvas, info } = await viewCanvas();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  save(blob, `${info.name}.png`);
  say(`PNG を保存しました / PNG saved (${canvas.width}×${canvas.height})`);
}

let jspdfLoading = null;
function jspdf() {
  jspdfLoading ??= new Promise((resolve, reject) => {
    if (window.jspdf) { resolve(window.jspdf); return; }
    const s = Object.assign(document.createElement('script'), { src: '/lib/jspdf.umd.min.js' });
    s.onload = () => resolve(window.jspdf);
    s.onerror = () => { jspdfLoading = null; reject(new Error('jsPDF not available')); };
    document.head.append(s);
  });
  return jspdfLoading;
}

async function pdf() {
  const [{ jsPDF }, { canvas, info }] = await Promise.all([jspdf(), viewCanvas()]);
  const doc = new jsPDF({ orientation: 'landscape', unit: 'mm', format: 'a4' });
  const W = 297, H = 210, m = 10, foot = 8;
  const scale = Math.min((W - 2 * m) / canvas.width, (H - 2 * m - foot) / canvas.height);
  const w = canvas.width * scale, h = canvas.height * scale;
  doc.addImage(canvas.toDataURL('image/jpeg', 0.92), 'JPEG', (W - w) / 2, m, w, h); // JPEG: a tenth of the PNG's size in a PDF
  // the standard PDF fonts have no Japanese: the Japanese stamp is in the image, the page line is ASCII
  doc.setFontSize(8);
  doc.text(`DisasterHub map view - ${info.shown.toISOString()} (${info.asOf ? 'as of' : 'now'}) - workspace ${info.ws ? `${info.ws} (DRILL)` : 'live'} - ${location.href}`.slice(0, 220), m, H - m + 2);
  doc.setProperties({ title: `DisasterHub ${info.workspace} ${info.time}`, creator: 'DisasterHub' });
  save(doc.output('blob'), `${info.name}.pdf`);
  say('PDF を保存しました / PDF saved (A4 landscape)');
}

/** The view's export URL: bbox of what is on screen, the visible collections, workspace and as-of time. */
export async function fileUrl(format) {
  const map = await mapReady();
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90), clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
    .map((v) => v.toFixed(6)).join(',');
  const q = new URLSearchParams({ bbox, layers: visibleCollections().join(',') });
  if (drill()) q.set('workspace', drill());
  if (window.hub.state.asOf) q.set('at', window.hub.state.asOf.toISOString());
  return `/api/v1/exports/view.${format}?${q.toString().replace(/%2C/g, ',')}`;
}

async function file(format) {
  if (!visibleCollections().length) { say('表示中のレイヤーがありません / No visible layers'); return; }
  say('作成中… / Preparing…');
  const r = await fetch(await fileUrl(format), { credentials: 'same-origin' });
  if (!r.ok) {
    let detail = `${r.status}`;
    try { detail = (await r.json()).detail ?? detail; } catch { /* not a problem document */ }
    say(`出力できません / Export refused: ${detail}`);
    return;
  }
  const name = /filename="([^"]+)"/.exec(r.headers.get('Content-Disposition') ?? '')?.[1] ?? `disasterhub-view.${format}`;
  save(await r.blob(), name);
  say(`${format.toUpperCase()} を保存しました / ${format.toUpperCase()} saved`);
}

const guarded = (f) => async () => {
  try { await f(); } catch (e) { say(`出力できません / Export failed: ${e.message}`); }
};

tool('export-png', 'PNG', '表示中の地図を画像で保存 / Save the view as PNG', guarded(png));
tool('export-pdf', 'PDF', 'A4横で保存 / Save the view as an A4 landscape PDF', guarded(pdf));
tool('export-csv', 'CSV', '表示範囲の表示中レイヤーをCSVで / Visible layers in view as CSV', guarded(() => file('csv')));
tool('export-gpkg', 'GPKG', '表示範囲の表示中レイヤーをGeoPackageで / Visible layers in view as GeoPackage', guarded(() => file('gpkg')));
window.hubExport = { viewCanvas, fileUrl };

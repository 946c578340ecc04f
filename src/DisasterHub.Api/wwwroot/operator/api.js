// The operator page's requests: JSON in and out through hubFetch (the session cookie, X-CSRF-Token on writes); a
// refusal becomes an ApiError carrying the problem's detail and the field it names (422 "parameter").
import { hubFetch } from '../session.js';
import { el } from '../page-dom.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.field = problem?.parameter ?? null;
  }
}

export async function api(url, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await hubFetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  let data = null;
  if (res.status !== 204) { try { data = await res.json(); } catch { /* no body */ } }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** "detail (field)" — what the page says when the hub refused something. */
export const problemText = (e) => (e instanceof ApiError && e.field ? `${e.message} (${e.field})` : e.message);

/** A status line: text, and whether it is an error (red). */
export function say(node, text, error = false) {
  node.textContent = text;
  node.dataset.kind = error ? 'error' : 'ok';
}

const JST = new Intl.DateTimeFormat('ja-JP', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
export const jst = (iso) => (iso ? JST.format(new Date(iso)) : '—');

export function lagText(seconds) {
  if (seconds == null) return '—';
  if (seconds < 120) return `${seconds} 秒 / s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} 分 / min`;
  return `${Math.round(seconds / 3600)} 時間 / h`;
}

/** A datetime-local value read as Japan time (what an operator here means), as ISO 8601 with its offset. */
export const fromJstInput = (v) => (v ? `${v.length === 16 ? `${v}:00` : v}+09:00` : '');

/** A table inside its own scrolling box (the page itself never scrolls sideways on a phone). */
export function table(testid, head, rows) {
  return el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': head.caption },
    el('table', { class: 'op-table', 'data-testid': testid },
      el('caption', { class: 'visually-hidden' }, head.caption),
      el('thead', {}, el('tr', {}, head.columns.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, rows)));
}

/** A labelled input. */
export function field(label, input) {
  return el('label', { class: 'op-field' }, el('span', {}, label), input);
}

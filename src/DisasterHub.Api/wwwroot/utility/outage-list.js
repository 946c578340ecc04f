// The utility's outages, one button each: area, status, customers out, the current restoration estimate and its flags
// (超過 / overdue when the estimate has passed without restoration).
import { el } from '../page-dom.js';

export const jst = (iso) => (iso ? new Date(iso).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : '—');

export function renderOutageList(root, outages, { selected, pending, onSelect }) {
  if (!outages.length) {
    root.replaceChildren(el('li', { class: 'empty' }, '供給停止はありません / No outages'));
    return;
  }
  root.replaceChildren(...outages.map((o) => {
    const queued = pending.get(o.key);
    const shown = queued ? { ...o, ...queued } : o;
    return el('li', {},
      el('button', { type: 'button', class: 'shelter-item', 'data-testid': 'outage-item', 'data-key': o.key, 'aria-current': o.key === selected ? 'true' : 'false', onclick: () => onSelect(o) },
        el('span', { class: 'shelter-name' }, o.name),
        el('span', { class: 'badge', 'data-status': shown.status }, shown.status || '—'),
        el('span', { class: 'count', title: '停電戸数 / Customers out' }, shown.customers == null ? '' : `${shown.customers}戸`),
        el('span', { class: 'count', 'data-testid': 'outage-eta', title: '復旧見込み / Restoration estimate' }, jst(shown.eta)),
        o.overdue ? el('span', { class: 'pending', 'data-testid': 'outage-overdue' }, '超過 / overdue') : '',
        queued ? el('span', { class: 'pending' }, '送信待ち / queued') : ''));
  }));
}

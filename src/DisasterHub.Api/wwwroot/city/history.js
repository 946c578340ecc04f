// What the city sent and what the hub did with it: GET /api/v1/sources/{id}/documents (the owner organization's own
// history: when, who, which format, rows accepted / rejected / changed, the first rejections with their line).
import { el } from '../page-dom.js';

const when = (iso) => new Date(iso).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function renderHistory(root, documents) {
  if (!documents.length) {
    root.replaceChildren(el('li', {}, 'まだ何も送信していません / Nothing sent yet'));
    return;
  }
  root.replaceChildren(...documents.map((d) => el('li', { 'data-testid': 'history-item', 'data-document': d.id, class: d.status === 'unparseable' ? 'refused' : '' },
    `${when(d.received_at)} ・ ${d.sent_by || ''} ・ ${d.format || '?'} ・ `,
    d.status === 'unparseable' ? '読めません / unreadable' : `受理 / accepted ${d.accepted} ・ 拒否 / rejected ${d.rejected}${d.changed == null ? '' : ` ・ 変更 / changed ${d.changed}`}`,
    d.rejections.length ? el('ul', {}, d.rejections.slice(0, 5).map((r) => el('li', {}, `${r.at}: ${r.reason}`))) : '')));
}

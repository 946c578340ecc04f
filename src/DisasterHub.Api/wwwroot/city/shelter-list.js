// The city's shelters as a list of buttons (name, 開設状況, 避難者数): one tap or Enter opens a shelter's form. Changes
// still waiting in the outbox are shown as they will be, marked 送信待ち / queued.
import { el, statusLabel } from '../page-dom.js';

export function renderShelterList(root, shelters, { selected, pending, onSelect }) {
  if (!shelters.length) {
    root.replaceChildren(el('li', { class: 'empty' }, 'この市町村の避難所はまだありません / No shelters of this municipality yet'));
    return;
  }
  root.replaceChildren(...shelters.map((s) => {
    const queued = pending.get(s.entity);
    const shown = queued ? { ...s, ...queued } : s;
    return el('li', {},
      el('button', {
        type: 'button', class: 'shelter-item', 'data-testid': 'shelter-item', 'data-entity': s.entity, 'data-name': s.name,
        'aria-current': s.entity === selected ? 'true' : 'false', onclick: () => onSelect(s),
      },
      el('span', { class: 'shelter-name' }, s.name),
      el('span', { class: 'badge', 'data-status': shown.status || '' }, statusLabel(shown.status)),
      el('span', { class: 'count', 'data-testid': 'shelter-evacuees', title: '避難者数 / Evacuees' }, shown.evacuees == null ? '—' : `${shown.evacuees}人`),
      queued ? el('span', { class: 'pending', 'data-testid': 'shelter-pending' }, '送信待ち / queued') : ''));
  }));
}

// Post or revise one outage's restoration estimate (status, customers out, 復旧見込み as a JST date and time), and its
// revision history from GET /api/v1/lifelines/{layer}/{entity}/estimates with the overdue and slipped flags.
import { el } from '../page-dom.js';
import { jst } from './outage-list.js';

/** An ISO instant as the value of a datetime-local input in JST. */
const toLocal = (iso) => (iso ? new Date(new Date(iso).getTime() + 9 * 3600_000).toISOString().slice(0, 16) : '');
const fromLocal = (value) => (value ? `${value}:00+09:00` : null);

export function renderEstimateForm(root, outage, history, { onSave, onClose }) {
  const status = el('fieldset', { class: 'choices' }, el('legend', {}, '状況 / Status'),
    [['停電中', 'Out'], ['復旧', 'Restored']].map(([key, en]) => el('label', { class: 'choice' },
      el('input', { type: 'radio', name: 'ostatus', value: key, checked: (outage.status || '停電中') === key, 'data-testid': `ostatus-${en.toLowerCase()}` }), `${key} / ${en}`)));
  const customers = el('input', { type: 'number', id: 'customers', min: '0', step: '1', value: outage.customers ?? 0, 'data-testid': 'customers' });
  const eta = el('input', { type: 'datetime-local', id: 'eta', value: toLocal(outage.eta), 'data-testid': 'eta' });
  const message = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'form-status' });
  const form = el('form', { 'data-testid': 'estimate-form-el' },
    status,
    el('p', { class: 'upload-row' }, el('label', { for: 'customers' }, '停電戸数 / Customers out'), customers),
    el('p', { class: 'upload-row' }, el('label', { for: 'eta' }, '復旧見込み (日本時間) / Restoration estimate (JST)'), eta),
    message,
    el('p', { class: 'form-actions' },
      el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save' }, '送信 / Send'),
      el('button', { type: 'button', class: 'btn', onclick: onClose }, '閉じる / Close')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const n = parseInt(customers.value, 10);
    if (!(n >= 0)) { message.textContent = '停電戸数は0以上の整数です / Customers out: a whole number, 0 or more'; customers.focus(); return; }
    message.textContent = '送信中… / Sending…';
    message.textContent = await onSave({ status: form.querySelector('input[name="ostatus"]:checked').value, customers: n, eta: fromLocal(eta.value) });
  });
  const revisions = history?.revisions ?? [];
  root.replaceChildren(
    el('h2', { id: 'estimate-h', tabindex: '-1' }, outage.name),
    form,
    el('h3', {}, '見込みの改訂 / Revisions ',
      history?.overdue ? el('span', { class: 'pending', 'data-testid': 'history-overdue' }, '超過 / overdue') : '',
      history?.slipped ? el('span', { class: 'pending', 'data-testid': 'history-slipped' }, ` 遅延 ${history.slip_minutes}分 / slipped`) : ''),
    el('ol', { class: 'history', 'data-testid': 'revisions' }, revisions.map((r) => el('li', { 'data-testid': 'revision' },
      `${jst(r.restoration_eta)} ・ ${r.status || ''} ・ ${r.organization || ''} (${jst(r.observed_at)})`))));
  root.hidden = false;
  root.querySelector('#estimate-h').focus();
}

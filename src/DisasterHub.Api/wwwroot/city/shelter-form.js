// One shelter's status in a few taps: 開設状況 (radio buttons), 避難者数 (a number with −10/−1/+1/+10) and the needed
// supplies (check boxes), then 送信 / Send. Native controls only, so Tab, arrows, Space and Enter work as everywhere.
import { el, STATUSES } from '../page-dom.js';

export const NEEDS = [
  { key: '水', en: 'Water' },
  { key: '食料', en: 'Food' },
  { key: '毛布', en: 'Blankets' },
  { key: '医薬品', en: 'Medicine' },
  { key: '簡易トイレ', en: 'Toilets' },
  { key: '粉ミルク', en: 'Baby formula' },
  { key: 'おむつ', en: 'Diapers' },
];

export function renderShelterForm(root, shelter, { onSave, onClose }) {
  const current = shelter;
  const statusSet = el('fieldset', { class: 'choices', 'data-testid': 'status-choices' },
    el('legend', {}, '開設状況 / Status'),
    STATUSES.map((s) => el('label', { class: 'choice' },
      el('input', { type: 'radio', name: 'status', value: s.key, checked: current.status === s.key, 'data-testid': `status-${s.en.toLowerCase().replace(' ', '-')}` }),
      `${s.key} / ${s.en}`)));
  const evacuees = el('input', {
    type: 'number', id: 'evacuees', min: '0', step: '1', inputmode: 'numeric', value: current.evacuees ?? 0, 'data-testid': 'evacuees',
  });
  const step = (n) => el('button', {
    type: 'button', class: 'btn', 'aria-label': `${n > 0 ? '+' : '−'}${Math.abs(n)} 人 / evacuees`, 'data-testid': `evacuees-${n > 0 ? 'plus' : 'minus'}-${Math.abs(n)}`,
    onclick: () => { evacuees.value = Math.max(0, (parseInt(evacuees.value, 10) || 0) + n); },
  }, `${n > 0 ? '+' : '−'}${Math.abs(n)}`);
  const needs = el('fieldset', { class: 'choices', 'data-testid': 'needs' },
    el('legend', {}, '必要な物資 / Needs'),
    NEEDS.map((n) => el('label', { class: 'choice' },
      el('input', { type: 'checkbox', name: 'needs', value: n.key, checked: (current.needs || []).includes(n.key), 'data-testid': `need-${n.en.toLowerCase().replace(' ', '-')}` }),
      `${n.key} / ${n.en}`)));
  const status = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'form-status' });
  const form = el('form', { 'data-testid': 'status-form', 'aria-labelledby': 'form-h' },
    statusSet,
    el('label', { for: 'evacuees' }, '避難者数 / Evacuees'),
    el('div', { class: 'stepper' }, step(-10), step(-1), evacuees, step(1), step(10)),
    needs,
    status,
    el('p', { class: 'form-actions' },
      el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save' }, '送信 / Send'),
      el('button', { type: 'button', class: 'btn', 'data-testid': 'close-form', onclick: onClose }, '閉じる / Close')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const count = parseInt(evacuees.value, 10);
    if (!(count >= 0)) {
      status.textContent = '避難者数は0以上の整数です / Evacuees: a whole number, 0 or more';
      evacuees.focus();
      return;
    }
    const chosen = form.querySelector('input[name="status"]:checked')?.value ?? current.status ?? null;
    const supplies = [...form.querySelectorAll('input[name="needs"]:checked')].map((x) => x.value);
    status.textContent = '送信中… / Sending…';
    status.textContent = await onSave({ status: chosen, evacuees: count, needs: supplies });
  });
  root.replaceChildren(
    el('h2', { id: 'form-h', tabindex: '-1' }, current.name, ' ', el('span', { class: 'en' }, current.address || '')),
    form);
  root.hidden = false;
  root.querySelector('#form-h').focus();
}

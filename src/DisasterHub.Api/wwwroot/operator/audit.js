// The audit log: who (a key or a person) did what, when, to what. Filters (action, organization, person, since / until
// in Japan time) are the hub's own query parameters; "older" follows the answer's next link (keyset paging).
import { el } from '../page-dom.js';
import { api, problemText, say, table, field, jst, fromJstInput } from './api.js';

const ACTIONS = ['sign_in', 'sign_in_failed', 'sign_out', 'push', 'push_denied', 'sources.create', 'sources.update', 'sources.delete', 'sources.run', 'sources.disable', 'sources.enable', 'sources.withdraw',
  'organizations.create', 'organizations.update', 'organizations.delete', 'keys.create', 'keys.revoke', 'people.add', 'people.update'];

export function mountAudit(root) {
  const status = el('p', { class: 'op-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'audit-status' });
  const action = el('input', { name: 'action', list: 'audit-actions', autocomplete: 'off', 'data-testid': 'audit-action' });
  const org = el('input', { name: 'organization', autocomplete: 'off', 'data-testid': 'audit-org' });
  const person = el('input', { name: 'person', type: 'email', autocomplete: 'off', 'data-testid': 'audit-person' });
  const since = el('input', { name: 'since', type: 'datetime-local', 'data-testid': 'audit-since' });
  const until = el('input', { name: 'until', type: 'datetime-local', 'data-testid': 'audit-until' });
  const form = el('form', { class: 'op-form', role: 'search', 'aria-label': '監査ログの絞り込み / Filter the audit log', 'data-testid': 'audit-form' },
    field('操作 / Action', action), el('datalist', { id: 'audit-actions' }, ACTIONS.map((a) => el('option', { value: a }))),
    field('組織 / Organization', org), field('利用者 / Person', person),
    field('以降 (日本時間) / Since (JST)', since), field('以前 (日本時間) / Until (JST)', until),
    el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'audit-filter' }, '絞り込む / Filter'));
  const body = el('tbody', { 'data-testid': 'audit-rows' });
  const older = el('button', { type: 'button', class: 'btn', 'data-testid': 'audit-older', hidden: true }, 'さらに古い / Older');
  const wrap = el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '監査ログ / Audit log' },
    el('table', { class: 'op-table', 'data-testid': 'audit-table' },
      el('caption', { class: 'visually-hidden' }, '監査ログ / Audit log'),
      el('thead', {}, el('tr', {}, ['日時 / At', '操作 / Action', '実行者 / Actor', '組織 / Org', '対象 / Target', '詳細 / Detail'].map((c) => el('th', { scope: 'col' }, c)))),
      body));
  root.replaceChildren(form, status, wrap, older);
  let next = null;

  function query() {
    const q = new URLSearchParams({ limit: '50' });
    if (action.value.trim()) q.set('action', action.value.trim());
    if (org.value.trim()) q.set('organization', org.value.trim());
    if (person.value.trim()) q.set('person', person.value.trim());
    if (since.value) q.set('since', fromJstInput(since.value));
    if (until.value) q.set('until', fromJstInput(until.value));
    return `/api/v1/audit?${q}`;
  }

  const row = (a) => el('tr', { 'data-testid': 'audit-row', 'data-action': a.action, 'data-id': a.id },
    el('td', {}, jst(a.at)), el('td', {}, a.action), el('td', {}, a.person || (a.key_id ? `key ${a.key_id}` : '—')),
    el('td', {}, a.organization || '—'), el('td', {}, a.target || '—'),
    el('td', { class: 'detail' }, a.detail && Object.keys(a.detail).length ? JSON.stringify(a.detail) : ''));

  async function load(url, append) {
    try {
      const page = await api(url);
      if (append) body.append(...page.entries.map(row)); else body.replaceChildren(...page.entries.map(row));
      next = page.next;
      older.hidden = !next;
      say(status, `${body.children.length} 件 / entries${next ? '' : '（これ以上ありません / no more）'}`);
    } catch (err) {
      say(status, `読み込めません / Could not load: ${problemText(err)}`, true);
    }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); load(query(), false); });
  older.addEventListener('click', () => { if (next) load(next, true); });
  return { refresh: () => load(query(), false) };
}

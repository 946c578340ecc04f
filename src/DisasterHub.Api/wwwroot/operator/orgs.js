// Organizations: list, create (kind, name, jurisdiction codes), delete — the hub refuses one that still owns
// sources, keys or people (409), and the page says why.
import { el } from '../page-dom.js';
import { api, problemText, say, table, field } from './api.js';

export const KINDS = [
  ['municipality', '市町村 / municipality'], ['prefecture', '都道府県 / prefecture'], ['national', '国 / national'],
  ['public_institution', '指定公共機関 / public institution'], ['app_developer', 'アプリ開発者 / app developer'],
];

export function mountOrgs(root, shared) {
  const status = el('p', { class: 'op-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'orgs-status' });
  const holder = el('div');
  const id = el('input', { name: 'id', required: true, pattern: '[a-z0-9][a-z0-9-]*', autocomplete: 'off', 'data-testid': 'org-id' });
  const name = el('input', { name: 'name', required: true, autocomplete: 'off', 'data-testid': 'org-name' });
  const kind = el('select', { name: 'kind', 'data-testid': 'org-kind' }, KINDS.map(([k, label]) => el('option', { value: k }, label)));
  const codes = el('input', { name: 'jurisdiction', inputmode: 'numeric', autocomplete: 'off', placeholder: '172022, 172049', 'data-testid': 'org-jurisdiction' });
  const form = el('form', { class: 'op-form', 'aria-label': '組織を追加 / Add an organization', 'data-testid': 'org-form' },
    field('ID', id), field('名称 / Name', name), field('種別 / Kind', kind), field('管轄の市町村コード / Jurisdiction codes', codes),
    el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'org-create' }, '追加 / Add'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { id: id.value.trim(), name: name.value.trim(), kind: kind.value, jurisdiction: codes.value.split(/[\s,、]+/).filter(Boolean) };
    try {
      await api('/api/v1/organizations', { method: 'POST', body });
      say(status, `${body.id}: 追加しました / added`);
      form.reset();
      await shared.refreshOrgs();
      shared.changed();
    } catch (err) {
      say(status, `追加できません / Not added: ${problemText(err)}`, true);
    }
  });
  root.replaceChildren(holder, form, status);

  function render(orgs) {
    const rows = orgs.map((o) => {
      const del = el('button', { type: 'button', class: 'btn', 'data-testid': 'org-delete', 'aria-label': `削除 / Delete: ${o.id}` }, '削除 / Delete');
      // two presses: the first asks, the second deletes (no modal dialog to trap the keyboard)
      del.addEventListener('click', async () => {
        if (del.dataset.confirm !== '1') {
          del.dataset.confirm = '1';
          del.textContent = '本当に削除 / Confirm delete';
          del.setAttribute('aria-label', `本当に削除 / Confirm delete: ${o.id}`);
          return;
        }
        del.disabled = true;
        try {
          await api(`/api/v1/organizations/${encodeURIComponent(o.id)}`, { method: 'DELETE' });
          say(status, `${o.id}: 削除しました / deleted`);
          await shared.refreshOrgs();
          shared.changed();
        } catch (err) {
          del.disabled = false;
          say(status, `${o.id}: 削除できません / Not deleted: ${problemText(err)}`, true);
        }
      });
      return el('tr', { 'data-testid': 'org-row', 'data-id': o.id },
        el('th', { scope: 'row' }, o.id), el('td', {}, o.name), el('td', {}, o.kind),
        el('td', {}, (o.jurisdiction || []).join(', ') || (o.service_area ? '区域 / area' : '—')),
        el('td', { class: 'actions' }, del));
    });
    holder.replaceChildren(table('orgs-table', { caption: '組織 / Organizations', columns: ['ID', '名称 / Name', '種別 / Kind', '管轄 / Jurisdiction', '操作 / Actions'] }, rows));
  }

  shared.onOrgs(render);
  return { refresh: async () => render(shared.orgs) };
}

/** The organizations as options of a select box (for people and keys). */
export function orgOptions(select, orgs) {
  const keep = select.value;
  select.replaceChildren(...orgs.map((o) => el('option', { value: o.id }, `${o.name} (${o.id})`)));
  if (orgs.some((o) => o.id === keep)) select.value = keep;
}

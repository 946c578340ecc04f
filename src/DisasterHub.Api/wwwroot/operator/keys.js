// API keys: list (never a secret), create one for an organization with scopes — the token is shown here once, to copy,
// and the hub keeps only its hash —, revoke (at once).
import { el } from '../page-dom.js';
import { api, problemText, say, table, field, jst } from './api.js';
import { orgOptions } from './orgs.js';

export function mountKeys(root, shared) {
  const status = el('p', { class: 'op-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'keys-status' });
  const holder = el('div');
  const secretBox = el('div', { class: 'secret-box', 'data-testid': 'key-secret-box', hidden: true });
  let keys = [];

  const org = el('select', { name: 'organization', 'data-testid': 'key-org' });
  const scopes = el('input', { name: 'scopes', required: true, autocomplete: 'off', placeholder: 'push:shelters, read:responders', 'data-testid': 'key-scopes' });
  const label = el('input', { name: 'label', autocomplete: 'off', 'data-testid': 'key-label' });
  const form = el('form', { class: 'op-form', 'aria-label': 'APIキーを発行 / Create a key', 'data-testid': 'key-form' },
    field('組織 / Organization', org), field('権限 / Scopes (push:<layer>, read:responders, admin…)', scopes), field('メモ / Label', label),
    el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'key-create' }, '発行 / Create'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { organization: org.value, scopes: scopes.value.split(/[\s,、]+/).filter(Boolean), label: label.value.trim() || null };
    try {
      const created = await api('/api/v1/keys', { method: 'POST', body });
      showSecret(created.key.id, created.token);
      say(status, `${created.key.id}: 発行しました / created`);
      scopes.value = '';
      label.value = '';
      await refresh();
      shared.changed();
    } catch (err) {
      say(status, `発行できません / Not created: ${problemText(err)}`, true);
    }
  });
  root.replaceChildren(holder, form, secretBox, status);
  shared.onOrgs((orgs) => orgOptions(org, orgs));

  function showSecret(id, token) {
    const input = el('input', { readonly: true, value: token, 'aria-label': `秘密鍵 / Secret of ${id}`, 'data-testid': 'key-secret' });
    const copied = el('span', { role: 'status', 'data-testid': 'key-copied' });
    const copy = el('button', { type: 'button', class: 'btn', 'data-testid': 'key-copy', onclick: async () => {
      input.select();
      try { await navigator.clipboard.writeText(token); copied.textContent = 'コピーしました / Copied'; } catch { copied.textContent = '選択しました：Ctrl+C でコピー / Selected: press Ctrl+C'; }
    } }, 'コピー / Copy');
    const done = el('button', { type: 'button', class: 'btn', 'data-testid': 'key-secret-done', onclick: () => { secretBox.replaceChildren(); secretBox.hidden = true; form.querySelector('[data-testid="key-create"]').focus(); } },
      '控えました / Done');
    secretBox.replaceChildren(
      el('p', {}, el('strong', {}, `${id}: `), 'この秘密は今だけ表示されます。安全な場所に控えてください / Shown once: store it safely now.'),
      input, el('div', { class: 'form-actions' }, copy, done, copied));
    secretBox.hidden = false;
    input.focus();
    input.select();
  }

  async function revoke(k) {
    try {
      await api(`/api/v1/keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST' });
      say(status, `${k.id}: 失効させました / revoked`);
      await refresh();
      shared.changed();
    } catch (err) {
      say(status, `${k.id}: ${problemText(err)}`, true);
    }
  }

  function render() {
    const rows = keys.map((k) => el('tr', { 'data-testid': 'key-row', 'data-id': k.id },
      el('th', { scope: 'row' }, k.id), el('td', {}, k.organization), el('td', {}, k.label || '—'), el('td', {}, k.scopes.join(', ')),
      el('td', {}, jst(k.created_at)), el('td', { 'data-testid': 'key-revoked' }, k.revoked_at ? jst(k.revoked_at) : '—'),
      el('td', { class: 'actions' }, k.revoked_at ? null : el('button', {
        type: 'button', class: 'btn', 'data-testid': 'key-revoke', 'aria-label': `失効 / Revoke: ${k.id}`, onclick: () => revoke(k),
      }, '失効 / Revoke'))));
    holder.replaceChildren(table('keys-table', { caption: 'APIキー / API keys', columns: ['ID', '組織 / Org', 'メモ / Label', '権限 / Scopes', '発行 / Created', '失効 / Revoked', '操作 / Actions'] }, rows));
  }

  async function refresh() {
    keys = (await api('/api/v1/keys')).keys;
    render();
  }
  return { refresh };
}

// People who sign in: list (roles, organization, disabled or locked), add one with a role, an organization and a
// first password the operator passes on; disable / enable; set a new password.
import { el, refocus } from '../page-dom.js';
import { api, problemText, say, table, field, jst } from './api.js';
import { orgOptions } from './orgs.js';

export const ROLES = [['clerk', '市町村職員 / clerk'], ['officer', '県・国の担当 / officer'], ['utility', '事業者 / utility'], ['institution', '機関 / institution'], ['admin', '運用管理者 / admin']];

export function mountPeople(root, shared) {
  const status = el('p', { class: 'op-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'people-status' });
  const holder = el('div');
  let people = [];

  const email = el('input', { type: 'email', name: 'email', required: true, autocomplete: 'off', 'data-testid': 'person-email' });
  const name = el('input', { name: 'name', autocomplete: 'off', 'data-testid': 'person-name' });
  const org = el('select', { name: 'organization', 'data-testid': 'person-org' });
  const password = el('input', { type: 'password', name: 'password', required: true, minlength: '12', autocomplete: 'new-password', 'data-testid': 'person-password' });
  const roles = el('fieldset', { class: 'op-roles' }, el('legend', {}, '役割 / Roles'),
    ROLES.map(([r, label]) => el('label', {}, el('input', { type: 'checkbox', name: 'role', value: r, 'data-testid': `person-role-${r}` }), label)));
  const form = el('form', { class: 'op-form', 'aria-label': '利用者を追加 / Add a person', 'data-testid': 'person-form' },
    field('メール / Email', email), field('氏名 / Name', name), field('組織 / Organization', org),
    field('初期パスワード（12文字以上） / First password (12+)', password), roles,
    el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'person-add' }, '追加 / Add'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { email: email.value.trim(), name: name.value.trim() || null, organization: org.value, roles: [...roles.querySelectorAll('input:checked')].map((i) => i.value), password: password.value };
    try {
      await api('/api/v1/people', { method: 'POST', body });
      say(status, `${body.email}: 追加しました / added`);
      form.reset();
      await refresh();
      shared.changed();
    } catch (err) {
      say(status, `追加できません / Not added: ${problemText(err)}`, true);
    }
  });

  // a new password for one person, set by the operator (their sessions end)
  const who = el('select', { name: 'person', 'data-testid': 'reset-person' });
  const newPassword = el('input', { type: 'password', name: 'new-password', required: true, minlength: '12', autocomplete: 'new-password', 'data-testid': 'reset-password' });
  const reset = el('form', { class: 'op-form', 'aria-label': 'パスワード再設定 / Reset a password', 'data-testid': 'reset-form' },
    field('利用者 / Person', who), field('新しいパスワード / New password', newPassword),
    el('button', { type: 'submit', class: 'btn', 'data-testid': 'reset-submit' }, '再設定 / Reset password'));
  reset.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api(`/api/v1/people/${encodeURIComponent(who.value)}`, { method: 'PATCH', body: { password: newPassword.value } });
      say(status, `${who.selectedOptions[0]?.textContent}: パスワードを再設定しました / password reset`);
      newPassword.value = '';
      shared.changed();
    } catch (err) {
      say(status, `再設定できません / Not reset: ${problemText(err)}`, true);
    }
  });
  root.replaceChildren(holder, form, reset, status);
  shared.onOrgs((orgs) => orgOptions(org, orgs));

  async function setDisabled(p, disabled) {
    try {
      await api(`/api/v1/people/${encodeURIComponent(p.id)}`, { method: 'PATCH', body: { disabled } });
      say(status, `${p.email}: ${disabled ? '無効にしました / disabled' : '有効にしました / enabled'}`);
      await refresh();
      shared.changed();
      refocus(root, `tr[data-email="${CSS.escape(p.email)}"] [data-testid="person-toggle"]`);
    } catch (err) {
      say(status, `${p.email}: ${problemText(err)}`, true);
    }
  }

  function render() {
    const rows = people.map((p) => {
      const state = p.disabled ? '無効 / disabled' : p.locked_until ? `ロック中 / locked until ${jst(p.locked_until)}` : '有効 / active';
      return el('tr', { 'data-testid': 'person-row', 'data-email': p.email },
        el('th', { scope: 'row' }, p.email), el('td', {}, p.name || '—'), el('td', {}, p.organization), el('td', {}, p.roles.join(', ')),
        el('td', { 'data-testid': 'person-state' }, state),
        el('td', { class: 'actions' }, el('button', {
          type: 'button', class: 'btn', 'data-testid': 'person-toggle', 'aria-label': `${p.disabled ? '有効にする / Enable' : '無効にする / Disable'}: ${p.email}`,
          onclick: () => setDisabled(p, !p.disabled),
        }, p.disabled ? '有効にする / Enable' : '無効にする / Disable')));
    });
    holder.replaceChildren(table('people-table', { caption: '利用者 / People', columns: ['メール / Email', '氏名 / Name', '組織 / Org', '役割 / Roles', '状態 / State', '操作 / Actions'] }, rows));
    const keep = who.value;
    who.replaceChildren(...people.map((p) => el('option', { value: p.id }, p.email)));
    if (people.some((p) => p.id === keep)) who.value = keep;
  }

  async function refresh() {
    people = (await api('/api/v1/people')).people;
    render();
  }
  return { refresh };
}

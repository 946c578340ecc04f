// The officers' map's sign-in (issue 14): a button in the header opens a small form (email, password, and the
// authenticator code when the person has one); once signed in the header names the person, their organization and
// clearance, with a sign-out button. Signing in or out reloads the page, so every layer, tile, count and event stream
// is asked for again with (or without) the session cookie — the hub then answers at the person's clearance.
// Keyboard: the button and the form are ordinary controls (Tab, Enter submits, Escape closes).

import { currentSession, signIn, signOut } from './session.js';

const CLEARANCE = { public: '公開 / public', responders: '応急対応者 / responders', restricted: '限定 / restricted' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function signedIn(root, session) {
  const who = el('span', { class: 'session-who', 'data-testid': 'session-who', title: session.email },
    el('strong', {}, session.name || session.email), ' ',
    el('span', { class: 'session-org' }, session.organization_name || session.organization), ' ',
    el('span', { class: `session-clearance clearance-${session.clearance}`, 'data-testid': 'session-clearance' }, CLEARANCE[session.clearance] || session.clearance));
  const out = el('button', { type: 'button', class: 'btn session-btn', 'data-testid': 'sign-out' }, 'サインアウト / Sign out');
  const error = el('span', { class: 'signin-error', role: 'alert', 'data-testid': 'signout-error', hidden: '' });
  out.addEventListener('click', async () => {
    out.disabled = true;
    error.hidden = true;
    try {
      await signOut();
    } catch (err) {
      // the hub did not end the session: say so, rather than reload into the same session as if it had
      error.textContent = `サインアウトできませんでした / Not signed out: ${err.message}`;
      error.hidden = false;
      out.disabled = false;
      out.focus();
      return;
    }
    location.reload();
  });
  document.body.dataset.signedIn = '1';
  root.replaceChildren(who, out, error);
}

function signedOut(root) {
  const open = el('button', { type: 'button', class: 'btn session-btn', 'data-testid': 'sign-in', 'aria-expanded': 'false', 'aria-controls': 'signin-form' },
    'サインイン / Sign in');
  const email = el('input', { type: 'email', name: 'email', id: 'signin-email', autocomplete: 'username', required: '', 'data-testid': 'signin-email' });
  const password = el('input', { type: 'password', name: 'password', id: 'signin-password', autocomplete: 'current-password', required: '', 'data-testid': 'signin-password' });
  const totp = el('input', { type: 'text', name: 'totp', id: 'signin-totp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]{6,8}', 'data-testid': 'signin-totp' });
  const totpRow = el('p', { class: 'signin-row', hidden: '' }, el('label', { for: 'signin-totp' }, '確認コード / Authenticator code'), totp);
  const error = el('p', { class: 'signin-error', role: 'alert', 'data-testid': 'signin-error', hidden: '' });
  const submit = el('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'signin-submit' }, 'サインイン / Sign in');
  const form = el('form', { id: 'signin-form', class: 'signin-form', 'aria-label': 'サインイン / Sign in', hidden: '', 'data-testid': 'signin-form' },
    el('p', { class: 'signin-row' }, el('label', { for: 'signin-email' }, 'メール / Email'), email),
    el('p', { class: 'signin-row' }, el('label', { for: 'signin-password' }, 'パスワード / Password'), password),
    totpRow, error, el('p', { class: 'signin-actions' }, submit));

  const show = (visible) => {
    form.hidden = !visible;
    open.setAttribute('aria-expanded', String(visible));
    if (visible) email.focus(); else open.focus();
  };
  open.addEventListener('click', () => show(form.hidden));
  form.addEventListener('keydown', (e) => { if (e.key === 'Escape') show(false); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await signIn(email.value.trim(), password.value, totp.value.trim() || undefined);
      location.reload();
    } catch (err) {
      // focus where the person retypes: the code when one is wanted, else the password (selected, so typing replaces it)
      if (err.totpRequired) {
        totpRow.hidden = false;
        totp.focus();
      } else {
        password.focus();
        password.select();
      }
      error.textContent = err.status === 423
        ? `ロックされています / Locked: ${err.message}`
        : err.status === 401 && !err.totpRequired ? 'メールまたはパスワードが違います / The email or password is wrong' : err.message;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  document.body.dataset.signedIn = '0';
  root.replaceChildren(open, form);
}

async function mount() {
  const root = document.getElementById('session');
  if (!root) return;
  let session = null;
  try { session = await currentSession(); } catch { /* offline: offer the form */ }
  if (session) signedIn(root, session); else signedOut(root);
  root.dataset.ready = '1';
}

mount();

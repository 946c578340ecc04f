// The operator page (issue 14 §5): the hub's operator signs in (signin.js) and manages sources (health, lag, last
// error, run now, disable/enable), organizations, people, API keys, and reads the audit log with filters. Each section
// is its own module; they share the organizations list (for the select boxes) and tell the audit log to refresh after
// a change. Anybody signed in without the admin role sees "operators only" (the hub refuses them anyway).
import { currentSession } from '../session.js';
import { el } from '../page-dom.js';
import { api } from './api.js';
import { mountSources } from './sources.js';
import { mountOrgs } from './orgs.js';
import { mountPeople } from './people.js';
import { mountKeys } from './keys.js';
import { mountAudit } from './audit.js';

const $ = (id) => document.getElementById(id);
const notice = (text) => { $('notice').textContent = text; $('notice').hidden = !text; };

async function start() {
  let session = null;
  try { session = await currentSession(); } catch { /* offline */ }
  if (!session) { notice('右上からサインインしてください / Sign in (top right)'); return; }
  if (!session.roles?.includes('admin')) {
    notice('');
    $('main').append(el('p', { class: 'only-operators', role: 'alert', 'data-testid': 'operators-only' },
      'このページは運用管理者専用です / Operators only: this page is for the hub\'s administrators. ',
      el('a', { href: '/' }, '地図へ / To the map')));
    document.body.dataset.ready = 'denied';
    return;
  }
  const shared = { orgs: [], listeners: [] };
  shared.refreshOrgs = async () => {
    shared.orgs = (await api('/api/v1/organizations')).organizations;
    for (const f of shared.listeners) f(shared.orgs);
  };
  shared.onOrgs = (f) => shared.listeners.push(f);
  const audit = mountAudit($('audit'));
  shared.changed = () => audit.refresh();
  const sections = [mountSources($('sources'), shared), mountOrgs($('orgs'), shared), mountPeople($('people'), shared), mountKeys($('keys'), shared)];
  await shared.refreshOrgs();
  await Promise.all([...sections.map((s) => s.refresh()), audit.refresh()]);
  notice('');
  $('operator').hidden = false;
  document.body.dataset.ready = '1';
}

start().catch((e) => notice(`読み込めません / Could not load: ${e.message}`));

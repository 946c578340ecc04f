// Sources and their health: ok / stale (no success within the expected interval) / failing (the last attempt failed),
// lag since the last success, the last error while failing; run a pull now (POST /run, then watch last_attempt_at
// change), disable or enable; withdraw every current feature of a source (a retired or wrong registry off the map:
// POST /withdraw, kept in history) after a second press confirms it.
import { el, refocus } from '../page-dom.js';
import { api, problemText, say, jst, lagText, table } from './api.js';

export function health(s) {
  if (!s.enabled) return { key: 'disabled', text: '停止中 / disabled' };
  if (s.failing) return { key: 'failing', text: '失敗 / failing' };
  if (s.kind === 'pull' && s.stale) return { key: 'stale', text: '遅延 / stale' };
  if (s.stale && s.last_success_at) return { key: 'stale', text: '遅延 / stale' };
  return { key: 'ok', text: '正常 / ok' };
}

export function mountSources(root, shared) {
  const status = el('p', { class: 'op-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'sources-status' });
  const holder = el('div');
  root.replaceChildren(holder, status);
  let sources = [];

  async function refresh() {
    sources = (await api('/api/v1/sources')).sources;
    render();
    return sources;
  }

  function render() {
    const rows = sources.map((s) => {
      const h = health(s);
      const run = s.kind === 'pull' && s.enabled
        ? el('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'source-run', 'aria-label': `今すぐ取得 / Run now: ${s.id}`, onclick: (e) => runNow(s, e.currentTarget) }, '今すぐ取得 / Run now')
        : null;
      const toggle = el('button', { type: 'button', class: 'btn', 'data-testid': 'source-toggle', 'aria-label': `${s.enabled ? '停止 / Disable' : '再開 / Enable'}: ${s.id}`, onclick: (e) => setEnabled(s, !s.enabled, e.currentTarget) },
        s.enabled ? '停止 / Disable' : '再開 / Enable');
      const withdraw = el('button', { type: 'button', class: 'btn', 'data-testid': 'source-withdraw', 'aria-label': `全件取り下げ / Withdraw all: ${s.id}`, onclick: (e) => withdrawAll(s, e.currentTarget) },
        '全件取り下げ / Withdraw all');
      return el('tr', { 'data-testid': 'source-row', 'data-id': s.id },
        el('th', { scope: 'row' }, el('span', {}, s.id), el('br'), el('span', { class: 'en', title: s.name }, s.name)),
        el('td', {}, el('span', { class: `health health-${h.key}`, 'data-testid': 'source-health', 'data-health': h.key }, h.text)),
        el('td', { 'data-testid': 'source-lag' }, lagText(s.lag_seconds)),
        el('td', { 'data-testid': 'source-last-attempt', 'data-at': s.last_attempt_at || '' }, jst(s.last_attempt_at)),
        el('td', { class: 'error', 'data-testid': 'source-last-error' }, s.last_error ? `${jst(s.last_error_at)}: ${s.last_error}` : '—'),
        el('td', {}, `${s.kind} · ${s.layer}`),
        el('td', { class: 'actions' }, run, ' ', toggle, ' ', withdraw));
    });
    holder.replaceChildren(table('sources-table', {
      caption: '取得元 / Sources',
      columns: ['ID', '状態 / Health', '遅れ / Lag', '最終試行 / Last attempt', '最後のエラー / Last error', '種別 / Kind', '操作 / Actions'],
    }, rows));
  }

  async function runNow(s, button) {
    button.disabled = true;
    const before = s.last_attempt_at;
    say(status, `${s.id}: 取得を依頼しました / Pull requested…`);
    try {
      await api(`/api/v1/sources/${encodeURIComponent(s.id)}/run`, { method: 'POST' });
      shared.changed();
      // the pull runs on whichever node takes the job: watch the source until its last attempt moves
      const until = Date.now() + 30_000;
      let now = s;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
        now = (await refresh()).find((x) => x.id === s.id) ?? now;
        if (now.last_attempt_at && now.last_attempt_at !== before) break;
      }
      if (now.last_attempt_at === before) say(status, `${s.id}: まだ実行されていません / Not run yet (queued)`);
      else if (now.failing) say(status, `${s.id}: 取得に失敗 / Pull failed: ${now.last_error}`, true);
      else say(status, `${s.id}: 取得しました / Pulled at ${jst(now.last_attempt_at)}`);
      shared.changed();
    } catch (e) {
      say(status, `${s.id}: ${problemText(e)}`, true);
    } finally {
      refocus(root, `tr[data-id="${CSS.escape(s.id)}"] [data-testid="source-run"]`);
    }
  }

  // POST /api/v1/sources/{id}/{action}, say what was done (from the answer), list the sources again and put the focus
  // back on the row's button (the rows are drawn anew); a refusal is said and the button pressable again
  async function act(s, button, action, said) {
    button.disabled = true;
    try {
      const answer = await api(`/api/v1/sources/${encodeURIComponent(s.id)}/${action}`, { method: 'POST' });
      say(status, `${s.id}: ${said(answer)}`);
      await refresh();
      shared.changed();
      refocus(root, `tr[data-id="${CSS.escape(s.id)}"] [data-testid="${button.dataset.testid}"]`);
    } catch (e) {
      button.disabled = false;
      say(status, `${s.id}: ${problemText(e)}`, true);
    }
  }

  function setEnabled(s, enabled, button) {
    return act(s, button, enabled ? 'enable' : 'disable', () => (enabled ? '再開しました / enabled' : '停止しました / disabled'));
  }

  // the first press arms the button and says what it will do; only a second press within 10 s withdraws
  async function withdrawAll(s, button) {
    if (button.dataset.armed !== '1') {
      button.dataset.armed = '1';
      button.textContent = '確定: 全件取り下げ / Confirm: withdraw all';
      say(status, `${s.id}: もう一度押すと現在の全件を取り下げます (履歴は残ります) / Press again to withdraw all its current features (history is kept)`, true);
      setTimeout(() => {
        if (button.isConnected && button.dataset.armed === '1') {
          delete button.dataset.armed;
          button.textContent = '全件取り下げ / Withdraw all';
        }
      }, 10_000);
      return;
    }
    await act(s, button, 'withdraw', (answer) => `${answer.withdrawn} 件を取り下げました / withdrew ${answer.withdrawn} features`);
  }

  return { refresh };
}

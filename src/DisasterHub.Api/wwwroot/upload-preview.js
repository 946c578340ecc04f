// Upload with a preview (issue 14), shared by the municipality and utility pages: a CSV or GeoJSON file is first sent
// with ?dry_run=true — the hub runs the push's own parse and record checks and stores nothing — and the page shows
// every accepted row and every rejection with its line (or JSON pointer), field and reason. Only "Commit" sends the
// document for real, with an Idempotency-Key made for this file, so a double click or a retry stores it once.
// "Complete list" sends it as the source's whole set (?replace=true, issue 16): the preview then lists what the hub
// would withdraw — the records it holds that the file no longer has — and Commit withdraws them.

import { hubFetch } from './session.js';
import { el } from './page-dom.js';

function contentTypeOf(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('.geojson')) return 'application/geo+json';
  if (name.endsWith('.json')) return 'application/json';
  return file.type || 'application/octet-stream';
}

const where = (row) => (row.line != null ? `${row.line}行 / line ${row.line}` : row.pointer || row.at || '');

/**
 * Mounts the upload form into root. columns: [[label, row → text], …] shown for accepted rows (besides where and key);
 * onCommitted(answer) runs after a successful commit.
 */
export function mountUploadPreview(root, { sourceId, columns = [], onCommitted = () => {} }) {
  const url = `/api/v1/sources/${encodeURIComponent(sourceId)}/documents`;
  const input = el('input', { type: 'file', id: 'upload-file', accept: '.csv,.geojson,.json,text/csv,application/json,application/geo+json', 'data-testid': 'upload-file' });
  const status = el('p', { class: 'upload-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'upload-status' });
  const result = el('div', { class: 'upload-result', 'data-testid': 'upload-result' });
  const commit = el('button', { type: 'button', class: 'btn btn-primary', disabled: true, 'data-testid': 'upload-commit' }, '確定して送信 / Commit');
  const cancel = el('button', { type: 'button', class: 'btn', disabled: true, 'data-testid': 'upload-cancel' }, '取消 / Cancel');
  const replace = el('input', { type: 'checkbox', id: 'upload-replace', 'data-testid': 'upload-replace' });
  let pending = null; // { bytes, contentType, key, replace }

  const reset = (message = '') => {
    pending = null;
    commit.disabled = true;
    cancel.disabled = true;
    status.textContent = message;
  };

  function table(caption, testid, heads, rows) {
    return el('div', { class: 'table-wrap' }, el('table', { class: 'preview-table', 'data-testid': testid },
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows)));
  }

  function show(answer) {
    const accepted = answer.accepted || [];
    const rejected = answer.rejected || [];
    result.replaceChildren(
      el('p', { class: 'upload-summary', 'data-testid': 'upload-summary' },
        `受理 / Accepted: ${answer.accepted_count ?? accepted.length} ・ 拒否 / Rejected: ${answer.rejected_count ?? rejected.length}`,
        answer.format ? ` ・ ${answer.format}` : ''),
      rejected.length ? table('拒否された行 / Rejected rows', 'preview-rejected', ['位置 / Where', '項目 / Field', '理由 / Reason'],
        rejected.map((r) => el('tr', { 'data-line': r.line ?? '', 'data-pointer': r.pointer ?? '' },
          el('td', {}, where(r)), el('td', {}, r.field || ''), el('td', {}, r.reason)))) : '',
      accepted.length ? table('受理される行 / Accepted rows', 'preview-accepted', ['位置 / Where', 'ID', '名称 / Name', ...columns.map(([h]) => h)],
        accepted.map((a) => el('tr', { 'data-line': a.line ?? '', 'data-key': a.key },
          el('td', {}, where(a)), el('td', {}, a.key), el('td', {}, a.name || ''), columns.map(([, f]) => el('td', {}, f(a) ?? ''))))) : '',
      withdrawals(answer.replace));
  }

  // a complete list: what Commit would withdraw, or why the file would not be taken as the whole set
  function withdrawals(rep) {
    if (!rep) return '';
    if (!rep.applies) return el('p', { class: 'upload-summary', 'data-testid': 'preview-replace-note' }, `全件として扱いません / Not taken as the complete list: ${rep.reason}`);
    const rows = rep.withdrawn_records || [];
    return el('div', {},
      el('p', { class: 'upload-summary', 'data-testid': 'preview-withdrawing' }, `確定すると取り下げ / Withdrawn on Commit: ${rep.withdrawing}`),
      rows.length ? table('取り下げられる記録 / Records withdrawn on Commit', 'preview-withdrawn', ['ID', '名称 / Name'],
        rows.map((w) => el('tr', { 'data-key': w.key }, el('td', {}, w.key), el('td', {}, w.name || '')))) : '');
  }

  async function preview() {
    const file = input.files?.[0];
    if (!file) return;
    reset('確認中… / Checking…');
    result.replaceChildren();
    const bytes = await file.arrayBuffer();
    const contentType = contentTypeOf(file);
    const whole = replace.checked;
    let res;
    try {
      res = await hubFetch(`${url}?dry_run=true${whole ? '&replace=true' : ''}`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/json' }, body: bytes });
    } catch {
      reset('接続できません。オンラインに戻ってから試してください / Offline: try again when the connection is back');
      return;
    }
    const answer = await res.json().catch(() => ({}));
    show(answer);
    if (!res.ok) {
      reset(`送信できません / Cannot be sent: ${answer.detail || res.status}`);
      return;
    }
    pending = { bytes, contentType, key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(), replace: whole };
    commit.disabled = (answer.accepted_count ?? 0) === 0;
    cancel.disabled = false;
    status.textContent = 'まだ送信していません。確認して「確定して送信」を押してください / Nothing is sent yet: check the rows, then Commit';
  }

  commit.addEventListener('click', async () => {
    if (!pending) return;
    commit.disabled = true;
    status.textContent = '送信中… / Sending…';
    let res;
    try {
      res = await hubFetch(pending.replace ? `${url}?replace=true` : url, { method: 'POST', headers: { 'Content-Type': pending.contentType, 'Idempotency-Key': pending.key, Accept: 'application/json' }, body: pending.bytes });
    } catch {
      commit.disabled = false;
      status.textContent = '接続できません。もう一度押してください / Offline: press Commit again when the connection is back';
      return;
    }
    const answer = await res.json().catch(() => ({}));
    if (!res.ok) {
      commit.disabled = false;
      status.textContent = `送信できませんでした / Not accepted: ${answer.detail || res.status}`;
      return;
    }
    reset(`送信しました / Committed: 受理 ${answer.accepted} ・ 拒否 ${answer.rejected} ・ 変更 / changed ${answer.changed}`
      + (answer.replace ? ` ・ 取り下げ / withdrawn ${answer.replace.withdrawn}` : ''));
    status.dataset.committed = '1';
    input.value = '';
    onCommitted(answer);
  });
  cancel.addEventListener('click', () => { reset('取り消しました / Cancelled'); result.replaceChildren(); input.value = ''; });
  input.addEventListener('change', () => { delete status.dataset.committed; preview(); });
  // the preview answers for the choice made: a changed choice previews again
  replace.addEventListener('change', () => { if (input.files?.[0]) { delete status.dataset.committed; preview(); } });

  root.replaceChildren(
    el('p', { class: 'upload-row' }, el('label', { for: 'upload-file' }, 'CSV / GeoJSON ファイル / file'), input),
    el('p', { class: 'upload-row' }, replace, ' ', el('label', { for: 'upload-replace' },
      '全件として送る（ファイルにない記録は取り下げ） / Complete list: withdraw what the file no longer has')),
    status, result, el('p', { class: 'upload-actions' }, commit, ' ', cancel));
}

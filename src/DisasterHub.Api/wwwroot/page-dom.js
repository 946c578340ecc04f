// The people's pages' one DOM helper (city/, utility/, upload-preview.js): elements from tag, attributes and children (text nodes only: no HTML injection).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** 開設状況 as the page offers them (the shelter-status push takes these words). */
export const STATUSES = [
  { key: '開設', en: 'Open' },
  { key: '閉鎖', en: 'Closed' },
  { key: '未開設', en: 'Not opened' },
];

export const statusLabel = (s) => {
  const known = STATUSES.find((x) => x.key === s);
  return known ? `${known.key} / ${known.en}` : (s || '不明 / Unknown');
};

/** What to say when the hub took a push but refused rows of it (a 200 with rejections): the count and the first reason; '' otherwise. */
export function rejectedRowsText(answer) {
  if (!(answer?.rejected > 0)) return '';
  const first = answer.rejections?.[0];
  return `拒否された行があります / ${answer.rejected} rejected${first ? `: ${first.at}: ${first.reason}` : ''}`;
}

/** The outbox badge: how many changes wait for the connection (empty when none). */
export function showQueued(badge, entries) {
  badge.dataset.count = String(entries.length);
  badge.textContent = entries.length ? `送信待ち / queued: ${entries.length}` : '';
}

/**
 * Puts the focus back on a control of a section drawn anew after an answer, unless the user has moved on meanwhile.
 * Drawing the rows anew drops the focused button (the focus falls to the body); but an answer that comes late, on a
 * loaded hub, must not take the focus from another section the user went on to, or their next keys land here.
 */
export function refocus(root, selector) {
  const now = document.activeElement;
  if (now && now !== document.body && !root.contains(now)) return;
  root.querySelector(selector)?.focus();
}

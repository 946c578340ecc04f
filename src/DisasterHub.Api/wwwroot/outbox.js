// An outbox for the people's pages (issue 14): a write made while the connection is down — or while the hub answers
// "try again" — waits in localStorage and is sent when the browser says it is `online` again (and at start-up, and every
// 20 s while anything waits). Each entry keeps the Idempotency-Key it was given when it was made, so however often it is
// sent (a reply lost on the way back, two tabs) the hub takes it once and replays the first answer.
//
//   const outbox = createOutbox(`city:${session.email}`, { onChange, onSent, onRefused });  // one per page and person
//   outbox.add({ url, body, contentType, label });   // resolves once it is queued (and tried, when online)
//   outbox.entries()                                  // what waits, oldest first
//   outbox.flush()                                    // send what waits, in order, stopping at the first that cannot go

import { hubFetch } from './session.js';

const RETRY_MS = 20_000;

function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Answers worth sending again later: the hub is busy, rate-limited or failing, or the session lapsed (sign in again). */
const retryable = (status) => status === 401 || status === 408 || status === 429 || status >= 500;

export function createOutbox(name, { onChange = () => {}, onSent = () => {}, onRefused = () => {} } = {}) {
  const storageKey = `hub-outbox:${name}`;
  let sending = null;
  let timer = null;

  const read = () => {
    try { return JSON.parse(localStorage.getItem(storageKey) || '[]'); } catch { return []; }
  };
  const write = (list) => {
    localStorage.setItem(storageKey, JSON.stringify(list));
    onChange(list);
    clearTimeout(timer);
    if (list.length) timer = setTimeout(flush, RETRY_MS);
  };

  async function sendAll() {
    while (navigator.onLine !== false) {
      const [next] = read();
      if (!next) return;
      let res;
      try {
        res = await hubFetch(next.url, {
          method: 'POST',
          headers: { 'Content-Type': next.contentType, 'Idempotency-Key': next.key, Accept: 'application/json' },
          body: next.body,
          cache: 'no-store',
        });
      } catch {
        return; // offline after all: wait for `online`
      }
      if (retryable(res.status)) {
        next.lastError = `HTTP ${res.status}`;
        write([next, ...read().slice(1)]);
        return;
      }
      let answer = null;
      try { answer = await res.json(); } catch { /* no body */ }
      write(read().filter((e) => e.key !== next.key));
      if (res.ok) onSent(next, answer); else onRefused(next, answer, res.status);
    }
  }

  /** Sends what waits; one run at a time (a second call joins the running one). */
  function flush() {
    if (!sending) sending = sendAll().finally(() => { sending = null; });
    return sending;
  }

  async function add({ url, body, contentType = 'application/json', label = '' }) {
    const entry = { key: newKey(), url, body, contentType, label, queuedAt: new Date().toISOString() };
    write([...read(), entry]);
    await flush();
    return entry;
  }

  window.addEventListener('online', () => { flush(); });
  onChange(read());
  flush();
  return { add, flush, entries: read };
}

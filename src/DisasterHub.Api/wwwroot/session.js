// Client of the hub's session API (issue 14), for every page that signs people in: the officers' map (signin.js), the
// municipality and utility pages. The contract:
//   POST   /api/v1/session {email, password, totp?} → 200 {email, name, organization, organization_kind, roles, clearance, csrf}
//          401 problem (totp_required: true when the authenticator code is missing or wrong), 423 locked (Retry-After)
//   GET    /api/v1/session → the same body, or 401
//   DELETE /api/v1/session → 204 (needs the CSRF token)
// The session itself is an HttpOnly cookie the browser sends on same-origin requests; every state-changing request a
// signed-in page makes must carry the CSRF token in X-CSRF-Token — hubFetch adds it.

const SESSION_URL = '/api/v1/session';
let csrf = null;

/** A sign-in or session error: the problem's detail, status, and whether an authenticator code is wanted. */
export class SessionError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.totpRequired = !!problem?.totp_required;
    this.retryAfter = problem?.retry_after_seconds ?? null;
  }
}

async function problemOf(res) {
  try { return await res.json(); } catch { return null; }
}

function remember(session) {
  csrf = session?.csrf ?? null;
  return session;
}

/** The signed-in person, or null when nobody is (the page may then offer the sign-in form). */
export async function currentSession() {
  const res = await fetch(SESSION_URL, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 401) return remember(null);
  if (!res.ok) throw new SessionError(res.status, await problemOf(res));
  return remember(await res.json());
}

/** Signs in; resolves to the session, or throws a SessionError (wrong credentials, code wanted, locked). */
export async function signIn(email, password, totp) {
  const body = { email, password };
  if (totp) body.totp = totp;
  const res = await fetch(SESSION_URL, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body), cache: 'no-store',
  });
  if (!res.ok) throw new SessionError(res.status, await problemOf(res));
  return remember(await res.json());
}

/** Signs out (the cookie is dropped by the hub). */
export async function signOut() {
  const res = await hubFetch(SESSION_URL, { method: 'DELETE' });
  if (!res.ok && res.status !== 401) throw new SessionError(res.status, await problemOf(res));
  remember(null);
}

/** fetch() with the session's CSRF token on state-changing requests (fetches the session first when none is known). */
export async function hubFetch(url, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  const headers = new Headers(options.headers || {});
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) {
    if (!csrf) await currentSession();
    if (csrf) headers.set('X-CSRF-Token', csrf);
  }
  return fetch(url, { ...options, headers });
}

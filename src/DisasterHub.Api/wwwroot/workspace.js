// Workspace switch for the officers' map: live (実災害) or a drill (訓練). The choice lives in the page's own URL
// (?workspace=NAME), so a drill view can be bookmarked and shared; every request the map makes carries it.
// Exercises never reach live (CAP Exercise, JMA 訓練 go to the drill their source names), so an officer running a
// drill switches here to see them.

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The workspace this page shows: null means live. */
export const workspace = (() => {
  const w = new URLSearchParams(location.search).get('workspace');
  return w && w !== 'live' && NAME.test(w) ? w : null;
})();

/** The URL with the page's workspace added (absolute or path; MVT templates with {z}/{x}/{y} keep their braces). */
export function withWorkspace(url) {
  if (!workspace) return url;
  return `${url}${url.includes('?') ? '&' : '?'}workspace=${encodeURIComponent(workspace)}`;
}

/** Fills the header's workspace select from /api/v1/workspaces; choosing one reloads the page on it. */
async function mountSwitch() {
  const select = document.getElementById('workspace');
  if (!select) return;
  document.body.dataset.workspace = workspace ?? 'live';
  document.body.classList.toggle('is-drill', !!workspace);
  let names = [{ name: 'live', kind: 'live' }];
  try {
    const res = await fetch('/api/v1/workspaces', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (res.ok) names = (await res.json()).workspaces;
  } catch { /* offline: live only, plus the current one below */ }
  // a drill the hub does not list for this caller (members only, or gone): still named, and said to be closed
  if (workspace && !names.some((w) => w.name === workspace)) names.push({ name: workspace, kind: 'drill', closed: true });
  select.replaceChildren(...names.map((w) => {
    const o = document.createElement('option');
    o.value = w.name;
    o.textContent = w.kind === 'live' ? 'ライブ / live' : `訓練 / drill: ${w.name}${w.closed ? '（閲覧できません / not open to you）' : ''}`;
    o.selected = (workspace ?? 'live') === w.name;
    return o;
  }));
  select.addEventListener('change', () => {
    const u = new URL(location.href);
    if (select.value === 'live') u.searchParams.delete('workspace'); else u.searchParams.set('workspace', select.value);
    // the permalink's hash (permalink.js) repeats the workspace: the switch decides, so it follows
    const h = new URLSearchParams(u.hash.slice(1));
    if (h.has('workspace')) {
      if (select.value === 'live') h.delete('workspace'); else h.set('workspace', select.value);
      u.hash = h.toString().replace(/%2C/g, ',').replace(/%2F/g, '/').replace(/%3A/g, ':');
    }
    location.assign(u.toString());
  });
}

mountSwitch();

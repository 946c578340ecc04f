// The map's credit line: the licence and attribution each source's configuration states (TileJSON `attribution`,
// issue 15 item 7), escaped — it is shown as HTML by MapLibre's attribution control.

import { withWorkspace } from './workspace.js';

const escape = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

/** The sources' credits as safe HTML, or just "DisasterHub" when TileJSON cannot be read. */
export async function loadCredit() {
  try {
    const r = await fetch(withWorkspace('/tiles/merged.json'), { headers: { Accept: 'application/json' } });
    if (!r.ok) return 'DisasterHub';
    const { attribution } = await r.json();
    return typeof attribution === 'string' && attribution.length > 0 ? escape(attribution) : 'DisasterHub';
  } catch {
    return 'DisasterHub';
  }
}

// Photos and videos in popups (issue 12, layer media): the record's thumbnail, linking to the file. Both URLs are the
// hub's own (/api/v1/media/{sha256}…), served only to callers who may see the record, so the browser's request
// carries the same credentials as the map's other reads.

const SAFE = /^\/api\/v1\/media\/[0-9a-f]{64}(\/thumbnail)?$/;

/** A <figure> for a media record's attributes, or null when it has none to show. */
export function mediaFigure(attrs, caption) {
  const file = typeof attrs?.media_url === 'string' && SAFE.test(attrs.media_url) ? attrs.media_url : null;
  if (!file) return null;
  const thumb = typeof attrs.thumbnail_url === 'string' && SAFE.test(attrs.thumbnail_url) ? attrs.thumbnail_url : null;
  const figure = document.createElement('figure');
  figure.className = 'popup-media';
  figure.dataset.testid = 'popup-media';
  const link = document.createElement('a');
  link.href = file;
  link.target = '_blank';
  link.rel = 'noopener';
  if (thumb) {
    const img = document.createElement('img');
    img.src = thumb;
    img.alt = caption || attrs.caption || 'photo';
    img.loading = 'lazy';
    img.width = 240;
    link.append(img);
  } else {
    link.textContent = `${attrs.media_type ?? 'media'} ↗`;
  }
  figure.append(link);
  if (attrs.captured_at) {
    const cap = document.createElement('figcaption');
    cap.textContent = `${attrs.caption ? `${attrs.caption} · ` : ''}${new Date(attrs.captured_at).toLocaleString()}`;
    figure.append(cap);
  }
  return figure;
}

// The sources view's line for a feed follower (a JMA Atom feed, another hub): what it has taken, what it skipped as
// already taken, how long a telegram took from publication to the map, and the span it may have missed (issue 18 §5).

const words = {
  ja: { fetched: '取得', dups: '重複', delay: '公表から地図まで', gap: '欠落の可能性', s: '秒' },
  en: { fetched: 'fetched', dups: 'duplicates', delay: 'publication to map', gap: 'possibly missed', s: 's' },
};

const hhmm = (iso) => new Date(iso).toLocaleString('ja-JP', { timeZone: 'Asia/Tokyo', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** One line of text for a source with a follower (null otherwise). */
export function followerLine(source, lang) {
  const f = source.follower;
  if (!f) return null;
  const w = words[lang] ?? words.ja;
  const parts = [`${w.fetched} ${f.fetched}`, `${w.dups} ${f.duplicates_skipped}`];
  if (f.publication_to_map_ms != null) parts.push(`${w.delay} ${(f.publication_to_map_ms / 1000).toFixed(1)}${w.s}`);
  if (f.gap_since) parts.push(`${w.gap} ${hhmm(f.gap_since)}–${hhmm(f.gap_until)}`);
  return parts.join(' · ');
}

/**
 * The inbox's search highlight (issue 12: "search … highlights the matches"): the pieces of a
 * row's text with every term of the search marked, case-insensitive, as the core matches them
 * (terms split on white space, each found anywhere). Pure, so rows and tests share it.
 */

export interface TextPart {
  text: string;
  hit: boolean;
}

function escapeRegExp(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One pattern per query, kept: every row of a window asks for the same one. */
let cached: { query: string; pattern: RegExp | null } = { query: '', pattern: null };

function patternOf(query: string): RegExp | null {
  if (cached.query === query) return cached.pattern;
  const terms = query
    .trim()
    .split(/\s+/u)
    .filter((term) => term.length > 0)
    // Longer terms first, so "退款单" wins over "退款" where both match.
    .sort((a, b) => b.length - a.length);
  const pattern = terms.length === 0 ? null : new RegExp(terms.map(escapeRegExp).join('|'), 'giu');
  cached = { query, pattern };
  return pattern;
}

/** `text` cut into plain and matching pieces, in order; the whole text, unmarked, when nothing matches. */
export function highlightParts(text: string, query: string): TextPart[] {
  const pattern = patternOf(query);
  if (!pattern || text === '') return [{ text, hit: false }];
  const parts: TextPart[] = [];
  let from = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index;
    if (at > from) parts.push({ text: text.slice(from, at), hit: false });
    parts.push({ text: match[0], hit: true });
    from = at + match[0].length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), hit: false });
  return parts.length === 0 ? [{ text, hit: false }] : parts;
}

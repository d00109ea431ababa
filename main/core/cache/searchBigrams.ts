/**
 * The 2-character search index (migration 018). FTS5's trigram tokenizer finds nothing under
 * three characters, and Chinese is full of two-character words (退款, 发票, 物流), which fell
 * back to a LIKE scan of every subject, name and message. The index holds, for each text, the
 * distinct pairs of adjacent non-ASCII characters as words of an `ascii`-tokenized FTS5 table
 * (which keeps every non-ASCII character inside a word), so a 2-character query of such
 * characters is one term lookup. ASCII pairs are left to LIKE: its ASCII case folding, and
 * phone numbers, ids and e-mail addresses, would make the index large for little gain.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

/** The SQL function the index's triggers and rebuilds call; every connection that writes the cache registers it. */
export const SEARCH_BIGRAMS_FUNCTION = 'search_bigrams';

/** Whether a character takes part in the index: non-ASCII and not white space (query terms never hold white space). */
function isIndexedChar(char: string): boolean {
  return char.codePointAt(0)! > 0x7f && !/\s/u.test(char);
}

/** The distinct pairs of adjacent indexed characters of `text`, separated by spaces (what the index stores for it). */
export function searchBigrams(text: string | null): string {
  if (!text) return '';
  const pairs = new Set<string>();
  let previous: string | null = null;
  for (const char of text) {
    const indexed = isIndexedChar(char);
    if (indexed && previous !== null) pairs.add(previous + char);
    previous = indexed ? char : null;
  }
  return [...pairs].join(' ');
}

/** Whether a search term is answered by the 2-character index: exactly two characters, both indexed. */
export function isBigramTerm(term: string): boolean {
  const chars = [...term];
  return chars.length === 2 && chars.every(isIndexedChar);
}

/** Registers `search_bigrams(text)` on a connection; the index's triggers fail on a connection without it. */
export function registerSearchFunctions(db: Database.Database): void {
  db.function(SEARCH_BIGRAMS_FUNCTION, { deterministic: true }, (text: unknown) => searchBigrams(typeof text === 'string' ? text : null));
}

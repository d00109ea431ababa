/**
 * The cached knowledge base (cache migration 016): replaced whole by each fetch from the
 * server, read and searched by the side panel online or not. A row that does not read back as
 * an article (a cache written by a newer or broken version) is skipped, never shown half.
 *
 * Search: the query's terms (shared/knowledge.ts `searchTermsOf`) are looked up one by one —
 * a term of three or more characters in the FTS5 trigram index, a shorter one (most Chinese
 * words: 退货, 发票) with LIKE over the same text, since a trigram index matches nothing under
 * three characters — and the articles are ranked by how many terms they contain, then by how
 * many are in the title, then newest first.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { TRIGRAM_MIN_CHARS, articleSchema, searchTermsOf, type Article, type KnowledgeHit } from '../../../shared/knowledge.js';

export interface KnowledgeSearchOptions {
  /** Most hits returned (default 20). */
  limit?: number;
  /** Leads' caches hold drafts too; the composer's panel leaves them out (a draft is not for customers). */
  includeDrafts?: boolean;
}

export interface KnowledgeCacheReader {
  /** Every cached article (drafts only in a lead's cache), newest first, and when they were fetched. */
  knowledgeArticles(): { articles: Article[]; fetchedAt: number | null };
  /** When the articles were last fetched; null before the first fetch. */
  knowledgeFetchedAt(): number | null;
  knowledgeArticle(id: string): Article | null;
  searchKnowledge(query: string, options?: KnowledgeSearchOptions): KnowledgeHit[];
}

export interface KnowledgeCacheWriter {
  /** Replaces the cached articles with a fetched list, in one transaction (the index is rebuilt with them). */
  replaceKnowledge(articles: readonly Article[], fetchedAt: number): void;
}

/** What a search looks in: the number (a customer may quote it), title, category, tags and body. */
function searchTextOf(article: Article): string {
  return [article.id, article.title, article.category, article.tags.join(' '), article.body].join('\n');
}

/** LIKE's wildcards in a term are meant literally. */
function likePattern(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** An FTS5 query matching the term as one string (quotes doubled), never as FTS5 syntax. */
function ftsPhrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

export function createKnowledgeCache(db: Database.Database): { reader: KnowledgeCacheReader; writer: KnowledgeCacheWriter } {
  const all = db.prepare<[], { article_json: string }>('SELECT article_json FROM kb_articles ORDER BY updated_at DESC, id');
  // Ranking needs only these: articles are parsed for the hits returned, not for every candidate.
  const outline = db.prepare<[], { rid: number; title: string; status: string }>('SELECT rid, title, status FROM kb_articles ORDER BY updated_at DESC, id');
  const byRid = db.prepare<[number], { article_json: string }>('SELECT article_json FROM kb_articles WHERE rid = ?');
  const one = db.prepare<[string], { article_json: string }>('SELECT article_json FROM kb_articles WHERE id = ?');
  const fetchedAt = db.prepare<[], { fetched_at: number | null }>('SELECT fetched_at FROM kb_state WHERE id = 1');
  const byTrigram = db.prepare<[string], { rid: number }>('SELECT rowid AS rid FROM kb_fts WHERE kb_fts MATCH ?');
  const byLike = db.prepare<[string], { rid: number }>("SELECT rid FROM kb_articles WHERE search_text LIKE ? ESCAPE '\\'");
  const clear = db.prepare('DELETE FROM kb_articles');
  const insert = db.prepare<[string, string, string, number, string, string]>(
    'INSERT INTO kb_articles (id, title, status, updated_at, article_json, search_text) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const rebuild = db.prepare("INSERT INTO kb_fts (kb_fts) VALUES ('rebuild')");
  const setFetchedAt = db.prepare<[number]>('UPDATE kb_state SET fetched_at = ? WHERE id = 1');

  function parse(json: string): Article | null {
    const parsed = articleSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  }

  function ridsContaining(term: string): number[] {
    const rows = [...term].length >= TRIGRAM_MIN_CHARS ? byTrigram.all(ftsPhrase(term)) : byLike.all(likePattern(term));
    return rows.map((row) => row.rid);
  }

  return {
    reader: {
      knowledgeArticles() {
        const articles: Article[] = [];
        for (const row of all.all()) {
          const article = parse(row.article_json);
          if (article) articles.push(article);
        }
        return { articles, fetchedAt: fetchedAt.get()?.fetched_at ?? null };
      },

      knowledgeFetchedAt() {
        return fetchedAt.get()?.fetched_at ?? null;
      },

      knowledgeArticle(id) {
        const row = one.get(id);
        return row ? parse(row.article_json) : null;
      },

      searchKnowledge(query, options = {}) {
        const limit = options.limit ?? 20;
        const terms = searchTermsOf(query);
        const matched = new Map<number, string[]>();
        for (const term of terms) {
          for (const rid of ridsContaining(term)) matched.set(rid, [...(matched.get(rid) ?? []), term]);
        }
        const ranked: Array<{ rid: number; terms: string[]; inTitle: number; order: number }> = [];
        outline.all().forEach((row, order) => {
          if (row.status !== 'published' && !options.includeDrafts) return;
          const found = terms.length === 0 ? [] : matched.get(row.rid);
          if (!found) return;
          const title = row.title.toLowerCase();
          ranked.push({ rid: row.rid, terms: found, inTitle: found.filter((term) => title.includes(term)).length, order });
        });
        ranked.sort((a, b) => b.terms.length - a.terms.length || b.inTitle - a.inTitle || a.order - b.order);
        const hits: KnowledgeHit[] = [];
        for (const entry of ranked) {
          if (hits.length >= limit) break;
          const row = byRid.get(entry.rid);
          const article = row ? parse(row.article_json) : null;
          if (article) hits.push({ article, matched: entry.terms });
        }
        return hits;
      },
    },
    writer: {
      replaceKnowledge: db.transaction((articles: readonly Article[], at: number) => {
        clear.run();
        for (const article of articles)
          insert.run(article.id, article.title, article.status, article.updatedAt, JSON.stringify(article), searchTextOf(article));
        rebuild.run();
        setFetchedAt.run(at);
      }),
    },
  };
}

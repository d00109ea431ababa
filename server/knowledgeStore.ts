/**
 * The knowledge base (知识库, migration 019, shared/knowledge.ts): articles, agents'
 * suggestions and the audit of every write, with the rules decided here, in the write's
 * transaction — leads and admins write articles and decide suggestions; agents read only
 * published articles (a draft is `not_found` to them, exactly like an id that does not exist)
 * and their own suggestions. Every write leaves a `kb_audit` row in the same transaction.
 * Plain SQL over the seam, as in store.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { User } from '../shared/domain.js';
import {
  MAX_ARTICLES,
  MAX_HISTORY_ENTRIES,
  MAX_PENDING_SUGGESTIONS_PER_USER,
  articleTagsSchema,
  canEditKnowledge,
  changedArticleFields,
  type Article,
  type ArticleContent,
  type ArticleInput,
  type KnowledgeAuditAction,
  type KnowledgeDecideRequest,
  type KnowledgeHistoryEntry,
  type Suggestion,
} from '../shared/knowledge.js';
import type { SqlDialect, SqlExecutor } from './db/sql.js';

/** Why a knowledge write was refused; the socket answers it with the same code. */
export class KnowledgeRefusal extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'KnowledgeRefusal';
  }
}

export interface KnowledgeStore {
  /** What the user may read: published articles for agents, every article for leads and admins; by category then title. */
  listFor(user: User): Promise<Article[]>;
  /** Creates (no id) or changes an article (leads and admins); `expectedVersion` refuses a change over a newer one. */
  save(actor: User, id: string | undefined, input: ArticleInput, now: number, expectedVersion?: number): Promise<Article>;
  /** Whether agents can read the article now (a change to it must reach them; a draft's does not). */
  isPublished(id: string): Promise<boolean>;
  /** Files a suggestion: an edit of an article the actor may read, or a new article (no articleId). */
  suggest(actor: User, articleId: string | undefined, content: ArticleContent, note: string, now: number): Promise<Suggestion>;
  /** An agent's own suggestions; every suggestion for leads and admins. Pending first, then newest first. */
  suggestionsFor(user: User): Promise<Suggestion[]>;
  /** Accepts (the article changes, or a new one is published) or declines (with the reason) a pending suggestion; leads and admins. */
  decide(actor: User, request: KnowledgeDecideRequest, now: number): Promise<{ suggestion: Suggestion; article: Article | null }>;
  /** An article's audit, newest first, at most `limit` entries (leads and admins; `not_found` for an article that does not exist). */
  history(reader: User, id: string, limit?: number): Promise<KnowledgeHistoryEntry[]>;
}

interface ArticleRow {
  id: string;
  title: string;
  body: string;
  category: string;
  tags_json: string;
  status: Article['status'];
  version: number;
  updated_at: number;
  updated_by_id: string;
  updated_by_name: string;
}

interface SuggestionRow {
  id: string;
  article_id: string | null;
  base_version: number | null;
  title: string;
  body: string;
  category: string;
  tags_json: string;
  note: string;
  author_id: string;
  author_name: string;
  created_at: number;
  status: Suggestion['status'];
  decline_reason: string | null;
  decided_at: number | null;
  decided_by_name: string | null;
}

const ARTICLE_COLUMNS = 'id, title, body, category, tags_json, status, version, updated_at, updated_by_id, updated_by_name';
const SUGGESTION_COLUMNS =
  'id, article_id, base_version, title, body, category, tags_json, note, author_id, author_name, created_at, status, decline_reason, decided_at, decided_by_name';

function articleFromRow(row: ArticleRow): Article {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    category: row.category,
    tags: articleTagsSchema.parse(JSON.parse(row.tags_json)),
    status: row.status,
    version: Number(row.version),
    updatedAt: Number(row.updated_at),
    updatedById: row.updated_by_id,
    updatedByName: row.updated_by_name,
  };
}

function suggestionFromRow(row: SuggestionRow): Suggestion {
  return {
    id: row.id,
    articleId: row.article_id,
    baseVersion: row.base_version === null ? null : Number(row.base_version),
    content: { title: row.title, body: row.body, category: row.category, tags: articleTagsSchema.parse(JSON.parse(row.tags_json)) },
    note: row.note,
    authorId: row.author_id,
    authorName: row.author_name,
    createdAt: Number(row.created_at),
    status: row.status,
    declineReason: row.decline_reason,
    decidedAt: row.decided_at === null ? null : Number(row.decided_at),
    decidedByName: row.decided_by_name,
  };
}

/** Crockford's base32 without I, L, O, U: nothing to misread when a customer quotes it on the phone. */
const ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new article id: `KB` and ten random characters (50 bits). */
export function newArticleId(): string {
  const bytes = randomBytes(10);
  let id = 'KB';
  for (const byte of bytes) id += ID_ALPHABET[byte % 32];
  return id;
}

interface AuditRow {
  at: number;
  actor_name: string;
  action: KnowledgeAuditAction;
  suggestion_id: string | null;
  before_json: string | null;
  after_json: string | null;
}

function parsedAudit(json: string | null): Record<string, unknown> {
  if (json === null) return {};
  const value: unknown = JSON.parse(json);
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A history entry from an audit row: the fields that differ, never the texts (a reader of the history sees the article itself). */
function historyEntryFromRow(row: AuditRow): KnowledgeHistoryEntry {
  const before = parsedAudit(row.before_json);
  const after = parsedAudit(row.after_json);
  const changesArticle = row.action === 'article_created' || row.action === 'article_updated' || row.action === 'suggestion_accepted';
  const version = changesArticle && typeof after.version === 'number' ? after.version : null;
  return {
    at: Number(row.at),
    actorName: row.actor_name,
    action: row.action,
    suggestionId: row.suggestion_id,
    version,
    changed: row.action === 'article_updated' ? changedArticleFields(before, after) : [],
  };
}

/** What the audit keeps of an article: its content and status. */
function audited(article: Article): Record<string, unknown> {
  return { title: article.title, body: article.body, category: article.category, tags: article.tags, status: article.status, version: article.version };
}

export function createKnowledgeStore(internals: {
  sql: () => SqlExecutor;
  dialect: SqlDialect;
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
}): KnowledgeStore {
  const { sql, transaction } = internals;
  const postgres = internals.dialect === 'postgres';
  const forUpdate = postgres ? ' FOR UPDATE' : '';

  async function audit(
    actor: User,
    action: KnowledgeAuditAction,
    ids: { articleId: string | null; suggestionId: string | null },
    before: unknown,
    after: unknown,
    now: number,
  ): Promise<void> {
    await sql().run(
      'INSERT INTO kb_audit (at, actor_id, actor_name, action, article_id, suggestion_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [
        now,
        actor.id,
        actor.displayName,
        action,
        ids.articleId,
        ids.suggestionId,
        before === null ? null : JSON.stringify(before),
        after === null ? null : JSON.stringify(after),
      ],
    );
  }

  function requireEditor(actor: User, what: string): void {
    if (!canEditKnowledge(actor)) throw new KnowledgeRefusal('forbidden', `Only leads and admins ${what}.`);
  }

  /** The article as the reader may see it (a draft is not there for an agent), locked for a write on PostgreSQL. */
  async function readable(reader: User, id: string, lock: boolean): Promise<Article> {
    const row = await sql().get<ArticleRow>(`SELECT ${ARTICLE_COLUMNS} FROM kb_articles WHERE id = ?${lock ? forUpdate : ''}`, [id]);
    if (!row || (row.status !== 'published' && !canEditKnowledge(reader))) throw new KnowledgeRefusal('not_found', `No article ${id}.`);
    return articleFromRow(row);
  }

  async function insertArticle(actor: User, input: ArticleInput, now: number): Promise<Article> {
    // Counting then inserting is a read-decide-write: writers take turns (SQLite's one writer already does).
    if (postgres) await sql().get('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', ['kb:articles']);
    const { n } = (await sql().get<{ n: number }>('SELECT COUNT(*) AS n FROM kb_articles'))!;
    if (Number(n) >= MAX_ARTICLES) throw new KnowledgeRefusal('conflict', `The knowledge base is full (${String(MAX_ARTICLES)} articles).`);
    const row = await sql().get<ArticleRow>(
      `INSERT INTO kb_articles (id, title, body, category, tags_json, status, version, created_at, updated_at, updated_by_id, updated_by_name)
       VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) RETURNING ${ARTICLE_COLUMNS}`,
      [newArticleId(), input.title, input.body, input.category, JSON.stringify(input.tags), input.status, now, now, actor.id, actor.displayName],
    );
    return articleFromRow(row!);
  }

  async function updateArticle(actor: User, before: Article, input: ArticleInput, now: number): Promise<Article> {
    const row = await sql().get<ArticleRow>(
      `UPDATE kb_articles SET title = ?, body = ?, category = ?, tags_json = ?, status = ?, version = version + 1, updated_at = ?, updated_by_id = ?, updated_by_name = ?
       WHERE id = ? RETURNING ${ARTICLE_COLUMNS}`,
      [input.title, input.body, input.category, JSON.stringify(input.tags), input.status, now, actor.id, actor.displayName, before.id],
    );
    return articleFromRow(row!);
  }

  return {
    async listFor(user) {
      const rows = await sql().all<ArticleRow>(
        `SELECT ${ARTICLE_COLUMNS} FROM kb_articles ${canEditKnowledge(user) ? '' : "WHERE status = 'published'"} ORDER BY category, title, id`,
      );
      return rows.map(articleFromRow);
    },

    save(actor, id, input, now, expectedVersion) {
      return transaction(async () => {
        requireEditor(actor, 'write knowledge articles');
        if (id === undefined) {
          const created = await insertArticle(actor, input, now);
          await audit(actor, 'article_created', { articleId: created.id, suggestionId: null }, null, audited(created), now);
          return created;
        }
        const before = await readable(actor, id, true);
        if (expectedVersion !== undefined && before.version !== expectedVersion) {
          throw new KnowledgeRefusal('conflict', `The article changed since you opened it (now version ${String(before.version)}); open it again.`);
        }
        const after = await updateArticle(actor, before, input, now);
        await audit(actor, 'article_updated', { articleId: id, suggestionId: null }, audited(before), audited(after), now);
        return after;
      });
    },

    suggest(actor, articleId, content, note, now) {
      return transaction(async () => {
        const base = articleId === undefined ? null : await readable(actor, articleId, false);
        if (postgres) await sql().get('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`kb:suggestions:${actor.id}`]);
        const { n } = (await sql().get<{ n: number }>("SELECT COUNT(*) AS n FROM kb_suggestions WHERE author_id = ? AND status = 'pending'", [actor.id]))!;
        if (Number(n) >= MAX_PENDING_SUGGESTIONS_PER_USER) {
          throw new KnowledgeRefusal('conflict', `You have ${String(MAX_PENDING_SUGGESTIONS_PER_USER)} suggestions waiting; wait for a decision first.`);
        }
        const row = await sql().get<SuggestionRow>(
          `INSERT INTO kb_suggestions (id, article_id, base_version, title, body, category, tags_json, note, author_id, author_name, created_at, status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending') RETURNING ${SUGGESTION_COLUMNS}`,
          [
            randomUUID(),
            base?.id ?? null,
            base?.version ?? null,
            content.title,
            content.body,
            content.category,
            JSON.stringify(content.tags),
            note,
            actor.id,
            actor.displayName,
            now,
          ],
        );
        const suggestion = suggestionFromRow(row!);
        await audit(actor, 'suggestion_made', { articleId: suggestion.articleId, suggestionId: suggestion.id }, null, { content, note }, now);
        return suggestion;
      });
    },

    async suggestionsFor(user) {
      const everyone = canEditKnowledge(user);
      const rows = await sql().all<SuggestionRow>(
        `SELECT ${SUGGESTION_COLUMNS} FROM kb_suggestions ${everyone ? '' : 'WHERE author_id = ?'}
         ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, created_at DESC, id LIMIT 1000`,
        everyone ? [] : [user.id],
      );
      return rows.map(suggestionFromRow);
    },

    decide(actor, request, now) {
      return transaction(async () => {
        requireEditor(actor, 'decide suggestions');
        const row = await sql().get<SuggestionRow>(`SELECT ${SUGGESTION_COLUMNS} FROM kb_suggestions WHERE id = ?${forUpdate}`, [request.id]);
        if (!row) throw new KnowledgeRefusal('not_found', `No suggestion ${request.id}.`);
        const suggestion = suggestionFromRow(row);
        if (suggestion.status !== 'pending') throw new KnowledgeRefusal('conflict', `The suggestion was ${suggestion.status} already.`);
        const ids = { articleId: suggestion.articleId, suggestionId: suggestion.id };

        if (request.decision === 'decline') {
          const declined = await sql().get<SuggestionRow>(
            `UPDATE kb_suggestions SET status = 'declined', decline_reason = ?, decided_at = ?, decided_by_name = ? WHERE id = ? RETURNING ${SUGGESTION_COLUMNS}`,
            [request.reason, now, actor.displayName, request.id],
          );
          await audit(actor, 'suggestion_declined', ids, null, { reason: request.reason }, now);
          return { suggestion: suggestionFromRow(declined!), article: null };
        }

        let article: Article;
        if (suggestion.articleId === null) {
          // A new article a lead accepted is published: the decision was the review.
          article = await insertArticle(actor, { ...suggestion.content, status: 'published' }, now);
          await audit(actor, 'article_created', { articleId: article.id, suggestionId: suggestion.id }, null, audited(article), now);
        } else {
          const before = await readable(actor, suggestion.articleId, true);
          // Accepting an edit written against an older version would silently undo the newer change.
          if (before.version !== suggestion.baseVersion) {
            throw new KnowledgeRefusal(
              'conflict',
              `The article changed since this suggestion was written (version ${String(suggestion.baseVersion)}, now ${String(before.version)}); edit the article by hand or decline.`,
            );
          }
          article = await updateArticle(actor, before, { ...suggestion.content, status: before.status }, now);
          await audit(actor, 'article_updated', ids, audited(before), audited(article), now);
        }
        const accepted = await sql().get<SuggestionRow>(
          `UPDATE kb_suggestions SET status = 'accepted', article_id = ?, base_version = ?, decided_at = ?, decided_by_name = ? WHERE id = ? RETURNING ${SUGGESTION_COLUMNS}`,
          [article.id, suggestion.baseVersion ?? article.version, now, actor.displayName, request.id],
        );
        await audit(actor, 'suggestion_accepted', { articleId: article.id, suggestionId: suggestion.id }, null, { version: article.version }, now);
        return { suggestion: suggestionFromRow(accepted!), article };
      });
    },

    async history(reader, id, limit = MAX_HISTORY_ENTRIES) {
      requireEditor(reader, 'read the history of an article');
      const exists = await sql().get<{ id: string }>('SELECT id FROM kb_articles WHERE id = ?', [id]);
      if (!exists) throw new KnowledgeRefusal('not_found', `No article ${id}.`);
      // kb_audit_by_article (article_id, id) finds the article's rows; id, not at, orders two rows written in one transaction.
      // An article that began as a suggestion for a new one also shows that suggestion, logged before the article had an id.
      const rows = await sql().all<AuditRow>(
        `SELECT id, at, actor_name, action, suggestion_id, before_json, after_json FROM kb_audit WHERE article_id = ?
         UNION ALL
         SELECT id, at, actor_name, action, suggestion_id, before_json, after_json FROM kb_audit
         WHERE article_id IS NULL AND suggestion_id IN (SELECT suggestion_id FROM kb_audit WHERE article_id = ? AND action = 'article_created' AND suggestion_id IS NOT NULL)
         ORDER BY id DESC LIMIT ?`,
        [id, id, Math.min(Math.max(1, Math.trunc(limit)), MAX_HISTORY_ENTRIES)],
      );
      return rows.map(historyEntryFromRow);
    },

    async isPublished(id) {
      const row = await sql().get<{ status: string }>('SELECT status FROM kb_articles WHERE id = ?', [id]);
      return row?.status === 'published';
    },
  };
}

/**
 * The knowledge base (知识库, shared/knowledge.ts): articles (published or draft, a version
 * bumped on every change), agents' suggestions (an edit of an article or a new one, decided
 * by a lead: accepted or declined with a reason), and the audit of every write (who, what,
 * when, before and after). Tags are one JSON column: read and written whole; the workstation
 * searches its own cache, so nothing here is queried by tag.
 */
import type { Migration } from './migration.js';

export const migration019Knowledge: Migration = {
  version: 19,
  name: 'knowledge',
  up(db) {
    db.exec(`
      CREATE TABLE kb_articles (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        category TEXT NOT NULL,
        tags_json TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('published', 'draft')),
        version INTEGER NOT NULL CHECK (version > 0),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by_id TEXT NOT NULL,
        updated_by_name TEXT NOT NULL
      );
      CREATE TABLE kb_suggestions (
        id TEXT PRIMARY KEY,
        article_id TEXT REFERENCES kb_articles (id),
        base_version INTEGER,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        category TEXT NOT NULL,
        tags_json TEXT NOT NULL,
        note TEXT NOT NULL,
        author_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        author_name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined')),
        decline_reason TEXT,
        decided_at INTEGER,
        decided_by_name TEXT,
        CHECK ((article_id IS NULL) = (base_version IS NULL)),
        CHECK ((status = 'declined') = (decline_reason IS NOT NULL)),
        CHECK ((status = 'pending') = (decided_at IS NULL))
      );
      CREATE INDEX kb_suggestions_by_author ON kb_suggestions (author_id, status);
      CREATE INDEX kb_suggestions_by_status ON kb_suggestions (status, created_at);
      CREATE TABLE kb_audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('article_created', 'article_updated', 'suggestion_made', 'suggestion_accepted', 'suggestion_declined')),
        article_id TEXT,
        suggestion_id TEXT,
        before_json TEXT,
        after_json TEXT
      );
      CREATE INDEX kb_audit_by_article ON kb_audit (article_id, id);
    `);
  },
};

/**
 * An article's history (修改记录) for leads and admins: who created, edited, suggested,
 * accepted or declined what and when, and which fields an edit changed — the server's audit
 * (`knowledge.history`), so it needs the connection and says so offline. Collapsed by default
 * (a `<details>`: its summary is a keyboard stop), fetched when opened and again when the
 * article's version changes while open, so a lead's own save shows at once.
 */
import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_HISTORY_ENTRIES, type Article, type KnowledgeHistoryEntry } from '../../../shared/knowledge.js';
import { formatDateTime, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { knowledgeErrorText } from './KnowledgePanel.js';

function entryText(t: Translate, entry: KnowledgeHistoryEntry): string {
  const parts = [t(`kb.history.action.${entry.action}`) + (entry.action === 'article_updated' && entry.suggestionId ? t('kb.history.fromSuggestion') : '')];
  if (entry.version !== null) parts.push(t('kb.history.version', { version: entry.version }));
  if (entry.changed.length > 0) {
    parts.push(t('kb.history.changed', { fields: entry.changed.map((field) => t(`kb.history.field.${field}`)).join(t('kb.history.separator')) }));
  }
  return parts.join(' · ');
}

export function ArticleHistory({ article }: { article: Pick<Article, 'id' | 'title' | 'version'> }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const { language, history, load } = useAppStore(
    useShallow((s) => ({ language: s.language, history: s.knowledgeHistories[article.id], load: s.loadArticleHistory })),
  );

  useEffect(() => {
    if (open) void load(article.id);
  }, [open, article.id, article.version, load]);

  return (
    <details className="kb-history" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary aria-label={t('kb.history.of', { title: article.title })}>{t('kb.history')}</summary>
      {!open ? null : history?.error ? (
        <p className={history.error.code === 'offline' ? 'muted' : 'error'} role={history.error.code === 'offline' ? 'status' : 'alert'}>
          {history.error.code === 'offline' ? t('kb.history.offline') : knowledgeErrorText(t, history.error)}
        </p>
      ) : !history?.entries ? (
        <p className="muted" role="status">
          {t('kb.history.loading')}
        </p>
      ) : history.entries.length === 0 ? (
        <p className="muted">{t('kb.history.empty')}</p>
      ) : (
        <>
          <ol className="kb-history-list" aria-label={t('kb.history.of', { title: article.title })}>
            {history.entries.map((entry, index) => (
              <li key={`${String(entry.at)}-${String(index)}`} className={`kb-history-entry ${entry.action}`}>
                <time className="muted" dateTime={new Date(entry.at).toISOString()}>
                  {formatDateTime(language, entry.at)}
                </time>{' '}
                <strong>{entry.actorName}</strong> {entryText(t, entry)}
              </li>
            ))}
          </ol>
          {history.entries.length >= MAX_HISTORY_ENTRIES ? <p className="muted">{t('kb.history.limit', { count: MAX_HISTORY_ENTRIES })}</p> : null}
        </>
      )}
    </details>
  );
}

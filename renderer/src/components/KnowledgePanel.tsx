/**
 * The knowledge panel beside the composer (知识库): a search over the workstation's cache,
 * filled with the open ticket's words; the results ranked by how many words match; an article
 * to read, insert into the reply (its text, or its title and number) or suggest an edit of.
 * Works offline (the cache); only a suggestion and a lead's view of the article's history need the server.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_ARTICLE_BODY, MAX_ARTICLE_TITLE, MAX_SUGGESTION_NOTE, canEditKnowledge, type Article } from '../../../shared/knowledge.js';
import { formatDateTime, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { knowledgeQueryFor } from '../store/knowledgeSlice.js';
import type { UiError } from '../store/types.js';
import { ArticleHistory } from './ArticleHistory.js';
import { errorText } from './errorText.js';

/** The refusals a knowledge request can meet, in the agent's words; anything else as every error is said. */
export function knowledgeErrorText(t: Translate, error: UiError): string {
  switch (error.code) {
    case 'forbidden':
    case 'not_found':
    case 'conflict':
    case 'rate_limited':
    case 'offline':
      return t(`kb.error.${error.code}`);
    default:
      return errorText(t, error);
  }
}

/** The first lines of an article, for the result list. */
function snippet(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 90 ? `${flat.slice(0, 90)}…` : flat;
}

function SuggestForm({ article, onDone }: { article: Article; onDone: () => void }) {
  const t = useT();
  const id = useId();
  const [title, setTitle] = useState(article.title);
  const [body, setBody] = useState(article.body);
  const [note, setNote] = useState('');
  const { busy, suggest } = useAppStore(useShallow((s) => ({ busy: s.knowledgeBusy, suggest: s.suggestArticle })));

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (await suggest(article.id, { title, body, category: article.category, tags: article.tags }, note)) onDone();
  }

  return (
    <form className="kb-suggest" aria-label={t('kb.suggestTitle', { title: article.title })} onSubmit={(e) => void onSubmit(e)}>
      <h4>{t('kb.suggestTitle', { title: article.title })}</h4>
      <label htmlFor={`${id}-title`}>{t('kb.field.title')}</label>
      <input id={`${id}-title`} value={title} required maxLength={MAX_ARTICLE_TITLE} onChange={(e) => setTitle(e.target.value)} />
      <label htmlFor={`${id}-body`}>{t('kb.field.body')}</label>
      <textarea id={`${id}-body`} value={body} required rows={8} maxLength={MAX_ARTICLE_BODY} onChange={(e) => setBody(e.target.value)} />
      <label htmlFor={`${id}-note`}>{t('kb.note')}</label>
      <input id={`${id}-note`} value={note} maxLength={MAX_SUGGESTION_NOTE} onChange={(e) => setNote(e.target.value)} />
      <div className="kb-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('kb.sending') : t('kb.send')}
        </button>
        <button type="button" onClick={onDone}>
          {t('kb.cancel')}
        </button>
      </div>
    </form>
  );
}

function ArticleView({ article }: { article: Article }) {
  const t = useT();
  const [suggesting, setSuggesting] = useState(false);
  const s = useAppStore(
    useShallow((state) => ({
      language: state.language,
      isAgent: state.user?.role === 'agent',
      seesHistory: state.user ? canEditKnowledge(state.user) : false,
      closeArticle: state.closeArticle,
      insertArticle: state.insertArticle,
    })),
  );
  const insert = (as: 'text' | 'link') => {
    s.insertArticle(article, as);
    // Back to the reply, where the text went: the agent reads it over and sends.
    document.querySelector<HTMLTextAreaElement>('[data-shortcut="reply"]')?.focus();
  };
  return (
    <article className="kb-article" aria-labelledby="kb-article-title">
      <button type="button" className="link-button kb-back" onClick={s.closeArticle}>
        ← {t('kb.back')}
      </button>
      <h4 id="kb-article-title">{article.title}</h4>
      <p className="muted kb-meta">
        {t('kb.meta', {
          category: article.category || t('kb.noCategory'),
          version: article.version,
          name: article.updatedByName,
          date: formatDateTime(s.language, article.updatedAt),
        })}
      </p>
      {article.tags.length > 0 ? (
        <p className="kb-tags">
          {article.tags.map((tag) => (
            <span key={tag} className="kb-tag">
              {tag}
            </span>
          ))}
        </p>
      ) : null}
      <div className="kb-body">{article.body}</div>
      <div className="kb-actions">
        <button type="button" className="primary" title={t('kb.insertTextTitle')} onClick={() => insert('text')}>
          {t('kb.insertText')}
        </button>
        <button type="button" title={t('kb.insertLinkTitle')} onClick={() => insert('link')}>
          {t('kb.insertLink')}
        </button>
        {s.isAgent && !suggesting ? (
          <button type="button" onClick={() => setSuggesting(true)}>
            {t('kb.suggest')}
          </button>
        ) : null}
      </div>
      {suggesting ? <SuggestForm article={article} onDone={() => setSuggesting(false)} /> : null}
      {s.seesHistory ? <ArticleHistory article={article} /> : null}
    </article>
  );
}

/** The panel itself; rendered by the ticket pane in place of its side column while open. */
export function KnowledgePanel() {
  const t = useT();
  const searchRef = useRef<HTMLInputElement>(null);
  const s = useAppStore(
    useShallow((state) => ({
      query: state.knowledgeQuery,
      hits: state.knowledgeHits,
      fetchedAt: state.knowledgeFetchedAt,
      article: state.knowledgeArticle,
      error: state.knowledgeError,
      notice: state.knowledgeNotice,
      setQuery: state.setKnowledgeQuery,
      openArticle: state.openArticle,
      close: state.closeKnowledge,
      dismissNotice: state.dismissKnowledgeNotice,
    })),
  );

  const detail = useAppStore((state) => state.detail);
  const ticketWords = useMemo(() => (detail ? knowledgeQueryFor(detail) : null), [detail]);

  // Opening the panel (button or B) puts the cursor in its search box.
  useEffect(() => {
    searchRef.current?.focus();
  }, []);

  return (
    <aside className="kb-panel" aria-label={t('kb.panel')}>
      <div className="kb-head">
        <h3>{t('kb.panel')}</h3>
        <button type="button" className="link-button" onClick={s.close}>
          {t('kb.close')}
        </button>
      </div>
      <input
        ref={searchRef}
        type="search"
        className="kb-search"
        data-shortcut="knowledgeSearch"
        aria-label={t('kb.search')}
        placeholder={t('kb.searchPlaceholder')}
        value={s.query}
        maxLength={500}
        onChange={(e) => s.setQuery(e.target.value)}
        onKeyDown={(e) => {
          // Enter opens the best match: search, read, insert without the mouse.
          if (e.key === 'Enter' && s.hits[0]) {
            e.preventDefault();
            void s.openArticle(s.hits[0].article.id);
          }
        }}
      />
      {s.notice === 'suggested' ? (
        <p role="status" className="kb-notice">
          {t('kb.suggested')}{' '}
          <button type="button" className="link-button" onClick={s.dismissNotice}>
            {t('kb.dismiss')}
          </button>
        </p>
      ) : null}
      {s.error ? (
        <p role="alert" className="error">
          {knowledgeErrorText(t, s.error)}
        </p>
      ) : null}
      {s.article ? (
        <ArticleView key={s.article.id} article={s.article} />
      ) : (
        <>
          {/* "Filled with the ticket's words" only while they are: once the agent types their own (an article number a customer quoted), it would be untrue. */}
          {s.fetchedAt === null ? <p className="muted kb-hint">{t('kb.notFetched')}</p> : null}
          {s.fetchedAt !== null && ticketWords !== null && s.query === ticketWords ? <p className="muted kb-hint">{t('kb.fromTicket')}</p> : null}
          {s.fetchedAt !== null && s.hits.length === 0 ? <p className="muted">{t('kb.noMatch')}</p> : null}
          <ul className="kb-results" aria-label={t('kb.results')}>
            {s.hits.map(({ article, matched }) => (
              <li key={article.id}>
                <button type="button" className="kb-result" onClick={() => void s.openArticle(article.id)}>
                  <strong>{article.title}</strong>
                  {article.category ? <span className="kb-category">{article.category}</span> : null}
                  <span className="kb-snippet">{snippet(article.body)}</span>
                  {matched.length > 0 ? <span className="kb-matched">{t('kb.matched', { terms: matched.join(' ') })}</span> : null}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}

/**
 * The knowledge base's manage screen (知识库): leads and admins write and publish articles and
 * accept or decline the agents' suggestions (a declined one with the reason the agent sees);
 * agents read the published articles, suggest a new one, and follow their own suggestions.
 * Leads and admins open each article's history (ArticleHistory) under it.
 */
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  MAX_ARTICLE_BODY,
  MAX_ARTICLE_CATEGORY,
  MAX_ARTICLE_TITLE,
  MAX_DECLINE_REASON,
  MAX_SUGGESTION_NOTE,
  diffLines,
  type Article,
  type ArticleStatus,
  type Suggestion,
} from '../../../shared/knowledge.js';
import { formatDateTime } from '../i18n.js';
import { isLeadRole } from '../store/routingSlice.js';
import { useAppStore, useT } from '../store/react.js';
import { ArticleHistory } from './ArticleHistory.js';
import { Dialog } from './Dialog.js';
import { knowledgeErrorText } from './KnowledgePanel.js';

interface Draft {
  id: string | undefined;
  version: number | undefined;
  title: string;
  category: string;
  tags: string;
  body: string;
  status: ArticleStatus;
}

function draftOf(article: Article): Draft {
  return {
    id: article.id,
    version: article.version,
    title: article.title,
    category: article.category,
    tags: article.tags.join(' '),
    body: article.body,
    status: article.status,
  };
}

const EMPTY_DRAFT: Draft = { id: undefined, version: undefined, title: '', category: '', tags: '', body: '', status: 'published' };

function tagsOf(text: string): string[] {
  return text
    .split(/[\s,，、]+/u)
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

/** A lead's article form, or an agent's new-article suggestion (with a note instead of a status). */
function ArticleEditor({ initial, mode, onDone }: { initial: Draft; mode: 'write' | 'suggest'; onDone: () => void }) {
  const t = useT();
  const id = useId();
  const [draft, setDraft] = useState(initial);
  const [note, setNote] = useState('');
  const { busy, error, saveArticle, suggestArticle } = useAppStore(
    useShallow((s) => ({ busy: s.knowledgeBusy, error: s.knowledgeError, saveArticle: s.saveArticle, suggestArticle: s.suggestArticle })),
  );
  const field = (name: 'title' | 'category' | 'tags' | 'body') => ({
    id: `${id}-${name}`,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const content = { title: draft.title, category: draft.category, tags: tagsOf(draft.tags), body: draft.body };
    const ok =
      mode === 'write' ? await saveArticle(draft.id, draft.version, { ...content, status: draft.status }) : await suggestArticle(undefined, content, note);
    if (ok) onDone();
  }

  return (
    <form className="kb-editor" onSubmit={(e) => void onSubmit(e)}>
      <h3>{mode === 'suggest' ? t('kb.suggestNewTitle') : draft.id ? t('kb.edit') : t('kb.new')}</h3>
      <label htmlFor={`${id}-title`}>{t('kb.field.title')}</label>
      <input {...field('title')} required maxLength={MAX_ARTICLE_TITLE} />
      <div className="kb-editor-row">
        <label htmlFor={`${id}-category`}>{t('kb.field.category')}</label>
        <input {...field('category')} maxLength={MAX_ARTICLE_CATEGORY} />
        <label htmlFor={`${id}-tags`}>{t('kb.field.tags')}</label>
        <input {...field('tags')} maxLength={400} />
        {mode === 'write' ? (
          <>
            <label htmlFor={`${id}-status`}>{t('kb.field.status')}</label>
            <select
              id={`${id}-status`}
              value={draft.status}
              onChange={(e) => setDraft({ ...draft, status: e.target.value === 'draft' ? 'draft' : 'published' })}
            >
              <option value="published">{t('kb.status.published')}</option>
              <option value="draft">{t('kb.status.draft')}</option>
            </select>
          </>
        ) : null}
      </div>
      <label htmlFor={`${id}-body`}>{t('kb.field.body')}</label>
      <textarea {...field('body')} rows={10} required maxLength={MAX_ARTICLE_BODY} />
      {mode === 'suggest' ? (
        <>
          <label htmlFor={`${id}-note`}>{t('kb.note')}</label>
          <input id={`${id}-note`} value={note} maxLength={MAX_SUGGESTION_NOTE} onChange={(e) => setNote(e.target.value)} />
        </>
      ) : null}
      {error ? (
        <p className="error" role="alert">
          {knowledgeErrorText(t, error)}
        </p>
      ) : null}
      <div className="kb-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('kb.saving') : mode === 'suggest' ? t('kb.send') : t('kb.save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('kb.cancel')}
        </button>
      </div>
    </form>
  );
}

/** What the suggestion changes in the article as it is now (a new article: all of it), line by line. */
function SuggestedChanges({ suggestion, current }: { suggestion: Suggestion; current: Article | null }) {
  const t = useT();
  const titleChanged = current !== null && current.title !== suggestion.content.title;
  const before = current?.body ?? '';
  const isNew = current === null;
  const lines = useMemo(
    () => diffLines(before, suggestion.content.body).filter((line, index) => !isNew || index > 0 || line.text !== ''),
    [before, isNew, suggestion.content.body],
  );
  return (
    <div className="kb-diff" aria-label={t('kb.suggestion.changes')}>
      {titleChanged ? <p className="kb-diff-title">{t('kb.suggestion.newTitle', { title: suggestion.content.title })}</p> : null}
      {lines.map((line, index) => (
        <div key={index} className={`kb-diff-line ${line.kind}`}>
          <span aria-hidden="true">{line.kind === 'added' ? '+' : line.kind === 'removed' ? '−' : ' '}</span>
          {line.kind === 'same' ? line.text : <span className="visually-hidden-prefix">{t(`kb.suggestion.${line.kind}`)}</span>}
          {line.kind === 'same' ? null : line.text}
        </div>
      ))}
    </div>
  );
}

function SuggestionItem({
  suggestion,
  current,
  titleOf,
  isLead,
}: {
  suggestion: Suggestion;
  current: Article | null;
  titleOf: (id: string) => string | null;
  isLead: boolean;
}) {
  const t = useT();
  const id = useId();
  const [declining, setDeclining] = useState(false);
  const [reason, setReason] = useState('');
  const { language, busy, decide } = useAppStore(useShallow((s) => ({ language: s.language, busy: s.knowledgeBusy, decide: s.decideSuggestion })));
  const heading =
    suggestion.articleId === null
      ? t('kb.suggestion.new', { title: suggestion.content.title })
      : t('kb.suggestion.edit', { title: titleOf(suggestion.articleId) ?? suggestion.content.title });
  const status =
    suggestion.status === 'pending'
      ? t('kb.suggestion.pending')
      : suggestion.status === 'accepted'
        ? t('kb.suggestion.accepted', { name: suggestion.decidedByName ?? '' })
        : t('kb.suggestion.declined', { name: suggestion.decidedByName ?? '', reason: suggestion.declineReason ?? '' });
  return (
    <li className={`kb-suggestion ${suggestion.status}`} aria-label={heading}>
      <div className="kb-suggestion-head">
        <strong>{heading}</strong>
        <span className="muted">{t('kb.suggestion.by', { name: suggestion.authorName, date: formatDateTime(language, suggestion.createdAt) })}</span>
        <span className={`kb-suggestion-status ${suggestion.status}`}>{status}</span>
      </div>
      {suggestion.note ? <p className="kb-suggestion-note">{t('kb.suggestion.note', { note: suggestion.note })}</p> : null}
      {suggestion.status === 'pending' ? (
        <SuggestedChanges suggestion={suggestion} current={current} />
      ) : (
        <details>
          <summary>{t('kb.suggestion.show')}</summary>
          <div className="kb-body">{suggestion.content.body}</div>
        </details>
      )}
      {isLead && suggestion.status === 'pending' ? (
        declining ? (
          <form
            className="kb-decline"
            onSubmit={(e) => {
              e.preventDefault();
              void decide(suggestion.id, { decision: 'decline', reason });
            }}
          >
            <label htmlFor={`${id}-reason`}>{t('kb.declineReason')}</label>
            <input id={`${id}-reason`} value={reason} required maxLength={MAX_DECLINE_REASON} autoFocus onChange={(e) => setReason(e.target.value)} />
            <button type="submit" disabled={busy || reason.trim() === ''}>
              {t('kb.confirmDecline')}
            </button>
            <button type="button" onClick={() => setDeclining(false)}>
              {t('kb.cancel')}
            </button>
          </form>
        ) : (
          <div className="kb-actions">
            <button type="button" className="primary" disabled={busy} onClick={() => void decide(suggestion.id, { decision: 'accept' })}>
              {t('kb.accept')}
            </button>
            <button type="button" disabled={busy} onClick={() => setDeclining(true)}>
              {t('kb.decline')}
            </button>
          </div>
        )
      ) : null}
    </li>
  );
}

export function KnowledgeManager() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      open: state.knowledgeManagerOpen,
      articles: state.knowledgeArticles,
      suggestions: state.knowledgeSuggestions,
      suggestionsError: state.knowledgeSuggestionsError,
      error: state.knowledgeError,
      notice: state.knowledgeNotice,
      isLead: isLeadRole(state.user?.role),
      language: state.language,
      close: state.closeKnowledgeManager,
    })),
  );
  const [tab, setTab] = useState<'articles' | 'suggestions'>('articles');
  const [editing, setEditing] = useState<{ draft: Draft; mode: 'write' | 'suggest' } | null>(null);
  if (!s.open) return null;
  const titleOf = (id: string) => s.articles.find((article) => article.id === id)?.title ?? null;
  const pending = s.suggestions.filter((suggestion) => suggestion.status === 'pending').length;

  return (
    <Dialog
      title={t('kb.managerTitle')}
      description={s.isLead ? t('kb.managerDescriptionLead') : t('kb.managerDescriptionAgent')}
      onClose={s.close}
      className="kb-manager"
    >
      <div className="scripts-tabs" role="tablist">
        {(['articles', 'suggestions'] as const).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            onClick={() => {
              setTab(name);
              setEditing(null);
            }}
          >
            {name === 'articles' ? t('kb.tab.articles') : s.isLead ? t('kb.tab.suggestions') : t('kb.tab.mySuggestions')}
            {name === 'suggestions' && pending > 0 ? ` (${String(pending)})` : ''}
          </button>
        ))}
      </div>
      {editing ? (
        <ArticleEditor key={editing.draft.id ?? 'new'} initial={editing.draft} mode={editing.mode} onDone={() => setEditing(null)} />
      ) : tab === 'articles' ? (
        <div role="tabpanel" className="kb-list">
          <button type="button" className="primary" onClick={() => setEditing({ draft: EMPTY_DRAFT, mode: s.isLead ? 'write' : 'suggest' })}>
            {s.isLead ? t('kb.new') : t('kb.suggestNew')}
          </button>
          {s.notice === 'suggested' ? (
            <p role="status" className="kb-notice">
              {t('kb.suggested')}
            </p>
          ) : null}
          {s.error ? (
            <p className="error" role="alert">
              {knowledgeErrorText(t, s.error)}
            </p>
          ) : null}
          {s.articles.length === 0 ? <p className="muted">{t('kb.empty')}</p> : null}
          <ul>
            {s.articles.map((article) => (
              <li key={article.id} className="kb-item">
                <div className="kb-item-head">
                  <strong>{article.title}</strong>
                  <span className={`kb-status ${article.status}`}>{t(`kb.status.${article.status}`)}</span>
                  {article.category ? <span className="kb-category">{article.category}</span> : null}
                  <span className="muted">
                    {t('kb.metaShort', {
                      id: article.id,
                      version: article.version,
                      name: article.updatedByName,
                      date: formatDateTime(s.language, article.updatedAt),
                    })}
                  </span>
                </div>
                <p className="kb-item-body">{article.body}</p>
                {s.isLead ? (
                  <div className="kb-actions">
                    <button
                      type="button"
                      aria-label={`${t('kb.edit')} ${article.title}`}
                      onClick={() => setEditing({ draft: draftOf(article), mode: 'write' })}
                    >
                      {t('kb.edit')}
                    </button>
                  </div>
                ) : null}
                {s.isLead ? <ArticleHistory article={article} /> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <div role="tabpanel" className="kb-list">
          {s.error ? (
            <p className="error" role="alert">
              {knowledgeErrorText(t, s.error)}
            </p>
          ) : null}
          {s.suggestionsError ? <p className="muted">{t('kb.suggestionsOffline')}</p> : null}
          {!s.suggestionsError && s.suggestions.length === 0 ? <p className="muted">{t('kb.noSuggestions')}</p> : null}
          <ul>
            {s.suggestions.map((suggestion) => (
              <SuggestionItem
                key={suggestion.id}
                suggestion={suggestion}
                current={suggestion.articleId === null ? null : (s.articles.find((article) => article.id === suggestion.articleId) ?? null)}
                titleOf={titleOf}
                isLead={s.isLead}
              />
            ))}
          </ul>
        </div>
      )}
      <div className="scripts-footer">
        <button type="button" onClick={s.close}>
          {t('kb.close')}
        </button>
      </div>
    </Dialog>
  );
}

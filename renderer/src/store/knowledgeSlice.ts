/**
 * The knowledge base (知识库) in the window: the side panel beside the composer (search the
 * core's cache, pre-filled with the open ticket's words; read an article; insert its text or
 * its reference into the reply; suggest an edit) and the manage screen (leads write articles
 * and decide suggestions; agents follow their own suggestions). The core's `knowledge` event
 * (its cache was refreshed) re-runs the search and re-reads the open article, so a lead's
 * accepted edit shows without a reload; `knowledgeSuggestions` reloads the suggestions.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import {
  articleReference,
  ticketWordsOf,
  type Article,
  type ArticleContent,
  type ArticleInput,
  type KnowledgeHistoryEntry,
  type KnowledgeHit,
  type Suggestion,
} from '../../../shared/knowledge.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** An article's history as the window last asked for it (leads and admins; the server's audit, never cached). */
export interface ArticleHistoryState {
  /** Null until the first answer. */
  entries: KnowledgeHistoryEntry[] | null;
  error: UiError | null;
  loading: boolean;
}

export interface KnowledgeSlice {
  /** The side panel beside the composer is open. */
  knowledgeOpen: boolean;
  knowledgeQuery: string;
  /** The ticket whose words filled the query (a new ticket fills it again). */
  knowledgeQueryTicketId: string | null;
  knowledgeHits: KnowledgeHit[];
  /** When the cached articles were fetched; null before the first fetch. */
  knowledgeFetchedAt: number | null;
  /** The article read in the panel. */
  knowledgeArticle: Article | null;
  knowledgeBusy: boolean;
  knowledgeError: UiError | null;
  /** Said after a suggestion went to the leads. */
  knowledgeNotice: 'suggested' | null;
  /** The manage screen (知识库管理). */
  knowledgeManagerOpen: boolean;
  knowledgeArticles: Article[];
  knowledgeSuggestions: Suggestion[];
  /** The suggestions could not be loaded (offline): say so rather than show an empty list. */
  knowledgeSuggestionsError: UiError | null;
  /** Articles' histories by article id, for the History sections a lead opened. */
  knowledgeHistories: Record<string, ArticleHistoryState>;

  toggleKnowledge: () => void;
  closeKnowledge: () => void;
  /** Fills the query with the open ticket's words (subject, last customer message) and searches. */
  prefillKnowledge: () => void;
  setKnowledgeQuery: (query: string) => void;
  searchKnowledge: () => Promise<void>;
  openArticle: (id: string) => Promise<void>;
  closeArticle: () => void;
  /** Appends the article's body (or its title-and-number reference) to the open ticket's reply draft. */
  insertArticle: (article: Article, as: 'text' | 'link') => void;
  /** An edit of an article (articleId) or a new one; true when the server took it. */
  suggestArticle: (articleId: string | undefined, content: ArticleContent, note: string) => Promise<boolean>;
  dismissKnowledgeNotice: () => void;
  openKnowledgeManager: () => void;
  closeKnowledgeManager: () => void;
  loadKnowledgeManager: () => Promise<void>;
  loadKnowledgeSuggestions: () => Promise<void>;
  saveArticle: (id: string | undefined, expectedVersion: number | undefined, article: ArticleInput) => Promise<boolean>;
  decideSuggestion: (id: string, decision: { decision: 'accept' } | { decision: 'decline'; reason: string }) => Promise<boolean>;
  /** Asks the server for an article's history (needs the connection: offline is said, not an empty list). */
  loadArticleHistory: (id: string) => Promise<void>;
  /** The core refreshed its cache: search again, read the open article again, reload the manage screen's list. */
  onKnowledgeRefreshed: (fetchedAt: number | null) => void;
}

type KnowledgeState = Omit<
  KnowledgeSlice,
  { [K in keyof KnowledgeSlice]: KnowledgeSlice[K] extends (...args: never[]) => unknown ? K : never }[keyof KnowledgeSlice]
>;

/** The knowledge state with nobody signed in. */
export function knowledgeSignedOut(): KnowledgeState {
  return {
    knowledgeOpen: false,
    knowledgeQuery: '',
    knowledgeQueryTicketId: null,
    knowledgeHits: [],
    knowledgeFetchedAt: null,
    knowledgeArticle: null,
    knowledgeBusy: false,
    knowledgeError: null,
    knowledgeNotice: null,
    knowledgeManagerOpen: false,
    knowledgeArticles: [],
    knowledgeSuggestions: [],
    knowledgeSuggestionsError: null,
    knowledgeHistories: {},
  };
}

/** The words a ticket is about: its subject and the customer's last message. */
export function knowledgeQueryFor(detail: TicketDetail): string {
  const lastInbound = [...detail.messages].reverse().find((message) => message.direction === 'inbound');
  return ticketWordsOf([detail.ticket.subject, lastInbound?.text ?? '']).join(' ');
}

export function createKnowledgeSlice(api: WorkstationApi): StateCreator<AppState, [], [], KnowledgeSlice> {
  return (set, get) => {
    /** Only the newest search may answer: typing fast starts several. */
    let searchRun = 0;
    /** Per article, only the newest history request may answer (a save while it is open asks again). */
    const historyRuns = new Map<string, number>();

    function setHistory(id: string, next: ArticleHistoryState): void {
      set({ knowledgeHistories: { ...get().knowledgeHistories, [id]: next } });
    }

    return {
      ...knowledgeSignedOut(),

      toggleKnowledge() {
        if (get().knowledgeOpen) {
          get().closeKnowledge();
          return;
        }
        set({ knowledgeOpen: true, knowledgeError: null });
        get().prefillKnowledge();
      },

      closeKnowledge() {
        set({ knowledgeOpen: false, knowledgeArticle: null, knowledgeNotice: null });
      },

      prefillKnowledge() {
        const { detail, openTicketId, knowledgeQueryTicketId } = get();
        if (detail && detail.ticket.id === openTicketId && knowledgeQueryTicketId !== openTicketId) {
          set({ knowledgeQuery: knowledgeQueryFor(detail), knowledgeQueryTicketId: openTicketId, knowledgeArticle: null, knowledgeNotice: null });
        }
        void get().searchKnowledge();
      },

      setKnowledgeQuery(query) {
        set({ knowledgeQuery: query });
        void get().searchKnowledge();
      },

      async searchKnowledge() {
        if (!get().user) return;
        const run = ++searchRun;
        try {
          const { hits, fetchedAt } = await api.invoke('knowledge.search', { query: get().knowledgeQuery.slice(0, 500), limit: 20 });
          if (run === searchRun && get().user) set({ knowledgeHits: hits, knowledgeFetchedAt: fetchedAt, knowledgeError: null });
        } catch (error) {
          if (run === searchRun) set({ knowledgeError: toUiError(error) });
        }
      },

      async openArticle(id) {
        try {
          const { article } = await api.invoke('knowledge.get', { id });
          set({ knowledgeArticle: article, knowledgeError: null, knowledgeNotice: null });
        } catch (error) {
          set({ knowledgeError: toUiError(error) });
        }
      },

      closeArticle() {
        set({ knowledgeArticle: null, knowledgeNotice: null });
      },

      insertArticle(article, as) {
        const { openTicketId, language } = get();
        if (!openTicketId) return;
        const text = as === 'text' ? article.body : articleReference(article, language === 'en' ? 'en' : 'zh');
        const draft = get().replyDrafts[openTicketId] ?? '';
        get().setReplyDraft(draft.trim() === '' ? text : `${draft.replace(/\s+$/, '')}\n${text}`);
      },

      async suggestArticle(articleId, content, note) {
        set({ knowledgeBusy: true, knowledgeError: null, knowledgeNotice: null });
        try {
          await api.invoke('knowledge.suggest', articleId === undefined ? { content, note } : { articleId, content, note });
          set({ knowledgeBusy: false, knowledgeNotice: 'suggested' });
          if (get().knowledgeManagerOpen) void get().loadKnowledgeSuggestions();
          return true;
        } catch (error) {
          set({ knowledgeBusy: false, knowledgeError: toUiError(error) });
          return false;
        }
      },

      dismissKnowledgeNotice() {
        set({ knowledgeNotice: null });
      },

      openKnowledgeManager() {
        set({ knowledgeManagerOpen: true, knowledgeError: null, knowledgeNotice: null });
        void get().loadKnowledgeManager();
      },

      closeKnowledgeManager() {
        set({ knowledgeManagerOpen: false, knowledgeError: null, knowledgeNotice: null });
      },

      async loadKnowledgeManager() {
        try {
          const { articles, fetchedAt } = await api.invoke('knowledge.list', {});
          set({ knowledgeArticles: articles, knowledgeFetchedAt: fetchedAt });
        } catch (error) {
          set({ knowledgeError: toUiError(error) });
        }
        await get().loadKnowledgeSuggestions();
      },

      async loadArticleHistory(id) {
        const run = (historyRuns.get(id) ?? 0) + 1;
        historyRuns.set(id, run);
        const previous = get().knowledgeHistories[id];
        setHistory(id, { entries: previous?.entries ?? null, error: null, loading: true });
        try {
          const { entries } = await api.invoke('knowledge.history', { id });
          if (historyRuns.get(id) === run) setHistory(id, { entries, error: null, loading: false });
        } catch (error) {
          if (historyRuns.get(id) === run) setHistory(id, { entries: null, error: toUiError(error), loading: false });
        }
      },

      async loadKnowledgeSuggestions() {
        try {
          const { suggestions } = await api.invoke('knowledge.suggestions', {});
          set({ knowledgeSuggestions: suggestions, knowledgeSuggestionsError: null });
        } catch (error) {
          set({ knowledgeSuggestionsError: toUiError(error) });
        }
      },

      async saveArticle(id, expectedVersion, article) {
        set({ knowledgeBusy: true, knowledgeError: null });
        try {
          await api.invoke('knowledge.save', {
            ...(id !== undefined ? { id } : {}),
            ...(expectedVersion !== undefined ? { expectedVersion } : {}),
            article,
          });
          set({ knowledgeBusy: false });
          await get().loadKnowledgeManager();
          return true;
        } catch (error) {
          set({ knowledgeBusy: false, knowledgeError: toUiError(error) });
          return false;
        }
      },

      async decideSuggestion(id, decision) {
        set({ knowledgeBusy: true, knowledgeError: null });
        try {
          await api.invoke('knowledge.decide', { id, ...decision });
          set({ knowledgeBusy: false });
          await get().loadKnowledgeManager();
          return true;
        } catch (error) {
          set({ knowledgeBusy: false, knowledgeError: toUiError(error) });
          return false;
        }
      },

      onKnowledgeRefreshed(fetchedAt) {
        set({ knowledgeFetchedAt: fetchedAt });
        const { knowledgeOpen, knowledgeArticle, knowledgeManagerOpen } = get();
        if (knowledgeOpen) void get().searchKnowledge();
        if (knowledgeArticle) {
          // Read again quietly: a notice or form in the panel stays; an article gone from the cache closes.
          api.invoke('knowledge.get', { id: knowledgeArticle.id }).then(
            ({ article }) => {
              if (get().knowledgeArticle?.id === article.id) set({ knowledgeArticle: article });
            },
            () => set({ knowledgeArticle: null }),
          );
        }
        if (knowledgeManagerOpen) void get().loadKnowledgeManager();
      },
    };
  };
}

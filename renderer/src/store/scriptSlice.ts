/**
 * The scripts libraries (话术库) in the window: what the core has cached (the `/` picker
 * reads it, online or not; the `scripts` event brings each refresh), inserting a script into
 * the reply draft with its variables filled from the open ticket, its customer and the agent,
 * and the manage screen's writes (which need the server).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { ScriptLibrary, TicketDetail, WorkstationApi } from '../../../shared/rpc.js';
import { fillScript, scriptTextFor, type Script, type ScriptInput, type ScriptValues } from '../../../shared/scripts.js';
import type { User } from '../../../shared/domain.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

export interface ScriptSlice {
  scripts: Script[];
  /** When the cached libraries were fetched; null before the first fetch. */
  scriptsFetchedAt: number | null;
  /** The manage screen (话术管理) is open. */
  scriptsManagerOpen: boolean;
  savingScript: boolean;
  scriptError: UiError | null;
  applyScripts: (library: ScriptLibrary) => void;
  loadScripts: () => Promise<void>;
  /**
   * Puts a script into the open ticket's reply draft in place of [from, to) (the `/query`
   * typed), its channel's variant, variables filled; returns where the text went and where
   * its unfilled placeholders are, so the composer can select the first one.
   */
  insertScript: (script: Script, from: number, to: number) => { text: string; start: number; end: number } | null;
  openScriptsManager: () => void;
  closeScriptsManager: () => void;
  /** Creates (no id) or replaces a script; true when the server took it. */
  saveScript: (id: string | undefined, script: ScriptInput) => Promise<boolean>;
  deleteScript: (id: string) => Promise<boolean>;
}

/** The scripts state with nobody signed in. */
export function scriptsSignedOut(): Pick<ScriptSlice, 'scripts' | 'scriptsFetchedAt' | 'scriptsManagerOpen' | 'savingScript' | 'scriptError'> {
  return { scripts: [], scriptsFetchedAt: null, scriptsManagerOpen: false, savingScript: false, scriptError: null };
}

/** What a script's variables are filled with: the ticket, its customer and the agent; unknown ones stay placeholders. */
export function scriptValuesFor(detail: TicketDetail | null, user: User | null, now: number | null): ScriptValues {
  return {
    'customer.name': detail?.customer.name ?? null,
    'customer.id': detail?.customer.id ?? null,
    'customer.vipTier': detail ? String(detail.customer.vipTier) : null,
    'ticket.id': detail?.ticket.id ?? null,
    'ticket.subject': detail?.ticket.subject ?? null,
    'ticket.createdAt': detail?.ticket.createdAt ?? null,
    'ticket.dueAt': detail?.ticket.dueAt ?? null,
    'agent.name': user?.displayName ?? null,
    'agent.id': user?.id ?? null,
    'agent.extension': user?.extension ?? null,
    now,
  };
}

/**
 * The picker's matches for what was typed after `/`: keyword, title, category, body or any
 * variant containing it (case-insensitive; two Chinese characters are enough). The keyword
 * matches first, then the title; scripts in the UI language before the others.
 */
export function searchScripts(scripts: readonly Script[], query: string, language: 'zh' | 'en'): Script[] {
  const q = query.trim().toLowerCase();
  const rank = (script: Script): number => {
    const keyword = script.keyword.toLowerCase();
    const title = script.title.toLowerCase();
    let score: number;
    if (q === '') score = 3;
    else if (keyword.startsWith(q)) score = 0;
    else if (title.includes(q) || keyword.includes(q)) score = 1;
    else {
      const { phone, email, chat } = script.variants;
      const rest = [script.category, script.body, phone?.text, email?.subject, email?.body, chat?.text].filter((v) => v !== undefined);
      score = rest.some((text) => text.toLowerCase().includes(q)) ? 2 : -1;
    }
    return score < 0 ? -1 : score * 2 + (script.language === language ? 0 : 1);
  };
  return scripts
    .map((script) => ({ script, score: rank(script) }))
    .filter((entry) => entry.score >= 0)
    .sort((a, b) => a.score - b.score || a.script.title.localeCompare(b.script.title))
    .map((entry) => entry.script);
}

export function createScriptSlice(api: WorkstationApi, now: () => number = Date.now): StateCreator<AppState, [], [], ScriptSlice> {
  return (set, get) => ({
    ...scriptsSignedOut(),

    applyScripts(library) {
      set({ scripts: library.scripts, scriptsFetchedAt: library.fetchedAt });
    },

    async loadScripts() {
      if (!get().user) return;
      try {
        const library = await api.invoke('scripts.list', {});
        if (get().user) get().applyScripts(library);
      } catch {
        // The next refresh (connect or change) brings them.
      }
    },

    insertScript(script, from, to) {
      const { detail, openTicketId, user, language, orgTimeZone } = get();
      if (!detail || !openTicketId || detail.ticket.id !== openTicketId) return null;
      const { text: template, subject } = scriptTextFor(script, detail.ticket.channel);
      const values = scriptValuesFor(detail, user, now());
      const filled = fillScript(template, values, language === 'en' ? 'en' : 'zh-CN', orgTimeZone);
      // An email template brings its subject, its variables filled like the body's (issue 12).
      if (subject !== null) get().setReplySubject(fillScript(subject, values, language === 'en' ? 'en' : 'zh-CN', orgTimeZone).text);
      const draft = get().replyDrafts[openTicketId] ?? '';
      const start = Math.max(0, Math.min(from, draft.length));
      const end = Math.max(start, Math.min(to, draft.length));
      const next = draft.slice(0, start) + filled.text + draft.slice(end);
      get().setReplyDraft(next);
      return { text: next, start, end: start + filled.text.length };
    },

    openScriptsManager() {
      set({ scriptsManagerOpen: true, scriptError: null });
      void get().loadScripts();
    },

    closeScriptsManager() {
      set({ scriptsManagerOpen: false, scriptError: null });
    },

    async saveScript(id, script) {
      set({ savingScript: true, scriptError: null });
      try {
        await api.invoke('scripts.save', id === undefined ? { script } : { id, script });
        await get().loadScripts();
        set({ savingScript: false });
        return true;
      } catch (error) {
        set({ savingScript: false, scriptError: toUiError(error) });
        return false;
      }
    },

    async deleteScript(id) {
      set({ savingScript: true, scriptError: null });
      try {
        await api.invoke('scripts.delete', { id });
        await get().loadScripts();
        set({ savingScript: false });
        return true;
      } catch (error) {
        set({ savingScript: false, scriptError: toUiError(error) });
        return false;
      }
    },
  });
}

import type { StateCreator } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { DEFAULT_ORG_TIME_ZONE } from '../../../shared/timeZone.js';
import { currentOrgTimeZone, setOrgTimeZone } from '../i18n.js';
import { toUiError } from './errors.js';
import { INBOX_SIGNED_OUT } from './inboxSlice.js';
import { PII_SIGNED_OUT } from './piiSlice.js';
import { reportsSignedOut } from './reportSlice.js';
import { adminSignedOut } from './adminSlice.js';
import { boardSignedOut } from './boardSlice.js';
import { scriptsSignedOut } from './scriptSlice.js';
import { knowledgeSignedOut } from './knowledgeSlice.js';
import { ROUTING_SIGNED_OUT } from './routingSlice.js';
import type { AppState, SessionSlice } from './types.js';

export function createSessionSlice(api: WorkstationApi): StateCreator<AppState, [], [], SessionSlice> {
  return (set, get) => ({
    user: null,
    sessionChecked: false,
    signingIn: false,
    signInError: null,
    cacheReset: null,
    orgTimeZone: DEFAULT_ORG_TIME_ZONE,

    applyOrgTimeZone(timeZone) {
      // The formatters first, so the render this set causes shows the new zone.
      const before = get().orgTimeZone;
      setOrgTimeZone(timeZone);
      if (currentOrgTimeZone() === before) return;
      set({ orgTimeZone: currentOrgTimeZone() });
      get().followOrgTimeZone(before);
    },

    async loadSession() {
      try {
        const session = await api.invoke('session.get', {});
        get().applyOrgTimeZone(session.timeZone);
        set({ user: session.user, sessionChecked: true, cacheReset: session.cacheReset });
        get().applyConnection(session.connection);
        if (session.user) void get().loadInbox();
      } catch (error) {
        set({ sessionChecked: true, signInError: toUiError(error) });
      }
    },

    async signIn(username, password) {
      if (get().signingIn) return false;
      set({ signingIn: true, signInError: null });
      try {
        const session = await api.invoke('session.signIn', { username, password });
        get().applyOrgTimeZone(session.timeZone);
        set({ user: session.user, signingIn: false, sessionChecked: true, cacheReset: session.cacheReset });
        get().applyConnection(session.connection);
        void get().loadInbox();
        return true;
      } catch (error) {
        set({ signingIn: false, signInError: toUiError(error) });
        return false;
      }
    },

    async signOut() {
      try {
        const session = await api.invoke('session.signOut', {});
        get().applyConnection(session.connection);
      } finally {
        resetSignedOut(set, get().serverNow());
      }
    },

    dismissCacheReset() {
      set({ cacheReset: null });
    },
  });
}

/** What the store looks like with nobody signed in; drafts go with the user. `serverNow`: the server's time (the reports' today). */
export function resetSignedOut(set: (partial: Partial<AppState>) => void, serverNow: number): void {
  set({
    user: null,
    signInError: null,
    cacheReset: null,
    ...INBOX_SIGNED_OUT,
    openTicketId: null,
    detail: null,
    ticketError: null,
    actionError: null,
    replyDrafts: {},
    replyVia: {},
    replySubjects: {},
    replyFiles: {},
    noteDrafts: {},
    retryActions: {},
    attentionOpen: false,
    attentionItems: [],
    attentionTotal: 0,
    attentionNext: null,
    attentionError: null,
    ...ROUTING_SIGNED_OUT,
    // Revealed personal data never outlives the session.
    ...PII_SIGNED_OUT,
    ...reportsSignedOut(serverNow),
    ...adminSignedOut(),
    ...boardSignedOut(),
    ...scriptsSignedOut(),
    ...knowledgeSignedOut(),
  });
}

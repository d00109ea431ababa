/**
 * The renderer's one store, built from typed slices, and its wiring to the core's events.
 * Vanilla (no React) so it can be created and driven outside components.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { applyDocumentLanguage } from '../i18n.js';
import { createAttentionSlice } from './attentionSlice.js';
import { createCallSlice } from './callSlice.js';
import { createChatSlice } from './chatSlice.js';
import { createCollisionSlice } from './collisionSlice.js';
import { createAttachmentSlice } from './attachmentSlice.js';
import { createConnectionSlice } from './connectionSlice.js';
import { createCustomerSlice, csatNotesOf, customerMatchKey, historyAccessChanged, reloadCustomerWhenBackOnline } from './customerSlice.js';
import { createFieldsSlice } from './fieldsSlice.js';
import { createManualSlice } from './manualSlice.js';
import { createInboxSlice } from './inboxSlice.js';
import { createPiiSlice, reloadPiiAuditWhenBackOnline } from './piiSlice.js';
import { createQueueSlice, reloadQueueWhenBackOnline } from './queueSlice.js';
import { createReportSlice, reloadReportWhenBackOnline } from './reportSlice.js';
import { createAdminSlice, reloadAdminWhenBackOnline } from './adminSlice.js';
import { createBoardSlice, reloadBoardChartsWhenBackOnline } from './boardSlice.js';
import { createScriptSlice } from './scriptSlice.js';
import { createKnowledgeSlice } from './knowledgeSlice.js';
import { alarmsSignedOut, createAlarmSlice } from './alarmSlice.js';
import { createNotificationSlice } from './notificationSlice.js';
import {
  bridgeDesktopNotifier,
  browserDesktopNotifier,
  createDesktopNotifications,
  documentHasFocus,
  pageSound,
  type DesktopNotifier,
  type SoundPlayer,
} from './notifications.js';
import { createRoutingSlice, reloadRoutingWhenBackOnline } from './routingSlice.js';
import { createSessionSlice } from './sessionSlice.js';
import { createTicketSlice } from './ticketSlice.js';
import type { AppState } from './types.js';
import { createUiSlice } from './uiSlice.js';

export type AppStore = StoreApi<AppState>;

export function createAppStore(api: WorkstationApi): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createSessionSlice(api)(...a),
    ...createConnectionSlice(api)(...a),
    ...createInboxSlice(api)(...a),
    ...createTicketSlice(api)(...a),
    ...createUiSlice()(...a),
    ...createAttentionSlice(api)(...a),
    ...createRoutingSlice(api)(...a),
    ...createChatSlice(api)(...a),
    ...createCollisionSlice(api)(...a),
    ...createAttachmentSlice(api)(...a),
    ...createCustomerSlice(api)(...a),
    ...createCallSlice(api)(...a),
    ...createPiiSlice(api)(...a),
    ...createQueueSlice(api)(...a),
    ...createReportSlice(api)(...a),
    ...createAdminSlice(api)(...a),
    ...createBoardSlice(api)(...a),
    ...createScriptSlice(api)(...a),
    ...createKnowledgeSlice(api)(...a),
    ...createFieldsSlice(api)(...a),
    ...createManualSlice(api)(...a),
    ...createAlarmSlice(api)(...a),
    ...createNotificationSlice(api)(...a),
  }));
}

/**
 * Runs `task` now, or once more after the current run when called during one, so a burst
 * of `changed` events (a bootstrap delivers hundreds) costs at most two reloads.
 */
function coalesce(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}

/** What one slice asks the server for again when the connection comes back (its own condition inside). */
export type BackOnlineReload = (state: AppState) => void;

/**
 * The one "came back online" subscription: when the connection turns `online` from anything
 * else, each slice's reload runs, in order, with the new state. A connection change arrives
 * in a `set` of its own (connectionSlice's `applyConnection`), so the slices' other
 * subscriptions (a customer or user change) never fire in the same update. Returns the unsubscribe function.
 */
export function onBackOnline(store: AppStore, reloads: readonly BackOnlineReload[]): () => void {
  return store.subscribe((state, previous) => {
    if (state.connection.status !== 'online' || previous.connection.status === 'online') return;
    for (const reload of reloads) reload(state);
  });
}

/**
 * Moments when reaching the server is worth trying at once rather than at the end of the
 * core's backoff: the window regains focus, the page becomes visible, the network returns.
 */
export interface WakeSignals {
  /** Calls `onWake` at each such moment; returns the unsubscribe function. */
  subscribe: (onWake: () => void) => () => void;
}

/** The browser's wake signals: `focus` and `online` on the window, `visibilitychange` to visible. */
export function browserWakeSignals(): WakeSignals | null {
  if (typeof window === 'undefined' || typeof document === 'undefined') return null;
  return {
    subscribe(onWake) {
      const onVisible = () => {
        if (document.visibilityState === 'visible') onWake();
      };
      window.addEventListener('focus', onWake);
      window.addEventListener('online', onWake);
      document.addEventListener('visibilitychange', onVisible);
      return () => {
        window.removeEventListener('focus', onWake);
        window.removeEventListener('online', onWake);
        document.removeEventListener('visibilitychange', onVisible);
      };
    },
  };
}

export interface StoreOptions {
  /** Defaults to the browser's (none outside a browser). */
  wake?: WakeSignals | null;
  /**
   * Where desktop notifications go (offers, customer messages, SLA, alarms); defaults to the
   * desktop app's bridge when the API has one, else the browser's Notification API (none outside a browser).
   */
  notifier?: DesktopNotifier | null;
  /** Notification sounds; defaults to Web Audio tones (none outside a browser). */
  sound?: SoundPlayer | null;
  /** Whether the window has the focus; defaults to `document.hasFocus()`. */
  isWindowFocused?: () => boolean;
}

export interface InitializedStore {
  store: AppStore;
  /** Stops listening to the core's events. */
  dispose: () => void;
}

/** Creates the store, subscribes it to the core's events and asks the core for the session. */
export function initStore(api: WorkstationApi, options: StoreOptions = {}): InitializedStore {
  const store = createAppStore(api);
  const wake = options.wake === undefined ? browserWakeSignals() : options.wake;
  const refreshInbox = coalesce(() => store.getState().loadInbox());
  const refreshTicket = coalesce(() => store.getState().reloadTicket());
  const refreshAudit = coalesce(() => store.getState().loadAudit());
  const defaultNotifier = () => (api.notifications ? bridgeDesktopNotifier(api.notifications) : browserDesktopNotifier());
  const notifications = createDesktopNotifications({
    notifier: options.notifier === undefined ? defaultNotifier() : options.notifier,
    sound: options.sound === undefined ? pageSound() : options.sound,
    isWindowFocused: options.isWindowFocused ?? documentHasFocus,
    targets: {
      showOffer: (ticketId) => store.getState().showOffer(ticketId),
      openTicket: (ticketId) => {
        store.getState().setView('inbox');
        void store.getState().openTicket(ticketId);
      },
      openAlarm: (alarm) => store.getState().openAlarm(alarm),
      openAlerts: () => store.getState().setView('alerts'),
    },
  });

  const unsubscribers = [
    // A transfer awaiting the server settles when the ticket, as loaded after a change, shows the server has it.
    store.subscribe((state, previous) => {
      if (state.lastTransfer?.awaiting && (state.detail !== previous.detail || state.ticketError !== previous.ticketError)) state.settleTransfer();
    }),
    // Routing: presence, offers and (for leads) the team board are pushed by the core.
    api.on('presence', (presence) => {
      if (store.getState().user) store.getState().applyPresence(presence);
    }),
    api.on('offers', ({ offers }) => {
      if (store.getState().user) store.getState().applyOffers(offers);
    }),
    api.on('agents', ({ agents }) => {
      if (store.getState().user) store.getState().applyAgents(agents);
    }),
    // Signing in (or a restored session) loads presence, offers and the team; opening a ticket loads its routing history.
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadRouting();
      if (state.openTicketId !== previous.openTicketId) void state.loadAudit();
    }),
    // "Possibly the same customer": asked of the server when the open ticket's customer (or what is known of them) changes (and on coming back online: onBackOnline).
    store.subscribe((state, previous) => {
      const customer = state.detail?.customer;
      if (!state.user || !customer) return;
      const before = previous.detail?.customer;
      if (!before || customerMatchKey(customer) !== customerMatchKey(before)) void state.loadCustomerMatches(customer.id);
      // The whole history: for each customer opened, after a merge (again on coming back online: onBackOnline), and when a
      // satisfaction answer lands on the open ticket (its CSAT note), so the panel shows the new score.
      const csatAnswered = before?.id === customer.id && csatNotesOf(state.detail) > csatNotesOf(previous.detail);
      // Taking the ticket (or being offered it, or losing it) changes whether the server shows this customer's history to this agent.
      if (!before || before.id !== customer.id || state.mergeNotice !== previous.mergeNotice || csatAnswered || historyAccessChanged(state, previous)) {
        void state.loadCustomerHistory(customer.id);
      }
    }),
    // Collision: the server's roster of the open ticket; this window's own presence, typing and the reply's starting point.
    api.on('ticketPresence', (event) => {
      if (store.getState().user) store.getState().applyTicketPresence(event);
    }),
    store.subscribe((state, previous) => {
      if (!state.user) return;
      const open = state.openTicketId;
      if (open !== previous.openTicketId || state.user !== previous.user) void state.showTicketPresence(open);
      if (!open) return;
      const draft = (state.replyDrafts[open] ?? '').trim();
      const draftBefore = open === previous.openTicketId ? (previous.replyDrafts[open] ?? '').trim() : '';
      if (draft !== draftBefore) state.noteReplyTyping(open, draft.length > 0);
      // The reply starts when its first character is typed, or when the ticket opens with a draft already there.
      const detail = state.detail?.ticket.id === open ? state.detail : null;
      if (detail && draft.length > 0 && (state.composerBaseline === null || state.composerBaseline.ticketId !== open)) state.markComposerBaseline(detail);
      if (draft.length === 0 && state.composerBaseline !== null && state.replyChangeWarning === null) store.setState({ composerBaseline: null });
    }),
    // Web chat: the visitor typing and how far they have read (ephemeral, never cached).
    api.on('chatTyping', (event) => {
      if (store.getState().user) store.getState().applyChatTyping(event);
    }),
    api.on('chatRead', (mark) => {
      if (store.getState().user) store.getState().applyChatRead(mark);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadChatState();
      // Writing a reply tells a web chat visitor the agent is typing; the slice paces it.
      const open = state.openTicketId;
      if (state.user && open && (state.replyDrafts[open] ?? '') !== (previous.replyDrafts[open] ?? '')) {
        state.noteAgentTyping(open, (state.replyDrafts[open] ?? '').trim().length > 0);
      }
    }),
    // The queue view: the summary is pushed; the list is fetched when shown, and again on coming back online (onBackOnline).
    api.on('queueSummary', (summary) => {
      if (store.getState().user) store.getState().applyQueueSummary(summary);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadQueueSummary();
      if (!state.user && previous.user)
        store.setState({ inboxMode: 'mine', queueRows: [], queueNext: null, queueLoaded: false, queueSummary: { at: null, entries: [] } });
    }),
    // Leads' channel board: pushed by the server through the core; signing in loads the last one.
    api.on('board', ({ board }) => {
      if (!store.getState().user) return;
      store.getState().applyBoard(board);
      // The charts ride on the board's pushes, at most once a minute (boardSlice.ts).
      store.getState().refreshBoardChartsIfDue(Date.now());
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user && state.user.role !== 'agent') void state.loadBoard();
    }),
    // Scripts (话术库): the core refreshes its cache and says so; signing in loads what is cached (offline too).
    api.on('scripts', (library) => {
      if (store.getState().user) store.getState().applyScripts(library);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadScripts();
    }),
    // Knowledge base (知识库): the core refreshed its cache (connect, or a change anywhere) — search and read again;
    // suggestions were filed or decided — reload them; a newly opened ticket fills the open panel's search with its words.
    api.on('knowledge', ({ fetchedAt }) => {
      if (store.getState().user) store.getState().onKnowledgeRefreshed(fetchedAt);
    }),
    api.on('knowledgeSuggestions', () => {
      if (store.getState().user && store.getState().knowledgeManagerOpen) void store.getState().loadKnowledgeSuggestions();
    }),
    store.subscribe((state, previous) => {
      const ticketShown = state.detail?.ticket.id ?? null;
      if (state.user && state.knowledgeOpen && ticketShown !== null && ticketShown !== (previous.detail?.ticket.id ?? null)) state.prefillKnowledge();
    }),
    // Alarms: pushed by the server through the core (fetched on every connect); signing in loads them,
    // signing out forgets them; each alarm raised while the window is open is notified once.
    api.on('alarms', (state) => {
      if (store.getState().user) store.getState().applyAlarms(state);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadAlarms();
      if (!state.user && previous.user) store.setState(alarmsSignedOut());
    }),
    // Desktop notifications (store/notifications.ts): offers and alarms from the store's own
    // changes, customer messages from the core; preferences are the signed-in user's.
    store.subscribe((state, previous) => {
      if (state.user?.id !== previous.user?.id) state.adoptNotificationPrefs(state.user?.id ?? null);
      notifications.update(store.getState());
    }),
    api.on('customerMessages', ({ messages }) => {
      const state = store.getState();
      if (state.user) notifications.customerMessages(state, messages);
    }),
    // Administration: another admin's change reaches an open Admin view at once; an Admin view
    // opened before the connection was up (right after sign-in) loads once it is (onBackOnline).
    api.on('adminChanged', () => {
      const state = store.getState();
      if (state.user && state.view === 'admin' && !state.adminBusy) void state.loadAdmin();
    }),
    // The organisation's time zone: every time shown is in it, so a change re-renders with it at once.
    api.on('organisation', ({ timeZone }) => {
      store.getState().applyOrgTimeZone(timeZone);
    }),
    // Phone: the call cards (screen pops) the core keeps; signing in loads them, signing out clears them.
    api.on('calls', ({ calls }) => {
      if (store.getState().user) store.getState().applyCalls(calls);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadCalls();
      if (!state.user && previous.user && state.calls.length > 0) state.applyCalls([]);
    }),
    // Personal data: a revealed value is forgotten when the agent leaves the ticket (or its
    // call card goes); a lead opening a ticket (or coming back online: onBackOnline) loads who revealed what.
    store.subscribe((state, previous) => {
      if (state.openTicketId !== previous.openTicketId) {
        state.forgetReveals('ticket');
        void state.loadPiiAudit();
      }
      if (state.calls !== previous.calls) state.forgetReveals('goneCalls');
    }),
    // Back online: each slice asks again for what needed the server.
    onBackOnline(store, [
      reloadRoutingWhenBackOnline,
      reloadCustomerWhenBackOnline,
      reloadQueueWhenBackOnline,
      reloadBoardChartsWhenBackOnline,
      reloadAdminWhenBackOnline,
      reloadReportWhenBackOnline,
      reloadPiiAuditWhenBackOnline,
    ]),
    api.on('connection', (connection) => store.getState().applyConnection(connection)),
    // Desktop app: the core's process stopped; after a restart the supervisor re-sends `connection` and a full `changed`.
    api.on('coreProcess', (state) => store.getState().applyCoreProcess(state)),
    api.on('changed', ({ ticketIds }) => {
      const state = store.getState();
      if (!state.user) return;
      refreshInbox();
      const open = state.openTicketId;
      if (!open) return;
      const related = new Set([open, ...(state.detail?.customerTickets.map((t) => t.id) ?? [])]);
      if (ticketIds.length === 0 || ticketIds.some((id) => related.has(id))) refreshTicket();
      if (ticketIds.length === 0 || ticketIds.includes(open)) refreshAudit();
    }),
    api.on('attention', ({ ticketId, refusal }) => {
      const state = store.getState();
      if (!state.user) return;
      state.noteTransferRefused(ticketId, refusal);
      // The core keeps the refusal in its list (the count arrives with the connection
      // state) and has reverted the change; show the list's new item and the reverted state.
      if (state.attentionOpen) void state.loadAttention();
      refreshInbox();
      if (ticketId !== null && state.openTicketId === ticketId) refreshTicket();
    }),
    // Offline: the agent coming back to the window, or the network returning, is the moment
    // the server is most likely back; do not leave them looking at "offline" for 30 s.
    wake?.subscribe(() => void store.getState().retryConnection()) ?? (() => {}),
  ];

  applyDocumentLanguage(store.getState().language);
  void store.getState().loadSession();

  return {
    store,
    dispose() {
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}

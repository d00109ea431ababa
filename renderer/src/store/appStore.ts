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
import { createConnectionSlice } from './connectionSlice.js';
import { createCustomerSlice, customerMatchKey } from './customerSlice.js';
import { createInboxSlice } from './inboxSlice.js';
import { createPiiSlice } from './piiSlice.js';
import { createRoutingSlice } from './routingSlice.js';
import { createSessionSlice } from './sessionSlice.js';
import { createTicketSlice } from './ticketSlice.js';
import type { AppState } from './types.js';
import { createUiSlice } from './uiSlice.js';

export type AppStore = StoreApi<AppState>;

export function createAppStore(api: WorkstationApi): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createSessionSlice(api)(...a),
    ...createConnectionSlice()(...a),
    ...createInboxSlice(api)(...a),
    ...createTicketSlice(api)(...a),
    ...createUiSlice()(...a),
    ...createAttentionSlice(api)(...a),
    ...createRoutingSlice(api)(...a),
    ...createChatSlice(api)(...a),
    ...createCustomerSlice(api)(...a),
    ...createCallSlice(api)(...a),
    ...createPiiSlice(api)(...a),
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

export interface InitializedStore {
  store: AppStore;
  /** Stops listening to the core's events. */
  dispose(): void;
}

/** Creates the store, subscribes it to the core's events and asks the core for the session. */
export function initStore(api: WorkstationApi): InitializedStore {
  const store = createAppStore(api);
  const refreshInbox = coalesce(() => store.getState().loadInbox());
  const refreshTicket = coalesce(() => store.getState().reloadTicket());
  const refreshAudit = coalesce(() => store.getState().loadAudit());

  const unsubscribers = [
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
      // Back online: what needed the server (history, team board) can load now.
      if (state.user && state.connection.status === 'online' && previous.connection.status !== 'online') {
        void state.loadAudit();
        void state.loadAgents();
      }
    }),
    // "Possibly the same customer": asked of the server when the open ticket's customer (or what is known of them) changes, and on coming back online.
    store.subscribe((state, previous) => {
      const customer = state.detail?.customer;
      if (!state.user || !customer) return;
      const before = previous.detail?.customer;
      const changed = !before || customerMatchKey(customer) !== customerMatchKey(before);
      const backOnline = state.connection.status === 'online' && previous.connection.status !== 'online';
      if (changed || backOnline) void state.loadCustomerMatches(customer.id);
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
    // Phone: the call cards (screen pops) the core keeps; signing in loads them, signing out clears them.
    api.on('calls', ({ calls }) => {
      if (store.getState().user) store.getState().applyCalls(calls);
    }),
    store.subscribe((state, previous) => {
      if (state.user && state.user !== previous.user) void state.loadCalls();
      if (!state.user && previous.user && state.calls.length > 0) state.applyCalls([]);
    }),
    // Personal data: a revealed value is forgotten when the agent leaves the ticket (or its
    // call card goes); a lead opening a ticket (or coming back online) loads who revealed what.
    store.subscribe((state, previous) => {
      if (state.openTicketId !== previous.openTicketId) {
        state.forgetReveals('ticket');
        void state.loadPiiAudit();
      }
      if (state.calls !== previous.calls) state.forgetReveals('goneCalls');
      if (state.user && state.connection.status === 'online' && previous.connection.status !== 'online') void state.loadPiiAudit();
    }),
    api.on('connection', (connection) => store.getState().applyConnection(connection)),
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
    api.on('attention', ({ ticketId }) => {
      const state = store.getState();
      if (!state.user) return;
      // The core keeps the refusal in its list (the count arrives with the connection
      // state) and has reverted the change; show the list's new item and the reverted state.
      if (state.attentionOpen) void state.loadAttention();
      refreshInbox();
      if (ticketId !== null && state.openTicketId === ticketId) refreshTicket();
    }),
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

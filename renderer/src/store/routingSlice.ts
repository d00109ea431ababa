/**
 * Routing in the renderer store: the agent's presence, the offers waiting for an answer,
 * escalation, the open ticket's routing history, and for leads the team board, pinning and
 * bulk reassignment. State arrives through the core's `presence` / `offers` / `agents`
 * events (wired in appStore.ts) and the named actions below.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { Channel, Ticket } from '../../../shared/domain.js';
import {
  MAX_BULK_REASSIGN,
  presenceAfterOwnChange,
  type AgentStatus,
  type BulkTransferCandidate,
  type AwayReason,
  type Presence,
  type PresenceChanged,
  type ReassignOutcome,
  type RoutingAuditEntry,
  type RoutingOffer,
} from '../../../shared/routing.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** `alerts` is everyone's (an agent sees their own SLA alarms and escalation requests); the others are the leads'. */
export type WorkView = 'inbox' | 'team' | 'board' | 'reports' | 'alerts' | 'admin';

/** The routing history of one ticket as last loaded. */
export interface TicketAudit {
  ticketId: string;
  entries: RoutingAuditEntry[];
}

/** The last bulk reassignment's outcome, for the bar under the inbox filters. */
export interface BulkOutcome {
  done: number;
  /** Why each failed, by the server's code (worded in the lead's language, never its English message). */
  failures: Array<{ ticketId: string; code: Extract<ReassignOutcome, { ok: false }>['code'] }>;
  /** The agent they were reassigned to (the codes' facts); null when sent back to the queue. */
  targetName: string | null;
}

/** "Select all N matching": how many the filter selected when the lead asked, and how many of them were ticked (at most MAX_BULK_REASSIGN). */
export interface BulkMatching {
  total: number;
  selected: number;
}

export interface RoutingSlice {
  /** This user's presence as the server last said; null before it has. */
  presence: PresenceChanged | null;
  settingPresence: boolean;
  /** Offers waiting for this agent's answer, soonest deadline first. */
  offers: RoutingOffer[];
  /** Ticket ids of offers being answered right now. */
  respondingOffers: string[];
  /** Why the last routing action failed (presence, offer, escalation, pin, team). */
  routingError: UiError | null;
  escalating: boolean;
  audit: TicketAudit | null;
  auditLoading: boolean;
  auditError: UiError | null;
  /** Leads: every agent's presence and load. */
  agents: AgentStatus[];
  agentsLoaded: boolean;
  view: WorkView;
  /** Leads: inbox rows ticked for bulk reassignment. */
  bulkSelection: string[];
  reassigning: boolean;
  bulkOutcome: BulkOutcome | null;
  /** Set by `selectAllMatching` until the ticks change by hand. */
  bulkMatching: BulkMatching | null;
  /** Leads: who could take the ticked tickets (the bulk bar's target list); null until the core answered for this selection. */
  bulkTargets: BulkTransferCandidate[] | null;
  loadRouting: () => Promise<void>;
  applyPresence: (presence: PresenceChanged) => void;
  /** `awayReason` only with 'away' (why: a break, a meal, training…). */
  setPresence: (presence: Presence, awayReason?: AwayReason | null) => Promise<boolean>;
  /** A lead opens an agent's ticket from the Team view: the inbox shows it. */
  openTicketFromTeam: (ticketId: string) => void;
  /** Ends this agent's wrap-up now (the Ready button): routing offers them work again. */
  endWrapUp: () => Promise<boolean>;
  applyOffers: (offers: RoutingOffer[]) => void;
  respondToOffer: (ticketId: string, accept: boolean) => Promise<boolean>;
  escalate: (reason: string) => Promise<boolean>;
  loadAudit: () => Promise<void>;
  loadAgents: () => Promise<void>;
  applyAgents: (agents: AgentStatus[]) => void;
  setAgentPresence: (userId: string, presence: Presence, awayReason?: AwayReason | null) => Promise<boolean>;
  setAgentCapacity: (userId: string, channel: Channel, capacity: number) => Promise<boolean>;
  /** Whether the agent is offered chats while on a phone call. */
  setPhoneBlocksChat: (userId: string, phoneBlocksChat: boolean) => Promise<boolean>;
  pinTicket: (agentId: string | null) => Promise<boolean>;
  setView: (view: WorkView) => void;
  toggleBulk: (ticketId: string) => void;
  clearBulk: () => void;
  /** Hides the last bulk reassignment's outcome (its close button; a view or filter change does it too). */
  dismissBulkOutcome: () => void;
  /** Ticks every ticket the inbox's filters and search select (the first MAX_BULK_REASSIGN in the list's order). */
  selectAllMatching: () => Promise<boolean>;
  /** Asks the core again who could take the ticked tickets (after the ticks or the roster changed). */
  loadBulkTargets: () => Promise<void>;
  reassignSelected: (to: string | null) => Promise<boolean>;
  dismissRoutingError: () => void;
}

/** The routing state with nobody signed in. */
export const ROUTING_SIGNED_OUT = {
  presence: null,
  offers: [],
  respondingOffers: [],
  routingError: null,
  audit: null,
  auditError: null,
  agents: [],
  agentsLoaded: false,
  view: 'inbox',
  bulkSelection: [],
  bulkOutcome: null,
  bulkMatching: null,
  bulkTargets: null,
} satisfies Partial<RoutingSlice>;

/** How long "n reassigned" stays when every ticket moved (a notice that confirms, then goes); failures stay until the lead acts on them. */
export const BULK_DONE_SHOWN_MS = 8_000;

export function isLeadRole(role: string | undefined): boolean {
  return role === 'lead' || role === 'admin';
}

function replaceAgent(agents: AgentStatus[], agent: AgentStatus): AgentStatus[] {
  return agents.some((a) => a.userId === agent.userId) ? agents.map((a) => (a.userId === agent.userId ? agent : a)) : [...agents, agent];
}

/** Back online (appStore's `onBackOnline`): the open ticket's routing history and the team board need the server. */
export function reloadRoutingWhenBackOnline(state: AppState): void {
  if (!state.user) return;
  void state.loadAudit();
  void state.loadAgents();
}

export function createRoutingSlice(api: WorkstationApi): StateCreator<AppState, [], [], RoutingSlice> {
  let latestAudit = 0;
  let latestBulkTargets = 0;

  return (set, get) => {
    /** Runs a routing call; a failure goes to `routingError` and yields null. */
    async function attempt<T>(run: () => Promise<T>): Promise<T | null> {
      set({ routingError: null });
      try {
        return await run();
      } catch (error) {
        set({ routingError: toUiError(error) });
        return null;
      }
    }

    /** Shows a ticket the server just changed at once, then reloads what it affects. */
    function showChangedTicket(ticket: Ticket): void {
      const detail = get().detail;
      if (detail && detail.ticket.id === ticket.id) set({ detail: { ...detail, ticket } });
      void get().reloadTicket();
      void get().loadInbox();
      void get().loadAudit();
    }

    return {
      ...ROUTING_SIGNED_OUT,
      settingPresence: false,
      escalating: false,
      auditLoading: false,
      reassigning: false,

      async loadRouting() {
        if (!get().user) return;
        try {
          const [{ presence }, { offers }] = await Promise.all([api.invoke('presence.get', {}), api.invoke('offer.list', {})]);
          if (!get().user) return;
          // An event may have overtaken the answer; the newer presence wins.
          const current = get().presence;
          if (presence && (!current || current.at <= presence.at)) set({ presence });
          set({ offers });
        } catch {
          // The presence and offer events fill these in as soon as the core hears from the server.
        }
        if (isLeadRole(get().user?.role)) void get().loadAgents();
      },

      applyPresence(presence) {
        set({ presence });
      },

      async setPresence(presence, awayReason = null) {
        if (get().settingPresence) return false;
        set({ settingPresence: true });
        const result = await attempt(() => api.invoke('presence.set', presence === 'away' ? { presence, awayReason } : { presence }));
        set({ settingPresence: false });
        if (!result) return false;
        // The core's presence event follows; until it comes, the same rule as the core's (shared/routing.ts).
        set({ presence: presenceAfterOwnChange(result, get().presence) });
        return true;
      },

      openTicketFromTeam(ticketId) {
        get().setView('inbox');
        void get().openTicket(ticketId);
      },

      endWrapUp() {
        // Ready (就绪): the server ends wrap-up when the agent says they are available.
        return get().setPresence('available');
      },

      applyOffers(offers) {
        const ids = new Set(offers.map((o) => o.ticketId));
        set({ offers, respondingOffers: get().respondingOffers.filter((id) => ids.has(id)) });
      },

      async respondToOffer(ticketId, accept) {
        if (get().respondingOffers.includes(ticketId)) return false;
        set({ respondingOffers: [...get().respondingOffers, ticketId] });
        const result = await attempt(() => api.invoke('offer.respond', { ticketId, accept }));
        // The server busy or slow to confirm: the offer stays, so the agent can answer again (an accept that did go
        // through then answers "accepted"); its own expiry still takes it away.
        const retryable = !result && ['routing_busy', 'unconfirmed', 'server_unreachable'].includes(get().routingError?.code ?? '');
        set({
          respondingOffers: get().respondingOffers.filter((id) => id !== ticketId),
          ...(retryable ? {} : { offers: get().offers.filter((o) => o.ticketId !== ticketId) }),
        });
        // An accept that may have gone through: the inbox shows the ticket if it did.
        if (!result && get().routingError?.code === 'unconfirmed') void get().loadInbox();
        if (!result) return false;
        if (result.outcome === 'gone') {
          set({ routingError: { code: 'conflict', message: '' } });
          return false;
        }
        void get().loadInbox();
        if (result.outcome === 'accepted') void get().openTicket(ticketId);
        return true;
      },

      async escalate(reason) {
        const ticketId = get().openTicketId;
        if (!ticketId || reason.trim() === '' || get().escalating) return false;
        set({ escalating: true });
        // A request to the leads (主管审核): the ticket changes when one approves; the request shows on the ticket meanwhile.
        const request = await attempt(() => api.invoke('ticket.escalate', { ticketId, reason: reason.trim() }));
        set({ escalating: false });
        if (request === null && get().routingError) return false;
        // null: made offline, it waits in the outbox and reaches the leads when the connection is back.
        if (request === null) set({ queuedEscalations: [...get().queuedEscalations, ticketId] });
        else if (!get().alarms.some((alarm) => alarm.id === request.id)) set({ alarms: [request, ...get().alarms] });
        return true;
      },

      async loadAudit() {
        const ticketId = get().openTicketId;
        if (!ticketId) {
          set({ audit: null, auditError: null, auditLoading: false });
          return;
        }
        const request = ++latestAudit;
        if (get().audit?.ticketId !== ticketId) set({ audit: null, auditLoading: true });
        try {
          const entries = await api.invoke('ticket.audit', { ticketId });
          if (request !== latestAudit) return;
          set({ audit: { ticketId, entries }, auditLoading: false, auditError: null });
        } catch (error) {
          if (request !== latestAudit) return;
          set({ auditLoading: false, auditError: toUiError(error) });
        }
      },

      async loadAgents() {
        if (!isLeadRole(get().user?.role)) return;
        try {
          const agents = await api.invoke('lead.agents', {});
          set({ agents, agentsLoaded: true });
        } catch (error) {
          const uiError = toUiError(error);
          // Offline: the board reloads when the connection comes back; nothing to tell the lead now.
          set({ agentsLoaded: true, ...(uiError.code === 'offline' ? {} : { routingError: uiError }) });
        }
      },

      applyAgents(agents) {
        set({ agents, agentsLoaded: true });
        // Presence and load decide who can take the ticked tickets.
        if (get().bulkSelection.length > 0) void get().loadBulkTargets();
      },

      async setAgentPresence(userId, presence, awayReason = null) {
        const agent = await attempt(() => api.invoke('lead.setPresence', presence === 'away' ? { userId, presence, awayReason } : { userId, presence }));
        if (!agent) return false;
        set({ agents: replaceAgent(get().agents, agent) });
        return true;
      },

      async setAgentCapacity(userId, channel, capacity) {
        const agent = await attempt(() => api.invoke('lead.setCapacity', { userId, capacity: { [channel]: capacity } }));
        if (!agent) return false;
        set({ agents: replaceAgent(get().agents, agent) });
        return true;
      },

      async setPhoneBlocksChat(userId, phoneBlocksChat) {
        const agent = await attempt(() => api.invoke('lead.setCapacity', { userId, capacity: {}, phoneBlocksChat }));
        if (!agent) return false;
        set({ agents: replaceAgent(get().agents, agent) });
        return true;
      },

      async pinTicket(agentId) {
        const ticketId = get().openTicketId;
        if (!ticketId) return false;
        const ticket = await attempt(() => api.invoke('lead.pin', { ticketId, agentId }));
        if (!ticket) return false;
        showChangedTicket(ticket);
        return true;
      },

      setView(view) {
        if (view !== 'inbox' && view !== 'alerts' && !isLeadRole(get().user?.role)) return;
        // The last bulk outcome concerned the list the lead left; it would be stale on return.
        set({ view, ...(view === get().view ? {} : { bulkOutcome: null }) });
        if (view === 'team') void get().loadAgents();
        if (view === 'reports') void get().loadReport();
        if (view === 'board') {
          void get().loadBoard();
          // The charts shown at once are the last ones; fresh ones when a minute has passed (boardSlice.ts).
          get().refreshBoardChartsIfDue(Date.now());
        }
        if (view === 'alerts') void get().loadAlarms();
        if (view === 'admin') void get().loadAdmin();
      },

      toggleBulk(ticketId) {
        const selected = get().bulkSelection;
        set({
          bulkSelection: selected.includes(ticketId) ? selected.filter((id) => id !== ticketId) : [...selected, ticketId],
          bulkOutcome: null,
          bulkMatching: null,
        });
        void get().loadBulkTargets();
      },

      clearBulk() {
        latestBulkTargets++;
        set({ bulkSelection: [], bulkOutcome: null, bulkMatching: null, bulkTargets: null });
      },

      dismissBulkOutcome() {
        set({ bulkOutcome: null });
      },

      async selectAllMatching() {
        const { query, ...filters } = get().filters;
        const result = await attempt(() => api.invoke('inbox.ids', { ...filters, query: query.trim() }));
        if (!result) return false;
        set({ bulkSelection: result.ids, bulkOutcome: null, bulkMatching: { total: result.total, selected: result.ids.length } });
        void get().loadBulkTargets();
        return true;
      },

      async loadBulkTargets() {
        const ticketIds = get().bulkSelection;
        const request = ++latestBulkTargets;
        if (ticketIds.length === 0 || ticketIds.length > MAX_BULK_REASSIGN) {
          set({ bulkTargets: null });
          return;
        }
        try {
          const { agents } = await api.invoke('lead.bulkTargets', { ticketIds });
          if (request === latestBulkTargets) set({ bulkTargets: agents });
        } catch {
          // Offline (no roster to judge on): the list shows nobody to pick, as reassigning needs the server anyway.
          if (request === latestBulkTargets) set({ bulkTargets: [] });
        }
      },

      async reassignSelected(to) {
        const ticketIds = get().bulkSelection;
        if (ticketIds.length === 0 || get().reassigning) return false;
        set({ reassigning: true, bulkOutcome: null });
        const result = await attempt(() => api.invoke('lead.reassign', { ticketIds, to }));
        set({ reassigning: false });
        if (!result) return false;
        const failures = result.results.filter((r): r is Extract<ReassignOutcome, { ok: false }> => !r.ok).map((r) => ({ ticketId: r.ticketId, code: r.code }));
        const targetName = to === null ? null : (get().agents.find((agent) => agent.userId === to)?.displayName ?? to);
        const outcome: BulkOutcome = { done: result.results.length - failures.length, failures, targetName };
        set({
          bulkOutcome: outcome,
          // Failed tickets stay ticked so the lead can try them elsewhere.
          bulkSelection: failures.map((f) => f.ticketId),
          bulkMatching: null,
        });
        // A full success is only a confirmation: it goes by itself (unless a newer outcome replaced it).
        if (failures.length === 0) {
          setTimeout(() => {
            if (get().bulkOutcome === outcome) set({ bulkOutcome: null });
          }, BULK_DONE_SHOWN_MS);
        }
        void get().loadBulkTargets();
        void get().loadInbox();
        void get().reloadTicket();
        void get().loadAudit();
        return failures.length === 0;
      },

      dismissRoutingError() {
        set({ routingError: null });
      },
    };
  };
}

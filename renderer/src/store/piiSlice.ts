/**
 * Personal data in the renderer: an agent sees phone numbers, e-mail addresses, ID and card
 * numbers masked (the server masks them, shared/masking.ts) and may reveal one with a click.
 * The clear value lives only here, in memory: it is never handed back to the core, so it
 * never reaches the cache, and it is forgotten when the agent leaves the ticket or signs out.
 * Leads see clear values and read who revealed what on the open ticket.
 */
import type { StateCreator } from 'zustand/vanilla';
import { piiRevealKey, type PiiAuditEntry, type PiiRevealRequest, type PiiRevealResult } from '../../../shared/pii.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import { isLeadRole } from './routingSlice.js';
import type { AppState, UiError } from './types.js';

/** The reveal audit of one ticket as last loaded. */
export interface PiiAuditView {
  ticketId: string;
  entries: PiiAuditEntry[];
}

export interface PiiSlice {
  /** Clear values revealed this session, by `piiRevealKey`. */
  revealed: Record<string, PiiRevealResult>;
  /** Keys of reveals waiting for the server. */
  revealing: string[];
  /** Why the last reveal failed (offline, no longer visible…), by key. */
  revealError: { key: string; error: UiError } | null;
  piiAudit: PiiAuditView | null;
  piiAuditLoading: boolean;
  piiAuditError: UiError | null;
  /** Asks the server for one clear value (audited there); true when it came. */
  reveal: (request: PiiRevealRequest) => Promise<boolean>;
  /**
   * Forgets revealed values: the open ticket's when the agent leaves it ('ticket'), or those
   * of call cards no longer on screen ('goneCalls').
   */
  forgetReveals: (what: 'ticket' | 'goneCalls') => void;
  /** Leads: loads who revealed what on the open ticket. */
  loadPiiAudit: () => Promise<void>;
}

/** The personal data state with nobody signed in. */
export const PII_SIGNED_OUT = {
  revealed: {},
  revealing: [],
  revealError: null,
  piiAudit: null,
  piiAuditLoading: false,
  piiAuditError: null,
} satisfies Partial<PiiSlice>;

/** Back online (appStore's `onBackOnline`): who revealed what on the open ticket (leads) loads again. */
export function reloadPiiAuditWhenBackOnline(state: AppState): void {
  if (state.user) void state.loadPiiAudit();
}

export function createPiiSlice(api: WorkstationApi): StateCreator<AppState, [], [], PiiSlice> {
  let latestAudit = 0;

  return (set, get) => ({
    ...PII_SIGNED_OUT,

    async reveal(request) {
      const key = piiRevealKey(request);
      if (get().revealing.includes(key)) return false;
      set({ revealing: [...get().revealing, key], revealError: null });
      try {
        const result = await api.invoke('pii.reveal', request);
        set({ revealed: { ...get().revealed, [key]: result }, revealing: get().revealing.filter((k) => k !== key) });
        return true;
      } catch (error) {
        set({ revealing: get().revealing.filter((k) => k !== key), revealError: { key, error: toUiError(error) } });
        return false;
      }
    },

    forgetReveals(what) {
      const onScreen = new Set(get().calls.map((call) => `call:${call.callId}`));
      const isCall = (key: string) => key.startsWith('call:');
      const keep = what === 'ticket' ? (key: string) => isCall(key) : (key: string) => !isCall(key) || onScreen.has(key);
      const revealed = Object.entries(get().revealed);
      if (revealed.every(([key]) => keep(key))) return;
      set({ revealed: Object.fromEntries(revealed.filter(([key]) => keep(key))), revealError: null });
    },

    async loadPiiAudit() {
      const ticketId = get().openTicketId;
      if (!ticketId || !isLeadRole(get().user?.role)) {
        set({ piiAudit: null, piiAuditLoading: false, piiAuditError: null });
        return;
      }
      const request = ++latestAudit;
      if (get().piiAudit?.ticketId !== ticketId) set({ piiAudit: null });
      // The last failure (say, "offline") is not this load's answer: the panel says loading until it has one.
      set({ piiAuditLoading: true, piiAuditError: null });
      try {
        const entries = await api.invoke('pii.audit', { ticketId });
        if (request !== latestAudit) return;
        set({ piiAudit: { ticketId, entries }, piiAuditLoading: false, piiAuditError: null });
      } catch (error) {
        if (request !== latestAudit) return;
        set({ piiAuditLoading: false, piiAuditError: toUiError(error) });
      }
    },
  });
}

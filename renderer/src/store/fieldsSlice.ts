/**
 * The ticket's own fields (type, sub-category, tags, result), the result prompt that
 * completing opens when no result is recorded, and Transfer (转办). Every change goes
 * through the core's outbox (offline too); only the list of colleagues needs the server.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { Ticket, TicketGroup, TicketType } from '../../../shared/domain.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import type { TransferCandidate } from '../../../shared/routing.js';
import type { TicketRefusal } from '../../../shared/ticketRules.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** The fields a save sets; absent ones are kept. null (or blank) clears sub-category and result. */
export interface TicketFieldsPatch {
  type?: TicketType;
  subCategory?: string | null;
  tags?: string[];
  result?: string | null;
}

/** Where a transfer goes: a group's queue, or a named colleague (their name labels the copy until the server answers). */
export type TransferChoice = { kind: 'group'; group: TicketGroup } | { kind: 'agent'; agentId: string; agentName: string };

export interface FieldsSlice {
  savingFields: boolean;
  /** Completing was asked for without a result: the prompt for it is open. */
  completePromptOpen: boolean;
  transferOpen: boolean;
  /** Colleagues and why each cannot take the ticket; null until loaded (or when offline). */
  transferTargets: TransferCandidate[] | null;
  transferTargetsLoading: boolean;
  transferTargetsError: UiError | null;
  transferring: boolean;
  /** Why the dialog's transfer was refused (shown in the dialog, which stays open). */
  transferError: UiError | null;
  /**
   * The transfer just made from this window, said where the ticket was (it may have left the
   * agent's view). `awaiting` until the server has it: the core records a transfer at once but
   * the server may still refuse it, so the pane stays open (busy) until then; `refusal` once the
   * server refused it (the core has undone it meanwhile), said in the pane that stays open.
   */
  lastTransfer: { ticketId: string; to: TransferChoice; awaiting: boolean; refusal?: TicketRefusal } | null;
  saveFields: (fields: TicketFieldsPatch) => Promise<boolean>;
  /** Completing: straight through when the ticket has a result, else the prompt opens. */
  requestComplete: () => Promise<boolean>;
  closeCompletePrompt: () => void;
  /** Records the result, then completes (both through the outbox, in that order). */
  completeWithResult: (result: string) => Promise<boolean>;
  openTransfer: () => Promise<void>;
  closeTransfer: () => void;
  transfer: (to: TransferChoice, note: string) => Promise<boolean>;
  dismissLastTransfer: () => void;
  /**
   * The server refused a change (the core's `attention` event): when it is the transfer just
   * made here, the pane must stop saying it went through and say why not instead.
   */
  noteTransferRefused: (ticketId: string | null, refusal: TicketRefusal | null) => void;
  /**
   * Looks at the open ticket as the core now has it: once the server holds the awaited transfer
   * (no change pending, and the ticket is where it was sent, or gone from this user's view) the
   * pane closes and says where it went.
   */
  settleTransfer: () => void;
}

/** Whether the ticket, as the core has it, is where the transfer sent it (a group's queue may have routed it on to someone meanwhile). */
function isWhereSent(ticket: Ticket, to: TransferChoice): boolean {
  return to.kind === 'agent' ? ticket.assigneeId === to.agentId : ticket.routing.group === to.group;
}

export function createFieldsSlice(api: WorkstationApi): StateCreator<AppState, [], [], FieldsSlice> {
  return (set, get) => {
    /** Shows the ticket as the core now has it (pending until acknowledged), and refreshes the inbox. */
    async function save(ticketId: string, fields: TicketFieldsPatch): Promise<boolean> {
      set({ savingFields: true, actionError: null });
      try {
        const ticket = await api.invoke('ticket.setFields', { ticketId, ...fields });
        const current = get().detail;
        if (current && current.ticket.id === ticket.id) set({ detail: { ...current, ticket, pending: true } });
        set({ savingFields: false });
        void get().reloadTicket();
        void get().loadInbox();
        return true;
      } catch (error) {
        set({ savingFields: false, actionError: toUiError(error) });
        return false;
      }
    }

    return {
      savingFields: false,
      completePromptOpen: false,
      transferOpen: false,
      transferTargets: null,
      transferTargetsLoading: false,
      transferTargetsError: null,
      transferring: false,
      transferError: null,
      lastTransfer: null,

      async saveFields(fields) {
        const ticketId = get().openTicketId;
        if (!ticketId || !get().detail || get().savingFields) return false;
        return save(ticketId, fields);
      },

      async requestComplete() {
        const ticket = get().detail?.ticket;
        if (!ticket) return false;
        if (ticket.result === null) {
          set({ completePromptOpen: true });
          return false;
        }
        return get().setStatus('completed');
      },

      closeCompletePrompt() {
        set({ completePromptOpen: false });
      },

      async completeWithResult(result) {
        const ticketId = get().openTicketId;
        if (!ticketId || result.trim() === '') return false;
        if (!(await save(ticketId, { result }))) return false;
        set({ completePromptOpen: false });
        return get().setStatus('completed');
      },

      async openTransfer() {
        const ticketId = get().openTicketId;
        if (!ticketId) return;
        set({ transferOpen: true, transferError: null, transferTargets: null, transferTargetsError: null, transferTargetsLoading: true });
        try {
          const { agents } = await api.invoke('ticket.transferTargets', { ticketId });
          if (get().openTicketId === ticketId) set({ transferTargets: agents, transferTargetsLoading: false });
        } catch (error) {
          // Offline the dialog still transfers to a group; it says why colleagues are missing.
          set({ transferTargetsLoading: false, transferTargetsError: toUiError(error) });
        }
      },

      closeTransfer() {
        set({ transferOpen: false, transferError: null });
      },

      async transfer(to, note) {
        const ticketId = get().openTicketId;
        if (!ticketId || get().transferring) return false;
        set({ transferring: true, transferError: null });
        try {
          await api.invoke('ticket.transfer', { ticketId, to, note });
          // The core has it, the server not yet (it may refuse): the pane stays, busy, until
          // settleTransfer sees the server's answer; the ticket shows as the core now has it.
          set({ transferring: false, transferOpen: false, lastTransfer: { ticketId, to, awaiting: true } });
          void get().reloadTicket();
          void get().loadInbox();
          return true;
        } catch (error) {
          set({ transferring: false, transferError: toUiError(error) });
          return false;
        }
      },

      dismissLastTransfer() {
        set({ lastTransfer: null });
      },

      noteTransferRefused(ticketId, refusal) {
        const last = get().lastTransfer;
        if (!last || ticketId !== last.ticketId || refusal?.code !== 'transfer_refused') return;
        set({ lastTransfer: { ...last, awaiting: false, refusal } });
      },

      settleTransfer() {
        const last = get().lastTransfer;
        if (!last?.awaiting || get().openTicketId !== last.ticketId) return;
        const { detail, ticketError } = get();
        const gone = ticketError?.code === 'not_found';
        const held = detail !== null && detail.ticket.id === last.ticketId && !detail.pending && isWhereSent(detail.ticket, last.to);
        if (!gone && !held) return;
        set({ lastTransfer: { ...last, awaiting: false } });
        // The ticket has usually left this agent: the pane says where it went instead of showing it.
        get().closeTicket();
      },
    };
  };
}

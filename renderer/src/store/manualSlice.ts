/**
 * A ticket created by hand (新建工单): the dialog's state, the customer search over the
 * workstation's cache, and creating through the core's outbox (offline too: the ticket opens
 * at once under its pending number and follows its GD id when the server gives it one).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { CustomerSearchHit } from '../../../shared/customers.js';
import type { Channel, Priority, TicketType } from '../../../shared/domain.js';
import type { WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

/** What the dialog sends: a customer from the cache, or a new one the agent typed in. */
export interface NewTicketInput {
  customer: { kind: 'existing'; customerId: string } | { kind: 'new'; name: string; phone: string | null; email: string | null };
  channel: Channel;
  type: TicketType;
  priority: Priority;
  subject: string;
  note: string;
  toQueue: boolean;
}

export interface ManualSlice {
  newTicketOpen: boolean;
  newTicketHits: CustomerSearchHit[];
  newTicketSearching: boolean;
  creatingTicket: boolean;
  newTicketError: UiError | null;
  openNewTicket: () => void;
  closeNewTicket: () => void;
  searchNewTicketCustomers: (query: string) => Promise<void>;
  /** Creates the ticket and opens it; false when refused (the dialog stays open with why). */
  createTicket: (input: NewTicketInput) => Promise<boolean>;
}

export function createManualSlice(api: WorkstationApi): StateCreator<AppState, [], [], ManualSlice> {
  // One action per dialog: a retry after a lost answer is the same creation (the core makes it once).
  let actionId: string = crypto.randomUUID();
  let latestSearch = 0;
  return (set, get) => ({
    newTicketOpen: false,
    newTicketHits: [],
    newTicketSearching: false,
    creatingTicket: false,
    newTicketError: null,

    openNewTicket() {
      actionId = crypto.randomUUID();
      set({ newTicketOpen: true, newTicketHits: [], newTicketError: null });
    },
    closeNewTicket() {
      set({ newTicketOpen: false, newTicketHits: [], newTicketError: null });
    },
    async searchNewTicketCustomers(query) {
      const request = ++latestSearch;
      if (query.trim() === '') {
        set({ newTicketHits: [], newTicketSearching: false });
        return;
      }
      set({ newTicketSearching: true });
      try {
        const hits = await api.invoke('customer.search', { query });
        if (request === latestSearch) set({ newTicketHits: hits, newTicketSearching: false });
      } catch (error) {
        if (request === latestSearch) set({ newTicketHits: [], newTicketSearching: false, newTicketError: toUiError(error) });
      }
    },
    async createTicket(input) {
      if (get().creatingTicket) return false;
      set({ creatingTicket: true, newTicketError: null });
      try {
        const ticket = await api.invoke('ticket.create', { ...input, actionId });
        actionId = crypto.randomUUID();
        set({ creatingTicket: false, newTicketOpen: false, newTicketHits: [] });
        void get().loadInbox();
        await get().openTicket(ticket.id);
        return true;
      } catch (error) {
        set({ creatingTicket: false, newTicketError: toUiError(error) });
        return false;
      }
    },
  });
}

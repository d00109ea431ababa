/**
 * Rows for the cache's tests (search, the lead's ticket list, customer rows): an agent, a lead who
 * sees every channel, tickets numbered GD20240501NNN held by that lead, and inbound phone messages.
 */
import { CHANNELS, defaultTicketRouting, type Message, type Ticket, type User } from '../../../shared/domain.js';

/** A tier-1 agent on phone and chat. */
export const TEST_AGENT: User = {
  id: 'agent1',
  username: 'agent1',
  displayName: '李娜',
  role: 'agent',
  channels: ['phone', 'chat'],
  groups: [],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: null,
};

export const SEARCH_TEST_LEAD: User = {
  id: 'lead1',
  username: 'lead1',
  displayName: '王组长',
  role: 'lead',
  channels: [...CHANNELS],
  groups: [],
  tier: 2,
  senior: true,
  languages: ['zh'],
  extension: null,
};

/** Ticket `index` (GD20240501NNN, channel by index), held by the lead. */
export function heldTicket(index: number, customerId: string, subject: string, overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: `GD20240501${String(index).padStart(3, '0')}`,
    customerId,
    channel: CHANNELS[index % CHANNELS.length]!,
    type: 'consult',
    subject,
    priority: 'normal',
    status: 'in_progress',
    assigneeId: 'lead1',
    assigneeName: '王组长',
    assignmentReason: null,
    createdAt: 1_000 + index,
    updatedAt: 1_000 + index,
    assignedAt: 1_000,
    firstResponseAt: null,
    dueAt: 1_000 + 4 * 3_600_000,
    completedAt: null,
    lastMessagePreview: '',
    lastMessageAt: 1_000 + index,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: defaultTicketRouting(),
    ...overrides,
  };
}

export function inboundMessage(id: string, ticketId: string, text: string): Message {
  return {
    id,
    ticketId,
    direction: 'inbound',
    channel: 'phone',
    authorId: null,
    authorName: '客户',
    text,
    externalMessageId: null,
    deliveryStatus: 'received',
    createdAt: 2_000,
    attachments: [],
    source: null,
    call: null,
    deliveryError: null,
  };
}

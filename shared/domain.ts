/**
 * Domain model of the workstation: channels, tickets, messages, notes, customers, agents.
 * Isomorphic: used by the server, the workstation core and the renderer alike.
 * Times are epoch milliseconds (UTC) everywhere; only the UI formats them.
 */
import { z } from 'zod';

export const CHANNELS = ['phone', 'chat', 'social', 'email'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

export const TICKET_STATUSES = ['unassigned', 'in_progress', 'awaiting_customer', 'completed', 'closed'] as const;
export const ticketStatusSchema = z.enum(TICKET_STATUSES);
export type TicketStatus = z.infer<typeof ticketStatusSchema>;

export const PRIORITIES = ['urgent', 'normal', 'low'] as const;
export const prioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof prioritySchema>;

export const TICKET_TYPES = ['consult', 'complaint', 'suggestion', 'after_sales', 'other'] as const;
export const ticketTypeSchema = z.enum(TICKET_TYPES);
export type TicketType = z.infer<typeof ticketTypeSchema>;

export const ROLES = ['agent', 'lead', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Longest text of one message or note. A contact centre message is never a book; refuse rather than truncate. */
export const MAX_TEXT_LENGTH = 20_000;
export const MAX_SUBJECT_LENGTH = 200;

/**
 * Allowed status transitions (处理状态). `closed` and `completed` may be reopened to
 * `in_progress`; `unassigned` is left by taking the ticket.
 */
export const STATUS_TRANSITIONS: Readonly<Record<TicketStatus, readonly TicketStatus[]>> = {
  unassigned: ['in_progress', 'closed'],
  in_progress: ['awaiting_customer', 'completed', 'closed'],
  awaiting_customer: ['in_progress', 'completed', 'closed'],
  completed: ['in_progress', 'closed'],
  closed: ['in_progress'],
};

export function canTransition(from: TicketStatus, to: TicketStatus): boolean {
  return STATUS_TRANSITIONS[from].includes(to);
}

/** A status in which the ticket still needs work and counts toward an agent's load. */
export function isOpenStatus(status: TicketStatus): boolean {
  return status === 'unassigned' || status === 'in_progress' || status === 'awaiting_customer';
}

const nonBlank = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

export const textSchema = nonBlank(MAX_TEXT_LENGTH);
export const epochMsSchema = z.number().int().nonnegative();
export const ticketIdSchema = z.string().regex(/^GD\d{8}\d{3,}$/, { message: 'is not a ticket ID like GD20231001001' });
export const customerIdSchema = z.string().regex(/^CUS\d{8}\d{3,}$/, { message: 'is not a customer ID like CUS20240501001' });
export const entityIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, { message: 'is not a valid id' });

export const customerSchema = z.object({
  id: customerIdSchema,
  name: z.string().max(200),
  phone: z.string().max(40).nullable(),
  email: z.string().max(320).nullable(),
  socialId: z.string().max(200).nullable(),
  vipTier: z.number().int().min(0).max(5),
  createdAt: epochMsSchema,
});
export type Customer = z.infer<typeof customerSchema>;

/**
 * Why a ticket is where it is, as facts rather than a sentence, so each UI language can
 * say it in its own words (`describeAssignmentReason` gives the English for logs and audits).
 */
export const assignmentReasonSchema = z.discriminatedUnion('code', [
  /** Routed to the eligible online agent with the fewest open tickets. */
  z.object({
    code: z.literal('least_loaded'),
    channel: channelSchema,
    openTickets: z.number().int().nonnegative(),
    tieBreak: z.enum(['none', 'idle_longest', 'username']),
  }),
  /** Queued: no online agent has the channel skill. */
  z.object({ code: z.literal('no_agent_online'), channel: channelSchema }),
  /** An agent took it from the channel queue by working on it. */
  z.object({ code: z.literal('taken_from_queue'), channel: channelSchema, byName: z.string().max(100) }),
  /** A lead assigned it (or put it back in the queue) by hand. */
  z.object({ code: z.literal('assigned_by_lead'), byName: z.string().max(100) }),
]);
export type AssignmentReason = z.infer<typeof assignmentReasonSchema>;

/** The English sentence for a reason, for server logs and the routing audit. */
export function describeAssignmentReason(reason: AssignmentReason, assigneeName: string | null): string {
  switch (reason.code) {
    case 'least_loaded': {
      const tie = reason.tieBreak === 'idle_longest' ? ', idle longest' : reason.tieBreak === 'username' ? ', first by username' : '';
      return `Routed to ${assigneeName ?? '?'}: ${reason.channel} skill, fewest open tickets (${reason.openTickets})${tie}`;
    }
    case 'no_agent_online':
      return `Queued: no agent with the ${reason.channel} skill is online`;
    case 'taken_from_queue':
      return `Taken from the ${reason.channel} queue by ${reason.byName}`;
    case 'assigned_by_lead':
      return assigneeName ? `Assigned to ${assigneeName} by ${reason.byName}` : `Put back in the queue by ${reason.byName}`;
  }
}

export const ticketSchema = z.object({
  id: ticketIdSchema,
  customerId: customerIdSchema,
  channel: channelSchema,
  type: ticketTypeSchema,
  subject: z.string().max(MAX_SUBJECT_LENGTH),
  priority: prioritySchema,
  status: ticketStatusSchema,
  assigneeId: entityIdSchema.nullable(),
  assigneeName: z.string().max(100).nullable(),
  /** One-line reason for the current assignment, shown in the inbox ("fewest open tickets"). */
  assignmentReason: assignmentReasonSchema.nullable(),
  createdAt: epochMsSchema,
  updatedAt: epochMsSchema,
  assignedAt: epochMsSchema.nullable(),
  firstResponseAt: epochMsSchema.nullable(),
  dueAt: epochMsSchema,
  completedAt: epochMsSchema.nullable(),
  /** Preview of the newest message, for inbox rows. */
  lastMessagePreview: z.string().max(200),
  lastMessageAt: epochMsSchema,
});
export type Ticket = z.infer<typeof ticketSchema>;

export const messageSchema = z.object({
  id: entityIdSchema,
  ticketId: ticketIdSchema,
  direction: z.enum(['inbound', 'outbound']),
  channel: channelSchema,
  /** The agent who wrote an outbound message; null for the customer. */
  authorId: entityIdSchema.nullable(),
  /** Display name of the author (agent, or the customer), kept with the message so history reads without a directory. */
  authorName: z.string().max(200),
  text: z.string().max(MAX_TEXT_LENGTH),
  externalMessageId: z.string().max(500).nullable(),
  /** Outbound delivery: queued until a channel adapter sends it. Inbound messages are `received`. */
  deliveryStatus: z.enum(['received', 'queued', 'sent', 'failed']),
  createdAt: epochMsSchema,
});
export type Message = z.infer<typeof messageSchema>;

export const noteSchema = z.object({
  id: entityIdSchema,
  ticketId: ticketIdSchema,
  authorId: entityIdSchema,
  authorName: z.string().max(100),
  text: z.string().max(MAX_TEXT_LENGTH),
  createdAt: epochMsSchema,
});
export type Note = z.infer<typeof noteSchema>;

export const userSchema = z.object({
  id: entityIdSchema,
  username: z.string().min(1).max(64),
  displayName: z.string().max(100),
  role: roleSchema,
  channels: z.array(channelSchema),
  groups: z.array(z.string().max(64)),
  tier: z.union([z.literal(1), z.literal(2)]),
  senior: z.boolean(),
});
export type User = z.infer<typeof userSchema>;

/** Everything a workstation shows for one ticket. */
export const ticketBundleSchema = z.object({
  ticket: ticketSchema,
  customer: customerSchema,
  messages: z.array(messageSchema),
  notes: z.array(noteSchema),
});
export type TicketBundle = z.infer<typeof ticketBundleSchema>;

/**
 * Who may see a ticket: leads and admins see everything; an agent sees the tickets
 * assigned to them and the unassigned tickets queued on their channels.
 * The server filters with it and the core drops tickets that leave the user's view.
 */
export function canUserSeeTicket(user: Pick<User, 'id' | 'role' | 'channels'>, ticket: Pick<Ticket, 'assigneeId' | 'channel'>): boolean {
  if (user.role !== 'agent') return true;
  if (ticket.assigneeId !== null) return ticket.assigneeId === user.id;
  return user.channels.includes(ticket.channel);
}

/** Short preview of a message for inbox rows: first line, whitespace collapsed. */
export function previewOf(text: string, max = 120): string {
  const firstLine = text.trim().split(/\r?\n/, 1)[0] ?? '';
  const collapsed = firstLine.replace(/\s+/g, ' ');
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

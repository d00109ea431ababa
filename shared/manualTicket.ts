/**
 * A ticket created by hand (issue 12): a walk-in, a care call (回访) or a call taken while the
 * server was down. The agent fills customer, channel, type, priority, subject and a first note;
 * the workstation shows the ticket at once under a PROVISIONAL id ("pending number", 待编号)
 * and the server gives it its `GD` id when the `createTicket` mutation reaches it, exactly once.
 *
 * Provisional ids have the shape of real ones on an impossible day, `00000000`
 * (`GD00000000` + 27 digits, `CUS00000000` + 27 digits), so every schema, cache table, RPC
 * and inbox row that carries a ticket or customer id carries them unchanged; the day no clock
 * gives (dayKey never yields year 0000) is what tells them apart. They are unique per user
 * (the creation time in ms and 12 random digits), which is all the server needs: it maps
 * (user, provisional id) → GD id once (server migration 017 `ticket_drafts`) and translates
 * every later mutation that names the provisional id. See docs/technical/sync-protocol.md.
 */
import { z } from 'zod';
import {
  MAX_SUBJECT_LENGTH,
  channelSchema,
  customerIdSchema,
  entityIdSchema,
  prioritySchema,
  textSchema,
  ticketIdSchema,
  ticketTypeSchema,
  type Channel,
  type Role,
} from './domain.js';

/** The day of every provisional id: none of ours is dated 0000-00-00. */
export const PROVISIONAL_DAY = '00000000';
const PROVISIONAL_DIGITS = 27;

const PROVISIONAL_TICKET_ID = /^GD00000000\d{27}$/;
const PROVISIONAL_CUSTOMER_ID = /^CUS00000000\d{27}$/;

export const provisionalTicketIdSchema = z.string().regex(PROVISIONAL_TICKET_ID, { message: 'is not a provisional ticket id' });
export const provisionalCustomerIdSchema = z.string().regex(PROVISIONAL_CUSTOMER_ID, { message: 'is not a provisional customer id' });

/**
 * A ticket id the server has not numbered yet (shown as 待编号 / "pending number"). The
 * schema's own pattern, tested directly: every local write asks this of a GD id, and a failed
 * `safeParse` builds an error object each time (~10 µs against 0.1).
 */
export function isProvisionalTicketId(id: string): boolean {
  return PROVISIONAL_TICKET_ID.test(id);
}

export function isProvisionalCustomerId(id: string): boolean {
  return PROVISIONAL_CUSTOMER_ID.test(id);
}

/**
 * The provisional ticket and customer ids of one creation: `at` (ms) and `random` (12 decimal
 * digits the caller draws from a CSPRNG) make them unique for the user who creates them.
 */
export function provisionalIdsOf(at: number, random: string): { ticketId: string; customerId: string } {
  if (!Number.isInteger(at) || at < 0) throw new RangeError(`at must be epoch ms, got ${String(at)}`);
  if (!/^\d{12}$/.test(random)) throw new RangeError('random must be 12 decimal digits');
  const digits = `${at.toString().padStart(PROVISIONAL_DIGITS - 12, '0')}${random}`;
  return { ticketId: `GD${PROVISIONAL_DAY}${digits}`, customerId: `CUS${PROVISIONAL_DAY}${digits}` };
}

/** Longest customer name typed by hand (the customer row allows 200). */
export const MAX_MANUAL_CUSTOMER_NAME = 100;

const nonBlank = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim().length > 0, { message: 'must not be empty' });

/** A phone number as typed: digits with spaces, dashes, brackets, an optional leading +; 5 to 20 digits. */
export const typedPhoneSchema = z
  .string()
  .max(40)
  .refine((s) => /^\+?[\d\s()-]+$/.test(s.trim()) && s.replace(/\D/g, '').length >= 5 && s.replace(/\D/g, '').length <= 20, {
    message: 'is not a phone number',
  });

/** The customer of a ticket made by hand: one already known (from the cache), or a new one the agent typed in. */
export const manualCustomerSchema = z.discriminatedUnion('kind', [
  /** A real (server-numbered) customer; the server checks the creator may see them. */
  z.object({ kind: z.literal('existing'), customerId: customerIdSchema.refine((id) => !isProvisionalCustomerId(id), { message: 'is provisional' }) }),
  /**
   * A new customer: a name and a phone or an email. What the agent typed is a CLAIM (the
   * customer said it), never a proven identity: it matches nobody and is shown unverified.
   */
  z
    .object({
      kind: z.literal('new'),
      customerId: provisionalCustomerIdSchema,
      name: nonBlank(MAX_MANUAL_CUSTOMER_NAME),
      phone: typedPhoneSchema.nullable(),
      email: z.email().max(320).nullable(),
    })
    .refine((c) => c.phone !== null || c.email !== null, { message: 'needs a phone or an email', path: ['phone'] }),
]);
export type ManualCustomer = z.infer<typeof manualCustomerSchema>;

/** The `createTicket` mutation (shared/sync.ts mutationSchema): the ticket as the agent made it, under its provisional id. */
export const createTicketMutationSchema = z.object({
  mutationId: entityIdSchema,
  kind: z.literal('createTicket'),
  /** The provisional id the workstation shows until the ack names the GD id; later mutations name it too. */
  ticketId: provisionalTicketIdSchema,
  customer: manualCustomerSchema,
  channel: channelSchema,
  type: ticketTypeSchema,
  priority: prioritySchema,
  subject: nonBlank(MAX_SUBJECT_LENGTH),
  /** The first internal note: what the customer asked, what was said on the phone or at the desk. */
  noteId: entityIdSchema,
  note: textSchema,
  /** false: the creator holds it (default); true: it goes to its channel's queue and routing offers it. */
  toQueue: z.boolean(),
  createdAt: z.number().int().nonnegative(),
});
export type CreateTicketMutation = z.infer<typeof createTicketMutationSchema>;

/**
 * The channels a user may create a ticket on: leads and admins any; an agent the channels they
 * serve, plus `phone` always — a walk-in, a care call or a call taken during an outage is a
 * voice contact every agent may record, even one who works only chat (product.md: during
 * outages agents keep working, whatever their channel).
 */
export function mayCreateOnChannel(actor: { role: Role; channels: readonly Channel[] }, channel: Channel): boolean {
  return actor.role !== 'agent' || channel === 'phone' || actor.channels.includes(channel);
}

/** Where the server put a created ticket: its GD id and its customer's id (the ack's `created`). */
export const createdTicketIdsSchema = z.object({ ticketId: ticketIdSchema, customerId: customerIdSchema });
export type CreatedTicketIds = z.infer<typeof createdTicketIdsSchema>;

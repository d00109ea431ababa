/**
 * Collision on a ticket: who else is viewing it or typing a reply on it, live. A workstation
 * says which ticket it shows and whether its user is typing (`ticket:presence`, no ack,
 * ephemeral); the server keeps that on the socket itself (socket.io rooms per ticket and
 * `socket.data`, which `fetchSockets` reads on every node) and tells each socket viewing the
 * ticket — only those whose user may see it — the names of everyone there. Names only: no
 * text of what anyone types.
 */
import { z } from 'zod';
import { entityIdSchema, ticketIdSchema } from './domain.js';

/** A typing signal holds this long unless renewed: a closed laptop stops "typing" by itself. */
export const TICKET_TYPING_TTL_MS = 8_000;
/** A workstation renews "typing" at most this often while the text keeps changing; the server drops faster repeats. */
export const TICKET_TYPING_THROTTLE_MS = 2_000;
/** Most viewers one roster names (a ticket with more is a war room; the count still shows). */
export const MAX_TICKET_VIEWERS = 50;

/** What this workstation shows: a ticket (or none), and whether its user is typing a reply there. */
export const ticketPresenceRequestSchema = z
  .object({
    ticketId: ticketIdSchema.nullable(),
    typing: z.boolean(),
  })
  .strict();
export type TicketPresenceRequest = z.infer<typeof ticketPresenceRequestSchema>;

export const ticketViewerSchema = z.object({
  userId: entityIdSchema,
  name: z.string().max(200),
  typing: z.boolean(),
});
export type TicketViewer = z.infer<typeof ticketViewerSchema>;

/** Everyone viewing a ticket now (the recipient included: the workstation leaves itself out). */
export const ticketPresenceEventSchema = z.object({
  ticketId: ticketIdSchema,
  viewers: z.array(ticketViewerSchema).max(MAX_TICKET_VIEWERS),
  /** Viewers in all, when more than the list names. */
  count: z.number().int().nonnegative(),
});
export type TicketPresenceEvent = z.infer<typeof ticketPresenceEventSchema>;

/**
 * Revealing masked personal data (shared/masking.ts) and the audit of who did: the socket
 * requests `pii:reveal` (anyone, for what they may see; every answer is audited) and
 * `pii:audit` (leads and admins), answered through acks like the routing requests. The core
 * carries them as the RPC methods `pii.reveal` / `pii.audit`, online only; a revealed value
 * lives in the renderer's memory and is never written to the workstation's cache.
 */
import { z } from 'zod';
import { customerIdentitySchema, entityIdSchema, messageSchema, noteSchema, roleSchema, ticketIdSchema } from './domain.js';

/** What can be revealed: a customer field, the ticket's subject, one message or note, or a call's numbers. */
export const PII_FIELDS = [
  'customerName',
  'customerPhone',
  'customerEmail',
  'customerSocialId',
  'customerIdentities',
  'subject',
  'message',
  'note',
  'call',
] as const;
export const piiFieldSchema = z.enum(PII_FIELDS);
export type PiiField = z.infer<typeof piiFieldSchema>;

/** The customer fields: an audit of one ticket also lists these reveals made through the customer's other tickets. */
export const CUSTOMER_PII_FIELDS: readonly PiiField[] = ['customerName', 'customerPhone', 'customerEmail', 'customerSocialId', 'customerIdentities'];

const callIdSchema = z.string().min(1).max(200);

function ticketField<F extends PiiField>(field: F) {
  return z.object({ field: z.literal(field), ticketId: ticketIdSchema }).strict();
}

export const piiRevealRequestSchema = z.discriminatedUnion('field', [
  ticketField('customerName'),
  ticketField('customerPhone'),
  ticketField('customerEmail'),
  ticketField('customerSocialId'),
  ticketField('customerIdentities'),
  ticketField('subject'),
  z.object({ field: z.literal('message'), ticketId: ticketIdSchema, messageId: entityIdSchema }).strict(),
  z.object({ field: z.literal('note'), ticketId: ticketIdSchema, noteId: entityIdSchema }).strict(),
  /** A call on this agent's screen (it may have no ticket yet while it rings). */
  z.object({ field: z.literal('call'), callId: callIdSchema }).strict(),
]);
export type PiiRevealRequest = z.infer<typeof piiRevealRequestSchema>;

/** The clear value(s), in the shape of the field. */
export const piiRevealResultSchema = z.discriminatedUnion('field', [
  z.object({ field: z.literal('customerName'), value: z.string() }),
  z.object({ field: z.literal('customerPhone'), value: z.string().nullable() }),
  z.object({ field: z.literal('customerEmail'), value: z.string().nullable() }),
  z.object({ field: z.literal('customerSocialId'), value: z.string().nullable() }),
  z.object({ field: z.literal('customerIdentities'), identities: z.array(customerIdentitySchema) }),
  z.object({ field: z.literal('subject'), subject: z.string(), lastMessagePreview: z.string() }),
  z.object({ field: z.literal('message'), message: messageSchema }),
  z.object({ field: z.literal('note'), note: noteSchema }),
  z.object({ field: z.literal('call'), from: z.string(), to: z.string() }),
]);
export type PiiRevealResult = z.infer<typeof piiRevealResultSchema>;

/** One reveal: who, as what role, what, on which ticket and customer, when. */
export const piiAuditEntrySchema = z.object({
  id: z.number().int().positive(),
  at: z.number().int().nonnegative(),
  userId: entityIdSchema,
  userName: z.string().max(100),
  role: roleSchema,
  ticketId: ticketIdSchema.nullable(),
  customerId: z.string().max(64).nullable(),
  field: piiFieldSchema,
  /** The message, note or call revealed; null for the other fields. */
  targetId: z.string().max(200).nullable(),
});
export type PiiAuditEntry = z.infer<typeof piiAuditEntrySchema>;

export const piiAuditRequestSchema = z.object({ ticketId: ticketIdSchema }).strict();
export type PiiAuditRequest = z.infer<typeof piiAuditRequestSchema>;

/** Most entries one audit answer lists (newest first). */
export const MAX_PII_AUDIT_ENTRIES = 200;

export const piiAuditResultSchema = z.object({ entries: z.array(piiAuditEntrySchema).max(MAX_PII_AUDIT_ENTRIES) });
export type PiiAuditResult = z.infer<typeof piiAuditResultSchema>;

/** A key naming one revealable value, so the renderer can keep what was revealed per value. */
export function piiRevealKey(request: PiiRevealRequest): string {
  switch (request.field) {
    case 'message':
      return `message:${request.messageId}`;
    case 'note':
      return `note:${request.noteId}`;
    case 'call':
      return `call:${request.callId}`;
    default:
      return `${request.field}:${request.ticketId}`;
  }
}

/**
 * Which ticket an inbound mail belongs to. Our outbound Message-IDs carry the ticket id
 * (`<GD20241108001.<message uuid>@<domain>>`) and our subjects a `[GD…]` tag, so a reply
 * finds its ticket from In-Reply-To, then References (newest first), then the subject tag.
 * Ids of the customer's own earlier mails are looked up among the stored messages.
 */
import type { Message, Ticket } from '../../../shared/domain.js';
import { defaultReplySubject, replySubjectError, subjectWithTicketTag } from '../../../shared/replySubject.js';
import type { ServerStore } from '../../store.js';
import type { InboundMail } from './parseMail.js';

const TICKET_ID = 'GD\\d{11,}';
const SUBJECT_TAG = new RegExp(`\\[(${TICKET_ID})\\]`);
const REPLY_PREFIX = /^\s*((re|fw|fwd|aw|sv|回复|回覆|答复|转发|轉寄)\s*[:：]\s*)+/i;

/** The Message-ID of one of our outbound mails. */
export function outboundMessageId(ticketId: string, messageId: string, domain: string): string {
  return `<${ticketId}.${messageId}@${domain}>`;
}

/** The ticket id and message id inside one of our own Message-IDs; null for anybody else's. */
export function ownMessageIdParts(messageId: string, domain: string): { ticketId: string; messageId: string } | null {
  const match = new RegExp(`^<(${TICKET_ID})\\.([^@<>]+)@([^<>]+)>$`).exec(messageId.trim());
  return match && match[3]!.toLowerCase() === domain.toLowerCase() ? { ticketId: match[1]!, messageId: match[2]! } : null;
}

/** The ticket id inside one of our own Message-IDs; null for anybody else's. */
export function ticketIdFromOwnMessageId(messageId: string, domain: string): string | null {
  return ownMessageIdParts(messageId, domain)?.ticketId ?? null;
}

/** True when a Message-ID was made by us (our domain). */
export function isOwnMessageId(messageId: string, domain: string): boolean {
  return ticketIdFromOwnMessageId(messageId, domain) !== null;
}

export function ticketIdFromSubject(subject: string): string | null {
  return SUBJECT_TAG.exec(subject)?.[1] ?? null;
}

/** `Re: <subject> [GD…]`, without piling up prefixes or tags from earlier rounds (shared so the composer shows it). */
export function replySubject(ticketSubject: string, ticketId: string): string {
  return defaultReplySubject(ticketSubject, ticketId);
}

/**
 * The Subject header of an outbound reply: the agent's own subject when the message has one
 * (with the ticket's `[GD…]` tag appended when it lacks it, so the customer's answer still
 * threads by subject), else the default. A stored subject that is not a valid header value
 * (it never should be: the mutation schema refuses it) falls back to the default.
 */
export function outboundSubject(message: Pick<Message, 'subject'>, ticket: Pick<Ticket, 'id' | 'subject'>): string {
  const own = message.subject ?? null;
  if (own === null || replySubjectError(own) !== null) return replySubject(ticket.subject, ticket.id);
  return subjectWithTicketTag(own.trim(), ticket.id);
}

/** The subject without reply prefixes and our tag: what a ticket opened by this mail is called. */
export function ticketSubjectOf(subject: string): string {
  return subject
    .replace(new RegExp(`\\s*\\[${TICKET_ID}\\]\\s*`, 'g'), ' ')
    .replace(REPLY_PREFIX, '')
    .trim();
}

export interface ThreadMatch {
  ticketId: string;
  via: 'in-reply-to' | 'references' | 'subject';
}

/**
 * The ticket this mail answers, or null for a new conversation. A subject tag alone counts
 * only when the ticket's customer has the sender's address: anyone can type a tag, but
 * only a participant has the Message-IDs.
 */
export async function findThread(mail: InboundMail, store: ServerStore, domain: string): Promise<ThreadMatch | null> {
  const byIds = async (ids: readonly string[]): Promise<string | null> => {
    for (const id of ids) {
      // Ticket ids are a date and a counter and our domain is public, so `<GD….x@domain>` is easy to type: it
      // counts only when it names a reply we sent on that ticket (its message id, a UUID, is what a participant holds).
      const own = ownMessageIdParts(id, domain);
      if (own && (await store.getTicketBundle(own.ticketId))?.messages.some((m) => m.id === own.messageId && m.direction === 'outbound')) {
        return own.ticketId;
      }
      const stored = await store.findTicketByExternalMessageIds('email', [id]);
      if (stored) return stored;
    }
    return null;
  };
  const replied = await byIds(mail.inReplyTo);
  if (replied) return { ticketId: replied, via: 'in-reply-to' };
  const referenced = await byIds([...mail.references].reverse());
  if (referenced) return { ticketId: referenced, via: 'references' };
  const tagged = ticketIdFromSubject(mail.subject);
  if (tagged) {
    const ticket = await store.getTicket(tagged);
    const customer = ticket ? await store.getCustomer(ticket.customerId) : null;
    const sender = mail.from.address.toLowerCase();
    const known = customer ? [customer.email, ...customer.identities.filter((identity) => identity.kind === 'email').map((identity) => identity.value)] : [];
    if (known.some((address) => address?.toLowerCase() === sender)) return { ticketId: tagged, via: 'subject' };
  }
  return null;
}

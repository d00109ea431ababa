/**
 * The web chat contract: what the customer's widget and the server say to each other on
 * the socket.io namespace `/webchat`, and the ephemeral chat signals (typing, read
 * watermark) the server passes to agents on the sync socket and the core passes to the
 * renderer. Typing and read marks are never stored. See docs/technical/channels.md (Web chat).
 */
import { z } from 'zod';
import type { CsatRefusal, WebchatRate } from './csat.js';
import { entityIdSchema, textSchema, ticketIdSchema } from './domain.js';

/** The socket.io namespace of the widget, on the server's own port. */
export const WEBCHAT_NAMESPACE = '/webchat';

/** A site name becomes part of a message source (`webchat:<site>`), so it keeps to that alphabet. */
export const webchatSiteSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'is not a site name (letters, digits, _ . -, at most 32)' });

/** The anonymous visitor's random id, kept in the browser's localStorage. */
export const visitorIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, { message: 'is not a visitor id (16–64 letters, digits, _ or -)' });

/** The site's own user id of a signed-in visitor; no `#`, `/` or `:` so it can sit inside ids. */
export const siteUserIdSchema = z.string().regex(/^[A-Za-z0-9_.@+-]{1,128}$/, { message: 'is not a user id (letters, digits, _ . @ + -, at most 128)' });

/** The id the widget gives each message, so a resend after a lost ack is recognised. */
export const clientMessageIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { message: 'is not a client message id (8–64 letters, digits, _ or -)' });

const visitorNameSchema = z.string().trim().min(1).max(100);
const visitorEmailSchema = z.email({ message: 'is not an email address' }).max(320);
/** A signed name is checked exactly as sent (no trimming before the HMAC), so it must not start or end with blanks. */
const signedNameSchema = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => s.trim() === s && s.length > 0, { message: 'must not be empty or start or end with blanks' });

/**
 * How long a signed identity may be valid: its `exp` is at most this far ahead of the server's
 * clock (plus WEBCHAT_IDENTITY_CLOCK_SKEW_MS for clocks apart). A signature that never expired
 * could be replayed forever, and planted in a victim's browser (a link to the chat page with
 * someone else's identity: login CSRF); a short-lived one only while it is fresh.
 */
export const WEBCHAT_IDENTITY_MAX_LIFETIME_MS = 10 * 60 * 1000;
/** How far the site's clock may run ahead of the server's when it sets `exp`. */
export const WEBCHAT_IDENTITY_CLOCK_SKEW_MS = 60 * 1000;

/**
 * A visitor the site vouches for: `signature` is the hex HMAC-SHA256, keyed with the site's
 * secret, of `webchatIdentityPayload(identity)` — the user id, email, expiry and name together —
 * computed by the site's backend (the secret never reaches the browser). `exp`: when the
 * signature stops being accepted, Unix time in seconds, at most 10 minutes ahead.
 */
export const webchatIdentitySchema = z
  .object({
    userId: siteUserIdSchema,
    name: signedNameSchema.optional(),
    email: visitorEmailSchema.optional(),
    exp: z.number({ message: 'is required: the expiry (Unix seconds) the site signed' }).int().min(1).max(99_999_999_999),
    signature: z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'is not a hex HMAC-SHA256' }),
  })
  .strict();
export type WebchatIdentity = z.infer<typeof webchatIdentitySchema>;

/** What a site signs: the identity without its signature. */
export interface WebchatIdentityClaims {
  userId: string;
  email?: string | undefined;
  name?: string | undefined;
  /** Unix time in seconds. */
  exp: number;
}

/**
 * The one canonical text a site signs:
 * `userId + "\n" + (email ?? "") + "\n" + exp + "\n" + (name ?? "")`, as UTF-8, `exp` in decimal.
 * Unambiguous because neither a user id, an email nor a number can contain a line break, and
 * the name comes last. Changing any of the four after signing breaks the signature.
 */
export function webchatIdentityPayload(identity: WebchatIdentityClaims): string {
  return `${identity.userId}\n${identity.email ?? ''}\n${String(identity.exp)}\n${identity.name ?? ''}`;
}

/** The handshake `auth` of a widget connection. */
export const webchatHandshakeSchema = z
  .object({
    site: webchatSiteSchema,
    visitorId: visitorIdSchema,
    identity: webchatIdentitySchema.optional(),
  })
  .strict();
export type WebchatHandshake = z.infer<typeof webchatHandshakeSchema>;

/**
 * Why a widget connection or request was refused (the connect_error's `data.code`, or an ack's
 * error code). `origin_not_allowed`: the page embedding the widget is not on the site's list;
 * `rate_limited`: too many messages or new conversations, try again after `retryAfterMs`.
 */
export const WEBCHAT_ERROR_CODES = [
  'invalid_request',
  'unknown_site',
  'origin_not_allowed',
  'invalid_signature',
  /** The signed identity's `exp` has passed: the site must sign a fresh one (a link or page with an old one is a replay). */
  'identity_expired',
  /** The signed identity's `exp` is more than WEBCHAT_IDENTITY_MAX_LIFETIME_MS ahead: refused, so no signature lives long. */
  'identity_expiry_too_far',
  'rate_limited',
  /**
   * Too many widget connections from the visitor's network address (server/connectionLimits.ts):
   * not the visitor's fault and not for good; the widget tries again after `retryAfterMs`, backing off.
   */
  'too_many_connections',
  'not_found',
  /** An administrator switched the chat channel off: nothing was stored; the widget says the chat is unavailable. */
  'channel_unavailable',
  'internal',
] as const;
export type WebchatErrorCode = (typeof WEBCHAT_ERROR_CODES)[number];

export interface WebchatError {
  code: WebchatErrorCode;
  message: string;
  /** With `rate_limited` and `too_many_connections`: how long until the same request would be accepted (at least). */
  retryAfterMs?: number;
}

export type WebchatAck<T> = { ok: true; result: T } | { ok: false; error: WebchatError };

/**
 * One line of the conversation as the visitor sees it: their own messages and the agent
 * replies that answered them (internal notes, agent ids and anything else on the ticket never leave the server).
 */
export interface WebchatMessage {
  id: string;
  ticketId: string;
  /** The widget's own id for the visitor's messages; null for agent replies. */
  clientMessageId: string | null;
  from: 'visitor' | 'agent';
  authorName: string;
  text: string;
  createdAt: number;
  /** Files of the message (an agent's reply with attachments); absent from an older server = none. */
  attachments?: WebchatAttachment[];
}

/**
 * A file the widget shows: a download link, and a thumbnail for raster images. The `url` is
 * signed for this visitor and this file and expires (`WEBCHAT_FILE_LINK_TTL_MS`); a widget
 * reconnecting gets fresh ones with its history.
 */
export interface WebchatAttachment {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  url: string;
  thumbnail: boolean;
}

/** How long a signed file link in the widget stays valid. */
export const WEBCHAT_FILE_LINK_TTL_MS = 12 * 60 * 60 * 1000;

/** What the widget learns when it (re)connects. */
export interface WebchatWelcome {
  /** The newest messages of this visitor's conversations on this site, oldest first. */
  history: WebchatMessage[];
  /**
   * Someone will answer a new chat: an available agent with the chat skill is signed in (with
   * no room now, the chat waits in the queue and the widget shows `webchat:queue`), or this
   * visitor's conversation is still open; otherwise the widget offers the offline form.
   */
  agentsAvailable: boolean;
  /** An administrator switched the chat channel off: the widget says so and takes no message (the history stays readable). */
  chatUnavailable: boolean;
  verified: boolean;
  /**
   * A verified identity's name and email; for an anonymous visitor, the name they last gave
   * in the offline form and never an email (the server does not tell a browser an address it holds).
   */
  name: string | null;
  email: string | null;
}

/**
 * What a widget can do beyond the first version's protocol, announced in its hello. `receipts`:
 * it acknowledges each `webchat:message` (socket.io ack, `webchatReceiptSchema`) and reports the
 * agent replies of its history (`webchat:received`), and the server records a reply `sent` only
 * on that word. A widget announcing nothing (an older one still cached in a page) keeps the old
 * rule: `sent` when the reply is emitted to it, and a returning visitor's undelivered replies
 * `sent` when its history is sent.
 */
export const WEBCHAT_CAPABILITIES = ['receipts'] as const;
export type WebchatCapability = (typeof WEBCHAT_CAPABILITIES)[number];

export const webchatHelloSchema = z
  .object({
    /** Absent from an older widget: none. */
    capabilities: z
      .array(z.enum(WEBCHAT_CAPABILITIES))
      .max(WEBCHAT_CAPABILITIES.length * 2)
      .optional(),
  })
  .strict();
export type WebchatHello = z.infer<typeof webchatHelloSchema>;

/** A receipts widget's answer to a live `webchat:message` (the socket.io ack): the id of the message it now shows. */
export const webchatReceiptSchema = z.object({ messageId: entityIdSchema }).strict();
export type WebchatReceipt = z.infer<typeof webchatReceiptSchema>;

/** Agent replies a receipts widget received in its history (`webchat:received`); at most a history's worth. */
export const WEBCHAT_MAX_RECEIVED_IDS = 200;
export const webchatReceivedSchema = z.object({ messageIds: z.array(entityIdSchema).min(1).max(WEBCHAT_MAX_RECEIVED_IDS) }).strict();
export type WebchatReceived = z.infer<typeof webchatReceivedSchema>;

export const webchatSendSchema = z
  .object({
    clientMessageId: clientMessageIdSchema,
    text: textSchema.refine((s) => s.length <= 5000, { message: 'must be at most 5000 characters' }),
  })
  .strict();
export type WebchatSend = z.infer<typeof webchatSendSchema>;

/** The offline form: who to answer by email, and the question. */
export const webchatOfflineSchema = z
  .object({
    clientMessageId: clientMessageIdSchema,
    name: visitorNameSchema,
    email: visitorEmailSchema,
    text: textSchema.refine((s) => s.length <= 5000, { message: 'must be at most 5000 characters' }),
  })
  .strict();
export type WebchatOffline = z.infer<typeof webchatOfflineSchema>;

export interface WebchatSent {
  ticketId: string;
  messageId: string;
  /** The same clientMessageId was stored before (a resend); nothing new was stored. */
  duplicate: boolean;
}

export const webchatTypingSchema = z.object({ typing: z.boolean() }).strict();
export type WebchatTyping = z.infer<typeof webchatTypingSchema>;

/** The newest agent message the widget has shown to the visitor. */
export const webchatReadSchema = z.object({ ticketId: ticketIdSchema, messageId: entityIdSchema }).strict();
export type WebchatRead = z.infer<typeof webchatReadSchema>;

/** Widget → server events; every one with an ack except typing (and read, which may have one). */
export interface WebchatClientToServerEvents {
  'webchat:hello': (request: z.input<typeof webchatHelloSchema>, ack: (response: WebchatAck<WebchatWelcome>) => void) => void;
  'webchat:send': (request: WebchatSend, ack: (response: WebchatAck<WebchatSent>) => void) => void;
  'webchat:offline': (request: z.input<typeof webchatOfflineSchema>, ack: (response: WebchatAck<WebchatSent>) => void) => void;
  'webchat:typing': (request: WebchatTyping) => void;
  'webchat:read': (request: WebchatRead, ack?: (response: WebchatAck<{ ticketId: string }>) => void) => void;
  /** A receipts widget: these agent replies of its history are on its screen (ack optional): `marked` of them were not yet recorded sent and now are. */
  'webchat:received': (request: WebchatReceived, ack?: (response: WebchatAck<{ marked: number }>) => void) => void;
  /** The rating card's answer (shared/csat.ts): thanks with the feedback id, or why it was not taken. */
  'webchat:rate': (request: WebchatRate, ack: (response: WebchatAck<WebchatRated>) => void) => void;
}

/**
 * A waiting visitor's place in the chat queue, in routing's order (overdue first, then
 * priority, SLA due time, age) over every queued chat: a chat only one group can answer may
 * in fact wait longer or shorter. `estimatedWaitMs` is null when no chat left the queue lately.
 */
export const webchatQueuePlaceSchema = z
  .object({
    position: z.number().int().positive(),
    estimatedWaitMs: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type WebchatQueuePlace = z.infer<typeof webchatQueuePlaceSchema>;

/** How far back the chats that left the queue are counted for the estimate. */
export const QUEUE_RATE_WINDOW_MS = 30 * 60 * 1000;

/**
 * The wait of the `position`-th chat at the pace the queue moved lately: `servedInWindow`
 * chats taken by agents in the last `windowMs`. Null (not "0 minutes") when nothing moved.
 */
export function estimateQueueWait(position: number, servedInWindow: number, windowMs: number = QUEUE_RATE_WINDOW_MS): number | null {
  if (servedInWindow <= 0) return null;
  return Math.round((position * windowMs) / servedInWindow);
}
/** What the widget's rating card shows after an answer: `thanks` (with the feedback id) or a CSAT refusal. */
export type WebchatRated = { outcome: 'thanks'; feedbackId: string } | { outcome: CsatRefusal };

/** Server → widget events. */
export interface WebchatServerToClientEvents {
  /** An agent's reply (to a receipts widget with an ack it answers once it shows it), or the visitor's own message sent from another tab. */
  'webchat:message': (message: WebchatMessage, ack?: (receipt: WebchatReceipt) => void) => void;
  'webchat:typing': (typing: { typing: boolean; agentName: string }) => void;
  'webchat:availability': (availability: { agentsAvailable: boolean; chatUnavailable: boolean }) => void;
  /** The visitor's conversation waits in the queue at this place; null once an agent has it (or it never waited). */
  'webchat:queue': (place: WebchatQueuePlace | null) => void;
}

// ---------------------------------------------------------------------------------------
// Agent side: server → core on the sync socket, core → renderer as RPC events.

/** The visitor of a chat ticket started or stopped typing. */
export const chatTypingEventSchema = z.object({
  ticketId: ticketIdSchema,
  typing: z.boolean(),
  at: z.number().int().nonnegative(),
});
export type ChatTypingEvent = z.infer<typeof chatTypingEventSchema>;

/** The visitor has seen the agent messages of the ticket up to and including `messageId`. */
export const chatReadEventSchema = z.object({
  ticketId: ticketIdSchema,
  messageId: entityIdSchema,
  /** The read message's createdAt: every outbound message at or before it (by time, then id) is read. */
  messageCreatedAt: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
});
export type ChatReadEvent = z.infer<typeof chatReadEventSchema>;

/** Read marks a workstation keeps (core and renderer alike), newest marked first to stay: every chat of the day reaches a lead. */
export const MAX_READ_MARKS = 2_000;

/** Core → server: the agent is typing a reply to the visitor (fire and forget). */
export const agentTypingRequestSchema = z.object({ ticketId: ticketIdSchema, typing: z.boolean() }).strict();
export type AgentTypingRequest = z.infer<typeof agentTypingRequestSchema>;

/** A visitor typing signal older than this is stale (the widget repeats it while typing). */
export const CHAT_TYPING_TTL_MS = 8_000;

/** Whether an outbound message is at or before the read mark (same order as the timeline: time, then id). */
export function isReadUpTo(message: { createdAt: number; id: string }, mark: { messageId: string; messageCreatedAt: number }): boolean {
  return message.createdAt < mark.messageCreatedAt || (message.createdAt === mark.messageCreatedAt && message.id <= mark.messageId);
}

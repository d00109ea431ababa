/**
 * The server's HTTP API (public contract, documented in the README): request schemas,
 * response shapes, and the one error body every endpoint uses.
 */
import { z } from 'zod';
import type { AttachmentRefusal, ReplyAttachment } from './attachments.js';
import {
  MAX_CLOCK_SKEW_MS,
  MAX_SUBJECT_LENGTH,
  channelSchema,
  isPlausibleTime,
  entityIdSchema,
  textSchema,
  ticketStatusSchema,
  type Channel,
  type Ticket,
  type TicketBundle,
  type User,
} from './domain.js';

export const DEFAULT_SERVER_PORT = 4780;
export const DEFAULT_WORKSTATION_PORT = 4781;

/**
 * Every HTTP error: a code, a human sentence, for 400s each bad field by its path, and for
 * 429s how long to wait (also sent as `Retry-After` in seconds).
 */
export interface ApiErrorBody {
  error: {
    code:
      | 'invalid_request'
      | 'unauthorized'
      | 'forbidden'
      | 'not_found'
      | 'payload_too_large'
      | 'rate_limited'
      | 'channel_unavailable'
      | 'attachment_refused'
      | 'conflict'
      | 'reserved_external_id'
      | 'internal';
    message: string;
    /** With `attachment_refused`: which rule of shared/attachments.ts, for the UI to say in its language. */
    refusal?: AttachmentRefusal;
    fields?: Array<{ path: string; message: string }>;
    retryAfterMs?: number;
  };
}

export const loginRequestSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(200),
  /** The signing-in workstation's stable id; the token then works only for sockets of that client. */
  clientId: entityIdSchema.optional(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** `PUT /api/v1/uploads/:id` (a file for a reply; body = the bytes, `X-File-Name` = the name percent-encoded): what the server keeps. */
export interface UploadResponse {
  attachment: ReplyAttachment;
  /** False when these bytes were already uploaded under this id (a retry). */
  created: boolean;
}

/** `POST /api/v1/auth/logout`: whether this call revoked the token (false: it was already gone). */
export interface LogoutResponse {
  revoked: boolean;
}

export interface LoginResponse {
  token: string;
  expiresAt: number;
  user: User;
}

const optionalTrimmed = (max: number) => z.string().trim().min(1).max(max).optional();

export const inboundContactSchema = z
  .object({
    channel: channelSchema,
    customer: z
      .object({
        name: optionalTrimmed(200),
        phone: z
          .string()
          .trim()
          .regex(/^\+?[0-9 ()-]{3,30}$/, { message: 'is not a phone number' })
          .optional(),
        email: z.email({ message: 'is not an email address' }).max(320).optional(),
        socialId: optionalTrimmed(200),
      })
      .strict(),
    subject: z.string().trim().max(MAX_SUBJECT_LENGTH).optional(),
    text: textSchema,
    externalMessageId: z.string().trim().min(1).max(500).optional(),
    receivedAt: z.iso.datetime({ offset: true, message: 'is not an ISO 8601 date-time' }).optional(),
  })
  .strict()
  .refine((c) => c.customer.phone ?? c.customer.email ?? c.customer.socialId ?? c.customer.name, {
    message: 'must identify the customer by at least one of name, phone, email, socialId',
    path: ['customer'],
  });
export type InboundContact = z.infer<typeof inboundContactSchema>;

/**
 * The form of the server's own web chat message ids (`webchat:<site>:<visitor>#<client id>`):
 * an integration that sends one is mistaken about whose id it holds (its own ids are stored
 * under `api:<integration>:`, so it could not meet a visitor's anyway), and is told so with a
 * code it can act on: `POST /api/v1/inbound` refuses it (`reserved_external_id`).
 */
export const WEBCHAT_EXTERNAL_ID_PREFIX = 'webchat:';

/**
 * Why an inbound contact's `receivedAt` cannot be stored, or null when it can: it must lie
 * between 2000-01-01 and a few minutes after the server's clock (`now`).
 */
export function receivedAtIssue(receivedAt: string, now: number): string | null {
  if (isPlausibleTime(Date.parse(receivedAt), now)) return null;
  return `must be between 2000-01-01T00:00:00Z and ${String(MAX_CLOCK_SKEW_MS / 60_000)} minutes after the server's time (${new Date(now).toISOString()})`;
}

export interface InboundResponse {
  ticketId: string;
  messageId: string;
  /** True when this contact opened a new ticket, false when it joined one (or was a repeat). */
  created: boolean;
  /** True when the externalMessageId was seen before and nothing was stored. */
  duplicate: boolean;
}

export const ticketListQuerySchema = z.object({
  status: ticketStatusSchema.optional(),
  channel: channelSchema.optional(),
  /** Customer id, or a substring of the customer's name, phone or email. */
  customer: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque cursor from the previous page's `next`. */
  cursor: z.string().max(200).optional(),
});
export type TicketListQuery = z.infer<typeof ticketListQuerySchema>;

export interface TicketListResponse {
  tickets: Ticket[];
  next: string | null;
}

export type TicketDetailResponse = TicketBundle;

export type ChannelCounts = Record<Channel, number>;

/**
 * Social channels' wire formats: the fields of a WeChat official account's pushed message
 * (after XML parsing), and the generic signed webhook for Weibo/Douyin/other platforms and
 * integrations (its request body, the reply it sends back, and the signature headers).
 * The byte-level rules (signatures, encryption) are in docs/technical/channels.md.
 */
import { z } from 'zod';
import { MAX_SUBJECT_LENGTH, channelSchema, textSchema } from './domain.js';
import { inboundContactSchema } from './httpApi.js';

/** A WeChat OpenID (28 URL-safe base64 characters today; allow some room). */
export const wechatOpenIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'is not a WeChat OpenID' });

const field = (max: number) => z.string().max(max).optional();

/**
 * The top-level fields of one pushed WeChat message or event we read. WeChat adds fields over
 * time; unknown ones are dropped, and nested ones (ScanCodeInfo…) are never read.
 */
export const wechatPushSchema = z.object({
  ToUserName: z.string().min(1).max(64),
  FromUserName: wechatOpenIdSchema,
  CreateTime: z.string().regex(/^\d{1,12}$/, { message: 'is not a Unix time' }),
  MsgType: z.string().min(1).max(32),
  MsgId: z
    .string()
    .regex(/^\d{1,24}$/, { message: 'is not a WeChat MsgId' })
    .optional(),
  Content: field(20_000),
  PicUrl: field(2_000),
  MediaId: field(200),
  Format: field(20),
  Recognition: field(20_000),
  ThumbMediaId: field(200),
  Location_X: field(32),
  Location_Y: field(32),
  Scale: field(16),
  Label: field(500),
  Title: field(500),
  Description: field(2_000),
  Url: field(2_000),
  Event: field(64),
  EventKey: field(500),
});
export type WechatPush = z.infer<typeof wechatPushSchema>;

/** Platform names in `/channels/webhook/:platform` and in the source `webhook:<platform>`. */
export const webhookPlatformSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: 'is not a platform name like weibo' });

/**
 * Optional header naming one delivery, for the logs (the signature does not cover it; a replay
 * is recognised by the signed `externalMessageId`). Our reply callbacks set it to our message id.
 * The signature headers are in server/channels/signature.ts.
 */
export const WEBHOOK_DELIVERY_HEADER = 'x-omnidesk-delivery';

/**
 * The body of `POST /channels/webhook/:platform`. Like `POST /api/v1/inbound`, except that the
 * channel defaults to `social` and `externalMessageId` is required: it is what makes a replayed
 * delivery a no-op.
 */
export const webhookContactSchema = z
  .object({
    channel: channelSchema.default('social'),
    customer: inboundContactSchema.shape.customer,
    subject: z.string().trim().max(MAX_SUBJECT_LENGTH).optional(),
    text: textSchema,
    externalMessageId: z.string().trim().min(1).max(200),
    receivedAt: z.iso.datetime({ offset: true, message: 'is not an ISO 8601 date-time' }).optional(),
  })
  .strict()
  .refine((c) => c.customer.phone ?? c.customer.email ?? c.customer.socialId ?? c.customer.name, {
    message: 'must identify the customer by at least one of name, phone, email, socialId',
    path: ['customer'],
  });
export type WebhookContact = z.infer<typeof webhookContactSchema>;

/** What `POST /channels/webhook/:platform` answers (201 stored, 200 a repeat that stored nothing). */
export interface WebhookContactResponse {
  ticketId: string;
  messageId: string;
  created: boolean;
  duplicate: boolean;
}

/** The body we POST (signed like an inbound request) to a platform's callback URL for an agent's reply. */
export const webhookReplySchema = z.object({
  platform: webhookPlatformSchema,
  /** Our message id; also sent as the delivery header, so the receiver can drop repeats. */
  messageId: z.string().min(1).max(64),
  ticketId: z.string().min(1).max(64),
  /** The customer as the platform knows them (the socialId they sent, without our `<platform>:` prefix), when known. */
  customer: z.object({ id: z.string(), name: z.string(), socialId: z.string().nullable(), phone: z.string().nullable(), email: z.string().nullable() }),
  /** The platform's id of the customer message this answers (its latest on the ticket), when known. */
  inReplyTo: z.string().nullable(),
  text: z.string(),
  authorName: z.string(),
  createdAt: z.iso.datetime(),
});
export type WebhookReply = z.infer<typeof webhookReplySchema>;

/** What a callback may answer; `externalMessageId` becomes our message's external id. */
export const webhookReplyAckSchema = z.object({ externalMessageId: z.string().trim().min(1).max(500).optional() });

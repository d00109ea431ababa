/**
 * The generic signed webhook, for Weibo, Douyin and other platforms or integrations that
 * can POST JSON: `POST /channels/webhook/:platform`, signed with the platform's secret
 * (../signature.ts), at most 5 minutes old. A replay carries the same signed
 * `externalMessageId`, so it stores nothing and is answered 200 `duplicate: true`.
 * Agents' replies are POSTed, signed the same way, to the platform's callback URL.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inboundContactSchema } from '../../../shared/httpApi.js';
import { WEBHOOK_DELIVERY_HEADER, webhookContactSchema, webhookPlatformSchema, type WebhookContactResponse } from '../../../shared/social.js';
import { HttpError, decodeUtf8Body, invalid, readRawBody, sendJson } from '../../http.js';
import type { ChannelContext, ChannelFactory } from '../channel.js';
import { verifySignedRequest } from '../signature.js';
import { createWebhookSender } from './sender.js';

/** One platform allowed to post (docs/technical/channels.md, WEBHOOK_* variables). */
export interface WebhookPlatform {
  name: string;
  secret: string;
  /** Where agents' replies are POSTed; without it replies to this platform's customers fail with a clear reason. */
  callbackUrl?: string;
}

export interface WebhookChannelOptions {
  platforms: readonly WebhookPlatform[];
}

/** Largest webhook body; a message is text, attachments are not taken here. */
export const WEBHOOK_MAX_BODY_BYTES = 256 * 1024;

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message);
}

function singleHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (Array.isArray(value)) throw invalid(`The ${name} header is given more than once.`);
  return value ?? null;
}

/** The platform's own customer id: our stored social ids are `<platform>:<id>`, so platforms cannot collide. */
export function namespacedSocialId(platform: string, socialId: string): string {
  return socialId.startsWith(`${platform}:`) ? socialId : `${platform}:${socialId}`;
}

export function createWebhookChannel(options: WebhookChannelOptions): ChannelFactory {
  return (ctx: ChannelContext) => {
    const platforms = new Map<string, WebhookPlatform>();
    for (const platform of options.platforms) {
      if (!webhookPlatformSchema.safeParse(platform.name).success)
        throw new Error(`Webhook platform name ${JSON.stringify(platform.name)} is not like weibo (a-z, 0-9, _ and -).`);
      if (platform.secret === '') throw new Error(`Webhook platform ${platform.name} has an empty secret.`);
      if (platforms.has(platform.name)) throw new Error(`Webhook platform ${platform.name} is configured twice.`);
      platforms.set(platform.name, platform);
    }

    async function receive(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
      const platform = platforms.get(name)!;
      const delivery = singleHeader(req, WEBHOOK_DELIVERY_HEADER);
      const raw = await readRawBody(req, WEBHOOK_MAX_BODY_BYTES);
      const check = verifySignedRequest(req, raw, platform.secret, ctx.now());
      if (!check.ok) throw unauthorized(`The request is not signed correctly: ${check.reason}.`);
      let body: unknown;
      const text = decodeUtf8Body(raw);
      try {
        body = JSON.parse(text);
      } catch {
        throw invalid('The request body is not valid JSON.');
      }
      const parsed = webhookContactSchema.safeParse(body);
      if (!parsed.success) {
        throw invalid(
          'The webhook contact is not valid.',
          parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
        );
      }
      const { customer, externalMessageId, ...rest } = parsed.data;
      const checked = inboundContactSchema.safeParse({
        ...rest,
        customer: { ...customer, ...(customer.socialId ? { socialId: namespacedSocialId(name, customer.socialId) } : {}) },
        externalMessageId: `webhook:${name}:${externalMessageId}`,
      });
      if (!checked.success) {
        throw invalid(
          'The webhook contact is not valid.',
          checked.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
        );
      }
      // The signed platform proves its own user id; the phone and email in its payload are what the user told it (claims),
      // which only this platform's follow-ups recognise again.
      const stored = await ctx.ingest({ ...checked.data, source: `webhook:${name}`, proven: ['socialId'], claimScope: `webhook:${name}`, rawSource: raw });
      const ref = `${externalMessageId.slice(0, 80)}${delivery ? ` (delivery ${delivery.slice(0, 80)})` : ''}`;
      ctx.log(
        stored.duplicate
          ? `webhook ${name}: replay of ${ref}; nothing stored`
          : `webhook ${name}: ${ref} ${stored.created ? 'opened' : 'joined'} ${stored.ticketId}`,
      );
      const response: WebhookContactResponse = { ticketId: stored.ticketId, messageId: stored.messageId, created: stored.created, duplicate: stored.duplicate };
      sendJson(res, stored.duplicate ? 200 : 201, response);
    }

    const withCallback = [...platforms.values()].filter((platform) => platform.callbackUrl);
    return {
      name: 'webhook',
      routes: [
        {
          pattern: /^\/channels\/webhook\/([^/]+)$/,
          methods: {
            POST: async (req, res, _url, params) => {
              const name = webhookPlatformSchema.safeParse(params[0]).success ? params[0]! : '(invalid platform)';
              try {
                if (!platforms.has(name)) throw new HttpError(404, 'not_found', `No webhook platform ${name} is configured here.`);
                await receive(name, req, res);
              } catch (error) {
                if (error instanceof HttpError)
                  ctx.log(`webhook ${name}: refused POST from ${req.socket.remoteAddress ?? '?'}: ${String(error.status)} ${error.message}`);
                throw error;
              }
            },
          },
        },
      ],
      ...(withCallback.length > 0 ? { senders: { webhook: createWebhookSender({ platforms, store: ctx.store, now: ctx.now }) } } : {}),
    };
  };
}

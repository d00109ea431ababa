/**
 * Agent replies for webhook platforms: POSTed as JSON (shared/social.ts `WebhookReply`),
 * signed like inbound requests, to the platform's callback URL. 2xx = sent; 408, 429 and 5xx
 * or no answer = retried; any other 4xx = failed with the platform's answer as the reason.
 */
import { WEBHOOK_DELIVERY_HEADER, webhookReplyAckSchema, type WebhookReply } from '../../../shared/social.js';
import type { QueuedDelivery, ServerStore } from '../../store.js';
import { PermanentDeliveryError, type ChannelSender } from '../delivery.js';
import { signedWebhookHeaders } from '../signature.js';
import type { WebhookPlatform } from './webhookChannel.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface WebhookSenderOptions {
  platforms: ReadonlyMap<string, WebhookPlatform>;
  store: ServerStore;
  now: () => number;
}

/** The customer's id on the platform and the id of their latest message, from what the platform sent us last on this ticket. */
async function lastInbound(store: ServerStore, delivery: QueuedDelivery, platform: string): Promise<{ socialId: string | null; inReplyTo: string | null }> {
  const source = delivery.message.source;
  const inbound = (await store.getTicketBundle(delivery.ticket.id))?.messages.filter((m) => m.direction === 'inbound' && m.source === source) ?? [];
  const latest = inbound.at(-1);
  const prefix = `webhook:${platform}:`;
  const inReplyTo = latest?.externalMessageId?.startsWith(prefix) ? latest.externalMessageId.slice(prefix.length) : null;
  const raw = latest ? await store.getMessageSource(latest.id) : null;
  let socialId: string | null = null;
  try {
    const sent = raw ? (JSON.parse(raw.toString('utf8')) as { customer?: { socialId?: unknown } }) : null;
    if (typeof sent?.customer?.socialId === 'string') socialId = sent.customer.socialId.trim();
  } catch {
    // The kept body was valid JSON when it was stored; if not, the customer's own id is used.
  }
  if (socialId === null && delivery.customer.socialId?.startsWith(`${platform}:`)) socialId = delivery.customer.socialId.slice(platform.length + 1);
  return { socialId, inReplyTo };
}

export function createWebhookSender(options: WebhookSenderOptions): ChannelSender {
  const { platforms, store, now } = options;
  return {
    async send(delivery) {
      const name = delivery.message.source?.split(':')[1] ?? '';
      const platform = platforms.get(name);
      if (!platform) throw new PermanentDeliveryError(`No webhook platform ${name} is configured on this server.`);
      if (!platform.callbackUrl) throw new PermanentDeliveryError(`Webhook platform ${name} has no callback URL, so replies cannot be sent.`);
      const { message, ticket, customer } = delivery;
      const { socialId, inReplyTo } = await lastInbound(store, delivery, name);
      const reply: WebhookReply = {
        platform: name,
        messageId: message.id,
        ticketId: ticket.id,
        customer: { id: customer.id, name: customer.name, socialId, phone: customer.phone, email: customer.email },
        inReplyTo,
        text: message.text,
        authorName: message.authorName,
        createdAt: new Date(message.createdAt).toISOString(),
      };
      const body = JSON.stringify(reply);
      const response = await fetch(platform.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          [WEBHOOK_DELIVERY_HEADER]: message.id,
          ...signedWebhookHeaders(platform.secret, body, now()),
        },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const answer = await response.text();
      if (response.ok) {
        let ack: unknown = {};
        try {
          ack = answer.trim() === '' ? {} : JSON.parse(answer);
        } catch {
          // A 2xx without JSON is still a delivery; it just gives us no id.
        }
        const parsed = webhookReplyAckSchema.safeParse(ack);
        return parsed.success && parsed.data.externalMessageId ? { externalMessageId: parsed.data.externalMessageId } : {};
      }
      const reason = `${name} callback answered HTTP ${String(response.status)}${answer.trim() ? `: ${answer.trim().slice(0, 200)}` : ''}`;
      if (response.status === 408 || response.status === 429 || response.status >= 500) throw new Error(reason);
      throw new PermanentDeliveryError(reason);
    },
  };
}

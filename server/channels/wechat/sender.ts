/**
 * Agent replies to WeChat followers as customer-service messages (客服消息): WeChat wants its
 * push answered within 5 s, so the push gets `success` at once and the reply goes out later
 * through POST /cgi-bin/message/custom/send with an access token fetched from /cgi-bin/token
 * and cached until it expires.
 */
import type { QueuedDelivery, ServerStore } from '../../store.js';
import { PermanentDeliveryError, type ChannelSender } from '../delivery.js';
import type { WechatAccount } from './wechatChannel.js';
import { parseWechatXml } from './xml.js';

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';

/** Errcodes meaning the access token is no longer good (invalid, expired, not the latest). */
const STALE_TOKEN_ERRCODES = new Set([40001, 40014, 42001]);
/** Errcodes worth retrying later: system busy. */
const TRANSIENT_ERRCODES = new Set([-1, 45009]);
/** Refetch a token this long before WeChat says it expires. */
const TOKEN_MARGIN_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 10_000;

interface WechatApiAnswer {
  errcode?: number;
  errmsg?: string;
  access_token?: string;
  expires_in?: number;
}

/** Thrown for an answer that is not WeChat's JSON; retried, as a proxy or outage may cause it. */
class WechatApiError extends Error {}

export interface WechatSenderOptions {
  accounts: ReadonlyMap<string, WechatAccount>;
  apiBase: string;
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
}

async function callApi(url: string, init: RequestInit = {}): Promise<WechatApiAnswer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new WechatApiError(`WeChat API answered HTTP ${response.status}`);
  try {
    const answer: unknown = JSON.parse(text);
    if (typeof answer !== 'object' || answer === null) throw new Error('not an object');
    return answer as WechatApiAnswer;
  } catch {
    throw new WechatApiError('WeChat API answered something that is not JSON');
  }
}

function describe(answer: WechatApiAnswer): string {
  return `${answer.errmsg ?? 'no errmsg'} (errcode ${answer.errcode})`;
}

/** The follower's OpenID: from the newest message they sent through this account on this ticket, else from the customer's own social id. */
async function recipientOpenId(store: ServerStore, delivery: QueuedDelivery, appId: string): Promise<string | null> {
  const source = delivery.message.source;
  const inbound = (await store.getTicketBundle(delivery.ticket.id))?.messages.filter((m) => m.direction === 'inbound' && m.source === source) ?? [];
  for (const message of inbound.reverse()) {
    const raw = await store.getMessageSource(message.id);
    if (!raw) continue;
    try {
      const from = parseWechatXml(raw.toString('utf8')).FromUserName;
      if (from) return from;
    } catch {
      // An unreadable kept source falls back to the customer's social id.
    }
  }
  const prefix = `wechat:${appId}:`;
  return delivery.customer.socialId?.startsWith(prefix) ? delivery.customer.socialId.slice(prefix.length) : null;
}

export function createWechatSender(options: WechatSenderOptions): ChannelSender {
  const { accounts, apiBase, store, now, log } = options;
  const tokens = new Map<string, { token: string; expiresAt: number }>();
  const fetching = new Map<string, Promise<string>>();

  async function fetchToken(account: WechatAccount): Promise<string> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: account.appId, secret: account.appSecret ?? '' });
    const answer = await callApi(`${apiBase}/cgi-bin/token?${query}`);
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      if (answer.errcode !== undefined && TRANSIENT_ERRCODES.has(answer.errcode)) throw new WechatApiError(`access token: ${describe(answer)}`);
      throw new PermanentDeliveryError(`WeChat refused the access token request: ${describe(answer)}`);
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 7200) * 1000;
    tokens.set(account.appId, { token: answer.access_token, expiresAt: now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) });
    log(`wechat ${account.appId}: fetched an access token (valid ${Math.round(lifetimeMs / 1000)} s)`);
    return answer.access_token;
  }

  /** One token fetch at a time per account; concurrent sends wait for it. */
  function accessToken(account: WechatAccount): Promise<string> {
    const cached = tokens.get(account.appId);
    if (cached && cached.expiresAt > now()) return Promise.resolve(cached.token);
    let pending = fetching.get(account.appId);
    if (!pending) {
      pending = fetchToken(account).finally(() => fetching.delete(account.appId));
      fetching.set(account.appId, pending);
    }
    return pending;
  }

  async function sendText(token: string, openId: string, content: string): Promise<WechatApiAnswer> {
    return callApi(`${apiBase}/cgi-bin/message/custom/send?access_token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ touser: openId, msgtype: 'text', text: { content } }),
    });
  }

  return {
    async send(delivery) {
      const appId = delivery.message.source?.split(':')[1] ?? '';
      const account = accounts.get(appId);
      if (!account) throw new PermanentDeliveryError(`No WeChat account ${appId} is configured on this server.`);
      if (!account.appSecret) throw new PermanentDeliveryError(`WeChat account ${appId} has no WECHAT_APP_SECRET, so replies cannot be sent.`);
      const openId = await recipientOpenId(store, delivery, appId);
      if (!openId) throw new PermanentDeliveryError(`No WeChat follower of ${appId} is known for ticket ${delivery.ticket.id}.`);

      let answer = await sendText(await accessToken(account), openId, delivery.message.text);
      if (answer.errcode !== undefined && STALE_TOKEN_ERRCODES.has(answer.errcode)) {
        log(`wechat ${appId}: access token refused (${describe(answer)}); fetching a new one and retrying once`);
        tokens.delete(appId);
        answer = await sendText(await accessToken(account), openId, delivery.message.text);
      }
      if (answer.errcode === undefined || answer.errcode === 0) return {};
      if (TRANSIENT_ERRCODES.has(answer.errcode)) throw new WechatApiError(`WeChat is busy: ${describe(answer)}`);
      throw new PermanentDeliveryError(`WeChat refused the message: ${describe(answer)}`);
    },
  };
}

/**
 * Agent replies to WeChat followers as customer-service messages (客服消息): WeChat wants its
 * push answered within 5 s, so the push gets `success` at once and the reply goes out later
 * through POST /cgi-bin/message/custom/send with an access token fetched from /cgi-bin/token.
 *
 * WeChat keeps ONE valid token per account: fetching a new one invalidates the old one within
 * minutes. So the token lives in the shared state (`SharedState`: this process on one node,
 * Redis across nodes) with its expiry, every node sends with the stored one, and a refresh
 * runs under a lock (SET NX PX) so two nodes never fetch at once; a node that waited for the
 * lock finds the fresher token and uses it. A stale-token errcode drops the stored token only
 * if it is still the one that failed (compare-and-delete): another node may already have
 * stored a newer one, which must not be thrown away.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SharedState } from '../../cluster/sharedState.js';
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
/** The refresh lock outlives one token request (its timeout), so a crashed holder frees it soon after. */
const REFRESH_LOCK_MS = REQUEST_TIMEOUT_MS + 5_000;
/** How often a node waiting for another's refresh looks for the new token (doubling up to the last). */
const REFRESH_WAIT_STEPS_MS = [20, 50, 100, 200, 400, 800];

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
  /** Where the access tokens and their refresh locks live; the app passes Redis on several nodes. */
  sharedState: SharedState;
}

/** What the shared state holds per account, as JSON; read back through the schema (another node, another version may have written it). */
const storedTokenSchema = z.object({
  token: z.string().min(1),
  /** Refetch from then on (WeChat's expiry minus a margin), by the clock of the node that fetched it. */
  expiresAt: z.number(),
});
type StoredToken = z.infer<typeof storedTokenSchema>;

function parseStoredToken(raw: string | null): StoredToken | null {
  if (raw === null) return null;
  try {
    const parsed = storedTokenSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The one encoding written, so a compare-and-delete of what was read matches what is stored. */
function encodeToken(stored: StoredToken): string {
  return JSON.stringify({ token: stored.token, expiresAt: stored.expiresAt });
}

const tokenKey = (appId: string) => `wechat:token:${appId}`;
const refreshLockKey = (appId: string) => `wechat:token-refresh:${appId}`;

async function callApi(url: string, init: RequestInit = {}): Promise<WechatApiAnswer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new WechatApiError(`WeChat API answered HTTP ${String(response.status)}`);
  try {
    const answer: unknown = JSON.parse(text);
    if (typeof answer !== 'object' || answer === null) throw new Error('not an object');
    return answer;
  } catch {
    throw new WechatApiError('WeChat API answered something that is not JSON');
  }
}

function describe(answer: WechatApiAnswer): string {
  return `${answer.errmsg ?? 'no errmsg'} (errcode ${String(answer.errcode)})`;
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
  const { accounts, apiBase, store, now, log, sharedState } = options;
  /** One look-up or refresh per account (and refused token) at a time within this node; concurrent sends wait for it. */
  const fetching = new Map<string, Promise<StoredToken>>();
  /** Names this node's hold of a refresh lock, so it only ever releases its own. */
  const lockOwner = `sender-${randomUUID()}`;

  async function fetchToken(account: WechatAccount): Promise<StoredToken> {
    const query = new URLSearchParams({ grant_type: 'client_credential', appid: account.appId, secret: account.appSecret ?? '' });
    const answer = await callApi(`${apiBase}/cgi-bin/token?${String(query)}`);
    if (typeof answer.access_token !== 'string' || answer.access_token === '') {
      if (answer.errcode !== undefined && TRANSIENT_ERRCODES.has(answer.errcode)) throw new WechatApiError(`access token: ${describe(answer)}`);
      throw new PermanentDeliveryError(`WeChat refused the access token request: ${describe(answer)}`);
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 7200) * 1000;
    const usableMs = Math.max(1, lifetimeMs - TOKEN_MARGIN_MS);
    const fetched: StoredToken = { token: answer.access_token, expiresAt: now() + usableMs };
    await sharedState.set(tokenKey(account.appId), encodeToken(fetched), usableMs);
    log(`wechat ${account.appId}: fetched an access token (valid ${String(Math.round(lifetimeMs / 1000))} s)`);
    return fetched;
  }

  /** The stored token if it is still good and is not the one just refused. */
  async function storedToken(appId: string, refused: string | null): Promise<StoredToken | null> {
    const stored = parseStoredToken(await sharedState.get(tokenKey(appId)));
    return stored && stored.expiresAt > now() && stored.token !== refused ? stored : null;
  }

  /** Fetches under the shared lock, or waits for the node that holds it and takes what it stored. */
  async function refresh(account: WechatAccount, refused: string | null): Promise<StoredToken> {
    const lock = refreshLockKey(account.appId);
    let waitedMs = 0;
    for (let attempt = 0; ; attempt++) {
      const fresher = await storedToken(account.appId, refused);
      if (fresher) return fresher;
      if (await sharedState.setIfAbsent(lock, lockOwner, REFRESH_LOCK_MS)) {
        try {
          // Another node may have stored one between the look above and taking the lock.
          return (await storedToken(account.appId, refused)) ?? (await fetchToken(account));
        } finally {
          await sharedState.compareAndDelete(lock, lockOwner);
        }
      }
      // The holder's lock expires after REFRESH_LOCK_MS; waiting longer means something else is wrong: retried later.
      if (waitedMs >= REFRESH_LOCK_MS) throw new WechatApiError(`access token: another server has been refreshing it for ${String(waitedMs)} ms`);
      const stepMs = REFRESH_WAIT_STEPS_MS[Math.min(attempt, REFRESH_WAIT_STEPS_MS.length - 1)]!;
      await new Promise((resolve) => setTimeout(resolve, stepMs));
      waitedMs += stepMs;
    }
  }

  function accessToken(account: WechatAccount, refused: string | null = null): Promise<StoredToken> {
    const key = `${account.appId}\n${refused ?? ''}`;
    let pending = fetching.get(key);
    if (!pending) {
      pending = refresh(account, refused).finally(() => fetching.delete(key));
      fetching.set(key, pending);
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

      const used = await accessToken(account);
      let answer = await sendText(used.token, openId, delivery.message.text);
      if (answer.errcode !== undefined && STALE_TOKEN_ERRCODES.has(answer.errcode)) {
        // Dropped only if still the stored one; a newer token another node stored stays and is used below.
        const dropped = await sharedState.compareAndDelete(tokenKey(appId), encodeToken(used));
        log(
          `wechat ${appId}: access token refused (${describe(answer)}); ${dropped ? 'fetching a new one' : 'another server already replaced it'} and retrying once`,
        );
        answer = await sendText((await accessToken(account, used.token)).token, openId, delivery.message.text);
      }
      if (answer.errcode === undefined || answer.errcode === 0) return {};
      if (TRANSIENT_ERRCODES.has(answer.errcode)) throw new WechatApiError(`WeChat is busy: ${describe(answer)}`);
      throw new PermanentDeliveryError(`WeChat refused the message: ${describe(answer)}`);
    },
  };
}

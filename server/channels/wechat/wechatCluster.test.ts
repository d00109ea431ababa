/**
 * The WeChat access token across server nodes: two senders (two nodes) sharing one real
 * Redis through the shared state, against a loopback HTTP server playing WeChat's token and
 * custom/send endpoints (the peer, counting token requests; the senders are under test).
 * WeChat keeps one valid token per account, so the nodes must fetch one, not one each.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRedisSharedState } from '../../cluster/sharedState.js';
import { openServerStore, type QueuedDelivery, type ServerStore } from '../../store.js';
import { makeTempDir } from '../../testHarness.js';
import { createTestRedis, type TestRedis } from '../../testing/redis.js';
import type { ChannelSender } from '../delivery.js';
import { createWechatSender } from './sender.js';
import type { WechatAccount } from './wechatChannel.js';

const ACCOUNT: WechatAccount = { appId: 'wx5f3c9a1b2d4e6f70', token: 'clusterTestToken', appSecret: 'cluster-test-app-secret' };
const OPENID = 'oF3PcsnsrMiJzEwalZZbAfWQpxCI';
const EVENTUALLY = { timeout: 20_000, interval: 20 };

/** WeChat's side: one valid token per account (issuing a new one revokes the old), token requests held until released. */
interface WechatApiPeer {
  url: string;
  tokenRequests: number;
  sent: Array<{ accessToken: string; errcode: number }>;
  /** Token requests wait until this is called (so concurrent sends overlap for sure). */
  releaseTokens(): void;
  /** The platform revokes the current token (as when some other client fetched one). */
  revoke(): void;
  close(): Promise<void>;
}

async function startWechatApiPeer(): Promise<WechatApiPeer> {
  let issued = 0;
  let current = '';
  let released = false;
  const waiting: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      peer.tokenRequests++;
      const answer = () => {
        current = `ACCESS_TOKEN_${String(++issued)}`;
        reply({ access_token: current, expires_in: 7200 });
      };
      if (released) answer();
      else waiting.push(answer);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      req.resume();
      req.on('end', () => {
        const accessToken = url.searchParams.get('access_token') ?? '';
        const errcode = accessToken === current ? 0 : 40001;
        peer.sent.push({ accessToken, errcode });
        reply(errcode === 0 ? { errcode, errmsg: 'ok' } : { errcode, errmsg: 'invalid credential, access_token is invalid or not latest' });
      });
      return;
    }
    res.writeHead(404).end();
  });
  const peer: WechatApiPeer = {
    url: '',
    tokenRequests: 0,
    sent: [],
    releaseTokens() {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
    revoke() {
      current = 'revoked';
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return peer;
}

let redis: TestRedis;
let peer: WechatApiPeer;
let store: ServerStore;
const logLines: string[] = [];

beforeAll(async () => {
  redis = await createTestRedis('omnidesk-test-wechat');
  peer = await startWechatApiPeer();
  // The senders only read a ticket's messages to find the follower (none here: the customer's social id names them).
  store = openServerStore({ filePath: path.join(makeTempDir('omnidesk-wechat-cluster-'), 'server.sqlite'), log: () => undefined });
});

afterAll(async () => {
  await store?.close();
  await peer?.close();
  await redis?.cleanup();
});

async function startNode(): Promise<ChannelSender> {
  const sharedState = createRedisSharedState({ client: await redis.client(), keyPrefix: redis.prefix });
  return createWechatSender({
    accounts: new Map([[ACCOUNT.appId, ACCOUNT]]),
    apiBase: peer.url,
    store,
    now: Date.now,
    log: (line) => logLines.push(line),
    sharedState,
  });
}

/** What the delivery dispatcher hands a sender, reduced to what the WeChat sender reads. */
function delivery(text: string): QueuedDelivery {
  return {
    message: { id: `m-${text}`, source: `wechat:${ACCOUNT.appId}`, text },
    ticket: { id: 'GD20231001001' },
    customer: { socialId: `wechat:${ACCOUNT.appId}:${OPENID}` },
  } as unknown as QueuedDelivery;
}

describe('the WeChat access token on two nodes sharing Redis', () => {
  it('fetches one token for concurrent first sends on both nodes, and refreshes once when it goes stale', async () => {
    const [nodeA, nodeB] = await Promise.all([startNode(), startNode()]);
    const observer = await redis.client();

    // Three sends on each node at once, while the token request is held: one node fetches, the other waits for it.
    const first = ['您好', '请稍等', '正在查询', '已查到', '今天发货', '谢谢'].map((text, i) => (i % 2 === 0 ? nodeA : nodeB).send(delivery(text)));
    await vi.waitFor(async () => expect(await observer.get(`${redis.prefix}state:wechat:token-refresh:${ACCOUNT.appId}`)).not.toBeNull(), EVENTUALLY);
    peer.releaseTokens();
    await Promise.all(first);
    expect(peer.tokenRequests).toBe(1);
    expect(peer.sent).toHaveLength(6);
    expect(new Set(peer.sent.map((call) => `${call.accessToken} ${String(call.errcode)}`))).toEqual(new Set(['ACCESS_TOKEN_1 0']));

    // The platform revokes it: node A's next send is refused, A refreshes once and retries; node B then uses A's new token.
    peer.revoke();
    await nodeA.send(delivery('顺丰单号 SF1234567890'));
    expect(peer.tokenRequests).toBe(2);
    await nodeB.send(delivery('请查收'));
    expect(peer.tokenRequests).toBe(2);
    expect(peer.sent.slice(6)).toEqual([
      { accessToken: 'ACCESS_TOKEN_1', errcode: 40001 },
      { accessToken: 'ACCESS_TOKEN_2', errcode: 0 },
      { accessToken: 'ACCESS_TOKEN_2', errcode: 0 },
    ]);

    // Revoked again while both nodes send with it: both are refused, yet one of them refreshes and the other
    // neither fetches nor drops the newer token (its compare-and-delete finds a token other than the one that failed).
    peer.revoke();
    await Promise.all([nodeA.send(delivery('还有问题吗')), nodeB.send(delivery('祝您生活愉快'))]);
    expect(peer.tokenRequests).toBe(3);
    const last = peer.sent.slice(9);
    expect(last.filter((call) => call.errcode === 40001).map((call) => call.accessToken)).toEqual(['ACCESS_TOKEN_2', 'ACCESS_TOKEN_2']);
    expect(last.filter((call) => call.errcode === 0).map((call) => call.accessToken)).toEqual(['ACCESS_TOKEN_3', 'ACCESS_TOKEN_3']);
    expect(logLines.filter((line) => line.includes('fetched an access token'))).toHaveLength(3);
  });
});

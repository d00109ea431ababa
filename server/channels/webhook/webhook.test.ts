/**
 * The generic signed webhook on the real server: signed requests over real HTTP become
 * tickets; replays, forgeries, stale or malformed requests are refused with a log line and
 * store nothing; agents' replies are POSTed, signed, to a loopback HTTP server playing the
 * platform's callback endpoint (it checks the signature as a platform would).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TicketBundle } from '../../../shared/domain.js';
import type { WebhookReply } from '../../../shared/social.js';
import { seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { signWebhookBody, signedWebhookHeaders, verifyWebhookSignature } from '../signature.js';
import { webhookOptionsFromEnv } from './config.js';
import { createWebhookChannel, type WebhookPlatform } from './webhookChannel.js';

const WEIBO_SECRET = 'weibo-secret-7Yq2pLx9';
const DOUYIN_SECRET = 'douyin-secret-Kd83nB1z';

interface CallbackPeer {
  url: string;
  received: Array<{ headers: http.IncomingHttpHeaders; body: WebhookReply; signatureOk: boolean }>;
  /** Statuses the next calls answer with, in order; then 200 with an id. */
  statuses: number[];
  close(): Promise<void>;
}

/** The platform's callback endpoint: verifies our signature with its copy of the secret. */
async function startCallbackPeer(secret: string, clockNow: () => number): Promise<CallbackPeer> {
  const peer: Omit<CallbackPeer, 'url' | 'close'> = { received: [], statuses: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const check = verifyWebhookSignature({
        secret,
        timestamp: req.headers['x-omnidesk-timestamp'],
        signature: req.headers['x-omnidesk-signature'],
        rawBody: raw,
        now: clockNow(),
      });
      peer.received.push({ headers: req.headers, body: JSON.parse(raw.toString('utf8')) as WebhookReply, signatureOk: check.ok });
      const status = peer.statuses.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ externalMessageId: `wb-reply-${String(peer.received.length)}` }) : JSON.stringify({ error: '用户已注销' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(peer, {
    url: `http://127.0.0.1:${String(port)}/omnidesk/reply`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let server: TestServer | null = null;
let peer: CallbackPeer | null = null;
afterEach(async () => {
  await server?.stop();
  await peer?.close();
  server = null;
  peer = null;
});

async function start(
  platforms: WebhookPlatform[] = [
    { name: 'weibo', secret: WEIBO_SECRET },
    { name: 'douyin', secret: DOUYIN_SECRET },
  ],
): Promise<TestServer> {
  server = await startTestServer({ deliveryRetryDelayMs: 5, channels: [createWebhookChannel({ platforms })] });
  await seedTestOrganisation(server.store, [{ username: 'lead_li', displayName: '李主管', role: 'lead', channels: ['social'] }]);
  return server;
}

interface PostOptions {
  secret?: string;
  timestampSec?: number;
  signature?: string;
  delivery?: string;
  headers?: Record<string, string>;
}

async function post(platform: string, body: string | Buffer, options: PostOptions = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const timestamp = String(options.timestampSec ?? Math.floor(server!.clock.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-omnidesk-timestamp': timestamp,
    'x-omnidesk-signature': options.signature ?? signWebhookBody(options.secret ?? WEIBO_SECRET, timestamp, body),
    ...(options.delivery ? { 'x-omnidesk-delivery': options.delivery } : {}),
    ...options.headers,
  };
  const response = await fetch(`${server!.url}/channels/webhook/${platform}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const CONTACT = {
  customer: { name: '张伟', socialId: '5830219476' },
  text: '你好，我的订单怎么还没发货',
  externalMessageId: 'wb-msg-4988123',
};

function counts(): { tickets: number; messages: number; customers: number } {
  const db = new Database(server!.store.filePath!, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { tickets: count('tickets'), messages: count('messages'), customers: count('customers') };
  } finally {
    db.close();
  }
}

async function bundles(): Promise<TicketBundle[]> {
  const { tickets } = await server!.store.listTickets((await server!.store.getUser('lead_li'))!, { limit: 10 });
  const found: TicketBundle[] = [];
  for (const ticket of tickets) found.push((await server!.store.getTicketBundle(ticket.id))!);
  return found;
}

describe('signed webhook contacts', () => {
  it('stores a signed contact and answers a replay 200 duplicate without storing it again', async () => {
    const s = await start();
    const body = JSON.stringify(CONTACT);
    const first = await post('weibo', body, { delivery: 'dlv-001' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ created: true, duplicate: false });
    // The very same signed request again, seconds later (a captured one replayed, or the platform retrying).
    s.clock.advance(30_000);
    const replay = await post('weibo', body, { delivery: 'dlv-001', timestampSec: Math.floor((s.clock.now() - 30_000) / 1000) });
    expect(replay).toEqual({ status: 200, body: { ...first.body, created: false, duplicate: true } });

    const [bundle] = await bundles();
    expect(bundle!.ticket).toMatchObject({ channel: 'social', subject: '你好，我的订单怎么还没发货' });
    expect(bundle!.customer).toMatchObject({ name: '张伟', socialId: 'weibo:5830219476' });
    expect(bundle!.messages).toHaveLength(1);
    expect(bundle!.messages[0]).toMatchObject({ source: 'webhook:weibo', externalMessageId: 'webhook:weibo:wb-msg-4988123' });
    expect((await s.store.getMessageSource(bundle!.messages[0]!.id))!.toString('utf8')).toBe(body);
    expect(s.logLines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^webhook weibo: wb-msg-4988123 \(delivery dlv-001\) opened GD/),
        'webhook weibo: replay of wb-msg-4988123 (delivery dlv-001); nothing stored',
      ]),
    );
  });

  it('keeps platforms apart: the same ids on Douyin are another customer and another message', async () => {
    await start();
    expect((await post('weibo', JSON.stringify(CONTACT))).status).toBe(201);
    const douyin = JSON.stringify({ ...CONTACT, customer: { name: '张伟(抖音)', socialId: '5830219476' }, subject: '物流查询' });
    expect((await post('douyin', douyin, { secret: DOUYIN_SECRET })).status).toBe(201);
    expect((await bundles()).map((b) => [b.customer.socialId, b.messages[0]!.externalMessageId, b.messages[0]!.source]).sort()).toEqual([
      ['douyin:5830219476', 'webhook:douyin:wb-msg-4988123', 'webhook:douyin'],
      ['weibo:5830219476', 'webhook:weibo:wb-msg-4988123', 'webhook:weibo'],
    ]);
  });

  it('refuses bad signatures, stale or future timestamps, bad bodies and unknown platforms, storing nothing', async () => {
    const s = await start();
    const body = JSON.stringify(CONTACT);
    const now = Math.floor(s.clock.now() / 1000);
    const cases: Array<[string, () => ReturnType<typeof post>, number, RegExp]> = [
      ['wrong secret', () => post('weibo', body, { secret: DOUYIN_SECRET }), 401, /signature does not match the body/],
      [
        'signature of another body',
        () => post('weibo', body, { signature: signWebhookBody(WEIBO_SECRET, String(now), body.replace('张伟', '李娜')) }),
        401,
        /does not match/,
      ],
      [
        'signature without the timestamp',
        () => post('weibo', body, { signature: `sha256=${signWebhookBody(WEIBO_SECRET, '', body).slice(7)}` }),
        401,
        /does not match/,
      ],
      ['missing signature', () => post('weibo', body, { headers: { 'x-omnidesk-signature': '' } }), 401, /X-OmniDesk-Signature|does not match/],
      ['stale timestamp', () => post('weibo', body, { timestampSec: now - 301 }), 401, /301 s old/],
      ['future timestamp', () => post('weibo', body, { timestampSec: now + 301 }), 401, /301 s in the future/],
      ['not JSON', () => post('weibo', '{"text": 你好'), 400, /not valid JSON/],
      ['invalid UTF-8', () => post('weibo', Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xe4, 0xbd]), Buffer.from('"}')])), 400, /not valid UTF-8/],
      ['no externalMessageId', () => post('weibo', JSON.stringify({ ...CONTACT, externalMessageId: undefined })), 400, /webhook contact is not valid/],
      ['unknown field', () => post('weibo', JSON.stringify({ ...CONTACT, html: '<b>' })), 400, /webhook contact is not valid/],
      ['blank text', () => post('weibo', JSON.stringify({ ...CONTACT, text: '   ' })), 400, /webhook contact is not valid/],
      ['oversize body', () => post('weibo', JSON.stringify({ ...CONTACT, text: '货'.repeat(100_000) })), 413, /larger than 262144 bytes/],
      ['unknown platform', () => post('kuaishou', body), 404, /No webhook platform kuaishou/],
    ];
    for (const [name, send, status, logged] of cases) {
      const before = s.logLines.length;
      const response = await send();
      expect(response.status, name).toBe(status);
      const refusals = s.logLines.slice(before).filter((line) => line.includes('refused POST'));
      expect(
        refusals.some((line) => logged.test(line)),
        `${name}: ${refusals.join(' | ')}`,
      ).toBe(true);
    }
    expect(counts()).toEqual({ tickets: 0, messages: 0, customers: 0 });
  });
});

describe('replies to webhook platforms', () => {
  it("POSTs the signed reply to the platform's callback; a 4xx fails it with the platform's answer", async () => {
    const clock = { now: () => server!.clock.now() };
    peer = await startCallbackPeer(WEIBO_SECRET, () => clock.now());
    const s = await start([{ name: 'weibo', secret: WEIBO_SECRET, callbackUrl: peer.url }]);
    await post('weibo', JSON.stringify(CONTACT));
    const [bundle] = await bundles();
    const ticketId = bundle!.ticket.id;
    const reply = async (messageId: string, text: string) => {
      const result = await s.store.applyMutation(
        (await s.store.getUser('lead_li'))!,
        'client-1',
        { mutationId: `m-${messageId}`, kind: 'reply', ticketId, messageId, text, createdAt: s.clock.now() },
        s.clock.now(),
      );
      expect(result.ok).toBe(true);
    };
    const messageOf = async (id: string) => (await s.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === id);

    await reply('reply-1', '您好，包裹已在派送中，今天送达。');
    await vi.waitFor(async () => expect((await messageOf('reply-1'))?.deliveryStatus).toBe('sent'));
    expect((await messageOf('reply-1'))!.externalMessageId).toBe('wb-reply-1');
    expect(peer.received).toHaveLength(1);
    const [call] = peer.received;
    expect(call!.signatureOk).toBe(true);
    expect(call!.headers['x-omnidesk-delivery']).toBe('reply-1');
    expect(call!.body).toMatchObject({
      platform: 'weibo',
      messageId: 'reply-1',
      ticketId,
      customer: { name: '张伟', socialId: '5830219476' },
      inReplyTo: 'wb-msg-4988123',
      text: '您好，包裹已在派送中，今天送达。',
      authorName: '李主管',
    });

    peer.statuses.push(503, 404);
    await reply('reply-2', '请问还有其他问题吗？');
    await vi.waitFor(async () => expect((await messageOf('reply-2'))?.deliveryStatus).toBe('failed'));
    expect((await messageOf('reply-2'))!.deliveryError).toBe('weibo callback answered HTTP 404: {"error":"用户已注销"}');
    expect(peer.received).toHaveLength(3);
  });
});

describe('webhook configuration from the environment', () => {
  it('reads secrets and callbacks, defaults the demo to weibo, and names the variable on a mistake', () => {
    expect(webhookOptionsFromEnv({}, { demo: false })).toBeNull();
    expect(webhookOptionsFromEnv({}, { demo: true })).toEqual({ platforms: [{ name: 'weibo', secret: 'demo-webhook-secret' }] });
    expect(
      webhookOptionsFromEnv(
        { WEBHOOK_SECRETS: 'weibo:s1, douyin:s2:with:colons', WEBHOOK_CALLBACKS: 'douyin:https://open.douyin.example/cb?x=1' },
        { demo: false },
      ),
    ).toEqual({
      platforms: [
        { name: 'weibo', secret: 's1' },
        { name: 'douyin', secret: 's2:with:colons', callbackUrl: 'https://open.douyin.example/cb?x=1' },
      ],
    });
    expect(() => webhookOptionsFromEnv({ WEBHOOK_SECRETS: 'Weibo Fans:x' }, { demo: false })).toThrow(/WEBHOOK_SECRETS/);
    expect(() => webhookOptionsFromEnv({ WEBHOOK_SECRETS: 'weibo:a,weibo:b' }, { demo: false })).toThrow(/twice/);
    expect(() => webhookOptionsFromEnv({ WEBHOOK_SECRETS: 'weibo:a', WEBHOOK_CALLBACKS: 'douyin:https://x.example' }, { demo: false })).toThrow(/no secret/);
    expect(() => webhookOptionsFromEnv({ WEBHOOK_SECRETS: 'weibo:a', WEBHOOK_CALLBACKS: 'weibo:ftp://x.example' }, { demo: false })).toThrow(/http\(s\) URL/);
    // The header helper and the check agree with each other (what integrators' code does).
    const headers = signedWebhookHeaders('k', '{}', 1_731_031_200_000);
    expect(
      verifyWebhookSignature({
        secret: 'k',
        timestamp: headers['X-OmniDesk-Timestamp'],
        signature: headers['X-OmniDesk-Signature'],
        rawBody: Buffer.from('{}'),
        now: 1_731_031_200_000,
      }).ok,
    ).toBe(true);
  });
});

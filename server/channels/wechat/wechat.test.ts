/**
 * The WeChat official account channel on the real server: pushes arrive over real HTTP with
 * properly computed signatures (plain and AES mode), land as tickets, and agents' replies go
 * out to a loopback HTTP server speaking WeChat's two API endpoints (token and custom/send),
 * which plays the platform's side, not a stand-in for the code under test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TicketBundle } from '../../../shared/domain.js';
import { seedTestOrganisation, startTestServer, type TestServer } from '../../testHarness.js';
import { decodeEncodingAesKey, decryptWechatMessage, encryptWechatMessage, wechatSignature } from './crypto.js';
import { DEMO_WECHAT_ACCOUNT, wechatOptionsFromEnv } from './config.js';
import { createWechatChannel, type WechatAccount } from './wechatChannel.js';
import { parseWechatXml } from './xml.js';

const ACCOUNT: WechatAccount = {
  appId: 'wx5f8e1a2b3c4d5e6f',
  token: 'omnideskTestToken',
  encodingAesKey: 'OmniDeskTestEncodingAESKey0123456789abcdefg',
  appSecret: 'test-app-secret-3f9a',
  greeting: '您好，欢迎关注！直接发送消息即可联系人工客服。',
};
const OPENID = 'oZhangWei_5f8e1a2b3c4d5e6f7a8b';

/** The Python WXBizMsgCrypt sample's pushed request (see crypto.test.ts for where it is published). */
const PYTHON_SAMPLE = {
  account: { appId: 'wx2c2769f8efd9abc2', token: 'spamtest', encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' },
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  fromXml:
    '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>',
};

// ---------------------------------------------------------------------------------------
// The WeChat API's side: issues tokens, accepts or refuses customer-service messages.

interface WechatApiPeer {
  url: string;
  tokenRequests: URLSearchParams[];
  sent: Array<{ accessToken: string; body: { touser: string; msgtype: string; text: { content: string } } }>;
  /** Errcodes the next custom/send calls answer with, in order; then 0. */
  answers: Array<{ errcode: number; errmsg: string }>;
  close(): Promise<void>;
}

async function startWechatApiPeer(): Promise<WechatApiPeer> {
  let issued = 0;
  let current = '';
  const peer: Omit<WechatApiPeer, 'url' | 'close'> = { tokenRequests: [], sent: [], answers: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://peer');
    const reply = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      peer.tokenRequests.push(url.searchParams);
      if (url.searchParams.get('appid') !== ACCOUNT.appId || url.searchParams.get('secret') !== ACCOUNT.appSecret) {
        reply({ errcode: 40125, errmsg: 'invalid appsecret' });
        return;
      }
      current = `ACCESS_TOKEN_${String(++issued)}`;
      reply({ access_token: current, expires_in: 7200 });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const accessToken = url.searchParams.get('access_token') ?? '';
        peer.sent.push({ accessToken, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WechatApiPeer['sent'][number]['body'] });
        const scripted = peer.answers.shift();
        if (scripted) reply(scripted);
        else if (accessToken !== current) reply({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
        else reply({ errcode: 0, errmsg: 'ok' });
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(peer, {
    url: `http://127.0.0.1:${String(port)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

// ---------------------------------------------------------------------------------------

let server: TestServer | null = null;
let peer: WechatApiPeer | null = null;
afterEach(async () => {
  await server?.stop();
  await peer?.close();
  server = null;
  peer = null;
});

async function start(accounts: WechatAccount[] = [ACCOUNT]): Promise<TestServer> {
  peer = await startWechatApiPeer();
  server = await startTestServer({ deliveryRetryDelayMs: 5, channels: [createWechatChannel({ accounts, apiBase: peer.url })] });
  await seedTestOrganisation(server.store, [{ username: 'lead_li', displayName: '李主管', role: 'lead', channels: ['social'] }]);
  return server;
}

function textXml(content: string, msgId: string, from = OPENID, createTime = '1731031200'): string {
  return (
    `<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><FromUserName><![CDATA[${from}]]></FromUserName>` +
    `<CreateTime>${createTime}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`
  );
}

function eventXml(event: string, extra = '', createTime = '1731031200'): string {
  return (
    `<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>${createTime}</CreateTime>` +
    `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${extra}</xml>`
  );
}

interface PushOptions {
  account?: Pick<WechatAccount, 'appId' | 'token' | 'encodingAesKey'>;
  encrypt?: boolean;
  timestamp?: string;
  nonce?: string;
  signature?: string;
  msgSignature?: string;
  appIdInPath?: string;
}

/** POSTs a push as WeChat does: signature over token/timestamp/nonce; in AES mode the XML is wrapped in <Encrypt> with msg_signature. */
async function push(body: string | Buffer, options: PushOptions = {}): Promise<{ status: number; text: string }> {
  const account = options.account ?? ACCOUNT;
  const timestamp = options.timestamp ?? String(Math.floor(server!.clock.now() / 1000));
  const nonce = options.nonce ?? '1320562132';
  const query = new URLSearchParams({ signature: options.signature ?? wechatSignature([account.token, timestamp, nonce]), timestamp, nonce, openid: OPENID });
  let payload: string | Buffer = body;
  if (options.encrypt) {
    const encrypt = encryptWechatMessage(body.toString(), decodeEncodingAesKey(account.encodingAesKey!), account.appId);
    payload = `<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`;
    query.set('encrypt_type', 'aes');
    query.set('msg_signature', options.msgSignature ?? wechatSignature([account.token, timestamp, nonce, encrypt]));
  }
  const response = await fetch(`${server!.url}/channels/wechat/${options.appIdInPath ?? account.appId}?${String(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: typeof payload === 'string' ? payload : new Uint8Array(payload),
  });
  return { status: response.status, text: await response.text() };
}

function counts(): { tickets: number; messages: number; customers: number } {
  const db = new Database(server!.store.filePath!, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { tickets: count('tickets'), messages: count('messages'), customers: count('customers') };
  } finally {
    db.close();
  }
}

async function onlyBundle(): Promise<TicketBundle> {
  const lead = (await server!.store.getUser('lead_li'))!;
  const { tickets } = await server!.store.listTickets(lead, { limit: 10 });
  expect(tickets).toHaveLength(1);
  return (await server!.store.getTicketBundle(tickets[0]!.id))!;
}

async function reply(ticketId: string, text: string): Promise<string> {
  const s = server!;
  const messageId = `reply-${Math.random().toString(36).slice(2, 10)}`;
  const result = await s.store.applyMutation(
    (await s.store.getUser('lead_li'))!,
    'client-1',
    { mutationId: `m-${messageId}`, kind: 'reply', ticketId, messageId, text, createdAt: s.clock.now() },
    s.clock.now(),
  );
  expect(result.ok).toBe(true);
  return messageId;
}

async function deliveryOf(ticketId: string, messageId: string, status: 'sent' | 'failed') {
  await vi.waitFor(async () => expect((await server!.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)?.deliveryStatus).toBe(status));
  return (await server!.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === messageId)!;
}

describe('WeChat push URL verification', () => {
  it('echoes echostr for a correct signature and refuses a wrong or stale one with a log line', async () => {
    const s = await start();
    const timestamp = String(Math.floor(s.clock.now() / 1000));
    const url = (signature: string, ts = timestamp) =>
      `${s.url}/channels/wechat/${ACCOUNT.appId}?${String(new URLSearchParams({ signature, timestamp: ts, nonce: '846958211', echostr: '4075181314397890557' }))}`;

    const good = await fetch(url(wechatSignature([ACCOUNT.token, timestamp, '846958211'])));
    expect([good.status, await good.text()]).toEqual([200, '4075181314397890557']);

    const bad = await fetch(url(wechatSignature(['wrong-token', timestamp, '846958211'])));
    expect(bad.status).toBe(401);
    const staleTs = String(Number(timestamp) - 301);
    const stale = await fetch(url(wechatSignature([ACCOUNT.token, staleTs, '846958211']), staleTs));
    expect(stale.status).toBe(401);
    expect(s.logLines.filter((line) => line.startsWith(`wechat ${ACCOUNT.appId}: refused GET`))).toEqual([
      expect.stringContaining('401 The signature does not match the Token.'),
      expect.stringContaining('is more than 5 minutes from the server'),
    ]);
  });
});

describe('WeChat messages become tickets', () => {
  it('stores a plain-mode text message once, however often WeChat retries it', async () => {
    const s = await start([{ ...ACCOUNT, mode: 'plain' }]);
    const first = await push(textXml('你好，我的订单怎么还没发货', '24601234567890123'));
    expect(first).toEqual({ status: 200, text: 'success' });
    const retry = await push(textXml('你好，我的订单怎么还没发货', '24601234567890123'));
    expect(retry).toEqual({ status: 200, text: 'success' });

    const bundle = await onlyBundle();
    expect(bundle.ticket).toMatchObject({ channel: 'social', subject: '你好，我的订单怎么还没发货' });
    expect(bundle.customer.socialId).toBe(`wechat:${ACCOUNT.appId}:${OPENID}`);
    expect(bundle.messages).toHaveLength(1);
    expect(bundle.messages[0]).toMatchObject({
      direction: 'inbound',
      text: '你好，我的订单怎么还没发货',
      source: `wechat:${ACCOUNT.appId}`,
      externalMessageId: 'wechat:24601234567890123',
      createdAt: 1731031200_000,
    });
    expect((await s.store.getMessageSource(bundle.messages[0]!.id))!.toString('utf8')).toContain('24601234567890123');
    expect(s.logLines.some((line) => line.includes('repeat of wechat:24601234567890123') && line.includes('nothing stored'))).toBe(true);
  });

  it('decrypts safe-mode pushes; image, voice and a menu click join the same ticket', async () => {
    await start();
    expect(await push(textXml('请问退货地址是哪里？', '5001'), { encrypt: true })).toEqual({ status: 200, text: 'success' });
    const image =
      `<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>1731031260</CreateTime>` +
      `<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://mmbiz.qpic.cn/mmbiz_jpg/破损包裹.jpg]]></PicUrl><MediaId><![CDATA[media_001]]></MediaId><MsgId>5002</MsgId></xml>`;
    expect((await push(image, { encrypt: true })).text).toBe('success');
    const voice =
      `<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName><CreateTime>1731031270</CreateTime>` +
      `<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_002]]></MediaId><Format><![CDATA[amr]]></Format><Recognition><![CDATA[快递盒子压坏了]]></Recognition><MsgId>5003</MsgId></xml>`;
    expect((await push(voice, { encrypt: true })).text).toBe('success');
    const click = eventXml('CLICK', '<EventKey><![CDATA[CONTACT_AGENT]]></EventKey>', '1731031280');
    expect((await push(click, { encrypt: true })).text).toBe('success');
    expect((await push(click, { encrypt: true })).text).toBe('success');

    const bundle = await onlyBundle();
    expect(bundle.messages.map((m) => [m.text, m.externalMessageId])).toEqual([
      ['请问退货地址是哪里？', 'wechat:5001'],
      ['[图片] https://mmbiz.qpic.cn/mmbiz_jpg/破损包裹.jpg', 'wechat:5002'],
      ['[语音] 快递盒子压坏了', 'wechat:5003'],
      ['[菜单点击] CONTACT_AGENT', `wechat:event:${OPENID}:1731031280`],
    ]);
  });

  it("accepts the WXBizMsgCrypt Python sample's published compatible-mode request as it was sent", async () => {
    const s = await start([PYTHON_SAMPLE.account]);
    s.clock.set(Number(PYTHON_SAMPLE.timestamp) * 1000 + 2_000);
    const query = new URLSearchParams({
      signature: wechatSignature([PYTHON_SAMPLE.account.token, PYTHON_SAMPLE.timestamp, PYTHON_SAMPLE.nonce]),
      timestamp: PYTHON_SAMPLE.timestamp,
      nonce: PYTHON_SAMPLE.nonce,
      encrypt_type: 'aes',
      msg_signature: PYTHON_SAMPLE.msgSignature,
    });
    const response = await fetch(`${s.url}/channels/wechat/${PYTHON_SAMPLE.account.appId}?${String(query)}`, { method: 'POST', body: PYTHON_SAMPLE.fromXml });
    expect([response.status, await response.text()]).toEqual([200, 'success']);
    const bundle = await onlyBundle();
    expect(bundle.customer.socialId).toBe('wechat:wx2c2769f8efd9abc2:oyORnuP8q7ou2gfYjqLzSIWZf0rs');
    expect(bundle.messages[0]).toMatchObject({ text: 'abcdteT', externalMessageId: 'wechat:6054768590064713728', createdAt: 1409735668_000 });
  });

  it('greets a new follower with an encrypted passive reply and stores nothing for follow, unfollow or unknown pushes', async () => {
    const s = await start();
    const greeting = await push(eventXml('subscribe'), { encrypt: true });
    expect(greeting.status).toBe(200);
    const outer = parseWechatXml(greeting.text);
    expect(wechatSignature([ACCOUNT.token, outer.TimeStamp!, outer.Nonce!, outer.Encrypt!])).toBe(outer.MsgSignature);
    const inner = parseWechatXml(decryptWechatMessage(outer.Encrypt!, decodeEncodingAesKey(ACCOUNT.encodingAesKey!), ACCOUNT.appId).toString('utf8'));
    expect(inner).toMatchObject({ ToUserName: OPENID, FromUserName: 'gh_omnidesk01', MsgType: 'text', Content: ACCOUNT.greeting });

    expect(await push(eventXml('unsubscribe'), { encrypt: true })).toEqual({ status: 200, text: 'success' });
    expect(await push(eventXml('MYSTERY_EVENT'), { encrypt: true })).toEqual({ status: 200, text: 'success' });
    const miniProgram = textXml('x', '7001').replace('<MsgType><![CDATA[text]]>', '<MsgType><![CDATA[miniprogrampage]]>');
    expect(await push(miniProgram, { encrypt: true })).toEqual({ status: 200, text: 'success' });

    expect(counts()).toEqual({ tickets: 0, messages: 0, customers: 0 });
    expect(s.logLines).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`new follower ${OPENID}; greeted; nothing stored`),
        expect.stringContaining('event unsubscribe needs no ticket'),
        expect.stringContaining('unknown event "MYSTERY_EVENT"'),
        expect.stringContaining('unknown MsgType "miniprogrampage"'),
      ]),
    );
  });
});

describe('WeChat bad input is refused, logged and stores nothing', () => {
  it('refuses forged, stale, undecryptable, hostile and malformed pushes', async () => {
    const s = await start();
    const good = textXml('你好，我的订单怎么还没发货', '9001');
    const now = Math.floor(s.clock.now() / 1000);
    const otherAppCipher = encryptWechatMessage(good, decodeEncodingAesKey(ACCOUNT.encodingAesKey!), 'wx9999999999999999');
    const bomb =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      `<xml><ToUserName>gh_omnidesk01</ToUserName><FromUserName>${OPENID}</FromUserName><CreateTime>1731031200</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>9002</MsgId></xml>`;
    const cases: Array<[string, () => Promise<{ status: number; text: string }>, number, RegExp]> = [
      ['bad signature', () => push(good, { signature: wechatSignature(['not-the-token', String(now), '1']) }), 401, /signature does not match the Token/],
      ['stale timestamp', () => push(good, { timestamp: String(now - 600) }), 401, /more than 5 minutes/],
      ['future timestamp', () => push(good, { timestamp: String(now + 600) }), 401, /more than 5 minutes/],
      ['bad msg_signature', () => push(good, { encrypt: true, msgSignature: 'a'.repeat(40) }), 401, /msg_signature does not match/],
      [
        'encrypted body without encrypt_type',
        () => push(`<xml><ToUserName><![CDATA[gh_omnidesk01]]></ToUserName><Encrypt><![CDATA[${otherAppCipher}]]></Encrypt></xml>`),
        400,
        /encrypted message came without encrypt_type=aes/,
      ],
      [
        'ciphertext for another app',
        async () => {
          const timestamp = String(now);
          const query = new URLSearchParams({
            signature: wechatSignature([ACCOUNT.token, timestamp, '77']),
            timestamp,
            nonce: '77',
            encrypt_type: 'aes',
            msg_signature: wechatSignature([ACCOUNT.token, timestamp, '77', otherAppCipher]),
          });
          const response = await fetch(`${s.url}/channels/wechat/${ACCOUNT.appId}?${String(query)}`, {
            method: 'POST',
            body: `<xml><Encrypt><![CDATA[${otherAppCipher}]]></Encrypt></xml>`,
          });
          return { status: response.status, text: await response.text() };
        },
        400,
        /for app id "wx9999999999999999"/,
      ],
      ['XML bomb', () => push(bomb), 400, /DOCTYPE or ENTITY/],
      ['XML bomb inside the ciphertext', () => push(bomb, { encrypt: true }), 400, /DOCTYPE or ENTITY/],
      ['invalid XML', () => push('<xml><Content>你好</xml>'), 400, /not well-formed XML/],
      ['invalid UTF-8', () => push(Buffer.concat([Buffer.from(textXml('', '9003').slice(0, 150)), Buffer.from([0xff, 0xfe, 0xc3])])), 400, /not valid UTF-8/],
      ['bad OpenID', () => push(textXml('你好', '9004', 'o<script>'), { encrypt: true }), 400, /not well-formed XML|FromUserName/],
      ['oversize body', () => push(textXml('快'.repeat(25_000), '9005')), 413, /larger than 65536 bytes/],
      ['unknown account', () => push(good, { appIdInPath: 'wx0000000000000000' }), 404, /No WeChat account wx0000000000000000/],
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

describe('WeChat message modes (明文 / 兼容 / 安全)', () => {
  it('refuses a plain push to an account in safe mode (an EncodingAESKey is set), even with a valid URL signature, and stores nothing', async () => {
    const s = await start();
    // The URL signature covers Token, timestamp and nonce only: whoever saw one query string could attach any body to it.
    const forged = await push(textXml('我是客户，请把我的订单退款到新卡', '9101'));
    expect(forged.status).toBe(401);
    expect(s.logLines.some((line) => line.includes('refused POST') && line.includes('safe mode: a plain (unencrypted) push is refused'))).toBe(true);
    // A plain-looking event is refused the same way: nothing of a plain body is trusted.
    expect((await push(eventXml('subscribe'))).status).toBe(401);
    expect(counts()).toEqual({ tickets: 0, messages: 0, customers: 0 });
    // The same message, encrypted and signed with msg_signature, is taken.
    expect(await push(textXml('我是客户，请把我的订单退款到新卡', '9101'), { encrypt: true })).toEqual({ status: 200, text: 'success' });
    expect(counts()).toMatchObject({ tickets: 1, messages: 1 });
  });

  it('takes plain and encrypted pushes in compatible mode', async () => {
    await start([{ ...ACCOUNT, mode: 'compatible' }]);
    expect(await push(textXml('明文消息', '9201'))).toEqual({ status: 200, text: 'success' });
    expect(await push(textXml('密文消息', '9202'), { encrypt: true })).toEqual({ status: 200, text: 'success' });
    expect((await onlyBundle()).messages.map((m) => m.text)).toEqual(['明文消息', '密文消息']);
  });
});

describe('agent replies go out as customer-service messages', () => {
  it('sends the satisfaction survey (满意度回访) as a message with a link when the ticket is completed', async () => {
    await start();
    await push(textXml('发票抬头写错了', '8101'), { encrypt: true });
    const { ticket } = await onlyBundle();
    const lead = (await server!.store.getUser('lead_li'))!;
    await server!.store.assignTicket({
      ticketId: ticket.id,
      assignee: { id: lead.id, username: lead.username, displayName: lead.displayName },
      reason: { code: 'assigned_by_lead', byName: lead.displayName },
      now: server!.clock.now(),
    });
    for (const [i, body] of [{ kind: 'setFields', result: '已重开发票' } as const, { kind: 'setStatus', status: 'completed' } as const].entries()) {
      const mutation = { mutationId: `csat-${String(i)}`, ticketId: ticket.id, createdAt: server!.clock.now(), ...body };
      expect(await server!.store.applyMutation(lead, 'client-1', mutation, server!.clock.now())).toMatchObject({ ok: true });
    }
    await vi.waitFor(() => expect(peer!.sent.some((call) => /\/csat\/[A-Za-z0-9_-]{43}/.test(call.body.text.content))).toBe(true));
    const invitation = peer!.sent.find((call) => call.body.text.content.includes('/csat/'))!;
    expect(invitation.body).toMatchObject({ touser: OPENID, msgtype: 'text' });
    expect(invitation.body.text.content).toContain(ticket.id);
    await vi.waitFor(async () =>
      expect(await server!.store.csat.forTicket(ticket.id)).toMatchObject({ status: 'sent', via: expect.stringMatching(/^wechat:/) as unknown }),
    );
  });

  it('fetches and caches the access token, refreshes it once on 40001, and fails visibly on other errcodes', async () => {
    await start();
    await push(textXml('你好，我的订单怎么还没发货', '8001'), { encrypt: true });
    const { ticket } = await onlyBundle();

    const first = await deliveryOf(ticket.id, await reply(ticket.id, '您好，已为您催促仓库今天发货。'), 'sent');
    expect(first.deliveryError).toBeNull();
    const second = await deliveryOf(ticket.id, await reply(ticket.id, '快递单号稍后发给您。'), 'sent');
    expect(second.source).toBe(`wechat:${ACCOUNT.appId}`);
    expect(peer!.tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(peer!.tokenRequests[0]!)).toEqual({ grant_type: 'client_credential', appid: ACCOUNT.appId, secret: ACCOUNT.appSecret });
    expect(peer!.sent).toEqual([
      { accessToken: 'ACCESS_TOKEN_1', body: { touser: OPENID, msgtype: 'text', text: { content: '您好，已为您催促仓库今天发货。' } } },
      { accessToken: 'ACCESS_TOKEN_1', body: { touser: OPENID, msgtype: 'text', text: { content: '快递单号稍后发给您。' } } },
    ]);

    // The platform revokes the token (another server fetched one): one refresh, one retry.
    peer!.answers.push({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    await deliveryOf(ticket.id, await reply(ticket.id, '顺丰单号 SF1234567890。'), 'sent');
    expect(peer!.tokenRequests).toHaveLength(2);
    expect(peer!.sent.slice(2).map((call) => call.accessToken)).toEqual(['ACCESS_TOKEN_1', 'ACCESS_TOKEN_2']);

    // Outside the 48-hour window WeChat refuses: no retry, the agent sees why.
    peer!.answers.push({ errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' });
    const late = await deliveryOf(ticket.id, await reply(ticket.id, '请问还有其他问题吗？'), 'failed');
    expect(late.deliveryError).toBe('WeChat refused the message: response out of time limit or subscription is canceled (errcode 45015)');
    expect(peer!.sent).toHaveLength(5);
  });
});

describe('WeChat configuration from the environment', () => {
  it('reads one account, gives the demo its account, and names the variable on a mistake', () => {
    expect(wechatOptionsFromEnv({}, { demo: false })).toBeNull();
    expect(wechatOptionsFromEnv({ WECHAT_API_BASE: 'http://127.0.0.1:9/' }, { demo: true })).toEqual({
      accounts: [DEMO_WECHAT_ACCOUNT],
      apiBase: 'http://127.0.0.1:9',
    });
    expect(
      wechatOptionsFromEnv(
        { WECHAT_APP_ID: ACCOUNT.appId, WECHAT_TOKEN: ACCOUNT.token, WECHAT_AES_KEY: ACCOUNT.encodingAesKey, WECHAT_APP_SECRET: ACCOUNT.appSecret },
        { demo: false },
      ),
    ).toEqual({ accounts: [{ appId: ACCOUNT.appId, token: ACCOUNT.token, encodingAesKey: ACCOUNT.encodingAesKey, appSecret: ACCOUNT.appSecret }] });
    expect(() => wechatOptionsFromEnv({ WECHAT_TOKEN: 'abc' }, { demo: false })).toThrow(/without WECHAT_APP_ID/);
    expect(() => wechatOptionsFromEnv({ WECHAT_APP_ID: ACCOUNT.appId }, { demo: false })).toThrow(/WECHAT_TOKEN/);
    expect(() => wechatOptionsFromEnv({ WECHAT_APP_ID: ACCOUNT.appId, WECHAT_TOKEN: 'abc', WECHAT_AES_KEY: 'short' }, { demo: false })).toThrow(
      /WECHAT_AES_KEY: .*43/,
    );
    expect(() => wechatOptionsFromEnv({ WECHAT_APP_ID: ACCOUNT.appId, WECHAT_TOKEN: 'abc', WECHAT_API_BASE: 'api.weixin.qq.com' }, { demo: false })).toThrow(
      /WECHAT_API_BASE/,
    );
    expect(decodeEncodingAesKey(DEMO_WECHAT_ACCOUNT.encodingAesKey!)).toHaveLength(32);
    const base = { WECHAT_APP_ID: ACCOUNT.appId, WECHAT_TOKEN: ACCOUNT.token };
    expect(wechatOptionsFromEnv({ ...base, WECHAT_AES_KEY: ACCOUNT.encodingAesKey, WECHAT_MODE: 'compatible' }, { demo: false })?.accounts[0]?.mode).toBe(
      'compatible',
    );
    expect(() => wechatOptionsFromEnv({ ...base, WECHAT_MODE: 'safe' }, { demo: false })).toThrow(/WECHAT_MODE=safe needs WECHAT_AES_KEY/);
    expect(() => wechatOptionsFromEnv({ ...base, WECHAT_MODE: 'encrypted' }, { demo: false })).toThrow(/WECHAT_MODE must be one of plain, compatible, safe/);
  });
});

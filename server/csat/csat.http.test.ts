/**
 * The satisfaction survey end to end on a real server with the real email channel against a
 * real Dovecot: a customer mails in, the agent completes the ticket, the invitation is claimed
 * and sent through the SMTP sender into the customer's mailbox with a working link (never
 * stored: the ticket holds the placeholder), the customer rates on the page over HTTP, and the
 * refusals beside it — a second answer, an unknown token, an expired link, too many tries from
 * one address — answer with a clear page in both languages and write nothing.
 */
import { randomUUID } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSAT_LINK_PLACEHOLDER, CSAT_LINK_TTL_MS } from '../../shared/csat.js';
import type { Mutation } from '../../shared/sync.js';
import { DEFAULT_RATE_LIMITS } from '../rateLimits.js';
import { seedTestOrganisation, startTestServer, type TestServer } from '../testHarness.js';
import { emailChannel } from '../channels/email/emailChannel.js';
import { parseMail } from '../channels/email/parseMail.js';
import { startTestDovecot, type TestDovecot } from '../channels/email/testDovecot.js';
import { buildMail, sendWithNodemailer } from '../channels/email/testMail.js';

const SUPPORT = { address: 'support@demo.local', password: '客服-imap-pw' };
const ZHANG = { address: 'zhangwei@example.cn', password: 'zw-pw' };
const WAIT = { timeout: 15_000, interval: 50 };
const LINK = /http:\/\/[^\s]+\/csat\/([A-Za-z0-9_-]{43})/;

let dovecot: TestDovecot;
let server: TestServer;

async function mailIn(subject: string, messageId: string): Promise<string> {
  const sent = await sendWithNodemailer(
    dovecot.lmtpPort,
    buildMail({ from: ZHANG.address, fromName: '张伟', to: SUPPORT.address, subject, text: `${subject}，请帮忙处理。`, messageId }),
    { from: ZHANG.address, to: SUPPORT.address },
    { lmtp: true },
  );
  if (!sent.ok) throw new Error(`LMTP delivery failed: ${sent.response}`);
  let ticketId: string | null = null;
  await vi.waitFor(async () => {
    ticketId = await server.store.findTicketByExternalMessageIds('email', [messageId]);
    expect(ticketId).not.toBeNull();
  }, WAIT);
  return ticketId!;
}

async function complete(ticketId: string): Promise<void> {
  const agent = (await server.store.getUser('agent_wang'))!;
  await server.store.assignTicket({
    ticketId,
    assignee: { id: agent.id, username: agent.username, displayName: agent.displayName },
    reason: { code: 'assigned_by_lead', byName: '李主管' },
    now: server.clock.now(),
  });
  for (const body of [
    { kind: 'setFields', result: '已处理' },
    { kind: 'setStatus', status: 'completed' },
  ]) {
    const mutation = { mutationId: randomUUID(), ticketId, createdAt: server.clock.now(), ...body } as Mutation;
    expect(await server.store.applyMutation(agent, 'client-1', mutation, server.clock.now())).toMatchObject({ ok: true });
  }
}

/** The survey links in the customer's mailbox, by ticket id (from the subject). */
async function linksInMailbox(): Promise<Map<string, string>> {
  const client = new ImapFlow({
    host: dovecot.host,
    port: dovecot.imapPort,
    secure: false,
    auth: { user: ZHANG.address, pass: ZHANG.password },
    logger: false,
  });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    const links = new Map<string, string>();
    for (const message of await client.fetchAll('1:*', { source: true })) {
      const mail = await parseMail(message.source!);
      const link = LINK.exec(mail.text)?.[0];
      const ticket = /\[(GD\d+)\]/.exec(mail.subject)?.[1];
      if (link && ticket) links.set(ticket, link);
    }
    return links;
  } finally {
    await client.logout();
  }
}

async function linkFor(ticketId: string): Promise<string> {
  let link = '';
  await vi.waitFor(async () => {
    link = (await linksInMailbox()).get(ticketId) ?? '';
    expect(link).not.toBe('');
  }, WAIT);
  return link;
}

function post(url: string, form: Record<string, string>, lang = 'zh-CN'): Promise<Response> {
  return fetch(`${url}?lang=${lang}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

beforeAll(async () => {
  dovecot = await startTestDovecot([SUPPORT, ZHANG]);
  server = await startTestServer({
    deliveryRetryDelayMs: 20,
    rateLimits: { ...DEFAULT_RATE_LIMITS, csatPerAddress: { points: 12, durationSec: 600 } },
    alarms: { intervalMs: 10, recheckMs: 60_000 },
    channels: [
      emailChannel({
        addresses: [SUPPORT.address],
        maxMailBytes: 1024 * 1024,
        maxAttachmentBytes: 64 * 1024,
        imap: {
          host: dovecot.host,
          port: dovecot.imapPort,
          secure: false,
          user: SUPPORT.address,
          password: SUPPORT.password,
          mailbox: 'INBOX',
          reconnectDelayMs: 50,
        },
        smtpOut: { host: dovecot.host, port: dovecot.lmtpPort, secure: false, lmtp: true, from: SUPPORT.address, fromName: '客服中心' },
      }),
    ],
  });
  await seedTestOrganisation(server.store, [
    { username: 'agent_wang', displayName: '王芳', channels: ['email'] },
    { username: 'lead_li', displayName: '李主管', role: 'lead', channels: ['email'] },
  ]);
});

afterAll(async () => {
  await server?.stop();
  await dovecot?.stop();
});

describe('CSAT over email and the rating page', () => {
  it('mails the invitation on completion, takes one rating over HTTP, and refuses the second', async () => {
    const ticketId = await mailIn('发票开错了', '<csat.1@example.cn>');
    await complete(ticketId);
    const link = await linkFor(ticketId);
    const survey = (await server.store.csat.forTicket(ticketId))!;
    expect(survey).toMatchObject({ status: 'sent', via: 'email' });
    // The ticket keeps the placeholder; the token exists only in the mail (and hashed in the database).
    const invite = (await server.store.getTicketBundle(ticketId))!.messages.find((m) => m.id === survey.inviteMessageId)!;
    expect(invite.text).toContain(CSAT_LINK_PLACEHOLDER);
    expect(invite.deliveryStatus).toBe('sent');

    const page = await fetch(`${link}?lang=zh-CN`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('满意度评价');
    expect(html).toContain(ticketId);
    expect(html).toContain('name="professionalism"');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await (await fetch(`${link}?lang=en`)).text()).toContain('Rate our service');

    // An incomplete form: the form again with the reason, nothing written.
    const incomplete = await post(link, { attitude: '5', speed: '9' });
    expect(incomplete.status).toBe(400);
    expect(await incomplete.text()).toContain('请为每一项选择 1 到 5 分');
    expect((await server.store.csat.forTicket(ticketId))!.result).toBeNull();

    const rated = await post(link, { attitude: '5', speed: '4', resolution: '5', professionalism: '4', comment: '<b>很好</b>' }, 'en');
    expect(rated.status).toBe(200);
    const thanks = await rated.text();
    expect(thanks).toContain('Thank you for your rating!');
    expect(thanks).toMatch(/FK20241108\d{3}/);
    expect((await server.store.csat.forTicket(ticketId))!.result).toMatchObject({ score: 4.5, comment: '<b>很好</b>' });

    const again = await post(link, { attitude: '1', speed: '1', resolution: '1', professionalism: '1' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('已评价');
    expect((await server.store.csat.forTicket(ticketId))!.result).toMatchObject({ score: 4.5 });
    const notes = (await server.store.getTicketBundle(ticketId))!.notes.filter((note) => note.authorId === 'csat');
    expect(notes).toHaveLength(1);
  });

  it('a low score alarms the leads once and sets the follow-up; an expired link and an unknown one are refused', async () => {
    const low = await mailIn('退款一直没到账', '<csat.2@example.cn>');
    const old = await mailIn('快递丢件', '<csat.3@example.cn>');
    await complete(low);
    await complete(old);
    const lowLink = await linkFor(low);
    const oldLink = await linkFor(old);

    const rated = await post(lowLink, { attitude: '2', speed: '1', resolution: '1', professionalism: '2' });
    expect(rated.status).toBe(200);
    const lead = (await server.store.getUser('lead_li'))!;
    const alarms = (await server.store.alerts.list(lead)).alarms.filter((alarm) => alarm.kind === 'csat_low');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ ticketId: low, facts: { score: 1.5 } });
    expect((await server.store.getTicket(low))!.followUpAt).toBe(server.clock.now() + 24 * 60 * 60 * 1000);

    server.clock.advance(CSAT_LINK_TTL_MS);
    const expired = await fetch(`${oldLink}?lang=en`);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('Link expired');
    expect((await post(oldLink, { attitude: '5', speed: '5', resolution: '5', professionalism: '5' })).status).toBe(409);
    expect((await server.store.csat.forTicket(old))!.result).toBeNull();

    const unknown = await fetch(`${server.url}/csat/${'x'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('链接无效');
    expect((await fetch(`${server.url}/csat/<script>`)).status).toBe(404);
  });

  it('stops one address guessing links: the rate-limited page, and nothing answered', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i += 1) statuses.push((await fetch(`${server.url}/csat/${randomUUID().replace(/-/g, '').padEnd(43, 'a')}`)).status);
    expect(statuses).toContain(429);
    const limited = await fetch(`${server.url}/csat/${'y'.repeat(43)}?lang=en`);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Please try again later');
  });
});

/**
 * Hostile inbound contacts, as a table of attacks and what each must meet
 * (docs/technical/security.md). Every row sends real mail over SMTP (nodemailer) or real
 * requests to the inbound API of a real server on SQLite and on PostgreSQL, and reads the
 * ticket back the way a workstation does: a lead's `sync:pull` over a real socket, read by the
 * core's own parser. Anyone can send a mail and name its files; the From address is all a mail
 * proves, and it is easily forged. What an integration sends about a customer is what someone
 * typed into its form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../shared/domain.js';
import type { UnreadableChange } from '../shared/sync.js';
import { parsePullAck } from '../main/core/sync/ackSchemas.js';
import { emailChannel, type EmailChannel } from './channels/email/emailChannel.js';
import { buildMail, sendWithNodemailer, type TestMailSpec } from './channels/email/testMail.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, startTestServer, type TestServer } from './testHarness.js';
import { connectPullingLead, type PullingLead } from './testing/leadPull.js';

let t: TestServer;
let smtpPort: number;
let lead: PullingLead;
let sequence = 0;

const ZHANG = { from: 'zhangwei@example.cn', fromName: '张伟' };

function nextId(): string {
  return `<attack10.${String(++sequence)}.${String(Date.now())}@example.cn>`;
}

async function send(spec: Omit<TestMailSpec, 'messageId'> & { messageId?: string }): Promise<string> {
  const messageId = spec.messageId ?? nextId();
  const sent = await sendWithNodemailer(smtpPort, buildMail({ ...spec, messageId }), { from: spec.from, to: 'support@demo.local' });
  if (!sent.ok) throw new Error(`mail refused: ${String(sent.code)} ${sent.response}`);
  const ticketId = await t.store.findTicketByExternalMessageIds('email', [messageId]);
  if (!ticketId) throw new Error(`no ticket holds ${messageId}; log:\n${t.logLines.join('\n')}`);
  return ticketId;
}

/** What the lead's workstation reads of the customer of a ticket now (null: no readable change carried it). */
async function customerAsTheWorkstationReadsIt(ticketId: string): Promise<{ identities: number | null; first: string | null; unreadable: number }> {
  let customer: { identities: Array<{ kind: string; value: string }> } | null = null;
  const customerId = (await t.store.getTicket(ticketId))!.customerId;
  const { changes, unreadable } = await lead.pullSince(0);
  for (const change of changes) {
    if (change.kind === 'bundle' && change.bundle.customer.id === customerId) customer = change.bundle.customer;
    if (change.kind === 'customer' && change.customer.id === customerId) customer = change.customer;
  }
  return { identities: customer?.identities.length ?? null, first: customer?.identities[0]?.kind ?? null, unreadable: unreadable.length };
}

/** What the lead's workstation reads of a ticket now: its messages as the change log delivers them, and the changes of it it could not read. */
async function asTheWorkstationReadsIt(ticketId: string): Promise<{ messages: Message[]; unreadable: UnreadableChange[] }> {
  const messages = new Map<string, Message>();
  const pulled = await lead.pullSince(0);
  for (const change of pulled.changes) {
    if (change.kind === 'bundle' && change.bundle.ticket.id === ticketId) for (const message of change.bundle.messages) messages.set(message.id, message);
    if (change.kind === 'message' && change.ticket.id === ticketId) messages.set(change.message.id, change.message);
  }
  const unreadable = pulled.unreadable.filter((item) => item.ticketId === ticketId);
  return { messages: [...messages.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)), unreadable };
}

const file = (fileName: string, contentType = 'application/pdf') => ({ fileName, contentType, data: Buffer.from('%PDF-1.4 test') });

interface Row {
  attack: string;
  run: () => Promise<unknown>;
  expect: unknown;
}

const ROWS: Row[] = [
  {
    attack: 'a mail names its attachment with 300 characters (the ticket was unreadable to every workstation)',
    run: async () => {
      const { messages, unreadable } = await asTheWorkstationReadsIt(
        await send({ ...ZHANG, subject: '发票', text: '附件是发票', attachments: [file(`${'发票'.repeat(150)}.pdf`)] }),
      );
      const name = messages[0]?.attachments[0]?.fileName ?? '';
      return { unreadable: unreadable.length, length: name.length, extension: name.slice(-4), startsAs: name.slice(0, 4) };
    },
    expect: { unreadable: 0, length: 255, extension: '.pdf', startsAs: '发票发票' },
  },
  {
    attack: 'a mail declares a content type of 300 characters',
    run: async () => {
      const { messages, unreadable } = await asTheWorkstationReadsIt(
        await send({ ...ZHANG, subject: '类型', text: '附件', attachments: [file('单据.dat', `application/${'x'.repeat(300)}`)] }),
      );
      return { unreadable: unreadable.length, contentType: messages[0]?.attachments[0]?.contentType };
    },
    expect: { unreadable: 0, contentType: 'application/octet-stream' },
  },
  {
    attack: 'a mail carries 120 attachments (a message holds at most 100)',
    run: async () => {
      const files = Array.from({ length: 120 }, (_, i) => file(`page-${String(i + 1)}.pdf`));
      const { messages, unreadable } = await asTheWorkstationReadsIt(await send({ ...ZHANG, subject: '扫描件', text: '全部扫描件', attachments: files }));
      return {
        unreadable: unreadable.length,
        stored: messages[0]?.attachments.length,
        told: messages[0]?.text.includes('20 more attachment(s) over the limit of 100'),
      };
    },
    expect: { unreadable: 0, stored: 100, told: true },
  },
  {
    attack: 'a mail names its files with a path, control characters and a right-to-left override that shows "exe.pdf"',
    run: async () => {
      const { messages } = await asTheWorkstationReadsIt(
        await send({
          ...ZHANG,
          subject: '文件名',
          text: '附件',
          attachments: [file('../../etc/passwd.pdf'), file('invoice\u202Efdp.zip', 'application/zip'), file('a\u0007b.pdf')],
        }),
      );
      return messages[0]?.attachments.map((attachment) => attachment.fileName);
    },
    expect: ['.._.._etc_passwd.pdf', 'invoicefdp.zip', 'a_b.pdf'],
  },
  {
    attack: "a forged mail from a customer's address, tagged with their ticket, carries a 300-character file name to hide the ticket from the agents",
    run: async () => {
      const ticketId = await send({ ...ZHANG, subject: '退款进度', text: '我的退款到哪一步了？' });
      await send({ from: ZHANG.from, subject: `Re: 退款进度 [${ticketId}]`, text: '补充材料', attachments: [file(`${'x'.repeat(300)}.pdf`)] });
      const { messages, unreadable } = await asTheWorkstationReadsIt(ticketId);
      return { unreadable: unreadable.length, messages: messages.map((message) => message.text) };
    },
    expect: { unreadable: 0, messages: ['我的退款到哪一步了？', '补充材料'] },
  },
  {
    attack:
      "a script submits an integration's form 505 times with one phone and a new email each time (the customer and every ticket of theirs was unreadable to every workstation)",
    run: async () => {
      const contact = (i: number) => ({
        channel: 'social' as const,
        customer: { name: '刘洋', phone: '13912345678', email: `bot${String(i)}@example.cn` },
        text: `留言 ${String(i)}`,
      });
      // The first submissions over HTTP; the next 500 stored as the inbound API stores them (its claim scope), for speed.
      let ticketId = '';
      for (let i = 0; i < 5; i++) {
        const response = await postJson<{ ticketId: string }>(`${t.url}/api/v1/inbound`, JSON.stringify(contact(i)), TEST_INTEGRATION_TOKEN);
        if (response.status !== 201 && response.status !== 200) throw new Error(`inbound refused: ${String(response.status)} ${JSON.stringify(response.body)}`);
        ticketId = (response.body as { ticketId: string }).ticketId;
      }
      for (let i = 5; i < 505; i++) await t.store.ingestInbound({ ...contact(i), claimScope: 'api:tests' }, { now: t.clock.now() });
      const customerId = (await t.store.getTicket(ticketId))!.customerId;
      const all = await t.store.ingestInbound({ ...contact(505), claimScope: 'api:tests' }, { now: t.clock.now() });
      // Identities past what a workstation reads still recognise the customer.
      return { ...(await customerAsTheWorkstationReadsIt(ticketId)), stillRecognised: all.ticket.customerId === customerId };
    },
    expect: { identities: 500, first: 'social', unreadable: 0, stillRecognised: true },
  },
  {
    attack:
      "an integration sends a message id of 500 characters, the most its API takes (stored with the integration's prefix, over what a workstation reads), and sends it again",
    run: async () => {
      const contact = { channel: 'social', customer: { name: '陈静', socialId: 'weibo:chenjing' }, text: '第一条', externalMessageId: `m-${'9'.repeat(498)}` };
      const first = await postJson<{ ticketId: string; duplicate: boolean }>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
      const again = await postJson<{ ticketId: string; duplicate: boolean }>(`${t.url}/api/v1/inbound`, JSON.stringify(contact), TEST_INTEGRATION_TOKEN);
      const ticketId = (first.body as { ticketId: string }).ticketId;
      const { messages, unreadable } = await asTheWorkstationReadsIt(ticketId);
      return {
        statuses: [first.status, again.status],
        duplicate: (again.body as { duplicate: boolean }).duplicate,
        unreadable: unreadable.length,
        texts: messages.map((message) => message.text),
      };
    },
    expect: { statuses: [201, 200], duplicate: true, unreadable: 0, texts: ['第一条'] },
  },
];

describe.each(TEST_BACKENDS)('hostile inbound contacts on %s: attacks and what they meet', (backend) => {
  beforeAll(async () => {
    t = await startTestServer({
      backend,
      channels: [emailChannel({ addresses: ['support@demo.local'], smtp: { host: '127.0.0.1', port: 0 }, maxAttachmentBytes: 64 * 1024 })],
    });
    smtpPort = (t.server.channels.get('email') as EmailChannel).smtpPort();
    await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    lead = await connectPullingLead(t, parsePullAck);
  });
  afterAll(async () => {
    lead.socket.disconnect();
    await t.stop();
  });

  // The identities row stores 505 contacts: generous room on a loaded machine (no timing is asserted).
  it.each(ROWS)(
    '$attack',
    async (row) => {
      expect(await row.run()).toEqual(row.expect);
    },
    180_000,
  );
});

/**
 * The repair of rows stored before attack-10 that no workstation could read (migration 035 /
 * PostgreSQL 026, server/unreadableRows.ts), on a real server on SQLite and on PostgreSQL. The
 * rows are written as the old code stored them (the sender's file names and types as sent, every
 * file, the inbound API id with its prefix however long), seen unreadable through a lead's real
 * `sync:pull` read by the core's own parser, then repaired as at start-up on a database that has
 * just been migrated, and read again the same way.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message, TicketBundle } from '../shared/domain.js';
import { readBundles, type UnreadableChange } from '../shared/sync.js';
import { parsePullAck } from '../main/core/sync/ackSchemas.js';
import { TEST_BACKENDS, TEST_INTEGRATION_TOKEN, postJson, startTestServer, type TestServer } from './testHarness.js';
import { connectPullingLead, type PullingLead } from './testing/leadPull.js';
import { inboundExternalMessageId } from './externalMessageIds.js';
import { UNREADABLE_ROWS_REPAIR } from './unreadableRows.js';

let t: TestServer;
let lead: PullingLead;

/**
 * Writes a row behind the store's back, as the code before attack-10 left it (the store lends only
 * read-only SQL): a second connection to the same SQLite file or PostgreSQL database.
 */
async function writeRaw(text: string, params: ReadonlyArray<string | number | null>): Promise<void> {
  if (t.databaseUrl === null) {
    const db = new Database(t.store.filePath!);
    try {
      db.pragma('busy_timeout = 10000');
      db.prepare(text).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    let n = 0;
    await client.query(
      text.replace(/\?/g, () => `$${String(++n)}`),
      [...params],
    );
  } finally {
    await client.end();
  }
}

/** Every change the lead's workstation reads after `since`: the bundles (last one per ticket) and what it could not read. */
async function pullFrom(since: number): Promise<{ bundles: Map<string, TicketBundle>; messages: Message[]; unreadable: UnreadableChange[]; upTo: number }> {
  const bundles = new Map<string, TicketBundle>();
  const messages: Message[] = [];
  const { changes, unreadable, upTo } = await lead.pullSince(since);
  for (const change of changes) {
    if (change.kind === 'bundle') bundles.set(change.bundle.ticket.id, change.bundle);
    if (change.kind === 'message') messages.push(change.message);
  }
  return { bundles, messages, unreadable, upTo };
}

const pdf = (fileName: string, contentType = 'application/pdf') => ({ fileName, contentType, data: Buffer.from('%PDF-1.4 test') });

/** What the old code stored for the files of a hostile mail: the names and types as sent, all 120 of them. */
const OLD_FILES = [
  pdf(`${'发票'.repeat(150)}.pdf`),
  pdf('单据.dat', `application/${'x'.repeat(300)}`),
  pdf('../../etc/passwd.pdf'),
  pdf('invoice\u202Efdp.zip', 'application/zip'),
  ...Array.from({ length: 116 }, (_, i) => pdf(`page-${String(i + 1)}.pdf`)),
];
const LONG_API_ID = `m-${'9'.repeat(498)}`;

describe.each(TEST_BACKENDS)('rows no workstation could read, repaired on %s', (backend) => {
  beforeAll(async () => {
    t = await startTestServer({ backend });
    await t.store.createIntegrationToken('tests', TEST_INTEGRATION_TOKEN);
    lead = await connectPullingLead(t, parsePullAck);
  });
  afterAll(async () => {
    lead.socket.disconnect();
    await t.stop();
  });

  it('a mail with long, path and right-to-left file names, a long type and 120 files, and an inbound API id of 510 characters: readable again, and a repeat of the id is still a repeat', async () => {
    const at = t.clock.now();
    // A mail, then its rows as the code before attack-10 left them.
    const mail = await t.store.ingestInbound(
      {
        channel: 'email',
        source: 'email',
        customer: { email: 'zhangwei@example.cn', name: '张伟' },
        proven: ['email'],
        text: '全部扫描件',
        externalMessageId: '<old.1@example.cn>',
        attachments: OLD_FILES,
      },
      { now: at },
    );
    const mailMessageId = mail.messageId;
    const stored = JSON.parse(
      (await t.store.sql.get<{ attachments_json: string }>('SELECT attachments_json FROM messages WHERE id = ?', [mailMessageId]))!.attachments_json,
    ) as Array<{ id: string; fileName: string; contentType: string; size: number }>;
    const old = stored.map((file, index) => ({ ...file, fileName: OLD_FILES[index]!.fileName, contentType: OLD_FILES[index]!.contentType }));
    await writeRaw('UPDATE messages SET attachments_json = ? WHERE id = ?', [JSON.stringify(old), mailMessageId]);
    for (const file of old) await writeRaw('UPDATE attachments SET file_name = ?, content_type = ? WHERE id = ?', [file.fileName, file.contentType, file.id]);

    // An inbound API message, its id stored whole with the prefix, as before attack-10.
    const posted = await postJson<{ ticketId: string; messageId: string }>(
      `${t.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'social', customer: { name: '陈静', socialId: 'weibo:chenjing' }, text: '第一条', externalMessageId: 'short-1' }),
      TEST_INTEGRATION_TOKEN,
    );
    expect(posted.status).toBe(201);
    const apiMessageId = (posted.body as { messageId: string }).messageId;
    await writeRaw('UPDATE messages SET external_message_id = ? WHERE id = ?', [`api:tests:${LONG_API_ID}`, apiMessageId]);
    const apiTicketId = (posted.body as { ticketId: string }).ticketId;

    // Unreadable as stored: a workstation's bootstrap (the core's own reader) refuses both tickets.
    const bootstrapRead = readBundles([await t.store.getTicketBundle(mail.ticketId), await t.store.getTicketBundle(apiTicketId)], at);
    expect(bootstrapRead.unreadable.map((item) => item.ticketId)).toEqual([mail.ticketId, apiTicketId]);
    const { upTo: since } = await pullFrom(0);

    // As at the first start after migration 035 / 026: the table is there, the repair not yet done.
    await writeRaw('DELETE FROM data_repairs WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);
    expect(await t.store.repairUnreadableRows(t.clock.now)).toEqual({ messages: 2, tickets: 2 });

    const after = await pullFrom(since);
    expect(after.unreadable).toEqual([]);
    const mailMessage = after.bundles.get(mail.ticketId)?.messages.find((message) => message.id === mailMessageId);
    expect({
      files: mailMessage?.attachments.length,
      first: mailMessage?.attachments[0]?.fileName.length,
      firstEnds: mailMessage?.attachments[0]?.fileName.slice(-4),
      type: mailMessage?.attachments[1]?.contentType,
      names: mailMessage?.attachments.slice(2, 4).map((file) => file.fileName),
      told: mailMessage?.text,
    }).toEqual({
      files: 100,
      first: 255,
      firstEnds: '.pdf',
      type: 'application/octet-stream',
      names: ['.._.._etc_passwd.pdf', 'invoicefdp.zip'],
      told: '全部扫描件\n\n[另有 20 个附件超过每封 100 个的上限，不再列出 / 20 more attachment(s) over the limit of 100, no longer listed]',
    });
    // The file's own row (the download's name) is renamed too.
    expect(await t.store.sql.get('SELECT file_name FROM attachments WHERE id = ?', [old[2]!.id])).toEqual({ file_name: '.._.._etc_passwd.pdf' });
    const apiMessage = after.bundles.get(apiTicketId)?.messages.find((message) => message.id === apiMessageId);
    expect(apiMessage?.externalMessageId).toMatch(/^api:tests:#sha256:[A-Za-z0-9_-]{43}$/);

    // The integration sends the long id again: still a repeat, of the same message.
    const again = await postJson<{ ticketId: string; duplicate: boolean }>(
      `${t.url}/api/v1/inbound`,
      JSON.stringify({ channel: 'social', customer: { name: '陈静', socialId: 'weibo:chenjing' }, text: '第一条', externalMessageId: LONG_API_ID }),
      TEST_INTEGRATION_TOKEN,
    );
    expect({ status: again.status, body: again.body }).toMatchObject({ status: 200, body: { ticketId: apiTicketId, duplicate: true } });

    // Done once: another start finds nothing to do.
    expect(await t.store.repairUnreadableRows(t.clock.now)).toEqual({ messages: 0, tickets: 0 });
  });

  it('an id stored whole before attack-10 and sent again since (stored then in its new form, as a second message): both readable, repeats still repeats', async () => {
    const contact = (text: string, externalMessageId: string) =>
      JSON.stringify({ channel: 'social', customer: { name: '刘洋', socialId: 'weibo:liuyang' }, text, externalMessageId });
    const first = await postJson<{ ticketId: string; messageId: string }>(`${t.url}/api/v1/inbound`, contact('旧的', 'short-2'), TEST_INTEGRATION_TOKEN);
    const oldMessageId = (first.body as { messageId: string }).messageId;
    const longId = `n-${'8'.repeat(498)}`;
    await writeRaw('UPDATE messages SET external_message_id = ? WHERE id = ?', [`api:tests:${longId}`, oldMessageId]);
    // Since attack-10 the repeat did not match the old row: it was stored again under the digest.
    const resent = await postJson<{ ticketId: string; messageId: string; duplicate: boolean }>(
      `${t.url}/api/v1/inbound`,
      contact('旧的', longId),
      TEST_INTEGRATION_TOKEN,
    );
    expect((resent.body as { duplicate: boolean }).duplicate).toBe(false);
    const { upTo: since } = await pullFrom(0);

    await writeRaw('DELETE FROM data_repairs WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);
    expect(await t.store.repairUnreadableRows(t.clock.now)).toEqual({ messages: 1, tickets: 1 });
    const after = await pullFrom(since);
    expect(after.unreadable).toEqual([]);
    const repaired = after.bundles.get((first.body as { ticketId: string }).ticketId)?.messages.find((message) => message.id === oldMessageId);
    expect(repaired?.externalMessageId).toBe(`${inboundExternalMessageId('tests', longId)}:${oldMessageId}`);
    const again = await postJson<{ messageId: string; duplicate: boolean }>(`${t.url}/api/v1/inbound`, contact('旧的', longId), TEST_INTEGRATION_TOKEN);
    expect(again.body).toMatchObject({ messageId: (resent.body as { messageId: string }).messageId, duplicate: true });
  });

  /** Mails of `count` customers with one file each, their names stored as the old code did (over 255 characters): the message ids, in id order. */
  async function oldMails(count: number, prefix: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const mail = await t.store.ingestInbound(
        {
          channel: 'email',
          source: 'email',
          customer: { email: `${prefix}${String(i)}@example.cn`, name: `客户${String(i)}` },
          proven: ['email'],
          text: '扫描件',
          externalMessageId: `<${prefix}.${String(i)}@example.cn>`,
          attachments: [pdf('x.pdf')],
        },
        { now: t.clock.now() },
      );
      const [stored] = JSON.parse(
        (await t.store.sql.get<{ attachments_json: string }>('SELECT attachments_json FROM messages WHERE id = ?', [mail.messageId]))!.attachments_json,
      ) as Array<{ fileName: string }>;
      await writeRaw('UPDATE messages SET attachments_json = ? WHERE id = ?', [
        JSON.stringify([{ ...stored, fileName: `${'长'.repeat(300)}.pdf` }]),
        mail.messageId,
      ]);
      ids.push(mail.messageId);
    }
    return ids.sort();
  }

  it('more rows than one batch: each batch commits on its own, and every row is repaired, each ticket sent again once', async () => {
    const ids = await oldMails(7, 'batch');
    const { upTo: since } = await pullFrom(0);
    await writeRaw('DELETE FROM data_repairs WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);

    expect(await t.store.repairUnreadableRows(t.clock.now, { batch: 3 })).toEqual({ messages: 7, tickets: 7 });
    const after = await pullFrom(since);
    expect(after.unreadable).toEqual([]);
    expect(
      ids.map((id) => [...after.bundles.values()].some((bundle) => bundle.messages.some((m) => m.id === id && m.attachments[0]!.fileName.length === 255))),
    ).toEqual(ids.map(() => true));
    // Done: the claim is gone with the row that says so.
    expect(await t.store.sql.all('SELECT name FROM data_repair_claims')).toEqual([]);
    expect(await t.store.sql.all('SELECT name FROM data_repairs')).toEqual([{ name: UNREADABLE_ROWS_REPAIR }]);
  });

  it('a claim left by a node that stopped midway: a start waits while it holds, then takes it over where it got to', async () => {
    const ids = await oldMails(5, 'resume');
    await writeRaw('DELETE FROM data_repairs WHERE name = ?', [UNREADABLE_ROWS_REPAIR]);
    // The stopped node had got past the first two of them.
    await writeRaw("INSERT INTO data_repair_claims (name, claimed_by, claimed_until, stage, resume_after) VALUES (?, 'stopped-node', ?, 'messages', ?)", [
      UNREADABLE_ROWS_REPAIR,
      t.clock.now() + 60_000,
      ids[1]!,
    ]);

    const repairing = t.store.repairUnreadableRows(t.clock.now, { batch: 2 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Still its claim: nothing repaired while it holds.
    expect(await t.store.sql.all('SELECT claimed_by FROM data_repair_claims')).toEqual([{ claimed_by: 'stopped-node' }]);
    t.clock.advance(60_000);
    expect(await repairing).toEqual({ messages: 3, tickets: 3 });
    expect(await t.store.sql.all('SELECT name FROM data_repair_claims')).toEqual([]);
    // Again: done, nothing to do.
    expect(await t.store.repairUnreadableRows(t.clock.now)).toEqual({ messages: 0, tickets: 0 });
  });
});

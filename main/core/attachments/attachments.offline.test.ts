/**
 * Attachments offline (issue 12), through a real workstation core against the real server
 * (demo organisation) with its real encrypted SQLite cache: the bytes of the files on the
 * tickets the agent holds (a customer's mail attachments, the agent's own sent reply file) are
 * kept after sync and open with the server stopped; a file on a ticket the agent only looked at
 * in the queue is not kept, nor one larger than the budget (and the offline error says which);
 * the bytes never sit in a plain file; a released ticket's files go; and over the budget the
 * least recently opened file makes room for the one the agent opens.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { Attachment } from '../../../shared/domain.js';
import type { WorkstationCore } from '../api.js';
import { applyCacheKey } from '../cache/cache.js';
import { createWorkstationCore, unlockCacheKey, userCacheFile } from '../index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from '../testing/coreCalls.js';

const KB = 1024;
/** A small budget, so the test's files reach it: 100 KB. */
const BUDGET = 100 * KB;

let root: string;
let serverDir: string;
let port: number;
let server: RunningServer | null = null;
let agent1: WorkstationCore;
let agentDir: string;

/** Bytes that say which file they are, padded to `size`: found again in a file only if stored unencrypted. */
function fileBytes(marker: string, size: number): Buffer {
  const head = Buffer.from(`%PDF-1.4 ${marker} `, 'utf8');
  return Buffer.concat([head, Buffer.alloc(size - head.length, marker.charCodeAt(0))]);
}

async function assignedMail(username: string | null, email: string, subject: string, files: Array<{ fileName: string; contentType: string; data: Buffer }>) {
  const { ticketId } = await server!.store.ingestInbound(
    { channel: 'email', customer: { name: subject, email }, subject, text: `${subject}，见附件`, source: 'email', proven: ['email'], attachments: files },
    { now: Date.now() },
  );
  if (username) {
    const user = (await server!.store.getUser(username))!;
    await server!.store.assignTicket({
      ticketId,
      assignee: { id: user.id, username: user.username, displayName: user.displayName },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
  }
  const attachments = (await server!.store.getTicketBundle(ticketId))!.messages.at(-1)!.attachments;
  return { ticketId, attachments };
}

async function keptIds(ticketId: string): Promise<string[]> {
  const outcome = await agent1.invoke('ticket.get', { ticketId });
  return outcome.ok ? (outcome.result as { keptAttachmentIds: string[] }).keptAttachmentIds : [];
}

/** What agent1's encrypted cache holds, read with the key the password unlocks (as a support tool would). */
async function keptRows(): Promise<Array<{ attachment_id: string; ticket_id: string; size: number }>> {
  const key = await unlockCacheKey(agentDir, 'agent1', 'demo');
  const db = new Database(userCacheFile(agentDir, 'agent1'), { readonly: true });
  try {
    applyCacheKey(db, key!);
    return db
      .prepare<[], { attachment_id: string; ticket_id: string; size: number }>(
        'SELECT attachment_id, ticket_id, size FROM attachment_bytes ORDER BY attachment_id',
      )
      .all();
  } finally {
    db.close();
  }
}

async function download(attachment: Attachment): Promise<Buffer> {
  return Buffer.from((await call(agent1, 'attachment.download', { attachmentId: attachment.id })).base64, 'base64');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'core-attachments-'));
  serverDir = path.join(root, 'server');
  server = await startServer({ port: 0, dataDir: serverDir, demo: true, log: () => {} });
  port = server.port;
  // Away agents get no routed tickets: what agent1 holds is what is assigned below.
  for (const agent of ['agent1', 'agent4']) await server.routing.setPresence(agent, 'away', 'lead', '李主管');
  agentDir = path.join(root, 'agent1');
  agent1 = await createWorkstationCore({
    dataDir: agentDir,
    serverUrl: server.url,
    reconnectDelayMs: 100,
    reconnectDelayMaxMs: 500,
    attachmentBudgetBytes: BUDGET,
  });
  await call(agent1, 'session.signIn', { username: 'agent1', password: 'demo' });
  await waitUntil(agent1, 'agent1 is online', onlineAndIdle(agent1));
});

afterAll(async () => {
  await agent1?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('attachments of held tickets, offline', () => {
  const invoice = fileBytes('INVOICE-7f3a', 30 * KB);
  const photo = fileBytes('PHOTO-91c2', 20 * KB);
  const quote = fileBytes('QUOTE-5d0e', 5 * KB);
  const video = fileBytes('VIDEO-c44b', 150 * KB);
  const queued = fileBytes('QUEUED-0b7d', 2 * KB);
  let held: { ticketId: string; attachments: Attachment[] };
  let huge: { ticketId: string; attachments: Attachment[] };
  let notHeld: { ticketId: string; attachments: Attachment[] };
  let sent: Attachment;

  it('keeps the bytes of the held tickets’ files after sync, the agent’s sent reply file too, and nothing of a ticket not held or over the budget', async () => {
    held = await assignedMail('agent1', 'chen.li@example.cn', '发票和照片', [
      { fileName: '发票.pdf', contentType: 'application/pdf', data: invoice },
      { fileName: '照片.png', contentType: 'image/png', data: photo },
    ]);
    huge = await assignedMail('agent1', 'video@example.cn', '监控录像', [{ fileName: '录像.mp4', contentType: 'video/mp4', data: video }]);
    // Queued (agent1 and agent4 are away): in agent1's cache once opened from the queue view, but not held.
    notHeld = await assignedMail(null, 'queue@example.cn', '排队中的邮件', [{ fileName: '排队.pdf', contentType: 'application/pdf', data: queued }]);
    await call(agent1, 'ticket.fetch', { ticketId: notHeld.ticketId });

    await waitUntil(agent1, 'both files of the held ticket are kept', async () => (await keptIds(held.ticketId)).length === 2);
    expect(await keptIds(held.ticketId)).toEqual(held.attachments.map((a) => a.id).sort());

    // The agent's reply with a file: once the server has it, its bytes are kept like the customer's.
    const uploaded = await call(agent1, 'attachment.upload', {
      ticketId: held.ticketId,
      uploadId: 'attach-offline-quote',
      fileName: '报价单.pdf',
      contentType: 'application/pdf',
      base64: quote.toString('base64'),
    });
    await call(agent1, 'ticket.reply', { ticketId: held.ticketId, text: '报价单见附件', attachments: [uploaded] });
    sent = uploaded;
    await waitUntil(agent1, 'the sent reply’s file is kept', async () => (await keptIds(held.ticketId)).includes(sent.id));

    expect(await keptIds(huge.ticketId)).toEqual([]);
    expect(await keptIds(notHeld.ticketId)).toEqual([]);
    const rows = await keptRows();
    expect(rows.map((row) => row.attachment_id).sort()).toEqual([...held.attachments.map((a) => a.id), sent.id].sort());
    expect(rows.reduce((sum, row) => sum + row.size, 0)).toBe(invoice.length + photo.length + quote.length);

    // Kept inside the encrypted cache only: no file under the workstation's folder holds the bytes in the clear.
    for (const file of filesUnder(agentDir)) {
      const bytes = readFileSync(file);
      for (const marker of ['INVOICE-7f3a', 'PHOTO-91c2', 'QUOTE-5d0e']) expect(bytes.includes(Buffer.from(marker)), `${marker} in ${file}`).toBe(false);
    }
  });

  it('opens the kept files with the server stopped; a file not kept says why, in facts the renderer localises', async () => {
    await server!.close();
    server = null;
    await waitUntil(agent1, 'agent1 is offline', async () => (await connectionOf(agent1)).status === 'offline');

    expect((await download(held.attachments[0]!)).equals(invoice)).toBe(true);
    expect((await download(held.attachments[1]!)).equals(photo)).toBe(true);
    const offlineQuote = await call(agent1, 'attachment.download', { attachmentId: sent.id });
    expect(offlineQuote).toMatchObject({ fileName: '报价单.pdf', contentType: 'application/pdf', size: quote.length });
    expect(Buffer.from(offlineQuote.base64, 'base64').equals(quote)).toBe(true);

    expect(await agent1.invoke('attachment.download', { attachmentId: huge.attachments[0]!.id })).toEqual({
      ok: false,
      error: {
        code: 'offline',
        message:
          'You are offline: 录像.mp4 (150.0 KB) is larger than the 100.0 KB this workstation keeps for offline use, so it was not kept; it can be downloaded once the connection is back.',
        offlineFile: { reason: 'over_budget', budgetBytes: BUDGET },
      },
    });
    expect(await agent1.invoke('attachment.download', { attachmentId: notHeld.attachments[0]!.id })).toMatchObject({
      ok: false,
      error: { code: 'offline', offlineFile: { reason: 'not_kept', budgetBytes: BUDGET } },
    });
  });

  it('drops the files of a ticket once it is no longer held', async () => {
    server = await startServer({ port, dataDir: serverDir, demo: true, log: () => {} });
    await waitUntil(agent1, 'agent1 is back online', onlineAndIdle(agent1));
    const zhang = (await server.store.getUser('agent2'))!;
    await server.store.assignTicket({
      ticketId: held.ticketId,
      assignee: { id: zhang.id, username: zhang.username, displayName: zhang.displayName },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: Date.now(),
    });
    await waitUntil(agent1, 'the released ticket’s files are dropped', async () => (await keptRows()).length === 0);
    // The server still serves them to whoever holds the ticket now; agent1 no longer sees it.
    expect(await agent1.invoke('attachment.download', { attachmentId: held.attachments[0]!.id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('keeps within the budget: the background fills free room only; an opened file makes room from the least recently used', async () => {
    const files = ['甲', '乙', '丙'].map((name, i) => ({
      fileName: `${name}.pdf`,
      contentType: 'application/pdf',
      data: fileBytes(`BUDGET-${String(i)}`, 40 * KB),
    }));
    const three = await assignedMail('agent1', 'three@example.cn', '三个文件', files);
    await waitUntil(agent1, 'two of the three files are kept', async () => (await keptIds(three.ticketId)).length === 2);
    // The third does not fit in what is left (100 KB − 2 × 40 KB), and the keeper never drops a held file for another.
    const kept = await keptIds(three.ticketId);
    const [first, second] = kept.map((id) => three.attachments.find((a) => a.id === id)!);
    const missing = three.attachments.find((a) => !kept.includes(a.id))!;
    expect((await keptRows()).reduce((sum, row) => sum + row.size, 0)).toBe(80 * KB);

    // Opening the first makes it the most recently used; opening the missing one then drops the second.
    await download(first!);
    const opened = await download(missing);
    expect(opened.equals(files[three.attachments.indexOf(missing)]!.data)).toBe(true);
    await waitUntil(agent1, 'the opened file is kept in place of the least recently used', async () => {
      const now = await keptIds(three.ticketId);
      return now.includes(missing.id) && now.includes(first!.id) && !now.includes(second!.id);
    });
    const rows = await keptRows();
    expect(rows.reduce((sum, row) => sum + row.size, 0)).toBeLessThanOrEqual(BUDGET);
    expect(rows.map((row) => row.attachment_id).sort()).toEqual([first!.id, missing.id].sort());
  });
});

/**
 * The keeper's memory of attachments the server will not give: within its limit none is asked
 * for twice in a session; beyond it the oldest is forgotten (asked for once more) so the memory
 * cannot grow with the mailbox. A real cache and a real HTTP server that has none of the files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultTicketRouting, type Message, type Ticket, type User } from '../../../shared/domain.js';
import { openCache, type Cache } from '../cache/cache.js';
import { startAttachmentKeeper } from './attachmentKeeper.js';

const agent: User = {
  id: 'agent1',
  username: 'agent1',
  displayName: '李娜',
  role: 'agent',
  channels: ['email'],
  groups: [],
  tier: 1,
  senior: false,
  languages: ['zh'],
  extension: null,
};
const TICKET_ID = 'GD20240501001';

function heldTicket(): Ticket {
  return {
    id: TICKET_ID,
    customerId: 'CUS20240501001',
    channel: 'email',
    type: 'complaint',
    subject: '发票',
    priority: 'normal',
    status: 'in_progress',
    assigneeId: agent.id,
    assigneeName: agent.displayName,
    assignmentReason: null,
    createdAt: 1_000,
    updatedAt: 1_000,
    assignedAt: 1_000,
    firstResponseAt: null,
    dueAt: 1_000 + 4 * 3_600_000,
    completedAt: null,
    lastMessagePreview: '见附件',
    lastMessageAt: 1_000,
    followUpAt: null,
    subCategory: null,
    tags: [],
    result: null,
    handover: null,
    routing: defaultTicketRouting(),
  };
}

function mailWithFile(index: number): Message {
  return {
    id: `m${String(index)}`,
    ticketId: TICKET_ID,
    direction: 'inbound',
    channel: 'email',
    authorId: null,
    authorName: '张伟',
    text: '见附件',
    externalMessageId: null,
    deliveryStatus: 'received',
    createdAt: 1_000 + index,
    attachments: [{ id: `a${String(index)}`, fileName: `发票${String(index)}.pdf`, contentType: 'application/pdf', size: 1_024 }],
    source: 'email',
    call: null,
    deliveryError: null,
  };
}

describe('the attachment keeper’s skipped files', () => {
  let dir: string;
  let cache: Cache;
  let server: Server;
  let serverUrl: string;
  /** Attachment id → how many times the keeper asked the server for it. */
  let asked: Map<string, number>;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'keeper-skipped-'));
    cache = openCache(path.join(dir, 'cache.sqlite'), null);
    const customer = {
      id: 'CUS20240501001',
      name: '张伟',
      phone: null,
      email: 'zhang@example.cn',
      socialId: null,
      vipTier: 0,
      createdAt: 1_000,
      identities: [],
    };
    const messages = [1, 2, 3].map(mailWithFile);
    cache.writer.applyChanges([{ seq: 1, kind: 'bundle', bundle: { ticket: heldTicket(), customer, messages, notes: [] } }], 1, agent);
    asked = new Map();
    // The server has none of them for this user.
    server = createServer((request, response) => {
      const id = decodeURIComponent(request.url!.split('/').at(-1)!);
      asked.set(id, (asked.get(id) ?? 0) + 1);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  afterEach(async () => {
    cache.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function runPasses(skippedLimit: number | undefined, passes: number): Promise<void> {
    const keeper = startAttachmentKeeper({
      serverUrl,
      token: 'token',
      cache,
      userId: agent.id,
      budgetBytes: 1_000_000,
      now: Date.now,
      isOnline: () => true,
      onChanged: () => {},
      ...(skippedLimit === undefined ? {} : { skippedLimit }),
    });
    for (let pass = 0; pass < passes; pass++) {
      keeper.kick();
      await keeper.idle();
    }
    keeper.stop();
  }

  it('does not ask again for a file the server did not have, within the limit', async () => {
    await runPasses(undefined, 3);
    expect(Object.fromEntries(asked)).toEqual({ a1: 1, a2: 1, a3: 1 });
  });

  it('forgets the oldest skipped file beyond the limit, so the memory stays bounded', async () => {
    await runPasses(2, 2);
    // Newest message first: a3, a2, a1 skipped in that order; a3 fell out and was asked once more.
    expect(Object.fromEntries(asked)).toEqual({ a1: 1, a2: 1, a3: 2 });
  });
});

/**
 * Exactly-once under a flaky link: a real server and a real core; in each round the agent
 * queues random notes, replies, status and priority changes, and the link is cut at a
 * random point — before anything is sent, right after the server committed a push but
 * before its ack left (from the store's commit listener), between the batches of a long
 * replay, at a random moment, by restarting the server, or by restarting the core while
 * an applied push is unacknowledged. Afterwards every mutation is on the server exactly
 * once, nothing was refused, the outbox is empty and both sides agree.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.js';
import { seedTestOrganisation, TEST_PASSWORD } from '../../server/testHarness.js';
import { PRIORITIES, STATUS_TRANSITIONS, type Priority, type TicketStatus } from '../../shared/domain.js';
import type { WorkstationCore } from './api.js';
import { createWorkstationCore } from './index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from './testing/coreCalls.js';

const ROUNDS = 40;
const MODES = ['before_send', 'after_apply_before_ack', 'between_batches', 'random_moment', 'server_restart', 'core_restart_unacked'] as const;
type Mode = (typeof MODES)[number];

/** Small seeded PRNG (mulberry32) so a failing round can be replayed from the printed seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('outbox replay under a flaky link', () => {
  let root: string;
  let serverDir: string;
  let port: number;
  let server: RunningServer;
  let core: WorkstationCore;
  let clientId: string;
  const ticketIds: string[] = [];

  async function startCore(): Promise<WorkstationCore> {
    return createWorkstationCore({
      dataDir: path.join(root, 'agent1'),
      serverUrl: `http://127.0.0.1:${String(port)}`,
      reconnectDelayMs: 20,
      reconnectDelayMaxMs: 200,
    });
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-chaos-'));
    serverDir = path.join(root, 'server');
    server = await startServer({ port: 0, dataDir: serverDir, log: () => {} });
    port = server.port;
    await seedTestOrganisation(server.store, [
      { username: 'lead1', displayName: '李主管', role: 'lead', channels: [] },
      { username: 'agent1', displayName: '王芳', channels: ['chat', 'phone'] },
    ]);
    const customers = [
      { name: '张伟', phone: '13800138000', subject: '订单物流查询延迟' },
      { name: '李娜', phone: '13912340002', subject: '退款进度咨询' },
      { name: '陈晓明', phone: '13700137001', subject: '发票抬头修改' },
    ];
    for (const [i, c] of customers.entries()) {
      // An address gives replies a way to the customer (the ticket rules refuse a reply with none).
      const customer = { name: c.name, phone: c.phone, email: `c${String(i)}@example.cn` };
      const { ticketId } = await server.store.ingestInbound(
        { channel: 'chat', customer, subject: c.subject, text: `${c.subject}，请尽快处理` },
        { now: Date.now() + i },
      );
      await server.store.assignTicket({
        ticketId,
        assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        now: Date.now(),
      });
      ticketIds.push(ticketId);
    }
    core = await startCore();
    await call(core, 'session.signIn', { username: 'agent1', password: TEST_PASSWORD });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const settings = (await import('./settings.js')).loadSettings(path.join(root, 'agent1'));
    clientId = settings.clientId;
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(`delivers every mutation exactly once over ${String(ROUNDS)} rounds of cuts`, { timeout: 180_000 }, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
    const rand = random(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const noteIds: string[] = [];
    const messageIds: string[] = [];
    let mutations = 0;
    const modesSeen = new Set<Mode>();

    /** One random local change, recorded through the RPC like the renderer would; false when it became a draft. */
    async function mutateOnce(round: number, j: number): Promise<boolean> {
      const ticketId = pick(ticketIds);
      const roll = rand();
      if (roll < 0.45) {
        noteIds.push((await call(core, 'ticket.addNote', { ticketId, text: `第${String(round)}轮 备注${String(j)}：客户再次来电催促` })).id);
      } else if (roll < 0.6) {
        const reply = await call(core, 'ticket.reply', { ticketId, text: `第${String(round)}轮 回复${String(j)}：已为您加急处理` });
        // Offline replies are drafts and never go out by themselves; this test is about the outbox.
        if (reply.kind === 'draft') {
          await call(core, 'draft.discard', { draftId: reply.draft.id });
          return false;
        }
        messageIds.push(reply.message.id);
      } else if (roll < 0.8) {
        const { ticket } = await call(core, 'ticket.get', { ticketId });
        const next: TicketStatus = pick(STATUS_TRANSITIONS[ticket.status].filter((s) => s !== 'unassigned'));
        // Completing needs a result, recorded first as an agent would: one more outbox mutation.
        if (next === 'completed' && !ticket.result) {
          await call(core, 'ticket.setFields', { ticketId, result: `第${String(round)}轮：已加急补发` });
          mutations++;
        }
        await call(core, 'ticket.setStatus', { ticketId, status: next });
      } else {
        const current = (await call(core, 'ticket.get', { ticketId })).ticket.priority;
        const next: Priority = pick(PRIORITIES.filter((p) => p !== current));
        await call(core, 'ticket.setPriority', { ticketId, priority: next });
      }
      mutations++;
      return true;
    }

    /** Records `count` outbox mutations. */
    async function queue(round: number, count: number): Promise<void> {
      for (let j = 0, recorded = 0; recorded < count; j++) if (await mutateOnce(round, j)) recorded++;
    }

    /** Cuts every connection right after the `nth` commit from now: the push is applied, its ack never leaves. */
    function cutAfterCommit(nth: number): Promise<void> {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const timer = setTimeout(() => reject(new Error(`no commit #${String(nth)} within 20 s (seed ${String(seed)})`)), 20_000);
        const off = server.store.onDidCommitChanges(() => {
          if (++seen < nth) return;
          off();
          clearTimeout(timer);
          server.disconnectClients();
          resolve();
        });
      });
    }

    /** Takes the server away so the core queues offline; `bringBack` restarts it on the same port and data. */
    async function goDown(): Promise<void> {
      await server.close();
      await waitOffline();
    }

    async function bringBack(): Promise<void> {
      server = await startServer({ port, dataDir: serverDir, log: () => {} });
    }

    async function waitOffline(): Promise<void> {
      await waitUntil(core, 'the core notices the cut', async () => (await connectionOf(core)).status !== 'online');
    }

    for (let round = 0; round < ROUNDS; round++) {
      const mode: Mode = round < MODES.length ? MODES[round]! : pick(MODES);
      modesSeen.add(mode);
      if (process.env.CHAOS_TRACE) process.stderr.write(`round ${String(round)} ${mode} ${new Date().toISOString()}\n`);
      await waitUntil(core, `round ${String(round)} starts online and idle`, onlineAndIdle(core));
      switch (mode) {
        case 'before_send': {
          server.disconnectClients();
          await waitOffline();
          await queue(round, 1 + Math.floor(rand() * 40));
          break;
        }
        case 'after_apply_before_ack': {
          const cut = cutAfterCommit(1 + Math.floor(rand() * 3));
          await queue(round, 3 + Math.floor(rand() * 40));
          // Fewer commits than asked for can happen when everything fitted in one push.
          await Promise.race([cut, waitUntil(core, 'pushed', onlineAndIdle(core))]);
          break;
        }
        case 'between_batches': {
          await goDown();
          await queue(round, 201 + Math.floor(rand() * 120));
          await bringBack();
          // The replay is several pushes of ≤ 200; cut after the first or second one committed.
          await cutAfterCommit(1 + Math.floor(rand() * 2));
          break;
        }
        case 'random_moment': {
          const timer = setTimeout(() => server.disconnectClients(), Math.floor(rand() * 25));
          await queue(round, 1 + Math.floor(rand() * 40));
          await new Promise((resolve) => setTimeout(resolve, 30));
          clearTimeout(timer);
          break;
        }
        case 'server_restart': {
          const restart = (async () => {
            await new Promise((resolve) => setTimeout(resolve, Math.floor(rand() * 20)));
            await server.close();
            server = await startServer({ port, dataDir: serverDir, log: () => {} });
          })();
          await queue(round, 1 + Math.floor(rand() * 40));
          await restart;
          break;
        }
        case 'core_restart_unacked': {
          await goDown();
          await queue(round, 1 + Math.floor(rand() * 40));
          await bringBack();
          // The server applies the replay, the link drops before the ack, and the app restarts.
          await cutAfterCommit(1);
          await core.close();
          core = await startCore();
          expect((await connectionOf(core)).pendingCount).toBeGreaterThan(0);
          break;
        }
      }
      await waitUntil(core, `round ${String(round)} (${mode}, seed ${String(seed)}) drains the outbox`, onlineAndIdle(core), 30_000);
    }
    expect(modesSeen.size).toBe(MODES.length);

    const db = new Database(path.join(serverDir, 'server.sqlite'), { readonly: true });
    try {
      const applied = db.prepare('SELECT count(*) FROM applied_mutations WHERE client_id = ?').pluck().get(clientId);
      expect(applied, `seed ${String(seed)}`).toBe(mutations);
      const refused = db.prepare("SELECT count(*) FROM applied_mutations WHERE client_id = ? AND json_extract(result, '$.ok') = 0").pluck().get(clientId);
      expect(refused, `seed ${String(seed)}`).toBe(0);
      const noteRows = db.prepare('SELECT count(*) FROM notes WHERE id = ?').pluck();
      const noteChanges = db.prepare("SELECT count(*) FROM changes WHERE kind = 'note' AND json_extract(body, '$.note.id') = ?").pluck();
      const lost = noteIds.filter((id) => noteRows.get(id) !== 1);
      const duplicated = noteIds.filter((id) => noteChanges.get(id) !== 1);
      expect({ lost, duplicated }, `seed ${String(seed)}`).toEqual({ lost: [], duplicated: [] });
      const messageRows = db.prepare('SELECT count(*) FROM messages WHERE id = ?').pluck();
      // The reply's own change; this server sends no e-mail, so each reply gets a second change saying why it waits.
      const messageChanges = db
        .prepare(
          "SELECT count(*) FROM changes WHERE kind = 'message' AND json_extract(body, '$.message.id') = ? AND json_extract(body, '$.message.deliveryError') IS NULL",
        )
        .pluck();
      expect(
        messageIds.filter((id) => messageRows.get(id) !== 1 || messageChanges.get(id) !== 1),
        `seed ${String(seed)}`,
      ).toEqual([]);
    } finally {
      db.close();
    }

    expect((await call(core, 'attention.list', {})).items).toEqual([]);
    expect((await connectionOf(core)).pendingCount).toBe(0);
    for (const ticketId of ticketIds) {
      const local = await call(core, 'ticket.get', { ticketId });
      const remote = (await server.store.getTicketBundle(ticketId))!;
      expect({ status: local.ticket.status, priority: local.ticket.priority, dueAt: local.ticket.dueAt }).toEqual({
        status: remote.ticket.status,
        priority: remote.ticket.priority,
        dueAt: remote.ticket.dueAt,
      });
      expect(local.notes.map((n) => n.id).sort()).toEqual(remote.notes.map((n) => n.id).sort());
      expect(local.notes.every((n) => !n.pending) && local.messages.every((m) => !m.pending)).toBe(true);
    }
    expect(noteIds.length).toBeGreaterThan(100);
  });
});

/**
 * The customer's whole history through a real workstation core against the real server
 * (demo organisation): online it comes from the server (another agent's ticket on another
 * channel included) and is kept in the cache because the agent holds one of the customer's
 * tickets (another agent's ticket with its satisfaction answer included); with the server
 * gone the same pages read from the cache, "as of" the fetch; a customer whose tickets the
 * agent does not hold has nothing kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, connectionOf, onlineAndIdle, waitUntil } from '../testing/coreCalls.js';

describe('customer history on the workstation, online and offline', () => {
  let root: string;
  let server: RunningServer | null = null;
  let core: WorkstationCore | null = null;
  let customerId: string;
  let heldTicket: string;
  let othersTicket: string;
  let clock = Date.UTC(2026, 11, 4, 2, 0, 0);

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-history-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
    core = await createWorkstationCore({
      dataDir: path.join(root, 'agent1'),
      serverUrl: server.url,
      reconnectDelayMs: 100,
      reconnectDelayMaxMs: 500,
      now: () => clock,
    });
    await call(core, 'session.signIn', { username: 'agent1', password: 'demo' });
    await waitUntil(core, 'online', onlineAndIdle(core));
    const inbox = await call(core, 'inbox.list', { channel: null, status: 'in_progress', query: '' });
    heldTicket = inbox.rows[0]!.id;
    const held = (await server.store.getTicket(heldTicket))!;
    customerId = held.customerId;
    const heldChannel = held.channel;
    const customer = (await server.store.getCustomer(customerId))!;
    // The same customer writes again on another channel, recognised by an identity the organisation proved, and agent2 takes it.
    const known = customer.identities[0]!;
    const again = known.kind === 'phone' ? { phone: known.value } : known.kind === 'email' ? { email: known.value } : { socialId: known.value };
    othersTicket = (
      await server.store.ingestInbound(
        {
          channel: heldChannel === 'email' ? 'chat' : 'email',
          customer: { name: customer.name, ...again },
          proven: [known.kind === 'social' ? 'socialId' : known.kind],
          subject: '发票抬头',
          text: '请把发票抬头改成公司名，电话 13800138000',
          // A written channel, so its completion sends a satisfaction survey the customer answers below.
          source: heldChannel === 'email' ? 'webchat:demo' : 'email',
          newConversation: true,
        },
        { now: Date.now() },
      )
    ).ticketId;
    await server.store.assignTicket({
      ticketId: othersTicket,
      assignee: { id: 'agent2', username: 'agent2', displayName: '李娜' },
      reason: { code: 'assigned_by_lead', byName: '陈主管' },
      now: Date.now(),
    });
    // agent2 completes it and the customer rates it, with a phone number in the comment.
    const agent2 = (await server.store.getCredentials('agent2'))!.user;
    for (const [n, body] of [
      { kind: 'setFields', result: '已改抬头' },
      { kind: 'setStatus', status: 'completed' },
    ].entries()) {
      const outcome = await server.store.applyMutation(
        agent2,
        'client-agent2',
        { mutationId: `csat-${String(n)}`, ticketId: othersTicket, createdAt: Date.now(), ...body } as never,
        Date.now(),
      );
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true });
    }
    const survey = (await server.store.csat.forTicket(othersTicket))!;
    const minted = await server.store.csat.mintToken(survey.inviteMessageId!, Date.now());
    if (typeof minted === 'string') throw new Error(`no survey token: ${minted}`);
    const answered = await server.store.csat.answer(
      minted.token,
      { attitude: 2, speed: 1, resolution: 2, professionalism: 3, comment: '回电 13800138000' },
      Date.now(),
    );
    expect(answered.ok).toBe(true);
  });

  afterAll(async () => {
    await core?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the history from the server, keeps it, and reads the same pages from the cache once the server is gone', async () => {
    const active = core!;
    const online = await call(active, 'customer.history', { customerId, limit: 50 });
    expect(online.cached).toBe(false);
    expect(online.asOf).toBe(clock);
    const ids = online.entries.map((entry) => entry.ticket.id);
    expect(ids).toContain(heldTicket);
    expect(ids).toContain(othersTicket);
    const others = online.entries.find((entry) => entry.ticket.id === othersTicket)!;
    // Another agent's ticket: read-only, and masked for an agent like everything else.
    expect(others.mayOpen).toBe(false);
    expect(others.messages[0]!.text).toBe('请把发票抬头改成公司名，电话 138****8000');
    // Its satisfaction answer comes with it (comment masked for an agent), and is kept for offline like the rest.
    expect(others.csat).toMatchObject({
      ticketId: othersTicket,
      ratings: { attitude: 2, speed: 1, resolution: 2, professionalism: 3 },
      score: 2,
      comment: '回电 138****8000',
    });
    const fetchedAt = clock;

    await server!.close();
    server = null;
    await waitUntil(active, 'the core notices the server is gone', async () => (await connectionOf(active)).status === 'offline');
    clock += 3_600_000;

    const offline = await call(active, 'customer.history', { customerId, limit: 50 });
    expect(offline).toEqual({ ...online, asOf: fetchedAt, cached: true });
    // Paged from the cache with the same cursor as from the server.
    const walked: string[] = [];
    let before = null as (typeof offline)['next'];
    do {
      const page = await call(active, 'customer.history', { customerId, before, limit: 1 });
      walked.push(...page.entries.map((entry) => entry.ticket.id));
      before = page.next;
    } while (before !== null);
    expect(walked).toEqual(ids);
  });

  it('has nothing kept for a customer never fetched, and says so as offline', async () => {
    expect(await core!.invoke('customer.history', { customerId: 'CUS20991231001' })).toMatchObject({ ok: false, error: { code: 'offline' } });
  });
});

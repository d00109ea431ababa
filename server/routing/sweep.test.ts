/**
 * The sweep under the commit stream (service.ts `sweepUnrouted`): a contact stored by a node
 * that does not route is admitted by the leader when it hears the commit. If that decision's
 * transaction fails (here: the fence throws once, as when the leader's database connection
 * drops), the engine forgets the ticket; without the sweep it would wait, unassigned and with no
 * routing decision recorded, until something else touched it.
 */
import { describe, expect, it, vi } from 'vitest';
import { createTestClock, seedTestOrganisation, TEST_BACKENDS } from '../testHarness.js';
import { routingServiceFixture } from '../testing/routingService.js';
import type { CommitSource } from '../cluster/commitStream.js';
import type { RoutingService } from './service.js';

const { openStore, startRouting } = routingServiceFixture();

describe.each(TEST_BACKENDS)('the routing sweep (%s)', (backend) => {
  it('routes waiting tickets whose commits routing could not follow: a new contact, a transfer to the queue', async () => {
    const store = await openStore(backend);
    await seedTestOrganisation(store, [{ username: 'agent1', displayName: '王芳', channels: ['email'] }]);
    const clock = createTestClock();
    const logs: string[] = [];
    let failFence = false;
    const service: RoutingService = await startRouting(store, clock, {
      log: (line) => logs.push(line),
      admitsOthersContacts: true,
      sweepMs: 20,
      fence: () => {
        if (!failFence) return Promise.resolve();
        failFence = false;
        return Promise.reject(new Error('the connection to the database dropped'));
      },
    });
    const agent = (await store.getUser('agent1'))!;
    await service.connect(agent, 'socket-1');
    await service.idle();

    // Stored without routing, as a follower stores it; the leader's decision on hearing it fails.
    failFence = true;
    const { ticket } = await store.ingestInbound(
      { channel: 'email', customer: { name: '陈女士', email: 'chen@example.cn' }, text: '订单 GD20241108001 还没有发货' },
      { now: clock.now() },
    );
    await service.idle();
    expect(logs.some((line) => line.startsWith('routing could not follow a commit'))).toBe(true);
    const forgotten = (await store.getTicket(ticket.id))!;
    expect(forgotten.assigneeId).toBeNull();
    expect(forgotten.assignmentReason).toBeNull();

    // Within the grace period the sweep leaves it to the commit stream, which may still be on its way.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await store.getTicket(ticket.id))!.assigneeId).toBeNull();

    clock.advance(6_000);
    const routed = await vi.waitFor(
      async () => {
        const current = (await store.getTicket(ticket.id))!;
        if (current.assigneeId === null) throw new Error('waiting for the sweep to route the ticket');
        return current;
      },
      { timeout: 5_000, interval: 25 },
    );
    expect(routed.assigneeId).toBe('agent1');
    expect(routed.assignmentReason?.code).toBe('least_loaded');
    expect(logs).toContain(`routing had not followed 1 waiting ticket(s) (${ticket.id} not heard of): routed now`);

    // A ticket handed back to the queue (转办) on a node whose commit routing could not follow:
    // the engine still counts it as agent1's; the sweep sees it waiting and routes it on.
    const colleague = await store.createUser({
      id: 'agent2',
      username: 'agent2',
      password: 'x-密码-123',
      displayName: '张强',
      role: 'agent',
      channels: ['email'],
      groups: ['orders'],
    });
    await service.connect(colleague, 'socket-2');
    await service.idle();
    failFence = true;
    const transferred = await store.applyMutation(
      agent,
      'client-agent1',
      {
        mutationId: '0190a000-0000-7000-8000-000000000001',
        kind: 'transfer',
        ticketId: ticket.id,
        to: { kind: 'group', group: 'orders' },
        note: '客户要改地址，请订单组处理',
        createdAt: clock.now(),
      },
      clock.now(),
    );
    expect(transferred.ok).toBe(true);
    await service.idle();
    expect(service.engine.ticketView(ticket.id)?.assigneeId).toBe('agent1');
    clock.advance(6_000);
    const passedOn = await vi.waitFor(
      async () => {
        const current = (await store.getTicket(ticket.id))!;
        if (current.assigneeId === null) throw new Error('waiting for the sweep to route the transferred ticket');
        return current;
      },
      { timeout: 5_000, interval: 25 },
    );
    // Not handed straight back to the agent who passed it on.
    expect(passedOn.assigneeId).toBe('agent2');
    expect(logs).toContain(`routing had not followed 1 waiting ticket(s) (${ticket.id} held by agent1): routed now`);

    // Once the engine holds it, the sweep finds nothing more to do.
    const lines = logs.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await service.idle();
    expect(logs.slice(lines).filter((line) => line.startsWith('routing had not followed'))).toEqual([]);
  });

  it('routes a waiting ticket no commit told of, found by its walk over every ticket a page at a time', async () => {
    const store = await openStore(backend);
    const clock = createTestClock();
    const logs: string[] = [];
    // The commit stream loses what one contact committed (as a cluster's can lose messages): routing never hears of it.
    let losing = false;
    const commits: CommitSource = {
      onDidCommitChanges: (listener) =>
        store.onDidCommitChanges((batch) => {
          if (!losing) listener(batch);
        }),
    };
    const service = await startRouting(store, clock, {
      log: (line) => logs.push(line),
      admitsOthersContacts: true,
      commits,
      sweepMs: 20,
      // Two tickets a sweep: the lost one is on the walk's third page.
      sweepPageSize: 2,
    });
    const contact = (i: number) => ({
      channel: 'email' as const,
      customer: { name: `客户${String(i)}`, email: `c${String(i)}@example.cn` },
      text: `第 ${String(i)} 封邮件`,
    });
    const heard: string[] = [];
    for (let i = 0; i < 4; i++) heard.push((await store.ingestInbound(contact(i), { now: clock.now() })).ticket.id);
    await service.idle();
    losing = true;
    const { ticket: lost } = await store.ingestInbound(contact(4), { now: clock.now() });
    await service.idle();
    losing = false;
    expect(heard.every((id) => service.engine.ticketView(id) !== null)).toBe(true);
    expect(service.engine.ticketView(lost.id)).toBeNull();

    // Long past the grace: only the walk can find it, nothing more is heard of it. Nobody is
    // available, so routing queues it (and records why) like the four it heard of.
    clock.advance(60_000);
    await vi.waitFor(
      () => {
        if (service.engine.ticketView(lost.id) === null) throw new Error('waiting for the walk to reach the lost ticket');
      },
      { timeout: 5_000, interval: 25 },
    );
    await service.idle();
    expect((await store.getTicket(lost.id))!.assignmentReason?.code).toBe('queued');
    expect(logs).toContain(`routing had not followed 1 waiting ticket(s) (${lost.id} not heard of): routed now`);
    expect(logs.filter((line) => line.startsWith('routing had not followed'))).toHaveLength(1);
  });

  it('never lets routing’s own placement overwrite an assignment committed before routing heard of it', async () => {
    const store = await openStore(backend);
    await seedTestOrganisation(store, [
      { username: 'agent1', displayName: '王芳', channels: ['email'] },
      { username: 'agent2', displayName: '张强', channels: ['email'] },
    ]);
    const clock = createTestClock();
    const { ticket } = await store.ingestInbound(
      { channel: 'email', customer: { name: '陈女士', email: 'chen@example.cn' }, text: '发票开错了' },
      { now: clock.now() },
    );
    // A lead gave it to agent2; routing, not having heard that yet, decides to give it to agent1.
    await store.assignTicket({
      ticketId: ticket.id,
      assignee: { id: 'agent2', username: 'agent2', displayName: '张强' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: clock.now(),
    });
    const reason = { code: 'least_loaded', channel: 'email', openTickets: 0, tieBreak: 'none' } as const;
    const stale = await store.withTransaction(() =>
      store.routing.applyTicketRouting({
        ticketId: ticket.id,
        assignee: { id: 'agent1', name: '王芳' },
        reason,
        routing: ticket.routing,
        audit: { decision: 'assigned', reason, actorName: null, agentId: 'agent1', agentName: '王芳' },
        now: clock.now() + 1,
      }),
    );
    expect(stale).toBeNull();
    expect((await store.getTicket(ticket.id))!.assigneeId).toBe('agent2');
    // A lead's move through routing names the lead, and stands.
    const moved = await store.withTransaction(() =>
      store.routing.applyTicketRouting({
        ticketId: ticket.id,
        assignee: { id: 'agent1', name: '王芳' },
        reason: { code: 'assigned_by_lead', byName: '李主管' },
        routing: ticket.routing,
        audit: { decision: 'assigned', reason: { code: 'assigned_by_lead', byName: '李主管' }, actorName: '李主管', agentId: 'agent1', agentName: '王芳' },
        now: clock.now() + 2,
      }),
    );
    expect(moved?.assigneeId).toBe('agent1');
  });
});

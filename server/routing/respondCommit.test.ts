/**
 * Answers to offers share commits (service.ts `respondGrouped`, server/groupCommit.ts): at 200
 * contacts/s every contact is offered and answered, and each answer committing alone was a second
 * commit (and fsync, and round of commit listeners) per contact. Each answer is decided in its own
 * savepoint, so one that fails leaves the others' commit, and its offer, as they were.
 */
import { describe, expect, it } from 'vitest';
import { createTestClock, seedTestOrganisation, TEST_BACKENDS } from '../testHarness.js';
import { routingServiceFixture } from '../testing/routingService.js';

const { openStore, startRouting } = routingServiceFixture();

describe.each(TEST_BACKENDS)('answers to offers (%s)', (backend) => {
  it('given in one turn commit together; one that fails rolls back alone and its offer stays open', async () => {
    const store = await openStore(backend);
    const agents = ['agent1', 'agent2', 'agent3'];
    await seedTestOrganisation(
      store,
      agents.map((username, i) => ({ username, displayName: ['王芳', '张强', '赵磊'][i]!, channels: ['chat' as const] })),
    );
    const clock = createTestClock();
    let fenceCalls = 0;
    let failFenceCall: number | null = null;
    const service = await startRouting(store, clock, {
      log: () => undefined,
      // No wait for later turns: the answers below arrive in one turn.
      respondCommitDelayMs: 0,
      fence: () => {
        fenceCalls++;
        return fenceCalls === failFenceCall ? Promise.reject(new Error('the connection to the database dropped')) : Promise.resolve();
      },
    });
    for (const [i, id] of agents.entries()) await service.connect((await store.getUser(id))!, `socket-${String(i)}`);
    await service.idle();

    const ticketIds: string[] = [];
    for (const [i, name] of ['陈女士', '刘先生', '周女士'].entries()) {
      const { ticket } = await store.ingestInbound(
        { channel: 'chat', customer: { name, phone: `+8613800000${String(i).padStart(3, '0')}` }, text: '在吗？订单还没有发货' },
        { now: clock.now(), router: service },
      );
      ticketIds.push(ticket.id);
    }
    await service.idle();
    const offeredTo = ticketIds.map((id) => service.engine.ticketView(id)?.offerAgentId ?? null);
    expect(offeredTo.every((agentId) => agentId !== null)).toBe(true);

    const commits: number[] = [];
    store.onDidCommitChanges((batch) => commits.push(batch.length));
    // The second answer's decision fails (its fence throws, as when the database connection drops).
    failFenceCall = fenceCalls + 2;
    const outcomes = await Promise.allSettled(ticketIds.map((id, i) => service.respond(offeredTo[i]!, id, true)));
    await service.idle();

    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.outcome : 'failed'))).toEqual(['accepted', 'failed', 'accepted']);
    // One commit for both accepted answers (each answer's ticket change in it): on its own each committed alone.
    expect(commits).toEqual([2]);
    const stored = await Promise.all(ticketIds.map((id) => store.getTicket(id)));
    expect(stored.map((t) => t?.assigneeId ?? null)).toEqual([offeredTo[0], null, offeredTo[2]]);
    expect(stored[1]?.routing.offer?.agentId).toBe(offeredTo[1]);
    // The failed answer left the engine's offer as it was: answered again, it is taken.
    expect(service.engine.ticketView(ticketIds[1]!)).toMatchObject({ assigneeId: null, offerAgentId: offeredTo[1] });
    const again = await service.respond(offeredTo[1]!, ticketIds[1]!, true);
    expect(again.outcome).toBe('accepted');
    expect((await store.getTicket(ticketIds[1]!))?.assigneeId).toBe(offeredTo[1]);
  });
});

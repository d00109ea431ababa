import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, isOpenStatus } from '../shared/domain.js';
import { DEFAULT_CAPACITY } from '../shared/routing.js';
import { slaCountdown } from '../shared/sla.js';
import { DEMO_INTEGRATION_TOKEN, DEMO_USERS, seedDemoOrganisation } from './demo.js';
import { openServerStore, type ServerStore } from './store.js';
import { TEST_EPOCH, makeTempDir } from './testHarness.js';

let dir: string;
let store: ServerStore;

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('demo organisation', () => {
  it('seeds users, token and tickets through the change log, once', async () => {
    dir = makeTempDir('server-demo-');
    store = openServerStore({ filePath: path.join(dir, 'server.sqlite') });
    expect(await seedDemoOrganisation(store, TEST_EPOCH)).toBe(true);
    expect((await store.listUsers()).map((u) => u.username)).toEqual(DEMO_USERS.map((u) => u.username).sort());
    expect(await store.lookupToken(DEMO_INTEGRATION_TOKEN, TEST_EPOCH)).toMatchObject({ status: 'valid', kind: 'integration' });

    const lead = (await store.getUser('lead1'))!;
    const all = (await store.listTickets(lead, { limit: 100 })).tickets;
    expect(all.length).toBeGreaterThanOrEqual(18);
    expect(new Set(all.map((t) => t.channel))).toEqual(new Set(['phone', 'chat', 'social', 'email']));
    const agent1 = all.filter((t) => t.assigneeId === 'agent1');
    expect(agent1.length).toBe(6);
    expect(new Set(agent1.map((t) => t.channel)).size).toBe(4);
    expect(all.filter((t) => t.status === 'unassigned').length).toBeGreaterThanOrEqual(3);
    const states = all.map((t) => slaCountdown(t, TEST_EPOCH).state);
    expect(states).toContain('breached');
    expect(states).toContain('at_risk');
    const customersWithTwoChannels = new Set(
      all.filter((a) => all.some((b) => b.customerId === a.customerId && b.channel !== a.channel)).map((t) => t.customerId),
    );
    expect(customersWithTwoChannels.size).toBeGreaterThanOrEqual(2);
    // A phone ticket an agent holds is a call they answered: answered at once, not a first-response miss on the board.
    const heldCalls = all.filter((t) => t.channel === 'phone' && t.assigneeId !== null);
    expect(heldCalls.length).toBeGreaterThanOrEqual(3);
    expect(heldCalls.every((t) => t.firstResponseAt === t.createdAt)).toBe(true);

    // Nobody is seeded over capacity on any channel (the team board shows such a cell in red): open
    // tickets held per agent and channel against their capacity as routing reads it.
    const settings = await store.routing.loadAgentSettings();
    const overCapacity = DEMO_USERS.filter((u) => u.role === 'agent').flatMap((agent) =>
      CHANNELS.map((channel) => {
        const held = all.filter((t) => t.assigneeId === agent.id && t.channel === channel && isOpenStatus(t.status)).length;
        const capacity = (settings.get(agent.id)?.capacity ?? DEFAULT_CAPACITY)[channel];
        return { agent: agent.displayName, channel, held, capacity };
      }).filter(({ held, capacity }) => held > capacity),
    );
    expect(overCapacity).toEqual([]);

    // The scripts: the standard greeting per channel and the complaint script, in Chinese and English; agent1's own too.
    const scripts = await store.scripts.listFor((await store.getUser('agent1'))!);
    expect(scripts.filter((s) => s.scope === 'team').map((s) => s.keyword)).toEqual(expect.arrayContaining(['greet', 'sorry', 'hello', 'apology']));
    const greeting = scripts.find((s) => s.keyword === 'greet')!;
    expect([greeting.variants.phone, greeting.variants.email, greeting.variants.chat].every((v) => v !== null)).toBe(true);
    expect(scripts.find((s) => s.keyword === 'sorry')?.body).toMatch(/抱歉[\s\S]*核实[\s\S]*方案[\s\S]*回访/);
    expect(scripts.filter((s) => s.scope === 'personal').map((s) => s.ownerId)).toEqual(['agent1']);
    expect((await store.scripts.listFor((await store.getUser('agent2'))!)).some((s) => s.scope === 'personal')).toBe(false);

    // The knowledge base: returns, invoices and tracking in Chinese, a refund policy in English; the draft only for leads.
    const articles = await store.knowledge.listFor((await store.getUser('agent1'))!);
    expect(articles.map((a) => a.title)).toEqual(expect.arrayContaining(['退货流程', '发票开具', '物流查询', 'Refund policy']));
    expect(articles.every((a) => a.status === 'published')).toBe(true);
    expect((await store.knowledge.listFor(lead)).filter((a) => a.status === 'draft')).toHaveLength(1);

    const pulled = await store.pullChanges(lead, 0);
    expect(!pulled.mustRefetch && pulled.changes.length).toBe((await store.changeLogBounds()).maxSeq);
    expect(await seedDemoOrganisation(store, TEST_EPOCH)).toBe(false);
  });
});

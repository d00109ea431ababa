/**
 * Scripts on two server nodes (in this process, one PostgreSQL database, one Redis): a lead's
 * team script saved on one node reaches an agent connected to the other as `scripts:changed`,
 * a personal script reaches only its owner's sockets on both nodes, and the per-user write
 * limit is counted across the nodes (Redis), not once per node.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_VARIANTS, type Script, type ScriptInput } from '../shared/scripts.js';
import { DEFAULT_RATE_LIMITS } from './rateLimits.js';
import { seedTestOrganisation, type TestServer } from './testHarness.js';
import { connectListeningOnNode, createTestCluster, type TestCluster } from './testing/cluster.js';
import { LIBRARY_TEAM } from './testing/libraries.js';

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;

const connectAs = (node: TestServer, username: string, clientId?: string) => connectListeningOnNode(cluster, node, username, 'scripts:changed', clientId);

const personal: ScriptInput = { scope: 'personal', language: 'zh', title: '我的', body: '您好', category: '', keyword: '', variants: NO_VARIANTS };

describe('scripts on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('scripts_cluster', { rateLimits: { ...DEFAULT_RATE_LIMITS, scriptWritesPerUser: { points: 3, durationSec: 60 } } });
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, LIBRARY_TEAM);
    b = await cluster.startNode('node-b');
  });

  afterEach(() => cluster.stop());

  it('tells the readers on every node, and limits writes across the nodes', async () => {
    const lead = await connectAs(a, 'lead1');
    const agentOnB = await connectAs(b, 'agent1');
    const otherOnB = await connectAs(b, 'agent2');

    const saved = await lead.ask<{ script: Script }>('scripts:save', { script: { ...personal, scope: 'team', title: '标准问候' } });
    expect(saved).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toEqual([{ scope: 'team' }]), { timeout: 10_000 });
    await vi.waitFor(() => expect(otherOnB.changes).toEqual([{ scope: 'team' }]), { timeout: 10_000 });
    expect(await agentOnB.ask('scripts:list', {})).toMatchObject({ ok: true, result: { scripts: [{ title: '标准问候' }] } });

    // agent1's second workstation, on node A, hears of their personal change made on node B; agent2 does not.
    const agentOnA = await connectAs(a, 'agent1', 'client-agent1-second');
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnA.changes).toEqual([{ scope: 'personal' }]), { timeout: 10_000 });
    expect(otherOnB.changes).toEqual([{ scope: 'team' }]);

    // Three writes per user in all: one spent on B above, one more on B, one on A, then A refuses.
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    expect(await agentOnA.ask('scripts:save', { script: personal })).toMatchObject({ ok: true });
    expect(await agentOnA.ask('scripts:save', { script: personal })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await agentOnB.ask('scripts:save', { script: personal })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
  });
});

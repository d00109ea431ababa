/**
 * The knowledge base on two server nodes (in this process, one PostgreSQL database, one
 * Redis): a lead's article published on one node reaches agents connected to the other as
 * `kb:changed`; a decision made on one node reaches the suggestion's author on the other.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Article, Suggestion } from '../shared/knowledge.js';
import { seedTestOrganisation, type TestServer } from './testHarness.js';
import { connectListeningOnNode, createTestCluster, type TestCluster } from './testing/cluster.js';
import { LIBRARY_TEAM } from './testing/libraries.js';

let cluster: TestCluster;
let a: TestServer;
let b: TestServer;

const connectAs = (node: TestServer, username: string) => connectListeningOnNode(cluster, node, username, 'kb:changed');

describe('knowledge base on a cluster of two nodes', () => {
  beforeEach(async () => {
    cluster = await createTestCluster('kb_cluster');
    a = await cluster.startNode('node-a');
    await seedTestOrganisation(a.store, LIBRARY_TEAM);
    b = await cluster.startNode('node-b');
  });

  afterEach(() => cluster.stop());

  it('tells the readers and the author on the other node', async () => {
    const lead = await connectAs(a, 'lead1');
    const agentOnB = await connectAs(b, 'agent1');

    const saved = await lead.ask<{ article: Article }>('kb:save', {
      article: { title: '物流查询', body: '在订单详情页查看物流轨迹。', category: '物流', tags: ['物流'], status: 'published' },
    });
    expect(saved).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toEqual([{ articles: true, suggestions: false }]), { timeout: 10_000 });

    const suggested = await agentOnB.ask<{ suggestion: Suggestion }>('kb:suggest', {
      content: { title: '发票开具', body: '订单完成后开具电子发票。', category: '发票', tags: [] },
      note: '常被问到',
    });
    expect(suggested).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(lead.changes.at(-1)).toEqual({ articles: false, suggestions: true }), { timeout: 10_000 });
    const id = suggested.ok ? suggested.result.suggestion.id : '';
    expect(await lead.ask('kb:decide', { id, decision: 'decline', reason: '已有同类文章' })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(agentOnB.changes).toHaveLength(3), { timeout: 10_000 });
    expect(await agentOnB.ask('kb:suggestions', {})).toMatchObject({
      ok: true,
      result: { suggestions: [{ status: 'declined', declineReason: '已有同类文章' }] },
    });
  });
});

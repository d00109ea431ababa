/**
 * The knowledge base in a real core against a real server (demo organisation): the cache is
 * filled on connect; search finds two-character Chinese words (LIKE, which the trigram index
 * cannot match), longer terms through the trigram index and English, ranked by how many of the
 * ticket's words an article holds; an agent's cache never holds drafts; a suggestion accepted
 * by a lead reaches the agent's cache by itself; and with the server down — even after the
 * workstation restarts and signs in offline — search and reading work while writes say `offline`;
 * a lead reads an article's history from the server (an agent may not; offline it says so).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../server/app.js';
import type { WorkstationCore } from '../api.js';
import { createWorkstationCore } from '../index.js';
import { call, connectionOf, waitUntil } from '../testing/coreCalls.js';

describe('knowledge base on the workstation', () => {
  let root: string;
  let server: RunningServer | null = null;
  const cores: WorkstationCore[] = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'core-knowledge-'));
    server = await startServer({ port: 0, dataDir: path.join(root, 'server'), demo: true, log: () => {} });
  });

  afterAll(async () => {
    for (const core of cores) await core.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function signedIn(username: string, dataDir = path.join(root, username)): Promise<WorkstationCore> {
    const core = await createWorkstationCore({ dataDir, serverUrl: server!.url, reconnectDelayMs: 50, reconnectDelayMaxMs: 200 });
    cores.push(core);
    await call(core, 'session.signIn', { username, password: 'demo' });
    return core;
  }

  const titles = async (core: WorkstationCore, query: string) => (await call(core, 'knowledge.search', { query })).hits.map((hit) => hit.article.title);

  it('searches two-character Chinese words, longer terms and English, ranked by the words matched; never shows an agent a draft', async () => {
    const agent = await signedIn('agent1');
    await waitUntil(agent, 'the articles are cached', async () => (await call(agent, 'knowledge.search', { query: '' })).fetchedAt !== null);

    // 退货 is two characters: the LIKE fallback finds it (the trigram index alone would not).
    expect((await titles(agent, '退货'))[0]).toBe('退货流程');
    expect(await titles(agent, '发票')).toEqual(['发票开具']);
    // 无理由 is three characters: the trigram index; English terms too, case-insensitive.
    expect(await titles(agent, '无理由')).toEqual(['退货流程']);
    expect((await titles(agent, 'REFUND'))[0]).toBe('Refund policy');
    // Ranked by how many of the words match: 退款 + 到账 beat 退款 alone; a word in no article changes nothing.
    const ranked = await call(agent, 'knowledge.search', { query: '退款 到账 电视机' });
    expect(ranked.hits[0]).toMatchObject({ article: { title: '退款到账时间' }, matched: ['退款', '到账'] });
    expect(ranked.hits.map((hit) => hit.article.title)).toContain('退货流程');
    // The article number finds it; LIKE wildcards and FTS syntax are taken literally.
    const returns = (await call(agent, 'knowledge.search', { query: '退货流程' })).hits[0]!.article;
    expect(await titles(agent, returns.id)).toEqual(['退货流程']);
    expect(await titles(agent, '%')).toEqual([]);
    expect(await titles(agent, '退%')).toEqual([]);
    expect(await titles(agent, '"退*')).toEqual([]);
    expect(await titles(agent, '退货"')).toEqual([]);

    // The draft is not in an agent's cache at all; a lead's has it, and the panel's search leaves it out unless asked.
    expect(await titles(agent, '大促')).toEqual([]);
    expect((await call(agent, 'knowledge.search', { query: '大促', includeDrafts: true })).hits).toEqual([]);
    const lead = await signedIn('lead1');
    await waitUntil(lead, 'the lead has the articles', async () => (await call(lead, 'knowledge.search', { query: '' })).fetchedAt !== null);
    expect(await titles(lead, '大促')).toEqual([]);
    expect((await call(lead, 'knowledge.search', { query: '大促', includeDrafts: true })).hits.map((hit) => hit.article.status)).toEqual(['draft']);
    expect(await agent.invoke('knowledge.search', { query: 'x'.repeat(501) })).toMatchObject({ ok: false, error: { code: 'invalid_params' } });
  });

  it('passes an accepted suggestion on to the agent, and searches and reads with the server down, after a restart too', async () => {
    const agent = cores[0]!;
    const lead = cores[1]!;
    const returns = (await call(agent, 'knowledge.search', { query: '退货流程' })).hits[0]!.article;
    const { suggestion } = await call(agent, 'knowledge.suggest', {
      articleId: returns.id,
      content: { title: returns.title, body: `${returns.body}\n退货运费险：已购买的订单，运费由保险承担。`, category: returns.category, tags: returns.tags },
      note: '补充运费险',
    });
    expect(await agent.invoke('knowledge.decide', { id: suggestion.id, decision: 'accept' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await call(lead, 'knowledge.suggestions', {})).suggestions.map((s) => s.id)).toContain(suggestion.id);
    await call(lead, 'knowledge.decide', { id: suggestion.id, decision: 'accept' });
    await waitUntil(
      agent,
      'the agent’s cache has the accepted text',
      async () => (await call(agent, 'knowledge.get', { id: returns.id })).article.version === 2,
    );
    expect(await titles(agent, '运费险')).toEqual(['退货流程']);
    expect((await call(agent, 'knowledge.suggestions', {})).suggestions[0]).toMatchObject({ id: suggestion.id, status: 'accepted' });
    // The lead reads who did it in the article's history (the server's audit); the agent may not.
    expect((await call(lead, 'knowledge.history', { id: returns.id })).entries.slice(0, 3)).toMatchObject([
      { action: 'suggestion_accepted', actorName: '李主管', suggestionId: suggestion.id, version: 2 },
      { action: 'article_updated', actorName: '李主管', suggestionId: suggestion.id, version: 2, changed: ['body'] },
      { action: 'suggestion_made', actorName: '王芳', suggestionId: suggestion.id, version: null },
    ]);
    expect(await agent.invoke('knowledge.history', { id: returns.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await lead.invoke('knowledge.history', { id: 'KB0000000000' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await lead.invoke('knowledge.history', { id: returns.id, limit: 5 })).toMatchObject({ ok: false, error: { code: 'invalid_params' } });

    const serverUrl = server!.url;
    await server!.close();
    server = null;
    await waitUntil(agent, 'the agent is offline', async () => (await connectionOf(agent)).status === 'offline');
    expect((await titles(agent, '退货'))[0]).toBe('退货流程');
    expect(await agent.invoke('knowledge.suggest', { content: { title: 't', body: 'b', category: '', tags: [] }, note: '' })).toMatchObject({
      ok: false,
      error: { code: 'offline' },
    });
    await waitUntil(lead, 'the lead is offline', async () => (await connectionOf(lead)).status === 'offline');
    expect(await lead.invoke('knowledge.history', { id: returns.id })).toMatchObject({ ok: false, error: { code: 'offline' } });

    // A restart with the server still down: signed in from the cache, search and reading are there.
    await agent.close();
    cores.splice(cores.indexOf(agent), 1);
    const restarted = await createWorkstationCore({ dataDir: path.join(root, 'agent1'), serverUrl, reconnectDelayMs: 50 });
    cores.push(restarted);
    const state = await call(restarted, 'session.signIn', { username: 'agent1', password: 'demo' });
    expect(state.connection.status).toBe('offline');
    expect((await titles(restarted, '退货 运费险'))[0]).toBe('退货流程');
    expect((await call(restarted, 'knowledge.get', { id: returns.id })).article.body).toContain('运费险');
    expect(await restarted.invoke('knowledge.get', { id: 'KB0000000000' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await restarted.invoke('knowledge.suggestions', {})).toMatchObject({ ok: false, error: { code: 'offline' } });
  });
});

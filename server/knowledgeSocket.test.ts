/**
 * The knowledge base over real sockets on both backends: an agent reads published articles
 * only and suggests; a lead publishes and decides; the abuse cases beside the happy path — an
 * agent publishing or deciding (`forbidden`), a draft asked for by an agent (`not_found`),
 * oversized and malformed input (`invalid_request`), a flood of writes (`rate_limited`) — and
 * every change reaching the right readers live as `kb:changed`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Article, ArticleInput, KnowledgeHistoryResult, Suggestion } from '../shared/knowledge.js';
import { TEST_BACKENDS, type TestServer } from './testHarness.js';
import { connectListening, startLibraryServer } from './testing/libraries.js';
import { disconnectTestSockets, okResult } from './testing/sockets.js';

let t: TestServer | null = null;

afterEach(async () => {
  disconnectTestSockets();
  await t?.stop();
  t = null;
});

const connectAs = (server: TestServer, username: string) => connectListening(server, username, 'kb:changed');

const refund: ArticleInput = {
  title: 'Refund policy',
  body: 'Refunds go back to the original payment within 3 working days.',
  category: 'Refunds',
  tags: ['refund'],
  status: 'published',
};
const draft: ArticleInput = { title: '内部：大促预案', body: '仅供主管。', category: '售后', tags: [], status: 'draft' };

for (const backend of TEST_BACKENDS) {
  describe(`knowledge sockets on ${backend}`, () => {
    async function start(writesPerMinute = 60): Promise<TestServer> {
      t = await startLibraryServer(backend, { knowledgeWritesPerUser: { points: writesPerMinute, durationSec: 60 } });
      return t;
    }

    it('lets a lead publish to everyone, keeps drafts from agents, and takes an agent suggestion through a decision', async () => {
      const server = await start();
      const lead = await connectAs(server, 'lead1');
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');

      const article = okResult(await lead.ask<{ article: Article }>('kb:save', { article: refund })).article;
      const hidden = okResult(await lead.ask<{ article: Article }>('kb:save', { article: draft })).article;
      await vi.waitFor(() => expect(lead.changes).toHaveLength(2));
      // A draft is the editors' business: agents hear of the published article only (each word makes every workstation fetch the list).
      for (const reader of [agent1, agent2]) await vi.waitFor(() => expect(reader.changes).toEqual([{ articles: true, suggestions: false }]));
      expect(okResult(await agent1.ask<{ articles: Article[] }>('kb:list', {})).articles).toEqual([article]);
      expect(
        okResult(await lead.ask<{ articles: Article[] }>('kb:list', {}))
          .articles.map((a) => a.id)
          .sort(),
      ).toEqual([article.id, hidden.id].sort());

      // Abuse: an agent publishing, changing, deciding; suggesting on a draft; bad and oversized input.
      expect(await agent1.ask('kb:save', { article: refund })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await agent1.ask('kb:save', { id: article.id, article: { ...refund, body: 'Free money' } })).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
      expect(await agent1.ask('kb:suggest', { articleId: hidden.id, content: refund, note: '' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await agent1.ask('kb:save', { article: { ...refund, body: 'x'.repeat(20_001) } })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await agent1.ask('kb:suggest', { content: { ...refund, tags: Array.from({ length: 11 }, (_, i) => `t${String(i)}`) }, note: '' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await agent1.ask('kb:suggest', { content: { title: '   ', body: 'b', category: '', tags: [] }, note: '' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await agent1.ask('kb:list', { drafts: true })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await agent1.ask('kb:suggest', { articleId: '../etc/passwd', content: refund, note: '' })).toMatchObject({
        ok: false,
        error: { code: 'invalid_request' },
      });
      expect(await agent1.ask('kb:decide', { id: 'x', decision: 'decline' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });

      // The suggestion: the lead and its author hear of it, the other agent does not.
      const heardBefore = { lead: lead.changes.length, agent1: agent1.changes.length, agent2: agent2.changes.length };
      const { title, body, category, tags } = refund;
      const suggestion = okResult(
        await agent1.ask<{ suggestion: Suggestion }>('kb:suggest', {
          articleId: article.id,
          content: { title, body: `${body} Shipping is not refunded.`, category, tags },
          note: 'Add shipping',
        }),
      ).suggestion;
      await vi.waitFor(() => expect(lead.changes.at(-1)).toEqual({ articles: false, suggestions: true }));
      await vi.waitFor(() => expect(agent1.changes).toHaveLength(heardBefore.agent1 + 1));
      expect(okResult(await agent2.ask<{ suggestions: Suggestion[] }>('kb:suggestions', {})).suggestions).toEqual([]);
      expect(okResult(await lead.ask<{ suggestions: Suggestion[] }>('kb:suggestions', {})).suggestions.map((s) => s.id)).toEqual([suggestion.id]);
      expect(await agent1.ask('kb:decide', { id: suggestion.id, decision: 'accept' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });

      // Accepted: every reader is told the articles changed, and the agent reads the new text.
      okResult(await lead.ask('kb:decide', { id: suggestion.id, decision: 'accept' }));
      await vi.waitFor(() => expect(agent2.changes.at(-1)).toEqual({ articles: true, suggestions: true }));
      expect(okResult(await agent1.ask<{ articles: Article[] }>('kb:list', {})).articles[0]).toMatchObject({
        version: 2,
        body: `${body} Shipping is not refunded.`,
      });
      expect(okResult(await agent1.ask<{ suggestions: Suggestion[] }>('kb:suggestions', {})).suggestions[0]).toMatchObject({ status: 'accepted' });
      expect(agent2.changes).toHaveLength(heardBefore.agent2 + 1);
    });

    it('answers kb:history to leads only, newest first with the changed fields', async () => {
      const server = await start();
      const lead = await connectAs(server, 'lead1');
      const agent1 = await connectAs(server, 'agent1');
      const article = okResult(await lead.ask<{ article: Article }>('kb:save', { article: refund })).article;
      okResult(
        await lead.ask('kb:save', { id: article.id, expectedVersion: 1, article: { ...refund, body: 'Refunds take 3 days.', tags: ['refund', 'money'] } }),
      );

      expect(okResult(await lead.ask<KnowledgeHistoryResult>('kb:history', { id: article.id })).entries).toMatchObject([
        { action: 'article_updated', version: 2, changed: ['body', 'tags'] },
        { action: 'article_created', version: 1, changed: [] },
      ]);
      const refusals: [typeof lead, unknown, string][] = [
        [agent1, { id: article.id }, 'forbidden'],
        [lead, { id: 'KB0000000000' }, 'not_found'],
        [lead, { id: '../etc' }, 'invalid_request'],
        [lead, { id: article.id, limit: 5000 }, 'invalid_request'],
      ];
      for (const [socket, request, code] of refusals) expect(await socket.ask('kb:history', request)).toMatchObject({ ok: false, error: { code } });
    });

    it('limits knowledge writes per user', async () => {
      const server = await start(3);
      const agent1 = await connectAs(server, 'agent1');
      const agent2 = await connectAs(server, 'agent2');
      const request = { content: { title: '物流查询', body: '在订单详情查看物流。', category: '物流', tags: [] }, note: '' };
      for (let i = 0; i < 3; i++) okResult(await agent1.ask('kb:suggest', request));
      expect(await agent1.ask('kb:suggest', request)).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
      expect(await agent2.ask('kb:suggest', request)).toMatchObject({ ok: true });
      expect(okResult(await agent1.ask<{ suggestions: Suggestion[] }>('kb:suggestions', {})).suggestions).toHaveLength(3);
    });
  });
}

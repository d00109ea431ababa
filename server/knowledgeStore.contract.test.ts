/**
 * The knowledge base's contract on both backends (server/knowledgeStore.ts through the public
 * ServerStore): who reads what, who writes, suggestions accepted and declined — and the abuse cases beside the happy path: an agent publishing, an agent
 * reading or suggesting on a draft (answered like an id that does not exist), a decision
 * twice, a stale suggestion over a newer edit, a flood of suggestions — with nothing lost;
 * and the history (kb_audit) a lead reads of an article, which an agent may not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { MAX_PENDING_SUGGESTIONS_PER_USER, articleIdSchema, knowledgeHistoryEntrySchema, type ArticleInput } from '../shared/knowledge.js';
import type { ServerStore } from './store.js';
import { TEST_BACKENDS, TEST_EPOCH } from './testHarness.js';
import { openStoreWithTeam, type StoreWithTeam } from './testing/libraries.js';

const returns: ArticleInput = {
  title: '退货流程',
  body: '签收后七天内可申请无理由退货，商品需保持完好。',
  category: '售后',
  tags: ['退货', '售后'],
  status: 'published',
};
const draft: ArticleInput = { title: '内部：大促退货预案', body: '仅供主管参考。', category: '售后', tags: [], status: 'draft' };

for (const backend of TEST_BACKENDS) {
  describe(`knowledge store on ${backend}`, () => {
    let opened: StoreWithTeam;
    let store: ServerStore;
    let lead: User;
    let agent: User;
    let other: User;

    beforeEach(async () => {
      opened = await openStoreWithTeam(backend);
      ({ store, lead, agent, other } = opened);
    });

    afterEach(() => opened.close());

    it('keeps articles as written; agents read the published ones, leads every one; each change bumps the version', async () => {
      const published = await store.knowledge.save(lead, undefined, returns, TEST_EPOCH);
      expect(articleIdSchema.parse(published.id)).toBe(published.id);
      expect(published).toMatchObject({ ...returns, version: 1, updatedAt: TEST_EPOCH, updatedById: 'lead1', updatedByName: '李主管' });
      const hidden = await store.knowledge.save(lead, undefined, draft, TEST_EPOCH);

      expect(await store.knowledge.listFor(agent)).toEqual([published]);
      expect((await store.knowledge.listFor(lead)).map((a) => a.id).sort()).toEqual([published.id, hidden.id].sort());

      const edited = await store.knowledge.save(lead, published.id, { ...returns, body: '签收后七天内可退货。' }, TEST_EPOCH + 1, 1);
      expect(edited).toMatchObject({ id: published.id, version: 2, body: '签收后七天内可退货。' });
      const shown = await store.knowledge.save(lead, hidden.id, { ...draft, status: 'published' }, TEST_EPOCH + 2);
      expect((await store.knowledge.listFor(agent)).map((a) => a.id).sort()).toEqual([published.id, shown.id].sort());
    });

    it('refuses an agent writing, reading a draft or suggesting on one, and a change over a newer version', async () => {
      const published = await store.knowledge.save(lead, undefined, returns, TEST_EPOCH);
      const hidden = await store.knowledge.save(lead, undefined, draft, TEST_EPOCH);

      await expect(store.knowledge.save(agent, undefined, returns, TEST_EPOCH)).rejects.toMatchObject({ code: 'forbidden' });
      await expect(store.knowledge.save(agent, published.id, { ...returns, body: '改掉' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'forbidden' });
      // A draft does not exist for an agent: suggesting on it is "not found", like a made-up id.
      await expect(store.knowledge.suggest(agent, hidden.id, returns, '', TEST_EPOCH)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.knowledge.suggest(agent, 'KB0000000000', returns, '', TEST_EPOCH)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.knowledge.save(lead, 'KB0000000000', returns, TEST_EPOCH)).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.knowledge.save(lead, published.id, returns, TEST_EPOCH, 7)).rejects.toMatchObject({ code: 'conflict' });

      // Nothing changed.
      expect(await store.knowledge.listFor(agent)).toEqual([published]);
    });

    it('accepts a suggested edit into the article and a suggested new article as published; declines with a reason the author sees', async () => {
      const published = await store.knowledge.save(lead, undefined, returns, TEST_EPOCH);
      const edit = await store.knowledge.suggest(
        agent,
        published.id,
        { ...returns, body: '签收后七天内可退货，运费由买家承担。' },
        '补充运费说明',
        TEST_EPOCH + 1,
      );
      expect(edit).toMatchObject({ articleId: published.id, baseVersion: 1, status: 'pending', authorName: '王芳', note: '补充运费说明' });
      const fresh = await store.knowledge.suggest(
        agent,
        undefined,
        { title: '发票开具', body: '电子发票在订单完成后开具。', category: '发票', tags: ['发票'] },
        '',
        TEST_EPOCH + 2,
      );
      const mine = await store.knowledge.suggest(other, published.id, { ...returns, title: '退货' }, '标题太长', TEST_EPOCH + 3);

      // Agents see their own suggestions only; leads see all, pending first, newest first.
      expect((await store.knowledge.suggestionsFor(agent)).map((s) => s.id)).toEqual([fresh.id, edit.id]);
      expect((await store.knowledge.suggestionsFor(lead)).map((s) => s.id)).toEqual([mine.id, fresh.id, edit.id]);

      // Abuse: an agent deciding; deciding twice.
      await expect(store.knowledge.decide(agent, { id: edit.id, decision: 'accept' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'forbidden' });
      const accepted = await store.knowledge.decide(lead, { id: edit.id, decision: 'accept' }, TEST_EPOCH + 4);
      expect(accepted.article).toMatchObject({
        id: published.id,
        version: 2,
        body: '签收后七天内可退货，运费由买家承担。',
        status: 'published',
        updatedByName: '李主管',
      });
      expect(accepted.suggestion).toMatchObject({ status: 'accepted', decidedByName: '李主管', decidedAt: TEST_EPOCH + 4 });
      await expect(store.knowledge.decide(lead, { id: edit.id, decision: 'decline', reason: '晚了' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });

      const created = await store.knowledge.decide(lead, { id: fresh.id, decision: 'accept' }, TEST_EPOCH + 5);
      expect(created.article).toMatchObject({ title: '发票开具', status: 'published', version: 1 });
      expect(created.suggestion.articleId).toBe(created.article!.id);

      // The other agent's suggestion was written against version 1; the article is at 2 now.
      await expect(store.knowledge.decide(lead, { id: mine.id, decision: 'accept' }, TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });
      const declined = await store.knowledge.decide(lead, { id: mine.id, decision: 'decline', reason: '标题需保留“流程”二字' }, TEST_EPOCH + 6);
      expect(declined).toMatchObject({ article: null, suggestion: { status: 'declined', declineReason: '标题需保留“流程”二字' } });
      expect(await store.knowledge.suggestionsFor(other)).toEqual([declined.suggestion]);
      expect((await store.knowledge.listFor(agent)).map((a) => a.title).sort()).toEqual(['发票开具', '退货流程']);
    });

    it('answers a lead the history of an article newest first, with the fields each change touched; refuses agents and unknown articles', async () => {
      const article = await store.knowledge.save(lead, undefined, returns, TEST_EPOCH);
      await store.knowledge.save(lead, article.id, { ...returns, title: '退货流程（新）', tags: ['退货'] }, TEST_EPOCH + 1, 1);
      const edit = await store.knowledge.suggest(
        agent,
        article.id,
        { ...returns, title: '退货流程（新）', tags: ['退货'], body: '七天无理由退货。' },
        '',
        TEST_EPOCH + 2,
      );
      await store.knowledge.decide(lead, { id: edit.id, decision: 'accept' }, TEST_EPOCH + 3);
      const rejected = await store.knowledge.suggest(other, article.id, { ...returns, category: '物流' }, '', TEST_EPOCH + 4);
      await store.knowledge.decide(lead, { id: rejected.id, decision: 'decline', reason: '分类不对' }, TEST_EPOCH + 5);
      await store.knowledge.save(
        lead,
        article.id,
        { ...returns, title: '退货流程（新）', tags: ['退货'], body: '七天无理由退货。', status: 'draft' },
        TEST_EPOCH + 6,
      );
      const elsewhere = await store.knowledge.save(lead, undefined, draft, TEST_EPOCH + 7);

      const history = await store.knowledge.history(lead, article.id);
      // The acceptance writes the update and the decision in one transaction at the same instant: the audit's order, not the clock, puts them apart.
      expect(history).toEqual(
        [
          { at: TEST_EPOCH + 6, actorName: '李主管', action: 'article_updated', suggestionId: null, version: 4, changed: ['status'] },
          { at: TEST_EPOCH + 5, actorName: '李主管', action: 'suggestion_declined', suggestionId: rejected.id, version: null, changed: [] },
          { at: TEST_EPOCH + 4, actorName: other.displayName, action: 'suggestion_made', suggestionId: rejected.id, version: null, changed: [] },
          { at: TEST_EPOCH + 3, actorName: '李主管', action: 'suggestion_accepted', suggestionId: edit.id, version: 3, changed: [] },
          { at: TEST_EPOCH + 3, actorName: '李主管', action: 'article_updated', suggestionId: edit.id, version: 3, changed: ['body'] },
          { at: TEST_EPOCH + 2, actorName: '王芳', action: 'suggestion_made', suggestionId: edit.id, version: null, changed: [] },
          { at: TEST_EPOCH + 1, actorName: '李主管', action: 'article_updated', suggestionId: null, version: 2, changed: ['title', 'tags'] },
          { at: TEST_EPOCH, actorName: '李主管', action: 'article_created', suggestionId: null, version: 1, changed: [] },
        ].map((entry) => knowledgeHistoryEntrySchema.parse(entry)),
      );
      expect((await store.knowledge.history(lead, article.id, 2)).map((entry) => entry.at)).toEqual([TEST_EPOCH + 6, TEST_EPOCH + 5]);
      expect(await store.knowledge.history(lead, elsewhere.id)).toMatchObject([{ action: 'article_created', version: 1 }]);

      // An article that began as an agent's suggestion: its history starts with that suggestion.
      const proposal = await store.knowledge.suggest(
        agent,
        undefined,
        { title: '发票抬头修改', body: '在订单详情申请修改。', category: '发票', tags: [] },
        '',
        TEST_EPOCH + 8,
      );
      const born = (await store.knowledge.decide(lead, { id: proposal.id, decision: 'accept' }, TEST_EPOCH + 9)).article!;
      expect(await store.knowledge.history(lead, born.id)).toEqual(
        [
          { at: TEST_EPOCH + 9, actorName: '李主管', action: 'suggestion_accepted', suggestionId: proposal.id, version: 1, changed: [] },
          { at: TEST_EPOCH + 9, actorName: '李主管', action: 'article_created', suggestionId: proposal.id, version: 1, changed: [] },
          { at: TEST_EPOCH + 8, actorName: '王芳', action: 'suggestion_made', suggestionId: proposal.id, version: null, changed: [] },
        ].map((entry) => knowledgeHistoryEntrySchema.parse(entry)),
      );

      const refusals: [User, string, string][] = [
        [agent, article.id, 'forbidden'],
        [agent, 'KB0000000000', 'forbidden'],
        [lead, 'KB0000000000', 'not_found'],
      ];
      for (const [reader, id, code] of refusals) await expect(store.knowledge.history(reader, id)).rejects.toMatchObject({ code });
    });

    it('refuses suggestions beyond the pending limit per agent, and counts each agent apart', async () => {
      const content = { title: '物流查询', body: '在订单详情查看物流。', category: '物流', tags: [] };
      await Promise.all(Array.from({ length: MAX_PENDING_SUGGESTIONS_PER_USER }, () => store.knowledge.suggest(agent, undefined, content, '', TEST_EPOCH)));
      await expect(store.knowledge.suggest(agent, undefined, content, '', TEST_EPOCH)).rejects.toMatchObject({ code: 'conflict' });
      expect(await store.knowledge.suggest(other, undefined, content, '', TEST_EPOCH)).toMatchObject({ authorId: 'agent2' });
      expect(await store.knowledge.suggestionsFor(agent)).toHaveLength(MAX_PENDING_SUGGESTIONS_PER_USER);
    });
  });
}

import { describe, expect, it } from 'vitest';
import {
  MAX_SEARCH_TERMS,
  articleReference,
  diffLines,
  knowledgeDecideRequestSchema,
  knowledgeSuggestRequestSchema,
  searchTermsOf,
  ticketWordsOf,
} from './knowledge.js';

describe('knowledge base words and terms', () => {
  it('takes the words of a ticket worth searching for: Chinese words joined back from single characters, no fillers or lone characters', () => {
    expect(ticketWordsOf(['退货申请：衣服尺码不合适'])).toEqual(expect.arrayContaining(['退货', '衣服']));
    expect(ticketWordsOf(['我想退货，怎么办理退货流程'])).toEqual(['退货', '办理', '流程']);
    expect(ticketWordsOf(['退款什么时候到账'])).toEqual(['退款', '到账']);
    expect(ticketWordsOf(['Refund request for damaged item', '您好'])).toEqual(['refund', 'request', 'damaged', 'item']);
    expect(ticketWordsOf(['订单 DD20241102113 的物流', '物流'], 3)).toEqual(['订单', 'dd20241102113', '物流']);
    expect(ticketWordsOf(['', '。。。'])).toEqual([]);
  });

  it('splits a typed query on spaces and Chinese commas, lower-cased and distinct, at most a dozen terms', () => {
    expect(searchTermsOf(' 退货  Refund，退货、发票 ')).toEqual(['退货', 'refund', '发票']);
    expect(searchTermsOf('')).toEqual([]);
    expect(searchTermsOf(Array.from({ length: 30 }, (_, i) => `w${String(i)}`).join(' '))).toHaveLength(MAX_SEARCH_TERMS);
  });

  it('refers to an article by title and number, never a URL', () => {
    expect(articleReference({ id: 'KB7G2K9QX4MZ', title: '退货流程' }, 'zh')).toBe('知识库文章《退货流程》（编号 KB7G2K9QX4MZ）');
    expect(articleReference({ id: 'KB7G2K9QX4MZ', title: 'Refund policy' }, 'en')).toBe('Help article "Refund policy" (No. KB7G2K9QX4MZ)');
  });

  it('refuses malformed suggestions and decisions', () => {
    expect(knowledgeSuggestRequestSchema.safeParse({ content: { title: 't', body: 'b', category: '', tags: ['has space'] }, note: '' }).success).toBe(false);
    expect(knowledgeSuggestRequestSchema.safeParse({ articleId: 'kb1', content: { title: 't', body: 'b', category: '', tags: [] }, note: '' }).success).toBe(
      false,
    );
    expect(knowledgeDecideRequestSchema.safeParse({ id: 's1', decision: 'decline', reason: '  ' }).success).toBe(false);
    expect(knowledgeDecideRequestSchema.safeParse({ id: 's1', decision: 'accept', reason: 'x' }).success).toBe(false);
    expect(knowledgeDecideRequestSchema.safeParse({ id: 's1', decision: 'decline', reason: '重复' }).success).toBe(true);
  });

  it('lists the lines a suggestion keeps, removes and adds', () => {
    expect(diffLines('一\n二\n三', '一\n二改\n三\n四')).toEqual([
      { kind: 'same', text: '一' },
      { kind: 'removed', text: '二' },
      { kind: 'added', text: '二改' },
      { kind: 'same', text: '三' },
      { kind: 'added', text: '四' },
    ]);
    expect(diffLines('a', 'a')).toEqual([{ kind: 'same', text: 'a' }]);
    // A suggestion far larger than the article: the shared ends stay, the middle is shown replaced whole (no table of millions of cells).
    const article = ['标题', ...Array.from({ length: 2000 }, (_, i) => `旧${String(i)}`), '结尾'].join('\n');
    const huge = ['标题', ...Array.from({ length: 20000 }, (_, i) => `新${String(i)}`), '结尾'].join('\n');
    const changes = diffLines(article, huge);
    expect(changes).toHaveLength(1 + 2000 + 20000 + 1);
    expect(changes[0]).toEqual({ kind: 'same', text: '标题' });
    expect(changes[1]).toEqual({ kind: 'removed', text: '旧0' });
    expect(changes[2001]).toEqual({ kind: 'added', text: '新0' });
    expect(changes.at(-1)).toEqual({ kind: 'same', text: '结尾' });
  });
});

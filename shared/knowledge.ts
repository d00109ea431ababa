/**
 * The knowledge base (知识库): articles with a category and tags, published or draft, that
 * agents read and search from the composer's side panel (offline too: the workstation caches
 * what its user may read) and suggest edits to; leads and admins write, publish and decide
 * the suggestions. See docs/technical/knowledge.md.
 *
 * Who sees what is decided by the server: agents read published articles and their own
 * suggestions; leads and admins read everything. Search runs in the workstation core over
 * its cache (FTS5 trigram for terms of 3+ characters, LIKE below that).
 */
import { z } from 'zod';

/** Limits beside the schemas, so the workstation and the server refuse the same things. */
export const MAX_ARTICLE_TITLE = 200;
export const MAX_ARTICLE_BODY = 20_000;
export const MAX_ARTICLE_CATEGORY = 40;
export const MAX_ARTICLE_TAG = 32;
export const MAX_ARTICLE_TAGS = 10;
export const MAX_SUGGESTION_NOTE = 1000;
export const MAX_DECLINE_REASON = 500;
/** Most articles the knowledge base holds (the workstation caches all it may read). */
export const MAX_ARTICLES = 5000;
/** Most suggestions one agent may have waiting for a decision: a person never meets it, a runaway client does. */
export const MAX_PENDING_SUGGESTIONS_PER_USER = 50;
/** Most terms one search looks for (the ticket's words are many; the best few are enough). */
export const MAX_SEARCH_TERMS = 12;
export const MAX_SEARCH_QUERY = 500;
/** Terms of this many characters or more use the FTS5 trigram index; shorter ones (most Chinese words) fall back to LIKE. */
export const TRIGRAM_MIN_CHARS = 3;

export const ARTICLE_STATUSES = ['published', 'draft'] as const;
export const articleStatusSchema = z.enum(ARTICLE_STATUSES);
export type ArticleStatus = z.infer<typeof articleStatusSchema>;

/** Article ids are short and readable (`KB7G2K9QX4MZ`): an agent may quote one to a customer, who may quote it back. */
export const articleIdSchema = z.string().regex(/^KB[0-9A-Z]{10}$/, { message: 'is not an article id' });
export const suggestionIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'is not a valid id' });

function trimmed(max: number, min = 0) {
  return z
    .string()
    .max(max)
    .transform((value) => value.trim())
    .refine((value) => value.length >= min, { message: 'must not be empty' });
}

const tagSchema = z
  .string()
  .max(MAX_ARTICLE_TAG)
  .transform((value) => value.trim())
  .refine((value) => value.length > 0 && !/[\s,，]/.test(value), { message: 'must be one word without spaces or commas' });

/** Tags: distinct, in the order written. */
export const articleTagsSchema = z
  .array(tagSchema)
  .max(MAX_ARTICLE_TAGS)
  .transform((tags) => [...new Set(tags)]);

/** What an author writes (a lead's edit, or the content of an agent's suggestion). */
export const articleContentSchema = z.object({
  title: trimmed(MAX_ARTICLE_TITLE, 1),
  body: trimmed(MAX_ARTICLE_BODY, 1),
  category: trimmed(MAX_ARTICLE_CATEGORY),
  tags: articleTagsSchema,
});
export type ArticleContent = z.infer<typeof articleContentSchema>;

export const articleInputSchema = articleContentSchema.extend({ status: articleStatusSchema });
export type ArticleInput = z.infer<typeof articleInputSchema>;

export const articleSchema = z.object({
  id: articleIdSchema,
  title: z.string().max(MAX_ARTICLE_TITLE),
  body: z.string().max(MAX_ARTICLE_BODY),
  category: z.string().max(MAX_ARTICLE_CATEGORY),
  tags: z.array(z.string().max(MAX_ARTICLE_TAG)).max(MAX_ARTICLE_TAGS),
  status: articleStatusSchema,
  /** 1 when created; +1 on every change (a suggestion records the version it was written against). */
  version: z.number().int().positive(),
  updatedAt: z.number().int().nonnegative(),
  updatedById: z.string().max(64),
  /** Who changed it last (denormalised, like authorName on notes). */
  updatedByName: z.string().max(200),
});
export type Article = z.infer<typeof articleSchema>;

export const SUGGESTION_STATUSES = ['pending', 'accepted', 'declined'] as const;
export const suggestionStatusSchema = z.enum(SUGGESTION_STATUSES);
export type SuggestionStatus = z.infer<typeof suggestionStatusSchema>;

/** An agent's proposed edit of an article (`articleId`), or a new article (`articleId` null), with a note. */
export const suggestionSchema = z.object({
  id: suggestionIdSchema,
  articleId: articleIdSchema.nullable(),
  /** The article's version the edit was written against (null for a new article). */
  baseVersion: z.number().int().positive().nullable(),
  content: z.object({
    title: z.string().max(MAX_ARTICLE_TITLE),
    body: z.string().max(MAX_ARTICLE_BODY),
    category: z.string().max(MAX_ARTICLE_CATEGORY),
    tags: z.array(z.string().max(MAX_ARTICLE_TAG)).max(MAX_ARTICLE_TAGS),
  }),
  note: z.string().max(MAX_SUGGESTION_NOTE),
  authorId: z.string().max(64),
  authorName: z.string().max(200),
  createdAt: z.number().int().nonnegative(),
  status: suggestionStatusSchema,
  /** Why a lead declined it; the agent sees it. */
  declineReason: z.string().max(MAX_DECLINE_REASON).nullable(),
  decidedAt: z.number().int().nonnegative().nullable(),
  decidedByName: z.string().max(200).nullable(),
});
export type Suggestion = z.infer<typeof suggestionSchema>;

// --- socket.io requests (shared/sync.ts declares the events) ------------------------------

/** `kb:list` takes nothing: agents get the published articles, leads and admins every article. */
export const knowledgeListRequestSchema = z.object({}).strict();
export const knowledgeListResultSchema = z.object({ articles: z.array(articleSchema).max(MAX_ARTICLES) });
export type KnowledgeListResult = z.infer<typeof knowledgeListResultSchema>;

/** `kb:save` (leads and admins): creates (no id) or changes an article; `expectedVersion` refuses a change over someone else's newer one. */
export const knowledgeSaveRequestSchema = z
  .object({ id: articleIdSchema.optional(), expectedVersion: z.number().int().positive().optional(), article: articleInputSchema })
  .strict();
export type KnowledgeSaveRequest = z.infer<typeof knowledgeSaveRequestSchema>;
export const knowledgeSaveResultSchema = z.object({ article: articleSchema });

/** `kb:suggest` (anyone signed in): an edit of an article, or a new article (no articleId). */
export const knowledgeSuggestRequestSchema = z
  .object({ articleId: articleIdSchema.optional(), content: articleContentSchema, note: trimmed(MAX_SUGGESTION_NOTE) })
  .strict();
export type KnowledgeSuggestRequest = z.infer<typeof knowledgeSuggestRequestSchema>;
export const knowledgeSuggestResultSchema = z.object({ suggestion: suggestionSchema });

/** `kb:suggestions`: an agent's own suggestions; every suggestion for leads and admins. Newest first, pending first. */
export const knowledgeSuggestionsRequestSchema = z.object({}).strict();
export const knowledgeSuggestionsResultSchema = z.object({ suggestions: z.array(suggestionSchema).max(1000) });
export type KnowledgeSuggestionsResult = z.infer<typeof knowledgeSuggestionsResultSchema>;

/** `kb:decide` (leads and admins): accept (the article changes) or decline with a reason the agent sees. */
export const knowledgeDecideRequestSchema = z.discriminatedUnion('decision', [
  z.object({ id: suggestionIdSchema, decision: z.literal('accept') }).strict(),
  z.object({ id: suggestionIdSchema, decision: z.literal('decline'), reason: trimmed(MAX_DECLINE_REASON, 1) }).strict(),
]);
export type KnowledgeDecideRequest = z.infer<typeof knowledgeDecideRequestSchema>;
export const knowledgeDecideResultSchema = z.object({ suggestion: suggestionSchema, article: articleSchema.nullable() });
export type KnowledgeDecideResult = z.infer<typeof knowledgeDecideResultSchema>;

/** How many audit entries `kb:history` answers at most (the newest). */
export const MAX_HISTORY_ENTRIES = 100;

export const KNOWLEDGE_AUDIT_ACTIONS = ['article_created', 'article_updated', 'suggestion_made', 'suggestion_accepted', 'suggestion_declined'] as const;
export const knowledgeAuditActionSchema = z.enum(KNOWLEDGE_AUDIT_ACTIONS);
export type KnowledgeAuditAction = z.infer<typeof knowledgeAuditActionSchema>;

/** The parts of an article a history entry says changed (never the texts themselves: a reader sees the article). */
export const ARTICLE_FIELDS = ['title', 'body', 'category', 'tags', 'status'] as const;
export const articleFieldSchema = z.enum(ARTICLE_FIELDS);
export type ArticleField = z.infer<typeof articleFieldSchema>;

/** One `kb_audit` row as a lead reads it: who did what when, and which fields differ between before and after. */
export const knowledgeHistoryEntrySchema = z.object({
  at: z.number().int().nonnegative(),
  actorName: z.string().max(200),
  action: knowledgeAuditActionSchema,
  suggestionId: suggestionIdSchema.nullable(),
  /** The article's version after the entry (null when it did not change the article: a suggestion made or declined). */
  version: z.number().int().positive().nullable(),
  /** An update: the fields whose before and after differ; otherwise empty (what a suggestion would change is on the suggestion). */
  changed: z.array(articleFieldSchema).max(ARTICLE_FIELDS.length),
});
export type KnowledgeHistoryEntry = z.infer<typeof knowledgeHistoryEntrySchema>;

/** `kb:history` (leads and admins): an article's audit, newest first, at most MAX_HISTORY_ENTRIES. */
export const knowledgeHistoryRequestSchema = z.object({ id: articleIdSchema }).strict();
export type KnowledgeHistoryRequest = z.infer<typeof knowledgeHistoryRequestSchema>;
export const knowledgeHistoryResultSchema = z.object({ entries: z.array(knowledgeHistoryEntrySchema).max(MAX_HISTORY_ENTRIES) });
export type KnowledgeHistoryResult = z.infer<typeof knowledgeHistoryResultSchema>;

/** The fields that differ between two audited states of an article (tags compared in order: their order is what readers see). */
export function changedArticleFields(before: Partial<Record<ArticleField, unknown>>, after: Partial<Record<ArticleField, unknown>>): ArticleField[] {
  return ARTICLE_FIELDS.filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
}

/** Pushed after a change: `articles` — fetch `kb:list` again; `suggestions` — fetch `kb:suggestions` again. */
export const knowledgeChangedSchema = z.object({ articles: z.boolean(), suggestions: z.boolean() });
export type KnowledgeChanged = z.infer<typeof knowledgeChangedSchema>;

/** Leads and admins write articles and decide suggestions; agents read published ones and suggest. */
export function canEditKnowledge(user: { role: string }): boolean {
  return user.role === 'lead' || user.role === 'admin';
}

// --- the workstation's search ------------------------------------------------------------

export const knowledgeSearchRequestSchema = z.object({
  /** Terms separated by spaces; empty lists every cached article, newest first. */
  query: z.string().max(MAX_SEARCH_QUERY),
  limit: z.number().int().min(1).max(100).optional(),
});
export type KnowledgeSearchRequest = z.infer<typeof knowledgeSearchRequestSchema>;

export interface KnowledgeHit {
  article: Article;
  /** The query's terms this article contains (the ranking counts them). */
  matched: string[];
}

/** The search terms of a typed query: its space-separated words, distinct, at most MAX_SEARCH_TERMS. */
export function searchTermsOf(query: string): string[] {
  const terms = query
    .split(/[\s,，、;；]+/u)
    .map((term) => term.trim())
    .filter((term) => term.length > 0);
  return [...new Set(terms.map((term) => term.toLowerCase()))].slice(0, MAX_SEARCH_TERMS);
}

/** Words that say nothing about what the customer needs (greetings, fillers). */
const STOP_WORDS = new Set([
  '您好',
  '你好',
  '请问',
  '谢谢',
  '我们',
  '你们',
  '您的',
  '我的',
  '一下',
  '什么',
  '什么时候',
  '怎么',
  '这个',
  '那个',
  '已经',
  '还是',
  '可以',
  '时候',
  '现在',
  '没有',
  '需要',
  '我想',
  '想要',
  '希望',
  '麻烦',
  '帮忙',
  '申请',
  '问题',
  'the',
  'and',
  'for',
  'you',
  'your',
  'with',
  'have',
  'this',
  'that',
  'hello',
  'please',
  'thanks',
  'from',
  'not',
  'was',
  'are',
]);

/**
 * The words of a ticket's subject and last customer message worth searching the knowledge
 * base for. Intl.Segmenter splits Chinese into words without a dictionary of ours, but ICU
 * leaves many service words in single characters (退|货, 到|账, 丢|件): consecutive single Han
 * characters are joined back into one word. Lone characters and fillers are dropped, and the
 * first `max` distinct words are kept.
 */
export function ticketWordsOf(texts: readonly string[], max = 6): string[] {
  const segmenter = new Intl.Segmenter('zh', { granularity: 'word' });
  const words: string[] = [];
  const keep = (word: string) => {
    const lower = word.toLowerCase();
    const length = [...lower].length;
    const han = /\p{Script=Han}/u.test(lower);
    if (/^[\d\p{P}]+$/u.test(lower) || (han ? length < 2 : length < 3) || STOP_WORDS.has(lower) || words.includes(lower)) return;
    words.push(lower);
  };
  for (const text of texts) {
    let run = '';
    for (const segment of segmenter.segment(text)) {
      const single = segment.isWordLike === true && [...segment.segment].length === 1 && /\p{Script=Han}/u.test(segment.segment);
      if (single) {
        run += segment.segment;
        continue;
      }
      if (run) keep(run);
      run = '';
      if (segment.isWordLike) keep(segment.segment);
    }
    if (run) keep(run);
  }
  return words.slice(0, max);
}

/** What "Insert link" puts in the reply: the title and the article number, never a URL (see docs/technical/knowledge.md). */
export function articleReference(article: Pick<Article, 'id' | 'title'>, language: 'zh' | 'en'): string {
  return language === 'en' ? `Help article "${article.title}" (No. ${article.id})` : `知识库文章《${article.title}》（编号 ${article.id}）`;
}

/** One line of a suggested edit against the article's text: kept, removed or added. */
export interface LineChange {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

/** Past this many (old × new) middle lines, the middle is shown replaced whole instead of matched line by line. */
const MAX_DIFF_CELLS = 1_000_000;

/**
 * The lines a suggestion changes, for the lead to read before deciding: the lines both share at
 * the start and end, and between them the longest common subsequence of lines. An agent writes
 * the suggestion (up to 20,000 lines), so a middle too large to match in bounded memory is shown
 * as removed and then added: still true, never a frozen window.
 */
export function diffLines(before: string, after: string): LineChange[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const same = (lines: string[]): LineChange[] => lines.map((text) => ({ kind: 'same', text }));
  const oldMiddle = a.slice(head, a.length - tail);
  const newMiddle = b.slice(head, b.length - tail);
  const middle =
    oldMiddle.length * newMiddle.length > MAX_DIFF_CELLS
      ? [...oldMiddle.map((text): LineChange => ({ kind: 'removed', text })), ...newMiddle.map((text): LineChange => ({ kind: 'added', text }))]
      : matchLines(oldMiddle, newMiddle);
  return [...same(a.slice(0, head)), ...middle, ...same(a.slice(a.length - tail))];
}

function matchLines(a: string[], b: string[]): LineChange[] {
  // lengths[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const changes: LineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      changes.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      changes.push({ kind: 'removed', text: a[i]! });
      i++;
    } else {
      changes.push({ kind: 'added', text: b[j]! });
      j++;
    }
  }
  return changes;
}

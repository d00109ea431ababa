/**
 * Search over a 100,000-ticket cache (encrypted, as the agent's is) of mixed Chinese and
 * English text: subjects, customer names and three messages a ticket (issue 12, "Speed").
 * Measures what the renderer's search box causes: `inbox.list` (the first window of 200 rows
 * with every count) with the query, for common and rare 3-character and 2-character Chinese
 * words, beside raw floors on a second connection to the same file: a bare FTS5 trigram MATCH
 * for the 3-character words, a bare LIKE scan of subjects and messages for the 2-character
 * ones, and a bare MATCH of the 2-character index (migration 018). Prints `search_*` metrics.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyCacheKey, openCache, type InboxFilter } from '../main/core/cache/cache.js';
import type { Message, TicketBundle } from '../shared/domain.js';
import { makeBenchDir, percentile, progress, removeDir, reportMetric, scaled } from './benchSupport.js';
import { fillBenchCache, inboxBundle } from './inbox.js';
import { customerName, firstContact, followUpContact } from './sampleContacts.js';

const ENGLISH_SUBJECTS = [
  'Refund not received for order',
  'Invoice request (VAT) for March',
  'Re: shipping delay on my parcel',
  'Wrong size delivered, exchange please',
  'Fwd: 发票抬头修改 / invoice title change',
];
const REPLIES = [
  '您好，已为您催促物流，预计两天内更新，请耐心等待。',
  'Hello, your refund has been approved and will arrive in 3-5 working days.',
  '已收到您的发票信息，开具后会发送到您的邮箱。',
  '抱歉给您带来不便，我们已安排换货，新的商品明天发出。',
];
/** Once in about a thousand tickets: what a rare search looks for. */
const RARE_TEXT = '收到的奶粉罐子已经发霉了，保修卡也不见了。';
/** Every this many tickets carries the rare text. */
const RARE_EVERY = 997;

const QUERIES_3CHAR = ['物流信', '退款进', '会员积', '保修卡', '鳄鱼皮'];
const QUERIES_2CHAR = ['退款', '发票', '物流', '地址', '秀英', '发霉', '鳄鱼'];

/** Ticket `index` of the inbox bench with realistic text: a Chinese or English subject, a Chinese name, the customer's messages and a reply. */
function searchBundle(index: number): TicketBundle {
  const base = inboxBundle(index);
  const contact = firstContact(index, base.ticket.channel);
  const subject = index % 4 === 3 ? `${ENGLISH_SUBJECTS[index % ENGLISH_SUBJECTS.length]!} #${String(index)}` : contact.subject!;
  const texts = [
    index % RARE_EVERY === 0 ? `${contact.text} ${RARE_TEXT}` : contact.text,
    REPLIES[index % REPLIES.length]!,
    followUpContact(index, base.ticket.channel).text,
  ];
  const messages = texts.map((text, k): Message => ({
    id: `msg-${String(index)}-${String(k)}`,
    ticketId: base.ticket.id,
    direction: k === 1 ? 'outbound' : 'inbound',
    channel: base.ticket.channel,
    authorId: k === 1 ? 'agent1' : null,
    authorName: k === 1 ? '李娜' : customerName(index),
    text,
    externalMessageId: null,
    deliveryStatus: k === 1 ? 'sent' : 'received',
    createdAt: base.ticket.createdAt + k * 1000,
    attachments: [],
    source: null,
    call: null,
    deliveryError: null,
  }));
  return {
    ...base,
    ticket: { ...base.ticket, subject, lastMessagePreview: texts[2]!.slice(0, 60) },
    customer: { ...base.customer, name: customerName(index) },
    messages,
  };
}

function timeRuns(rounds: number, run: () => unknown): number[] {
  return Array.from({ length: rounds }, () => {
    const start = performance.now();
    run();
    return performance.now() - start;
  });
}

export function runSearchBench(): void {
  const tickets = scaled(100_000, 1000);
  const dir = makeBenchDir('search');
  try {
    const file = path.join(dir, 'lead1.sqlite');
    const key = randomBytes(32);
    const cache = openCache(file, key);
    progress(`search: filling a cache with ${String(tickets)} tickets, 3 messages each`);
    const fillStart = performance.now();
    fillBenchCache(cache, tickets, searchBundle);
    progress(`search: filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
    // The floors read the same file on their own connection, as the cache's reader would.
    const raw = new Database(file, { readonly: true });
    applyCacheKey(raw, key);
    const hasBigrams = raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'ticket_bigrams'").pluck().get() === 1;
    const trigramFloor = raw.prepare(
      'SELECT (SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH ?) + (SELECT count(*) FROM message_fts WHERE message_fts MATCH ?)',
    );
    const likeFloor = raw.prepare(
      "SELECT (SELECT count(*) FROM tickets WHERE subject LIKE ? ESCAPE '\\') + (SELECT count(*) FROM messages WHERE text LIKE ? ESCAPE '\\')",
    );
    const bigramFloor = hasBigrams ? raw.prepare('SELECT count(*) FROM ticket_bigrams WHERE ticket_bigrams MATCH ?') : null;

    const viewer = { userId: 'lead1', heldOnly: false, now: Date.UTC(2024, 10, 8, 2, 0, 0) + (tickets / 2) * 60_000 };
    // What the search box sends: the default filters (open tickets, newest activity first), the first window of 200.
    const filter = (query: string): InboxFilter => ({ view: 'all', channel: null, status: 'open', sort: 'activity', query, offset: 0, limit: 200 });
    const rounds = 40;
    /** p95 of every run of every query, the worst query's p95, and each floor's p95 over the same queries. */
    const measure = (queries: readonly string[], floors: Record<string, ((query: string) => unknown) | null>) => {
      const all: number[] = [];
      const floorRuns = new Map<string, number[]>();
      let worst = 0;
      for (const query of queries) {
        const total = cache.reader.inbox(filter(query), viewer).total;
        const runs = timeRuns(rounds, () => cache.reader.inbox(filter(query), viewer));
        all.push(...runs);
        worst = Math.max(worst, percentile(runs, 95));
        const line = [`search: "${query}" ${String(total)} open tickets, p95 ${percentile(runs, 95).toFixed(2)} ms`];
        for (const [name, floor] of Object.entries(floors)) {
          if (!floor) continue;
          const timed = timeRuns(rounds, () => floor(query));
          floorRuns.set(name, [...(floorRuns.get(name) ?? []), ...timed]);
          line.push(`${name} p95 ${percentile(timed, 95).toFixed(2)} ms`);
        }
        progress(line.join(', '));
      }
      return { p95: percentile(all, 95), worst, floor: (name: string) => percentile(floorRuns.get(name) ?? [], 95) };
    };

    progress(`search: ${String(rounds)} inbox.list requests per query`);
    // The same request with no query: what the list costs before any search (its counts and 200 rows).
    const noQuery = timeRuns(rounds, () => cache.reader.inbox(filter(''), viewer));
    progress(`search: no query, p95 ${percentile(noQuery, 95).toFixed(2)} ms`);
    const three = measure(QUERIES_3CHAR, { trigram: (q) => trigramFloor.get(`"${q}"`, `"${q}"`) });
    const two = measure(QUERIES_2CHAR, {
      like: (q) => likeFloor.get(`%${q}%`, `%${q}%`),
      bigram: bigramFloor ? (q) => bigramFloor.get(`"${q}"`) : null,
    });
    raw.close();
    cache.close();
    reportMetric('search_tickets', tickets);
    reportMetric('search_list_no_query_ms_p95', percentile(noQuery, 95));
    reportMetric('search_3char_cjk_ms_p95', three.p95);
    reportMetric('search_3char_cjk_worst_query_ms_p95', three.worst);
    reportMetric('raw_search_fts_trigram_ms_p95', three.floor('trigram'));
    reportMetric('search_2char_cjk_ms_p95', two.p95);
    reportMetric('search_2char_cjk_worst_query_ms_p95', two.worst);
    reportMetric('raw_search_like_scan_ms_p95', two.floor('like'));
    if (bigramFloor) reportMetric('raw_search_fts_bigram_ms_p95', two.floor('bigram'));
  } finally {
    removeDir(dir);
  }
}

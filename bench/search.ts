/**
 * Search over a 100,000-ticket cache (encrypted, as the agent's is) of mixed Chinese and
 * English text: subjects, customer names and three messages a ticket (issue 12, "Speed").
 * Measures what the renderer's search box causes, for common and rare 3-character and
 * 2-character Chinese words: `inbox.rows` (the first window the list shows, what the agent
 * waits for), then `inbox.counts` (every count, shown a moment later) on its own figure, and
 * the whole `inbox.list` of before (200 rows with every count) for comparison, beside raw floors on a second connection to the same file: a bare FTS5 trigram MATCH
 * for the 3-character words, a bare LIKE scan of subjects and messages for the 2-character
 * ones, and a bare MATCH of the 2-character index (migration 018). Prints `search_*` metrics.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { applyCacheKey, openCache, type InboxFilter } from '../main/core/cache/cache.js';
import { INBOX_FIRST_WINDOW_ROWS } from '../shared/rpc.js';
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
export function searchBundle(index: number): TicketBundle {
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

/** Wall and CPU milliseconds of each run: on a machine shared with other jobs the CPU time is the figure the load moves least. */
function timeRunsWithCpu(rounds: number, run: () => unknown): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
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
    // What the search box sends: the default filters (open tickets, newest activity first), the first window the list shows.
    const filter = (query: string, limit = INBOX_FIRST_WINDOW_ROWS): InboxFilter => ({
      view: 'all',
      channel: null,
      status: 'open',
      sort: 'activity',
      query,
      offset: 0,
      limit,
    });
    /** What the agent waits for: the first window (`inbox.rows`). */
    const firstWindow = (query: string) => cache.reader.inboxRows(filter(query), viewer);
    /** Asked for once the first window is shown: every count (`inbox.counts`). */
    const counts = (query: string) => cache.reader.inboxCounts(filter(query), viewer);
    /** The request of before, for comparison: 200 rows and every count in one (`inbox.list`). */
    const wholeList = (query: string) => cache.reader.inbox(filter(query, 200), viewer);
    const rounds = 40;
    // The counts and the whole list cost up to a hundred times the first window at 100,000 tickets: fewer runs keep the phase short.
    const slowRounds = 20;
    /** Per figure, p95 of every run of every query and the worst query's p95; and each floor's p95 over the same queries. */
    const measure = (queries: readonly string[], floors: Record<string, ((query: string) => unknown) | null>) => {
      const runs = new Map<string, number[]>();
      const worst = new Map<string, number>();
      const record = (name: string, timed: number[]) => {
        runs.set(name, [...(runs.get(name) ?? []), ...timed]);
        worst.set(name, Math.max(worst.get(name) ?? 0, percentile(timed, 95)));
        return percentile(timed, 95).toFixed(2);
      };
      for (const query of queries) {
        const total = counts(query).total;
        const shown = firstWindow(query).rows.length;
        const line = [`search: "${query}" ${String(total)} open tickets (${String(shown)} shown first)`];
        const first = timeRunsWithCpu(rounds, () => firstWindow(query));
        line.push(`first window p95 ${record('first', first.wall)} ms (CPU ${record('first_cpu', first.cpu)} ms)`);
        line.push(
          `counts p95 ${record(
            'counts',
            timeRuns(slowRounds, () => counts(query)),
          )} ms`,
        );
        line.push(
          `whole list p95 ${record(
            'list',
            timeRuns(slowRounds, () => wholeList(query)),
          )} ms`,
        );
        for (const [name, floor] of Object.entries(floors)) {
          if (!floor) continue;
          line.push(
            `${name} p95 ${record(
              name,
              timeRuns(rounds, () => floor(query)),
            )} ms`,
          );
        }
        progress(line.join(', '));
      }
      return {
        p95: (name: string) => percentile(runs.get(name) ?? [], 95),
        p50: (name: string) => percentile(runs.get(name) ?? [], 50),
        worst: (name: string) => worst.get(name) ?? 0,
      };
    };

    progress(`search: ${String(rounds)} first windows (${String(INBOX_FIRST_WINDOW_ROWS)} rows), ${String(slowRounds)} counts and whole lists per query`);
    // The same requests with no query: what the list costs before any search.
    const noQuery = timeRuns(rounds, () => firstWindow(''));
    const noQueryCounts = timeRuns(slowRounds, () => counts(''));
    const noQueryList = timeRuns(slowRounds, () => wholeList(''));
    progress(
      `search: no query, first window p95 ${percentile(noQuery, 95).toFixed(2)} ms, counts ${percentile(noQueryCounts, 95).toFixed(2)} ms, whole list ${percentile(noQueryList, 95).toFixed(2)} ms`,
    );
    const three = measure(QUERIES_3CHAR, { trigram: (q) => trigramFloor.get(`"${q}"`, `"${q}"`) });
    const two = measure(QUERIES_2CHAR, {
      like: (q) => likeFloor.get(`%${q}%`, `%${q}%`),
      bigram: bigramFloor ? (q) => bigramFloor.get(`"${q}"`) : null,
    });
    raw.close();
    cache.close();
    reportMetric('search_tickets', tickets);
    reportMetric('search_first_window_rows', INBOX_FIRST_WINDOW_ROWS);
    reportMetric('search_rows_no_query_ms_p95', percentile(noQuery, 95));
    reportMetric('search_counts_no_query_ms_p95', percentile(noQueryCounts, 95));
    reportMetric('search_list_no_query_ms_p95', percentile(noQueryList, 95));
    for (const [prefix, figures] of [
      ['search_3char_cjk', three],
      ['search_2char_cjk', two],
    ] as const) {
      reportMetric(`${prefix}_ms_p95`, figures.p95('first'));
      reportMetric(`${prefix}_worst_query_ms_p95`, figures.worst('first'));
      reportMetric(`${prefix}_ms_p50`, figures.p50('first'));
      reportMetric(`${prefix}_cpu_ms_p95`, figures.p95('first_cpu'));
      reportMetric(`${prefix}_counts_ms_p95`, figures.p95('counts'));
      reportMetric(`${prefix}_counts_worst_query_ms_p95`, figures.worst('counts'));
      reportMetric(`${prefix}_list_ms_p95`, figures.p95('list'));
    }
    reportMetric('raw_search_fts_trigram_ms_p95', three.p95('trigram'));
    reportMetric('raw_search_like_scan_ms_p95', two.p95('like'));
    if (bigramFloor) reportMetric('raw_search_fts_bigram_ms_p95', two.p95('bigram'));
  } finally {
    removeDir(dir);
  }
}

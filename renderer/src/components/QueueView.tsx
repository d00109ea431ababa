import { useShallow } from 'zustand/react/shallow';
import type { Channel } from '../../../shared/domain.js';
import type { QueueSummaryEntry, QueuedTicket } from '../../../shared/queue.js';
import { formatCountdown } from '../../../shared/sla.js';
import { channelKey, type MessageKey } from '../i18n.js';
import { queueSearchOf } from '../store/queueSlice.js';
import { useAppStore, useT } from '../store/react.js';
import { callPreviewText, ticketLineText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';
import { errorText } from './errorText.js';
import { Highlighted } from './InboxRow.js';
import { SlaCountdown } from './SlaCountdown.js';
import { useNow } from './useNow.js';

function groupKey(group: QueueSummaryEntry['group']): MessageKey {
  return group === null ? 'queue.group.none' : `queue.group.${group}`;
}

/** Waiting counts per channel, summed over its groups; the oldest wait and the at-risk and breached counts with them. */
function perChannel(
  entries: readonly QueueSummaryEntry[],
): Array<{ channel: Channel; waiting: number; oldestSince: number; breaching: number; breached: number; groups: QueueSummaryEntry[] }> {
  const byChannel = new Map<
    Channel,
    { channel: Channel; waiting: number; oldestSince: number; breaching: number; breached: number; groups: QueueSummaryEntry[] }
  >();
  for (const entry of entries) {
    const sum = byChannel.get(entry.channel) ?? { channel: entry.channel, waiting: 0, oldestSince: entry.oldestSince, breaching: 0, breached: 0, groups: [] };
    sum.waiting += entry.waiting;
    sum.breaching += entry.breaching;
    sum.breached += entry.breached;
    sum.oldestSince = Math.min(sum.oldestSince, entry.oldestSince);
    sum.groups.push(entry);
    byChannel.set(entry.channel, sum);
  }
  return [...byChannel.values()];
}

/** The queues of the agent's channels, always in view above their tickets (pushed by the server, throttled). */
export function QueueSummaryBar() {
  const t = useT();
  const now = useNow();
  const summary = useAppStore((s) => s.queueSummary);
  const channels = perChannel(summary.entries);
  return (
    <section className="queue-summary" aria-label={t('queue.summary')}>
      {summary.at === null ? (
        <span className="muted">{t('queue.summaryUnknown')}</span>
      ) : channels.length === 0 ? (
        <span className="muted">{t('queue.summaryEmpty')}</span>
      ) : (
        channels.map((sum) => (
          <span
            key={sum.channel}
            className={`queue-chip${sum.breaching > 0 ? ' at-risk' : ''}`}
            title={sum.groups.map((group) => `${t(groupKey(group.group))}: ${t('queue.waiting', { n: group.waiting })}`).join('\n')}
          >
            <ChannelIcon channel={sum.channel} decorative />
            <span>{t(channelKey(sum.channel))}</span>
            <strong>{t('queue.waiting', { n: sum.waiting })}</strong>
            <span className="muted">{t('queue.oldest', { wait: formatCountdown(Math.max(0, now - sum.oldestSince)) })}</span>
            {/* `breaching` includes the breached (shared/queue.ts): "at risk" is the rest, as the SLA states say. */}
            {sum.breaching - sum.breached > 0 ? <span className="queue-risk">{t('queue.breaching', { n: sum.breaching - sum.breached })}</span> : null}
            {sum.breached > 0 ? <span className="queue-risk">{t('queue.breached', { n: sum.breached })}</span> : null}
          </span>
        ))
      )}
    </section>
  );
}

/** "My tickets" or "Queue": what the inbox column lists. */
export function InboxModeTabs() {
  const t = useT();
  const { mode, setMode, waiting } = useAppStore(
    useShallow((s) => ({ mode: s.inboxMode, setMode: s.setInboxMode, waiting: s.queueSummary.entries.reduce((sum, entry) => sum + entry.waiting, 0) })),
  );
  return (
    <div role="group" aria-label={t('queue.tabs')} className="inbox-mode">
      <button type="button" className="channel-tab" aria-pressed={mode === 'mine'} onClick={() => setMode('mine')}>
        {t('queue.mine')}
      </button>
      <button type="button" className="channel-tab" aria-pressed={mode === 'queue'} onClick={() => setMode('queue')}>
        <span>{t('queue.tab')}</span> <span className="count">{waiting}</span>
      </button>
    </div>
  );
}

function QueueRow({
  row,
  query,
  opening,
  open,
  onOpen,
}: {
  row: QueuedTicket;
  query: string;
  opening: boolean;
  open: boolean;
  onOpen: (ticketId: string) => void;
}) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const now = useNow();
  const { ticket } = row;
  return (
    <li className={`inbox-row queue-row${open ? ' open' : ''} priority-${ticket.priority}`} data-ticket-id={ticket.id}>
      <button type="button" className="queue-open" onClick={() => onOpen(ticket.id)} disabled={opening}>
        <span className="row-line row-top">
          <ChannelIcon channel={ticket.channel} />
          <span className="ticket-id">
            <Highlighted text={ticket.id} query={query} />
          </span>
          <span className="customer-name">
            <Highlighted text={row.customerName} query={query} />
          </span>
          <SlaCountdown ticket={ticket} />
        </span>
        <span className="row-line row-subject">
          <span className="subject">
            <Highlighted text={ticketLineText(t, language, ticket)} query={query} />
          </span>
        </span>
        {/* A search hit in a message the row does not otherwise show: the text around it, marked like the rest. */}
        {row.excerpt ? (
          <span className="row-line">
            <span className="queue-excerpt">
              <Highlighted text={callPreviewText(t, language, row.excerpt)} query={query} />
            </span>
          </span>
        ) : null}
        <span className="row-line row-bottom">
          <span className="queue-group">{t(groupKey(ticket.routing.group))}</span>
          <span>{t('queue.waitedFor', { wait: formatCountdown(Math.max(0, now - ticket.createdAt)) })}</span>
          {ticket.routing.offer ? <span className="muted">{t('queue.offeredTo', { name: ticket.routing.offer.agentName })}</span> : null}
          {opening ? <span className="muted">{t('queue.opening')}</span> : null}
        </span>
      </button>
    </li>
  );
}

/** The waiting tickets of the agent's channels, fetched from the server when shown or refreshed. */
export function QueueList() {
  const t = useT();
  const state = useAppStore(
    useShallow((s) => ({
      online: s.connection.status === 'online',
      rows: s.queueRows,
      next: s.queueNext,
      loading: s.queueLoading,
      loaded: s.queueLoaded,
      error: s.queueError,
      stale: s.queueListedAt !== null && s.queueSummary.at !== null && s.queueSummary.at > s.queueListedAt,
      opening: s.openingQueued,
      query: s.queueQuery,
      openTicketId: s.openTicketId,
      loadQueue: s.loadQueue,
      openQueued: s.openQueued,
    })),
  );
  if (!state.online) {
    return (
      <p role="status" className="queue-offline">
        {t('queue.needsServer')}
      </p>
    );
  }
  return (
    <div className="queue-view">
      <div className="queue-toolbar">
        <h3>{t(state.query ? 'queue.searchLabel' : 'queue.list')}</h3>
        {state.stale ? <span className="queue-stale">{t('queue.stale')}</span> : null}
        <button type="button" onClick={() => void state.loadQueue()} disabled={state.loading}>
          {t('queue.refresh')}
        </button>
      </div>
      {state.error ? (
        <p role="alert" className="inline-error">
          {errorText(t, state.error)}
        </p>
      ) : null}
      <ul className="inbox-list queue-list" aria-label={t(state.query ? 'queue.searchLabel' : 'queue.list')}>
        {state.rows.map((row) => (
          <QueueRow
            key={row.ticket.id}
            row={row}
            query={state.query}
            opening={state.opening === row.ticket.id}
            open={state.openTicketId === row.ticket.id}
            onOpen={(ticketId) => void state.openQueued(ticketId)}
          />
        ))}
      </ul>
      {state.rows.length === 0 ? (
        <p className="inbox-empty">{state.loaded && !state.loading ? t(state.query ? 'queue.searchEmpty' : 'queue.empty') : t('queue.loading')}</p>
      ) : null}
      {state.next ? (
        <button type="button" className="queue-more" onClick={() => void state.loadQueue(true)} disabled={state.loading}>
          {t('queue.more')}
        </button>
      ) : null}
    </div>
  );
}

/**
 * Under the agent's own tickets while a search is typed (issue 12): how many waiting tickets of
 * their channels match on the server, a button to the queue view that lists them; offline, that
 * the queue was not searched.
 */
export function QueueSearchHint() {
  const t = useT();
  const state = useAppStore(
    useShallow((s) => ({
      online: s.connection.status === 'online',
      searching: s.filters.query.trim() !== '',
      answered: s.queueLoaded && !s.queueLoading && s.queueError === null && s.queueQuery === queueSearchOf(s.filters.query),
      count: s.queueRows.length,
      more: s.queueNext !== null,
      setMode: s.setInboxMode,
    })),
  );
  if (!state.searching) return null;
  if (!state.online) {
    return (
      <p role="status" className="queue-search-hint muted">
        {t('queue.searchNeedsServer')}
      </p>
    );
  }
  if (!state.answered) return null;
  return (
    <p role="status" className="queue-search-hint">
      {state.count === 0 ? (
        <span className="muted">{t('queue.searchNone')}</span>
      ) : (
        <button type="button" className="link-button" onClick={() => state.setMode('queue')}>
          {t(state.more ? 'queue.searchMatchesMore' : 'queue.searchMatches', { n: state.count })}
        </button>
      )}
    </p>
  );
}

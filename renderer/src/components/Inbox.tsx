import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CHANNELS, PRIORITIES, TICKET_STATUSES, prioritySchema, type Channel } from '../../../shared/domain.js';
import { INBOX_SLA_FILTERS, INBOX_SORTS, INBOX_VIEWS, inboxStatusFilterSchema } from '../../../shared/rpc.js';
import { channelKey, priorityKey, statusKey } from '../i18n.js';
import { inboxRowAt } from '../store/inboxSlice.js';
import { queueWanted } from '../store/queueSlice.js';
import { isLeadRole } from '../store/routingSlice.js';
import { useAppStore, useStoreApi, useT } from '../store/react.js';
import { BulkBar } from './BulkBar.js';
import { errorText } from './errorText.js';
import { INBOX_ROW_HEIGHT, InboxRow, InboxRowPlaceholder } from './InboxRow.js';
import { InboxModeTabs, QueueList, QueueSearchHint, QueueSummaryBar } from './QueueView.js';

function ChannelFilter() {
  const t = useT();
  const { channel, counts, setChannelFilter } = useAppStore(
    useShallow((s) => ({ channel: s.filters.channel, counts: s.channelCounts, setChannelFilter: s.setChannelFilter })),
  );
  const total = CHANNELS.reduce((sum, c) => sum + counts[c], 0);
  const options: Array<Channel | null> = [null, ...CHANNELS];
  return (
    <div role="group" aria-label={t('inbox.channels')} className="channel-filter">
      {options.map((option) => (
        <button key={option ?? 'all'} type="button" aria-pressed={channel === option} className="channel-tab" onClick={() => setChannelFilter(option)}>
          <span>{option ? t(channelKey(option)) : t('inbox.allChannels')}</span> <span className="count">{option ? counts[option] : total}</span>
        </button>
      ))}
    </div>
  );
}

/** Mine / Unassigned (that I could take) / All I may see; the counts are open tickets. */
function ViewTabs() {
  const t = useT();
  const { view, counts, setInboxView } = useAppStore(useShallow((s) => ({ view: s.filters.view, counts: s.viewCounts, setInboxView: s.setInboxView })));
  return (
    <div role="group" aria-label={t('inbox.views')} className="channel-filter view-tabs">
      {INBOX_VIEWS.map((option) => (
        <button key={option} type="button" aria-pressed={view === option} className="channel-tab" onClick={() => setInboxView(option)}>
          <span>{t(`inbox.view.${option}`)}</span> <span className="count">{counts[option]}</span>
        </button>
      ))}
    </div>
  );
}

/** Status, priority, SLA state, assignee (leads) and the order. Named by title, not by a label or aria-label: getByLabel("Status") / ("Priority") must find only the ticket's controls. */
function Filters() {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      filters: state.filters,
      statusCounts: state.statusCounts,
      assignees: state.assignees,
      isLead: isLeadRole(state.user?.role),
      setStatusFilter: state.setStatusFilter,
      setPriorityFilter: state.setPriorityFilter,
      setSlaFilter: state.setSlaFilter,
      setAssigneeFilter: state.setAssigneeFilter,
      setEscalatedFilter: state.setEscalatedFilter,
      setSort: state.setSort,
    })),
  );
  const { filters } = s;
  return (
    <div className="inbox-filters">
      <select
        className="status-filter"
        title={t('inbox.statusFilter')}
        value={filters.status ?? ''}
        onChange={(e) => {
          const parsed = inboxStatusFilterSchema.safeParse(e.target.value);
          s.setStatusFilter(parsed.success ? parsed.data : null);
        }}
      >
        <option value="open">{t('inbox.openStatuses')}</option>
        <option value="">{t('inbox.allStatuses')}</option>
        {TICKET_STATUSES.map((status) => (
          <option key={status} value={status}>
            {t(statusKey(status))} ({s.statusCounts[status]})
          </option>
        ))}
      </select>
      <select
        title={t('inbox.priorityFilter')}
        value={filters.priority ?? ''}
        onChange={(e) => {
          const parsed = prioritySchema.safeParse(e.target.value);
          s.setPriorityFilter(parsed.success ? parsed.data : null);
        }}
      >
        <option value="">{t('inbox.allPriorities')}</option>
        {PRIORITIES.map((priority) => (
          <option key={priority} value={priority}>
            {t(priorityKey(priority))}
          </option>
        ))}
      </select>
      <select
        title={t('inbox.slaFilter')}
        value={filters.sla ?? ''}
        onChange={(e) => s.setSlaFilter(INBOX_SLA_FILTERS.find((sla) => sla === e.target.value) ?? null)}
      >
        <option value="">{t('inbox.allSla')}</option>
        {INBOX_SLA_FILTERS.map((sla) => (
          <option key={sla} value={sla}>
            {t(`inbox.sla.${sla}`)}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="channel-tab escalated-filter"
        title={t('bulk.escalatedFilterTitle')}
        aria-pressed={filters.escalated}
        onClick={() => s.setEscalatedFilter(!filters.escalated)}
      >
        {t('bulk.escalatedFilter')}
      </button>
      {s.isLead ? (
        <select
          title={t('inbox.assigneeFilter')}
          value={filters.assigneeId ?? ''}
          onChange={(e) => s.setAssigneeFilter(e.target.value === '' ? null : e.target.value)}
        >
          <option value="">{t('inbox.allAssignees')}</option>
          {filters.assigneeId && !s.assignees.some((a) => a.id === filters.assigneeId) ? (
            <option value={filters.assigneeId}>{filters.assigneeId}</option>
          ) : null}
          {s.assignees.map((assignee) => (
            <option key={assignee.id} value={assignee.id}>
              {assignee.name} ({assignee.count})
            </option>
          ))}
        </select>
      ) : null}
      <select
        title={t('inbox.sort')}
        value={filters.sort}
        onChange={(e) => {
          const sort = INBOX_SORTS.find((option) => option === e.target.value);
          if (sort) s.setSort(sort);
        }}
      >
        {INBOX_SORTS.map((sort) => (
          <option key={sort} value={sort}>
            {t(`inbox.sort.${sort}`)}
          </option>
        ))}
      </select>
    </div>
  );
}

/** "显示 120 / 共 100,000": what the view and filters select, of every ticket the user may see here. */
function InboxCount() {
  const t = useT();
  const { total, totalPending, exists, language, openNewTicket } = useAppStore(
    useShallow((s) => ({ total: s.total, totalPending: s.totalPending, exists: s.exists, language: s.language, openNewTicket: s.openNewTicket })),
  );
  const format = useMemo(() => new Intl.NumberFormat(language), [language]);
  return (
    <div className="inbox-count-row">
      <p className="inbox-count" aria-live="polite">
        {t(totalPending ? 'inbox.shownCounting' : 'inbox.shownOfTotal', { shown: format.format(total), exists: format.format(exists) })}
      </p>
      {/* A walk-in or a call taken during an outage (新建工单); also the c key. */}
      <button type="button" className="new-ticket-open" title={`${t('shortcuts.newTicket')} (c)`} onClick={openNewTicket}>
        {t('manual.open')}
      </button>
    </div>
  );
}

/** How long after the last keystroke an agent's search also asks the server for the queue's matches. */
const QUEUE_SEARCH_DELAY_MS = 300;

/** Rows rendered above and below the screen. */
const INBOX_OVERSCAN_ROWS = 2;

/**
 * The list: every matching ticket has a place (the scroll height is the whole list), but
 * only the rows on screen are rendered, from the window the store holds; rows of a window
 * not loaded yet show as placeholders while the store fetches it.
 */
function InboxList() {
  const t = useT();
  const scrollRef = useRef<HTMLDivElement>(null);
  const state = useAppStore(
    useShallow((s) => ({
      rows: s.rows,
      rowsOffset: s.rowsOffset,
      total: s.total,
      query: s.filters.query,
      selectedIndex: s.selectedIndex,
      openTicketId: s.openTicketId,
      moveSelection: s.moveSelection,
      selectIndex: s.selectIndex,
      openSelected: s.openSelected,
      openTicket: s.openTicket,
      showRange: s.showRange,
    })),
  );
  const { rows, rowsOffset, total, selectedIndex, selectIndex, showRange, openTicket } = state;
  // The virtualizer re-renders this component itself on scroll; the compiler leaving it unmemoised is what it needs.
  // Two rows beyond each edge, not six: every frame of a fast scroll renders the whole range anew (each row
  // ~15 elements to fill, style, lay out and paint), so twelve rows off screen were over half a frame's work;
  // two still cover a key step (↑/↓) before React renders.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => INBOX_ROW_HEIGHT,
    overscan: INBOX_OVERSCAN_ROWS,
  });
  const items = virtualizer.getVirtualItems();
  const firstShown = items[0]?.index ?? 0;
  const lastShown = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (lastShown >= firstShown) showRange(firstShown, lastShown + 1);
  }, [firstShown, lastShown, rowsOffset, rows.length, total, showRange]);

  // The selection stays on screen; while the list (or nothing) has focus, the selected row takes it, so focus is visible.
  useEffect(() => {
    if (selectedIndex < 0) return;
    virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);
  const selectedLoaded = inboxRowAt({ rows, rowsOffset }, selectedIndex) !== undefined;
  // A layout effect: a row that came into view is a new element, so focus goes back before the paint, not after it.
  useLayoutEffect(() => {
    const list = scrollRef.current;
    if (!list || selectedIndex < 0) return;
    const active = document.activeElement;
    if (active !== document.body && active !== null && !list.contains(active)) return;
    const element = list.querySelector<HTMLElement>(`[data-index="${String(selectedIndex)}"]`);
    if (element && element !== active) element.focus({ preventScroll: true });
  }, [selectedIndex, selectedLoaded, firstShown, lastShown]);

  function onListKeyDown(event: KeyboardEvent<HTMLUListElement>) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Home') selectIndex(0);
    else if (event.key === 'End') selectIndex(total - 1);
    else if (event.key === 'PageDown') selectIndex(Math.min(total - 1, Math.max(selectedIndex, 0) + 10));
    else if (event.key === 'PageUp') selectIndex(Math.max(0, selectedIndex - 10));
    else return;
    event.preventDefault();
  }

  const onOpen = useCallback((ticketId: string) => void openTicket(ticketId), [openTicket]);

  return (
    <div ref={scrollRef} className="inbox-scroller">
      <ul
        role="listbox"
        aria-label={t('inbox.tickets')}
        className="inbox-list"
        onKeyDown={onListKeyDown}
        style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
      >
        {items.map((item) => {
          const row = inboxRowAt({ rows, rowsOffset }, item.index);
          const selected = item.index === selectedIndex;
          return row ? (
            <InboxRow
              key={row.id}
              row={row}
              index={item.index}
              setSize={total}
              top={item.start}
              selected={selected}
              open={row.id === state.openTicketId}
              query={state.query}
              onSelect={selectIndex}
              onOpen={onOpen}
            />
          ) : (
            <InboxRowPlaceholder key={`placeholder-${String(item.index)}`} index={item.index} setSize={total} top={item.start} selected={selected} />
          );
        })}
      </ul>
    </div>
  );
}

export function Inbox() {
  const t = useT();
  const searchId = useId();
  const store = useStoreApi();
  // Neither the rows nor the selection: a window arriving while scrolling re-rendered the whole header (filters, tabs, counts) with the list.
  const state = useAppStore(
    useShallow((s) => ({
      query: s.filters.query,
      total: s.total,
      inboxLoaded: s.inboxLoaded,
      inboxError: s.inboxError,
      setQuery: s.setQuery,
      selectIndex: s.selectIndex,
      isAgent: s.user?.role === 'agent',
      inboxMode: s.inboxMode,
      online: s.connection.status === 'online',
      loadQueue: s.loadQueue,
    })),
  );

  // An agent's search reaches the queue too (issue 12): the server searches the waiting tickets of their
  // channels, a moment after the typing stops (each search is a server read, unlike the cache's).
  const { query, online, loadQueue } = state;
  useEffect(() => {
    if (!online || !queueWanted(store.getState())) return;
    const timer = setTimeout(() => void loadQueue(), QUEUE_SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, online, loadQueue, store]);

  function onSearchKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    // The queue view's list is not the inbox's listbox: there the arrow keys are the browser's.
    if ((event.key === 'ArrowDown' || event.key === 'Enter') && state.inboxMode !== 'queue') {
      event.preventDefault();
      if (state.total === 0) return;
      const { selectedIndex } = store.getState();
      const index = selectedIndex < 0 ? 0 : selectedIndex;
      state.selectIndex(index);
      document.querySelector<HTMLElement>(`.inbox-list [data-index="${String(index)}"]`)?.focus();
    } else if (event.key === 'Escape' && state.query !== '') {
      event.preventDefault();
      state.setQuery('');
    }
  }

  const searchBox = (
    <>
      <label htmlFor={searchId} className="visually-hidden">
        {t('inbox.search')}
      </label>
      <input
        id={searchId}
        type="search"
        className="search-input"
        data-shortcut="search"
        placeholder={t('inbox.searchPlaceholder')}
        value={state.query}
        onChange={(e) => state.setQuery(e.target.value)}
        onKeyDown={onSearchKeyDown}
      />
    </>
  );

  // Agents are sent what they hold; their channels' queues are summarised above and listed on demand.
  const queueHeader = state.isAgent ? (
    <>
      <QueueSummaryBar />
      <InboxModeTabs />
    </>
  ) : null;
  if (state.isAgent && state.inboxMode === 'queue') {
    return (
      <section className="inbox queue-mode" aria-labelledby={`${searchId}-title`}>
        <h2 id={`${searchId}-title`} className="visually-hidden">
          {t('inbox.title')}
        </h2>
        {queueHeader}
        {searchBox}
        <QueueList />
      </section>
    );
  }

  return (
    <section className={`inbox${state.isAgent ? ' with-queue' : ''}`} aria-labelledby={`${searchId}-title`}>
      <h2 id={`${searchId}-title`} className="visually-hidden">
        {t('inbox.title')}
      </h2>
      {queueHeader}
      <ViewTabs />
      <ChannelFilter />
      {searchBox}
      <Filters />
      <InboxCount />
      {state.isAgent ? <QueueSearchHint /> : null}
      <div className="inbox-body">
        <BulkBar />
        {state.inboxError ? (
          <p role="alert" className="inline-error">
            {errorText(t, state.inboxError)}
          </p>
        ) : null}
        {/* Above the list: the list's scroller takes the column's height, and below it the words sat at the window's foot, far from the search that emptied it. */}
        {state.total === 0 ? <p className="inbox-empty">{state.inboxLoaded ? t('inbox.empty') : t('inbox.loading')}</p> : null}
        <InboxList />
      </div>
      <p className="keyboard-hint">{t('inbox.keyboardHint')}</p>
    </section>
  );
}

import { useCallback, useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CHANNELS, TICKET_STATUSES, ticketStatusSchema, type Channel } from '../../../shared/domain.js';
import { channelKey, statusKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { BulkBar } from './BulkBar.js';
import { errorText } from './errorText.js';
import { InboxRow } from './InboxRow.js';
import { InboxModeTabs, QueueList, QueueSummaryBar } from './QueueView.js';

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

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

export function Inbox() {
  const t = useT();
  const searchId = useId();
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const state = useAppStore(
    useShallow((s) => ({
      filters: s.filters,
      statusCounts: s.statusCounts,
      rows: s.rows,
      selectedIndex: s.selectedIndex,
      openTicketId: s.openTicketId,
      inboxLoaded: s.inboxLoaded,
      inboxError: s.inboxError,
      setStatusFilter: s.setStatusFilter,
      setQuery: s.setQuery,
      moveSelection: s.moveSelection,
      selectIndex: s.selectIndex,
      openSelected: s.openSelected,
      openTicket: s.openTicket,
      isAgent: s.user?.role === 'agent',
      inboxMode: s.inboxMode,
    })),
  );
  const { rows, selectedIndex, moveSelection, openSelected, selectIndex, openTicket } = state;

  // `/` jumps to search from anywhere that is not a text field.
  useEffect(() => {
    function onKeyDown(event: globalThis.KeyboardEvent) {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || isEditable(event.target)) return;
      event.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    }
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  // Keep the selected row in view, and keep keyboard focus on it while the list has focus.
  const selectedId = rows[selectedIndex]?.id;
  useEffect(() => {
    if (!selectedId || !listRef.current) return;
    const element = document.getElementById(`inbox-row-${selectedId}`);
    if (!element) return;
    if (listRef.current.contains(document.activeElement) && document.activeElement !== element) {
      element.focus({ preventScroll: true });
    }
    element.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  function onListKeyDown(event: KeyboardEvent<HTMLUListElement>) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    switch (event.key) {
      case 'ArrowDown':
      case 'j':
        moveSelection(1);
        break;
      case 'ArrowUp':
      case 'k':
        moveSelection(-1);
        break;
      case 'Home':
        selectIndex(0);
        break;
      case 'End':
        selectIndex(rows.length - 1);
        break;
      case 'Enter':
        openSelected();
        break;
      default:
        return;
    }
    event.preventDefault();
  }

  function onSearchKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'Enter') {
      event.preventDefault();
      const target = rows[selectedIndex] ?? rows[0];
      if (target) {
        if (selectedIndex < 0) selectIndex(0);
        document.getElementById(`inbox-row-${target.id}`)?.focus();
      }
    } else if (event.key === 'Escape' && state.filters.query !== '') {
      event.preventDefault();
      state.setQuery('');
    }
  }

  const onOpen = useCallback((ticketId: string) => void openTicket(ticketId), [openTicket]);

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
      <ChannelFilter />
      <label htmlFor={searchId} className="visually-hidden">
        {t('inbox.search')}
      </label>
      <input
        ref={searchRef}
        id={searchId}
        type="search"
        className="search-input"
        placeholder={t('inbox.searchPlaceholder')}
        value={state.filters.query}
        onChange={(e) => state.setQuery(e.target.value)}
        onKeyDown={onSearchKeyDown}
      />
      {/* Named by title, not by a label: getByLabel('Status') must find only the ticket's status control. */}
      <select
        className="status-filter"
        title={t('inbox.statusFilter')}
        value={state.filters.status ?? ''}
        onChange={(e) => {
          const parsed = ticketStatusSchema.safeParse(e.target.value);
          state.setStatusFilter(parsed.success ? parsed.data : null);
        }}
      >
        <option value="">{t('inbox.allStatuses')}</option>
        {TICKET_STATUSES.map((status) => (
          <option key={status} value={status}>
            {t(statusKey(status))} ({state.statusCounts[status]})
          </option>
        ))}
      </select>
      <div className="inbox-body">
        <BulkBar />
        {state.inboxError ? (
          <p role="alert" className="inline-error">
            {errorText(t, state.inboxError)}
          </p>
        ) : null}
        <ul ref={listRef} role="listbox" aria-label={t('inbox.tickets')} className="inbox-list" onKeyDown={onListKeyDown}>
          {rows.map((row, index) => (
            <InboxRow
              key={row.id}
              row={row}
              index={index}
              selected={index === selectedIndex}
              open={row.id === state.openTicketId}
              onSelect={selectIndex}
              onOpen={onOpen}
            />
          ))}
        </ul>
        {rows.length === 0 ? <p className="inbox-empty">{state.inboxLoaded ? t('inbox.empty') : t('inbox.loading')}</p> : null}
      </div>
      <p className="keyboard-hint">{t('inbox.keyboardHint')}</p>
    </section>
  );
}

import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';

/** The select's value for "back to the queue" (user ids never contain a colon). */
const QUEUE_TARGET = ':queue';

/** Leads: reassign the ticked inbox rows (批量转派) to one agent, or back to the queue. */
export function BulkBar() {
  const t = useT();
  const id = useId();
  const [target, setTarget] = useState('');
  const { isLead, selection, agents, reassigning, outcome, reassignSelected, clearBulk } = useAppStore(
    useShallow((s) => ({
      isLead: isLeadRole(s.user?.role),
      selection: s.bulkSelection,
      agents: s.agents,
      reassigning: s.reassigning,
      outcome: s.bulkOutcome,
      reassignSelected: s.reassignSelected,
      clearBulk: s.clearBulk,
    })),
  );
  if (!isLead || (selection.length === 0 && !outcome)) return null;
  const candidates = [...agents].filter((a) => a.channels.length > 0).sort((a, b) => a.username.localeCompare(b.username));
  return (
    <div className="bulk-bar">
      {selection.length > 0 ? (
        <div className="bulk-controls">
          <span className="bulk-count" aria-live="polite">
            {t('bulk.selected', { n: selection.length })}
          </span>
          <label htmlFor={id} className="visually-hidden">
            {t('bulk.target')}
          </label>
          <select id={id} value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">{t('bulk.chooseTarget')}</option>
            <option value={QUEUE_TARGET}>{t('bulk.toQueue')}</option>
            {candidates.map((agent) => (
              <option key={agent.userId} value={agent.userId}>
                {agent.displayName} · {t(`presence.${agent.presence}`)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="primary"
            disabled={target === '' || reassigning}
            onClick={() => void reassignSelected(target === QUEUE_TARGET ? null : target)}
          >
            {t('bulk.submit')}
          </button>
          <button type="button" className="link-button" onClick={clearBulk}>
            {t('bulk.clear')}
          </button>
        </div>
      ) : null}
      {outcome ? (
        <div className="bulk-outcome" role="status">
          {outcome.done > 0 ? <span>{t('bulk.done', { n: outcome.done })}</span> : null}
          {outcome.failures.map((failure) => (
            <span key={failure.ticketId} className="bulk-failure">
              {t(`bulk.failure.${failure.code}`, { id: failure.ticketId, agent: outcome.targetName ?? '' })}
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}

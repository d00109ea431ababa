import { useId, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { MAX_BULK_REASSIGN, type BulkTransferCandidate } from '../../../shared/routing.js';
import type { Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';
import { transferRefusalText } from './TicketFields.js';

/** The select's value for "back to the queue" (user ids never contain a colon). */
const QUEUE_TARGET = ':queue';

/** An agent in the target list: who can take every ticked ticket is picked; the others say why not (and how many they could take) in the lead's language. */
function candidateLabel(t: Translate, candidate: BulkTransferCandidate): string {
  const name = `${candidate.displayName} · ${t(`presence.${candidate.presence}`)}`;
  if (candidate.canTake === candidate.of || candidate.refusal === null) return name;
  const reason = t(`transferRefusal.${candidate.refusal}`);
  return `${name} — ${candidate.canTake === 0 ? transferRefusalText(t, candidate.refusal) : t('bulk.canTakeSome', { n: candidate.canTake, of: candidate.of, reason })}`;
}

/** Leads: reassign the ticked inbox rows (批量转派) to one agent who can take them all, or back to the queue; or tick every row the filter selects. */
export function BulkBar() {
  const t = useT();
  const id = useId();
  const [target, setTarget] = useState('');
  const s = useAppStore(
    useShallow((state) => ({
      isLead: isLeadRole(state.user?.role),
      selection: state.bulkSelection,
      matching: state.bulkMatching,
      targets: state.bulkTargets,
      total: state.total,
      reassigning: state.reassigning,
      outcome: state.bulkOutcome,
      reassignSelected: state.reassignSelected,
      selectAllMatching: state.selectAllMatching,
      clearBulk: state.clearBulk,
      dismissOutcome: state.dismissBulkOutcome,
    })),
  );
  const { selection, outcome } = s;
  if (!s.isLead || (selection.length === 0 && !outcome)) return null;
  const overLimit = selection.length > MAX_BULK_REASSIGN;
  const pickable = (s.targets ?? []).filter((c) => c.of > 0 && c.canTake === c.of && c.refusal === null);
  // A target picked earlier that can no longer take them all is not offered as picked.
  const value = target === QUEUE_TARGET || pickable.some((c) => c.userId === target) ? target : '';
  const allShown = s.matching !== null || selection.length >= s.total;
  return (
    <div className="bulk-bar">
      {selection.length > 0 ? (
        <div className="bulk-controls">
          <span className="bulk-count" aria-live="polite">
            {t('bulk.selected', { n: selection.length })}
          </span>
          {allShown ? null : (
            <button type="button" className="link-button" onClick={() => void s.selectAllMatching()}>
              {s.total > MAX_BULK_REASSIGN ? t('bulk.selectFirst', { max: MAX_BULK_REASSIGN, n: s.total }) : t('bulk.selectAll', { n: s.total })}
            </button>
          )}
          <label htmlFor={id} className="visually-hidden">
            {t('bulk.target')}
          </label>
          <select id={id} value={value} onChange={(e) => setTarget(e.target.value)} aria-busy={s.targets === null}>
            <option value="">{s.targets === null && !overLimit ? t('bulk.targetsLoading') : t('bulk.chooseTarget')}</option>
            <option value={QUEUE_TARGET}>{t('bulk.toQueue')}</option>
            {(s.targets ?? []).map((candidate) => (
              <option key={candidate.userId} value={candidate.userId} disabled={!pickable.includes(candidate)}>
                {candidateLabel(t, candidate)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="primary"
            disabled={value === '' || s.reassigning || overLimit}
            onClick={() => void s.reassignSelected(value === QUEUE_TARGET ? null : value)}
          >
            {t('bulk.submit')}
          </button>
          <button type="button" className="link-button" onClick={s.clearBulk}>
            {t('bulk.clear')}
          </button>
        </div>
      ) : null}
      {s.matching && selection.length > 0 ? (
        <p className="bulk-matching" role="status">
          {s.matching.total > s.matching.selected
            ? t('bulk.firstSelected', { max: s.matching.selected, n: s.matching.total })
            : t('bulk.allSelected', { n: s.matching.selected })}
        </p>
      ) : null}
      {overLimit ? (
        <p className="bulk-matching" role="alert">
          {t('bulk.overLimit', { max: MAX_BULK_REASSIGN })}
        </p>
      ) : null}
      {outcome ? (
        <div className="bulk-outcome">
          <div className="bulk-outcome-lines" role="status">
            {outcome.done > 0 ? <span>{t('bulk.done', { n: outcome.done })}</span> : null}
            {outcome.failures.map((failure) => (
              <span key={failure.ticketId} className="bulk-failure">
                {t(`bulk.failure.${failure.code}`, { id: failure.ticketId, agent: outcome.targetName ?? '' })}
              </span>
            ))}
          </div>
          <button type="button" className="link-button" onClick={s.dismissOutcome}>
            {t('ticket.dismiss')}
          </button>
        </div>
      ) : null}
    </div>
  );
}

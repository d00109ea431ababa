import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RoutingAuditEntry } from '../../../shared/routing.js';
import { routingBasisSchema } from '../../../shared/domain.js';
import { describeAssignment, describeRoutingBasis, formatDateTime, type Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';

/** One audit entry as a sentence in the UI language ("routed to X because …"). */
export function describeAuditEntry(t: Translate, entry: RoutingAuditEntry): string {
  const name = entry.assigneeName ?? entry.actorName ?? '?';
  switch (entry.decision) {
    case 'declined':
      return t('history.declinedBy', { name: entry.actorName ?? name });
    case 'offer_timeout':
      return t('history.timedOut', { name });
    case 'escalated':
      return t('history.escalatedBy', { name: entry.actorName ?? name });
    case 'unpinned':
      if (entry.reason) return describeAssignment(t, entry.reason, entry.assigneeName);
      // No actor: routing let the pin go because the pinned agent can no longer take the ticket (stall-2, stall-3).
      return entry.actorName ? t('history.unpinnedBy', { name: entry.actorName }) : t('history.unpinnedByRouting');
    case 'offered': {
      // "Offered to 张强: fewest open tickets with the Chat skill" — not "Routed to", nobody has it yet.
      const basis = entry.reason ? routingBasisSchema.safeParse(entry.reason.code) : null;
      const channel = entry.reason && 'channel' in entry.reason ? entry.reason.channel : null;
      const offered = t('history.offeredTo', { name });
      return basis?.success && channel ? `${offered}: ${describeRoutingBasis(t, basis.data, channel)}` : offered;
    }
    case 'transferred':
      // The history keeps the hand-over note with who passed the ticket on, and where.
      return entry.reason?.code === 'transferred'
        ? t('history.transferNote', { what: describeAssignment(t, entry.reason, entry.assigneeName), note: entry.reason.note })
        : entry.text;
    default:
      return entry.reason ? describeAssignment(t, entry.reason, entry.assigneeName) : entry.text;
  }
}

/** The open ticket's routing audit (分配记录): every decision and override, oldest first. */
export function RoutingHistory() {
  const t = useT();
  const id = useId();
  const { audit, loading, error, language, ticketId } = useAppStore(
    useShallow((s) => ({ audit: s.audit, loading: s.auditLoading, error: s.auditError, language: s.language, ticketId: s.openTicketId })),
  );
  const entries = audit && audit.ticketId === ticketId ? audit.entries : null;
  return (
    <section className="routing-history" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="panel-title">
        {t('history.title')}
      </h3>
      {error && !entries ? <p className="muted small">{errorText(t, error)}</p> : null}
      {!entries && !error ? <p className="muted small">{loading ? t('history.loading') : null}</p> : null}
      {entries && entries.length === 0 ? <p className="muted small">{t('history.empty')}</p> : null}
      {entries && entries.length > 0 ? (
        <ol className="history-list">
          {entries.map((entry) => (
            <li key={entry.id} className={`history-entry decision-${entry.decision}`}>
              <div className="history-meta">
                <span className="history-decision">{t(`decision.${entry.decision}`)}</span>
                <time dateTime={new Date(entry.at).toISOString()}>{formatDateTime(language, entry.at)}</time>
              </div>
              <p className="history-text">{describeAuditEntry(t, entry)}</p>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}

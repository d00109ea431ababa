import type { Ticket } from '../../../shared/domain.js';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';

/** Leads: ticks an inbox row for bulk reassignment; a click here never opens the ticket. */
export function BulkCheckbox({ ticketId }: { ticketId: string }) {
  const t = useT();
  const isLead = useAppStore((s) => isLeadRole(s.user?.role));
  const checked = useAppStore((s) => s.bulkSelection.includes(ticketId));
  const toggleBulk = useAppStore((s) => s.toggleBulk);
  if (!isLead) return null;
  return (
    <input
      type="checkbox"
      className="bulk-checkbox"
      aria-label={t('bulk.select', { id: ticketId })}
      checked={checked}
      // Out of the tab order: the row is the list's one roving stop, and `x` ticks the selected row (renderer/src/shortcuts.ts).
      tabIndex={-1}
      aria-keyshortcuts="x"
      onClick={(event) => event.stopPropagation()}
      onKeyDown={(event) => event.stopPropagation()}
      onChange={() => toggleBulk(ticketId)}
    />
  );
}

/** Escalated / offered markers on an inbox row. */
export function RowRoutingBadges({ ticket }: { ticket: Pick<Ticket, 'routing'> }) {
  const t = useT();
  const { escalation, offer, pinnedAgentName } = ticket.routing;
  return (
    <>
      {escalation ? <span className="escalation-badge small-badge">{t('escalation.badge')}</span> : null}
      {offer ? <span className="offer-marker">{t('history.offeredTo', { name: offer.agentName })}</span> : null}
      {pinnedAgentName ? <span className="pin-marker">{t('pin.pinnedTo', { name: pinnedAgentName })}</span> : null}
    </>
  );
}

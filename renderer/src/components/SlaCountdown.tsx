import type { Ticket } from '../../../shared/domain.js';
import { formatCountdown, slaCountdown } from '../../../shared/sla.js';
import { useT } from '../store/react.js';
import { useNow } from './useNow.js';

/** The live resolution-SLA countdown, coloured by state; ticks with the server's clock as the core knows it (useNow). */
export function SlaCountdown({ ticket }: { ticket: Pick<Ticket, 'dueAt' | 'createdAt' | 'status' | 'completedAt'> }) {
  const t = useT();
  const now = useNow();
  const { state, remainingMs } = slaCountdown(ticket, now);
  const finished = state === 'met' || state === 'stopped';
  return (
    <span className={`sla sla-${state}`} title={t(`sla.${state}`)}>
      {finished ? t(`sla.${state}`) : formatCountdown(remainingMs)}
    </span>
  );
}

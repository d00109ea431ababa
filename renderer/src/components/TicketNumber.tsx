import { isProvisionalCustomerId, isProvisionalTicketId } from '../../../shared/manualTicket.js';
import { useT } from '../store/react.js';

/** A ticket's number, or 待编号 / "Pending number" while the server has not numbered it yet. */
export function TicketNumber({ id, className }: { id: string; className?: string }) {
  const t = useT();
  if (!isProvisionalTicketId(id)) return <span className={className}>{id}</span>;
  return (
    <span className={`${className ?? ''} pending-number`} title={t('manual.pendingNumberHint')} data-provisional-id={id}>
      {t('manual.pendingNumber')}
    </span>
  );
}

/**
 * A customer's number, said the way its ticket's is while pending: a new customer typed in
 * offline has a provisional `CUS00000000…` id (37 characters that wrapped in the panel and
 * meant nothing to the agent) until the ticket reaches the server (walk-8).
 */
export function CustomerNumber({ id, className }: { id: string; className?: string }) {
  const t = useT();
  if (!isProvisionalCustomerId(id)) return <span className={className}>{id}</span>;
  return (
    <span className={`${className ?? ''} pending-number`} title={t('manual.pendingCustomerNumberHint')} data-provisional-id={id}>
      {t('manual.pendingNumber')}
    </span>
  );
}

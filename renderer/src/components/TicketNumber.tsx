import { isProvisionalCustomerId, isProvisionalTicketId } from '../../../shared/manualTicket.js';
import { useT } from '../store/react.js';
import type { MessageKey } from '../i18n.js';

/** A number as stored, or 待编号 / "Pending number" (with `hint` as its tooltip) while it is provisional. */
function NumberOrPending({ id, pending, hint, className }: { id: string; pending: boolean; hint: MessageKey; className: string | undefined }) {
  const t = useT();
  if (!pending) return <span className={className}>{id}</span>;
  return (
    <span className={`${className ?? ''} pending-number`} title={t(hint)} data-provisional-id={id}>
      {t('manual.pendingNumber')}
    </span>
  );
}

/** A ticket's number, or 待编号 / "Pending number" while the server has not numbered it yet. */
export function TicketNumber({ id, className }: { id: string; className?: string }) {
  return <NumberOrPending id={id} pending={isProvisionalTicketId(id)} hint="manual.pendingNumberHint" className={className} />;
}

/**
 * A customer's number, said the way its ticket's is while pending: a new customer typed in
 * offline has a provisional `CUS00000000…` id (37 characters that wrapped in the panel and
 * meant nothing to the agent) until the ticket reaches the server (walk-8).
 */
export function CustomerNumber({ id, className }: { id: string; className?: string }) {
  return <NumberOrPending id={id} pending={isProvisionalCustomerId(id)} hint="manual.pendingCustomerNumberHint" className={className} />;
}

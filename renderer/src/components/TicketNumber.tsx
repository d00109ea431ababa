import { isProvisionalTicketId } from '../../../shared/manualTicket.js';
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

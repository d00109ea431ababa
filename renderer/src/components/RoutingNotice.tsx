import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';

/** Why the last routing action (presence, offer, escalation, pin, team change) failed. */
export function RoutingNotice() {
  const t = useT();
  const { routingError, dismiss } = useAppStore(useShallow((s) => ({ routingError: s.routingError, dismiss: s.dismissRoutingError })));
  if (!routingError) return null;
  return (
    <div role="alert" className="routing-notice">
      <span>{errorText(t, routingError)}</span>
      <button type="button" className="link-button" onClick={dismiss}>
        {t('ticket.dismiss')}
      </button>
    </div>
  );
}

import { useShallow } from 'zustand/react/shallow';
import { useAppStore, useT } from '../store/react.js';

/** Changes the server refused (and the core undid), so the agent knows and can act. */
export function AttentionBanner() {
  const t = useT();
  const { attention, dismissAttention, openTicket } = useAppStore(
    useShallow((s) => ({ attention: s.attention, dismissAttention: s.dismissAttention, openTicket: s.openTicket })),
  );
  if (attention.length === 0) return null;
  return (
    <div role="alert" className="attention-banner">
      <div className="attention-body">
        <p className="attention-title">{t('attention.title')}</p>
        <ul>
          {attention.map((item) => (
            <li key={item.id}>
              <button type="button" className="link-button ticket-id" onClick={() => void openTicket(item.ticketId)}>
                {item.ticketId}
              </button>
              <span className="attention-reason">{item.reason}</span>
            </li>
          ))}
        </ul>
      </div>
      <button type="button" onClick={dismissAttention}>
        {t('attention.dismiss')}
      </button>
    </div>
  );
}

import type { Customer, Ticket } from '../../../shared/domain.js';
import { statusKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';

/** Who the customer is, and everything they have asked on any channel. */
export function CustomerPanel({ customer, tickets, currentId }: { customer: Customer; tickets: Ticket[]; currentId: string }) {
  const t = useT();
  const openTicket = useAppStore((s) => s.openTicket);
  const others = tickets.filter((ticket) => ticket.id !== currentId);
  return (
    <aside className="customer-panel" aria-labelledby="customer-panel-title">
      <h3 id="customer-panel-title" className="panel-title">
        {t('customer.title')}
      </h3>
      <div className="customer-name-line">
        <span className="customer-big-name">{customer.name || customer.id}</span>
        <span className={`vip-badge vip-${customer.vipTier}`}>
          {customer.vipTier > 0 ? `VIP ${customer.vipTier}` : t('customer.vipNone')}
        </span>
      </div>
      <dl className="customer-fields">
        <dt>{t('customer.id')}</dt>
        <dd className="mono">{customer.id}</dd>
        <dt>{t('customer.phone')}</dt>
        <dd>{customer.phone ?? '—'}</dd>
        <dt>{t('customer.email')}</dt>
        <dd>{customer.email ?? '—'}</dd>
        <dt>{t('customer.social')}</dt>
        <dd>{customer.socialId ?? '—'}</dd>
        <dt>{t('customer.vip')}</dt>
        <dd>{customer.vipTier}</dd>
      </dl>
      <h4 className="panel-subtitle">{t('customer.history')}</h4>
      {others.length === 0 ? (
        <p className="muted small">{t('customer.noHistory')}</p>
      ) : (
        <ul className="customer-tickets">
          {others.map((ticket) => (
            <li key={ticket.id}>
              <button type="button" className="history-ticket" onClick={() => void openTicket(ticket.id)} title={ticket.subject}>
                <ChannelIcon channel={ticket.channel} />
                <span className="ticket-id">{ticket.id}</span>
                <span className={`status-label status-${ticket.status}`}>{t(statusKey(ticket.status))}</span>
                <span className="history-subject">{ticket.subject}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

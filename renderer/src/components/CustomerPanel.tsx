import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { VIP_TIER_MAX } from '../../../shared/admin.js';
import type { CustomerMatch, SharedIdentity } from '../../../shared/customers.js';
import { CHANNELS, type Customer, type CustomerIdentity, type Ticket } from '../../../shared/domain.js';
import { looksMasked } from '../../../shared/masking.js';
import { channelKey, formatDateTime, type MessageKey } from '../i18n.js';
import { displayPhone, scopedIdentity } from '../i18nCustomers.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { CustomerHistory } from './CustomerHistory.js';
import { MaskedText, RevealControl, RevealedMark, useReveal } from './Masked.js';
import { MergeCustomerDialog } from './MergeCustomerDialog.js';
import { CustomerNumber } from './TicketNumber.js';
import { UnverifiedMark } from './UnverifiedMark.js';
import { errorText } from './errorText.js';

const IDENTITY_LABEL: Record<CustomerIdentity['kind'], MessageKey> = {
  phone: 'customer.identityPhone',
  email: 'customer.identityEmail',
  social: 'customer.identitySocial',
};

const SHARED_LABEL: Record<CustomerIdentity['kind'], MessageKey> = {
  phone: 'customer.sharedPhone',
  email: 'customer.sharedEmail',
  social: 'customer.sharedSocial',
};

function shownValue(kind: CustomerIdentity['kind'], value: string): string {
  return kind === 'phone' ? displayPhone(value) : value;
}

/**
 * Every phone, email and social id the customer was recognised by, beyond the primary ones
 * shown above; an agent sees them masked and may reveal them all at once.
 */
function Identities({ customer, ticketId }: { customer: Customer; ticketId: string }) {
  const t = useT();
  const request = { field: 'customerIdentities', ticketId } as const;
  const { revealed } = useReveal(request);
  const primary = new Set([customer.phone, customer.email, customer.socialId]);
  const more = customer.identities.filter((identity) => !primary.has(identity.value));
  if (more.length === 0) return null;
  // Revealed, the list shows every identity in clear, the primary ones too.
  const clear = revealed?.field === 'customerIdentities' ? revealed.identities : null;
  const shown = clear ?? more;
  return (
    <>
      <h4 className="panel-subtitle">
        {t('customer.identities')} <RevealControl request={request} masked={more.some((identity) => looksMasked(identity.value))} />
      </h4>
      <ul className="customer-identities">
        {shown.map((identity) => {
          // An integration's own key for what it claimed ("api:<name>:phone:+86…"): shown as what it is.
          const scoped = scopedIdentity(identity);
          return (
            <li key={`${identity.kind}:${identity.value}`}>
              <span className="identity-kind">
                {scoped
                  ? t('customer.identityScoped', { kind: t(IDENTITY_LABEL[scoped.kind]), integration: scoped.integration })
                  : t(IDENTITY_LABEL[identity.kind])}
              </span>
              <span className="identity-value">
                <RevealedMark revealed={clear !== null}>
                  {scoped ? shownValue(scoped.kind, scoped.value) : shownValue(identity.kind, identity.value)}
                </RevealedMark>
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}

function sharedText(t: ReturnType<typeof useT>, shared: SharedIdentity): string {
  const what = t(SHARED_LABEL[shared.kind], { value: shownValue(shared.kind, shared.value) });
  const proof = !shared.oursProven ? t('customer.unverifiedHere') : !shared.theirsProven ? t('customer.unverifiedThere') : '';
  return proof ? `${what} · ${proof}` : what;
}

/** "Possibly the same customer": others sharing a phone, email or social id that one side only claimed; one click starts the merge. */
function PossibleMatches({ matches }: { matches: CustomerMatch[] }) {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({ mergeWithMatch: state.mergeWithMatch, language: state.language, online: state.connection.status === 'online' })),
  );
  if (matches.length === 0) return null;
  return (
    <section className="possible-matches" aria-labelledby="possible-matches-title">
      <h4 id="possible-matches-title" className="panel-subtitle">
        {t('customer.possibleMatches')}
      </h4>
      <ul>
        {matches.map((match) => {
          const name = match.customer.name || match.customer.id;
          return (
            <li key={match.customer.id} className="possible-match">
              <div className="possible-match-who">
                <span className="possible-match-name">{name}</span>
                <span className="mono small">{match.customer.id}</span>
                <span className="possible-match-channels" title={match.channels.map((channel) => t(channelKey(channel))).join(t('list.separator'))}>
                  {match.channels.map((channel) => (
                    <ChannelIcon key={channel} channel={channel} />
                  ))}
                </span>
              </div>
              {match.shared.map((shared) => (
                <p key={`${shared.kind}:${shared.value}`} className="possible-match-shared small">
                  {sharedText(t, shared)}
                </p>
              ))}
              <p className="muted small">
                {t('merge.tickets', { n: match.ticketCount })} · {t('merge.lastContact', { time: formatDateTime(s.language, match.lastContactAt) })}
              </p>
              <button
                type="button"
                className="possible-match-merge"
                onClick={() => s.mergeWithMatch(match)}
                disabled={!s.online}
                title={t('customer.mergeMatchTitle', { name, id: match.customer.id })}
              >
                {t('customer.mergeMatch')}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const NO_MATCHES: CustomerMatch[] = [];

/** Who the customer is, and everything they have asked on any channel. */
/** The VIP tier: admins set it here (audited on the server; routing prefers senior agents for VIPs), everyone else reads it. */
function VipTier({ customer }: { customer: Customer }) {
  const t = useT();
  const { isAdmin, busy, error, setVip } = useAppStore(
    useShallow((s) => ({ isAdmin: s.user?.role === 'admin', busy: s.adminBusy, error: s.adminError, setVip: s.setCustomerVip })),
  );
  const [tier, setTier] = useState(customer.vipTier);
  const [failed, setFailed] = useState(false);
  if (!isAdmin) return <>{customer.vipTier}</>;
  return (
    <span className="customer-vip-edit">
      <select aria-label={t('hours.vip.tier')} value={tier} disabled={busy} onChange={(e) => setTier(Number(e.target.value))}>
        {Array.from({ length: VIP_TIER_MAX + 1 }, (_, n) => (
          <option key={n} value={n}>
            {n === 0 ? t('customer.vipNone') : `VIP ${String(n)}`}
          </option>
        ))}
      </select>{' '}
      <button type="button" disabled={busy || tier === customer.vipTier} onClick={() => void setVip(customer.id, tier).then((ok) => setFailed(!ok))}>
        {t('hours.vip.panelSave')}
      </button>
      {failed ? (
        <span className="admin-error" role="alert">
          {' '}
          {error ? errorText(t, error) : t('admin.refusal.customer_not_found')}
        </span>
      ) : null}
    </span>
  );
}

export function CustomerPanel({ customer, tickets, currentId }: { customer: Customer; tickets: Ticket[]; currentId: string }) {
  const t = useT();
  const s = useAppStore(
    useShallow((state) => ({
      mergeOpen: state.mergeOpen,
      openMerge: state.openMerge,
      notice: state.mergeNotice,
      dismissNotice: state.dismissMergeNotice,
      current: state.detail?.ticket,
      matches: state.customerMatchesFor === customer.id ? state.customerMatches : NO_MATCHES,
    })),
  );
  const channels = CHANNELS.filter((channel) => channel === s.current?.channel || tickets.some((ticket) => ticket.channel === channel));
  return (
    <aside className="customer-panel" aria-labelledby="customer-panel-title">
      <h3 id="customer-panel-title" className="panel-title">
        {t('customer.title')}
      </h3>
      <div className="customer-name-line">
        <span className="customer-big-name">
          <MaskedText
            text={customer.name || customer.id}
            request={{ field: 'customerName', ticketId: currentId }}
            clear={(r) => (r.field === 'customerName' ? r.value || null : null)}
          />
        </span>
        <span className={`vip-badge vip-${String(customer.vipTier)}`}>{customer.vipTier > 0 ? `VIP ${String(customer.vipTier)}` : t('customer.vipNone')}</span>
      </div>
      <dl className="customer-fields">
        <dt>{t('customer.id')}</dt>
        <dd>
          <CustomerNumber id={customer.id} className="mono" />
        </dd>
        <dt>{t('customer.phone')}</dt>
        <dd>
          {customer.phone ? (
            <MaskedText
              text={customer.phone}
              format={displayPhone}
              request={{ field: 'customerPhone', ticketId: currentId }}
              clear={(r) => (r.field === 'customerPhone' ? r.value : null)}
            />
          ) : (
            '—'
          )}{' '}
          <UnverifiedMark customer={customer} kind="phone" value={customer.phone} />
        </dd>
        <dt>{t('customer.email')}</dt>
        <dd>
          {customer.email ? (
            <MaskedText
              text={customer.email}
              request={{ field: 'customerEmail', ticketId: currentId }}
              clear={(r) => (r.field === 'customerEmail' ? r.value : null)}
            />
          ) : (
            '—'
          )}{' '}
          <UnverifiedMark customer={customer} kind="email" value={customer.email} />
        </dd>
        <dt>{t('customer.social')}</dt>
        <dd>
          {customer.socialId ? (
            <MaskedText
              text={customer.socialId}
              request={{ field: 'customerSocialId', ticketId: currentId }}
              clear={(r) => (r.field === 'customerSocialId' ? r.value : null)}
            />
          ) : (
            '—'
          )}
        </dd>
        <dt>{t('customer.vip')}</dt>
        <dd>
          <VipTier key={`${customer.id}:${String(customer.vipTier)}`} customer={customer} />
        </dd>
      </dl>
      <Identities customer={customer} ticketId={currentId} />
      <PossibleMatches matches={s.matches} />
      <div className="customer-actions">
        <button type="button" className="merge-open" onClick={s.openMerge} title={t('customer.mergeTitle')}>
          {t('customer.merge')}
        </button>
      </div>
      {s.notice && s.notice.customerId === customer.id ? (
        <p className="merge-notice" role="status">
          {t('merge.done', { n: s.notice.ticketsMoved, name: s.notice.name, id: s.notice.customerId })}
          <button type="button" className="link-button" onClick={s.dismissNotice}>
            {t('ticket.dismiss')}
          </button>
        </p>
      ) : null}
      {s.mergeOpen ? <MergeCustomerDialog customer={customer} channels={channels} /> : null}
      <CustomerHistory customerId={customer.id} tickets={tickets} currentId={currentId} />
    </aside>
  );
}

import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Channel, Customer } from '../../../shared/domain.js';
import { channelKey, formatDateTime } from '../i18n.js';
import { displayPhone } from '../i18nCustomers.js';
import { useAppStore, useT } from '../store/react.js';
import { ChannelIcon } from './ChannelIcon.js';
import { Dialog } from './Dialog.js';
import { errorText } from './errorText.js';
import { UnverifiedMark } from './UnverifiedMark.js';

/** One customer as the confirmation shows it: who, how to reach them, which channels. */
function CustomerCard({ customer, role, channels }: { customer: Customer; role: 'keep' | 'merged'; channels: Channel[] }) {
  const t = useT();
  return (
    <section className={`merge-card merge-${role}`} aria-label={`${t(role === 'keep' ? 'merge.keep' : 'merge.merged')}: ${customer.name || customer.id}`}>
      <p className="merge-role">{t(role === 'keep' ? 'merge.keep' : 'merge.merged')}</p>
      <p className="merge-name">{customer.name || customer.id}</p>
      <p className="mono small">{customer.id}</p>
      {customer.phone ? (
        <p className="small">
          {displayPhone(customer.phone)} <UnverifiedMark customer={customer} kind="phone" value={customer.phone} />
        </p>
      ) : null}
      {customer.email ? (
        <p className="small">
          {customer.email} <UnverifiedMark customer={customer} kind="email" value={customer.email} />
        </p>
      ) : null}
      {customer.socialId ? <p className="small">{customer.socialId}</p> : null}
      <p className="merge-channels">
        {channels.map((channel) => (
          <ChannelIcon key={channel} channel={channel} />
        ))}
      </p>
    </section>
  );
}

/**
 * "合并客户": search the other record of this customer in the local cache, choose it, see
 * both side by side (and which one is kept), then merge (which needs the server).
 */
export function MergeCustomerDialog({ customer, channels }: { customer: Customer; channels: Channel[] }) {
  const t = useT();
  const searchId = useId();
  const s = useAppStore(
    useShallow((state) => ({
      language: state.language,
      query: state.mergeQuery,
      hits: state.mergeHits,
      searching: state.mergeSearching,
      candidate: state.mergeCandidate,
      swapped: state.mergeSwapped,
      merging: state.merging,
      error: state.mergeError,
      online: state.connection.status === 'online',
      setQuery: state.setMergeQuery,
      choose: state.chooseMergeCandidate,
      swap: state.swapMerge,
      confirm: state.confirmMerge,
      close: state.closeMerge,
    })),
  );
  const name = customer.name || customer.id;

  if (s.candidate) {
    const other = s.candidate;
    const keep = s.swapped ? { customer: other.customer, channels: other.channels } : { customer, channels };
    const merged = s.swapped ? { customer, channels } : { customer: other.customer, channels: other.channels };
    return (
      <Dialog
        title={t('merge.confirmTitle')}
        description={t('merge.confirmText')}
        onClose={s.close}
        className="merge-dialog"
        initialFocusSelector=".merge-confirm"
      >
        <div className="merge-pair">
          <CustomerCard customer={keep.customer} channels={keep.channels} role="keep" />
          <span className="merge-arrow" aria-hidden="true">
            ⟵
          </span>
          <CustomerCard customer={merged.customer} channels={merged.channels} role="merged" />
        </div>
        {s.error ? (
          <p role="alert" className="inline-error">
            {s.error.code === 'offline' ? t('merge.needsOnline') : errorText(t, s.error)}
          </p>
        ) : null}
        {!s.online ? <p className="muted small">{t('merge.needsOnline')}</p> : null}
        <div className="dialog-actions">
          <button type="button" className="link-button" onClick={s.swap} disabled={s.merging}>
            {t('merge.swap')}
          </button>
          <button type="button" onClick={() => s.choose(null)} disabled={s.merging}>
            {t('merge.back')}
          </button>
          <button type="button" className="primary merge-confirm" onClick={() => void s.confirm()} disabled={s.merging || !s.online} aria-busy={s.merging}>
            {s.merging ? t('merge.busy') : t('merge.confirm')}
          </button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title={t('merge.title')} description={t('merge.intro', { name })} onClose={s.close} className="merge-dialog">
      <label htmlFor={searchId} className="merge-search-label">
        {t('merge.search')}
      </label>
      <input
        id={searchId}
        type="search"
        className="merge-search"
        value={s.query}
        placeholder={t('merge.searchPlaceholder')}
        autoComplete="off"
        onChange={(event) => void s.setQuery(event.target.value)}
      />
      {s.error ? (
        <p role="alert" className="inline-error">
          {errorText(t, s.error)}
        </p>
      ) : null}
      {s.query.trim() === '' ? null : s.searching && s.hits.length === 0 ? (
        <p className="muted small">{t('merge.searching')}</p>
      ) : s.hits.length === 0 ? (
        <p className="muted small">{t('merge.noResults')}</p>
      ) : (
        <ul className="merge-results" aria-label={t('merge.results')}>
          {s.hits.map((hit) => (
            <li key={hit.customer.id}>
              <button type="button" className="merge-hit" onClick={() => s.choose(hit)}>
                <span className="merge-hit-name">{hit.customer.name || hit.customer.id}</span>
                <span className="mono small">{hit.customer.id}</span>
                <span className="small">{[hit.customer.phone ? displayPhone(hit.customer.phone) : null, hit.customer.email].filter(Boolean).join(' · ')}</span>
                <span className="merge-hit-channels" title={hit.channels.map((channel) => t(channelKey(channel))).join(t('list.separator'))}>
                  {hit.channels.map((channel) => (
                    <ChannelIcon key={channel} channel={channel} />
                  ))}
                </span>
                <span className="muted small">
                  {t('merge.tickets', { n: hit.ticketCount })} · {t('merge.lastContact', { time: formatDateTime(s.language, hit.lastContactAt) })}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={s.close}>
          {t('merge.cancel')}
        </button>
      </div>
    </Dialog>
  );
}

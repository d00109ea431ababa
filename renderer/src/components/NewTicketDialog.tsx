/**
 * New ticket (新建工单): a walk-in, a care call or a call taken during an outage. The customer
 * comes from the workstation's cache (search) or is typed in as a new one; the ticket is
 * created through the core's outbox, so offline too, and opens at once under its pending
 * number until the server gives it its GD id.
 */
import { useId, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CHANNELS, PRIORITIES, TICKET_TYPES, type Channel, type Priority, type TicketType } from '../../../shared/domain.js';
import type { CustomerSearchHit } from '../../../shared/customers.js';
import { channelKey, priorityKey } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { Dialog } from './Dialog.js';
import { errorText } from './errorText.js';

type Problem = 'customer' | 'subject' | 'note' | null;

export function NewTicketDialog() {
  const t = useT();
  const id = useId();
  const s = useAppStore(
    useShallow((state) => ({
      user: state.user,
      offline: state.connection.status !== 'online',
      hits: state.newTicketHits,
      searching: state.newTicketSearching,
      creating: state.creatingTicket,
      error: state.newTicketError,
      close: state.closeNewTicket,
      search: state.searchNewTicketCustomers,
      create: state.createTicket,
    })),
  );
  // Agents create on their own channels and on phone (shared/manualTicket.ts mayCreateOnChannel); leads on any.
  const channels = CHANNELS.filter((c) => !s.user || s.user.role !== 'agent' || c === 'phone' || s.user.channels.includes(c));
  const [query, setQuery] = useState('');
  const [picked, setPicked] = useState<CustomerSearchHit | null>(null);
  const [isNew, setIsNew] = useState(false);
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [channel, setChannel] = useState<Channel>('phone');
  const [type, setType] = useState<TicketType>('consult');
  const [priority, setPriority] = useState<Priority>('normal');
  const [subject, setSubject] = useState('');
  const [note, setNote] = useState('');
  const [toQueue, setToQueue] = useState(false);
  const [problem, setProblem] = useState<Problem>(null);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const customerOk = picked !== null || (isNew && name.trim() !== '' && (phone.trim() !== '' || email.trim() !== ''));
    const found: Problem = !customerOk ? 'customer' : subject.trim() === '' ? 'subject' : note.trim() === '' ? 'note' : null;
    setProblem(found);
    if (found) return;
    void s.create({
      customer: picked
        ? { kind: 'existing', customerId: picked.customer.id }
        : { kind: 'new', name: name.trim(), phone: phone.trim() === '' ? null : phone.trim(), email: email.trim() === '' ? null : email.trim() },
      channel,
      type,
      priority,
      subject: subject.trim(),
      note,
      toQueue,
    });
  }

  return (
    <Dialog title={t('manual.title')} onClose={s.close} className="new-ticket-dialog" initialFocusSelector="input">
      <form onSubmit={onSubmit} noValidate>
        {s.offline ? <p className="muted new-ticket-offline">{t('manual.offline')}</p> : null}
        <fieldset className="new-ticket-customer">
          <legend>{t('manual.customer')}</legend>
          {picked ? (
            <p className="new-ticket-picked">
              {t('manual.customerPicked', { name: picked.customer.name || picked.customer.id })}{' '}
              <span className="muted">{picked.customer.phone ?? picked.customer.email ?? ''}</span>{' '}
              <button type="button" className="link-button" onClick={() => setPicked(null)}>
                {t('manual.customerChange')}
              </button>
            </p>
          ) : isNew ? (
            <div className="new-ticket-new-customer">
              <label htmlFor={`${id}-name`}>{t('manual.customerName')}</label>
              <input id={`${id}-name`} value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
              <label htmlFor={`${id}-phone`}>{t('manual.customerPhone')}</label>
              <input id={`${id}-phone`} type="tel" value={phone} maxLength={40} onChange={(e) => setPhone(e.target.value)} />
              <label htmlFor={`${id}-email`}>{t('manual.customerEmail')}</label>
              <input id={`${id}-email`} type="email" value={email} maxLength={320} onChange={(e) => setEmail(e.target.value)} />
              <p className="muted small">{t('manual.customerClaim')}</p>
            </div>
          ) : (
            <>
              <input
                aria-label={t('manual.customerSearch')}
                placeholder={t('manual.customerSearch')}
                value={query}
                onChange={(e) => {
                  setQuery(e.target.value);
                  void s.search(e.target.value);
                }}
              />
              {query.trim() !== '' && !s.searching && s.hits.length === 0 ? <p className="muted">{t('manual.customerNone')}</p> : null}
              <ul className="new-ticket-hits">
                {s.hits.slice(0, 6).map((hit) => (
                  <li key={hit.customer.id}>
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => {
                        setPicked(hit);
                        setProblem(null);
                      }}
                    >
                      {hit.customer.name || hit.customer.id}
                    </button>{' '}
                    <span className="muted">{[hit.customer.phone, hit.customer.email].filter(Boolean).join(' · ')}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          {!picked ? (
            <label className="new-ticket-new-toggle">
              <input type="checkbox" checked={isNew} onChange={(e) => setIsNew(e.target.checked)} /> {t('manual.newCustomer')}
            </label>
          ) : null}
        </fieldset>
        <div className="new-ticket-row">
          <div>
            <label htmlFor={`${id}-channel`}>{t('manual.channel')}</label>
            <select id={`${id}-channel`} value={channel} onChange={(e) => setChannel(channels.find((c) => c === e.target.value) ?? channel)}>
              {channels.map((option) => (
                <option key={option} value={option}>
                  {t(channelKey(option))}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-type`}>{t('manual.type')}</label>
            <select id={`${id}-type`} value={type} onChange={(e) => setType(TICKET_TYPES.find((option) => option === e.target.value) ?? type)}>
              {TICKET_TYPES.map((option) => (
                <option key={option} value={option}>
                  {t(`type.${option}`)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${id}-priority`}>{t('manual.priority')}</label>
            <select id={`${id}-priority`} value={priority} onChange={(e) => setPriority(PRIORITIES.find((option) => option === e.target.value) ?? priority)}>
              {PRIORITIES.map((option) => (
                <option key={option} value={option}>
                  {t(priorityKey(option))}
                </option>
              ))}
            </select>
          </div>
        </div>
        <label htmlFor={`${id}-subject`}>{t('manual.subject')}</label>
        <input id={`${id}-subject`} value={subject} maxLength={200} aria-required="true" onChange={(e) => setSubject(e.target.value)} />
        <label htmlFor={`${id}-note`}>{t('manual.note')}</label>
        <textarea
          id={`${id}-note`}
          rows={4}
          aria-required="true"
          placeholder={t('manual.notePlaceholder')}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
        <label className="new-ticket-queue">
          <input type="checkbox" checked={toQueue} onChange={(e) => setToQueue(e.target.checked)} /> {t('manual.toQueue')}
        </label>
        {problem ? (
          <p role="alert" className="form-error">
            {t(problem === 'customer' ? 'manual.missingCustomer' : problem === 'subject' ? 'manual.missingSubject' : 'manual.missingNote')}
          </p>
        ) : null}
        {s.error ? (
          <p role="alert" className="form-error">
            {errorText(t, s.error)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={s.close}>
            {t('manual.cancel')}
          </button>
          <button type="submit" className="primary" disabled={s.creating} aria-busy={s.creating}>
            {s.creating ? t('manual.submitting') : t('manual.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

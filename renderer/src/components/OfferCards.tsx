import { useEffect, useId, useRef, type MouseEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RoutingOffer } from '../../../shared/routing.js';
import { channelKey, describeRoutingBasis } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import { callInfoText, ticketSubjectText } from '../callText.js';
import { ChannelIcon } from './ChannelIcon.js';
import { useNow } from './useNow.js';

/**
 * A click on Accept or Decline leaves the focus where the agent was typing. The reply box's
 * script picker closes when the box loses the focus, and the stack stands on the picker
 * (routing.css): taking the focus at the press moved the card from under the pointer before the
 * release, and the click was lost.
 */
function keepFocus(event: MouseEvent<HTMLButtonElement>): void {
  event.preventDefault();
}

/** One offered phone/chat contact: who, what they wrote, why this agent, and the time left. `newest`: its Accept is the `a` key's. */
function OfferCard({ offer, newest }: { offer: RoutingOffer; newest: boolean }) {
  const t = useT();
  const language = useAppStore((s) => s.language);
  const id = useId();
  const now = useNow();
  const { responding, respondToOffer, focusRequested, offerFocused } = useAppStore(
    useShallow((s) => ({
      responding: s.respondingOffers.includes(offer.ticketId),
      respondToOffer: s.respondToOffer,
      focusRequested: s.focusOfferId === offer.ticketId,
      offerFocused: s.offerFocused,
    })),
  );
  const acceptRef = useRef<HTMLButtonElement>(null);
  // A click on this offer's desktop notification: the window is in front, Accept takes the focus (Enter accepts).
  useEffect(() => {
    if (!focusRequested) return;
    acceptRef.current?.focus();
    offerFocused();
  }, [focusRequested, offerFocused]);
  const { ticket, customer, messages } = offer.bundle;
  const firstMessage = messages.find((m) => m.direction === 'inbound') ?? messages[0];
  const total = Math.max(1, offer.expiresAt - offer.offeredAt);
  const remainingMs = Math.max(0, offer.expiresAt - now);
  const seconds = Math.ceil(remainingMs / 1000);
  const channel = t(channelKey(ticket.channel));
  // A call (a missed call's callback task) is said from its facts, in the agent's language.
  const firstText = firstMessage ? (firstMessage.call ? callInfoText(t, language, firstMessage.call) : firstMessage.text) : null;
  const subject = ticketSubjectText(t, ticket);
  return (
    <section role="alertdialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-body`} className={`offer-card offer-${ticket.channel}`}>
      <header className="offer-head">
        <ChannelIcon channel={ticket.channel} decorative />
        <h2 id={`${id}-title`} className="offer-title">
          {t('offer.title', { channel })} · {customer.name}
        </h2>
        {customer.vipTier > 0 ? <span className={`vip-badge vip-${String(customer.vipTier)}`}>VIP {customer.vipTier}</span> : null}
        <span className="ticket-id offer-ticket">{ticket.id}</span>
      </header>
      <div id={`${id}-body`} className="offer-body">
        {/* A subject made from the first message would only repeat it. */}
        {subject && !firstText?.startsWith(subject) ? <p className="offer-subject">{subject}</p> : null}
        {firstText !== null ? <p className="offer-message">{firstText}</p> : null}
        <p className="offer-why">{t('offer.why', { reason: describeRoutingBasis(t, offer.basis, ticket.channel) })}</p>
      </div>
      <div className="offer-timer" role="timer" aria-live="off">
        <div className="offer-progress" aria-hidden="true">
          <div className="offer-progress-bar" style={{ width: `${String(Math.round((remainingMs / total) * 100))}%` }} />
        </div>
        <span className={`offer-seconds${seconds <= 5 ? ' urgent' : ''}`}>{seconds > 0 ? t('offer.countdown', { seconds }) : t('offer.expired')}</span>
      </div>
      <div className="offer-actions">
        <button
          ref={acceptRef}
          type="button"
          className="primary"
          data-shortcut={newest ? 'acceptOffer' : undefined}
          aria-keyshortcuts={newest ? 'A' : undefined}
          disabled={responding || seconds <= 0}
          onMouseDown={keepFocus}
          onClick={() => void respondToOffer(offer.ticketId, true)}
        >
          {t('offer.accept')}
          {newest ? (
            <kbd className="key-hint" aria-hidden="true">
              A
            </kbd>
          ) : null}
        </button>
        <button type="button" disabled={responding || seconds <= 0} onMouseDown={keepFocus} onClick={() => void respondToOffer(offer.ticketId, false)}>
          {t('offer.decline')}
        </button>
      </div>
    </section>
  );
}

/**
 * The offers waiting for this agent, stacked in a corner above everything, soonest deadline
 * first. They do not take focus (the agent may be typing a reply); the buttons are in the
 * normal tab order and announced as alert dialogs when they appear.
 */
export function OfferCards() {
  const offers = useAppStore((s) => s.offers);
  if (offers.length === 0) return null;
  // The one the agent has just been told about: the `a` key accepts it, whatever order the stack shows.
  const newest = offers.reduce((latest, offer) => (offer.offeredAt > latest.offeredAt ? offer : latest));
  return (
    <div className="offer-stack">
      {offers.map((offer) => (
        <OfferCard key={offer.ticketId} offer={offer} newest={offer.ticketId === newest.ticketId} />
      ))}
    </div>
  );
}

import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { looksMasked } from '../../../shared/masking.js';
import { piiRevealKey, type PiiRevealRequest, type PiiRevealResult } from '../../../shared/pii.js';
import { piiFieldKey } from '../i18nPii.js';
import { useAppStore, useT } from '../store/react.js';
import { errorText } from './errorText.js';

/** What the store knows about revealing one value: the clear result once revealed, and the control's state. */
export function useReveal(request: PiiRevealRequest) {
  const key = piiRevealKey(request);
  return useAppStore(
    useShallow((s) => ({
      revealed: s.revealed[key],
      busy: s.revealing.includes(key),
      error: s.revealError?.key === key ? s.revealError.error : null,
      // Leads receive clear values; only an agent has anything to reveal.
      canReveal: s.user?.role === 'agent',
      reveal: s.reveal,
    })),
  );
}

/**
 * The small "显示 / Show" control next to a masked value: one click asks the server for the
 * clear value (the server records who looked), which then replaces the masked one in place.
 * Renders nothing when there is nothing masked, for a lead, or once revealed.
 */
export function RevealControl({ request, masked }: { request: PiiRevealRequest; masked: boolean }) {
  const t = useT();
  const { revealed, busy, error, canReveal, reveal } = useReveal(request);
  if (!canReveal || revealed || !masked) return null;
  const what = t(piiFieldKey(request.field));
  return (
    <>
      <button
        type="button"
        className="reveal-button"
        disabled={busy}
        aria-busy={busy}
        title={t('pii.showTitle')}
        aria-label={t('pii.showLabel', { what })}
        onClick={() => void reveal(request)}
      >
        {busy ? t('pii.showing') : t('pii.show')}
      </button>
      {error ? (
        <span role="alert" className="reveal-error">
          {t('pii.failed', { reason: errorText(t, error) })}
        </span>
      ) : null}
    </>
  );
}

/** Marks a value shown in full after a reveal, so the agent knows it was recorded. */
export function RevealedMark({ children, revealed }: { children: ReactNode; revealed: boolean }) {
  const t = useT();
  if (!revealed) return <>{children}</>;
  return (
    <span className="revealed-value" title={t('pii.revealedTitle')}>
      {children}
    </span>
  );
}

/**
 * A text that may be masked for this agent: shown as it came, or — once revealed — as
 * `clear` picks it from the server's answer, with the Show control in between.
 */
export function MaskedText({
  text,
  request,
  clear,
  format,
}: {
  text: string;
  request: PiiRevealRequest;
  clear: (result: PiiRevealResult) => string | null;
  format?: (text: string) => string;
}) {
  const { revealed } = useReveal(request);
  const clearText = revealed ? clear(revealed) : null;
  const shown = clearText ?? text;
  return (
    <>
      <RevealedMark revealed={clearText !== null}>{format ? format(shown) : shown}</RevealedMark>
      <RevealControl request={request} masked={looksMasked(text)} />
    </>
  );
}

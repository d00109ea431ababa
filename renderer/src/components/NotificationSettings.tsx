import { useEffect, useId, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { MessageKey } from '../i18n.js';
import { NOTIFICATION_KINDS, pageSound, type NotificationKind } from '../store/notifications.js';
import { useAppStore, useT } from '../store/react.js';
import { isLeadRole } from '../store/routingSlice.js';

/** A bell (SVG: no emoji font on many agent machines), struck through while sounds are muted. */
function BellIcon({ muted }: { muted: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path
        d="M8 1.5a4.5 4.5 0 0 0-4.5 4.5v3L2 11.5h12L12.5 9V6A4.5 4.5 0 0 0 8 1.5Zm-1.8 11a1.8 1.8 0 0 0 3.6 0"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
        strokeLinejoin="round"
      />
      {muted ? <path d="M2 2l12 12" stroke="currentColor" strokeWidth="1.6" /> : null}
    </svg>
  );
}

/**
 * The header's notification preferences: a bell button (Tab-reachable; Enter or Space opens)
 * and a popover with, per kind, "show" and "sound" switches, "mute all sounds", the
 * permission the browser gave and, when not asked yet, the button that asks (a user gesture,
 * as browsers require). Escape or a click outside closes it and focus goes back to the bell.
 */
export function NotificationSettings() {
  const t = useT();
  const id = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const wrapperRef = useRef<HTMLSpanElement>(null);
  const { open, setOpen, prefs, permission, isLead, setShown, setSound, setMuted, ask } = useAppStore(
    useShallow((s) => ({
      open: s.notificationSettingsOpen,
      setOpen: s.setNotificationSettingsOpen,
      prefs: s.notificationPrefs,
      permission: s.notificationPermission,
      isLead: isLeadRole(s.user?.role),
      setShown: s.setNotificationShown,
      setSound: s.setNotificationSound,
      setMuted: s.setSoundsMuted,
      ask: s.askNotificationPermission,
    })),
  );

  useEffect(() => {
    if (!open) return;
    panelRef.current?.querySelector<HTMLElement>('input, button')?.focus();
    const onPointerDown = (event: PointerEvent) => {
      if (wrapperRef.current && event.target instanceof Node && !wrapperRef.current.contains(event.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open, setOpen]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape') return;
    // The window's shortcuts (Esc leaves a field) must not see it: this Escape closes the popover.
    event.stopPropagation();
    close();
  };

  // Alarms for leads are only for leads and admins; agents' own SLA alarms are "SLA warnings".
  const kinds = NOTIFICATION_KINDS.filter((kind) => kind !== 'alarm' || isLead);
  const kindText = (kind: NotificationKind) => t(`notify.kind.${kind}` as MessageKey);
  const label = t('notify.settings.open');
  return (
    <span className="notify-settings" ref={wrapperRef}>
      <button
        ref={buttonRef}
        type="button"
        className={`notify-bell${prefs.muted ? ' muted' : ''}`}
        aria-label={label}
        title={label}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={open ? `${id}-panel` : undefined}
        onClick={() => setOpen(!open)}
      >
        <BellIcon muted={prefs.muted} />
      </button>
      {open ? (
        <div
          id={`${id}-panel`}
          ref={panelRef}
          role="dialog"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-intro`}
          className="notify-popover"
          onKeyDown={onKeyDown}
        >
          <h2 id={`${id}-title`}>{t('notify.settings.title')}</h2>
          <p id={`${id}-intro`} className="notify-intro">
            {t('notify.settings.intro')}
          </p>
          <table className="notify-table">
            <thead>
              <tr>
                <th scope="col">{t('notify.settings.kind')}</th>
                <th scope="col">{t('notify.settings.show')}</th>
                <th scope="col">{t('notify.settings.sound')}</th>
              </tr>
            </thead>
            <tbody>
              {kinds.map((kind) => (
                <tr key={kind} data-kind={kind}>
                  <th scope="row">{kindText(kind)}</th>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('notify.showLabel', { kind: kindText(kind) })}
                      checked={prefs.show[kind]}
                      onChange={(event) => setShown(kind, event.target.checked)}
                    />
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={t('notify.soundLabel', { kind: kindText(kind) })}
                      checked={prefs.sound[kind]}
                      disabled={!prefs.show[kind] || prefs.muted}
                      onChange={(event) => setSound(kind, event.target.checked)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="notify-row">
            <label className="notify-mute">
              <input type="checkbox" checked={prefs.muted} onChange={(event) => setMuted(event.target.checked)} />
              {t('notify.mute')}
            </label>
            <button type="button" disabled={prefs.muted} onClick={() => pageSound()?.play('offer')}>
              {t('notify.tryTone')}
            </button>
          </div>
          <div className={`notify-permission notify-permission-${permission}`} role="status">
            <span>{t(`notify.permission.${permission}` as MessageKey)}</span>
            {permission === 'default' ? (
              <button type="button" className="primary" onClick={() => void ask()}>
                {t('notify.permission.allow')}
              </button>
            ) : null}
          </div>
          <div className="notify-actions">
            <button type="button" onClick={close}>
              {t('notify.close')}
            </button>
          </div>
        </div>
      ) : null}
    </span>
  );
}

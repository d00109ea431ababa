import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { PresenceChanged } from '../../../shared/routing.js';
import type { Translate } from '../i18n.js';
import { parsePresenceChoice, presenceChoices, presenceChoiceValue, presenceText } from '../presenceChoice.js';
import { useAppStore, useT } from '../store/react.js';

/** Why presence is what it is, when the agent did not choose it (shown as the control's title). */
function presenceCauseText(t: Translate, presence: PresenceChanged | null): string | undefined {
  if (!presence) return undefined;
  switch (presence.cause) {
    case 'offer_timeouts':
      return t('presence.causeOfferTimeouts');
    case 'lead':
      return t('presence.causeLead', { by: presence.byName ?? '?' });
    case 'idle':
      return t('presence.causeIdle');
    default:
      return undefined;
  }
}

/** The agent's own presence (在线状态) in the header; changes go to the server at once. Agents only. */
export function PresenceSelect() {
  const t = useT();
  const id = useId();
  const { presence, settingPresence, setPresence, online, isAgent } = useAppStore(
    useShallow((s) => ({
      isAgent: s.user?.role === 'agent',
      presence: s.presence,
      settingPresence: s.settingPresence,
      setPresence: s.setPresence,
      online: s.connection.status === 'online',
    })),
  );
  // Only agents are routed to; a lead's or admin's presence would only ever say "Offline".
  if (!isAgent) return null;
  const current = presence ? presenceChoiceValue(presence) : '';
  const cause = presenceCauseText(t, presence);
  return (
    <span className={`presence-select presence-${presence?.presence ?? 'unknown'}`} title={cause}>
      <span className="presence-dot" aria-hidden="true" />
      {/* The coloured dot and the choice say it; the word would crowd the header (a wrap-up, English) past 1280 px. */}
      <label htmlFor={id} className="visually-hidden">
        {t('presence.label')}
      </label>
      <select
        id={id}
        value={current}
        disabled={settingPresence || !online}
        aria-busy={settingPresence}
        aria-describedby={cause ? `${id}-cause` : undefined}
        onChange={(event) => {
          const choice = parsePresenceChoice(event.target.value);
          if (choice) void setPresence(choice.presence, choice.awayReason);
        }}
      >
        {current === '' ? <option value="">{t('presence.unknown')}</option> : null}
        {presenceChoices().map((choice) => (
          <option key={presenceChoiceValue(choice)} value={presenceChoiceValue(choice)}>
            {presenceText(t, choice)}
          </option>
        ))}
      </select>
      {cause ? (
        <span id={`${id}-cause`} className="visually-hidden">
          {cause}
        </span>
      ) : null}
    </span>
  );
}

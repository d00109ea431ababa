/**
 * Presence as one choice in a select: Away comes once per reason ("Away — Meal"), so an
 * agent (or a lead for them) says why in the same step. Shared by the agent's header and
 * the lead's Team view.
 */
import {
  AWAY_REASONS,
  PRESENCES,
  awayReasonSchema,
  presenceSchema,
  type AwayReason,
  type Presence,
  type PresenceCause,
  type PresenceChanged,
} from '../../shared/routing.js';
import type { Translate } from './i18n.js';

export interface PresenceChoice {
  presence: Presence;
  awayReason: AwayReason | null;
}

export function presenceChoiceValue(choice: PresenceChoice): string {
  return choice.presence === 'away' && choice.awayReason ? `away:${choice.awayReason}` : choice.presence;
}

/** The choice a select's value stands for; null for anything else. */
export function parsePresenceChoice(value: string): PresenceChoice | null {
  const [presenceText, reasonText, ...rest] = value.split(':');
  const presence = presenceSchema.safeParse(presenceText);
  if (!presence.success || rest.length > 0) return null;
  if (reasonText === undefined) return { presence: presence.data, awayReason: null };
  const reason = awayReasonSchema.safeParse(reasonText);
  return presence.data === 'away' && reason.success ? { presence: 'away', awayReason: reason.data } : null;
}

export function presenceText(t: Translate, choice: PresenceChoice): string {
  return choice.presence === 'away' && choice.awayReason
    ? t('presence.awayWith', { reason: t(`presence.reason.${choice.awayReason}`) })
    : t(`presence.${choice.presence}`);
}

/** Every choice, in the order the select lists them: Away without a reason (set automatically, or by older clients) comes before the reasons. */
export function presenceChoices(): PresenceChoice[] {
  return PRESENCES.flatMap((presence): PresenceChoice[] =>
    presence === 'away' ? [{ presence, awayReason: null }, ...AWAY_REASONS.map((awayReason) => ({ presence, awayReason }))] : [{ presence, awayReason: null }],
  );
}

/** The causes of an Away the server set by itself: offers that went unanswered, or no activity for a while. */
export type AutoAwayCause = Extract<PresenceCause, 'offer_timeouts' | 'idle'>;

/**
 * Why the server set this agent Away by itself, while they still are for that reason: the
 * server's code (`cause` of presence:changed), worded by PresenceNotice. Offers that went
 * unanswered (routing.md, two time-outs in a row) or a while without activity (the server's
 * idle-away, when configured) take the agent out of routing without a word otherwise; any change
 * of presence since (theirs, a lead's) has another cause and ends it.
 */
export function autoAwayCause(presence: PresenceChanged | null): AutoAwayCause | null {
  if (presence?.presence !== 'away') return null;
  return presence.cause === 'offer_timeouts' || presence.cause === 'idle' ? presence.cause : null;
}

import { useShallow } from 'zustand/react/shallow';
import type { RoutingSkip } from '../../../shared/routing.js';
import type { Translate } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';

/** One empty list for every render, so the store selector sees no change. */
const NONE: readonly RoutingSkip[] = [];

function skipText(t: Translate, skip: RoutingSkip): string {
  // Only chats wait for a call to end (shared/routing.ts noRoomReason).
  const why =
    skip.reason === 'on_call' ? t('skip.onCall') : t('skip.atCapacity', { channel: t(`channel.${skip.channel}`), load: skip.load, capacity: skip.capacity });
  return `${why} · ${t('skip.waiting', { n: skip.waiting })}`;
}

/**
 * Why routing is passing this available agent over while contacts they could take wait
 * (on a live call: no chats; at capacity on a channel), as the server last said. Agents only.
 */
export function RoutingSkips() {
  const t = useT();
  const { skipped, isAgent } = useAppStore(
    useShallow((s) => ({
      isAgent: s.user?.role === 'agent',
      skipped: s.presence?.presence === 'available' && s.connection.status === 'online' ? s.presence.skipped : NONE,
    })),
  );
  if (!isAgent || skipped.length === 0) return null;
  return (
    <span className="routing-skips" role="status" title={t('skip.title')}>
      {skipped.map((skip) => (
        <span key={skip.channel} className={`routing-skip routing-skip-${skip.reason}`}>
          {skipText(t, skip)}
        </span>
      ))}
    </span>
  );
}

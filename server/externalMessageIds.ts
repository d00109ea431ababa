/**
 * The channel message ids the store keeps for idempotency (`messages.external_message_id`,
 * unique per channel) and sends to workstations (messageSchema reads at most
 * MAX_EXTERNAL_MESSAGE_ID_LENGTH characters): how an inbound API id is scoped, and how an id
 * stored too long before attack-10 is rewritten (migration 035 / PostgreSQL 026).
 */
import { createHash } from 'node:crypto';
import { MAX_EXTERNAL_MESSAGE_ID_LENGTH } from '../shared/domain.js';

function digestOf(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** The stored external id of a contact posted to the inbound API: `api:<integration>:<its id>`, like its claims. */
export function inboundExternalMessageId(integration: string, externalMessageId: string): string {
  const scoped = `api:${integration}:${externalMessageId}`;
  // The API takes ids of up to 500 characters; with the prefix one was stored longer than a workstation reads a message's
  // id, and the message was unreadable on every workstation (attack-10). A long one is kept as its digest: a repeat is still one.
  if (scoped.length <= MAX_EXTERNAL_MESSAGE_ID_LENGTH) return scoped;
  return `api:${integration}:#sha256:${digestOf(externalMessageId)}`;
}

/**
 * The id a message stored before attack-10 keeps from now on. An inbound API id is rewritten
 * exactly as `inboundExternalMessageId` now stores it, so the integration sending it again is
 * still told "duplicate". `integrations` are the integration names known (the longest that
 * prefixes the id wins, as a name may hold a colon); an id of no known integration, or of
 * another channel (none is known to be stored this long), becomes `#sha256:<digest of it all>`.
 */
export function storableExternalMessageId(stored: string, integrations: readonly string[]): string {
  if (stored.length <= MAX_EXTERNAL_MESSAGE_ID_LENGTH) return stored;
  if (stored.startsWith('api:')) {
    const known = [...integrations].sort((a, b) => b.length - a.length).find((name) => stored.startsWith(`api:${name}:`));
    const integration = known ?? (stored.indexOf(':', 4) > 4 ? stored.slice(4, stored.indexOf(':', 4)) : null);
    if (integration !== null) {
      const scoped = inboundExternalMessageId(integration, stored.slice(`api:${integration}:`.length));
      if (scoped.length <= MAX_EXTERNAL_MESSAGE_ID_LENGTH) return scoped;
    }
  }
  return `#sha256:${digestOf(stored)}`;
}

/**
 * A channel an administrator switched off (shared/admin.ts, channel registry) refuses new
 * inbound contacts: the store's ingest throws this, HTTP routes answer 503 with the reason
 * (http.ts), the web chat widget says the chat is unavailable. Nothing already stored or
 * queued is touched, and a retry after the channel is on again is stored as usual.
 */
import type { Channel } from '../shared/domain.js';

export class ChannelUnavailableError extends Error {
  readonly channel: Channel;

  constructor(channel: Channel) {
    super(`The ${channel} channel is switched off by an administrator; nothing was stored. Try again once it is on again.`);
    this.channel = channel;
  }
}

/**
 * Which real channels a server process runs, from its environment. Tests build their own
 * lists; `npm start` and `npm run server` use this one.
 */
import type { ChannelFactory } from './channel.js';

/** The environment variables each channel reads are documented in docs/technical/channels.md. */
export function configuredChannels(env: NodeJS.ProcessEnv, options: { demo: boolean }): ChannelFactory[] {
  const factories: ChannelFactory[] = [];
  void env;
  void options;
  return factories;
}

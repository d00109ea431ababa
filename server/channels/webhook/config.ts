/**
 * The webhook channel's configuration from the environment (docs/technical/channels.md).
 */
import { webhookPlatformSchema } from '../../../shared/social.js';
import type { WebhookChannelOptions, WebhookPlatform } from './webhookChannel.js';

/** The demo organisation accepts signed Weibo deliveries with this secret. */
export const DEMO_WEBHOOK_SECRETS = 'weibo:demo-webhook-secret';

/** Parses `name:value,name:value` (split at the first `:`, so values may hold colons, as URLs do). */
function pairs(variable: string, text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const item of text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const colon = item.indexOf(':');
    const name = colon > 0 ? item.slice(0, colon).trim() : '';
    const value = colon > 0 ? item.slice(colon + 1).trim() : '';
    if (!webhookPlatformSchema.safeParse(name).success || value === '')
      throw new Error(`${variable}: ${JSON.stringify(item)} is not <platform>:<value> with a platform like weibo.`);
    if (found.has(name)) throw new Error(`${variable}: platform ${name} appears twice.`);
    found.set(name, value);
  }
  return found;
}

/** The webhook channel's options, or null when no platform is configured (and not demo). Throws on a bad value, naming the variable. */
export function webhookOptionsFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): WebhookChannelOptions | null {
  const secretsText = env.WEBHOOK_SECRETS?.trim() || (options.demo ? DEMO_WEBHOOK_SECRETS : '');
  const callbacksText = env.WEBHOOK_CALLBACKS?.trim() ?? '';
  const secrets = pairs('WEBHOOK_SECRETS', secretsText);
  const callbacks = pairs('WEBHOOK_CALLBACKS', callbacksText);
  for (const [name, url] of callbacks) {
    if (!secrets.has(name)) throw new Error(`WEBHOOK_CALLBACKS: platform ${name} has no secret in WEBHOOK_SECRETS.`);
    if (!/^https?:\/\/[^/\s]+/.test(url)) throw new Error(`WEBHOOK_CALLBACKS: the callback of ${name} must be an http(s) URL, got ${url}`);
  }
  if (secrets.size === 0) return null;
  const platforms: WebhookPlatform[] = [...secrets].map(([name, secret]) => ({
    name,
    secret,
    ...(callbacks.has(name) ? { callbackUrl: callbacks.get(name)! } : {}),
  }));
  return { platforms };
}

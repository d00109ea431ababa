/**
 * Which real channels a server process runs, from its environment. Tests build their own
 * lists; `npm start` and `npm run server` use this one.
 */
import type { ChannelFactory } from './channel.js';
import { ctiChannel, ctiOptionsFromEnv } from './cti/ctiChannel.js';
import { emailChannel, emailConfigFromEnv } from './email/emailChannel.js';
import { webhookOptionsFromEnv } from './webhook/config.js';
import { createWebhookChannel } from './webhook/webhookChannel.js';
import { createWebchatChannel, webchatOptionsFromEnv } from './webchat/webchat.js';
import { wechatOptionsFromEnv } from './wechat/config.js';
import { createWechatChannel } from './wechat/wechatChannel.js';

/** The environment variables each channel reads are documented in docs/technical/channels.md. */
export function configuredChannels(env: NodeJS.ProcessEnv, options: { demo: boolean }): ChannelFactory[] {
  const factories: ChannelFactory[] = [];
  const email = emailConfigFromEnv(env, options);
  if (email) factories.push(emailChannel(email));
  const wechat = wechatOptionsFromEnv(env, options);
  if (wechat) factories.push(createWechatChannel(wechat));
  const webhook = webhookOptionsFromEnv(env, options);
  if (webhook) factories.push(createWebhookChannel(webhook));
  const webchat = webchatOptionsFromEnv(env, options);
  if (webchat) factories.push(createWebchatChannel(webchat));
  const cti = ctiOptionsFromEnv(env, options);
  if (cti) factories.push(ctiChannel(cti));
  return factories;
}

/**
 * The WeChat channel's configuration from the environment (docs/technical/channels.md).
 */
import { WechatCryptoError, decodeEncodingAesKey } from './crypto.js';
import { WECHAT_MESSAGE_MODES, type WechatAccount, type WechatChannelOptions, type WechatMessageMode } from './wechatChannel.js';

/** The demo organisation's account: not a real one, so replies fail visibly unless WECHAT_API_BASE points at a peer. */
export const DEMO_WECHAT_ACCOUNT: WechatAccount = {
  appId: 'wx0123456789abcdef',
  token: 'omnideskdemotoken',
  encodingAesKey: 'OmniDeskDemoEncodingAESKey0123456789abcdefg',
  appSecret: 'omnidesk-demo-app-secret',
  greeting: '您好，欢迎关注 OmniDesk 演示号！直接发送消息即可联系人工客服。',
};

const WECHAT_VARIABLES = ['WECHAT_TOKEN', 'WECHAT_AES_KEY', 'WECHAT_MODE', 'WECHAT_APP_SECRET', 'WECHAT_API_BASE', 'WECHAT_GREETING'] as const;

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** The WeChat channel's options, or null when no account is configured (and not demo). Throws on a bad value, naming the variable. */
export function wechatOptionsFromEnv(env: NodeJS.ProcessEnv, options: { demo: boolean }): WechatChannelOptions | null {
  const appId = optional(env, 'WECHAT_APP_ID');
  const apiBase = optional(env, 'WECHAT_API_BASE');
  if (apiBase !== undefined && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(apiBase)) throw new Error(`WECHAT_API_BASE must be an http(s) URL, got ${apiBase}`);
  const base = apiBase ? { apiBase: apiBase.replace(/\/+$/, '') } : {};
  if (!appId) {
    const stray = WECHAT_VARIABLES.filter((name) => name !== 'WECHAT_API_BASE' && optional(env, name) !== undefined);
    if (stray.length > 0) throw new Error(`${stray.join(', ')} set without WECHAT_APP_ID; set WECHAT_APP_ID too (the account's AppID).`);
    return options.demo ? { accounts: [DEMO_WECHAT_ACCOUNT], ...base } : null;
  }
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(appId)) throw new Error(`WECHAT_APP_ID must be an AppID like wx1234567890abcdef, got ${appId}`);
  const token = optional(env, 'WECHAT_TOKEN');
  if (!token || !/^[A-Za-z0-9]{3,32}$/.test(token)) throw new Error('WECHAT_TOKEN must be the Token from the WeChat console (3–32 letters or digits).');
  const encodingAesKey = optional(env, 'WECHAT_AES_KEY');
  if (encodingAesKey !== undefined) {
    try {
      decodeEncodingAesKey(encodingAesKey);
    } catch (error) {
      if (error instanceof WechatCryptoError) throw new Error(`WECHAT_AES_KEY: ${error.message}`);
      throw error;
    }
  }
  const modeText = optional(env, 'WECHAT_MODE');
  if (modeText !== undefined && !(WECHAT_MESSAGE_MODES as readonly string[]).includes(modeText)) {
    throw new Error(`WECHAT_MODE must be one of ${WECHAT_MESSAGE_MODES.join(', ')} (the console's 消息加解密方式), got ${modeText}`);
  }
  const mode = modeText as WechatMessageMode | undefined;
  if (mode !== undefined && mode !== 'plain' && encodingAesKey === undefined) throw new Error(`WECHAT_MODE=${mode} needs WECHAT_AES_KEY (the EncodingAESKey).`);
  const appSecret = optional(env, 'WECHAT_APP_SECRET');
  const greeting = optional(env, 'WECHAT_GREETING');
  const account: WechatAccount = {
    appId,
    token,
    ...(encodingAesKey ? { encodingAesKey } : {}),
    ...(mode ? { mode } : {}),
    ...(appSecret ? { appSecret } : {}),
    ...(greeting ? { greeting } : {}),
  };
  return { accounts: [account], ...base };
}

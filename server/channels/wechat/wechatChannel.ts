/**
 * WeChat official accounts (公众号): the message push URL `/channels/wechat/:appId`.
 * GET verifies the URL (echostr); POST receives messages and events in plain, compatible or
 * safe (AES) mode, answers `success` at once (WeChat waits 5 s at most) and stores the contact;
 * agents' replies leave later as customer-service messages (sender.ts).
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inboundContactSchema } from '../../../shared/httpApi.js';
import { wechatPushSchema, type WechatPush } from '../../../shared/social.js';
import { HttpError, decodeUtf8Body, invalid, readRawBody } from '../../http.js';
import type { ChannelContact } from '../../store.js';
import type { ChannelContext, ChannelFactory } from '../channel.js';
import { WechatCryptoError, decodeEncodingAesKey, decryptWechatMessage, encryptWechatMessage, signaturesMatch, wechatSignature } from './crypto.js';
import type { SharedState } from '../../cluster/sharedState.js';
import { DEFAULT_WECHAT_API_BASE, createWechatSender } from './sender.js';
import { WechatXmlError, cdata, parseWechatXml } from './xml.js';

/** One official account as configured (docs/technical/channels.md, WECHAT_* variables). */
export interface WechatAccount {
  appId: string;
  /** The Token set in the WeChat console; signs every push. */
  token: string;
  /** The 43-character EncodingAESKey, for compatible and safe mode. */
  encodingAesKey?: string;
  /**
   * The message mode set in the WeChat console (消息加解密方式): `plain` (明文) takes plain pushes;
   * `compatible` (兼容) takes plain and encrypted ones (while the console is being switched);
   * `safe` (安全) only encrypted ones with a valid msg_signature. Default: `safe` when an
   * EncodingAESKey is configured, else `plain`. See wechatAccountMode.
   */
  mode?: WechatMessageMode;
  /** The AppSecret, to fetch access tokens for sending replies. */
  appSecret?: string;
  /** Passive text reply to a new follower (subscribe event); none when absent. */
  greeting?: string;
}

export type WechatMessageMode = 'plain' | 'compatible' | 'safe';
export const WECHAT_MESSAGE_MODES: readonly WechatMessageMode[] = ['plain', 'compatible', 'safe'];

/** The account's mode: as configured, else `safe` with an EncodingAESKey and `plain` without. */
export function wechatAccountMode(account: Pick<WechatAccount, 'mode' | 'encodingAesKey'>): WechatMessageMode {
  return account.mode ?? (account.encodingAesKey ? 'safe' : 'plain');
}

export interface WechatChannelOptions {
  accounts: readonly WechatAccount[];
  /** Where the WeChat API is; default https://api.weixin.qq.com (tests run a loopback peer). */
  apiBase?: string;
  /**
   * Where access tokens live: default this process's memory (one node); on several nodes the
   * app passes the Redis one (server/cluster/sharedState.ts); default the server's (ChannelContext.sharedState), so all share one token per account.
   */
  sharedState?: SharedState;
}

/** Largest push accepted; WeChat's are a few hundred bytes. */
export const WECHAT_MAX_BODY_BYTES = 64 * 1024;
/** How far a push's timestamp may be from our clock: the plain-mode signature does not cover the body, so it must not live long. */
export const WECHAT_MAX_AGE_MS = 5 * 60 * 1000;

/** Events a follower causes that need no agent: logged, answered `success`, nothing stored. */
const QUIET_EVENTS = new Set([
  'unsubscribe',
  'scan',
  'location',
  'view',
  'view_miniprogram',
  'templatesendjobfinish',
  'masssendjobfinish',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
  'subscribe_msg_popup_event',
]);

type PushOutcome = { kind: 'contact'; text: string; externalMessageId: string } | { kind: 'greet' } | { kind: 'ignore'; reason: string };

/** What a push means for the desk. Exported for the docs' table and its test. */
export function classifyWechatPush(push: WechatPush): PushOutcome {
  const messageId = push.MsgId ? `wechat:${push.MsgId}` : null;
  const needId = (text: string): PushOutcome =>
    messageId ? { kind: 'contact', text, externalMessageId: messageId } : { kind: 'ignore', reason: `${push.MsgType} message without MsgId` };
  switch (push.MsgType) {
    case 'text':
      return push.Content && push.Content.trim() !== '' ? needId(push.Content) : { kind: 'ignore', reason: 'text message without Content' };
    case 'image':
      return needId(`[图片] ${push.PicUrl ?? `MediaId ${push.MediaId ?? '?'}`}`);
    case 'voice':
      return needId(push.Recognition?.trim() ? `[语音] ${push.Recognition.trim()}` : `[语音] （未识别）MediaId ${push.MediaId ?? '?'}`);
    case 'video':
    case 'shortvideo':
      return needId(`[视频] MediaId ${push.MediaId ?? '?'}`);
    case 'location':
      return needId(`[位置] ${push.Label ?? ''} (${push.Location_X ?? '?'}, ${push.Location_Y ?? '?'})`.replace('  ', ' '));
    case 'link':
      return needId(['[链接] ' + (push.Title ?? ''), push.Description ?? '', push.Url ?? ''].filter((line) => line.trim() !== '').join('\n'));
    case 'event': {
      const event = (push.Event ?? '').toLowerCase();
      if (event === 'subscribe') return { kind: 'greet' };
      // A menu CLICK ("人工客服") is a follower asking for someone; VIEW (a link) is not.
      if (event === 'click') {
        return { kind: 'contact', text: `[菜单点击] ${push.EventKey ?? ''}`.trim(), externalMessageId: `wechat:event:${push.FromUserName}:${push.CreateTime}` };
      }
      if (QUIET_EVENTS.has(event)) return { kind: 'ignore', reason: `event ${String(push.Event)} needs no ticket` };
      return { kind: 'ignore', reason: `unknown event ${JSON.stringify(push.Event ?? '')}` };
    }
    default:
      return { kind: 'ignore', reason: `unknown MsgType ${JSON.stringify(push.MsgType)}` };
  }
}

function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(text);
}

function refused(status: 400 | 401 | 404, message: string): HttpError {
  if (status === 400) return invalid(message);
  if (status === 404) return new HttpError(404, 'not_found', message);
  return new HttpError(401, 'unauthorized', message);
}

function queryValue(url: URL, name: string): string | null {
  const values = url.searchParams.getAll(name);
  if (values.length > 1) throw refused(400, `The query parameter ${name} is given more than once.`);
  return values[0] ?? null;
}

function parseXmlOrRefuse(xml: string): Record<string, string> {
  try {
    return parseWechatXml(xml);
  } catch (error) {
    if (error instanceof WechatXmlError) throw refused(400, error.message);
    throw error;
  }
}

function nonce(): string {
  return String(crypto.randomInt(100_000_000, 2_000_000_000));
}

export function createWechatChannel(options: WechatChannelOptions): ChannelFactory {
  return (ctx: ChannelContext) => {
    const accounts = new Map<string, WechatAccount>();
    const aesKeys = new Map<string, Buffer>();
    for (const account of options.accounts) {
      if (accounts.has(account.appId)) throw new Error(`WeChat account ${account.appId} is configured twice.`);
      if (wechatAccountMode(account) !== 'plain' && !account.encodingAesKey) {
        throw new Error(`WeChat account ${account.appId} is in ${wechatAccountMode(account)} mode but has no EncodingAESKey.`);
      }
      accounts.set(account.appId, account);
      if (account.encodingAesKey) aesKeys.set(account.appId, decodeEncodingAesKey(account.encodingAesKey));
    }

    /** Checks the URL signature and the timestamp's age; returns the account. */
    function authenticate(appId: string, url: URL): WechatAccount {
      const account = accounts.get(appId);
      if (!account) throw refused(404, `No WeChat account ${appId} is configured here.`);
      const signature = queryValue(url, 'signature');
      const timestamp = queryValue(url, 'timestamp');
      const nonceValue = queryValue(url, 'nonce');
      if (!signature || !timestamp || !nonceValue) throw refused(401, 'The signature, timestamp and nonce query parameters are required.');
      if (!signaturesMatch(wechatSignature([account.token, timestamp, nonceValue]), signature)) throw refused(401, 'The signature does not match the Token.');
      if (!/^\d{1,12}$/.test(timestamp) || Math.abs(ctx.now() - Number(timestamp) * 1000) > WECHAT_MAX_AGE_MS) {
        throw refused(401, `The timestamp ${timestamp.slice(0, 20)} is more than 5 minutes from the server's clock.`);
      }
      return account;
    }

    function verifyUrl(appId: string, url: URL, res: ServerResponse): void {
      authenticate(appId, url);
      const echo = queryValue(url, 'echostr');
      if (!echo || !/^[\x21-\x7e]{1,256}$/.test(echo)) throw refused(400, 'The echostr query parameter is missing or not printable ASCII.');
      ctx.log(`wechat ${appId}: push URL verified`);
      sendText(res, 200, echo);
    }

    /** The message XML: the body itself in plain mode, the decrypted `Encrypt` in compatible/safe mode. */
    function messageXml(account: WechatAccount, url: URL, body: Record<string, string>): { xml: string; encrypted: boolean } {
      const mode = queryValue(url, 'encrypt_type') ?? 'raw';
      if (mode === 'raw') {
        if (body.Encrypt !== undefined && body.MsgType === undefined) throw refused(400, 'An encrypted message came without encrypt_type=aes.');
        // The URL signature covers the token, timestamp and nonce, not the body: in safe mode only
        // a msg_signature over the ciphertext (and the AES key itself) proves a push is WeChat's.
        if (wechatAccountMode(account) === 'safe') {
          throw refused(
            401,
            'This account is in safe mode: a plain (unencrypted) push is refused; only encrypt_type=aes with a valid msg_signature is accepted.',
          );
        }
        return { xml: '', encrypted: false };
      }
      if (mode !== 'aes') throw refused(400, `The encrypt_type ${JSON.stringify(mode.slice(0, 20))} is not supported.`);
      const aesKey = aesKeys.get(account.appId);
      if (!aesKey) throw refused(400, 'An encrypted message came, but this account has no WECHAT_AES_KEY.');
      const msgSignature = queryValue(url, 'msg_signature');
      const timestamp = queryValue(url, 'timestamp')!;
      const nonceValue = queryValue(url, 'nonce')!;
      if (!msgSignature || body.Encrypt === undefined) throw refused(400, 'An encrypted message needs msg_signature and an <Encrypt> field.');
      if (!signaturesMatch(wechatSignature([account.token, timestamp, nonceValue, body.Encrypt]), msgSignature)) {
        throw refused(401, 'The msg_signature does not match the encrypted message.');
      }
      try {
        return { xml: decodeUtf8Body(decryptWechatMessage(body.Encrypt, aesKey, account.appId)), encrypted: true };
      } catch (error) {
        if (error instanceof WechatCryptoError) throw refused(400, error.message);
        if (error instanceof HttpError) throw refused(400, 'The decrypted message is not valid UTF-8.');
        throw error;
      }
    }

    function passiveReply(account: WechatAccount, push: WechatPush, text: string, encrypted: boolean): string {
      const createTime = Math.floor(ctx.now() / 1000);
      const xml =
        `<xml><ToUserName>${cdata(push.FromUserName)}</ToUserName><FromUserName>${cdata(push.ToUserName)}</FromUserName>` +
        `<CreateTime>${String(createTime)}</CreateTime><MsgType>${cdata('text')}</MsgType><Content>${cdata(text)}</Content></xml>`;
      if (!encrypted) return xml;
      const encrypt = encryptWechatMessage(xml, aesKeys.get(account.appId)!, account.appId);
      const replyNonce = nonce();
      const signature = wechatSignature([account.token, String(createTime), replyNonce, encrypt]);
      return (
        `<xml><Encrypt>${cdata(encrypt)}</Encrypt><MsgSignature>${cdata(signature)}</MsgSignature>` +
        `<TimeStamp>${String(createTime)}</TimeStamp><Nonce>${cdata(replyNonce)}</Nonce></xml>`
      );
    }

    async function receive(appId: string, req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
      const account = authenticate(appId, url);
      const raw = await readRawBody(req, WECHAT_MAX_BODY_BYTES);
      const outer = parseXmlOrRefuse(decodeUtf8Body(raw));
      const { xml: decrypted, encrypted } = messageXml(account, url, outer);
      const xml = encrypted ? decrypted : raw.toString('utf8');
      const fields = encrypted ? parseXmlOrRefuse(decrypted) : outer;
      const parsed = wechatPushSchema.safeParse(fields);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw refused(400, `The WeChat message is not valid: ${issue.path.join('.') || '(message)'} ${issue.message}.`);
      }
      const push = parsed.data;
      const outcome = classifyWechatPush(push);
      const who = `${push.FromUserName} ${push.MsgType}${push.Event ? `/${push.Event}` : ''}`;

      if (outcome.kind === 'ignore') {
        ctx.log(`wechat ${appId}: ${outcome.reason} from ${who}; answered success, nothing stored`);
        sendText(res, 200, 'success');
        return;
      }
      if (outcome.kind === 'greet') {
        ctx.log(`wechat ${appId}: new follower ${push.FromUserName}${account.greeting ? '; greeted' : ''}; nothing stored`);
        if (account.greeting) sendText(res, 200, passiveReply(account, push, account.greeting, encrypted), 'application/xml; charset=utf-8');
        else sendText(res, 200, 'success');
        return;
      }

      const contact: ChannelContact = {
        channel: 'social',
        customer: { name: `微信用户 ${push.FromUserName.slice(-6)}`, socialId: `wechat:${appId}:${push.FromUserName}` },
        text: outcome.text,
        externalMessageId: outcome.externalMessageId,
        receivedAt: new Date(Number(push.CreateTime) * 1000).toISOString(),
      };
      const checked = inboundContactSchema.safeParse(contact);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw refused(400, `The WeChat message cannot be stored: ${issue.path.join('.')} ${issue.message}.`);
      }
      // The openid comes inside a push signed with the account's token: proven.
      const stored = await ctx.ingest({ ...checked.data, source: `wechat:${appId}`, proven: ['socialId'], rawSource: Buffer.from(xml, 'utf8') });
      ctx.log(
        stored.duplicate
          ? `wechat ${appId}: repeat of ${outcome.externalMessageId} from ${who}; nothing stored`
          : `wechat ${appId}: ${who} ${stored.created ? 'opened' : 'joined'} ${stored.ticketId}`,
      );
      sendText(res, 200, 'success');
    }

    /** Every refusal leaves one log line, with the reason the caller also gets. */
    function logged(method: string, handle: (appId: string, req: IncomingMessage, url: URL, res: ServerResponse) => void | Promise<void>) {
      return async (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => {
        const appId = /^[A-Za-z0-9_.-]{1,40}$/.test(params[0]!) ? params[0]! : '(invalid app id)';
        try {
          if (!accounts.has(appId)) throw refused(404, `No WeChat account ${appId} is configured here.`);
          await handle(appId, req, url, res);
        } catch (error) {
          if (error instanceof HttpError)
            ctx.log(`wechat ${appId}: refused ${method} from ${req.socket.remoteAddress ?? '?'}: ${String(error.status)} ${error.message}`);
          throw error;
        }
      };
    }

    return {
      name: 'wechat',
      routes: [
        {
          pattern: /^\/channels\/wechat\/([^/]+)$/,
          methods: {
            GET: logged('GET', (appId, _req, url, res) => verifyUrl(appId, url, res)),
            POST: logged('POST', (appId, req, url, res) => receive(appId, req, url, res)),
          },
        },
      ],
      senders: {
        wechat: createWechatSender({
          accounts,
          apiBase: options.apiBase ?? DEFAULT_WECHAT_API_BASE,
          store: ctx.store,
          now: ctx.now,
          log: ctx.log,
          sharedState: options.sharedState ?? ctx.sharedState,
        }),
      },
    };
  };
}

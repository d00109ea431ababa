/**
 * WeChat message crypto against the values Tencent published with its WXBizMsgCrypt sample
 * code (the 2014 "消息加解密" download for official accounts and for WeCom), as reproduced in
 * many SDKs' tests, e.g. GitHub Wyl015/wuyiling work-test/.../aes/WXBizMsgCryptTest.java (Java,
 * pamtest) and fotock/WXbizMsgCrypt-Node README.md (the Python sample's spamtest request).
 * Nothing here is computed by the code under test alone: each expected value is published.
 */
import { describe, expect, it } from 'vitest';
import { WechatCryptoError, decodeEncodingAesKey, decryptWechatMessage, encryptWechatMessage, signaturesMatch, wechatSignature } from './crypto.js';
import { WechatXmlError, parseWechatXml } from './xml.js';

const SAMPLE_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** Java sample (WXBizMsgCryptTest.java): token pamtest, appId wxb11529c136998cb6, random prefix "aaaabbbbccccdddd". */
const JAVA = {
  token: 'pamtest',
  appId: 'wxb11529c136998cb6',
  timestamp: '1409304348',
  nonce: 'xxxxxx',
  random: 'aaaabbbbccccdddd',
  replyMsg: '我是中文abcd123',
  afterAesEncrypt: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
  replyMsg2:
    '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>',
  afterAesEncrypt2:
    'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb',
};

/** Python sample (Sample.py): a pushed request in compatible mode, with its published msg_signature. */
const PYTHON_SAMPLE = {
  token: 'spamtest',
  appId: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  fromXml:
    '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]></Encrypt></xml>',
};

/** WeCom C# sample (same scheme; the receiver id plays the app id): request, msg_signature and the plaintext it decrypts to. */
const CSHARP = {
  token: 'QDG6eK',
  receiverId: 'wx5823bf96d3bd56c7',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
  timestamp: '1409659813',
  nonce: '1372623149',
  encrypt:
    'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
  plaintext:
    '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>',
};

describe('WeChat message crypto against the published WXBizMsgCrypt samples', () => {
  const key = decodeEncodingAesKey(SAMPLE_AES_KEY);

  it('encrypts the Java sample messages to the published ciphertexts and decrypts them back (pamtest)', () => {
    const random = Buffer.from(JAVA.random, 'utf8');
    expect(encryptWechatMessage(JAVA.replyMsg, key, JAVA.appId, random)).toBe(JAVA.afterAesEncrypt);
    expect(encryptWechatMessage(JAVA.replyMsg2, key, JAVA.appId, random)).toBe(JAVA.afterAesEncrypt2);
    expect(decryptWechatMessage(JAVA.afterAesEncrypt, key, JAVA.appId).toString('utf8')).toBe(JAVA.replyMsg);
    expect(decryptWechatMessage(JAVA.afterAesEncrypt2, key, JAVA.appId).toString('utf8')).toBe(JAVA.replyMsg2);
  });

  it('refuses the pamtest ciphertext for another app id, a wrong key and broken input', () => {
    expect(() => decryptWechatMessage(JAVA.afterAesEncrypt, key, 'wx0000000000000000')).toThrow(/wxb11529c136998cb6.*not wx0000000000000000/);
    const otherKey = decodeEncodingAesKey('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg');
    expect(() => decryptWechatMessage(JAVA.afterAesEncrypt, otherKey, JAVA.appId)).toThrow(WechatCryptoError);
    expect(() => decryptWechatMessage('not base64!', key, JAVA.appId)).toThrow(/not base64/);
    expect(() => decryptWechatMessage(JAVA.afterAesEncrypt.slice(0, 20), key, JAVA.appId)).toThrow(WechatCryptoError);
    expect(() => decodeEncodingAesKey('abcde')).toThrow(/43/);
  });

  it('matches the Python sample: its msg_signature signs its Encrypt, which decrypts to its plain fields (spamtest)', () => {
    const outer = parseWechatXml(PYTHON_SAMPLE.fromXml);
    expect(wechatSignature([PYTHON_SAMPLE.token, PYTHON_SAMPLE.timestamp, PYTHON_SAMPLE.nonce, outer.Encrypt!])).toBe(PYTHON_SAMPLE.msgSignature);
    const inner = parseWechatXml(decryptWechatMessage(outer.Encrypt!, key, PYTHON_SAMPLE.appId).toString('utf8'));
    // Compatible mode sends the same message in the clear beside the ciphertext: both must agree.
    for (const name of ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType', 'Content', 'MsgId']) expect(inner[name]).toBe(outer[name]);
    expect(inner.MsgId).toBe('6054768590064713728');
  });

  it('matches the WeCom C# sample: msg_signature and the published plaintext', () => {
    expect(wechatSignature([CSHARP.token, CSHARP.timestamp, CSHARP.nonce, CSHARP.encrypt])).toBe(CSHARP.msgSignature);
    expect(decryptWechatMessage(CSHARP.encrypt, decodeEncodingAesKey(CSHARP.aesKey), CSHARP.receiverId).toString('utf8')).toBe(CSHARP.plaintext);
  });

  it('compares signatures in constant time and only for equal strings (case of hex ignored)', () => {
    expect(signaturesMatch(PYTHON_SAMPLE.msgSignature, PYTHON_SAMPLE.msgSignature.toUpperCase())).toBe(true);
    expect(signaturesMatch(PYTHON_SAMPLE.msgSignature, PYTHON_SAMPLE.msgSignature.slice(0, -1) + '0')).toBe(false);
    expect(signaturesMatch(PYTHON_SAMPLE.msgSignature, PYTHON_SAMPLE.msgSignature.slice(0, 10))).toBe(false);
  });
});

describe('WeChat XML parsing', () => {
  it('reads CDATA as is, decodes only predefined entities and character references, keeps MsgId exact', () => {
    expect(
      parseWechatXml(
        '<xml><Content><![CDATA[你好 &amp; <b>]]></Content><Label>上海 &amp; 杭州 &#20320;&#x597D;</Label><MsgId>6054768590064713728</MsgId><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>',
      ),
    ).toEqual({ Content: '你好 &amp; <b>', Label: '上海 & 杭州 你好', MsgId: '6054768590064713728' });
  });

  it('refuses DTDs, entity declarations, repeated fields, other roots and malformed XML', () => {
    const refusals = [
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>',
      '<xml><!ENTITY x "y"><Content>a</Content></xml>',
      '<xml><Content>a</Content><Content>b</Content></xml>',
      '<message><Content>a</Content></message>',
      '<xml><Content>a</xml>',
      'not xml at all',
    ];
    for (const xml of refusals) expect(() => parseWechatXml(xml), xml).toThrow(WechatXmlError);
  });
});

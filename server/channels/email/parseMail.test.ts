/**
 * Mail as Chinese clients really send it, built byte by byte with iconv-lite: encoded words
 * in GB2312/GBK/GB18030/Big5 (one character split across two words, in B and Q encoding),
 * raw 8-bit GBK and Big5 headers without any encoded word, GBK attachment names, html-only
 * mail, and mail that is not mail.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { MalformedMailError, parseMail } from './parseMail.js';

function encodedWord(charset: string, bytes: Buffer, encoding: 'B' | 'Q' = 'B'): string {
  const payload = encoding === 'B' ? bytes.toString('base64') : [...bytes].map((byte) => `=${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return `=?${charset}?${encoding}?${payload}?=`;
}

function word(charset: string, text: string): string {
  return encodedWord(charset, iconv.encode(text, charset));
}

function mail(headerLines: (string | Buffer)[], body: string | Buffer = 'hello'): Buffer {
  const parts: Buffer[] = [];
  for (const line of headerLines) parts.push(typeof line === 'string' ? Buffer.from(line, 'latin1') : line, Buffer.from('\r\n'));
  parts.push(Buffer.from('\r\n'), typeof body === 'string' ? Buffer.from(body) : body);
  return Buffer.concat(parts);
}

const GBK_BODY = ['Content-Type: text/plain; charset=GBK', 'Content-Transfer-Encoding: base64'];
const gbkBody = (text: string) => `${iconv.encode(text, 'gbk').toString('base64')}\r\n`;

describe('Chinese headers', () => {
  it.each([
    ['GB2312', '订单物流查询延迟'],
    ['GBK', '订单物流查询延迟（加急）'],
    ['GB18030', '订单物流查询延迟 𠀀 生僻字'],
    ['Big5', '訂單物流查詢延遲'],
  ])('decodes %s encoded words in Subject and From', async (charset, subject) => {
    const parsed = await parseMail(
      mail(
        [
          `From: ${word(charset, charset === 'Big5' ? '張偉' : '张伟')} <zhangwei@example.cn>`,
          'To: support@demo.local',
          `Subject: ${word(charset, subject)}`,
          'Message-ID: <c1@example.cn>',
          ...GBK_BODY,
        ],
        gbkBody('你好，我的订单三天没有物流更新了'),
      ),
    );
    expect(parsed.subject).toBe(subject);
    expect(parsed.from).toEqual({ name: charset === 'Big5' ? '張偉' : '张伟', address: 'zhangwei@example.cn' });
    expect(parsed.text.trim()).toBe('你好，我的订单三天没有物流更新了');
  });

  it.each(['B', 'Q'] as const)('joins a GBK character split across two %s-encoded words', async (encoding) => {
    const bytes = iconv.encode('订单物流', 'gbk');
    // 3 bytes: the second character's lead byte ends the first word, its trail byte starts the second.
    const subject = `${encodedWord('GBK', bytes.subarray(0, 3), encoding)}\r\n ${encodedWord('GBK', bytes.subarray(3), encoding)}`;
    const parsed = await parseMail(mail(['From: zhangwei@example.cn', `Subject: ${subject}`]));
    expect(parsed.subject).toBe('订单物流');
  });

  it('joins a Big5 character split across two encoded words', async () => {
    const bytes = iconv.encode('退貨申請', 'big5');
    const parsed = await parseMail(
      mail(['From: chen@example.tw', `Subject: ${encodedWord('Big5', bytes.subarray(0, 5))} ${encodedWord('Big5', bytes.subarray(5))}`]),
    );
    expect(parsed.subject).toBe('退貨申請');
  });

  it('decodes raw 8-bit GBK Subject and From name that declare no charset', async () => {
    const raw = mail(
      [
        Buffer.concat([Buffer.from('From: "'), iconv.encode('张伟', 'gbk'), Buffer.from('" <zhangwei@example.cn>')]),
        Buffer.concat([Buffer.from('Subject: '), iconv.encode('订单物流查询延迟', 'gbk')]),
        'Content-Type: text/plain; charset=GBK',
        'Content-Transfer-Encoding: 8bit',
      ],
      iconv.encode('您好，请帮我查一下快递。', 'gbk'),
    );
    const parsed = await parseMail(raw);
    expect(parsed.subject).toBe('订单物流查询延迟');
    expect(parsed.from.name).toBe('张伟');
    expect(parsed.text.trim()).toBe('您好，请帮我查一下快递。');
  });

  it('decodes a raw 8-bit GBK subject even when the body is UTF-8 (GB18030 is the fallback)', async () => {
    const raw = mail(
      [Buffer.concat([Buffer.from('Subject: '), iconv.encode('发票抬头修改', 'gbk')]), 'From: li@example.cn', 'Content-Type: text/plain; charset=utf-8'],
      '请把抬头改成公司名称',
    );
    expect((await parseMail(raw)).subject).toBe('发票抬头修改');
  });

  it('uses the declared body charset for raw 8-bit Big5 headers, and keeps raw UTF-8 headers as they are', async () => {
    const big5 = mail(
      [Buffer.concat([Buffer.from('Subject: '), iconv.encode('發票問題', 'big5')]), 'From: chen@example.tw', 'Content-Type: text/plain; charset=Big5'],
      iconv.encode('請協助', 'big5'),
    );
    expect((await parseMail(big5)).subject).toBe('發票問題');
    const utf8 = mail(
      [Buffer.concat([Buffer.from('Subject: '), Buffer.from('退款进度查询')]), 'From: wang@example.cn', 'Content-Type: text/plain; charset=GBK'],
      iconv.encode('你好', 'gbk'),
    );
    expect((await parseMail(utf8)).subject).toBe('退款进度查询');
  });

  it('decodes a raw 8-bit GBK attachment name inside a MIME part header', async () => {
    const raw = Buffer.concat([
      mail(
        ['From: zhangwei@example.cn', 'Subject: fapiao', 'Content-Type: multipart/mixed; boundary="p"'],
        '--p\r\nContent-Type: text/plain; charset=GBK\r\n\r\n',
      ),
      iconv.encode('见附件', 'gbk'),
      Buffer.from('\r\n--p\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="'),
      iconv.encode('电子发票.pdf', 'gbk'),
      Buffer.from('"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--p--\r\n'),
    ]);
    const parsed = await parseMail(raw);
    expect(parsed.text.trim()).toBe('见附件');
    expect(parsed.attachments.map((file) => file.fileName)).toEqual(['电子发票.pdf']);
  });

  it('decodes GBK attachment names (RFC 2231 and encoded words) and keeps the bytes', async () => {
    const pdf = Buffer.from('%PDF-1.4 报价单');
    const raw = mail(
      ['From: zhangwei@example.cn', 'Subject: attachments', 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="b1"`],
      [
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        '附件是报价单和截图',
        '--b1',
        `Content-Type: application/pdf; name="${word('GBK', '报价单.pdf')}"`,
        `Content-Disposition: attachment; filename*=GBK''${[...iconv.encode('报价单.pdf', 'gbk')].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('')}`,
        'Content-Transfer-Encoding: base64',
        '',
        pdf.toString('base64'),
        '--b1',
        `Content-Type: image/png; name="${word('GB2312', '截图.png')}"`,
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64'),
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const parsed = await parseMail(raw);
    expect(parsed.text.trim()).toBe('附件是报价单和截图');
    expect(parsed.attachments.map(({ fileName, contentType, data }) => ({ fileName, contentType, size: data.length }))).toEqual([
      { fileName: '报价单.pdf', contentType: 'application/pdf', size: pdf.length },
      { fileName: '截图.png', contentType: 'image/png', size: 4 },
    ]);
    expect(parsed.attachments[0]!.data.equals(pdf)).toBe(true);
  });
});

describe('ids, text and headers', () => {
  it('reads Message-ID, In-Reply-To, References (oldest first) and unfolded header values', async () => {
    const parsed = await parseMail(
      mail([
        'From: =?UTF-8?B?5byg5Lyf?= <ZhangWei@Example.cn>',
        'Message-ID: <m3@example.cn>',
        'In-Reply-To: <GD20241108001.0193@demo.local>',
        'References: <m1@example.cn>\r\n <GD20241108001.0193@demo.local>',
        'Auto-Submitted: no',
        'Subject: Re: 物流',
      ]),
    );
    expect(parsed.messageId).toBe('<m3@example.cn>');
    expect(parsed.inReplyTo).toEqual(['<GD20241108001.0193@demo.local>']);
    expect(parsed.references).toEqual(['<m1@example.cn>', '<GD20241108001.0193@demo.local>']);
    expect(parsed.headers.get('auto-submitted')).toEqual(['no']);
    expect(parsed.headers.get('references')).toEqual(['<m1@example.cn> <GD20241108001.0193@demo.local>']);
    expect(parsed.from).toEqual({ name: '张伟', address: 'ZhangWei@Example.cn' });
  });

  it('makes a stable Message-ID from the bytes when the mail has none', async () => {
    const raw = mail(['From: a@example.cn', 'Subject: 无编号']);
    const first = await parseMail(raw);
    expect(first.messageId).toMatch(/^<[0-9a-f]{40}@no-message-id\.invalid>$/);
    expect((await parseMail(Buffer.from(raw))).messageId).toBe(first.messageId);
  });

  it('falls back to the html part converted to text', async () => {
    const parsed = await parseMail(mail(['From: a@example.cn', 'Content-Type: text/html; charset=utf-8'], '<div>您好，<b>订单</b>还没到</div><p>谢谢</p>'));
    expect(parsed.text).toContain('您好，订单还没到');
    expect(parsed.text).toContain('谢谢');
    expect(parsed.text).not.toContain('<');
  });
});

describe('mail that is not mail', () => {
  it.each([
    ['no header block', Buffer.from('这不是邮件\r\njust some text\r\n'), /not a "Name: value" field/],
    ['binary noise', Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x0a]), /NUL byte|not a "Name: value" field/],
    ['an empty message', Buffer.alloc(0), /no header fields/],
    ['a multipart without boundary', mail(['From: a@example.cn', 'Content-Type: multipart/mixed'], 'body'), /declares no boundary/],
    [
      'a multipart whose boundary never appears',
      mail(['From: a@example.cn', 'Content-Type: multipart/mixed; boundary="zz"'], 'no parts here'),
      /never contains its boundary/,
    ],
    ['a mail without a sender address', mail(['Subject: 订单', 'To: support@demo.local'], 'hi'), /no sender address/],
    ['a continuation line first', Buffer.from(' folded: nothing\r\nFrom: a@example.cn\r\n\r\nhi'), /continuation line/],
  ])('refuses %s', async (_name, raw, reason) => {
    const error = await parseMail(raw).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MalformedMailError);
    expect((error as Error).message).toMatch(reason);
  });
});

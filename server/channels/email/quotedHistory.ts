/**
 * Agents read what the customer wrote this time, not the whole thread again: quoted
 * history is cut from the displayed text (the raw mail is kept untouched). Recognised:
 * `>` lines, "On … wrote:" / "在 … 写道：", Outlook's "-----Original Message-----" and
 * underscore rule, Chinese clients' "-----原始邮件-----" and QQ Mail's
 * "------------------ 原始邮件 ------------------", and header blocks that start with
 * `发件人:`/`From:` followed by a send time (`发送时间`, `Sent`, `日期`, `Date`, `时间`).
 */

const SEPARATOR_LINES = [
  /^-{2,}\s*(original message|原始邮件|原始郵件|回复的邮件)\s*-{2,}$/i,
  /^_{10,}$/,
  /^在.{1,200}写道\s*[:：]$/,
  /^On .{1,300}wrote\s*:$/i,
  /^.{1,200}于\s*\d{4}.{0,60}写道\s*[:：]$/,
];
const FROM_LINE = /^\**(发件人|寄件者|From)\**\s*[:：]/i;
const SENT_LINE = /^\**(发送时间|寄件日期|日期|时间|Sent|Date)\**\s*[:：]/i;

function isQuoteStart(lines: readonly string[], index: number): boolean {
  const line = lines[index]!.trim();
  if (SEPARATOR_LINES.some((pattern) => pattern.test(line))) return true;
  // "On Fri, 8 Nov 2024 at 10:00, 张伟 <zhangwei@example.cn>" + "wrote:" folded by the client.
  if (/^(On |在)/.test(line)) {
    const joined = `${line} ${(lines[index + 1] ?? '').trim()}`;
    if (/^On .{1,300}wrote\s*:$/i.test(joined) || /^在.{1,200}写道\s*[:：]$/.test(joined)) return true;
  }
  if (FROM_LINE.test(line)) {
    for (let next = index + 1; next < Math.min(lines.length, index + 5); next++) {
      if (SENT_LINE.test(lines[next]!.trim())) return true;
    }
  }
  return false;
}

/** The text without quoted history; the whole text when nothing new would remain. */
export function trimQuotedHistory(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let end = lines.length;
  for (let index = 0; index < lines.length; index++) {
    if (isQuoteStart(lines, index)) {
      end = index;
      break;
    }
  }
  const kept = lines.slice(0, end).filter((line) => !/^\s*>/.test(line));
  const trimmed = kept
    .join('\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return trimmed === '' ? text.trim() : trimmed;
}

/**
 * Messages in both languages: plurals through ICU (issue 12: "real plurals instead of
 * 'note(s)'"), plain substitution elsewhere.
 */
import { describe, expect, it } from 'vitest';
import {
  ANSWERED_CALL_SUBJECT_SEARCH_WORDS,
  CALL_SEARCH_WORDS,
  CALL_SUMMARY_CODES,
  MISSED_CALL_SUBJECT,
  answeredCallSubject,
  callMessageText,
  type CallSummaryCode,
} from '../../shared/cti.js';
import { DELIVERY_FAILURE_CODES, undeliverableError, type CallInfo } from '../../shared/domain.js';
import { callPreviewText, ticketLineText, ticketSubjectText } from './callText.js';
import { errorText } from './components/errorText.js';
import { describeAuditEntry } from './components/RoutingHistory.js';
import { deliveryReasonText } from './components/refusalText.js';
import { connectionProblemText } from './connectionProblemText.js';
import type { UiError } from './store/types.js';
import {
  MESSAGE_KEYS,
  describeTicketGone,
  formatClock,
  formatDateTime,
  fromOrgInputValue,
  toOrgInputValue,
  translate,
  zoneName,
  type Language,
} from './i18n.js';

describe('translate', () => {
  it('says one note and two notes in English, and counts the same way in Chinese', () => {
    expect(translate('en', 'callCard.saved', { n: 1, id: 'GD20261205001' })).toBe('1 note saved to GD20261205001');
    expect(translate('en', 'callCard.saved', { n: 2, id: 'GD20261205001' })).toBe('2 notes saved to GD20261205001');
    expect(translate('zh-CN', 'callCard.saved', { n: 1, id: 'GD20261205001' })).toBe('已保存 1 条记录到 GD20261205001');
    expect(translate('en', 'collision.newMessages', { n: 1 })).toBe('1 new message arrived');
    expect(translate('en', 'team.offers', { n: 3 })).toBe('3 offers waiting');
  });

  it("counts the board's hover titles with plurals: one answer, one contact (a lead may set a backlog threshold of 1)", () => {
    expect(translate('en', 'board.csatCellTitle', { satisfied: 1, answered: 1 })).toBe('1 of 1 answer received today rated 4 or more overall');
    expect(translate('en', 'board.csatCellTitle', { satisfied: 0, answered: 3 })).toBe('0 of 3 answers received today rated 4 or more overall');
    expect(translate('en', 'board.backlogTitle', { threshold: 1 })).toBe('More than 1 contact waiting');
    expect(translate('en', 'board.backlogTitle', { threshold: 20 })).toBe('More than 20 contacts waiting');
    expect(translate('zh-CN', 'board.backlogTitle', { threshold: 1 })).toBe('排队超过 1 个');
    expect(translate('zh-CN', 'board.csatCellTitle', { satisfied: 1, answered: 1 })).toBe('今日收到 1 份答卷，其中 1 份总体评分不低于 4 分');
  });

  it('groups the digits of a large count by the language', () => {
    expect(translate('en', 'customerHistory.count', { shown: 1000, total: 12345 })).toBe('1,000 of 12,345 tickets');
    expect(translate('en', 'customerHistory.count', { shown: 1, total: 1 })).toBe('1 of 1 ticket');
  });

  it('keeps a missing variable visible instead of failing, in either kind of message', () => {
    expect(translate('en', 'header.pending', {})).toBe('{n} pending');
    expect(translate('en', 'team.offers', {})).toContain('{n, plural');
  });
});

describe('Chinese copy', () => {
  it('puts a space where a Latin name meets Chinese text, and none around a Chinese name', () => {
    expect(translate('zh-CN', 'history.offeredTo', { name: 'Emily Chen' })).toBe('已推送给 Emily Chen');
    expect(translate('zh-CN', 'history.offeredTo', { name: '王芳' })).toBe('已推送给王芳');
    expect(translate('zh-CN', 'team.presenceOf', { name: 'Emily Chen' })).toBe('Emily Chen 的在线状态');
    expect(translate('zh-CN', 'team.capacityOf', { name: 'Emily Chen', channel: '在线客服' })).toBe('Emily Chen 的在线客服接待上限');
    // Already spaced, or next to punctuation: nothing added; English untouched.
    expect(translate('zh-CN', 'team.viewing', { id: 'GD20261205001' })).toBe('正在查看 GD20261205001');
    expect(translate('en', 'history.offeredTo', { name: 'Emily Chen' })).toBe('Offered to Emily Chen');
  });

  it('addresses the user as 您, never 你', () => {
    const tu = MESSAGE_KEYS.filter((key) => translate('zh-CN', key).includes('你'));
    expect(tu).toEqual([]);
  });
});

describe('times in the organisation time zone', () => {
  // 06:00 UTC is 14:00 in Asia/Shanghai, whatever zone this computer is in.
  const at = Date.UTC(2026, 11, 5, 6, 0);

  it('shows the organisation wall clock', () => {
    expect(formatClock('en', at)).toBe('14:00');
    expect(formatClock('zh-CN', at)).toBe('14:00');
  });

  it('shows the first hour after midnight as 00, not 24', () => {
    // 16:20 UTC is 00:20 the next day in Asia/Shanghai; `hour12: false` gave "24:20" in English on Node's ICU.
    const afterMidnight = Date.UTC(2026, 11, 6, 16, 20);
    expect(formatClock('en', afterMidnight)).toBe('00:20');
    expect(formatClock('zh-CN', afterMidnight)).toBe('00:20');
    expect(formatDateTime('en', afterMidnight)).toMatch(/00:20$/);
  });

  it('reads and writes a follow-up picker value in the organisation zone', () => {
    expect(toOrgInputValue(at)).toBe('2026-12-05 14:00');
    expect(fromOrgInputValue('2026-12-05 14:00')).toBe(at);
    expect(fromOrgInputValue('2026-12-05T14:00')).toBe(at);
    expect(fromOrgInputValue('2026-12-05T14:00:30')).toBe(at + 30_000);
    // Abuse: nothing, a date alone, garbage and an impossible time are no time.
    for (const bad of ['', '2026-12-05', 'tomorrow', '2026-13-45T99:99']) expect(fromOrgInputValue(bad)).toBeNull();
  });

  it('leaves the date out only for today in the organisation zone', () => {
    expect(formatDateTime('en', Date.now())).toMatch(/^\d{2}:\d{2}$/);
    expect(formatDateTime('en', at - 3 * 24 * 3600_000)).toBe('12/02, 14:00');
  });
});

describe('the zone the reports and the board name', () => {
  it('says China time for the default zone and the IANA name for any other, in both languages', () => {
    const en = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate('en', key, vars);
    const zh = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate('zh-CN', key, vars);
    expect([zoneName(en, 'Asia/Shanghai'), zoneName(zh, 'Asia/Shanghai')]).toEqual(['China time', '北京时间']);
    expect(zoneName(en, 'Europe/Berlin')).toBe('Europe/Berlin time');
    expect(zoneName(zh, 'Europe/Berlin')).toMatch(/^Europe\/Berlin ?时间$/);
    expect(translate('en', 'reports.range', { first: '2025-10-26', last: '2025-10-26', asOf: '10:00', zone: zoneName(en, 'Europe/Berlin') })).toBe(
      'Tickets created 2025-10-26 – 2025-10-26 (Europe/Berlin time); overdue as of 10:00',
    );
  });
});

describe('a ticket that left the agent, in the UI language (walk-8)', () => {
  const en = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate('en', key, vars);
  const zh = (key: Parameters<typeof translate>[1], vars?: Parameters<typeof translate>[2]) => translate('zh-CN', key, vars);

  it('says who moved it and to whom when the workstation saw it go, the old guess when not', () => {
    const lead = { assigneeName: 'Emily Chen', byName: '李主管', escalated: false };
    expect(describeTicketGone(en, lead)).toBe('李主管 reassigned this ticket to Emily Chen; it is no longer available to you.');
    expect(describeTicketGone(zh, lead)).toBe('李主管已将该工单改派给 Emily Chen，它已不在您的可见范围内。');
    const taken = { assigneeName: '李主管', byName: '李主管', escalated: false };
    expect(describeTicketGone(en, taken)).toBe('李主管 took this ticket over; it is no longer available to you.');
    expect(describeTicketGone(zh, taken)).toBe('李主管已接手该工单，它已不在您的可见范围内。');
    expect(describeTicketGone(zh, { assigneeName: null, byName: '李主管', escalated: false })).toBe('李主管已将该工单退回队列，它已不在您的可见范围内。');
    expect(describeTicketGone(en, { assigneeName: null, byName: null, escalated: false })).toBe(
      'This ticket went back to the queue; it is no longer available to you.',
    );
    expect(describeTicketGone(zh, { assigneeName: '赵磊', byName: null, escalated: true })).toBe('该工单已升级至二线，现由赵磊处理，已不在您的可见范围内。');
    expect(describeTicketGone(en, { assigneeName: '张强', byName: null, escalated: false })).toBe(
      'This ticket is now with 张强; it is no longer available to you.',
    );
    expect(describeTicketGone(en, undefined)).toBe('This ticket is no longer available to you (it may have been reassigned).');
  });
});

describe('a pin routing let go, in the routing history', () => {
  it('says why, not "removed by ?", when no one removed it (the pinned agent can no longer take the ticket)', () => {
    const entry = {
      id: 1,
      ticketId: 'GD20261207001',
      at: 0,
      decision: 'unpinned',
      assigneeId: null,
      assigneeName: null,
      actorName: null,
      reason: null,
      text: '',
    } as const;
    expect(describeAuditEntry((key, vars) => translate('en', key, vars), entry)).toBe('Pin removed: the pinned agent can no longer take this ticket');
    expect(describeAuditEntry((key, vars) => translate('zh-CN', key, vars), entry)).toBe('已取消固定：被固定的坐席已无法处理此工单');
    expect(describeAuditEntry((key, vars) => translate('en', key, vars), { ...entry, actorName: '李主管' })).toBe('Pin removed by 李主管');
  });
});

describe('errors in the UI language', () => {
  const notFound: UiError = { code: 'not_found', message: 'Ticket GD20261205009 was not found.' };

  it('adds the core detail in English and leaves its English out of the Chinese UI', () => {
    expect(errorText((key, vars) => translate('en', key, vars), notFound)).toBe('Not found: Ticket GD20261205009 was not found.');
    expect(errorText((key, vars) => translate('zh-CN', key, vars), notFound)).toBe('未找到');
  });
});

describe('the Chinese table against the English one', () => {
  /**
   * Latin words a Chinese contact centre uses as they are (product name, metrics, file
   * formats, key names, protocol names, time-zone and date-format names, commands).
   */
  const ALLOWED_LATIN = new Set(
    'OmniDesk SLA VIP KPI CSV XLSX HTTP API Webhook Enter Esc Tab Ctrl Shift Home End Asia Shanghai UTC YYYY MM DD CUS npm start run workstation'.split(' '),
  );
  const variables = (text: string) => [...text.matchAll(/\{(\w+)/g)].map((match) => match[1]).sort();

  it('has no English words left in a Chinese message', () => {
    const untranslated = MESSAGE_KEYS.flatMap((key) => {
      const words =
        translate('zh-CN', key)
          .replace(/\{[^}]*\}/g, '')
          .match(/[A-Za-z]{2,}/g) ?? [];
      const english = words.filter((word) => !ALLOWED_LATIN.has(word));
      return english.length > 0 ? [`${key}: ${english.join(' ')}`] : [];
    });
    expect(untranslated).toEqual([]);
  });

  it('gives every Chinese message the facts its English one has', () => {
    // A variable left out of the Chinese message would drop a fact (a name, a count) for Chinese users only.
    const differing = MESSAGE_KEYS.filter((key) => {
      const zh = new Set(variables(translate('zh-CN', key)));
      return variables(translate('en', key)).some((name) => !zh.has(name));
    });
    // Deliberately left out of Chinese: the core's English detail (see errorText and connectionProblemText).
    expect(differing.sort()).toEqual([
      'connectionProblem.cache_unreadable',
      'connectionProblem.send_failed',
      'connectionProblem.sync_failed',
      'error.withDetail',
    ]);
  });
});

describe('why the workstation is offline, in the UI language', () => {
  const say = (language: Language, problem: unknown, form?: 'full' | 'short') =>
    connectionProblemText((key, vars) => translate(language, key, vars), problem, form);

  it('words the code and its facts, with the address in the full form only', () => {
    const unreachable = { code: 'server_unreachable', serverUrl: 'http://10.0.0.5:4780' };
    expect(say('zh-CN', unreachable)).toBe('无法连接服务器 http://10.0.0.5:4780');
    expect(say('zh-CN', unreachable, 'short')).toBe('无法连接服务器');
    expect(say('en', unreachable)).toBe('Cannot reach the server at http://10.0.0.5:4780');
    expect(say('en', unreachable, 'short')).toBe('Server unreachable');
    expect(say('zh-CN', { code: 'session_expired' })).toBe('登录已过期，请重新登录');
  });

  it('tells a workstation the server refused as outdated to install the update, and that its work is kept', () => {
    const outdated = { code: 'client_outdated' };
    expect(say('en', outdated)).toBe('This workstation is too old for the server: install the update. Your work is kept and will be sent after updating.');
    expect(say('en', outdated, 'short')).toBe('Workstation too old: install the update');
    expect(say('zh-CN', outdated)).toBe('工作台版本过旧，服务器已拒绝连接：请安装更新。您的工作已保存，更新后会自动发送。');
    expect(say('zh-CN', outdated, 'short')).toBe('工作台版本过旧：请安装更新');
  });

  it('tells a workstation refused for too many connections from its network that it retries, with the address in the full form', () => {
    const crowded = { code: 'too_many_connections', serverUrl: 'http://10.0.0.5:4780' };
    expect(say('en', crowded)).toBe(
      'The server at http://10.0.0.5:4780 is refusing new connections from your network for now (too many at once); retrying automatically',
    );
    expect(say('en', crowded, 'short')).toBe('Server busy; retrying');
    expect(say('zh-CN', crowded)).toBe('服务器 http://10.0.0.5:4780 暂时拒绝来自您所在网络的新连接（同时连接过多），正在自动重试');
    expect(say('zh-CN', crowded, 'short')).toBe('服务器繁忙，正在重试');
  });

  it("keeps the core's English detail out of the Chinese sentence", () => {
    const failed = { code: 'sync_failed', detail: 'request timed out' };
    expect(say('en', failed)).toBe('Sync failed (request timed out); retrying');
    expect(say('zh-CN', failed)).toBe('同步失败，正在重试');
  });

  it('never shows what it cannot read: an English sentence from an older core, or an unknown code', () => {
    for (const problem of ['Cannot reach the server at http://x', { code: 'disk_on_fire' }, { code: 'server_unreachable' }, null]) {
      expect(say('zh-CN', problem)).toBe('与服务器的连接出现问题');
    }
  });
});

describe("the server's delivery reasons", () => {
  it('are said in the agent\'s language only, for every code the server stores (a web chat reply that did not reach the visitor read "中文 / English" in both UIs)', () => {
    for (const code of DELIVERY_FAILURE_CODES) {
      const message = { deliveryError: undeliverableError(code, 'webchat') };
      const zh = deliveryReasonText((key, vars) => translate('zh-CN', key, vars), message)!;
      const en = deliveryReasonText((key, vars) => translate('en', key, vars), message)!;
      expect(zh, code).not.toMatch(/[A-Za-z]{3,}/);
      expect(en, code).not.toMatch(/[\u4e00-\u9fff]/);
      expect(en, code).not.toContain(`${code}(`);
    }
    const reason = deliveryReasonText((key, vars) => translate('zh-CN', key, vars), { deliveryError: undeliverableError('visitor_gone', 'webchat') });
    expect(reason).toBe('访客已离开聊天，且没有留下邮箱；访客回到聊天时会看到这条回复');
  });
});

describe("the server's call summaries", () => {
  const CALLS: Record<CallSummaryCode, Pick<CallInfo, 'outcome' | 'from' | 'durationSec' | 'endedAt'>> = {
    call_missed: { outcome: 'missed', from: '13655550123', durationSec: 0, endedAt: 1 },
    call_in_progress: { outcome: 'answered', from: '13800138000', durationSec: 0, endedAt: null },
    call_answered: { outcome: 'answered', from: '13800138000', durationSec: 3792, endedAt: 1 },
  };
  const zhT = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate('zh-CN', key, vars);
  const enT = (key: Parameters<typeof translate>[1], vars?: Record<string, string | number>) => translate('en', key, vars);

  it('are said in the agent\'s language only, for every code the server stores (a call read "未接来电 … / Missed call …" in both UIs)', () => {
    for (const code of CALL_SUMMARY_CODES) {
      const text = callMessageText(CALLS[code]);
      const zh = callPreviewText(zhT, 'zh-CN', text);
      const en = callPreviewText(enT, 'en', text);
      // Numbers and IDs are the only Latin-script characters a Chinese line may hold.
      expect(zh, code).not.toMatch(/[A-Za-z]/);
      expect(en, code).not.toMatch(/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/);
      expect(en, code).not.toContain(`${code}(`);
    }
    // The number is the caller's, masked or not; durations the way each language writes them.
    expect(callPreviewText(zhT, 'zh-CN', callMessageText(CALLS.call_missed))).toBe('未接来电 13655550123，请回拨');
    expect(callPreviewText(enT, 'en', 'call_missed(136****0123): Missed call from 136****0123 — call back')).toBe('Missed call from 136****0123 — call back');
    expect(callPreviewText(zhT, 'zh-CN', callMessageText(CALLS.call_answered))).toBe('通话 1小时3分12秒');
    expect(callPreviewText(enT, 'en', callMessageText(CALLS.call_answered))).toBe('Call 1:03:12');
  });

  it('say in Chinese every word the cache search finds each call by (CALL_SEARCH_WORDS)', () => {
    for (const code of CALL_SUMMARY_CODES) {
      const zh = callPreviewText(zhT, 'zh-CN', callMessageText(CALLS[code]));
      for (const word of CALL_SEARCH_WORDS[code]) expect(zh, code).toContain(word);
    }
  });

  it("say in English every word the cache search finds an answered call's subject by (ANSWERED_CALL_SUBJECT_SEARCH_WORDS)", () => {
    const en = ticketLineText(enT, 'en', { channel: 'phone', subject: answeredCallSubject('张伟'), lastMessagePreview: '' }).toLowerCase();
    for (const word of ANSWERED_CALL_SUBJECT_SEARCH_WORDS) expect(en).toContain(word);
  });

  it('leave texts stored before, and any other text, as they are', () => {
    const old = '通话 3分12秒 / Call 3:12';
    expect(callPreviewText(enT, 'en', old)).toBe(old);
    expect(callPreviewText(zhT, 'zh-CN', '你好，我的订单三天没有物流更新了')).toBe('你好，我的订单三天没有物流更新了');
  });

  it("show a missed call's callback subject in the agent's language, and an agent's own subject as written", () => {
    const ticket = { channel: 'phone', subject: MISSED_CALL_SUBJECT, lastMessagePreview: callMessageText(CALLS.call_missed) };
    expect(ticketLineText(zhT, 'zh-CN', ticket)).toBe('未接来电，请回拨');
    expect(ticketLineText(enT, 'en', ticket)).toBe('Missed call — call back');
    // The subject as the server stores it has no English in it: it is the organisation's words, said in each UI's.
    expect(MISSED_CALL_SUBJECT).not.toMatch(/[A-Za-z]/);
    expect(ticketLineText(enT, 'en', { ...ticket, subject: '未接来电，请回拨（客户要求下午回电）' })).toBe('未接来电，请回拨（客户要求下午回电）');
    expect(ticketLineText(enT, 'en', { ...ticket, subject: '' })).toBe('Missed call from 13655550123 — call back');
  });

  it("show an answered call's subject (来电 and the caller, as the server stores it) in the agent's language, the caller as stored", () => {
    const named = { channel: 'phone', subject: answeredCallSubject('张伟'), lastMessagePreview: callMessageText(CALLS.call_answered) };
    expect(named.subject).toBe('来电 张伟');
    expect(ticketSubjectText(enT, named)).toBe('Call from 张伟');
    expect(ticketSubjectText(zhT, named)).toBe('来电 张伟');
    expect(ticketLineText(enT, 'en', named)).toBe('Call from 张伟');
    // An unknown caller's number, masked for an agent; an English name.
    expect(ticketSubjectText(enT, { channel: 'phone', subject: answeredCallSubject('138****8000') })).toBe('Call from 138****8000');
    expect(ticketSubjectText(enT, { channel: 'phone', subject: answeredCallSubject('Emily Chen') })).toBe('Call from Emily Chen');
    // Only a phone ticket's, and only with a caller: other subjects as written.
    expect(ticketSubjectText(enT, { channel: 'email', subject: '来电 张伟' })).toBe('来电 张伟');
    expect(ticketSubjectText(enT, { channel: 'phone', subject: '来电' })).toBe('来电');
    expect(ticketSubjectText(enT, { channel: 'phone', subject: '来电咨询退款' })).toBe('来电咨询退款');
  });
});

/**
 * UI strings in English and Simplified Chinese. The English dictionary defines the keys;
 * the Chinese one must have every key (the type makes a missing one a compile error).
 */
import { IntlMessageFormat } from 'intl-messageformat';
import {
  describeAssignmentReason,
  type AssignmentReason,
  type Channel,
  type RoutingBasis,
  type Priority,
  type TicketStatus,
  type TicketType,
} from '../../shared/domain.js';
import { localDayOf } from '../../shared/businessHours.js';
import { DEFAULT_ORG_TIME_ZONE, instantOfWallClock, isKnownTimeZone, wallClockOf } from '../../shared/timeZone.js';
import type { RpcErrorCode } from '../../shared/rpc.js';
import type { TicketDeparture } from '../../shared/ticketDeparture.js';
import { serverTimeOf } from './serverClock.js';
import { chatEn, chatZhCN } from './i18nChat.js';
import { connectionEn, connectionZhCN } from './i18nConnection.js';
import { ctiEn, ctiZhCN } from './i18nCti.js';
import { customersEn, customersZhCN } from './i18nCustomers.js';
import { inboxEn, inboxZhCN } from './i18nInbox.js';
import { piiEn, piiZhCN } from './i18nPii.js';
import { queueEn, queueZhCN } from './i18nQueue.js';
import { reportsEn, reportsZhCN } from './i18nReports.js';
import { adminEn, adminZhCN } from './i18nAdmin.js';
import { hoursEn, hoursZhCN } from './i18nHours.js';
import { auditEn, auditZhCN } from './i18nAudit.js';
import { boardEn, boardZhCN } from './i18nBoard.js';
import { alarmsEn, alarmsZhCN } from './i18nAlarms.js';
import { notifyEn, notifyZhCN } from './i18nNotify.js';
import { routingEn, routingZhCN } from './i18nRouting.js';
import { rulesEn, rulesZhCN } from './i18nRules.js';
import { scriptsEn, scriptsZhCN } from './i18nScripts.js';
import { knowledgeEn, knowledgeZhCN } from './i18nKnowledge.js';
import { fieldsEn, fieldsZhCN } from './i18nFields.js';
import { manualEn, manualZhCN } from './i18nManual.js';
import { attachmentsEn, attachmentsZhCN } from './i18nAttachments.js';
import { historyEn, historyZhCN } from './i18nHistory.js';
import { formIssueEn, formIssueZhCN } from './i18nFormIssue.js';
import { actionsEn, actionsZhCN } from './i18nActions.js';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const LANGUAGE_STORAGE_KEY = 'omnidesk.language';

const en = {
  ...inboxEn,
  ...historyEn,
  ...routingEn,
  ...queueEn,
  ...rulesEn,
  ...fieldsEn,
  ...manualEn,
  ...attachmentsEn,
  ...customersEn,
  ...chatEn,
  ...ctiEn,
  ...piiEn,
  ...reportsEn,
  ...adminEn,
  ...hoursEn,
  ...auditEn,
  ...boardEn,
  ...scriptsEn,
  ...knowledgeEn,
  ...alarmsEn,
  ...notifyEn,
  ...connectionEn,
  ...formIssueEn,
  ...actionsEn,
  'app.name': 'OmniDesk',
  'app.tagline': 'Omnichannel agent workstation',
  'language.label': 'Language',
  /** Between the items of a list in running text: "Phone, Chat" / "电话、在线客服". */
  'list.separator': ', ',
  'signIn.title': 'Sign in to the workstation',
  'signIn.username': 'Username',
  'signIn.password': 'Password',
  'signIn.submit': 'Sign in',
  'signIn.busy': 'Signing in…',
  'signIn.missing': 'Enter your username and password.',
  'signIn.sessionExpired': 'Your session expired. Please sign in again.',
  'signIn.sessionRevoked': 'This session was signed out on the server. Please sign in again.',
  'cacheReset.body':
    'Your password changed since you last signed in on this computer, so the tickets saved here could not be opened. They were set aside and are being downloaded again from the server.',
  'cacheReset.lostOne': 'One unsent change made on this computer could not be sent and is lost; please make it again.',
  'cacheReset.lostMany': '{count} unsent changes made on this computer could not be sent and are lost; please make them again.',
  'cacheReset.dismiss': 'OK',
  'header.signOut': 'Sign out',
  'header.userPrefix': 'Signed in as ',
  'header.userTitle': 'Signed in as {name} (user name {username})',
  'header.pending': '{n} pending',
  'header.pendingTitle': 'Local changes waiting for the server',
  'header.connection': 'Connection',
  'header.signedInOffline': 'Signed in offline',
  'header.signedInOfflineTitle': 'Signed in with the password remembered on this computer; the server will check it when it is back.',
  'header.searchIndexing': 'Indexing search {percent}%',
  'header.searchIndexingTitle': 'Search already works, more slowly, until the index of the downloaded tickets is built.',
  'header.attention': 'Needs attention ({n})',
  'connection.reconnecting': 'Reconnecting…',
  'connection.online': 'Online',
  'connection.connecting': 'Connecting…',
  'connection.syncing': 'Syncing {done}/{total}',
  'connection.syncingNoProgress': 'Syncing…',
  'connection.offline': 'Offline since {time}',
  'connection.signed_out': 'Signed out',
  'inbox.title': 'Inbox',
  'inbox.channels': 'Channels',
  'inbox.allChannels': 'All',
  'inbox.statusFilter': 'Status filter',
  'inbox.allStatuses': 'All statuses',
  'inbox.search': 'Search',
  'inbox.searchPlaceholder': 'Ticket ID, customer, subject…  ( / )',
  'inbox.tickets': 'Tickets',
  'inbox.empty': 'No tickets match.',
  'inbox.loading': 'Loading…',
  'inbox.pending': 'Pending sync',
  'inbox.draft': 'Draft',
  'inbox.draftTitle': 'A reply written offline waits to be sent',
  'inbox.followUp': 'Follow-up {time}',
  'inbox.followUpOverdue': 'Follow-up overdue {time}',
  'inbox.assignment': 'Assignment: {reason}',
  'inbox.unassigned': 'In queue',
  'reason.least_loaded': 'Routed to {assignee}: {channel} skill, fewest open tickets ({open})',
  'reason.idle_longest': ', idle longest',
  'reason.no_agent_online': 'Queued: no {channel} agent is online',
  'reason.taken_from_queue': 'Taken from the {channel} queue by {by}',
  'reason.assigned_by_lead': 'Assigned by {by}',
  'inbox.keyboardHint': 'j/k or ↑/↓ to move · Enter to open · / to search · ? for all shortcuts',
  'ticket.none': 'Select a ticket in the inbox to open it.',
  'ticket.loading': 'Loading ticket…',
  'ticket.status': 'Status',
  'ticket.channel': 'Channel',
  'ticket.priority': 'Priority',
  'ticket.type': 'Type',
  'ticket.assignee': 'Assignee',
  'ticket.created': 'Created',
  'ticket.sla': 'Resolution SLA',
  'ticket.pending': 'Pending sync',
  'ticket.conversation': 'Conversation',
  'ticket.noMessages': 'No messages yet.',
  'ticket.customerSide': 'Customer',
  'ticket.agentSide': 'Agent',
  'ticket.internalNote': 'Internal note',
  'ticket.reply': 'Reply',
  'ticket.replyPlaceholder': 'Write a reply to the customer…  (/ for scripts, Ctrl+Enter to send)',
  'ticket.send': 'Send',
  'ticket.sending': 'Sending…',
  'ticket.note': 'Internal note',
  'ticket.notePlaceholder': 'Visible to colleagues only…',
  'ticket.addNote': 'Add note',
  'ticket.saveDraft': 'Save draft',
  'ticket.offlineHint': 'will send when online',
  'ticket.replyVia': 'Reply via',
  'ticket.subject': 'Subject',
  'ticket.subjectHint': 'Blank sends “{subject}”. The ticket tag [{ticket}] is kept so the customer’s answer finds this ticket.',
  'ticket.subjectInvalid': 'The subject cannot contain line breaks or control characters.',
  'ticket.replyViaDefault': 'via {source} (as the customer wrote)',
  'ticket.replyViaOption': 'via {source}',
  'ticket.replyPlaceholderOffline': 'Offline: the reply is kept as a draft until you send it online…',
  'ticket.followUp': 'Follow-up reminder',
  'ticket.followUpSet': 'Set',
  'ticket.followUpClear': 'Clear',
  'ticket.followUpNone': 'No reminder',
  'ticket.followUpDue': 'Due {time}',
  'ticket.followUpOverdue': 'Overdue since {time}',
  'ticket.followUpInvalid': 'Choose a date and time for the reminder.',
  'draft.listLabel': 'Drafts written offline',
  'draft.labelOffline': 'Draft — will send when online',
  'draft.labelOnline': 'Draft written offline — not sent yet',
  'draft.written': 'Written {time}',
  'draft.sendNow': 'Send now',
  'draft.sendNowOffline': 'You can send it once you are back online',
  'draft.discard': 'Discard',
  'draft.confirmTitle': 'Send the draft?',
  'draft.confirmText': 'The ticket may have changed while you were offline. Send this reply now?',
  'draft.confirm': 'Confirm',
  'draft.cancel': 'Cancel',
  'ticket.gone': 'This ticket is no longer available to you (it may have been reassigned).',
  'ticket.goneTakenBy': '{by} took this ticket over; it is no longer available to you.',
  'ticket.goneReassignedBy': '{by} reassigned this ticket to {assignee}; it is no longer available to you.',
  'ticket.goneReassigned': 'This ticket is now with {assignee}; it is no longer available to you.',
  'ticket.goneEscalated': 'This ticket was escalated to tier 2 and is now with {assignee}; it is no longer available to you.',
  'ticket.goneQueuedBy': '{by} put this ticket back in the queue; it is no longer available to you.',
  'ticket.goneQueued': 'This ticket went back to the queue; it is no longer available to you.',
  'ticket.leftOut': 'This ticket was not in your last download; it may have been reassigned. Send or discard your draft.',
  'ticket.goneUnsent': 'Your reply was not sent. It is kept in this window, and is back in the reply box if the ticket comes back to you:',
  'ticket.goneUnsentNote': 'Your internal note was not added. It is kept in this window, and is back in the note box if the ticket comes back to you:',
  'ticket.dismiss': 'Dismiss',
  'customer.title': 'Customer',
  'customer.id': 'Customer ID',
  'customer.phone': 'Phone',
  'customer.email': 'Email',
  'customer.social': 'Social ID',
  'customer.vip': 'VIP tier',
  'customer.vipNone': 'Regular',
  'customer.history': 'Tickets across channels',
  'customer.noHistory': 'No other tickets.',
  'customer.current': 'open now',
  'delivery.received': 'Received',
  'delivery.queued': 'Queued',
  'delivery.sent': 'Sent',
  'delivery.failed': 'Failed to send',
  'sla.met': 'SLA met',
  'sla.stopped': 'SLA missed',
  'sla.ok': 'On time',
  'sla.at_risk': 'At risk',
  'sla.breached': 'Overdue',
  'attention.title': 'Needs attention',
  'attention.dismiss': 'Dismiss',
  'attention.intro': 'The server refused these changes, so they were undone on this computer.',
  'attention.empty': 'Nothing needs attention.',
  'attention.loading': 'Loading…',
  'attention.close': 'Close',
  'attention.ticket': 'Ticket',
  'attention.change': 'Refused change',
  'attention.reason': 'Reason',
  'attention.time': 'Time',
  'attention.keptIntro': 'What you wrote in a refused change is kept here until you dismiss it.',
  'attention.written': 'What you wrote',
  'attention.subject': 'Subject: {subject}',
  'attention.files': 'Attached files (not kept, attach them again): {names}',
  'attention.showAll': 'Show all ({n} characters)',
  'attention.copy': 'Copy text',
  'attention.copied': 'Copied.',
  'attention.copyFailed': 'Could not copy. Select the text and copy it by hand.',
  'attention.restoreReply': 'Put back in reply',
  'attention.restoreNote': 'Put back in note',
  'attention.notWritable': 'You can no longer write on this ticket. Copy the text to use it elsewhere.',
  'attention.dismissDeletes': 'Dismiss and delete the kept text',
  'attention.shownOf': 'Showing the newest {shown} of {total}.',
  'attention.showMore': 'Show {n} more',
  'change.reply': 'Reply to the customer',
  'change.note': 'Internal note',
  'change.setStatus': 'Status change',
  'change.setPriority': 'Priority change',
  'change.setFollowUp': 'Follow-up reminder',
  'error.offline': 'You are offline, and this needs the server',
  'error.conflict': 'The ticket changed in the meantime; this no longer applies',
  'channel.phone': 'Phone',
  'channel.chat': 'Chat',
  'channel.social': 'Social',
  'channel.email': 'Email',
  'status.unassigned': 'Unassigned',
  'status.in_progress': 'In progress',
  'status.awaiting_customer': 'Awaiting customer',
  'status.completed': 'Completed',
  'status.closed': 'Closed',
  'priority.urgent': 'Urgent',
  'priority.normal': 'Normal',
  'priority.low': 'Low',
  'type.consult': 'Consultation',
  'type.complaint': 'Complaint',
  'type.suggestion': 'Suggestion',
  'type.after_sales': 'After-sales',
  'type.other': 'Other',
  'error.invalid_params': 'The request was not valid',
  'error.unknown_method': 'The workstation service does not know this action',
  'error.not_signed_in': 'You are not signed in. Please sign in again.',
  'error.bad_credentials': 'Wrong username or password.',
  'error.server_unreachable': 'The server cannot be reached. Check the network and try again.',
  'error.server_not_answering': 'The server did not answer in time; it may be busy. Try again in a moment.',
  'error.rate_limited': 'Too many sign-in attempts. Try again in {minutes} min.',
  'error.not_found': 'Not found',
  'error.forbidden': 'You are not allowed to do this',
  'error.invalid_transition': 'This status change is not allowed',
  'error.core_unavailable': 'The workstation service stopped before it answered. Try again; if it keeps happening, restart OmniDesk.',
  'error.internal': 'Something went wrong',
  'error.withDetail': '{headline}: {detail}',
  'error.no_reply_route': 'No written reply can reach this customer',
  'error.routing_busy': 'Routing is busy on the server right now; nothing was changed. Please try again.',
  'error.unconfirmed':
    'The server did not confirm this in time, so it may or may not have taken effect. Check your ticket list; if it is not there, try again.',
  // The organisation's time zone as the reports and the board name it (`zoneName`).
  'zone.default': 'China time',
  'zone.named': '{zone} time',
} as const;

export type MessageKey = keyof typeof en;

/** Every message key, for tests that check the tables against each other. */
export const MESSAGE_KEYS = Object.keys(en) as MessageKey[];
type Dictionary = Record<MessageKey, string>;

const zhCN: Dictionary = {
  ...inboxZhCN,
  ...historyZhCN,
  ...routingZhCN,
  ...queueZhCN,
  ...rulesZhCN,
  ...fieldsZhCN,
  ...manualZhCN,
  ...attachmentsZhCN,
  ...customersZhCN,
  ...chatZhCN,
  ...ctiZhCN,
  ...piiZhCN,
  ...reportsZhCN,
  ...adminZhCN,
  ...hoursZhCN,
  ...auditZhCN,
  ...boardZhCN,
  ...scriptsZhCN,
  ...knowledgeZhCN,
  ...alarmsZhCN,
  ...notifyZhCN,
  ...connectionZhCN,
  ...formIssueZhCN,
  ...actionsZhCN,
  'app.name': 'OmniDesk 全渠道工作台',
  'app.tagline': '全渠道客服工作台',
  'language.label': '语言',
  'list.separator': '、',
  'signIn.title': '登录客服工作台',
  'signIn.username': '用户名',
  'signIn.password': '密码',
  'signIn.submit': '登录',
  'signIn.busy': '正在登录…',
  'signIn.missing': '请输入用户名和密码。',
  'signIn.sessionExpired': '登录已过期，请重新登录。',
  'signIn.sessionRevoked': '此会话已在服务器端退出，请重新登录。',
  'cacheReset.body': '自您上次在本机登录以来密码已更改，本机保存的工单无法打开。原数据已另行存放，正在从服务器重新下载工单。',
  'cacheReset.lostOne': '本机有 1 项更改尚未发送，已无法发送，请重新操作。',
  'cacheReset.lostMany': '本机有 {count} 项更改尚未发送，已无法发送，请重新操作。',
  'cacheReset.dismiss': '知道了',
  'header.signOut': '退出',
  'header.userPrefix': '当前用户：',
  'header.userTitle': '当前用户：{name}（用户名 {username}）',
  'header.pending': '{n} 项待同步',
  'header.pendingTitle': '尚未被服务器确认的本地更改',
  'header.connection': '连接',
  'header.signedInOffline': '离线登录',
  'header.signedInOfflineTitle': '已使用本机保存的密码登录；服务器恢复后会重新验证。',
  'header.searchIndexing': '正在建立搜索索引 {percent}%',
  'header.searchIndexingTitle': '索引建立完成前也可以搜索，只是速度较慢。',
  'header.attention': '需处理 {n}',
  'connection.reconnecting': '正在重新连接…',
  'connection.online': '在线',
  'connection.connecting': '正在连接…',
  'connection.syncing': '同步中 {done}/{total}',
  'connection.syncingNoProgress': '同步中…',
  'connection.offline': '离线（自 {time}）',
  'connection.signed_out': '未登录',
  'inbox.title': '收件箱',
  'inbox.channels': '渠道',
  'inbox.allChannels': '全部',
  'inbox.statusFilter': '状态筛选',
  'inbox.allStatuses': '全部状态',
  'inbox.search': '搜索',
  'inbox.searchPlaceholder': '工单号、客户、主题…（/）',
  'inbox.tickets': '工单',
  'inbox.empty': '没有符合条件的工单。',
  'inbox.loading': '加载中…',
  'inbox.pending': '待同步',
  'inbox.draft': '草稿',
  'inbox.draftTitle': '离线时写的回复等待发送',
  'inbox.followUp': '回访 {time}',
  'inbox.followUpOverdue': '回访已过期 {time}',
  'inbox.assignment': '分配原因：{reason}',
  'inbox.unassigned': '排队中',
  'reason.least_loaded': '已分配给{assignee}：具备{channel}技能，在办工单最少（{open}）',
  'reason.idle_longest': '，空闲最久',
  'reason.no_agent_online': '排队中：暂无在线的{channel}坐席',
  'reason.taken_from_queue': '{by}从{channel}队列领取',
  'reason.assigned_by_lead': '由{by}指派',
  'inbox.keyboardHint': 'j/k 或 ↑/↓ 移动 · Enter 打开 · / 搜索 · ? 全部快捷键',
  'ticket.none': '在左侧收件箱中选择一个工单。',
  'ticket.loading': '正在加载工单…',
  'ticket.status': '状态',
  'ticket.channel': '渠道',
  'ticket.priority': '优先级',
  'ticket.type': '类型',
  'ticket.assignee': '处理人',
  'ticket.created': '创建时间',
  'ticket.sla': '解决时限',
  'ticket.pending': '待同步',
  'ticket.conversation': '沟通记录',
  'ticket.noMessages': '暂无消息。',
  'ticket.customerSide': '客户',
  'ticket.agentSide': '客服',
  'ticket.internalNote': '内部备注',
  'ticket.reply': '回复',
  'ticket.replyPlaceholder': '回复客户…（输入 / 插入话术，Ctrl+Enter 发送）',
  'ticket.send': '发送',
  'ticket.sending': '正在发送…',
  'ticket.note': '内部备注',
  'ticket.notePlaceholder': '仅同事可见…',
  'ticket.addNote': '添加备注',
  'ticket.saveDraft': '存为草稿',
  'ticket.offlineHint': '联网后发送',
  'ticket.replyVia': '回复渠道',
  'ticket.subject': '主题',
  'ticket.subjectHint': '留空则发送“{subject}”。工单标记 [{ticket}] 会保留，以便客户的回信归入此工单。',
  'ticket.subjectInvalid': '主题不能包含换行或控制字符。',
  'ticket.replyViaDefault': '经{source}（客户来信渠道）',
  'ticket.replyViaOption': '经{source}',
  'ticket.replyPlaceholderOffline': '离线中：回复将保存为草稿，联网后再确认发送…',
  'ticket.followUp': '回访提醒',
  'ticket.followUpSet': '设置',
  'ticket.followUpClear': '清除',
  'ticket.followUpNone': '未设置提醒',
  'ticket.followUpDue': '{time} 到期',
  'ticket.followUpOverdue': '已过期（{time}）',
  'ticket.followUpInvalid': '请选择提醒的日期和时间。',
  'draft.listLabel': '离线草稿',
  'draft.labelOffline': '草稿 — 联网后发送',
  'draft.labelOnline': '离线草稿 — 尚未发送',
  'draft.written': '写于 {time}',
  'draft.sendNow': '立即发送',
  'draft.sendNowOffline': '联网后才能发送',
  'draft.discard': '删除草稿',
  'draft.confirmTitle': '发送草稿？',
  'draft.confirmText': '离线期间工单可能已有变化。现在发送这条回复吗？',
  'draft.confirm': '确认',
  'draft.cancel': '取消',
  'ticket.gone': '该工单已不在您的可见范围内（可能已被改派）。',
  'ticket.goneTakenBy': '{by}已接手该工单，它已不在您的可见范围内。',
  'ticket.goneReassignedBy': '{by}已将该工单改派给{assignee}，它已不在您的可见范围内。',
  'ticket.goneReassigned': '该工单现由{assignee}处理，已不在您的可见范围内。',
  'ticket.goneEscalated': '该工单已升级至二线，现由{assignee}处理，已不在您的可见范围内。',
  'ticket.goneQueuedBy': '{by}已将该工单退回队列，它已不在您的可见范围内。',
  'ticket.goneQueued': '该工单已退回队列，已不在您的可见范围内。',
  'ticket.leftOut': '上次重新下载的数据中没有这张工单，它可能已被改派。请发送或丢弃您的草稿。',
  'ticket.goneUnsent': '您的回复未发送。它保留在本窗口中，工单回到您手中时会重新出现在回复框里：',
  'ticket.goneUnsentNote': '您的内部备注未添加。它保留在本窗口中，工单回到您手中时会重新出现在备注框里：',
  'ticket.dismiss': '关闭',
  'customer.title': '客户信息',
  'customer.id': '客户编号',
  'customer.phone': '电话',
  'customer.email': '邮箱',
  'customer.social': '社交账号',
  'customer.vip': 'VIP 等级',
  'customer.vipNone': '普通客户',
  'customer.history': '跨渠道历史工单',
  'customer.noHistory': '没有其他工单。',
  'customer.current': '当前',
  'delivery.received': '已接收',
  'delivery.queued': '待发送',
  'delivery.sent': '已发送',
  'delivery.failed': '发送失败',
  'sla.met': '已按时完成',
  'sla.stopped': '超时完成',
  'sla.ok': '正常',
  'sla.at_risk': '即将超时',
  'sla.breached': '已超时',
  'attention.title': '需处理',
  'attention.dismiss': '知道了',
  'attention.intro': '服务器拒绝了以下更改，已在本机撤销。',
  'attention.empty': '没有需要处理的事项。',
  'attention.loading': '加载中…',
  'attention.close': '关闭',
  'attention.ticket': '工单',
  'attention.change': '被拒绝的更改',
  'attention.reason': '原因',
  'attention.time': '时间',
  'attention.keptIntro': '被拒绝的更改中您写的内容会保留在这里，点“知道了”后删除。',
  'attention.written': '您写的内容',
  'attention.subject': '主题：{subject}',
  'attention.files': '附件（未保留，请重新添加）：{names}',
  'attention.showAll': '显示全文（{n} 字）',
  'attention.copy': '复制文字',
  'attention.copied': '已复制。',
  'attention.copyFailed': '无法复制，请选中文字手动复制。',
  'attention.restoreReply': '放回回复框',
  'attention.restoreNote': '放回备注框',
  'attention.notWritable': '您已不能在该工单中编写，可复制文字另作他用。',
  'attention.dismissDeletes': '知道了，并删除保留的文字',
  'attention.shownOf': '显示最新的 {shown} 条，共 {total} 条。',
  'attention.showMore': '再显示 {n} 条',
  'change.reply': '回复客户',
  'change.note': '内部备注',
  'change.setStatus': '状态变更',
  'change.setPriority': '优先级变更',
  'change.setFollowUp': '回访提醒',
  'error.offline': '当前离线，此操作需要连接服务器',
  'error.conflict': '工单已发生变化，此操作不再适用',
  'channel.phone': '电话',
  'channel.chat': '在线客服',
  'channel.social': '社交媒体',
  'channel.email': '邮件',
  'status.unassigned': '待分配',
  'status.in_progress': '处理中',
  'status.awaiting_customer': '待反馈',
  'status.completed': '已完成',
  'status.closed': '已关闭',
  'priority.urgent': '紧急',
  'priority.normal': '普通',
  'priority.low': '低',
  'type.consult': '咨询',
  'type.complaint': '投诉',
  'type.suggestion': '建议',
  'type.after_sales': '售后',
  'type.other': '其他',
  'error.invalid_params': '请求无效',
  'error.unknown_method': '工作台服务不支持此操作',
  'error.not_signed_in': '您尚未登录，请重新登录。',
  'error.bad_credentials': '用户名或密码错误。',
  'error.server_unreachable': '无法连接服务器，请检查网络后重试。',
  'error.server_not_answering': '服务器未及时响应，可能正忙。请稍后重试。',
  'error.rate_limited': '登录尝试次数过多，请 {minutes} 分钟后再试。',
  'error.not_found': '未找到',
  'error.forbidden': '您没有权限执行此操作',
  'error.invalid_transition': '不允许此状态变更',
  'error.core_unavailable': '工作台服务在响应前停止了。请重试；如果反复出现，请重新启动 OmniDesk。',
  'error.internal': '出现错误',
  // The detail is the core's or server's English prose: the Chinese headline says it without English.
  'error.withDetail': '{headline}',
  'error.no_reply_route': '没有可以送达此客户的书面回复渠道',
  'error.routing_busy': '服务器的分配服务正忙，此操作未生效，请重试。',
  'error.unconfirmed': '服务器未能及时确认，此操作可能已生效也可能未生效。请先查看工单列表，若没有再重试。',
  'zone.default': '北京时间',
  'zone.named': '{zone}时间',
};

const DICTIONARIES: Record<Language, Dictionary> = { en, 'zh-CN': zhCN };

export type TranslateVars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: TranslateVars) => string;

/** A message with ICU arguments beyond plain `{name}` (plurals, selects, numbers): formatted by intl-messageformat. */
const ICU_ARGUMENT = /\{\s*\w+\s*,\s*(plural|selectordinal|select|number|date|time)\b/;
const compiled = new Map<string, IntlMessageFormat>();

function icuMessage(language: Language, key: MessageKey, template: string): IntlMessageFormat {
  const cacheKey = `${language}\u0000${key}`;
  let message = compiled.get(cacheKey);
  if (!message) {
    message = new IntlMessageFormat(template, language, undefined, { ignoreTag: true });
    compiled.set(cacheKey, message);
  }
  return message;
}

/**
 * A message in the user's language. Messages with plurals or selects go through
 * intl-messageformat (compiled once per language and key); the rest, most of them and some
 * on every inbox row, are plain `{name}` substitution, which is the same result without
 * the formatter's cost. A variable the caller did not give stays visible as `{name}`.
 */
export function translate(language: Language, key: MessageKey, vars?: TranslateVars): string {
  const template = DICTIONARIES[language][key];
  if (ICU_ARGUMENT.test(template)) {
    try {
      return String(icuMessage(language, key, template).format(vars ?? {}));
    } catch {
      return template; // a variable missing from the call: show the message rather than nothing
    }
  }
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string, at: number) => {
    if (!(name in vars)) return whole;
    const value = vars[name];
    if (language !== 'zh-CN' || typeof value !== 'string') return String(value);
    return spacedBetweenScripts(template[at - 1] ?? '', value, template[at + whole.length] ?? '');
  });
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/;
const LATIN_OR_DIGIT = /[A-Za-z0-9]/;

/**
 * A value put between Chinese characters, with a space on the side where Latin letters or digits
 * meet a Han character ("已推送给 Emily Chen", "Emily Chen 的在线状态"; 王芳 stays tight):
 * mixed-script spacing, so a Latin name does not run into the sentence.
 */
export function spacedBetweenScripts(before: string, value: string, after: string): string {
  const lead = HAN.test(before) && LATIN_OR_DIGIT.test(value.charAt(0)) ? ' ' : '';
  const trail = HAN.test(after) && LATIN_OR_DIGIT.test(value.charAt(value.length - 1)) ? ' ' : '';
  return lead + value + trail;
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The saved choice, else the browser's language: any Chinese variant → zh-CN, anything else → English. */
export function initialLanguage(): Language {
  try {
    const saved = localStorage.getItem(LANGUAGE_STORAGE_KEY);
    if (isLanguage(saved)) return saved;
  } catch {
    // Storage can be unavailable (privacy mode); fall back to the browser's language.
  }
  const browserLanguage = typeof navigator === 'undefined' ? '' : navigator.language;
  return browserLanguage.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

/** Tells the browser (fonts, screen readers, hyphenation) which language the page is in. */
export function applyDocumentLanguage(language: Language): void {
  if (typeof document !== 'undefined') document.documentElement.lang = language;
}

export function persistLanguage(language: Language): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Not persisting is acceptable; the choice still applies to this window.
  }
}

export function channelKey(channel: Channel): MessageKey {
  return `channel.${channel}`;
}
export function statusKey(status: TicketStatus): MessageKey {
  return `status.${status}`;
}
export function priorityKey(priority: Priority): MessageKey {
  return `priority.${priority}`;
}
export function typeKey(type: TicketType): MessageKey {
  return `type.${type}`;
}
export function errorKey(code: RpcErrorCode): MessageKey {
  return `error.${code}`;
}

/** Why a ticket is where it is, in the UI language (the server sends the facts, not a sentence). */
export function describeAssignment(t: Translate, reason: AssignmentReason, assigneeName: string | null): string {
  switch (reason.code) {
    case 'least_loaded': {
      const text = t('reason.least_loaded', { assignee: assigneeName ?? '?', channel: t(channelKey(reason.channel)), open: reason.openTickets });
      return reason.tieBreak === 'idle_longest' ? text + t('reason.idle_longest') : text;
    }
    case 'no_agent_online':
      return t('reason.no_agent_online', { channel: t(channelKey(reason.channel)) });
    case 'taken_from_queue':
      return t('reason.taken_from_queue', { channel: t(channelKey(reason.channel)), by: reason.byName });
    case 'assigned_by_lead':
      return assigneeName === null ? t('reason.put_back_by_lead', { by: reason.byName }) : t('reason.assigned_by_lead', { by: reason.byName });
    case 'vip_senior':
      return t('reason.vip_senior', { assignee: assigneeName ?? '?', tier: reason.vipTier, open: reason.openTickets });
    case 'urgent_senior':
      return t('reason.urgent_senior', { assignee: assigneeName ?? '?', open: reason.openTickets });
    case 'returning_customer':
      return reason.previousTicketId
        ? t('reason.returning_customer_ticket', { assignee: assigneeName ?? '?', ticket: reason.previousTicketId })
        : t('reason.returning_customer', { assignee: assigneeName ?? '?' });
    case 'escalated_tier2':
      return t('reason.escalated_tier2', { assignee: assigneeName ?? '?', by: reason.escalatedBy, open: reason.openTickets });
    case 'pinned':
      return t('reason.pinned', { assignee: assigneeName ?? '?', by: reason.byName });
    case 'offer_accepted':
      return t('reason.offer_accepted', {
        assignee: assigneeName ?? '?',
        channel: t(channelKey(reason.channel)),
        basis: describeRoutingBasis(t, reason.basis, reason.channel),
      });
    case 'queued':
      return t('reason.queued', { channel: t(channelKey(reason.channel)), cause: t(`cause.${reason.cause}`) });
    case 'requeued_agent_offline':
      return t('reason.requeued_agent_offline', { channel: t(channelKey(reason.channel)), agent: reason.agentName });
    case 'call_answered':
      return t('reason.call_answered', { by: reason.byName, extension: reason.extension });
    case 'created_by_hand':
      return t(reason.queued ? 'reason.created_by_handQueued' : 'reason.created_by_hand', { by: reason.byName });
    case 'transferred':
      return reason.group === null
        ? t('reason.transferred', { assignee: assigneeName ?? '?', by: reason.byName })
        : t('reason.transferredToGroup', { group: t(`group.${reason.group}`), by: reason.byName });
    default:
      // A reason newer than this build: the shared English sentence says the facts rather than nothing.
      return describeAssignmentReason(reason, assigneeName);
  }
}

/**
 * Why the open ticket is gone, by whom and to whom when the workstation saw it leave (walk-8:
 * an agent whose ticket a lead took was told only "it may have been reassigned").
 */
export function describeTicketGone(t: Translate, departure: TicketDeparture | undefined): string {
  if (!departure) return t('ticket.gone');
  const { assigneeName: assignee, byName: by } = departure;
  if (assignee === null) return by ? t('ticket.goneQueuedBy', { by }) : t('ticket.goneQueued');
  if (departure.escalated) return t('ticket.goneEscalated', { assignee });
  if (by === assignee) return t('ticket.goneTakenBy', { by });
  return by ? t('ticket.goneReassignedBy', { by, assignee }) : t('ticket.goneReassigned', { assignee });
}

/** The rule that chose an agent, as a phrase ("VIP customer, you are a senior agent"). */
export function describeRoutingBasis(t: Translate, basis: RoutingBasis, channel: Channel): string {
  return t(`basis.${basis}`, { channel: t(channelKey(channel)) });
}

/**
 * Times are shown in the organisation's time zone (policies `timeZone`, default Asia/Shanghai:
 * the zone of its business hours), whatever the zone of the agent's computer: a follow-up set
 * for 14:00 is 14:00 for every agent and lead. The store sets the zone (`setOrgTimeZone`) from
 * the core's session and its `organisation` event, before it re-renders with it. Formatters
 * are made once per language and zone: a new `Intl.DateTimeFormat` costs more than the
 * formatting, and timelines and lists show many.
 */
let orgTimeZone = DEFAULT_ORG_TIME_ZONE;
const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** The zone times are shown in from now on; an unknown name (never validated here) keeps the current one. */
export function setOrgTimeZone(timeZone: string): void {
  if (timeZone !== orgTimeZone && isKnownTimeZone(timeZone)) orgTimeZone = timeZone;
}

/** The zone times are shown in. */
export function currentOrgTimeZone(): string {
  return orgTimeZone;
}

/**
 * Server − this computer's clock (ConnectionState.serverClockOffsetMs), set by the store with each
 * connection state before it re-renders: "today" is the server's day in the organisation's zone, as
 * the reports and the core count days, not that of a computer whose clock is off (a time of today
 * shown with a date, or one of yesterday without). Null: the local clock.
 */
let serverClockOffsetMs: number | null = null;

export function setServerClockOffset(offsetMs: number | null): void {
  serverClockOffsetMs = offsetMs;
}

/** Whether a time is on today's date in the organisation's zone, today by the server's clock. */
function isOrgToday(epochMs: number): boolean {
  return localDayOf(epochMs, orgTimeZone).date === localDayOf(serverTimeOf(serverClockOffsetMs, Date.now()), orgTimeZone).date;
}

function orgTimeFormat(language: Language, withDate: boolean): Intl.DateTimeFormat {
  const key = `${language}|${String(withDate)}|${orgTimeZone}`;
  let format = timeFormats.get(key);
  if (!format) {
    const time = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: orgTimeZone } as const;
    format = new Intl.DateTimeFormat(language, withDate ? { ...time, month: '2-digit', day: '2-digit' } : time);
    timeFormats.set(key, format);
  }
  return format;
}

/**
 * The organisation's time zone as a label says it ("China time" / 北京时间 for the default
 * Asia/Shanghai, else its IANA name: "Europe/Berlin time"): the reports and the board name
 * the zone their days and hours are in.
 */
export function zoneName(t: Translate, timeZone: string): string {
  return timeZone === DEFAULT_ORG_TIME_ZONE ? t('zone.default') : t('zone.named', { zone: timeZone });
}

/** Time of day in the UI language and the organisation's time zone, e.g. "10:42". */
export function formatClock(language: Language, epochMs: number): string {
  return orgTimeFormat(language, false).format(epochMs);
}

/** Date and time in the organisation's time zone, with the date left out when it is today there. */
export function formatDateTime(language: Language, epochMs: number): string {
  return orgTimeFormat(language, !isOrgToday(epochMs)).format(epochMs);
}

/**
 * `formatDateTime` in two parts, for a narrow place that stacks them (the customer history's
 * entries): the date ("12/05"; null when it is today in the organisation's zone) and the clock.
 */
export function formatDateAndClock(language: Language, epochMs: number): { date: string | null; clock: string } {
  if (isOrgToday(epochMs)) return { date: null, clock: formatClock(language, epochMs) };
  const key = `${language}|date|${orgTimeZone}`;
  let format = timeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(language, { month: '2-digit', day: '2-digit', timeZone: orgTimeZone });
    timeFormats.set(key, format);
  }
  return { date: format.format(epochMs), clock: formatClock(language, epochMs) };
}

/**
 * `YYYY-MM-DD HH:mm` in the organisation's time zone: the follow-up field's text. A text field, not
 * `datetime-local`, which Chromium writes in the browser's locale whatever the UI language.
 */
export function toOrgInputValue(epochMs: number): string {
  return new Date(wallClockOf(orgTimeZone, epochMs)).toISOString().slice(0, 16).replace('T', ' ');
}

/** The inverse of `toOrgInputValue` (a "T" between date and time is read too); null for an empty or unreadable value. */
export function fromOrgInputValue(value: string): number | null {
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(text)) return null;
  // With "Z" the string is read as UTC: the organisation's wall clock on a UTC time line.
  const wall = new Date(`${text.replace(' ', 'T')}Z`).getTime();
  if (!Number.isFinite(wall)) return null;
  const epochMs = instantOfWallClock(orgTimeZone, wall);
  return epochMs >= 0 ? epochMs : null;
}

/**
 * The strings of the customer's whole history in the customer panel (read-only, paged,
 * "as of" when read from the cache offline) and of collision on a ticket (who else is viewing
 * or typing, and the warning before sending on a ticket that changed), spread into the
 * dictionaries of i18n.ts.
 */

export const historyEn = {
  'history.title': 'History on every channel',
  'history.count': '{shown} of {total} tickets',
  'history.more': 'More',
  'history.moreTitle': 'Show older tickets of this customer',
  'history.loading': 'Loading history…',
  'history.asOf': 'Offline: as of {time}',
  'history.readOnly': 'Read-only',
  'history.readOnlyTitle': 'Another agent’s ticket: shown for context, no actions',
  'history.handledBy': 'Handled by {name}',
  'history.unassigned': 'In the queue',
  'history.open': 'Open',
  'history.openTitle': 'Open {id}',
  'history.current': 'This ticket',
  'history.messages': 'Messages ({shown} of {n})',
  'history.noMessages': 'No messages.',
  'history.empty': 'No earlier tickets.',
  'history.unavailable': 'The full history needs the server, and none is kept on this workstation. Tickets you hold:',
  'history.failed': 'The history could not be loaded: {reason}',
  'history.customer': 'Customer',
} as const;

export type HistoryMessageKey = keyof typeof historyEn;

export const historyZhCN: Record<HistoryMessageKey, string> = {
  'history.title': '全渠道历史',
  'history.count': '已显示 {shown} / 共 {total} 个工单',
  'history.more': '更多',
  'history.moreTitle': '显示该客户更早的工单',
  'history.loading': '正在加载历史…',
  'history.asOf': '离线：截至 {time}',
  'history.readOnly': '只读',
  'history.readOnlyTitle': '其他坐席的工单：仅供参考，不能操作',
  'history.handledBy': '处理人 {name}',
  'history.unassigned': '排队中',
  'history.open': '打开',
  'history.openTitle': '打开 {id}',
  'history.current': '当前工单',
  'history.messages': '消息（{shown} / {n}）',
  'history.noMessages': '没有消息。',
  'history.empty': '没有更早的工单。',
  'history.unavailable': '完整历史需要连接服务器，本机没有保存。您持有的工单：',
  'history.failed': '历史加载失败：{reason}',
  'history.customer': '客户',
};

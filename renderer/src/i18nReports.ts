/**
 * The Reports view's strings (leads and admins), spread into the dictionaries of i18n.ts.
 * Column headers and row names come from shared/reports.ts, so the screen and the exported
 * files say the same words.
 */

export const reportsEn = {
  'view.reports': 'Reports',
  'reports.title': 'Reports',
  'reports.period': 'Period',
  'reports.period.day': 'Day',
  'reports.period.week': 'Week (Mon–Sun)',
  'reports.period.month': 'Month',
  'reports.date': 'Date (YYYY-MM-DD)',
  'reports.by': 'Group by',
  'reports.by.channel': 'Channel',
  'reports.by.type': 'Type',
  'reports.by.group': 'Group',
  'reports.by.agent': 'Agent',
  'reports.refresh': 'Refresh',
  'reports.loading': 'Loading…',
  'reports.connecting': 'Connecting to the server… the report loads as soon as it answers.',
  'reports.range': 'Tickets created {first} – {last} ({zone}); overdue as of {asOf}',
  'reports.table': 'KPIs of the tickets created in the period',
  'reports.exportCsv': 'Export CSV',
  'reports.exportXlsx': 'Export XLSX',
  'reports.exporting': 'Exporting {format}…',
  'reports.exported': 'Saved {fileName}.',
  'reports.exportFailed': 'The export failed: {reason}',
  'reports.failed': 'The report could not be loaded: {reason}',
  'reports.needsServer': 'Reports are computed by the server, and it cannot be reached now. Connect and try again.',
  'reports.empty': 'No tickets were created in this period.',
  'reports.notes':
    'First response: the first written reply, or an agent answering the call (phone). Handling time: from creation to completion. Overdue: completed after the due time, or still open past it; overdue rate = overdue / tickets. SLA compliance: on time / tickets already judged. First-contact resolution: completed without the customer writing again after the first reply. CSAT: the mean score (1–5) of the answered surveys of these tickets (each answer the mean of its four ratings); “—” when none was answered; response rate = answered / sent surveys.',
};

export const reportsZhCN: Record<keyof typeof reportsEn, string> = {
  'view.reports': '报表',
  'reports.title': '报表',
  'reports.period': '统计周期',
  'reports.period.day': '日',
  'reports.period.week': '周（周一至周日）',
  'reports.period.month': '月',
  'reports.date': '日期（YYYY-MM-DD）',
  'reports.by': '分组方式',
  'reports.by.channel': '渠道',
  'reports.by.type': '需求类型',
  'reports.by.group': '技能组',
  'reports.by.agent': '客服',
  'reports.refresh': '刷新',
  'reports.loading': '正在加载…',
  'reports.connecting': '正在连接服务器…连接后将自动加载报表。',
  'reports.range': '{first} 至 {last} 新建的工单（{zone}）；超时判定截至 {asOf}',
  'reports.table': '本周期新建工单的 KPI',
  'reports.exportCsv': '导出 CSV',
  'reports.exportXlsx': '导出 XLSX',
  'reports.exporting': '正在导出 {format}…',
  'reports.exported': '已保存 {fileName}。',
  'reports.exportFailed': '导出失败：{reason}',
  'reports.failed': '报表加载失败：{reason}',
  'reports.needsServer': '报表由服务器计算，当前无法连接服务器。请连接后重试。',
  'reports.empty': '此周期内没有新建工单。',
  'reports.notes':
    '首次响应：第一条书面回复，电话为坐席接听来电。处理时长：从创建到完成。超时：完成时间晚于截止时间，或截止后仍未完成；超时率 = 超时数 / 工单量。SLA 达成率：按时完成数 / 已可判定的工单数。首次解决：完成且客户在首次回复后未再来信。满意度：这些工单已回答的满意度回访的平均分（1–5，每份答卷取四项评分的平均）；无人回答时显示“—”；回访率 = 已回答 / 已发送的回访。',
};

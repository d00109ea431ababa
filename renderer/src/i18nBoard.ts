/**
 * The channel board's strings (leads and admins), spread into the dictionaries of i18n.ts.
 * Channel names and the KPI column words come from shared/reports.ts, so the board, the
 * Reports view and the exported files say the same words.
 */

export const boardEn = {
  'view.board': 'Board',
  'board.title': 'Channel board',
  'board.table': 'Live status of each channel',
  'board.channel': 'Channel',
  'board.pending': 'Pending',
  'board.inProgress': 'In progress',
  'board.completedToday': 'Completed today',
  'board.todayTotal': 'Today’s tickets',
  'board.csatToday': 'CSAT today',
  'board.updated': 'Live — today {day} (China time), updated {at}',
  'board.waiting': 'Waiting for the server’s first board…',
  'board.backlog': 'Backlog',
  'board.backlogTitle': 'More than {threshold} contacts waiting',
  'board.overdueTitle': 'Tickets of today are overdue',
  'board.queues': 'Queues by group',
  'board.queuesEmpty': 'Nobody is waiting in any queue.',
  'board.group': 'Group',
  'board.queueWaiting': 'Waiting',
  'board.longestWait': 'Longest wait',
  'board.atRisk': 'About to breach',
  'board.notes':
    'Pending: open tickets nobody holds (queued or offered). In progress: open tickets an agent holds. Today’s figures are the tickets created today (China time), as in the day report; overdue rate = overdue / today’s tickets. Highlighted: any overdue ticket, or more than {threshold} pending. CSAT: the mean score (1–5) of the answered surveys of these tickets (each answer the mean of its four ratings); “—” when none was answered.',
};

export const boardZhCN: Record<keyof typeof boardEn, string> = {
  'view.board': '渠道看板',
  'board.title': '渠道处理状态跟踪表',
  'board.table': '各渠道实时处理状态',
  'board.channel': '渠道',
  'board.pending': '待处理',
  'board.inProgress': '处理中',
  'board.completedToday': '今日已完成',
  'board.todayTotal': '今日工单',
  'board.csatToday': '今日满意度',
  'board.updated': '实时 — 今日 {day}（北京时间），更新于 {at}',
  'board.waiting': '正在等待服务器的第一份看板…',
  'board.backlog': '积压',
  'board.backlogTitle': '排队超过 {threshold} 个',
  'board.overdueTitle': '今日有超时工单',
  'board.queues': '各队列排队情况',
  'board.queuesEmpty': '当前各队列无人排队。',
  'board.group': '技能组',
  'board.queueWaiting': '排队数',
  'board.longestWait': '最长等待',
  'board.atRisk': '即将超时',
  'board.notes':
    '待处理：无人接手的未结工单（排队中或正在分配）。处理中：客服手上的未结工单。今日数据为今日（北京时间）新建的工单，与日报表一致；超时率 = 超时数 / 今日工单数。高亮：有超时工单，或待处理超过 {threshold} 个。满意度：这些工单已回答的满意度回访的平均分（1–5，每份答卷取四项评分的平均）；无人回答时显示“—”。',
};

/**
 * The reports contract: `GET /api/v1/reports` query and answer (public HTTP API), and the
 * words of the exported files in Chinese and English (column headers, channel, type and
 * group names), shared by the server's CSV/XLSX and the lead's Reports view. The arithmetic
 * is in kpi.ts.
 */
import { z } from 'zod';
import { timeZoneSchema } from './timeZone.js';
import { CHANNELS, TICKET_GROUPS, TICKET_TYPES, type Channel, type TicketGroup, type TicketType } from './domain.js';
import { REPORT_DIMENSIONS, REPORT_PERIODS, parseLocalDate, type KpiRow, type Kpis, type ReportDimension } from './kpi.js';

/** The earliest date a report may be asked for: nothing the centre records is older (see EARLIEST_PLAUSIBLE_MS). */
export const EARLIEST_REPORT_DATE = '2000-01-01';

export const REPORT_FORMATS = ['json', 'csv', 'xlsx'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export const REPORT_LANGUAGES = ['zh', 'en'] as const;
export type ReportLanguage = (typeof REPORT_LANGUAGES)[number];

const reportDateSchema = z
  .string()
  .max(10, { message: 'must be a date like 2024-11-08' })
  .refine((text) => parseLocalDate(text) !== null, { message: 'must be a calendar date like 2024-11-08' })
  .refine((text) => text >= EARLIEST_REPORT_DATE, { message: `must not be before ${EARLIEST_REPORT_DATE}` });

/** What a report is of: the period containing `date` (China local time), grouped `by`. The server also refuses dates after today. */
export const reportRequestSchema = z
  .object({
    period: z.enum(REPORT_PERIODS, { message: `must be one of ${REPORT_PERIODS.join(', ')}` }),
    date: reportDateSchema,
    by: z.enum(REPORT_DIMENSIONS, { message: `must be one of ${REPORT_DIMENSIONS.join(', ')}` }).default('channel'),
  })
  .strict();
export type ReportRequest = z.infer<typeof reportRequestSchema>;

/** The HTTP query adds the file format and the language of its words (Chinese unless `lang=en`). */
export const reportQuerySchema = reportRequestSchema
  .extend({
    format: z.enum(REPORT_FORMATS, { message: `must be one of ${REPORT_FORMATS.join(', ')}` }).default('json'),
    lang: z.enum(REPORT_LANGUAGES, { message: `must be one of ${REPORT_LANGUAGES.join(', ')}` }).default('zh'),
  })
  .strict();
export type ReportQuery = z.infer<typeof reportQuerySchema>;

/** A report as a file (the workstation's Export buttons): the request plus the format and the words' language. */
export const reportExportRequestSchema = reportRequestSchema
  .extend({
    format: z.enum(['csv', 'xlsx'], { message: 'must be one of csv, xlsx' }),
    lang: z.enum(REPORT_LANGUAGES, { message: `must be one of ${REPORT_LANGUAGES.join(', ')}` }),
  })
  .strict();
export type ReportExportRequest = z.infer<typeof reportExportRequestSchema>;

const count = z.number().int().nonnegative();
const fraction = z.number().min(0).max(1).nullable();
const duration = z.number().nonnegative().nullable();

export const kpisSchema = z.object({
  volume: count,
  responded: count,
  avgFirstResponseMs: duration,
  resolved: count,
  avgHandlingMs: duration,
  slaJudged: count,
  slaMet: count,
  slaCompliance: fraction,
  overdue: count,
  overdueRate: fraction,
  firstContactResolved: count,
  firstContactResolution: fraction,
  csatAverage: z.number().min(1).max(5).nullable(),
  csatResponseRate: fraction,
}) satisfies z.ZodType<Kpis>;

export const kpiRowSchema = z.object({
  key: z.string().max(64).nullable(),
  name: z.string().max(100).nullable(),
  kpis: kpisSchema,
}) satisfies z.ZodType<KpiRow>;

/** A report as JSON: the period's bounds, when overdue was judged, one row per group and the total. */
export const reportSchema = z.object({
  period: z.enum(REPORT_PERIODS),
  by: z.enum(REPORT_DIMENSIONS),
  /** The organisation's time zone when the report was asked for (IANA name): the period's days are its. */
  timeZone: timeZoneSchema,
  firstDay: z.string().max(10),
  lastDay: z.string().max(10),
  start: z.number().int(),
  end: z.number().int(),
  /** Open tickets are judged overdue as of this time (the server's clock when it answered). */
  asOf: z.number().int(),
  rows: z.array(kpiRowSchema).max(10_000),
  total: kpisSchema,
});
export type Report = z.infer<typeof reportSchema>;

// ---------------------------------------------------------------------------------------
// Words of the exported files

/** The columns of a report, in order, after the group column. */
export const REPORT_COLUMNS = [
  'volume',
  'avgFirstResponseMinutes',
  'avgHandlingMinutes',
  'slaCompliance',
  'overdue',
  'overdueRate',
  'firstContactResolution',
  'csatAverage',
  'csatResponseRate',
] as const;
export type ReportColumn = (typeof REPORT_COLUMNS)[number];

interface ReportWords {
  dimension: Record<ReportDimension, string>;
  column: Record<ReportColumn, string>;
  channel: Record<Channel, string>;
  type: Record<TicketType, string>;
  group: Record<TicketGroup, string>;
  noGroup: string;
  unassigned: string;
  total: string;
  period: string;
}

export const REPORT_WORDS: Record<ReportLanguage, ReportWords> = {
  zh: {
    dimension: { channel: '渠道', type: '需求类型', group: '技能组', agent: '客服' },
    column: {
      volume: '工单量',
      avgFirstResponseMinutes: '平均首次响应时长（分钟）',
      avgHandlingMinutes: '平均处理时长（分钟）',
      slaCompliance: 'SLA 达成率',
      overdue: '超时数',
      overdueRate: '超时率',
      firstContactResolution: '首次解决率',
      csatAverage: '满意度均分',
      csatResponseRate: '满意度回访率',
    },
    channel: { phone: '电话', chat: '在线客服', social: '社交媒体', email: '邮件' },
    type: { consult: '咨询', complaint: '投诉', suggestion: '建议', after_sales: '售后', other: '其他' },
    group: { orders: '订单', after_sales: '售后', technical: '技术', billing: '账务' },
    noGroup: '未分组',
    unassigned: '未分配',
    total: '合计',
    period: '统计周期',
  },
  en: {
    dimension: { channel: 'Channel', type: 'Type', group: 'Group', agent: 'Agent' },
    column: {
      volume: 'Tickets',
      avgFirstResponseMinutes: 'Avg first response (min)',
      avgHandlingMinutes: 'Avg handling time (min)',
      slaCompliance: 'SLA compliance',
      overdue: 'Overdue',
      overdueRate: 'Overdue rate',
      firstContactResolution: 'First-contact resolution',
      csatAverage: 'CSAT average',
      csatResponseRate: 'CSAT response rate',
    },
    channel: { phone: 'Phone', chat: 'Chat', social: 'Social', email: 'Email' },
    type: { consult: 'Consultation', complaint: 'Complaint', suggestion: 'Suggestion', after_sales: 'After-sales', other: 'Other' },
    group: { orders: 'Orders', after_sales: 'After-sales', technical: 'Technical', billing: 'Billing' },
    noGroup: 'No group',
    unassigned: 'Unassigned',
    total: 'Total',
    period: 'Period',
  },
};

/** The keys every report by `by` lists even when they have no tickets (agents come and go, so none). */
export function fixedReportKeys(by: ReportDimension): readonly string[] {
  switch (by) {
    case 'channel':
      return CHANNELS;
    case 'type':
      return TICKET_TYPES;
    case 'group':
      return TICKET_GROUPS;
    case 'agent':
      return [];
  }
}

function isOneOf<T extends string>(values: readonly T[], key: string): key is T {
  return (values as readonly string[]).includes(key);
}

/** A row's name in `lang`: the channel, type or group in words, the agent's name, or "unassigned" / "no group". */
export function reportRowLabel(row: KpiRow, by: ReportDimension, lang: ReportLanguage): string {
  const words = REPORT_WORDS[lang];
  if (row.key === null) return by === 'group' ? words.noGroup : by === 'agent' ? words.unassigned : '—';
  if (by === 'channel' && isOneOf(CHANNELS, row.key)) return words.channel[row.key];
  if (by === 'type' && isOneOf(TICKET_TYPES, row.key)) return words.type[row.key];
  if (by === 'group' && isOneOf(TICKET_GROUPS, row.key)) return words.group[row.key];
  return row.name ?? row.key;
}

/** A column's value as a number (minutes, fractions, counts) or null for "—". */
export function reportCell(kpis: Kpis, column: ReportColumn): number | null {
  const minutes = (ms: number | null) => (ms === null ? null : ms / 60_000);
  switch (column) {
    case 'volume':
      return kpis.volume;
    case 'avgFirstResponseMinutes':
      return minutes(kpis.avgFirstResponseMs);
    case 'avgHandlingMinutes':
      return minutes(kpis.avgHandlingMs);
    case 'slaCompliance':
      return kpis.slaCompliance;
    case 'overdue':
      return kpis.overdue;
    case 'overdueRate':
      return kpis.overdueRate;
    case 'firstContactResolution':
      return kpis.firstContactResolution;
    case 'csatAverage':
      return kpis.csatAverage;
    case 'csatResponseRate':
      return kpis.csatResponseRate;
  }
}

/** How a column's number is written: a percentage, minutes with one decimal, or a count. */
export function reportColumnKind(column: ReportColumn): 'percent' | 'minutes' | 'count' | 'score' {
  switch (column) {
    case 'slaCompliance':
    case 'overdueRate':
    case 'firstContactResolution':
    case 'csatResponseRate':
      return 'percent';
    case 'avgFirstResponseMinutes':
    case 'avgHandlingMinutes':
      return 'minutes';
    case 'csatAverage':
      return 'score';
    case 'volume':
    case 'overdue':
      return 'count';
  }
}

/** A cell as text: `16.67%`, `2.7`, `12`, `4.50`, or `—` when there is nothing to measure. */
export function formatReportCell(kpis: Kpis, column: ReportColumn): string {
  const value = reportCell(kpis, column);
  if (value === null) return '—';
  switch (reportColumnKind(column)) {
    case 'percent':
      return `${(value * 100).toFixed(2)}%`;
    case 'minutes':
      return value.toFixed(1);
    case 'score':
      return value.toFixed(2);
    case 'count':
      return String(value);
  }
}

/** The file name of an export: `report-week-2024-11-04-channel.csv`. */
export function reportFileName(report: Pick<Report, 'period' | 'firstDay' | 'by'>, format: Exclude<ReportFormat, 'json'>): string {
  return `report-${report.period}-${report.firstDay}-${report.by}.${format}`;
}

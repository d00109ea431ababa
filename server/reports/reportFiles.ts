/**
 * A report as a file a spreadsheet opens with its Chinese intact: CSV (UTF-8 with a BOM,
 * CRLF lines, RFC 4180 quoting) and XLSX (ExcelJS, real numbers with percent and minute
 * formats). The words come from shared/reports.ts in the language asked for.
 */
import ExcelJS from 'exceljs';
import {
  REPORT_COLUMNS,
  REPORT_WORDS,
  formatReportCell,
  reportCell,
  reportColumnKind,
  reportRowLabel,
  type Report,
  type ReportLanguage,
} from '../../shared/reports.js';
import type { Kpis } from '../../shared/kpi.js';

/** What makes Excel, LibreOffice and Numbers read a CSV as UTF-8 rather than the locale's code page (GBK in China). */
export const UTF8_BOM = '\uFEFF';

function periodText(report: Report): string {
  return report.firstDay === report.lastDay ? report.firstDay : `${report.firstDay}~${report.lastDay}`;
}

function headerOf(report: Report, lang: ReportLanguage): string[] {
  const words = REPORT_WORDS[lang];
  return [words.period, words.dimension[report.by], ...REPORT_COLUMNS.map((column) => words.column[column])];
}

/** The body rows: one per group, then the total. */
function bodyOf(report: Report, lang: ReportLanguage): Array<{ label: string; kpis: Kpis }> {
  return [
    ...report.rows.map((row) => ({ label: reportRowLabel(row, report.by, lang), kpis: row.kpis })),
    { label: REPORT_WORDS[lang].total, kpis: report.total },
  ];
}

/**
 * A text cell that cannot run as a formula: a spreadsheet treats a leading = + - @ (or a
 * tab / carriage return before one) as a formula, and agent names are typed by people.
 */
function inertText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(report: Report, lang: ReportLanguage): string {
  const period = periodText(report);
  const lines = [
    headerOf(report, lang),
    ...bodyOf(report, lang).map(({ label, kpis }) => [period, inertText(label), ...REPORT_COLUMNS.map((column) => formatReportCell(kpis, column))]),
  ];
  return UTF8_BOM + lines.map((cells) => cells.map(csvField).join(',')).join('\r\n') + '\r\n';
}

const NUMBER_FORMATS = { percent: '0.00%', minutes: '0.0', score: '0.00', count: '0' } as const;

export async function reportXlsx(report: Report, lang: ReportLanguage): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'OmniDesk';
  const sheet = workbook.addWorksheet(lang === 'zh' ? '报表' : 'Report', { views: [{ state: 'frozen', ySplit: 1 }] });
  const header = sheet.addRow(headerOf(report, lang));
  header.font = { bold: true };
  const period = periodText(report);
  for (const { label, kpis } of bodyOf(report, lang)) {
    // Text cells are written as strings: ExcelJS never turns a string into a formula.
    const row = sheet.addRow([period, label, ...REPORT_COLUMNS.map((column) => reportCell(kpis, column) ?? '—')]);
    REPORT_COLUMNS.forEach((column, index) => {
      row.getCell(index + 3).numFmt = NUMBER_FORMATS[reportColumnKind(column)];
    });
  }
  sheet.lastRow!.font = { bold: true };
  sheet.columns.forEach((column, index) => {
    column.width = index < 2 ? 22 : 16;
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

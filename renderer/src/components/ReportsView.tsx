import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { REPORT_DIMENSIONS, REPORT_PERIODS, localDateOf, parseLocalDate, type ReportDimension, type ReportPeriod } from '../../../shared/kpi.js';
import {
  EARLIEST_REPORT_DATE,
  REPORT_COLUMNS,
  REPORT_WORDS,
  formatReportCell,
  reportColumnKind,
  reportRowLabel,
  type ReportLanguage,
} from '../../../shared/reports.js';
import { formatDateTime, type Translate, zoneName } from '../i18n.js';
import { useAppStore, useT } from '../store/react.js';
import type { ReportFileFormat } from '../store/reportSlice.js';
import type { UiError } from '../store/types.js';
import { errorText } from './errorText.js';
import { saveDownload } from './saveDownload.js';
import { useNow } from './useNow.js';

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

function isServerNeeded(error: UiError): boolean {
  return error.code === 'offline' || error.code === 'server_unreachable';
}

/** Offline or unreachable: the report is the server's to compute, so say that rather than a generic error. */
function reportErrorText(t: Translate, error: UiError): string {
  return isServerNeeded(error) ? t('reports.needsServer') : errorText(t, error);
}

/** The period, date and grouping pickers; a date is applied once it is a whole calendar date. */
function ReportPickers() {
  const t = useT();
  // Dates are the organisation's (the server's day boundaries), whatever the computer's time zone.
  const timeZone = useAppStore((s) => s.orgTimeZone);
  const today = localDateOf(useNow(), timeZone);
  const { request, setReportRequest, loadReport, loading } = useAppStore(
    useShallow((s) => ({ request: s.reportRequest, setReportRequest: s.setReportRequest, loadReport: s.loadReport, loading: s.reportLoading })),
  );
  const [date, setDate] = useState(request.date);
  // The day asked for changed from outside the field (today followed the server's clock or the organisation's zone): the field shows it.
  const [requestDate, setRequestDate] = useState(request.date);
  if (request.date !== requestDate) {
    setRequestDate(request.date);
    setDate(request.date);
  }
  const usable = (value: string) => parseLocalDate(value) !== null && value >= EARLIEST_REPORT_DATE && value <= today;
  return (
    <div className="reports-pickers">
      <label>
        {t('reports.period')}
        <select
          value={request.period}
          onChange={(e) => {
            if (isOneOf<ReportPeriod>(REPORT_PERIODS, e.target.value)) setReportRequest({ period: e.target.value });
          }}
        >
          {REPORT_PERIODS.map((period) => (
            <option key={period} value={period}>
              {t(`reports.period.${period}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('reports.date')}
        {/* A text field with its format in the label, not type="date": Chromium writes a date field in the
            browser's locale (年/月/日 in an English UI on a Chinese system), whatever the UI language. */}
        <input
          type="text"
          className="reports-date"
          inputMode="numeric"
          autoComplete="off"
          spellCheck={false}
          maxLength={10}
          placeholder="YYYY-MM-DD"
          value={date}
          required
          aria-invalid={!usable(date) || undefined}
          onChange={(e) => {
            setDate(e.target.value);
            if (usable(e.target.value)) setReportRequest({ date: e.target.value });
          }}
        />
      </label>
      <label>
        {t('reports.by')}
        <select
          value={request.by}
          onChange={(e) => {
            if (isOneOf<ReportDimension>(REPORT_DIMENSIONS, e.target.value)) setReportRequest({ by: e.target.value });
          }}
        >
          {REPORT_DIMENSIONS.map((by) => (
            <option key={by} value={by}>
              {t(`reports.by.${by}`)}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => void loadReport()} disabled={loading}>
        {t('reports.refresh')}
      </button>
    </div>
  );
}

/** Export CSV / Export XLSX, with a progress indicator while one runs and what went wrong when it failed. */
function ReportExport() {
  const t = useT();
  const { exporting, error, exportReport, hasReport, request } = useAppStore(
    useShallow((s) => ({
      exporting: s.exportingReport,
      error: s.reportExportError,
      exportReport: s.exportReport,
      hasReport: s.report !== null,
      request: s.reportRequest,
    })),
  );
  // "Saved …" speaks of the report on screen only: another period or grouping hides it.
  const [saved, setSaved] = useState<{ fileName: string; request: typeof request } | null>(null);
  async function run(format: ReportFileFormat) {
    setSaved(null);
    const download = await exportReport(format);
    if (!download) return;
    saveDownload(download);
    setSaved({ fileName: download.fileName, request });
  }
  return (
    <div className="reports-export" aria-busy={exporting !== null}>
      <button type="button" onClick={() => void run('csv')} disabled={exporting !== null || !hasReport}>
        {t('reports.exportCsv')}
      </button>
      <button type="button" onClick={() => void run('xlsx')} disabled={exporting !== null || !hasReport}>
        {t('reports.exportXlsx')}
      </button>
      {/* One live region, there before anything is said in it: a screen reader announces what changes inside a region it already
          knows, and may miss a region inserted together with its text. */}
      <span className="reports-progress" role="status" aria-live="polite">
        {exporting ? (
          <>
            <progress aria-label={t('reports.exporting', { format: exporting.toUpperCase() })} />
            {t('reports.exporting', { format: exporting.toUpperCase() })}
          </>
        ) : hasReport && saved?.request === request ? (
          <span className="muted small">{t('reports.exported', { fileName: saved.fileName })}</span>
        ) : null}
      </span>
      {error ? (
        <span className="reports-error" role="alert">
          {t('reports.exportFailed', { reason: reportErrorText(t, error) })}
        </span>
      ) : null}
    </div>
  );
}

/** The leads' Reports view (报表): KPIs of a day, week or month by channel, type, group or agent, and their export. */
export function ReportsView() {
  const t = useT();
  const { report, loading, error, language, connecting } = useAppStore(
    useShallow((s) => ({
      report: s.report,
      loading: s.reportLoading,
      error: s.reportError,
      language: s.language,
      connecting: s.connection.status === 'connecting' || s.connection.status === 'syncing',
    })),
  );
  // Right after sign-in the connection is still coming up: the report loads when it is (reloadReportWhenBackOnline).
  const waitingForConnection = connecting && error !== null && isServerNeeded(error);
  const lang: ReportLanguage = language === 'en' ? 'en' : 'zh';
  const words = REPORT_WORDS[lang];
  return (
    <main className="reports-view" aria-labelledby="reports-title">
      <div className="reports-toolbar">
        <h2 id="reports-title">{t('reports.title')}</h2>
        <ReportPickers />
        <ReportExport />
      </div>
      {waitingForConnection ? <p className="muted">{t('reports.connecting')}</p> : null}
      {error && !waitingForConnection ? (
        <p className="reports-error" role="alert">
          {t('reports.failed', { reason: reportErrorText(t, error) })}
        </p>
      ) : null}
      {loading && !report ? <p className="muted">{t('reports.loading')}</p> : null}
      {report ? (
        <>
          <p className="muted small reports-range">
            {t('reports.range', {
              first: report.firstDay,
              last: report.lastDay,
              asOf: formatDateTime(language, report.asOf),
              zone: zoneName(t, report.timeZone),
            })}
          </p>
          <table className="reports-table" aria-label={t('reports.table')} aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col">{words.dimension[report.by]}</th>
                {REPORT_COLUMNS.map((column) => (
                  <th key={column} scope="col" className="num">
                    {words.column[column]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.rows.map((row) => (
                <tr key={row.key ?? '(none)'} className={row.kpis.volume === 0 ? 'reports-quiet' : undefined}>
                  <th scope="row">{reportRowLabel(row, report.by, lang)}</th>
                  {REPORT_COLUMNS.map((column) => (
                    <td key={column} className={`num kind-${reportColumnKind(column)}`}>
                      {formatReportCell(row.kpis, column)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{words.total}</th>
                {REPORT_COLUMNS.map((column) => (
                  <td key={column} className="num">
                    {formatReportCell(report.total, column)}
                  </td>
                ))}
              </tr>
            </tfoot>
          </table>
          {report.total.volume === 0 ? <p className="muted">{t('reports.empty')}</p> : null}
          <p className="muted small reports-notes">{t('reports.notes')}</p>
        </>
      ) : null}
    </main>
  );
}

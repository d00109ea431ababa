/**
 * The leads' Reports view: which report is shown (period, date, grouping), the report as
 * last loaded from the server through the core, and the export of the same report as a CSV
 * or XLSX file. The server computes reports, so offline they fail with `offline` and the
 * view says the report needs the server; it loads again when the connection is back. Only the
 * newest load is applied.
 */
import type { StateCreator } from 'zustand/vanilla';
import { localDateOf } from '../../../shared/kpi.js';
import { currentOrgTimeZone } from '../i18n.js';
import { serverTimeOf } from '../serverClock.js';
import type { Report, ReportRequest } from '../../../shared/reports.js';
import type { FileDownload, WorkstationApi } from '../../../shared/rpc.js';
import { toUiError } from './errors.js';
import type { AppState, UiError } from './types.js';

export type ReportFileFormat = 'csv' | 'xlsx';

export interface ReportSlice {
  reportRequest: ReportRequest;
  report: Report | null;
  reportLoading: boolean;
  reportError: UiError | null;
  /** The export running now; null when none. */
  exportingReport: ReportFileFormat | null;
  reportExportError: UiError | null;
  /** Changes the period, date or grouping and loads that report. */
  setReportRequest: (patch: Partial<ReportRequest>) => void;
  loadReport: () => Promise<void>;
  /**
   * The organisation's time zone changed from `before`: a request for today in the old zone asks
   * for today in the new one (the old zone's today may be the new zone's tomorrow, which the
   * server refuses), and a report on screen is asked again, since its days were the old zone's.
   */
  followOrgTimeZone: (before: string) => void;
  /**
   * The server's clock as the core knows it moved from `beforeOffsetMs` (the first offset after a
   * start, a new measurement): a request for today by the old clock asks for today by the new one,
   * as for a new zone. A workstation whose clock is a day off would otherwise ask for the server's
   * yesterday, or its tomorrow, which the server refuses.
   */
  followServerClock: (beforeOffsetMs: number | null) => void;
  /** The current report as a file, in the UI's language; null when it failed (see `reportExportError`). */
  exportReport: (format: ReportFileFormat) => Promise<FileDownload | null>;
}

/** Today's report by channel, today in the organisation's time zone (`serverNow`: the server's time): what a lead opening the view wants first. */
function todaysRequest(serverNow: number): ReportRequest {
  return { period: 'day', date: localDateOf(serverNow, currentOrgTimeZone()), by: 'channel' };
}

/** The reports state with nobody signed in, `serverNow` the server's time as the store knows it. */
export function reportsSignedOut(
  serverNow: number,
): Pick<ReportSlice, 'reportRequest' | 'report' | 'reportLoading' | 'reportError' | 'exportingReport' | 'reportExportError'> {
  return { reportRequest: todaysRequest(serverNow), report: null, reportLoading: false, reportError: null, exportingReport: null, reportExportError: null };
}

/** Back online (appStore's `onBackOnline`): a Reports view opened before the connection was up, or while it was down, loads now. */
export function reloadReportWhenBackOnline(state: AppState): void {
  if (state.user && state.view === 'reports' && (state.reportError || !state.report)) void state.loadReport();
}

export function createReportSlice(api: WorkstationApi): StateCreator<AppState, [], [], ReportSlice> {
  let latestLoad = 0;

  return (set, get) => ({
    // No offset is known yet when the store is made: the first connection state brings it (followServerClock).
    ...reportsSignedOut(serverTimeOf(null, Date.now())),

    followOrgTimeZone(before) {
      const now = get().serverNow();
      const { reportRequest, user, view, report } = get();
      if (reportRequest.date === localDateOf(now, before)) set({ reportRequest: { ...reportRequest, date: localDateOf(now, currentOrgTimeZone()) } });
      if (user && view === 'reports' && report) void get().loadReport();
    },

    followServerClock(beforeOffsetMs) {
      const localNow = Date.now();
      const zone = currentOrgTimeZone();
      const before = localDateOf(serverTimeOf(beforeOffsetMs, localNow), zone);
      const after = localDateOf(serverTimeOf(get().connection.serverClockOffsetMs, localNow), zone);
      const { reportRequest, user, view, report } = get();
      if (before === after || reportRequest.date !== before) return;
      set({ reportRequest: { ...reportRequest, date: after } });
      if (user && view === 'reports' && report) void get().loadReport();
    },

    setReportRequest(patch) {
      set({ reportRequest: { ...get().reportRequest, ...patch }, reportExportError: null });
      void get().loadReport();
    },

    async loadReport() {
      if (!get().user) return;
      const request = ++latestLoad;
      set({ reportLoading: true, reportError: null });
      try {
        const report = await api.invoke('report.get', get().reportRequest);
        if (request !== latestLoad) return;
        set({ report, reportLoading: false });
      } catch (error) {
        if (request !== latestLoad) return;
        set({ report: null, reportLoading: false, reportError: toUiError(error) });
      }
    },

    async exportReport(format) {
      if (get().exportingReport) return null;
      set({ exportingReport: format, reportExportError: null });
      try {
        const download = await api.invoke('report.export', { ...get().reportRequest, format, lang: get().language === 'en' ? 'en' : 'zh' });
        set({ exportingReport: null });
        return download;
      } catch (error) {
        set({ exportingReport: null, reportExportError: toUiError(error) });
        return null;
      }
    },
  });
}

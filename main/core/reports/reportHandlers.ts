/**
 * Reports on the workstation: the core asks the server's `GET /api/v1/reports` with the
 * session's token (the server computes reports over every ticket, which no workstation's
 * cache holds) and hands the renderer the parsed JSON or the file's bytes. Online only;
 * the server refuses agents, and every refusal becomes an RpcError the renderer localises.
 */
import type { z } from 'zod';
import type { ApiErrorBody } from '../../../shared/httpApi.js';
import { reportFileName, reportSchema } from '../../../shared/reports.js';
import { boardChartsSchema } from '../../../shared/charts.js';
import type { RpcResults, rpcParamSchemas } from '../../../shared/rpc.js';
import { RpcError } from '../errors.js';
import { fetchFromServer } from '../serverFetch.js';

export const REPORT_METHODS = ['report.get', 'report.export', 'report.charts'] as const;
export type ReportMethod = (typeof REPORT_METHODS)[number];

export type ReportHandlers = {
  [M in ReportMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]>;
};

/** A month by agent is a few kilobytes; a minute covers a server busy with a month over a million tickets. */
export const REPORT_REQUEST_TIMEOUT_MS = 60_000;
/** Larger answers are not what this endpoint sends; refuse rather than hold them. */
export const MAX_REPORT_BYTES = 5 * 1024 * 1024;

/** The signed-in session as reports need it; `current()` throws `not_signed_in` when nobody is. */
export interface ReportSessionView {
  /** The bearer token; empty while signed in offline. */
  token: string;
  online: boolean;
}

async function serverMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as Partial<ApiErrorBody>;
    const fields = body.error?.fields?.map((field) => `${field.path} ${field.message}`).join('; ');
    return [body.error?.message, fields].filter(Boolean).join(' ') || `HTTP ${String(response.status)}`;
  } catch {
    return `HTTP ${String(response.status)}`;
  }
}

/** The file name the server gave (`filename*=UTF-8''…`, RFC 5987), if it gave a plain one. */
function attachmentFileName(response: Response): string | null {
  const match = /filename\*=UTF-8''([^;]+)/i.exec(response.headers.get('content-disposition') ?? '');
  if (!match) return null;
  try {
    const name = decodeURIComponent(match[1]!);
    return /^[\w.-]{1,100}$/.test(name) ? name : null;
  } catch {
    return null;
  }
}

export function createReportHandlers(options: { serverUrl: string; current(): ReportSessionView }): ReportHandlers {
  async function fetchReport(query: Record<string, string>, path = '/api/v1/reports'): Promise<{ response: Response; bytes: Buffer }> {
    const { token, online } = options.current();
    if (!token || !online) throw new RpcError('offline', 'You are offline: reports are computed by the server and can be loaded once the connection is back.');
    let response: Response;
    try {
      response = await fetchFromServer(`${options.serverUrl}${path}?${new URLSearchParams(query).toString()}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(REPORT_REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new RpcError('server_unreachable', `The report could not be fetched (${error instanceof Error ? error.message : String(error)}).`);
    }
    if (!response.ok) {
      const message = await serverMessage(response);
      if (response.status === 401) throw new RpcError('not_signed_in', `The server did not accept your session; sign in again. (${message})`);
      if (response.status === 403) throw new RpcError('forbidden', message);
      if (response.status === 400) throw new RpcError('invalid_params', message);
      throw new RpcError('internal', `The server answered ${String(response.status)} for the report: ${message}`);
    }
    if (Number(response.headers.get('content-length') ?? '0') > MAX_REPORT_BYTES) {
      await response.body?.cancel();
      throw new RpcError('too_large', 'The report is larger than the workstation accepts.');
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (bytes.length > MAX_REPORT_BYTES) throw new RpcError('too_large', 'The report is larger than the workstation accepts.');
    return { response, bytes };
  }

  return {
    async 'report.get'({ period, date, by }) {
      const { bytes } = await fetchReport({ period, date, by, format: 'json' });
      let parsed: ReturnType<typeof reportSchema.safeParse>;
      try {
        parsed = reportSchema.safeParse(JSON.parse(bytes.toString('utf8')));
      } catch {
        throw new RpcError('internal', 'The server’s report is not JSON.');
      }
      if (!parsed.success) throw new RpcError('internal', `The server’s report is not readable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return parsed.data;
    },

    async 'report.charts'() {
      const { bytes } = await fetchReport({}, '/api/v1/reports/charts');
      let parsed: ReturnType<typeof boardChartsSchema.safeParse>;
      try {
        parsed = boardChartsSchema.safeParse(JSON.parse(bytes.toString('utf8')));
      } catch {
        throw new RpcError('internal', 'The server’s charts are not JSON.');
      }
      if (!parsed.success) throw new RpcError('internal', `The server’s charts are not readable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      return parsed.data;
    },

    async 'report.export'({ period, date, by, format, lang }) {
      const { response, bytes } = await fetchReport({ period, date, by, format, lang });
      return {
        fileName: attachmentFileName(response) ?? reportFileName({ period, by, firstDay: date }, format),
        contentType: response.headers.get('content-type') ?? 'application/octet-stream',
        size: bytes.length,
        base64: bytes.toString('base64'),
      };
    },
  };
}

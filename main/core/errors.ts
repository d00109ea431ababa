/** The one error type core services throw; `invoke` turns it into `{ ok: false, error }`. */
import type { z } from 'zod';
import type { OfflineFile } from '../../shared/attachments.js';
import type { RpcErrorCode, RpcErrorShape } from '../../shared/rpc.js';
import type { TicketDeparture } from '../../shared/ticketDeparture.js';
import { describeRefusal, type TicketRefusal } from '../../shared/ticketRules.js';

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    /** A ticket rule's refusal (for the renderer to say in the agent's language), the wait of `rate_limited`, why a file is not kept offline, or where a ticket went. */
    readonly details: { refusal?: TicketRefusal; retryAfterMs?: number; offlineFile?: OfflineFile; departure?: TicketDeparture } = {},
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toShape(): RpcErrorShape {
    return {
      code: this.code,
      message: this.message,
      ...(this.details.refusal ? { refusal: this.details.refusal } : {}),
      ...(this.details.retryAfterMs !== undefined ? { retryAfterMs: this.details.retryAfterMs } : {}),
      ...(this.details.offlineFile ? { offlineFile: this.details.offlineFile } : {}),
      ...(this.details.departure ? { departure: this.details.departure } : {}),
    };
  }
}

const REFUSAL_RPC_CODES: Record<TicketRefusal['code'], RpcErrorCode> = {
  not_found: 'not_found',
  reassigned: 'forbidden',
  not_owner: 'forbidden',
  take_refused: 'forbidden',
  invalid_transition: 'invalid_transition',
  no_reply_route: 'no_reply_route',
  subject_not_email: 'invalid_params',
  duplicate_id: 'invalid_params',
  mutation_id_reused: 'invalid_params',
  invalid_date: 'invalid_params',
  result_required: 'invalid_params',
  note_required: 'invalid_params',
  transfer_refused: 'conflict',
  create_refused: 'forbidden',
  attachment_refused: 'invalid_params',
};

/** The RPC error for a refusal of the shared ticket rules: the facts ride along, with English for logs. */
export function refusalError(refusal: TicketRefusal): RpcError {
  return new RpcError(REFUSAL_RPC_CODES[refusal.code], describeRefusal(refusal), { refusal });
}

/** The server's protocol error codes (shared/sync.ts) as RPC error codes the renderer knows. */
const PROTOCOL_TO_RPC_CODE: Record<string, RpcErrorCode> = {
  invalid_request: 'invalid_params',
  unauthorized: 'not_signed_in',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  rate_limited: 'rate_limited',
  unavailable: 'routing_busy',
  unconfirmed: 'unconfirmed',
  internal: 'internal',
};

export function rpcCodeOfProtocolError(code: string): RpcErrorCode {
  return PROTOCOL_TO_RPC_CODE[code] ?? 'internal';
}

/** "text: must not be empty; channel: Invalid option…" — every bad field by its path. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'params';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

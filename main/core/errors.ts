/** The one error type core services throw; `invoke` turns it into `{ ok: false, error }`. */
import type { z } from 'zod';
import type { RpcErrorCode, RpcErrorShape } from '../../shared/rpc.js';

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
    /** With `rate_limited`: how long until the server accepts another try. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toShape(): RpcErrorShape {
    return { code: this.code, message: this.message, ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}) };
  }
}

/** The server's protocol error codes (shared/sync.ts) as RPC error codes the renderer knows. */
const PROTOCOL_TO_RPC_CODE: Record<string, RpcErrorCode> = {
  invalid_request: 'invalid_params',
  unauthorized: 'not_signed_in',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
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

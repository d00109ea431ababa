/**
 * Report-reader credentials (migration 033 / PostgreSQL 024, shared/admin.ts): the long-lived
 * secrets an administrator gives another system (BI, a data warehouse) so it can pull
 * `/api/v1/reports` and `/api/v1/reports/charts` without a person's expiring sign-in.
 * The secret is made here, returned once, and kept only as its SHA-256 (as the `tokens` table
 * keeps bearer tokens: credentials.ts). Every request reads the row, so a revocation made on
 * one node refuses the next request on every node. Create and revoke write the admin audit in
 * the same transaction. Plain SQL through the seam, as in adminStore.ts.
 */
import { REPORT_CREDENTIAL_PREFIX, type ReportCredential, type ReportCredentialCreateResult, type ReportCredentialRevokeResult } from '../shared/admin.js';
import type { User } from '../shared/domain.js';
import { hashToken, newToken, uuidv7 } from './credentials.js';
import type { AdminStore } from './adminStore.js';
import type { SqlExecutor } from './db/sql.js';

export interface ReportCredentialStoreInternals {
  sql: () => SqlExecutor;
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The admin audit's writer; joins the open transaction. */
  recordAudit: AdminStore['recordAudit'];
}

/** A credential that may read reports: what the HTTP layer needs to name it and budget it. */
export interface ReportReader {
  id: string;
  name: string;
}

export interface ReportCredentialStore {
  /** The live credentials, newest first (revoked ones are in the audit, not here). */
  list(): Promise<ReportCredential[]>;
  /** Makes a credential; the secret is in this answer only. */
  create(actor: User, name: string, now: number): Promise<ReportCredentialCreateResult>;
  /** Revokes a live credential; its next request is refused on every node. */
  revoke(actor: User, id: string, now: number): Promise<ReportCredentialRevokeResult>;
  /** The live credential whose secret this is, or null; notes its use (at most once a minute). */
  authenticate(secret: string, now: number): Promise<ReportReader | null>;
}

/** How stale `last_used_at` may get: a puller asking every few seconds must not write on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

interface CredentialRow {
  id: string;
  name: string;
  created_by_id: string;
  created_by_name: string;
  created_at: number | string;
  last_used_at: number | string | null;
}

const CREDENTIAL_COLUMNS = 'id, name, created_by_id, created_by_name, created_at, last_used_at';

function credentialOf(row: CredentialRow): ReportCredential {
  return {
    id: row.id,
    name: row.name,
    createdById: row.created_by_id,
    createdByName: row.created_by_name,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function createReportCredentialStore(internals: ReportCredentialStoreInternals): ReportCredentialStore {
  const { sql, transaction, recordAudit } = internals;

  return {
    async list() {
      const rows = await sql().all<CredentialRow>(
        `SELECT ${CREDENTIAL_COLUMNS} FROM report_credentials WHERE revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1000`,
      );
      return rows.map(credentialOf);
    },

    create(actor, name, now) {
      return transaction(async (): Promise<ReportCredentialCreateResult> => {
        const taken = await sql().get<{ id: string }>('SELECT id FROM report_credentials WHERE name = ? AND revoked_at IS NULL', [name]);
        if (taken) return { ok: false, refusal: 'name_taken', message: `A report credential named ${name} exists; revoke it or choose another name.` };
        const id = `rc_${uuidv7(now).replace(/-/g, '')}`;
        const secret = `${REPORT_CREDENTIAL_PREFIX}${newToken()}`;
        const actorName = actor.displayName || actor.username;
        await sql().run('INSERT INTO report_credentials (id, name, secret_hash, created_by_id, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
          id,
          name,
          hashToken(secret),
          actor.id,
          actorName,
          now,
        ]);
        // admin_audit.target_id names users; the credential is named in target_name and in after.
        await recordAudit({ id: actor.id, name: actorName }, 'report_credential_created', { id: null, name }, null, { id, name, scope: 'reports:read' }, now);
        const credential: ReportCredential = { id, name, createdById: actor.id, createdByName: actorName, createdAt: now, lastUsedAt: null };
        return { ok: true, credential, secret };
      });
    },

    revoke(actor, id, now) {
      return transaction(async (): Promise<ReportCredentialRevokeResult> => {
        const row = await sql().get<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS} FROM report_credentials WHERE id = ? AND revoked_at IS NULL`, [id]);
        if (!row) return { ok: false, refusal: 'not_found', message: `No live report credential ${id}.` };
        const changed = await sql().run('UPDATE report_credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now, id]);
        // Two admins revoking at once: the second finds nothing left to revoke.
        if (changed.changes === 0) return { ok: false, refusal: 'not_found', message: `No live report credential ${id}.` };
        await recordAudit(
          { id: actor.id, name: actor.displayName || actor.username },
          'report_credential_revoked',
          { id: null, name: row.name },
          { id, name: row.name, revokedAt: null },
          { id, name: row.name, revokedAt: now },
          now,
        );
        return { ok: true, id };
      });
    },

    async authenticate(secret, now) {
      if (!secret.startsWith(REPORT_CREDENTIAL_PREFIX)) return null;
      const row = await sql().get<{ id: string; name: string; last_used_at: number | string | null }>(
        'SELECT id, name, last_used_at FROM report_credentials WHERE secret_hash = ? AND revoked_at IS NULL',
        [hashToken(secret)],
      );
      if (!row) return null;
      if (row.last_used_at === null || Number(row.last_used_at) <= now - LAST_USED_RESOLUTION_MS) {
        await sql().run('UPDATE report_credentials SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [now, row.id, now]);
      }
      return { id: row.id, name: row.name };
    },
  };
}

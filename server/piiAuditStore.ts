/**
 * The personal data reveal audit (migration 010): one row per reveal, and the list a lead
 * reads for a ticket. Opened by `openServerStore` on its connection, like the routing and
 * CTI parts. Plain SQL, as in store.ts.
 */
import type { SqlExecutor } from './db/sql.js';
import type { Role } from '../shared/domain.js';
import { CUSTOMER_PII_FIELDS, MAX_PII_AUDIT_ENTRIES, type PiiAuditEntry, type PiiField } from '../shared/pii.js';

/** One reveal as it is recorded. */
export interface PiiRevealRecord {
  at: number;
  userId: string;
  userName: string;
  role: Role;
  ticketId: string | null;
  customerId: string | null;
  field: PiiField;
  targetId: string | null;
}

/** Reveal audit reads and writes (each write joins the caller's transaction, if any). */
export interface PiiAuditStore {
  recordReveal(record: PiiRevealRecord): Promise<PiiAuditEntry>;
  /** Reveals on this ticket, and reveals of its customer's fields through any ticket; newest first, at most MAX_PII_AUDIT_ENTRIES. */
  revealsOfTicket(ticketId: string, customerId: string): Promise<PiiAuditEntry[]>;
}

interface RevealRow {
  id: number;
  at: number;
  user_id: string;
  user_name: string;
  role: Role;
  ticket_id: string | null;
  customer_id: string | null;
  field: PiiField;
  target_id: string | null;
}

function entryFromRow(row: RevealRow): PiiAuditEntry {
  return {
    id: row.id,
    at: row.at,
    userId: row.user_id,
    userName: row.user_name,
    role: row.role,
    ticketId: row.ticket_id,
    customerId: row.customer_id,
    field: row.field,
    targetId: row.target_id,
  };
}

export function createPiiAuditStore(internals: { sql: () => SqlExecutor }): PiiAuditStore {
  const { sql } = internals;
  const customerFields = CUSTOMER_PII_FIELDS.map(() => '?').join(', ');
  return {
    async recordReveal(record) {
      const row = (await sql().get<RevealRow>(
        `INSERT INTO pii_reveals (at, user_id, user_name, role, ticket_id, customer_id, field, target_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [record.at, record.userId, record.userName, record.role, record.ticketId, record.customerId, record.field, record.targetId],
      ))!;
      return entryFromRow(row);
    },
    async revealsOfTicket(ticketId, customerId) {
      const rows = await sql().all<RevealRow>(
        `SELECT * FROM pii_reveals WHERE ticket_id = ? OR (customer_id = ? AND field IN (${customerFields}))
         ORDER BY id DESC LIMIT ?`,
        [ticketId, customerId, ...CUSTOMER_PII_FIELDS, MAX_PII_AUDIT_ENTRIES],
      );
      return rows.map(entryFromRow);
    },
  };
}

/**
 * The scripts libraries (migration 012, shared/scripts.ts): what a user reads (the team
 * library and their own personal scripts) and the writes, with their rules decided here, in
 * the write's transaction: leads and admins write the team library, each user only their own
 * personal scripts, and someone else's personal script is `not_found` (exactly like one that
 * does not exist, so ids cannot be probed). Plain SQL over the seam, as in store.ts.
 */
import { randomUUID } from 'node:crypto';
import type { User } from '../shared/domain.js';
import { MAX_SCRIPTS_PER_LIBRARY, canWriteScript, scriptVariantsSchema, type Script, type ScriptInput, type ScriptScope } from '../shared/scripts.js';
import type { SqlDialect, SqlExecutor } from './db/sql.js';

/** Why a script write was refused; the socket answers it with the same code. */
export class ScriptRefusal extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'ScriptRefusal';
  }
}

export interface ScriptStore {
  /** The team library and the user's own personal scripts, by category then title. */
  listFor(user: User): Promise<Script[]>;
  /** Creates (no id) or replaces a script the actor may write; refused with a ScriptRefusal. */
  save(actor: User, id: string | undefined, input: ScriptInput, now: number): Promise<Script>;
  /** Deletes a script the actor may write and says which library it left; refused with a ScriptRefusal. */
  remove(actor: User, id: string): Promise<ScriptScope>;
}

interface ScriptRow {
  id: string;
  scope: ScriptScope;
  owner_id: string | null;
  language: Script['language'];
  title: string;
  body: string;
  category: string;
  keyword: string;
  variants_json: string;
  updated_at: number;
  updated_by_name: string;
}

function scriptFromRow(row: ScriptRow): Script {
  return {
    id: row.id,
    scope: row.scope,
    ownerId: row.owner_id,
    language: row.language,
    title: row.title,
    body: row.body,
    category: row.category,
    keyword: row.keyword,
    variants: scriptVariantsSchema.parse(JSON.parse(row.variants_json)),
    updatedAt: Number(row.updated_at),
    updatedByName: row.updated_by_name,
  };
}

const COLUMNS = 'id, scope, owner_id, language, title, body, category, keyword, variants_json, updated_at, updated_by_name';

export function createScriptStore(internals: {
  sql: () => SqlExecutor;
  dialect: SqlDialect;
  transaction: <T>(fn: () => Promise<T>) => Promise<T>;
}): ScriptStore {
  const { sql, transaction } = internals;
  const postgres = internals.dialect === 'postgres';

  /** The script as the actor may see it (a stranger's personal script is not there), locked for the write on PostgreSQL. */
  async function writable(actor: User, id: string): Promise<ScriptRow> {
    const row = await sql().get<ScriptRow>(`SELECT ${COLUMNS} FROM scripts WHERE id = ?${postgres ? ' FOR UPDATE' : ''}`, [id]);
    if (!row || (row.scope === 'personal' && row.owner_id !== actor.id)) throw new ScriptRefusal('not_found', `No script ${id}.`);
    if (!canWriteScript(actor, row.scope, row.owner_id)) throw new ScriptRefusal('forbidden', 'Only leads and admins change the team library.');
    return row;
  }

  return {
    async listFor(user) {
      const rows = await sql().all<ScriptRow>(
        `SELECT ${COLUMNS} FROM scripts WHERE scope = 'team' OR (scope = 'personal' AND owner_id = ?) ORDER BY scope, category, title, id`,
        [user.id],
      );
      return rows.map(scriptFromRow);
    },

    save(actor, id, input, now) {
      return transaction(async () => {
        const variants = JSON.stringify(input.variants);
        if (id !== undefined) {
          const row = await writable(actor, id);
          if (row.scope !== input.scope) throw new ScriptRefusal('conflict', 'A script stays in its library; create a copy in the other one instead.');
          const updated = await sql().get<ScriptRow>(
            `UPDATE scripts SET language = ?, title = ?, body = ?, category = ?, keyword = ?, variants_json = ?, updated_at = ?, updated_by_name = ?
             WHERE id = ? RETURNING ${COLUMNS}`,
            [input.language, input.title, input.body, input.category, input.keyword, variants, now, actor.displayName, id],
          );
          return scriptFromRow(updated!);
        }
        const ownerId = input.scope === 'personal' ? actor.id : null;
        if (!canWriteScript(actor, input.scope, ownerId)) throw new ScriptRefusal('forbidden', 'Only leads and admins add to the team library.');
        // Counting then inserting is a read-decide-write: one library's writers take turns (SQLite's one writer already does).
        if (postgres) await sql().get('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`scripts:${ownerId ?? 'team'}`]);
        const { n } = (await sql().get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM scripts WHERE scope = ? AND ${ownerId === null ? 'owner_id IS NULL' : 'owner_id = ?'}`,
          ownerId === null ? [input.scope] : [input.scope, ownerId],
        ))!;
        if (Number(n) >= MAX_SCRIPTS_PER_LIBRARY)
          throw new ScriptRefusal('conflict', `The library is full (${String(MAX_SCRIPTS_PER_LIBRARY)} scripts); delete some first.`);
        const created = await sql().get<ScriptRow>(`INSERT INTO scripts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`, [
          randomUUID(),
          input.scope,
          ownerId,
          input.language,
          input.title,
          input.body,
          input.category,
          input.keyword,
          variants,
          now,
          actor.displayName,
        ]);
        return scriptFromRow(created!);
      });
    },

    remove(actor, id) {
      return transaction(async () => {
        const row = await writable(actor, id);
        await sql().run('DELETE FROM scripts WHERE id = ?', [id]);
        return row.scope;
      });
    },
  };
}

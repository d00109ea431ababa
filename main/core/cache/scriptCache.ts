/**
 * The cached scripts libraries (cache migration 012): read by the `/` picker, online or not,
 * and replaced whole by each fetch from the server. A row that does not read back as a script
 * (a cache written by a newer or broken version) is skipped, never shown half.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { scriptSchema, type Script } from '../../../shared/scripts.js';

export interface ScriptCacheReader {
  /** The cached scripts (team and personal) and when they were fetched; null before the first fetch. */
  scripts(): { scripts: Script[]; fetchedAt: number | null };
}

export interface ScriptCacheWriter {
  /** Replaces the cached libraries with a fetched list, in one transaction. */
  replaceScripts(scripts: readonly Script[], fetchedAt: number): void;
}

export function createScriptCache(db: Database.Database): { reader: ScriptCacheReader; writer: ScriptCacheWriter } {
  const all = db.prepare<[], { script_json: string }>('SELECT script_json FROM scripts');
  const fetchedAt = db.prepare<[], { fetched_at: number | null }>('SELECT fetched_at FROM scripts_state WHERE id = 1');
  const clear = db.prepare('DELETE FROM scripts');
  const insert = db.prepare<[string, string]>('INSERT INTO scripts (id, script_json) VALUES (?, ?)');
  const setFetchedAt = db.prepare<[number]>('UPDATE scripts_state SET fetched_at = ? WHERE id = 1');

  return {
    reader: {
      scripts() {
        const scripts: Script[] = [];
        for (const row of all.all()) {
          const parsed = scriptSchema.safeParse(JSON.parse(row.script_json));
          if (parsed.success) scripts.push(parsed.data);
        }
        return { scripts, fetchedAt: fetchedAt.get()?.fetched_at ?? null };
      },
    },
    writer: {
      replaceScripts: db.transaction((scripts: readonly Script[], at: number) => {
        clear.run();
        for (const script of scripts) insert.run(script.id, JSON.stringify(script));
        setFetchedAt.run(at);
      }),
    },
  };
}

/**
 * Data only this OS user may read: folders 0700, files 0600, SQLite's `-wal`, `-shm` and
 * `-journal` included. The entry points also set `umask 077`; these helpers make it true
 * for what an earlier version created 0644, and for hosts and tests that set no umask.
 * (server/privateFiles.ts is the server's copy: the layers share no Node code.)
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and the parents it has to create) 0700, and tightens it when it already existed. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Readies a SQLite file: its folder private, the file created empty 0600 when missing (SQLite
 * opens an empty file as a new database, and gives the -wal/-shm/-journal it creates the main
 * file's mode), and the file and any companions left by an earlier version chmod 0600.
 */
export function prepareSqliteFile(file: string): void {
  makePrivateDir(path.dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const companion of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    if (existsSync(companion)) chmodSync(companion, PRIVATE_FILE_MODE);
  }
}

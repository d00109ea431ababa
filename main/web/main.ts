/**
 * Browser mode: the browser host with one workstation core per seat (browser profile, seats.ts),
 * as a command.
 *
 *   tsx main/web/main.ts [--server http://127.0.0.1:4780] [--port 4781] [--seats 8]
 *
 * Prints the launch link (`http://127.0.0.1:4781/#k=…`) that opens the workstation: the
 * host refuses pages without this start's key.
 *
 * Environment: WORKSTATION_PORT (when --port is absent), OMNIDESK_SERVER_URL (when
 * --server is absent), DATA_DIR (the cores' caches and settings; default
 * ./.data/workstation), RENDERER_DIR (the built renderer; default dist/renderer),
 * WORKSTATION_SEATS (when --seats is absent: how many people at once; default 8),
 * WORKSTATION_SEAT_IDLE_MS (a seat with no page and nobody signed in closes after this; default 10 min),
 * WORKSTATION_ATTACHMENT_BUDGET_BYTES (attachment bytes each seat's cache keeps for offline use; default 200 MB).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { OFFLINE_ATTACHMENT_BUDGET_BYTES } from '../../shared/attachments.js';
import { createWorkstationCore, keyFileProtector } from '../core/index.js';
import { startBrowserHost } from './browserHost.js';
import { createSeats, DEFAULT_MAX_SEATS, DEFAULT_SEAT_IDLE_CLOSE_MS, seatDataDir } from './seats.js';

const DEFAULT_SERVER_URL = 'http://127.0.0.1:4780';
const DEFAULT_PORT = 4781;
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BrowserModeSettings {
  serverUrl: string;
  port: number;
  dataDir: string;
  staticDir: string;
  maxSeats: number;
  seatIdleCloseMs: number;
  /** Attachment bytes each core keeps in its cache for the tickets its user holds (core.md, Attachments offline). */
  attachmentBudgetBytes: number;
}

/** The most seats one workstation process runs: each is a core with its caches and its own server connection. */
const MAX_SEATS_LIMIT = 32;

/** Reads the command line and environment; throws with a message for the user when they are wrong. */
export function readBrowserModeSettings(argv: string[], env: NodeJS.ProcessEnv): BrowserModeSettings {
  const { values } = parseArgs({
    args: argv,
    options: { server: { type: 'string' }, port: { type: 'string' }, seats: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const serverUrl = values.server ?? env.OMNIDESK_SERVER_URL ?? DEFAULT_SERVER_URL;
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(serverUrl);
  } catch {
    throw new Error(`--server must be a URL like ${DEFAULT_SERVER_URL}, got "${serverUrl}"`);
  }
  if (parsedUrl.protocol !== 'http:' && parsedUrl.protocol !== 'https:') {
    throw new Error(`--server must be an http:// or https:// URL, got "${serverUrl}"`);
  }
  const portText = values.port ?? env.WORKSTATION_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port / WORKSTATION_PORT must be a port number (0-65535), got "${portText}"`);
  }
  const seatsText = values.seats ?? env.WORKSTATION_SEATS ?? String(DEFAULT_MAX_SEATS);
  const maxSeats = Number(seatsText);
  if (!Number.isInteger(maxSeats) || maxSeats < 1 || maxSeats > MAX_SEATS_LIMIT) {
    throw new Error(`--seats / WORKSTATION_SEATS must be a whole number from 1 to ${String(MAX_SEATS_LIMIT)}, got "${seatsText}"`);
  }
  const idleText = env.WORKSTATION_SEAT_IDLE_MS ?? String(DEFAULT_SEAT_IDLE_CLOSE_MS);
  const seatIdleCloseMs = Number(idleText);
  if (!Number.isInteger(seatIdleCloseMs) || seatIdleCloseMs < 1_000) {
    throw new Error(`WORKSTATION_SEAT_IDLE_MS must be a whole number of milliseconds, at least 1000, got "${idleText}"`);
  }
  const budgetText = env.WORKSTATION_ATTACHMENT_BUDGET_BYTES ?? String(OFFLINE_ATTACHMENT_BUDGET_BYTES);
  const attachmentBudgetBytes = Number(budgetText);
  if (!Number.isSafeInteger(attachmentBudgetBytes) || attachmentBudgetBytes < 0) {
    throw new Error(`WORKSTATION_ATTACHMENT_BUDGET_BYTES must be a whole number of bytes (0 keeps none), got "${budgetText}"`);
  }
  return {
    serverUrl: serverUrl.replace(/\/+$/, ''),
    attachmentBudgetBytes,
    port,
    maxSeats,
    seatIdleCloseMs,
    dataDir: path.resolve(env.DATA_DIR ?? './.data/workstation'),
    staticDir: path.resolve(env.RENDERER_DIR ?? path.join(REPO_ROOT, 'dist/renderer')),
  };
}

export async function runBrowserMode(settings: BrowserModeSettings): Promise<void> {
  if (!existsSync(path.join(settings.staticDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${path.join(settings.staticDir, 'index.html')} is missing): run "npm run build:renderer" first.`);
  }
  const seats = createSeats({
    dataDir: settings.dataDir,
    maxSeats: settings.maxSeats,
    idleCloseMs: settings.seatIdleCloseMs,
    // No OS keychain to reach from here: a stored session's cache key is sealed by a 0600 key file in the seat's folder.
    openCore: (seatDir) =>
      createWorkstationCore({
        dataDir: seatDir,
        serverUrl: settings.serverUrl,
        keyProtector: keyFileProtector(seatDir),
        attachmentBudgetBytes: settings.attachmentBudgetBytes,
      }),
    log: (line) => console.log(`[seats] ${line}`),
  });
  let host: Awaited<ReturnType<typeof startBrowserHost>>;
  try {
    // The seats that were signed in resume their stored sessions (and sync) before any page comes back.
    await seats.start();
    host = await startBrowserHost({ seats, port: settings.port, staticDir: settings.staticDir });
  } catch (error) {
    await seats.close();
    throw error;
  }
  console.log(`Workstation (browser mode) at ${host.url} — server ${settings.serverUrl}`);
  console.log(
    `Caches and settings in ${settings.dataDir} (first seat; up to ${String(settings.maxSeats)} people side by side, one per browser profile, the others in ${path.dirname(seatDataDir(settings.dataDir, 2))})`,
  );
  // The one line the launch scripts and the end-to-end stack look for (…/#k=…).
  console.log(`Open this link in a browser (its key is new on every start; ${host.url} alone stays locked): ${host.launchUrl}`);

  let shuttingDown = false;
  const shutDown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      console.log(`Second ${signal}: exiting without waiting.`);
      process.exit(1);
    }
    shuttingDown = true;
    console.log(`${signal} received: closing the workstation…`);
    void (async () => {
      try {
        await host.close();
        await seats.close();
        process.exit(0);
      } catch (error) {
        console.error('Shutdown failed:', error);
        process.exit(1);
      }
    })();
  };
  process.on('SIGINT', shutDown);
  process.on('SIGTERM', shutDown);
}

const isEntryPoint = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  // The cache, settings and key file are for this OS user only.
  process.umask(0o077);
  try {
    await runBrowserMode(readBrowserModeSettings(process.argv.slice(2), process.env));
  } catch (error) {
    console.error(`Workstation (browser mode) could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

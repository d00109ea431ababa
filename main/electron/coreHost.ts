/**
 * The entry of the core's utility process (`utilityProcess.fork` from coreProcess.ts): the
 * workstation core runs here, off the main process, so a 100,000-ticket bootstrap or an
 * index rebuild never blocks the window. Main hands over one MessageChannelMain port on
 * `process.parentPort`; everything then travels on that port (main/core/portHost.ts):
 * the renderer's calls, the core's events, and the key protector's call-backs to main,
 * where safeStorage lives.
 *
 *   utilityProcess.fork(dist/electron/main/electron/coreHost.js, ['--data-dir', …, '--server', …, '--key-protector', …])
 */
import type { MessagePortMain } from 'electron';
import { runCoreHost } from '../core/coreHost.js';
import { readCoreHostArgs } from '../core/portHost.js';

// The cache, settings and key file are for this OS user only (the main process sets the same).
process.umask(0o077);

const parentPort = process.parentPort;
if (!parentPort) {
  console.error('coreHost.js runs only as an Electron utility process (process.parentPort is missing)');
  process.exit(1);
}

let settings: ReturnType<typeof readCoreHostArgs>;
try {
  settings = readCoreHostArgs(process.argv.slice(1));
} catch (error) {
  console.error(`OmniDesk core: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

parentPort.once('message', (event) => {
  const port: MessagePortMain | undefined = event.ports[0];
  if (!port) {
    console.error('OmniDesk core: the first message from main must carry the core port');
    process.exit(1);
  }
  let portClosed = false;
  let coreClosed = false;
  // After `closed`, main closes its end and this process ends; if main went away first, the core closed on its own.
  port.on('close', () => {
    portClosed = true;
    if (coreClosed) process.exit(0);
  });
  runCoreHost(port, settings).then(
    () => {
      coreClosed = true;
      if (portClosed) process.exit(0);
    },
    (error: unknown) => {
      console.error(`OmniDesk core could not start: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
});

/**
 * The core host in a plain Node child process (child_process.fork with an IPC channel),
 * exactly what main/electron/coreHost.ts does in Electron's utilityProcess but over the
 * child_process adapter: the tests run the real core in a real separate process with it.
 *
 *   fork(coreHostChild.ts, ['--data-dir', dir, '--server', url, '--key-protector', what],
 *        { execArgv: ['--import', 'tsx'], serialization: 'advanced' })
 */
import { runCoreHost } from '../coreHost.js';
import { onPortClose, parentProcessPort, readCoreHostArgs } from '../portHost.js';

process.umask(0o077);
const port = parentProcessPort();
let portClosed = false;
let coreClosed = false;
// After `closed` the parent closes its end; if the parent died, the host closed the core on its own first.
onPortClose(port, () => {
  portClosed = true;
  if (coreClosed) process.exit(0);
});
try {
  await runCoreHost(port, readCoreHostArgs(process.argv.slice(1)));
  coreClosed = true;
  if (portClosed) process.exit(0);
} catch (error) {
  console.error(`core host: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

/**
 * What the core's own process runs (Electron's utility process, main/electron/coreHost.ts;
 * a forked Node process in the tests): the core, created with the paths and server URL
 * from the command line and a key protector that calls back to the main process, served on
 * the port from main. Kept apart from portHost.ts so the main process, which only needs the
 * proxy, never loads the core itself.
 */
import { createWorkstationCore } from './index.js';
import { remoteKeyProtector, serveCoreOverPort, type CoreHostSettings, type PortLike } from './portHost.js';

/**
 * The core process's whole job: create the core (its key protector calling back to main)
 * and serve it on `port`. Resolves once the core is closed; rejects when it could not be
 * created (the caller exits non-zero, and main restarts or gives up).
 */
export async function runCoreHost(port: PortLike, settings: CoreHostSettings): Promise<void> {
  const keyProtector = remoteKeyProtector(port, settings.keyProtectorDescription);
  const core = createWorkstationCore({ dataDir: settings.dataDir, serverUrl: settings.serverUrl, keyProtector });
  const served = serveCoreOverPort(core, port, { keyProtector });
  await core;
  await served.closed;
}

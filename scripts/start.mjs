/**
 * `npm start`: the whole thing on one machine. Builds the renderer when its sources
 * changed, starts the sync server with demo data, then the workstation (Electron when it
 * can run here, else browser mode, whose launch link it prints). Ctrl-C stops both.
 *
 * The server stopping on its own does NOT stop the workstation: agents go on offline (the
 * product's third promise), and one line says so with the command that brings the same
 * server back (`npm run demo:server`, see demoServer.mjs).
 *
 * Environment: PORT (server, default 4780), WORKSTATION_PORT (browser mode, default 4781),
 * DATA_DIR (default ./.data; the server uses DATA_DIR/server, the workstation DATA_DIR/workstation).
 */
import path from 'node:path';
import { chooseWorkstationMode, demoServerCommand, demoServerSettings, prepareWorkstation, startDemoServer, startWorkstation } from './launch.mjs';
import { buildRendererIfStale, createSupervisor, fail, hasFlag, waitForHttp } from './lib.mjs';

const argv = process.argv.slice(2);
const server = demoServerSettings();

try {
  await buildRendererIfStale();
} catch (error) {
  fail(`Could not build the renderer: ${error.message}`);
}
const choice = chooseWorkstationMode({ forceBrowser: hasFlag(argv, 'browser') });
try {
  await prepareWorkstation(choice);
} catch (error) {
  fail(`Could not build the Electron main process: ${error.message}`);
}

const supervisor = createSupervisor();
const restart = demoServerCommand();
const serverChild = startDemoServer(supervisor, choice.runtime, server, {
  whenStopped: `The workstation keeps running: agents work offline and their changes wait for the server.\nTo bring the server back with the demo channels, run in another terminal:\n  ${restart}`,
});
try {
  await waitForHttp(`${server.url}/healthz`, { isDead: serverChild.isDead });
} catch (error) {
  console.error(`The server did not come up: ${error.message}`);
  await supervisor.stopAll(1);
}
console.log(`Server with demo data at ${server.url} (data in ${server.dataDir}); if it stops, restart it with: ${restart}`);

// The demo users and the channel token were printed by the server above, the launch link by the workstation.
await startWorkstation(supervisor, choice, { serverUrl: server.url, dataDir: path.join(server.dataRoot, 'workstation') });
console.log('Press Ctrl-C to stop.');

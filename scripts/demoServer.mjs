/**
 * `npm run demo:server`: the server exactly as `npm start` runs it — demo organisation and
 * demo channels (web chat, SMTP on 2525, …), the same PORT and DATA_DIR (DATA_DIR is the
 * root, the server's data is DATA_DIR/server), on the same runtime — so a server that
 * stopped under `npm start` comes back as it was while the workstation keeps running.
 * Ctrl-C stops it.
 */
import { chooseServerRuntime, demoServerSettings, startDemoServer } from './launch.mjs';
import { createSupervisor, waitForHttp } from './lib.mjs';

const settings = demoServerSettings();
const supervisor = createSupervisor();
const server = startDemoServer(supervisor, chooseServerRuntime(), settings);
try {
  await waitForHttp(`${settings.url}/healthz`, { isDead: server.isDead });
} catch (error) {
  console.error(`The server did not come up: ${error.message}`);
  await supervisor.stopAll(1);
}
console.log(`Demo server at ${settings.url} (data in ${settings.dataDir}). Press Ctrl-C to stop.`);

/**
 * `npm start`: the whole thing on one machine. Builds the renderer when its sources
 * changed, starts the sync server with demo data, then the workstation (Electron when it
 * can run here, else browser mode). Ctrl-C stops both.
 *
 * Environment: PORT (server, default 4780), WORKSTATION_PORT (browser mode, default 4781),
 * DATA_DIR (default ./.data; the server uses DATA_DIR/server, the workstation DATA_DIR/workstation).
 */
import path from 'node:path';
import { chooseWorkstationMode, prepareWorkstation, startWorkstation } from './launch.mjs';
import { DEFAULT_SERVER_PORT, buildRendererIfStale, createSupervisor, fail, hasFlag, waitForHttp } from './lib.mjs';

const argv = process.argv.slice(2);
const dataRoot = path.resolve(process.env.DATA_DIR ?? './.data');
const serverPort = Number(process.env.PORT ?? DEFAULT_SERVER_PORT);
const serverUrl = `http://127.0.0.1:${serverPort}`;

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
const { command, args, env } = choice.runtime;
const server = supervisor.start('server', command, [...args, '--import', 'tsx', 'server/main.ts', '--demo'], {
  env: { ...env, PORT: String(serverPort), DATA_DIR: path.join(dataRoot, 'server') },
});
try {
  await waitForHttp(`${serverUrl}/healthz`, { isDead: server.isDead });
} catch (error) {
  console.error(`The server did not come up: ${error.message}`);
  await supervisor.stopAll(1);
}
console.log(`Server with demo data at ${serverUrl} (data in ${path.join(dataRoot, 'server')})`);
console.log('Demo users: lead1, agent1, agent2, agent3, agent4, agent5, agent6 — password: demo');
console.log(`Channel API token: demo-token (e.g. POST ${serverUrl}/api/v1/inbound with "Authorization: Bearer demo-token")`);

await startWorkstation(supervisor, choice, { serverUrl, dataDir: path.join(dataRoot, 'workstation') });
console.log('Press Ctrl-C to stop.');

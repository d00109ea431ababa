/**
 * `npm run workstation -- [--browser] [--server <url>]`: the workstation alone, against a
 * server that runs elsewhere. Without --browser it tries Electron first.
 *
 * Environment: OMNIDESK_SERVER_URL (when --server is absent), WORKSTATION_PORT (default
 * 4781), DATA_DIR (browser mode's cache; default ./.data/workstation).
 */
import { chooseWorkstationMode, prepareWorkstation, startWorkstation } from './launch.mjs';
import { buildRendererIfStale, createSupervisor, fail, hasFlag, readArg } from './lib.mjs';

const argv = process.argv.slice(2);
const serverUrl = readArg(argv, 'server') ?? process.env.OMNIDESK_SERVER_URL ?? 'http://127.0.0.1:4780';

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
// Browser mode prints its launch link itself.
await startWorkstation(supervisor, choice, { serverUrl, dataDir: process.env.DATA_DIR ?? './.data/workstation' });
console.log('Press Ctrl-C to stop.');

/**
 * Starts testing/coreHostChild.ts in a forked Node process (the tests' stand-in for the
 * desktop app's utility process) and hands back what `superviseCoreProcess` needs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CoreProcessHandle } from '../coreSupervisor.js';
import { childProcessPort, coreHostArgs } from '../portHost.js';

const HOST_ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'coreHostChild.ts');

export interface ForkedCoreHost extends CoreProcessHandle {
  child: ChildProcess;
  /** What the process wrote to stderr, for failure messages. */
  stderr(): string;
}

export function forkCoreHost(dataDir: string, serverUrl: string): ForkedCoreHost {
  const child = fork(HOST_ENTRY, coreHostArgs({ dataDir, serverUrl, keyProtectorDescription: 'the test process' }), {
    execArgv: ['--import', 'tsx'],
    // Structured clone like a MessagePort (Buffers, Dates), not JSON.
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, port: childProcessPort(child), exited, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

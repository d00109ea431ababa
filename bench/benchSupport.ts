/**
 * What every benchmark phase shares: the quick-run switch, `name=value` metric lines on
 * stdout, progress on stderr, percentiles, temp folders, and child processes that speak
 * JSON lines (the measured server always runs in its own process, so it has its own core
 * and event loop, as in production).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

/** `BENCH_QUICK=1` scales every count down about ten times for a smoke run. */
export function isQuickRun(): boolean {
  return process.env.BENCH_QUICK === '1';
}

/** `full` in a normal run, about a tenth of it (at least `minimum`) in a quick run. */
export function scaled(full: number, minimum = 1): number {
  return isQuickRun() ? Math.max(minimum, Math.round(full / 10)) : full;
}

const startedAt = performance.now();

/** A human-readable progress line on stderr, stamped with the seconds since the bench started. */
export function progress(message: string): void {
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

/** Numbers as they appear after `=`: integers as they are, others with at most three decimals. */
export function formatMetricValue(value: number): string {
  if (!Number.isFinite(value)) return 'NaN';
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}

/** Prints one `name=value` line on stdout at once, so a later failure keeps what was measured. */
export function reportMetric(name: string, value: number): void {
  process.stdout.write(`${name}=${formatMetricValue(value)}\n`);
}

/** Nearest-rank percentile of `values` (0 < p ≤ 100); NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/**
 * Event-loop utilisation of this process (0..1) between calls: near 1 means the process
 * was busy all along, so its own queueing, not the thing measured, sets the latency.
 */
export function createEventLoopMeter(): () => number {
  let previous = performance.eventLoopUtilization();
  return () => {
    const current = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(current, previous);
    previous = current;
    return utilization;
  };
}

/** CPU time of this process (every thread, in ms) between calls; `systemMs` is the kernel's part (sockets, fsync). */
export function createCpuMeter(): () => { cpuMs: number; systemMs: number } {
  let previous = process.cpuUsage();
  return () => {
    const current = process.cpuUsage();
    const systemMs = (current.system - previous.system) / 1000;
    const cpuMs = (current.user - previous.user) / 1000 + systemMs;
    previous = current;
    return { cpuMs, systemMs };
  };
}

/**
 * How busy the whole machine was between calls (0..1 of all its cores, every process,
 * other people's included): on a shared machine this says whether the figures were
 * measured on idle cores or on cores somebody else was using too.
 */
export function createMachineCpuMeter(): () => number {
  const sample = () => {
    let busy = 0;
    let total = 0;
    for (const { times } of os.cpus()) {
      busy += times.user + times.nice + times.sys + times.irq;
      total += times.user + times.nice + times.sys + times.irq + times.idle;
    }
    return { busy, total };
  };
  let previous = sample();
  return () => {
    const current = sample();
    const total = current.total - previous.total;
    const busy = total > 0 ? (current.busy - previous.busy) / total : Number.NaN;
    previous = current;
    return busy;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `check()` is true, polling every `everyMs`; rejects with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string, everyMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function makeBenchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `omnidesk-bench-${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A bench script running in its own Node process, exchanging one JSON object per line. */
export interface BenchChild {
  readonly pid: number;
  /** The next JSON line the child writes on stdout. */
  next<T>(timeoutMs?: number): Promise<T>;
  /** Waits for the next JSON line without taking it (the next `next` returns it). */
  peek<T>(timeoutMs?: number): Promise<T>;
  /** Writes one JSON line to the child's stdin. */
  send(message: unknown): void;
  /** Closes its stdin (the child cleans up and exits); kills it by pid if it lingers. */
  stop(): Promise<void>;
}

const BENCH_DIR = import.meta.dirname;
const REPO_ROOT = path.dirname(BENCH_DIR);

/**
 * Starts `bench/<script>` under tsx; its stderr is passed through as progress. With
 * `BENCH_CPU_PROF_DIR=<dir>` the child writes a V8 CPU profile there (open it in Chrome DevTools).
 */
export function startBenchChild(script: string, args: readonly string[] = []): BenchChild {
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profiling, '--import', 'tsx', path.join(BENCH_DIR, script), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  const pid = child.pid;
  const lines: string[] = [];
  const waiters: Array<(line: string | null) => void> = [];
  let ended = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const reader = createInterface({ input: child.stdout! });
  reader.on('line', (line) => {
    if (!line.startsWith('{')) {
      process.stderr.write(`[${script}] ${line}\n`);
      return;
    }
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  reader.on('close', () => {
    ended = true;
    for (const waiter of waiters.splice(0)) waiter(null);
  });

  async function takeLine(timeoutMs: number): Promise<string> {
    const line =
      lines.shift() ??
      (ended
        ? null
        : await new Promise<string | null>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${script} sent nothing for ${String(timeoutMs)} ms`)), timeoutMs);
            waiters.push((received) => {
              clearTimeout(timer);
              resolve(received);
            });
          }));
    if (line === null) throw new Error(`${script} exited (code ${String(await exited)}) before answering`);
    return line;
  }

  return {
    pid,
    async next<T>(timeoutMs = 300_000): Promise<T> {
      return JSON.parse(await takeLine(timeoutMs)) as T;
    },
    async peek<T>(timeoutMs = 300_000): Promise<T> {
      const line = await takeLine(timeoutMs);
      lines.unshift(line);
      return JSON.parse(line) as T;
    },
    send(message) {
      child.stdin!.write(`${JSON.stringify(message)}\n`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's side: JSON lines out on stdout, commands in on stdin, cleanup when stdin closes. */
export interface ParentLink {
  send(message: unknown): void;
  /** Calls `handle` for each command line from the parent. */
  onCommand(handle: (command: unknown) => void | Promise<void>): void;
  /** Runs `cleanup` once when the parent closes stdin (or dies), or on SIGTERM/SIGINT, then exits. */
  onShutdown(cleanup: () => Promise<void> | void): void;
}

export function connectToParent(): ParentLink {
  let cleanup: (() => Promise<void> | void) | null = null;
  let shuttingDown = false;
  async function shutDown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    try {
      await cleanup?.();
    } finally {
      process.exit(0);
    }
  }
  const reader = createInterface({ input: process.stdin });
  let handler: ((command: unknown) => void | Promise<void>) | null = null;
  let chain = Promise.resolve();
  reader.on('line', (line) => {
    if (line.trim() === '' || !handler) return;
    const run = handler;
    chain = chain
      .then(() => run(JSON.parse(line) as unknown))
      .catch((error: unknown) => {
        process.stderr.write(`command failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
      });
  });
  reader.on('close', () => void chain.then(shutDown));
  process.once('SIGTERM', () => void shutDown());
  process.once('SIGINT', () => void shutDown());
  return {
    send(message) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
    },
    onCommand(handle) {
      handler = handle;
    },
    onShutdown(run) {
      cleanup = run;
    },
  };
}

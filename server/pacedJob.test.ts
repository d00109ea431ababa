/**
 * The paced recompute loop, on vitest's fake clock (deterministic, no waiting): many marks
 * make one run per interval, callers share a run, a mark during a run gets one more run, a
 * full batch asks for another, nothing runs while unwanted or after stop.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPacedJob, type PacedJobOptions } from './pacedJob.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function jobWith(overrides: Partial<PacedJobOptions<number>> = {}) {
  let calls = 0;
  const gates: Array<() => void> = [];
  const job = createPacedJob<number>({
    run: () =>
      new Promise<number>((resolve) => {
        calls += 1;
        const call = calls;
        gates.push(() => resolve(call));
      }),
    onError: (error) => {
      throw error;
    },
    intervalMs: 1000,
    recheckMs: 60_000,
    ...overrides,
  });
  /** Lets the oldest run finish and its callbacks settle. */
  async function finish(): Promise<void> {
    gates.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
  }
  return { job, calls: () => calls, finish };
}

describe('a paced job', () => {
  it('runs once per interval however often it is marked, and shares a run with callers', async () => {
    const { job, calls, finish } = jobWith();
    for (let i = 0; i < 50; i += 1) job.markDirty();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    const shared = [job.runNow(), job.runNow()];
    await finish();
    expect(await Promise.all(shared)).toEqual([1, 1]);
    expect(job.isDirty()).toBe(false);

    job.markDirty();
    await vi.advanceTimersByTimeAsync(999);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls()).toBe(2);
    expect(job.runs()).toBe(2);
    await finish();
  });

  it('gives a caller asking for a fresh run one that starts after the run in flight', async () => {
    const { job, calls, finish } = jobWith();
    const inFlight = job.runNow();
    const fresh = job.runFresh();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls()).toBe(1);
    await finish();
    expect(await inFlight).toBe(1);
    expect(calls()).toBe(2);
    await finish();
    expect(await fresh).toBe(2);
    // With nothing in flight it is a run now.
    const alone = job.runFresh();
    await vi.advanceTimersByTimeAsync(0);
    await finish();
    expect(await alone).toBe(3);
  });

  it('runs again for what was marked while it ran, and when a result asks for more', async () => {
    let more = true;
    const { job, calls, finish } = jobWith({ after: () => more });
    void job.runNow();
    job.markDirty();
    await finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls()).toBe(2); // the mark during the run
    more = false;
    await finish();
    await vi.advanceTimersByTimeAsync(5000);
    expect(calls()).toBe(2);
    more = true;
    void job.runNow();
    await finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls()).toBe(4); // the full batch asked for another
    more = false;
    await finish();
  });

  it('schedules nothing while unwanted or after stop, and rechecks on its own', async () => {
    let wanted = false;
    const { job, calls, finish } = jobWith({ wanted: () => wanted, recheckMs: 15_000 });
    job.markDirty();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(calls()).toBe(0);
    expect(job.isDirty()).toBe(true);
    wanted = true;
    await vi.advanceTimersByTimeAsync(15_000); // the recheck marks it
    expect(calls()).toBe(1);
    await finish();
    await job.stop();
    job.markDirty();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls()).toBe(1);
  });
});

/**
 * The routing leader's budget per node (leaderRpc.ts), on real Redis: one follower sending
 * more than its budget is refused ("nothing was done", never run), while another follower's
 * requests are still answered; the budget refills with time (a clock the test moves).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoutingCall } from '../../shared/routing.js';
import { createTestRedis, type TestRedis } from '../testing/redis.js';
import { LeaderUnavailableError, startLeaderRpc, type LeaderRpc } from './leaderRpc.js';

let redis: TestRedis;
const opened: LeaderRpc[] = [];

beforeEach(async () => {
  redis = await createTestRedis('omnidesk-leaderrpc');
});

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((rpc) => rpc.close()));
  await redis.cleanup();
});

async function open(options: Partial<Parameters<typeof startLeaderRpc>[0]> = {}): Promise<LeaderRpc> {
  const rpc = await startLeaderRpc({ redisUrl: redis.url, keyPrefix: redis.prefix, log: () => undefined, ...options });
  opened.push(rpc);
  return rpc;
}

async function refusal(promise: Promise<unknown>): Promise<LeaderUnavailableError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  if (!(error instanceof LeaderUnavailableError)) throw new Error(`expected a LeaderUnavailableError, got ${String(error)}`);
  return error;
}

describe('the routing leader budget per node', () => {
  it('refuses a flooding follower without running its calls, keeps answering the others, and takes it again once refilled', async () => {
    let clock = 1_000_000;
    const logLines: string[] = [];
    const leader = await open({ nodeBudget: { burst: 3, perSecond: 2 }, now: () => clock, log: (line) => logLines.push(line) });
    const ran: RoutingCall[] = [];
    await leader.serve((call) => {
      ran.push(call);
      return Promise.resolve({ ok: true, value: null });
    });
    const flooding = await open();
    const other = await open();
    const call = (agentId: string): RoutingCall => ({ op: 'callStateChanged', agentId });

    for (let i = 0; i < 3; i++) expect(await flooding.call(call(`flood${String(i)}`))).toEqual({ ok: true, value: null });
    // Over budget: refused at once, as "nothing was done" (the follower answers `unavailable`), and not run.
    for (let i = 3; i < 6; i++) {
      const error = await refusal(flooding.call(call(`flood${String(i)}`)));
      expect(error.why).toBe('refused');
      expect(error.mayHaveRun).toBe(false);
    }
    expect(ran.map((c) => (c.op === 'callStateChanged' ? c.agentId : c.op))).toEqual(['flood0', 'flood1', 'flood2']);

    // Another node's budget is its own.
    expect(await other.call(call('other0'))).toEqual({ ok: true, value: null });

    // Half a second refills one request (2/s): one more is taken, the next refused again.
    clock += 500;
    expect(await flooding.call(call('flood6'))).toEqual({ ok: true, value: null });
    expect((await refusal(flooding.call(call('flood7')))).why).toBe('refused');
    expect(ran.map((c) => (c.op === 'callStateChanged' ? c.agentId : c.op))).toEqual(['flood0', 'flood1', 'flood2', 'other0', 'flood6']);

    // One log line per episode of refusals, not one per refused request.
    expect(logLines.filter((line) => line.includes('over its budget'))).toHaveLength(2);
  });
});

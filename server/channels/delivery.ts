/**
 * Outbound delivery: every reply is committed as `queued` with the source it must leave
 * through; this dispatcher hands it to that source's sender and records `sent` (with the
 * channel's own id) or `failed` (with a reason the agent reads). Queued messages survive a
 * restart because the queue is the messages table itself. A queued reply never waits
 * without a reason: one whose source carries no written reply (a phone call, the HTTP API;
 * the ticket rules refuse such replies now, older databases hold some) is marked failed;
 * one whose channel this server does not send through (e.g. no outbound SMTP configured)
 * stays queued, with that as the reason it waits, and leaves once a sender exists.
 *
 * Several nodes may run a dispatcher on one database: each claims the replies it sends
 * (`claimQueuedDeliveries`), so a reply is sent by one node; a claim lasts `claimMs` and is
 * kept across retries, so when its node dies another node sends the reply after that (each
 * dispatcher sets a timer for the first claim another node holds to run out). Every node's
 * dispatcher hears every node's queued replies (`commits`, the cluster's commit stream): a
 * node that heard only its own commits never drained after another node queued and claimed
 * a reply, so it set no timer for that claim and a dead node's reply stayed queued. A node
 * that dies after the channel accepted a reply but before recording it as sent leaves it to
 * be sent again: at least once, as every channel here can only offer.
 */
import { carriesWrittenReply, undeliverableError, type Message } from '../../shared/domain.js';
import type { Change } from '../../shared/sync.js';
import type { CommitSource } from '../cluster/commitStream.js';
import type { CommittedChangesListener, QueuedDelivery, ServerStore } from '../store.js';

/** Thrown by a sender when retrying cannot help (bad address, refused by the platform). */
export class PermanentDeliveryError extends Error {}

/** Delivers outbound messages for one source family (`email`, `webchat`, `wechat`…). */
export interface ChannelSender {
  /** Resolves with the channel's id of the delivered message, if it has one; throws to fail. */
  send(delivery: QueuedDelivery): Promise<{ externalMessageId?: string }>;
}

/** Source family (the part of a message source before `:`) → its sender. */
export type ChannelSenders = Readonly<Record<string, ChannelSender>>;

export interface DeliveryDispatcherOptions {
  store: ServerStore;
  /**
   * Every node's commits (the cluster's commit stream; the store itself on one node, the
   * default): a reply queued on any node wakes this dispatcher, which claims it or watches
   * the claim another node holds.
   */
  commits?: CommitSource;
  senders: ChannelSenders;
  now: () => number;
  log: (line: string) => void;
  /** Attempts before a message is marked failed; default 4. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt; default 2 s. */
  retryDelayMs?: number;
  /** This node's name on the replies it claims. */
  nodeId: string;
  /** How long a claim lasts before another node may take the reply; default 2 min (longer than any one send). */
  claimMs?: number;
  /**
   * Readies a claimed message just before its sender gets it (the satisfaction survey's link is
   * minted here, server/csat/); throws PermanentDeliveryError when it must not leave any more.
   */
  prepare?: (delivery: QueuedDelivery) => Promise<QueuedDelivery>;
}

export interface DeliveryDispatcher {
  /** Looks for queued messages now (called on every commit that queued one, and at start). */
  kick(): void;
  /** Resolves once nothing is being sent; no new sends start after. */
  stop(): Promise<void>;
}

const BATCH = 50;
const TAKEOVER_MIN_WAIT_MS = 1_000;

/** A committed change that carries a reply waiting to leave (every store path that queues one logs it in a message or bundle change). */
function queuesDelivery(change: Change): boolean {
  const queued = (message: Message) => message.direction === 'outbound' && message.deliveryStatus === 'queued';
  if (change.kind === 'message') return queued(change.message);
  return change.kind === 'bundle' && change.bundle.messages.some(queued);
}

function sourceFamily(source: string | null): string | null {
  return source === null ? null : source.split(':', 1)[0]!;
}

export function createDeliveryDispatcher(options: DeliveryDispatcherOptions): DeliveryDispatcher {
  const { store, senders, now, log } = options;
  const maxAttempts = options.maxAttempts ?? 4;
  const retryDelayMs = options.retryDelayMs ?? 2_000;
  const claimMs = options.claimMs ?? 120_000;
  const claimUntil = (from: number) => ({ by: options.nodeId, until: from + claimMs, now: now() });
  const families = Object.keys(senders);
  const inFlight = new Map<string, Promise<void>>();
  const attempts = new Map<string, number>();
  const waiting = new Map<string, NodeJS.Timeout>();
  /** Sent or given up since the current drain read the queue: that read may predate their new status. */
  const finished = new Set<string>();
  /** Wakes the dispatcher when another node's claim runs out (that node may be dead): commits here need not queue anything meanwhile. */
  let takeover: NodeJS.Timeout | null = null;
  let stopped = false;
  let scheduled = false;
  let draining: Promise<void> | null = null;

  /**
   * Records a reply the channel accepted as sent. A failed write (the database busy or away) is
   * written again, never answered by sending again: the customer has the reply. Kept under this
   * node's claim meanwhile; only when this node stops (or loses the claim) first may the reply
   * go a second time (another node, after the claim: at least once).
   */
  async function recordSent(delivery: QueuedDelivery, externalMessageId: string | undefined): Promise<void> {
    const { message } = delivery;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.setDeliveryStatus(message.id, { status: 'sent', claimedBy: options.nodeId, ...(externalMessageId ? { externalMessageId } : {}) }, now());
        log(`delivery: ${message.id} on ${delivery.ticket.id} sent via ${String(message.source)}`);
        return;
      } catch (error) {
        const delay = Math.min(retryDelayMs * 2 ** (attempt - 1), claimMs / 2);
        log(
          `delivery: ${message.id} was sent via ${String(message.source)} but recording it failed (${error instanceof Error ? error.message : String(error)}); recording again in ${String(delay)} ms`,
        );
        if (stopped) return;
        await new Promise((resolve) => setTimeout(resolve, delay));
        await store.renewDeliveryClaim(message.id, claimUntil(now())).catch(() => false);
      }
    }
  }

  async function deliver(delivery: QueuedDelivery): Promise<void> {
    const { message } = delivery;
    const sender = senders[sourceFamily(message.source)!]!;
    try {
      const { externalMessageId } = await sender.send(options.prepare ? await options.prepare(delivery) : delivery);
      attempts.delete(message.id);
      // recordSent never throws: a failure to RECORD the send is not a failed send, and must not send again.
      await recordSent(delivery, externalMessageId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const attempt = (attempts.get(message.id) ?? 0) + 1;
      if (error instanceof PermanentDeliveryError || attempt >= maxAttempts) {
        attempts.delete(message.id);
        // Only while the reply is still queued under this node's claim: another node may have sent it meanwhile.
        await store.setDeliveryStatus(message.id, { status: 'failed', error: reason, claimedBy: options.nodeId }, now());
        log(`delivery: ${message.id} on ${delivery.ticket.id} failed via ${String(message.source)} after ${String(attempt)} attempt(s): ${reason}`);
        return;
      }
      attempts.set(message.id, attempt);
      const delay = retryDelayMs * 2 ** (attempt - 1);
      // Kept for the retry; if another node took it meanwhile (this claim ran out), it is that node's now.
      if (!(await store.renewDeliveryClaim(message.id, claimUntil(now() + delay)))) {
        attempts.delete(message.id);
        return;
      }
      log(`delivery: ${message.id} via ${String(message.source)} attempt ${String(attempt)} failed (${reason}); retrying in ${String(delay)} ms`);
      if (!stopped)
        waiting.set(
          message.id,
          setTimeout(() => (waiting.delete(message.id), kick()), delay),
        );
    }
  }

  /** Gives every queued reply that no sender here can deliver its reason: failed when it never can, waiting when a channel is missing. */
  async function explainUndeliverable(): Promise<void> {
    for (;;) {
      const stuck = await store.listUndeliverable(families, BATCH);
      for (const { message, ticket } of stuck) {
        const waits = message.source !== null && carriesWrittenReply(message.source);
        const error = undeliverableError(waits ? 'no_sender' : 'no_route', message.source);
        await store.setDeliveryStatus(message.id, { status: waits ? 'queued' : 'failed', error }, now());
        log(`delivery: ${message.id} on ${ticket.id} ${waits ? 'waits' : 'cannot be delivered'}: ${error}`);
      }
      if (stuck.length < BATCH) return;
    }
  }

  async function drainOnce(): Promise<void> {
    await explainUndeliverable();
    finished.clear();
    const claimed = await store.claimQueuedDeliveries(families, BATCH + inFlight.size + waiting.size, claimUntil(now()));
    // After claiming (what this node did not take is looked at again when it may be free: another
    // node's claim running out, or a reply another node was claiming at that very moment, which
    // the claim skipped) and before the sends start, so the read does not compete with them.
    await watchForeignClaims();
    for (const delivery of claimed) {
      const id = delivery.message.id;
      if (inFlight.has(id) || waiting.has(id) || finished.has(id)) continue;
      const running = deliver(delivery).finally(() => {
        inFlight.delete(id);
        finished.add(id);
      });
      inFlight.set(id, running);
    }
  }

  async function watchForeignClaims(): Promise<void> {
    const until = families.length === 0 ? null : await store.nextForeignClaimEnd(families, options.nodeId);
    if (takeover) clearTimeout(takeover);
    takeover = null;
    if (until === null || stopped) return;
    takeover = setTimeout(
      () => {
        takeover = null;
        kick();
      },
      // At least a second (a claim that ran out but is not ours yet, e.g. more queued replies than a
      // drain takes, must not spin), at most a claim's length (a clock far off is asked again).
      Math.min(claimMs, Math.max(TAKEOVER_MIN_WAIT_MS, until - now())),
    );
    takeover.unref?.();
  }

  /** One drain at a time; a kick during a drain runs another once it ends. */
  function kick(): void {
    if (stopped) return;
    scheduled = true;
    draining ??= (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (scheduled && !stopped) {
        scheduled = false;
        await drainOnce();
      }
    })()
      .catch((error: unknown) => log(`delivery: reading the queue failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
      .finally(() => {
        draining = null;
        if (scheduled && !stopped) kick();
      });
  }

  // A reply arrives as a message change, or inside a bundle when it also took the ticket. Only a
  // queued outbound message gives the queue something to do: an inbound contact's commit (a new
  // ticket's bundle, a customer's message) reads nothing, or every ingest batch would read the queue.
  const onCommit: CommittedChangesListener = (batch) => {
    if (batch.some(({ change }) => queuesDelivery(change))) kick();
  };
  // This node's own commits at once (the store's hook); on several nodes every node's too, through the commit stream.
  const stops = [store.onDidCommitChanges(onCommit), ...(options.commits && options.commits !== store ? [options.commits.onDidCommitChanges(onCommit)] : [])];
  const stopListening = () => stops.forEach((stop) => stop());
  kick();

  return {
    kick,
    async stop() {
      stopped = true;
      stopListening();
      if (takeover) clearTimeout(takeover);
      for (const timer of waiting.values()) clearTimeout(timer);
      waiting.clear();
      await draining;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

/**
 * socket.io across server nodes (issue 10): every node's `io` shares one Redis through
 * `@socket.io/redis-streams-adapter`, so a room emit on any node reaches the sockets of
 * every node, and `fetchSockets()` / `disconnectSockets()` see them all. Broadcasts go
 * through a Redis stream (read from where each node left off, so a short Redis outage
 * delays them instead of dropping them); requests between nodes (fetchSockets,
 * serverSideEmit) go through PUB/SUB.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Server } from 'socket.io';

export interface RedisAdapterOptions {
  /**
   * Starts every Redis name the adapter uses (stream, PUB/SUB channels, session keys), so
   * several deployments (or test runs) can share one Redis. Default `omnidesk:`.
   */
  keyPrefix?: string;
  /** How long one blocking stream read waits (the library's default 5 s); also how long a closed node's reader lingers. */
  blockTimeInMs?: number;
  log?: (line: string) => void;
}

export interface RedisAdapterHandle {
  /** The client the adapter publishes with (it duplicates it for its blocking reads and subscriptions). */
  readonly client: Redis;
  /** Closes the publishing client; call after `io.close()`, which closes the adapter's own clients. */
  close(): Promise<void>;
}

/** Any socket.io server, whatever its event maps. */
type AnyServer = Pick<Server, 'adapter'>;

export function attachRedisAdapter(io: AnyServer, redisUrl: string, options: RedisAdapterOptions = {}): RedisAdapterHandle {
  const log = options.log ?? ((line: string) => console.error(line));
  const prefix = options.keyPrefix ?? 'omnidesk:';
  const client = new Redis(redisUrl);
  let lastError = '';
  client.on('error', (error: Error) => {
    // ioredis retries for ever and reports each failed attempt: one line per distinct error.
    if (error.message === lastError) return;
    lastError = error.message;
    log(`socket.io redis adapter: ${error.message}`);
  });
  client.on('ready', () => (lastError = ''));
  observeUnawaitedCommands(client);
  io.adapter(
    createAdapter(client, {
      streamName: `${prefix}socket.io`,
      channelPrefix: `${prefix}socket.io`,
      sessionKeyPrefix: `${prefix}sio:session:`,
      ...(options.blockTimeInMs !== undefined ? { blockTimeInMs: options.blockTimeInMs } : {}),
    }),
  );
  return {
    client,
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * The adapter sends some commands without ever handling their promise: the PUBLISH of a
 * `fetchSockets` request and the SUBSCRIBE of its duplicated client. Closing a node flushes
 * what is still queued with "Connection is closed", which would surface as an unhandled
 * rejection. Callers that do await these commands still see the rejection.
 */
function observeUnawaitedCommands(client: Redis): void {
  const publish = client.publish.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const subscribe = client.subscribe.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const duplicate = client.duplicate.bind(client);
  Object.assign(client, {
    publish: (...args: unknown[]) => observed(publish(...args)),
    subscribe: (...args: unknown[]) => observed(subscribe(...args)),
    duplicate: (...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      observeUnawaitedCommands(copy);
      return copy;
    },
  });
}

function observed<T>(command: Promise<T>): Promise<T> {
  command.catch(() => undefined);
  return command;
}

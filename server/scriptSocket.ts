/**
 * The scripts libraries over the sync socket (shared/scripts.ts), like the other reference
 * requests: `scripts:list` answers the team library and the caller's own personal scripts;
 * `scripts:save` / `scripts:delete` write (rate limited per user), and after the commit the
 * readers of the library that changed are told `scripts:changed` — every signed-in socket for
 * the team library, the owner's sockets for a personal one — so their workstations fetch the
 * list again and refresh their cache.
 */
import { scriptDeleteRequestSchema, scriptSaveRequestSchema, scriptsListRequestSchema, type ScriptScope } from '../shared/scripts.js';
import type { SyncServer } from './liveHub.js';
import type { RateLimiters } from './rateLimits.js';
import { ScriptRefusal } from './scriptStore.js';
import type { ServerStore } from './store.js';
import { handle, SyncRefusal } from './sync.js';

export interface ScriptSocketDependencies {
  store: ServerStore;
  rateLimits: RateLimiters;
  now: () => number;
  log: (line: string) => void;
}

/** Every signed-in socket joins this room: the team library's readers. */
const TEAM_ROOM = 'scripts:team';
/** A user's sockets: the readers of their personal library. */
function ownerRoom(userId: string): string {
  return `scripts:user:${userId}`;
}

function refusalOf(error: unknown): unknown {
  return error instanceof ScriptRefusal ? new SyncRefusal(error.code, error.message) : error;
}

/** Wires the scripts requests into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachScripts(io: SyncServer, deps: ScriptSocketDependencies): void {
  const { store } = deps;

  function changed(scope: ScriptScope, ownerId: string): void {
    io.to(scope === 'team' ? TEAM_ROOM : ownerRoom(ownerId)).emit('scripts:changed', { scope });
  }

  io.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join([TEAM_ROOM, ownerRoom(user.id)]);

    async function spend(): Promise<void> {
      const verdict = await deps.rateLimits.scriptWritesPerUser.consume(user.id);
      if (!verdict.ok) {
        if (verdict.firstRefusal) deps.log(`scripts: ${user.username} is over the script write limit`);
        throw new SyncRefusal('rate_limited', `Too many script changes; try again in ${String(Math.ceil(verdict.retryAfterMs / 1000))} s.`);
      }
    }

    handle(socket, deps, 'scripts:list', scriptsListRequestSchema, async () => ({ scripts: await store.scripts.listFor(user) }));

    handle(
      socket,
      deps,
      'scripts:save',
      scriptSaveRequestSchema,
      async ({ id, script }) => {
        await spend();
        const saved = await store.scripts.save(user, id, script, deps.now()).catch((error: unknown) => {
          throw refusalOf(error);
        });
        changed(saved.scope, user.id);
        return { script: saved };
      },
      // A refused write is worth a line: someone writing where they may not.
      { logRefusals: true },
    );

    handle(
      socket,
      deps,
      'scripts:delete',
      scriptDeleteRequestSchema,
      async ({ id }) => {
        await spend();
        const scope = await store.scripts.remove(user, id).catch((error: unknown) => {
          throw refusalOf(error);
        });
        changed(scope, user.id);
        return { deleted: true };
      },
      { logRefusals: true },
    );
  });
}
